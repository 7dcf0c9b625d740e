import json
import shutil

import pytest

from benchmarks.dataset_scoring import validation_auroc
from benchmarks.scoring_grid import decide, main, variant_options, variant_key, write_markdown
from keras_adegan import ADeGANConfig
from keras_adegan.errors import ADeGANError
from keras_adegan.model import load_detector


@pytest.mark.parametrize("dataset,task,key", [
    ("fashion_mnist", "none", "noise|knn|cosine|5|full"),
    ("fashion_mnist", "rotation", "extractor|knn|euclidean|1|full|rot2"),  # DATASET_SCORING
    ("cifar10", "rotation", "extractor|knn|cosine|5|full|rot0.5"),
    ("mnist", "rotation", "extractor|knn|cosine|5|full"),  # DATASET_SCORING: weight 0
])
def test_the_presets_scoring_is_a_grid_variant_and_back(dataset, task, key):
    config = ADeGANConfig.preset(dataset, real_task=task)
    assert variant_key(config) == key
    assert ADeGANConfig.preset(dataset, real_task=task, **variant_options(key)) == config


def test_variants_outside_the_grid_are_refused():
    gaussian = ADeGANConfig(feature_density="gaussian", feature_source="extractor")
    assert variant_key(gaussian) == "extractor|gaussian|euclidean|1|patterns"
    with pytest.raises(ADeGANError, match="E's features only"):
        variant_key(ADeGANConfig(feature_source="discriminator"))
    with pytest.raises(ADeGANError, match="not a bank of 256"):
        variant_key(ADeGANConfig(bank_size=256))


def _cells(preset_values, best_values):
    return {"preset": "p", "cells": {f"c{i}": {"anomaly_class": i, "seed": 0,
                                              "variants": {"p": p, "b": b}}
                                     for i, (p, b) in enumerate(zip(preset_values, best_values))}}


@pytest.mark.parametrize("gain,adopt", [(0.02, True), (0.005, False), (-0.05, False)])
def test_the_best_variant_replaces_the_preset_only_by_the_margin(gain, adopt):
    d = decide(_cells([0.6, 0.8], [0.6 + gain, 0.8 + gain]))
    assert d["adopt"] is adopt
    assert d["best"] == ("b" if gain > 0 else "p")
    assert d["gain"] == pytest.approx(max(gain, 0.0))


def test_the_grids_figure_is_the_saved_models_own(trained_run, tiny_config):
    from benchmarks.feature_study import study_cell
    from keras_adegan.data import load_dataset
    from keras_adegan.splits import make_splits

    out, metrics = trained_run
    splits = make_splits(load_dataset("digits"), 0, tiny_config.val_fraction, tiny_config.seed,
                         tiny_config.train_limit)  # the run's own splits
    model = load_detector(out / "model.keras")
    variants, _ = study_cell(model, splits, None, 0, sources=("extractor", "noise"))
    assert len(variants) == 2 * (1 + 2 * 3)  # per source: Gaussians, kNN x 2 distances x 3 k
    key = variant_key(tiny_config)
    assert variants[key] == pytest.approx(metrics["validation"]["auroc_features"], abs=1e-6)
    other = "extractor|knn|euclidean|10|full"
    options = {"score": "features", "bank_selection": "random", **variant_options(other)}
    assert variants[other] == pytest.approx(validation_auroc(model, splits, options), abs=1e-6)


def test_a_rotation_models_weighted_variant_is_what_its_scoring_computes(digits_splits):
    from benchmarks.feature_study import study_cell
    from keras_adegan import ADeGAN, to_model_range

    model = ADeGAN(image_shape=digits_splits.train_x.shape[1:], n_patterns=4, noise_dim=4,
                   width=4, real_task="rotation")
    model.compile()
    model.fit_feature_score(to_model_range(digits_splits.train_x))
    variants, _ = study_cell(model, digits_splits, None, 0, sources=("extractor", "noise"))
    key = "extractor|knn|cosine|5|full|rot2"
    options = {"score": "features", "bank_selection": "random", **variant_options(key)}
    assert variants[key] == pytest.approx(validation_auroc(model, digits_splits, options),
                                          abs=1e-6)


def test_the_grid_scores_every_cell_on_validation_records_it_and_resumes(trained_run, tmp_path,
                                                                         capsys):
    runs = tmp_path / "runs"
    shutil.copytree(trained_run[0], runs / "digits" / "class0-seed0")
    results = tmp_path / "results"
    args = ["--dataset", "digits", "--classes", "0", "--seeds", "0", "--results-dir",
            str(results), "--runs-dir", str(runs)]
    assert main(args) == 0
    entry = json.loads((results / "scoring_grid.json").read_text())["datasets"]["digits"]
    cell = entry["cells"]["class0-seed0"]
    assert entry["preset"] == "noise|knn|cosine|5|full" and len(cell["variants"]) == 14
    text = (results / "scoring_grid.md").read_text()
    assert "test split was not read" in text and "Decision:" in text and "(preset)" in text
    row = next(line for line in text.splitlines() if "(preset)" in line)
    assert row.startswith("| noise, knn, cosine, k = 5 (preset) |") and row.count("|") == 4
    assert main(args) == 0  # a finished cell is kept, not scored again
    again = json.loads((results / "scoring_grid.json").read_text())["datasets"]["digits"]
    assert again["cells"]["class0-seed0"]["seconds"] == cell["seconds"]
    capsys.readouterr()
    partial = json.loads((results / "scoring_grid.json").read_text())
    partial["datasets"]["digits"]["requested"] = 3  # as if stopped after one cell of three
    write_markdown(partial, tmp_path / "partial.md")
    assert "Decision: none yet: 1 of the 3 cells asked for are scored." in (
        tmp_path / "partial.md").read_text()
    assert main(args + ["--classes", "0,1"]) == 2  # class 1 was never trained
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no trained model for class1-seed0" in err[0]
    assert json.loads((results / "scoring_grid.json").read_text())["datasets"]["digits"] == again
