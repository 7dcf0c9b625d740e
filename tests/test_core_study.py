import json

import pytest

from benchmarks.core_study import ROUNDS, decide, main, summary

ROUND_1 = ROUNDS[1]

CORE = {"cluster_acc": 0.3, "cluster_nmi": 0.2, "sample_acc": 1.0, "shortcut_gap": 0.7,
        "diversity_ratio": 0.3, "classes_covered": 5, "purity": 0.8, "confident": 0.6}


def cell(variant, k, s_auroc, cluster_acc):
    return {"variant": variant, "anomaly_class": k, "seed": 0,
            "validation": {"auroc_combined": s_auroc, "auroc_features": 0.9},
            "core": {**CORE, "cluster_acc": cluster_acc}}


def study(gains):
    """Two cells per variant; `gains`: variant -> (S gain, cluster accuracy gain)."""
    cells = []
    for variant in ROUND_1["variants"]:
        s_gain, acc_gain = gains.get(variant, (0.0, 0.0))
        cells += [cell(variant, k, 0.70 + s_gain, 0.30 + acc_gain) for k in (1, 8)]
    return summary(cells, ROUND_1["variants"])


def test_the_rule_needs_the_s_gain_and_no_worse_clustering():
    assert decide(study({}), 2, ROUND_1).startswith("keep `paper`")
    assert decide(study({"joint": (0.019, 0.1)}), 2, ROUND_1).startswith("keep")  # below 0.02
    assert decide(study({"joint": (0.05, -0.01)}), 2, ROUND_1).startswith("keep")  # core worse
    assert decide(study({"joint": (0.03, 0.0), "honest": (0.04, 0.2)}), 2,
                  ROUND_1) == "adopt `honest`"
    means = study({})
    means["paper"]["cells"] = 1
    assert decide(means, 2, ROUND_1).startswith("no decision yet")


def test_every_round_names_its_base_and_runs_here_or_names_its_commit(capsys):
    from keras_adegan.config import ADeGANConfig

    for number, rnd in ROUNDS.items():
        assert rnd["base"] in rnd["variants"] and rnd["round"] == number
        if rnd.get("frozen"):
            with pytest.raises(SystemExit):
                main(["--round", str(number)])
            assert f"run it at commit {rnd['frozen']}" in capsys.readouterr().err
            continue
        for options in rnd["variants"].values():
            ADeGANConfig.preset("mnist", **{**{"stage1_epochs": 2}, **options})
    # round 1's variants keep the paper's frozen D, whatever today's default
    assert ROUNDS[1]["variants"]["paper"]["stage2_adversarial_weight"] == 0.0


@pytest.fixture
def round_99(monkeypatch):
    """A tiny round beside the committed ones."""
    monkeypatch.setitem(ROUNDS, 99, {"results": "x", "base": "paper", "round": 99,
                                     "rule": "Rule 99",
                                    "variants": {"paper": {"stage2_adversarial_weight": 0.0},
                                                 "honest": {}, "third": {}}})


@pytest.mark.slow
def test_a_tiny_study_records_validation_and_core_figures_and_resumes(tmp_path, monkeypatch,
                                                                        round_99):
    args = ["--round", "99", "--dataset", "digits", "--classes", "0", "--variants", "paper,honest",
            "--results", str(tmp_path / "study"), "--runs-dir", str(tmp_path / "runs"),
            "--budget", json.dumps({"stage1_epochs": 1, "stage2_epochs": 1, "width": 4,
                                    "batch_size": 32, "train_limit": 128})]
    assert main(args) == 0
    data = json.loads((tmp_path / "study.json").read_text())
    assert [c["variant"] for c in data["cells"]] == ["paper", "honest"]
    assert {c["dataset"] for c in data["cells"]} == {"digits"}
    cell = data["cells"][1]
    assert cell["config"]["stage2_adversarial_weight"] == 1.0  # today's default core
    assert set(cell["validation"]) >= {"auroc_combined", "auroc_features"}
    assert not any(k.startswith("test") for k in json.dumps(data["cells"]).split('"'))
    assert [row["stage"] for row in cell["core_by_epoch"]] == [1, 2]
    assert data["decision"].startswith("no decision yet")  # three variants have no cells
    text = (tmp_path / "study.md").read_text()
    assert "Rule: Rule 99" in text and "| honest |" in text and "(digits, validation" in text

    import keras_adegan.runs

    monkeypatch.setattr(keras_adegan.runs, "train", lambda *a, **k: pytest.fail("retrained"))
    assert main(args) == 0  # every cell is recorded: nothing runs again


def test_an_unknown_variant_is_one_error_line(capsys, round_99):
    with pytest.raises(SystemExit) as stop:
        main(["--round", "99", "--variants", "honest,wgan"])
    err = capsys.readouterr().err.strip().splitlines()
    assert stop.value.code == 2 and len(err) == 1 and "wgan" in err[0]


def test_a_cost_round_takes_the_first_variant_within_its_margin():
    round_4 = ROUNDS[4]

    def means(features):
        return {v: {"cells": 2, "S": 0.7, "features": f, "cluster_acc": 0.3}
                for v, f in features.items()}

    assert decide(means({"honest": 0.9, "e32": 0.896, "e64": 0.899}), 2, round_4) == "adopt `e32`"
    assert decide(means({"honest": 0.9, "e32": 0.89, "e64": 0.899}), 2, round_4) == "adopt `e64`"
    assert decide(means({"honest": 0.9, "e32": 0.89, "e64": 0.894}), 2,
                  round_4).startswith("keep `honest`")


def test_a_negative_feature_margin_asks_for_a_gain():
    round_5 = ROUNDS[5]
    means = {"honest": {"cells": 2, "S": 0.7, "features": 0.90, "cluster_acc": 0.3},
             "budget_5_5": {"cells": 2, "S": 0.7, "features": 0.909, "cluster_acc": 0.3}}
    assert decide(means, 2, round_5) == "keep `honest`: no variant beats it by 0.01"
    means["budget_5_5"]["features"] = 0.911
    assert decide(means, 2, round_5) == "adopt `budget_5_5`"


def test_a_round_with_a_dataset_field_writes_one_results_file_per_dataset():
    from benchmarks.core_study import parse_args

    assert ROUNDS[6]["results"].endswith("{dataset}")
    assert parse_args(["--round", "6", "--dataset", "cifar10"]).results \
        == "results/core_study_6_cifar10"
    assert parse_args(["--round", "5", "--dataset", "cifar10"]).results \
        == "results/core_study_5"


def test_each_round_trains_in_its_own_run_folders():
    """Rounds 7 and 8 shared a variant's name and config; a finished folder is read back, so a
    round must not find another round's cells."""
    from benchmarks.core_study import parse_args

    assert parse_args(["--round", "6"]).runs_dir == "runs/core_study/round6"
    assert parse_args(["--round", "6", "--runs-dir", "elsewhere"]).runs_dir == "elsewhere"


def test_the_default_round_is_one_that_runs_at_this_commit():
    from benchmarks.core_study import parse_args

    assert not ROUNDS[parse_args([]).round].get("frozen")


def test_the_folder_presets_decision_pools_every_datasets_file(tmp_path):
    from benchmarks.core_study import pooled_decision

    study = ROUNDS[6]

    def cells(dataset, gain):
        return [{"variant": v, "dataset": dataset, "anomaly_class": k, "seed": 0,
                 "validation": {"auroc_combined": 0.7,
                                "auroc_features": 0.8 + (gain if v == "rotation_5_5" else 0)},
                 "core": CORE} for v in study["variants"] for k in (1, 8)]

    for dataset, gain in (("mnist", -0.01), ("fashion_mnist", 0.1)):
        (tmp_path / f"core_study_6_{dataset}.json").write_text(
            json.dumps({"cells": cells(dataset, gain)}))
    path = tmp_path / "core_study_6_cifar10"
    assert pooled_decision(cells("cifar10", 0.0)[:2], path, 2, study).startswith("no decision")
    # (-0.01 + 0.1 + 0.0) / 3 = +0.03: the folder preset takes the rotation task
    assert pooled_decision(cells("cifar10", 0.0), path, 2, study) == "adopt `rotation_5_5`"
    assert pooled_decision(cells("cifar10", -0.07), path, 2, study).startswith("keep")


def test_a_feature_guard_refuses_a_gain_in_s_that_costs_the_deployed_score():
    rnd = {**ROUND_1, "feature_guard": 0.005}
    means = study({"joint": (0.05, 0.1)})
    assert decide(means, 2, rnd) == "adopt `joint`"
    means["joint"]["features"] = means["paper"]["features"] - 0.006
    assert decide(means, 2, rnd).startswith("keep `paper`")
    means["joint"]["features"] = means["paper"]["features"] - 0.004
    assert decide(means, 2, rnd) == "adopt `joint`"
    # the guard compares with the better of the base's deployed and rescored feature scores
    means["paper"]["features_rescored"] = means["paper"]["features"] + 0.01
    assert decide(means, 2, rnd).startswith("keep `paper`")
    means["paper"]["features_rescored"] = means["paper"]["features"] - 0.01
    assert decide(means, 2, rnd) == "adopt `joint`"


def table_cell(k, seed):
    return {"anomaly_class": k, "seed": seed, "train_seconds": 10.0, "cell_seconds": 11.0,
            "command": "python -m benchmarks.paper", "versions": {}, "code": "abc",
            "run_dir": f"runs/paper/mnist/class{k}-seed{seed}",
            "history": [{"epoch": 1, "stage": 1, "d_loss": 1.0, "core_cluster_acc": 0.2}],
            "validation": {"auroc_features": 0.9, "auroc_combined": 0.7 + k / 100,
                           "auroc_previous": 0.5},
            "test": {"auroc_features": 0.1}, "core": CORE}


@pytest.fixture
def table(tmp_path):
    path = tmp_path / "mnist.json"
    path.write_text(json.dumps({"cells": {f"class{k}-seed{s}": table_cell(k, s)
                                          for k in (1, 2, 8) for s in (0, 1)}}))
    return path


def test_the_base_is_read_back_from_a_remade_table(table):
    from benchmarks.core_study import table_cells

    rnd = {**ROUNDS[8], "base_table": str(table.parent / "{dataset}.json")}
    cells = table_cells(rnd, "mnist", [1, 8], [0])
    assert [(c["anomaly_class"], c["seed"]) for c in cells] == [(1, 0), (8, 0)]
    assert all(c["variant"] == "preset" and c["read_from"] == str(table) for c in cells)
    assert cells[1]["validation"] == {"auroc_features": 0.9, "auroc_combined": 0.7 + 8 / 100}
    assert "test" not in cells[0]  # the test split is not carried over
    assert cells[0]["core_by_epoch"] == [{"epoch": 1, "stage": 1, "core_cluster_acc": 0.2}]
    assert cells[0]["config"]["stage1_epochs"] == 5  # the preset's budget


def test_the_base_is_rescored_on_validation_unless_recorded(table, monkeypatch):
    import keras_adegan.runs
    from benchmarks.core_study import RESCORED, table_cells

    scored = []

    def validation_metrics(run_dir, data=None, **options):
        scored.append((run_dir, options))
        return {"auroc_features": 0.95, "auroc_combined": 0.0}

    monkeypatch.setattr(keras_adegan.runs, "validation_metrics", validation_metrics)
    rnd = {**ROUNDS[9], "base_table": str(table.parent / "{dataset}.json")}
    cells = table_cells(rnd, "mnist", [1, 8], [0], skip={("preset", "mnist", 8, 0)})
    assert [c["anomaly_class"] for c in cells] == [1]  # class 8 is recorded already
    assert scored == [("runs/paper/mnist/class1-seed0", {"feature_source": "extractor"})]
    assert cells[0]["validation"][RESCORED] == 0.95
    assert cells[0]["validation"]["auroc_features"] == 0.9  # the deployed figure stays
    assert summary(cells, rnd["variants"])["preset"]["features_rescored"] == 0.95
