import keras
import numpy as np
import pytest

from keras_adegan import ADeGANError, to_model_range
from keras_adegan.clusters import PixelClusters
from keras_adegan.networks import build_extractor
from tests.conftest import random_images
from tests.test_model import calibrated, tiny_model, tiny_stream


def two_blobs(n=20, seed=0):
    """Images with ink in their left half and images with one column of ink in their right half
    (n of each, on a background of -1), with which blob each came from."""
    rng = np.random.default_rng(seed)
    x = np.full((2 * n, 8, 8, 1), -1.0)
    x[:n, :, :4] = 0.8
    x[n:, :, 6] = 0.8
    return np.clip(x + rng.normal(0, 0.05, x.shape), -1, 1).astype(np.float32), \
        np.repeat([0, 1], n)


def test_the_clusters_are_k_means_of_the_pixels_and_round_trip():
    x, blob = two_blobs()
    clusters = PixelClusters(2, (8, 8, 1))
    assert not clusters.is_fitted
    sizes = clusters.fit(x, seed=0)
    assert clusters.is_fitted and sorted(sizes) == [20, 20]
    labels = clusters(x).numpy()
    assert len(set(labels[blob == 0])) == 1 and len(set(labels[blob == 1])) == 1
    assert labels[0] != labels[-1]  # one cluster per blob
    copy = keras.layers.deserialize(keras.layers.serialize(clusters))
    copy.set_weights(clusters.get_weights())
    np.testing.assert_array_equal(copy(x).numpy(), labels)
    assert copy.get_config()["image_shape"] == [8, 8, 1]


def test_the_amount_of_ink_does_not_decide_a_cluster():
    """Round 7's failure: in raw pixels a faint left-half image lies nearer the thin column's
    centroid than its own. On unit-length pixels the same shape with less ink stays put."""
    x, blob = two_blobs()
    clusters = PixelClusters(2, (8, 8, 1))
    clusters.fit(x, seed=0)
    faint = (x + 1.0) / 2.0 * 0.3 * 2.0 - 1.0  # the same images with 30% of their ink
    np.testing.assert_array_equal(clusters(faint).numpy(), clusters(x).numpy())
    blank = -np.ones((1, 8, 8, 1), np.float32)  # no ink at all: a cluster, not a NaN
    assert 0 <= int(clusters(blank)[0]) < 2


def test_fewer_images_than_clusters_is_a_clear_error():
    with pytest.raises(ValueError, match="at least as many"):
        PixelClusters(3, (8, 8, 1)).fit(two_blobs(n=1)[0])


def test_the_loss_is_the_cross_entropy_of_e_s_patterns_against_the_clusters():
    x, _ = two_blobs()
    clusters = PixelClusters(2, (8, 8, 1))
    clusters.fit(x)
    e = build_extractor((8, 8, 1), n_patterns=2, noise_dim=2, width=4)
    logits = e(x, training=True)[0].numpy()
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(log_p[np.arange(len(x)), clusters(x).numpy()])
    assert float(clusters.loss(e, x)) == pytest.approx(expected, rel=1e-5)


def test_the_cluster_task_trains_e_on_real_normals_and_round_trips(tmp_path):
    """Beyond the paper: with real_task="clusters", stage 2 also teaches E's pattern head the
    k-means clusters of real normals; the centroids are saved with the model."""
    model = tiny_model(stage1_epochs=1, real_task="clusters")
    assert model.cluster_task is not None and tiny_model().cluster_task is None
    with pytest.raises(ADeGANError, match=r"model.adapt\(train_normals\) first"):
        model.fit(tiny_stream(), epochs=2, verbose=0)
    model.adapt(to_model_range(random_images(64)))
    assert model.cluster_task.is_fitted
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert "real_loss" in history and np.isfinite(history["real_loss"][-1])
    calibrated(model)
    images = to_model_range(random_images(10, seed=4))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.real_task == "clusters" and loaded.cluster_task.is_fitted
    np.testing.assert_array_equal(loaded.cluster_task(images), model.cluster_task(images))
    np.testing.assert_array_equal(loaded.score(images)["score"], model.score(images)["score"])
    copy = model.with_scoring(feature_k=1)
    np.testing.assert_array_equal(copy.cluster_task.get_weights()[0],
                                  model.cluster_task.get_weights()[0])


def test_adapt_keeps_fitted_clusters_and_has_nothing_to_fit_without_the_task():
    """A continued model keeps the clusters E learnt; a model without the task trains after
    `adapt` as without it, so every training loop may call it."""
    model = tiny_model(real_task="clusters")
    model.adapt(to_model_range(random_images(64)))
    centroids = model.cluster_task.get_weights()[0].copy()
    model.adapt(to_model_range(random_images(64, seed=9)))
    np.testing.assert_array_equal(model.cluster_task.get_weights()[0], centroids)
    plain = tiny_model(stage1_epochs=1)
    plain.adapt(to_model_range(random_images(8)))
    assert plain.cluster_task is None
    assert "real_loss" not in plain.fit(tiny_stream(), epochs=2, verbose=0).history
