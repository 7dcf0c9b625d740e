import dataclasses
import json

import numpy as np
import pytest

from keras_adegan.errors import ADeGANError
from keras_adegan.factory import load_detector
from tuning.hypermodel import ADeGANHyperModel, make_tuner, synthetic_anomalies
from tuning.search import main, parse_sweep, run_search, trial_model, trial_rows


@pytest.mark.slow
def test_two_trial_search_completes_without_the_test_split(tiny_config, digits_splits, tmp_path):
    hypermodel = ADeGANHyperModel(tiny_config, (16, 16, 1), tune=["n_patterns", "gamma"])
    tuner = make_tuner("random", hypermodel, tmp_path, "tiny", max_trials=2)
    blind = dataclasses.replace(digits_splits, test_x=None, test_y=None)  # any use would fail
    run_search(tuner, blind)
    rows = trial_rows(tuner)
    assert len(rows) == 2 and all(r["status"] == "COMPLETED" for r in rows)
    # digits zeros stand out in E's features even after one epoch per stage (a failed trial
    # would give None)
    assert all(r["objective"] is not None and r["objective"] > 0.7 for r in rows)
    assert rows[0]["n_patterns"] != rows[1]["n_patterns"] or rows[0]["gamma"] != rows[1]["gamma"]
    model = load_detector(trial_model(tuner, rows[0]["trial"]))
    assert model.n_patterns == rows[0]["n_patterns"] and model.is_calibrated
    assert model.head.bank_size == len(digits_splits.train_x)  # the default: every training normal


@pytest.mark.slow
def test_resumed_search_does_not_rerun_trials(tiny_config, digits_splits, tmp_path):
    hypermodel = ADeGANHyperModel(tiny_config, (16, 16, 1), tune=["alpha"])
    run_search(make_tuner("random", hypermodel, tmp_path, "again", max_trials=1), digits_splits)
    stamp = trial_model(make_tuner("random", hypermodel, tmp_path, "again", max_trials=1), "0").stat().st_mtime_ns
    tuner = make_tuner("random", hypermodel, tmp_path, "again", max_trials=1)
    run_search(tuner, digits_splits)
    assert len(trial_rows(tuner)) == 1 and trial_model(tuner, "0").stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_sweep_cli_writes_table_and_best_model(tmp_path, capsys):
    args = ["--dataset", "digits", "--sweep", "n_c=2,4", "--epochs", "1", "--train-limit", "256",
            "--directory", str(tmp_path / "tune"), "--results-dir", str(tmp_path / "results")]
    assert main(args) == 0
    table = (tmp_path / "results" / "nc_sweep_digits.md").read_text()
    assert "| 2 |" in table and "| 4 |" in table and "Command: `python -m tuning.search" in table
    best = tmp_path / "tune" / "digits-class0-sweep-n_patterns" / "best"
    assert load_detector(best / "model.keras").n_patterns in (2, 4)
    assert "test AUROC" in capsys.readouterr().out


@pytest.mark.slow
def test_search_cli_reports_best_trial_and_preset(tmp_path, capsys):
    args = ["--dataset", "digits", "--tuner", "random", "--max-trials", "1", "--tune", "alpha",
            "--epochs", "1", "--train-limit", "256", "--compare-preset",
            "--directory", str(tmp_path / "tune"), "--results-dir", str(tmp_path / "results")]
    assert main(args) == 0
    summary = (tmp_path / "results" / "search_digits-class0-random-labelled.md").read_text()
    assert "| 0 | COMPLETED |" in summary and "Preset on the same budget" in summary
    assert "Versions:" in summary and "Trial training time" in summary
    assert "its test AUROC" in capsys.readouterr().out


@pytest.mark.slow
def test_hyperband_budgets_count_stage2_epochs(tiny_config, digits_splits, tmp_path):
    base = dataclasses.replace(tiny_config, stage1_epochs=1, stage2_epochs=3)
    tuner = make_tuner("hyperband", ADeGANHyperModel(base, (16, 16, 1), tune=["alpha"]), tmp_path, "hb")
    run_search(tuner, digits_splits)
    rows = trial_rows(tuner)
    assert rows and all(r["status"] == "COMPLETED" and r["objective"] is not None for r in rows)
    for row in rows:  # every trial trained E (stage 2 starts at epoch 2) and logged its AUROC
        history = json.loads((trial_model(tuner, row["trial"]).parent / "validation.json")
                             .read_text())["history"]
        assert history and history[0]["epoch"] >= 2


@pytest.mark.slow
def test_unsupervised_objective_needs_no_anomaly_labels(tiny_config, digits_splits, tmp_path):
    hypermodel = ADeGANHyperModel(tiny_config, (16, 16, 1), tune=["alpha"], objective="unsupervised")
    tuner = make_tuner("random", hypermodel, tmp_path, "unsup", max_trials=1)
    normals = digits_splits.val_normals  # what a user without anomaly labels has
    normals_only = dataclasses.replace(digits_splits, val_x=normals, val_y=np.zeros(len(normals)))
    run_search(tuner, normals_only)
    labelled = make_tuner("random", hypermodel, tmp_path, "unsup-labelled", max_trials=1)
    run_search(labelled, digits_splits)
    # the same trial on the normals alone and on the labelled split: anomalies play no part
    assert trial_rows(tuner)[0]["objective"] == trial_rows(labelled)[0]["objective"] is not None


def test_rotation_proxy_and_bad_arguments():
    images = np.arange(2 * 4 * 4).reshape(2, 4, 4, 1)
    assert synthetic_anomalies(images)[0, 0, 0, 0] == images[0, 0, 3, 0]
    assert parse_sweep("n_c=2,4") == ("n_patterns", [2, 4])
    with pytest.raises(Exception, match="expected e.g. n_c"):
        parse_sweep("depth=3")
    with pytest.raises(ADeGANError, match="cannot tune 'depth'"):
        ADeGANHyperModel(None, (4, 4, 1), tune=["depth"])


@pytest.mark.slow
@pytest.mark.parametrize("max_trials", [1, 4], ids=["search-ends", "tuner-gives-up"])
def test_search_in_which_every_trial_fails_names_the_error_and_leaves_nothing(
        tmp_path, capsys, monkeypatch, max_trials):
    def failing_fit(self, *args, **kwargs):
        raise FloatingPointError("the losses became NaN")

    monkeypatch.setattr(ADeGANHyperModel, "fit", failing_fit)
    args = ["--dataset", "digits", "--tuner", "random", "--max-trials", str(max_trials),
            "--tune", "alpha", "--epochs", "1", "--train-limit", "256",
            "--directory", str(tmp_path / "tune"), "--results-dir", str(tmp_path / "results")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: no trial of") and "the losses became NaN" in err
    assert not (tmp_path / "tune").exists() or not any((tmp_path / "tune").iterdir())
    assert not (tmp_path / "results").exists()


def test_a_project_searched_with_other_settings_is_refused_before_any_trial(tmp_path):
    from keras_adegan import ADeGANError
    from tuning.search import check_project

    budget = {"config": {"stage1_epochs": 2, "seed": 0}, "tuner": "random", "trials": 4,
              "objective": "labelled", "tune": ("alpha",), "values": {}}
    check_project(tmp_path / "tune" / "p", budget, tmp_path / "results")
    check_project(tmp_path / "tune" / "p", budget, tmp_path / "results")  # the same: resumes
    other = {**budget, "config": {"stage1_epochs": 5, "seed": 0}}
    with pytest.raises(ADeGANError, match="with other settings \\(config.stage1_epochs\\)"):
        check_project(tmp_path / "tune" / "p", other, tmp_path / "results")
    with pytest.raises(ADeGANError, match="with other settings \\(trials\\)"):
        check_project(tmp_path / "tune" / "p", {**budget, "trials": 8}, tmp_path / "results")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ADeGANError, match="cannot write to .*file.* is a file"):
        check_project(tmp_path / "tune" / "q", budget, tmp_path / "file" / "results")
    assert not (tmp_path / "results").exists()  # checked, not made


def test_the_papers_name_n_c_is_tunable_as_n_patterns(tiny_config):
    hypermodel = ADeGANHyperModel(tiny_config, (16, 16, 1), tune=["n_c", "gamma"],
                                  values={"n_c": [2, 4]})
    assert hypermodel.tune == ("n_patterns", "gamma") and hypermodel.values == {"n_patterns": [2, 4]}
