"""Beyond the paper: the cluster task on real normals (`real_task="clusters"`).

In the paper, E learns its patterns from G's samples alone (L_sl), and G's patterns need not
divide the real normals: on MNIST E's argmax pattern clusters real digits below k-means on raw
pixels (docs/method.md). Self-conditioned GANs (Liu et al., CVPR 2020) take a GAN's classes from
a clustering of the real data instead. With this task, the training normals are clustered once,
before training, by k-means into n_c clusters (`PixelClusters`, fitted by
`ADeGAN.adapt`); in stage 2 E's pattern head must also name the cluster of every real
normal of the batch (cross-entropy, weight `real_weight`). L_sl then makes G draw, for pattern
k, images that E reads as cluster k, while D's term keeps them realistic: G's patterns and E's
follow the real data's clusters. Labels of the classes are never used.

The clusters are taken on unit-length pixel vectors (pixels in [0, 1], each image divided by
its norm): the amount of ink does not decide a cluster. In raw pixels an anomaly with little
ink (MNIST's 1s) lies nearer a centroid than the normals do and falls into one cluster that E
names confidently (core study round 7).

Example:
    >>> clusters = PixelClusters(n_clusters=10, image_shape=(28, 28, 1))
    >>> clusters.fit(train_normals)                     # images in [-1, 1]
    >>> clusters(images)                                # (N,) nearest centroid
    >>> loss = clusters.loss(model.extractor, real_normals)   # in stage 2's tape
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

# k-means is fitted on at most this many training normals (a seeded sample): on MNIST's 54,000
# it changes no centroid that matters and takes seconds instead of minutes.
FIT_SAMPLE = 10_000


def unit_length(flat):
    """Images in [-1, 1], flattened, as unit-length vectors of their [0, 1] pixels (an image
    without ink stays zero), as a tensor."""
    pixels = (flat + 1.0) / 2.0
    norm = keras.ops.sqrt(keras.ops.sum(keras.ops.square(pixels), axis=1, keepdims=True))
    return pixels / keras.ops.maximum(norm, 1e-6)


@keras.saving.register_keras_serializable(package="keras_adegan")
class PixelClusters(keras.layers.Layer):
    """k-means centroids of the training normals' unit-length pixel vectors; calling it gives
    each image's cluster.

    Args:
        n_clusters: how many clusters (the model's n_c).
        image_shape: (H, W, C) of the images.

    Example:
        >>> clusters = PixelClusters(3, (8, 8, 1))
        >>> clusters.fit(images, seed=0)
        >>> clusters(images).shape
        TensorShape([N])
    """

    def __init__(self, n_clusters, image_shape, **kwargs):
        kwargs.setdefault("name", "pixel_clusters")
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.n_clusters = int(n_clusters)
        self.image_shape = tuple(int(v) for v in image_shape)
        self.centroids = self.add_weight(
            name="centroids", shape=(self.n_clusters, int(np.prod(self.image_shape))),
            initializer="zeros", trainable=False)
        self.fitted = self.add_weight(name="fitted", shape=(), initializer="zeros",
                                      trainable=False)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "n_clusters": self.n_clusters,
                "image_shape": list(self.image_shape)}

    @property
    def is_fitted(self) -> bool:
        with tf.init_scope():  # read now, also while a tf.function is being traced
            return bool(keras.ops.convert_to_numpy(self.fitted) > 0.5)

    def fit(self, images, seed: int = 0) -> np.ndarray:
        """Fit the centroids on `images` (N, H, W, C) in [-1, 1] (a seeded sample of at most
        `FIT_SAMPLE`); returns the sample's cluster sizes."""
        from sklearn.cluster import KMeans

        flat = keras.ops.convert_to_numpy(
            unit_length(np.asarray(images, np.float32).reshape(len(images), -1)))
        if len(flat) < self.n_clusters:
            raise ValueError(f"k-means into {self.n_clusters} clusters needs at least as many "
                             f"images, got {len(flat)}")
        pick = np.random.default_rng(seed).permutation(len(flat))[:FIT_SAMPLE]
        kmeans = KMeans(self.n_clusters, n_init=3, random_state=seed).fit(flat[np.sort(pick)])
        self.centroids.assign(kmeans.cluster_centers_.astype(np.float32))
        self.fitted.assign(1.0)
        return np.bincount(kmeans.labels_, minlength=self.n_clusters)

    def call(self, x):
        flat = unit_length(tf.reshape(tf.cast(x, tf.float32), [tf.shape(x)[0], -1]))
        # |x - c|^2 without the |x|^2 that every centroid shares
        distances = (tf.reduce_sum(tf.square(self.centroids), axis=1)[None, :]
                     - 2.0 * tf.matmul(flat, self.centroids, transpose_b=True))
        return tf.argmin(distances, axis=1, output_type=tf.int32)

    def loss(self, extractor, x):
        """Cross-entropy of E's pattern logits for real images `x` against their clusters,
        through `extractor` in training mode."""
        logits, _ = extractor(x, training=True)
        return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=self(x), logits=tf.cast(logits, tf.float32)))
