import json

from benchmarks.summary import main, main_table


def cell(k, seed, features, knn, seconds=60.0):
    test = {"auroc_features": features, "auroc_combined": 0.5, "auroc_recon": 0.5,
            "auroc_pattern": 0.5, "auroc_pca": 0.5, "auroc_knn": knn}
    return {"anomaly_class": k, "seed": seed, "test": test,
            "validation": {"auroc_features": features - 0.1}, "cell_seconds": seconds}


def write_table(path, cells):
    """A results file holding the given cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": {f"c{i}": c for i, c in enumerate(cells)}}))


def test_summary_averages_seeds_within_a_class_then_classes(tmp_path, capsys):
    cells = [cell(0, 0, 0.9, 0.8), cell(0, 1, 0.7, 0.8), cell(1, 0, 0.6, 0.5)]
    write_table(tmp_path / f"{main_table('mnist')}.json", cells)  # what the preset trains
    assert main(["--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # class 0: 0.8 (not above kNN's 0.8), class 1: 0.6 (above 0.5): mean 0.700, 1 of 2 wins
    assert "| MNIST | **0.700** | 0.600 |" in out and "| 1/2 |" in out
    assert "seeds 0, 1 (1-2 per class) | 3 min |" in out
    assert "seed 0: 0.750 over 2 classes; seed 1: 0.700 over 1 class" in out


def test_training_options_get_their_own_rows(tmp_path, capsys):
    (tmp_path / "mnist.json").write_text(json.dumps({"cells": {"a": cell(0, 0, 0.9, 0.8)}}))
    options = [cell(0, 0, 0.95, 0.8), cell(0, 1, 0.85, 0.8), cell(3, 0, 0.7, 0.75)]
    (tmp_path / "mnist_rotation.json").write_text(json.dumps(
        {"cells": {f"c{i}": c for i, c in enumerate(options)}}))
    assert main(["--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # class 0: 0.90 > 0.8, class 3: 0.70 < 0.75: mean 0.800, 1 of 2 classes above kNN
    assert ("| MNIST | beyond the paper: rotation task (`--real-task rotation`) | 0.800 | 0.700 | "
            "S 0.500 | 0.500 | 0.775 | 1/2 | 2 classes; seeds 0, 1 (1-2 per class) | 3 min |") in out
    assert "literal" not in out


def test_a_dataset_whose_preset_trains_the_rotation_task_reads_its_row_from_that_table(
        tmp_path, capsys, monkeypatch):
    from keras_adegan.presets import PRESETS

    monkeypatch.setitem(PRESETS, "mnist", {**PRESETS["mnist"], "real_task": "rotation"})
    (tmp_path / "mnist.json").write_text(json.dumps({"cells": {"a": cell(0, 0, 0.6, 0.8)}}))
    (tmp_path / "mnist_rotation.json").write_text(json.dumps({"cells": {"a": cell(0, 0, 0.9, 0.8)}}))
    assert main(["--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "| MNIST | **0.900** |" in out
    assert "| MNIST | the paper's training (`--real-task none`) | 0.600 |" in out
    assert "rotation task" not in out


def test_a_preset_decides_with_s_only_when_a_full_table_validates_it_by_the_margin():
    from benchmarks.summary import score_choice

    def table(s_gain, classes=10, seeds=3):
        return [{"anomaly_class": k, "seed": seed,
                 "validation": {"auroc_features": 0.8, "auroc_combined": 0.8 + s_gain}}
                for k in range(classes) for seed in range(seeds)]

    assert score_choice([(table(0.011), 3)]).startswith("paper (validation: S 0.811")
    assert score_choice([(table(0.009), 3)]).startswith("features")
    assert score_choice([(table(0.05, classes=9), 3)]) == "not decided: 27 of 30 cells"
    assert score_choice([(table(0.05, seeds=2), 3)]) == "not decided: 20 of 30 cells"
    # pooled (the folder preset): every class of every table counts once
    assert score_choice([(table(0.04), 3), (table(0.0), 3),
                         (table(0.0, seeds=2), 2)]).startswith("paper (validation: S 0.813")
    assert score_choice([(table(0.03), 3), (table(-0.03), 3)]).startswith("features")
    assert score_choice([(table(0.03), 3), (table(0.0, seeds=1), 2)]).startswith("not decided")


def test_the_readmes_results_table_is_the_committed_results():
    """Every figure of the README's results table is the mean of the committed cells of the
    table its `table` column names (`readme_cells`)."""
    import re

    from benchmarks.summary import DATASETS, figures, readme_cells
    from tests.conftest import REPO

    readme = (REPO / "README.md").read_text()
    for key, name in DATASETS.items():
        cells, table = readme_cells(REPO / "results", key)
        means = figures(cells)["means"]
        row = re.search(rf"^\| {re.escape(name)} \| (.*)$", readme, re.M).group(1)
        shown = [float(v) for v in re.findall(r"\d\.\d{3}", row)]
        assert shown[0] == round(means["features"], 3), name
        assert round(means["combined"], 3) in shown and round(means["knn"], 3) in shown, name
        assert row.rstrip(" |").endswith(table), name


def test_the_readme_shows_the_presets_table_only_once_it_is_complete(tmp_path, monkeypatch):
    import benchmarks.summary
    from benchmarks.summary import readme_cells

    monkeypatch.setitem(benchmarks.summary.PRESETS, "mnist", {"real_task": "none"})
    write_table(tmp_path / "previous_core" / "mnist.json", [cell(0, 0, 0.9, 0.8)])
    write_table(tmp_path / "mnist.json", [cell(k, s, 0.7, 0.8) for k in range(10) for s in (0, 1)])
    cells, table = readme_cells(tmp_path, "mnist")
    assert table == "previous core" and cells[0]["test"]["auroc_features"] == 0.9  # no seed 2
    write_table(tmp_path / "mnist.json", [cell(k, s, 0.7, 0.8) for k in range(10) for s in (0, 1, 2)])
    cells, table = readme_cells(tmp_path, "mnist")
    assert table == "remade" and len(cells) == 30
    # a preset that moves to another training option shows the paper's training until its own
    # table is complete
    monkeypatch.setitem(benchmarks.summary.PRESETS, "mnist", {"real_task": "clusters"})
    write_table(tmp_path / "mnist_clusters.json", [cell(k, 0, 0.95, 0.8) for k in range(10)])
    cells, table = readme_cells(tmp_path, "mnist")
    assert table == "previous preset" and cells[0]["test"]["auroc_features"] == 0.7
    write_table(tmp_path / "mnist_clusters.json",
                [cell(k, s, 0.95, 0.8) for k in range(10) for s in (0, 1, 2)])
    cells, table = readme_cells(tmp_path, "mnist")
    assert table == "remade" and cells[0]["test"]["auroc_features"] == 0.95


def test_a_cell_read_back_from_a_study_counts_its_training_in_the_wall_time(tmp_path, capsys):
    read_back = {**cell(1, 0, 0.6, 0.5), "read_back": True, "train_seconds": 600.0}
    trained = {**cell(0, 0, 0.9, 0.8), "read_back": False, "train_seconds": 50.0}
    write_table(tmp_path / "mnist.json", [trained, read_back])
    assert main(["--results-dir", str(tmp_path)]) == 0
    assert "(1 per class) | 12 min |" in capsys.readouterr().out  # 60 + 60 + 600 s


def test_the_core_figures_average_seeds_within_a_class_then_classes(tmp_path, capsys):
    def with_core(k, seed, acc, pattern):
        c = cell(k, seed, 0.9, 0.8)
        c["validation"]["auroc_pattern"] = pattern
        c["core"] = {"cluster_acc": acc, "cluster_nmi": acc / 2, "classes_covered": 6,
                     "normal_classes": 9, "diversity_ratio": 0.3, "frechet": 50.0,
                     "frechet_floor": 2.0}
        return c

    cells = [with_core(0, 0, 0.2, 0.4), with_core(0, 1, 0.4, 0.6), with_core(1, 0, 0.9, 0.7),
             cell(2, 0, 0.9, 0.8)]  # a cell recorded before the core was measured
    cells[1]["core"]["frechet"] = 80.0
    table = tmp_path / f"{main_table('mnist')}.json"  # what the preset trains
    write_table(table, cells)
    assert main(["--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # class 0: ACC 0.3, class 1: 0.9: mean 0.60; pattern-only 0.5 and 0.7: 0.600;
    # Frechet: class 0 65, class 1 50: 57.5
    assert ("| MNIST | 3 | 0.60 (0.20-0.90) | 0.30 (0.10-0.45) | 6.0 (6.0-6.0) of 9 | "
            "0.30 (0.30-0.30) | 57.5 (50.0-80.0); real 2.0 | 0.600 |") in out
    for c in cells[:3]:  # runs made before the Frechet distance existed
        del c["core"]["frechet"], c["core"]["frechet_floor"]
    write_table(table, cells)
    assert main(["--results-dir", str(tmp_path)]) == 0
    assert "| 0.30 (0.30-0.30) | n/a; real n/a | 0.600 |" in capsys.readouterr().out


def test_no_core_table_when_no_cell_recorded_the_core(tmp_path, capsys):
    write_table(tmp_path / "mnist.json", [cell(0, 0, 0.9, 0.8)])
    assert main(["--results-dir", str(tmp_path)]) == 0
    assert "generative core" not in capsys.readouterr().out


def test_the_option_check_needs_the_s_gain_and_at_most_a_small_deployed_loss():
    from benchmarks.summary import option_check

    def table(s, deployed, seeds=3):
        cells = [cell(k, seed, 0.9, 0.8) for k in range(10) for seed in range(seeds)]
        for c in cells:
            c["validation"] = {"auroc_combined": s, "auroc_features": deployed}
        return cells

    paper = table(0.78, 0.936)
    assert option_check(table(0.80, 0.936, seeds=1), paper, 3).startswith("not decided: 10 of")
    assert option_check(table(0.80, 0.931), paper, 3).startswith("keep the option")
    assert option_check(table(0.80, 0.930), paper, 3).startswith("back to the paper")  # -0.006
    assert option_check(table(0.799, 0.936), paper, 3).startswith("back to the paper")  # S +0.019


def test_the_option_check_waits_for_a_whole_base_table():
    from benchmarks.summary import option_check

    cells = [cell(k, seed, 0.9, 0.8) for k in range(10) for seed in range(3)]
    for c in cells:
        c["validation"] = {"auroc_combined": 0.8, "auroc_features": 0.93}
    empty = option_check(cells, [], 3)  # was NaN against NaN, with a RuntimeWarning
    assert empty == "not decided: the paper's training's table has 0 of 30 cells"
    assert option_check(cells, cells[:20], 3).startswith("not decided: the paper's training's")


def test_the_both_tasks_check_also_needs_e_s_clustering_no_worse():
    from benchmarks.summary import option_check

    def table(s, acc):
        cells = [cell(k, seed, 0.9, 0.8) for k in range(10) for seed in range(3)]
        for c in cells:
            c["validation"] = {"auroc_combined": s, "auroc_features": 0.93}
            c["core"] = {"cluster_acc": acc}
        return cells

    clusters = table(0.82, 0.58)
    keep = option_check(table(0.84, 0.58), clusters, 3, clustering=True, base="the cluster task")
    assert keep.startswith("keep the option") and "E's clustering 0.580 against 0.580" in keep
    assert option_check(table(0.84, 0.57), clusters, 3, clustering=True,
                        base="the cluster task").startswith("back to the cluster task")
