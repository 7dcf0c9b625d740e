import json

import numpy as np
import pytest

from benchmarks.edge_head import (
    CHANNEL_BYTES, bank_rows, decide, estimated_bytes, greedy_coreset, low_rank, main, name,
    principal_directions,
)


def test_low_rank_keeps_a_matrix_of_that_rank_and_leaves_a_full_rank_alone():
    rng = np.random.default_rng(0)
    rank2 = (rng.normal(size=(12, 2)) @ rng.normal(size=(2, 6))).astype(np.float32)
    np.testing.assert_allclose(low_rank(rank2, 2), rank2, atol=1e-5)
    assert np.linalg.matrix_rank(low_rank(rank2, 1)) == 1
    assert low_rank(rank2, None) is rank2 and low_rank(rank2, 6) is rank2


def test_principal_directions_keep_features_that_lie_in_a_subspace():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(8, 3)))[0]
    feats = rng.normal(size=(50, 3)) @ basis.T
    p = principal_directions(feats, 3)
    assert p.shape == (8, 3)
    # distances between projected points are the distances between the points
    a, b = feats[:1] @ p, feats[1:2] @ p
    assert np.linalg.norm(a - b) == pytest.approx(np.linalg.norm(feats[0] - feats[1]), rel=1e-5)


def test_the_coreset_takes_one_point_of_each_cluster_before_a_second_of_any():
    rng = np.random.default_rng(0)
    centres = np.array([[0, 0], [100, 0], [0, 100], [100, 100]], np.float32)
    points = np.concatenate([c + rng.normal(size=(30, 2)) for c in centres]).astype(np.float32)
    order = greedy_coreset(points, 4, seed=3)
    assert sorted(order // 30) == [0, 1, 2, 3]
    # any prefix of a longer order is the shorter coreset
    np.testing.assert_array_equal(greedy_coreset(points, 10, seed=3)[:4], order)
    np.testing.assert_array_equal(bank_rows("coreset-4", points, 3), np.sort(order))
    assert len(bank_rows("random-7", points, 0)) == 7
    assert len(bank_rows("all", points, 0)) == 120
    assert len(greedy_coreset(points, 500)) == 120  # never more rows than points


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

    import benchmarks.edge_head

    monkeypatch.setattr(benchmarks.edge_head, "measure", lambda *a: 1 / 0)
    assert main(args) == 0  # read back, not measured again
