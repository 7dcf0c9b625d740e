"""Classical anomaly scores that every deep result is compared with: PCA and kNN on raw pixels.

Both are fitted on the normal training images only and cost seconds. Scores are larger for
more anomalous images, like the detector's.

Example:
    >>> import numpy as np
    >>> train = np.random.default_rng(0).integers(0, 255, (100, 8, 8, 1), dtype=np.uint8)
    >>> knn_scores(train, train[:3], k=5).shape
    (3,)
"""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from keras_adegan.errors import ADeGANError


def _flat(images) -> np.ndarray:
    """Images as float32 rows in [0, 1]."""
    images = np.asarray(images)
    return images.reshape(len(images), -1).astype(np.float32) / 255.0


def pca_scores(train_images, test_images, n_components: int = 32, seed: int = 0) -> np.ndarray:
    """Mean squared error of each test image's reconstruction from the training images' PCA."""
    train = _flat(train_images)
    if n_components > min(train.shape):
        raise ADeGANError(f"PCA with {n_components} components needs at least that many "
                          f"training images and pixels (got {train.shape[0]} x {train.shape[1]})")
    pca = PCA(n_components=n_components, random_state=seed).fit(train)
    test = _flat(test_images)
    recon = pca.inverse_transform(pca.transform(test))
    return np.mean((test - recon) ** 2, axis=1)


def knn_scores(train_images, test_images, k: int = 5) -> np.ndarray:
    """Mean Euclidean distance of each test image to its `k` nearest training images."""
    train = _flat(train_images)
    if k > len(train):
        raise ADeGANError(f"kNN with k={k} needs at least {k} training images (got {len(train)})")
    distances, _ = NearestNeighbors(n_neighbors=k).fit(train).kneighbors(_flat(test_images))
    return distances.mean(axis=1)

