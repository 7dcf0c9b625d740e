"""E's features as an anomaly score: an option beyond the paper, reported beside Eq. 11.

The extractor E learns, through the pattern task, a representation of the normal data. This
option scores an image by the mean cosine distance between its E features (the activations that
feed E's two heads) and those of its `k` nearest training normals, like kNN-5 on raw pixels but
in E's feature space. It needs the training normals (or a sample of them) at scoring time, so it
is an evaluation option here, not part of the exported scorer.

Example:
    >>> scores = feature_knn_scores(model, splits.train_x, splits.test_x, k=5)
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.neighbors import NearestNeighbors

from keras_adegan.data import to_model_range


def extractor_features(model, images, batch_size: int = 512) -> np.ndarray:
    """L2-normalised activations feeding E's heads, for uint8 images (N, H, W, C)."""
    extractor = model.extractor
    trunk = keras.Model(extractor.input, extractor.get_layer("pattern_logits").input)
    features = trunk.predict(to_model_range(images), batch_size=batch_size, verbose=0)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    return features / np.maximum(norms, 1e-12)


def feature_knn_scores(model, train_images, test_images, k: int = 5) -> np.ndarray:
    """Mean cosine distance of each test image to its `k` nearest training normals in E's space."""
    bank = extractor_features(model, train_images)
    distances, _ = NearestNeighbors(n_neighbors=k).fit(bank).kneighbors(
        extractor_features(model, test_images))
    return np.mean(distances ** 2 / 2.0, axis=1)  # unit vectors: |a - b|^2 / 2 = 1 - cos
