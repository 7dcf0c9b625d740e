import numpy as np
import pytest

from keras_adegan.baselines import knn_scores, pca_scores
from keras_adegan.errors import ADeGANError
from keras_adegan.metrics import ranking_metrics
from tests.conftest import random_images


def _two_blobs(seed=0):
    """Normals near one image, anomalies near another: any sane baseline separates them."""
    rng = np.random.default_rng(seed)
    normal, odd = rng.integers(0, 256, (2, 8, 8, 1))
    def noisy(center, n):
        return np.clip(center + rng.normal(0, 10, (n, 8, 8, 1)), 0, 255).astype(np.uint8)
    train = noisy(normal, 60)
    test = np.concatenate([noisy(normal, 20), noisy(odd, 20)])
    return train, test, np.r_[np.zeros(20), np.ones(20)]


@pytest.mark.parametrize("score", [lambda a, b: pca_scores(a, b, n_components=4), knn_scores])
def test_baselines_rank_outliers_above_normals(score):
    train, test, labels = _two_blobs()
    values = score(train, test)
    assert values.shape == (40,) and np.all(np.isfinite(values))
    assert ranking_metrics({"s": values}, labels)["auroc_s"] > 0.95


def test_knn_is_zero_on_training_images_with_k1():
    train = random_images(10, (8, 8, 1))
    np.testing.assert_allclose(knn_scores(train, train, k=1), 0.0, atol=1e-6)


def test_pca_with_full_rank_reconstructs_exactly():
    train = random_images(20, (4, 4, 1))
    np.testing.assert_allclose(pca_scores(train, train, n_components=16), 0.0, atol=1e-9)


def test_too_few_training_images_is_a_clear_error():
    train = random_images(3, (4, 4, 1))
    with pytest.raises(ADeGANError, match="k=5 needs at least 5"):
        knn_scores(train, train, k=5)
    with pytest.raises(ADeGANError, match="32 components"):
        pca_scores(train, train)
