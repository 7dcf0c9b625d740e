import json

import numpy as np
import pytest

from keras_adegan import features

from benchmarks.edge_head import CHANNEL_BYTES, bank_rows, decide, estimated_bytes, low_rank, main, name


def test_the_study_takes_banks_as_the_library_does():
    points = np.random.default_rng(0).normal(size=(120, 2)).astype(np.float32)
    order = features.greedy_coreset(points, 10, seed=3)
    np.testing.assert_array_equal(bank_rows("coreset-4", points, 3), np.sort(order[:4]))
    np.testing.assert_array_equal(bank_rows("coreset-4", points, 3, order), np.sort(order[:4]))
    np.testing.assert_array_equal(bank_rows("random-7", points, 0),
                                  features.select_bank(points, 7, 0))
    assert len(bank_rows("all", points, 0)) == 120


def test_low_rank_keeps_a_matrix_of_that_rank_and_leaves_a_full_rank_alone():
    rng = np.random.default_rng(0)
    rank2 = (rng.normal(size=(12, 2)) @ rng.normal(size=(2, 6))).astype(np.float32)
    np.testing.assert_allclose(low_rank(rank2, 2), rank2, atol=1e-5)
    assert np.linalg.matrix_rank(low_rank(rank2, 1)) == 1
    assert low_rank(rank2, None) is rank2 and low_rank(rank2, 6) is rank2


def test_estimated_bytes_counts_weights_channels_and_bank():
    layers = [(100, 10), (40 * 20, 20)]  # a conv of 10 channels, a dense 40 -> 20
    base = 100 + 10 * (CHANNEL_BYTES + 4)
    full = base + 800 + 20 * (CHANNEL_BYTES + 4)
    assert estimated_bytes(layers, 1, None, 20, None, 5, "cosine") == full + 5 * (20 + 12)
    # rank 2: 2 x (40 + 20) weights and 2 + 20 channels; projection to 4; euclidean norms
    low = base + 2 * 60 + 22 * (CHANNEL_BYTES + 4)
    assert estimated_bytes(layers, 1, 2, 20, 4, 5, "euclidean") == \
        low + 20 * 4 + 4 * CHANNEL_BYTES + 5 * (4 + 12 + 4)


def cell(dataset, costs, sizes):
    """A cell whose as-trained AUROC is 0.9 and each candidate's 0.9 minus its cost."""
    reference = name(None, None, "all")
    return {"dataset": dataset, "candidates": {
        reference: {"auroc": 0.9, "bytes": 1000},
        **{c: {"auroc": 0.9 - cost, "bytes": sizes[c]} for c, cost in costs.items()}}}


def test_the_rule_takes_each_datasets_smallest_qualifying_candidate():
    small, smaller = name(32, None, "all"), name(16, None, "all")
    sizes = {small: 500, smaller: 100}
    cells = [cell("mnist", {small: 0.004, smaller: 0.02}, sizes)] * 2
    # one cifar10 cell loses 0.012 with `small`: only the model as trained qualifies there
    cells += [cell("cifar10", {small: 0.012, smaller: 0.0}, sizes),
              cell("cifar10", {small: 0.0, smaller: 0.0}, sizes)]
    decision = decide(cells)
    assert decision["mnist"] == small
    assert decision["cifar10"] == smaller
    assert decision["folder"] == name(None, None, "all")  # the only one both accept


def test_a_run_is_measured_on_validation_and_read_back(trained_run, tmp_path, monkeypatch):
    args = [str(trained_run[0]), "--results", str(tmp_path / "head")]
    assert main(args) == 0
    data = json.loads((tmp_path / "head.json").read_text())
    (only,) = data["cells"]
    as_trained = only["candidates"][name(None, None, "all")]["auroc"]
    assert as_trained == pytest.approx(only["stored_validation"], abs=1e-6)
    # 256 training normals: every bank keeps them all
    assert only["candidates"][name(None, None, "coreset-2048")]["auroc"] == as_trained
    assert set(only["paper_score_auroc"]) == {"full", "64", "32", "16"}
    assert "## digits" in (tmp_path / "head.md").read_text()
    # the study measures what the product scores with: a rank-16 E through the model
    from keras_adegan.images import to_model_range
    from keras_adegan.metrics import component_scores, ranking_metrics
    from keras_adegan.model import load_detector
    from keras_adegan.splits import run_splits

    model = load_detector(trained_run[0] / "model.keras")
    splits = run_splits(model.run_config)
    compact = model.with_scoring(extractor_rank=16)
    compact.fit_feature_score(to_model_range(splits.train_x))
    compact.calibrate(to_model_range(splits.val_normals))
    figures = ranking_metrics(component_scores(compact.score(to_model_range(splits.val_x))),
                              splits.val_y)
    assert figures["auroc_features"] == pytest.approx(
        only["candidates"][name(16, None, "all")]["auroc"], abs=1e-3)

    import benchmarks.edge_head

    monkeypatch.setattr(benchmarks.edge_head, "measure", lambda *a: 1 / 0)
    assert main(args) == 0  # read back, not measured again
