"""The feature score, beyond the paper: how unlike the training normals an image is in E's features.

The paper scores an image by reconstruction and pattern confidence (Eq. 9-11, `scoring`). This
module scores it by a density in the feature space of the trained networks, fitted on training
normals after training. It is stored in the model and exported with it (`ADeGAN(score=...)`).

A fitted *head* holds everything the score needs, as arrays that become the model's weights:

* `bank` (rows, dim), one row per stored point, and `bias` (rows,) added to each row's distance
  (padding rows carry a huge bias, so a bank can hold fewer points than its size);
* `projection` (dim, d) or None, applied to the features first.

score(x) = mean of the `k` smallest distances from f(x) to the bank rows, where
`cosine`: d = 1 - <f/|f|, b> + bias (rows unit length), `euclidean`: d = sqrt(|f|^2 - 2 <f, b> + bias)
(bias = |b|^2). The bank is the training-normal features, a seeded random subset of them, or as
many k-means centroids of them, optionally after projecting the features on their top principal
directions (a smaller bank for an edge device).

In the graph this is a matmul and a `top_k`, both TFLite built-ins.

Example:
    >>> head = fit_head(train_feats, distance="cosine", bank_size=1024)
    >>> scores = head_scores(test_feats, head, k=5, distance="cosine")
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_adegan import scoring
from keras_adegan.config import DISTANCES, FILLS, SOURCES  # noqa: F401 (re-exported)

PADDING = 1e9  # bias of an empty bank row: never among the k nearest
KMEANS_ITERATIONS = 30  # Lloyd's iterations at most for a k-means bank (results/edge_centroids.md)


def feature_dim(source: str, width: int, noise_dim: int) -> int:
    """Length of the feature vector of `source` for networks of `width`: E's features layer
    ("extractor") has 8 * width values, E's z_n ("noise") `noise_dim`."""
    return {"extractor": 8 * width, "noise": noise_dim}[source]


# --------------------------------------------------------------------------- fitting (numpy)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def select_bank(features: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most `size` rows of `features` for a kNN bank, drawn at random
    (seeded); every row when `size` is not smaller."""
    if size >= len(features):
        return np.arange(len(features))
    return np.sort(np.random.default_rng(seed).choice(len(features), size, replace=False))


def kmeans_bank(points: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    """`size` k-means centroids of `points` (Lloyd's iterations, at most `KMEANS_ITERATIONS`,
    started from the seeded random rows `select_bank` draws); the points themselves when
    `size` is not smaller."""
    if size >= len(points):
        return points
    from sklearn.cluster import KMeans

    start = points[select_bank(points, size, seed)]
    kmeans = KMeans(size, init=start, n_init=1, max_iter=KMEANS_ITERATIONS).fit(points)
    return kmeans.cluster_centers_.astype(np.float32)


def principal_directions(features: np.ndarray, d: int) -> np.ndarray:
    """(dim, d): the top-`d` right singular vectors of the (uncentred) features, the projection
    that best keeps their inner products and distances."""
    _, _, vt = np.linalg.svd(np.asarray(features, np.float64), full_matrices=False)
    return vt[:d].T.astype(np.float32)


def fit_head(features, distance: str, bank_size: int, seed: int = 0,
             projection: int | None = None, fill: str = "random") -> dict:
    """Fit the feature score on training-normal features; returns `bank`, `bias`, `projection`.

    Args:
        features: (N, dim) features of training normals.
        distance: `cosine` or `euclidean`.
        bank_size: rows of the bank (it holds min(N, bank_size) points, the rest is padding).
        seed: seed of the bank's random subsampling.
        projection: project the features on their top `projection` principal directions
            first (None: as they are).
        fill: when the bank is smaller than the features, "random" (a seeded random subset
            of them) or "kmeans" (as many k-means centroids of them, of the unit rows for
            `cosine`).
    """
    features = np.asarray(features, np.float32)
    matrix = None
    if projection is not None:
        matrix = principal_directions(features, projection)
        features = features @ matrix
    if fill == "kmeans":
        points = kmeans_bank(_unit(features) if distance == "cosine" else features,
                             bank_size, seed)
    elif fill == "random":
        points = features[select_bank(features, bank_size, seed)]
    else:
        raise ValueError(f"fill must be one of {FILLS}, got {fill!r}")
    if distance == "cosine":
        points = _unit(points)
        bias = np.zeros(len(points))
    elif distance == "euclidean":
        bias = np.sum(points.astype(np.float64) ** 2, axis=1)
    else:
        raise ValueError(f"distance must be one of {DISTANCES}, got {distance!r}")
    pad = bank_size - len(points)
    bank = np.concatenate([points, np.zeros((pad, features.shape[1]), np.float32)])
    bias = np.concatenate([bias, np.full(pad, PADDING)]).astype(np.float32)
    return {"bank": bank, "bias": bias, "projection": matrix}


def nearest_distances(features, head: dict, k: int, distance: str, block: int = 1024):
    """(N, k) distances from each feature vector to its k nearest bank rows, ascending (numpy)."""
    x = np.asarray(features, np.float32)
    if head["projection"] is not None:
        x = x @ head["projection"]
    out = []
    for i in range(0, len(x), block):
        q = x[i:i + block]
        if distance == "cosine":
            d = 1.0 - _unit(q) @ head["bank"].T + head["bias"]
        else:
            d = np.sum(q * q, 1, keepdims=True) - 2 * (q @ head["bank"].T) + head["bias"]
            d = np.sqrt(np.maximum(d, 0))
        part = np.partition(d, k - 1, axis=1)[:, :k] if k < d.shape[1] else d
        out.append(np.sort(part, axis=1))
    return np.concatenate(out)


def head_scores(features, head: dict, k: int, distance: str) -> np.ndarray:
    """The feature score (mean of the k nearest distances) of each feature vector (numpy)."""
    return nearest_distances(features, head, k, distance).mean(axis=1)


# --------------------------------------------------------------------------- graph (TensorFlow)


def graph_scores(features, bank, bias, projection, k: int, distance: str):
    """`head_scores` as TensorFlow ops (matmul and top_k), for the model's `call()`."""
    f = tf.cast(features, tf.float32)
    if projection is not None:
        f = tf.matmul(f, projection)
    dots = tf.matmul(f, bank, transpose_b=True)
    if distance == "cosine":
        norm = tf.sqrt(tf.maximum(tf.reduce_sum(tf.square(f), -1, keepdims=True), 1e-24))
        d = 1.0 - dots / norm + bias
    else:
        d = tf.reduce_sum(tf.square(f), -1, keepdims=True) - 2.0 * dots + bias
        d = tf.sqrt(tf.maximum(d, 0.0))
    nearest, _ = tf.math.top_k(-d, k=k)
    return -tf.reduce_mean(nearest, axis=-1)


def fit_standardisation(density, rotation) -> dict[str, float]:
    """The statistics `standardised_sum` needs, fitted on the two parts' scores of normals
    (the validation normals)."""
    stats = {}
    for name, values in (("density", density), ("rotation", rotation)):
        stats[f"{name}_mean"], stats[f"{name}_std"] = scoring.fit_normal_stats(values)
    return stats


def standardised_sum(density, rotation, stats, weight: float):
    """The feature score with the rotation score added: (density - mean) / std + weight *
    (rotation - mean) / std, each part standardised by `stats` (`density_mean`,
    `density_std`, `rotation_mean`, `rotation_std`: fitted on validation normals)."""
    return ((density - stats["density_mean"]) / stats["density_std"]
            + weight * (rotation - stats["rotation_mean"]) / stats["rotation_std"])
