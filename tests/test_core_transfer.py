import json

import numpy as np
import pytest
import tensorflow as tf

import benchmarks.core_transfer as core_transfer


def test_jitter_moves_the_image_keeps_its_range_and_fills_with_background():
    image = -np.ones((1, 8, 8, 1), np.float32)
    image[0, 3:5, 3:5] = 1.0
    moved = core_transfer.jitter(tf.constant(image), tf.constant([0, 1], tf.int64)).numpy()
    assert moved.shape == image.shape and moved.min() >= -1 and moved.max() <= 1
    bright = np.argwhere(moved[0, ..., 0] > 0.5)
    assert len(bright) >= 3  # the square is still there (noise may dim one pixel)
    assert np.all(np.abs(bright.mean(axis=0) - 3.5) <= core_transfer.SHIFT)


def test_a_run_is_measured_on_validation_and_read_back(trained_run, tmp_path, monkeypatch):
    monkeypatch.setattr(core_transfer, "STEPS", 3)
    args = [str(trained_run[0]), "--results", str(tmp_path / "transfer")]
    assert core_transfer.main(args) == 0
    (only,) = json.loads((tmp_path / "transfer.json").read_text())["cells"]
    assert 0 <= only["fresh_acc"] <= 1 and 0 <= only["own_acc"] <= 1
    metrics = json.loads((trained_run[0] / "metrics.json").read_text())
    assert only["own_acc"] == pytest.approx(metrics["core"]["cluster_acc"])  # the same E
    assert "fresh ACC" in (tmp_path / "transfer.md").read_text()
    monkeypatch.setattr(core_transfer, "measure", lambda *a: 1 / 0)
    assert core_transfer.main(args) == 0  # read back, not measured again
