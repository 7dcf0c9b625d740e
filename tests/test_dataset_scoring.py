import json
import shutil

import pytest

from benchmarks.dataset_scoring import candidates, decide, main, options_of, validation_auroc
from keras_adegan.model import load_detector

BANKS = ("full", "random16384", "coreset4096", "random4096", "coreset1024", "random1024",
         "coreset256", "random256")


def study_cell(dataset, values):
    """A synthetic study cell: `values` maps a variant (without bank) to its AUROC at every bank."""
    variants = {f"{v}|{bank}": auroc for v, auroc in values.items() for bank in BANKS}
    return {"dataset": dataset, "anomaly_class": 1, "seed": 0, "variants": variants,
            "paper_auroc": 0.5}


def study(*cells):
    return {"grid_bank": 4096, "cells": {str(i): c for i, c in enumerate(cells)}}


def test_own_variant_is_the_datasets_best_among_es_features():
    a = {"noise|knn|cosine|5": 0.9, "extractor|knn|euclidean|1": 0.6,
         "discriminator|knn|euclidean|1": 0.3}
    b = {"noise|knn|cosine|5": 0.5, "extractor|knn|euclidean|1": 0.7,
         "discriminator|knn|euclidean|1": 0.95}  # D wins on b, but is not E's
    general_study = study(study_cell("a", a), study_cell("b", b))
    proposed = candidates(general_study, general_study, "b")
    assert proposed["general"]["variant"] == "noise|knn|cosine|5|random4096"
    assert proposed["own"]["variant"] == "extractor|knn|euclidean|1|random4096"
    assert proposed["general_on_own_cells"]["variant_auroc"] == pytest.approx(0.5)
    assert options_of(proposed["own"])["bank_size"] == 256  # every bank ties: the smallest
    with pytest.raises(Exception, match="no c cell"):
        candidates(general_study, general_study, "c")


@pytest.mark.parametrize("study_gain,table_gain,adopt", [
    (0.05, 0.02, True), (0.05, 0.005, False), (0.005, 0.05, False)])
def test_decision_needs_both_gains(study_gain, table_gain, adopt):
    entry = {"own": {"variant_auroc": 0.6 + study_gain}, "general_on_own_cells": {"variant_auroc": 0.6},
             "cells": {"c0": {"general": 0.7, "own": 0.7 + table_gain},
                       "c1": {"general": 0.8, "own": 0.8 + table_gain}}}
    decision = decide(entry)
    assert decision["adopt"] is adopt and decision["table_gain"] == pytest.approx(table_gain)


def test_validation_figure_is_the_saved_models_own(trained_run, tiny_config):
    from keras_adegan.data import load_dataset
    from keras_adegan.splits import make_splits

    out, metrics = trained_run
    splits = make_splits(load_dataset("digits"), 0, tiny_config.val_fraction, tiny_config.seed,
                         tiny_config.train_limit)  # the run's own splits
    model = load_detector(out / "model.keras")
    options = {k: metrics["config"][k] for k in ("score", "feature_source", "feature_density",
                                                 "feature_distance", "feature_k", "bank_size",
                                                 "bank_selection", "rotation_score_weight")}
    assert validation_auroc(model, splits, options) == pytest.approx(
        metrics["validation"]["auroc_features"], abs=1e-6)


def test_confirmation_scores_every_cell_on_validation_and_records_it(trained_run, tmp_path,
                                                                      capsys):
    runs = tmp_path / "runs"
    shutil.copytree(trained_run[0], runs / "digits" / "class0-seed0")
    values = {"noise|knn|cosine|5": 0.6, "extractor|knn|euclidean|1": 0.8}
    results = tmp_path / "results"
    results.mkdir()
    (results / "feature_study.json").write_text(json.dumps(study(study_cell("digits", values))))
    args = ["--dataset", "digits", "--classes", "0", "--seeds", "0", "--results-dir",
            str(results), "--runs-dir", str(runs)]
    assert main(args) == 0
    entry = json.loads((results / "dataset_scoring.json").read_text())["datasets"]["digits"]
    cell = entry["cells"]["class0-seed0"]
    assert 0 <= cell["general"] <= 1 and 0 <= cell["own"] <= 1
    text = (results / "dataset_scoring.md").read_text()
    assert "test split was not read" in text and "Decision:" in text
    assert main(args + ["--classes", "0,1"]) == 2  # class 1 was never trained
    assert "no trained model for class1-seed0" in capsys.readouterr().err


def test_a_missing_study_or_a_bad_class_list_is_one_error_line_and_writes_nothing(tmp_path,
                                                                                   capsys):
    args = ["--dataset", "digits", "--results-dir", str(tmp_path / "results"), "--runs-dir",
            str(tmp_path / "runs")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "no study file" in err[0]
    with pytest.raises(SystemExit) as stop:
        main(args + ["--classes", "a-b"])
    assert stop.value.code == 2 and "like 0-9" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
