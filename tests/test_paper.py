import json

import pytest

from benchmarks.paper import main, parse_list

ARGS = ["--dataset", "digits", "--classes", "2", "--seeds", "0", "--stage1-epochs", "1",
        "--stage2-epochs", "1", "--width", "4", "--train-limit", "128", "--curve-classes", "2"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("paper")
    args = ARGS + ["--results-dir", str(root / "results"), "--runs-dir", str(root / "runs")]
    assert main(args) == 0
    return root, args


def test_cell_has_model_and_baseline_aurocs_and_provenance(finished):
    root, _ = finished
    data = json.loads((root / "results" / "digits.json").read_text())
    cell = data["cells"]["class2-seed0"]
    for key in ("auroc_features", "auroc_combined", "auroc_recon", "auroc_pattern", "auroc_pca",
                "auroc_knn"):
        assert key in cell["test"], key
    assert "auroc_features" in cell["validation"] and cell["scoring"]["score"] == "features"
    assert data["budget"]["train_limit"] == 128 and "anomaly_class" not in data["budget"]
    assert "bank_size" not in data["budget"]  # scoring options are not part of the budget
    assert cell["versions"]["tensorflow"] and cell["cell_seconds"] > 0
    assert "--classes 2" in cell["command"] and not cell["read_back"]
    assert set(cell["threads"]) == {"intra_op", "inter_op"}
    assert "test_auroc_combined" in cell["history"][-1]  # learning curve of a curve class
    table = (root / "results" / "digits.md").read_text()
    assert "| 2 | 2 | 1 |" in table and "**mean**" in table and "Learning curves" in table
    assert "| validation mean | same cells |" in table
    curve = table.split("## Learning curves on validation")[1]
    last = cell["history"][-1]
    assert f"| {last['epoch']} | {last['val_auroc_combined']:.3f} (1) |" in curve


def test_rerun_does_no_work_and_says_so(finished, capsys):
    root, args = finished
    before = (root / "results" / "digits.json").read_text()
    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert (root / "results" / "digits.json").read_text() == before


def test_a_cell_recorded_before_a_scoring_field_existed_is_not_stale(finished):
    from benchmarks.paper import is_stale
    from keras_adegan.config import ADeGANConfig

    root, _ = finished
    cell = json.loads((root / "results" / "digits.json").read_text())["cells"]["class2-seed0"]
    config = ADeGANConfig.preset("digits")
    assert not is_stale(cell, config)
    del cell["scoring"]["rotation_score_weight"]  # as in cells recorded before it existed
    assert not is_stale(cell, config)
    cell["scoring"]["feature_k"] = 1
    assert is_stale(cell, config)


def test_other_budget_in_same_results_file_is_refused(finished, capsys):
    root, args = finished
    other = [a if a != "4" else "8" for a in args]  # --width 8
    assert main(other) == 2
    assert "another budget (differs in: width)" in capsys.readouterr().err


def test_two_processes_adding_cells_to_one_table_keep_each_others_cells(tmp_path):
    from benchmarks.paper import Results

    path = tmp_path / "digits.json"
    first, second = (Results(path, "digits", {"width": 4}) for _ in range(2))
    first.add({"anomaly_class": 1, "seed": 0, "by": "first"})
    second.add({"anomaly_class": 2, "seed": 0, "by": "second"})
    first.add({"anomaly_class": 1, "seed": 1, "by": "first"})
    cells = json.loads(path.read_text())["cells"]
    assert sorted(cells) == ["class1-seed0", "class1-seed1", "class2-seed0"]
    assert cells["class2-seed0"]["by"] == "second"


def test_a_cell_another_process_replaced_is_not_put_back_by_a_stale_copy(tmp_path):
    """A process that read a stale cell keeps it in memory; another one retrains that cell
    (`--retrain-stale`); the first one's next cell must not write the stale copy back."""
    from benchmarks.paper import Results, budget_of

    path, budget = tmp_path / "digits.json", budget_of({"width": 4})
    Results(path, "digits", budget).add({"anomaly_class": 0, "seed": 0, "by": "stale"})
    retrainer, other = (Results(path, "digits", budget) for _ in range(2))
    retrainer.add({"anomaly_class": 0, "seed": 0, "by": "retrained"})
    other.add({"anomaly_class": 0, "seed": 1, "by": "other"})
    cells = json.loads(path.read_text())["cells"]
    assert cells["class0-seed0"]["by"] == "retrained" and cells["class0-seed1"]["by"] == "other"
    retrainer.add({"anomaly_class": 1, "seed": 0, "by": "retrained"})
    assert json.loads(path.read_text())["cells"]["class0-seed1"]["by"] == "other"


def test_class_list_syntax():
    assert parse_list("0-2,7") == [0, 1, 2, 7]
    with pytest.raises(Exception, match="like 0-9"):
        parse_list("a-b")


@pytest.mark.slow
def test_a_cell_trained_with_other_scoring_options_is_rescored_not_retrained(finished, capsys):
    root, args = finished
    path = root / "results" / "digits.json"
    run = root / "runs" / "digits" / "class2-seed0"
    data = json.loads(path.read_text())
    del data["cells"]["class2-seed0"]  # a cell to compute whose run folder is already trained
    path.write_text(json.dumps(data))
    from keras_adegan.runs import rescore

    rescore(run, feature_k=1, bank_size=64)  # as if trained when the defaults were others
    before = json.loads((run / "metrics.json").read_text())
    assert main(args) == 0
    after = json.loads((run / "metrics.json").read_text())
    assert after["history"] == before["history"]  # not retrained
    assert after["config"]["feature_k"] == 5 and after["previous_scoring"]["config"]["feature_k"] == 1
    cell = json.loads(path.read_text())["cells"]["class2-seed0"]
    assert cell["test"]["auroc_features"] == after["test"]["auroc_features"]
    assert cell["read_back"]
    assert "1 of them were trained before" in (root / "results" / "digits.md").read_text()
    assert main(args) == 0
    assert "nothing to do" in capsys.readouterr().out


@pytest.mark.slow
def test_literal_reading_cells_have_their_own_file_and_columns_in_the_main_table(finished):
    root, args = finished
    assert main(args + ["--reading", "literal"]) == 0
    literal = json.loads((root / "results" / "digits_literal.json").read_text())
    assert literal["budget"]["reading"] == "literal"
    assert (root / "runs" / "digits_literal" / "class2-seed0" / "model.keras").is_file()
    own = (root / "results" / "digits_literal.md").read_text()
    assert "(literal)" in own and "paper's A (Eq. 11 as printed)" in own
    assert "Every cell here is the paper read literally" in own
    table = (root / "results" / "digits.md").read_text()
    assert "literal: A (Eq. 11)" in table and "digits_literal.json" in table
    a = literal["cells"]["class2-seed0"]["test"]["auroc_combined"]
    assert f"| {a:.3f} (1) |" in table
    ours = json.loads((root / "results" / "digits.json").read_text())
    assert ours["budget"]["reading"] == "ours"


def test_a_table_shows_the_previous_cores_cells_of_its_own_file_as_columns(finished):
    root, args = finished
    from benchmarks.paper_table import PREVIOUS

    previous = json.loads((root / "results" / "digits.json").read_text())
    previous["cells"]["class2-seed0"]["test"].update(auroc_features=0.123, auroc_combined=0.456)
    (root / "results" / PREVIOUS).mkdir()
    (root / "results" / PREVIOUS / "digits.json").write_text(json.dumps(previous))
    try:
        assert main(args) == 0
        table = (root / "results" / "digits.md").read_text()
        assert "previous core: feature score | previous core: S (Eq. 11)" in table
        assert "| 0.123 (1) | 0.456 (1) |" in table and f"{PREVIOUS}/digits.json" in table
        assert "| **0.123** | **0.456** |" in table  # the mean row
    finally:
        (root / "results" / PREVIOUS / "digits.json").unlink()


@pytest.mark.slow
def test_biased_diagnostic_has_its_own_labelled_section(tmp_path):
    args = ARGS + ["--results-dir", str(tmp_path / "results"), "--runs-dir", str(tmp_path / "runs"),
                   "--biased-diagnostic", "--stage2-epochs", "2"]
    assert main(args) == 0
    cell = json.loads((tmp_path / "results" / "digits.json").read_text())["cells"]["class2-seed0"]
    curve = [h for h in cell["history"] if "test_bs_auroc_combined" in h]
    assert len(curve) == 2 and all("test_auroc_combined" in h for h in curve)
    assert curve[-1]["test_auroc_combined"] == pytest.approx(cell["test"]["auroc_combined"])
    table = (tmp_path / "results" / "digits.md").read_text()
    section = table.split("## Biased diagnostic")[1]
    assert "never used for any choice" in section and "biased on purpose" in section
    best = max(h["test_auroc_combined"] for h in curve)
    assert f"| {best:.3f} |" in section.split("| 2 | 1 |")[1].split("\n")[0]


def test_a_trained_cell_is_diagnosed_from_its_saved_model(finished):
    root, args = finished
    assert main(args + ["--biased-diagnostic"]) == 0  # nothing to train: only diagnosed
    cell = json.loads((root / "results" / "digits.json").read_text())["cells"]["class2-seed0"]
    biased = cell["biased"]
    assert biased["test_auroc_combined"] == pytest.approx(cell["test"]["auroc_combined"], abs=1e-6)
    assert 0 < biased["test_bs_auroc_recon"] < 1
    section = (root / "results" / "digits.md").read_text().split("## Biased diagnostic")[1]
    row = section.split("| 2 | 1 |")[1].split("\n")[0]
    assert row.count("n/a") == 4  # best-epoch columns need the diagnostic during training
    assert main(args + ["--biased-diagnostic"]) == 0  # already diagnosed: nothing to do


def test_two_training_options_at_once_are_refused(tmp_path, capsys):
    args = ARGS + ["--results-dir", str(tmp_path / "r"), "--runs-dir", str(tmp_path / "runs"),
                   "--reading", "literal", "--real-task", "rotation"]
    assert main(args) == 2
    assert "one training option at a time" in capsys.readouterr().err
    assert not (tmp_path / "r").exists() and not (tmp_path / "runs").exists()


def test_a_table_trains_the_presets_option_unless_told_otherwise(tmp_path, capsys,
                                                                   monkeypatch):
    from keras_adegan.presets import PRESETS

    monkeypatch.setitem(PRESETS, "digits", {**PRESETS["digits"], "real_task": "rotation"})
    args = ARGS + ["--results-dir", str(tmp_path / "r"), "--runs-dir", str(tmp_path / "runs"),
                   "--reading", "literal"]
    assert main(args) == 2  # the preset's rotation and the literal reading: two options
    assert "unless --real-task none" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_every_training_option_has_a_results_file_of_its_own():
    """A cell of any real-normal task or reading must land in `<dataset>_<option>.json`, never in
    the paper's table (`variant_of` None)."""
    from benchmarks.paper import budget_of
    from benchmarks.paper_table import VARIANTS, variant_of
    from keras_adegan.config import READINGS, REAL_TASKS, ADeGANConfig

    assert variant_of(budget_of(ADeGANConfig.preset("mnist", real_task="none"))) is None
    options = [{"real_task": t} for t in REAL_TASKS[1:]] + [{"reading": r} for r in READINGS[1:]]
    names = [variant_of(budget_of(ADeGANConfig.preset("mnist", **o))) for o in options]
    assert None not in names and len(set(names)) == len(options) == len(VARIANTS)


@pytest.mark.slow
def test_rotation_cells_record_each_part_of_the_feature_score(finished, capsys):
    root, args = finished
    assert main(args + ["--real-task", "rotation"]) == 0
    path = root / "results" / "digits_rotation.json"
    data = json.loads(path.read_text())
    cell = data["cells"]["class2-seed0"]
    assert cell["scoring"]["rotation_score_weight"] > 0
    for split in ("test", "validation"):
        assert 0 <= cell[split]["auroc_density"] <= 1 and 0 <= cell[split]["auroc_rotation"] <= 1
    table = (root / "results" / "digits_rotation.md").read_text()
    assert "its kNN part alone | its rotation score alone" in table
    assert f"| {cell['test']['auroc_rotation']:.3f} |" in table
    curve = table.split("## Learning curves on validation")[1].split("\n\n")[1:3]
    last = cell["history"][-1]
    assert "| rotation score |" in curve[1].splitlines()[0]
    assert f" {last['val_auroc_rotation']:.3f} (1) |" in curve[1].splitlines()[-1]
    # a cell recorded before the parts were: scored from its saved model, not retrained
    recorded = {split: dict(cell[split]) for split in ("test", "validation")}
    for split in ("test", "validation"):
        del cell[split]["auroc_density"], cell[split]["auroc_rotation"]
    path.write_text(json.dumps(data))
    capsys.readouterr()
    assert main(args + ["--real-task", "rotation"]) == 0
    assert "rescored" in capsys.readouterr().out
    again = json.loads(path.read_text())["cells"]["class2-seed0"]
    assert again["history"] == cell["history"]
    for split in ("test", "validation"):
        for key in ("auroc_features", "auroc_density", "auroc_rotation"):
            assert again[split][key] == pytest.approx(recorded[split][key], abs=1e-9), key


@pytest.mark.slow
def test_a_preset_that_changes_its_scoring_rescores_recorded_cells_and_keeps_the_old_figure(
        finished, tmp_path, monkeypatch, capsys):
    import shutil

    from keras_adegan import presets

    root, args = finished
    shutil.copytree(root, tmp_path / "copy")
    args = [str(tmp_path / "copy" / a[len(str(root)) + 1:]) if a.startswith(str(root)) else a
            for a in args]
    path = tmp_path / "copy" / "results" / "digits.json"
    old = json.loads(path.read_text())["cells"]["class2-seed0"]
    data = json.loads(path.read_text())  # the copy rescores its own run folder
    data["cells"]["class2-seed0"]["run_dir"] = old["run_dir"].replace(str(root),
                                                                      str(tmp_path / "copy"))
    path.write_text(json.dumps(data))
    monkeypatch.setitem(presets.DATASET_SCORING, ("digits", "none"), {"feature_k": 1})
    capsys.readouterr()
    assert main(args) == 0
    assert "rescored" in capsys.readouterr().out
    cell = json.loads(path.read_text())["cells"]["class2-seed0"]
    assert cell["scoring"]["feature_k"] == 1 and cell["previous_scoring"]["feature_k"] == 5
    assert cell["test"]["auroc_previous"] == old["test"]["auroc_features"]
    assert cell["validation"]["auroc_previous"] == old["validation"]["auroc_features"]
    assert cell["history"] == old["history"]  # not retrained
    table = (tmp_path / "copy" / "results" / "digits.md").read_text()
    assert "deployed before (previous scoring)" in table
    assert f"| {old['test']['auroc_features']:.3f} |" in table
    assert main(args) == 0 and "nothing to do" in capsys.readouterr().out
    # a seed recorded under the new scoring has no previous figure: the row says how many do
    data = json.loads(path.read_text())
    later = json.loads(json.dumps(cell))
    later.update(seed=1, previous_scoring=None)
    for split in ("test", "validation"):
        del later[split]["auroc_previous"]
    data["cells"]["class2-seed1"] = later
    path.write_text(json.dumps(data))
    assert main(args) == 0
    row = next(line for line in (tmp_path / "copy" / "results" / "digits.md").read_text()
               .splitlines() if line.startswith("| 2 |"))
    assert row.split(" | ")[2] == "2"  # two seeds in the row
    assert f" {old['test']['auroc_features']:.3f} (1) |" in row  # one of them has the figure


def test_a_stale_cell_whose_run_folder_is_gone_is_refused_or_retrained_when_asked(
        finished, tmp_path, monkeypatch, capsys):
    import shutil

    from keras_adegan import presets

    root, args = finished
    shutil.copytree(root / "results", tmp_path / "results")  # the results travel, runs do not
    args = [str(tmp_path / "results") if a == str(root / "results") else a for a in args]
    args = [str(tmp_path / "runs") if a == str(root / "runs") else a for a in args]
    data = json.loads((tmp_path / "results" / "digits.json").read_text())
    data["cells"]["class2-seed0"]["run_dir"] = str(tmp_path / "runs" / "digits" / "class2-seed0")
    (tmp_path / "results" / "digits.json").write_text(json.dumps(data))
    before = (tmp_path / "results" / "digits.json").read_text()
    monkeypatch.setitem(presets.DATASET_SCORING, ("digits", "none"), {"feature_k": 1})
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "class 2 seed 0" in err and "--retrain-stale" in err and "Traceback" not in err
    assert (tmp_path / "results" / "digits.json").read_text() == before
    # --retrain-stale trains such a cell again, under the preset's scoring of today
    capsys.readouterr()
    assert main(args + ["--retrain-stale"]) == 0
    assert "1 of 1 cells to run" in capsys.readouterr().out
    cell = json.loads((tmp_path / "results" / "digits.json").read_text())["cells"]["class2-seed0"]
    assert cell["scoring"]["feature_k"] == 1 and "previous_scoring" not in cell
    assert (tmp_path / "runs" / "digits" / "class2-seed0" / "model.keras").is_file()
    assert main(args + ["--retrain-stale"]) == 0 and "nothing to do" in capsys.readouterr().out


def test_the_thread_setting_is_recorded_and_named_in_the_wall_time_line(finished, tmp_path,
                                                                         monkeypatch):
    from benchmarks.paper import Results, budget_of, write_tables
    from keras_adegan.provenance import thread_setting

    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    assert thread_setting()["intra_op"] == 1  # this process never set TensorFlow's own
    root, _ = finished
    data = json.loads((root / "results" / "digits.json").read_text())
    one = data["cells"]["class2-seed0"]
    two = {**one, "seed": 1, "threads": {"intra_op": 1, "inter_op": 1}}
    data["cells"] = {"class2-seed0": {**one, "threads": {"intra_op": 0, "inter_op": 0}},
                     "class2-seed1": two}
    (tmp_path / "digits.json").write_text(json.dumps(data))
    results = Results(tmp_path / "digits.json", "digits", budget_of(data["budget"]))
    write_tables(results, tmp_path, "digits")
    line = next(x for x in (tmp_path / "digits.md").read_text().splitlines()
                if x.startswith("- Wall time"))
    assert "for 2 cells" in line and "; 1 of them with 1 TensorFlow thread a process" in line


@pytest.mark.slow
def test_threads_option_sets_tensorflows_threads_and_the_cell_records_them(tmp_path):
    import os
    import subprocess
    import sys

    args = ARGS + ["--results-dir", str(tmp_path / "results"), "--runs-dir",
                   str(tmp_path / "runs"), "--threads", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_NUM_")}
    subprocess.run([sys.executable, "-m", "benchmarks.paper", *args], check=True, env=env,
                   capture_output=True)
    cell = json.loads((tmp_path / "results" / "digits.json").read_text())["cells"]["class2-seed0"]
    assert cell["threads"] == {"intra_op": 1, "inter_op": 1}


def test_a_negative_thread_count_is_one_clear_error(tmp_path, capsys):
    args = ARGS + ["--results-dir", str(tmp_path / "r"), "--runs-dir", str(tmp_path / "runs"),
                   "--threads", "-1"]
    with pytest.raises(SystemExit) as stop:  # argparse's one line, as for any bad flag
        main(args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--threads must be 0" in err and "'-1'" in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()
