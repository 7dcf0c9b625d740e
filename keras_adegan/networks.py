"""DCGAN-style generator G, discriminator D and extractor E for any H x W x C (H, W divisible by 4).

G(z) with z = [z_c, z_n]: dense -> (H/4, W/4, 2*width) -> two stride-2 transposed convolutions ->
tanh image in [-1, 1]. D and E share the shape of their trunk (two stride-2 convolutions with
LeakyReLU) but not their weights; E ends in two heads, pattern logits (n_c) and z_n. The layer
named "features" in E (before its heads) and in D (its flattened trunk) feeds the feature score.

Output layers always compute in float32, so that under a mixed-precision policy (bfloat16 or
float16 compute, float32 variables) the losses and scores stay float32.

Batch normalisation in G is synchronised across replicas, so that training under a
`tf.distribute` strategy computes the same statistics as on one device.

Example:
    >>> g = build_generator((28, 28, 1), n_patterns=10, noise_dim=16, width=32)
    >>> g.output_shape
    (None, 28, 28, 1)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from keras_adegan.errors import ADeGANError

# G's batch statistics are used at scoring time (inference mode). Keras' default momentum (0.99)
# needs many hundred steps to forget its initial (0, 1) state, more than a short run has.
BN_MOMENTUM = 0.9


def check_image_shape(image_shape) -> tuple[int, int, int]:
    """(H, W, C) as ints, or `ADeGANError` if the networks cannot take that shape."""
    if len(image_shape) != 3 or image_shape[0] % 4 or image_shape[1] % 4 or image_shape[2] < 1:
        raise ADeGANError(
            f"image shape {tuple(image_shape)} is not supported: height and width must be "
            "divisible by 4 (e.g. 28x28x1, 32x32x3, 64x64x3); resize with --image-size"
        )
    return tuple(int(v) for v in image_shape)


def build_generator(image_shape, n_patterns: int, noise_dim: int, width: int,
                    dtype=None) -> keras.Model:
    """G: [z_c (n_patterns), z_n (noise_dim)] -> image in [-1, 1]; `dtype`: the dtype policy of
    its inner layers (e.g. "mixed_bfloat16"; None: Keras's global policy)."""
    h, w, c = check_image_shape(image_shape)
    z = keras.Input((n_patterns + noise_dim,), name="z")
    y = layers.Dense((h // 4) * (w // 4) * 2 * width, use_bias=False, dtype=dtype)(z)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, synchronized=True, dtype=dtype)(y)
    y = layers.ReLU(dtype=dtype)(y)
    y = layers.Reshape((h // 4, w // 4, 2 * width), dtype=dtype)(y)
    y = layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False, dtype=dtype)(y)
    y = layers.BatchNormalization(momentum=BN_MOMENTUM, synchronized=True, dtype=dtype)(y)
    y = layers.ReLU(dtype=dtype)(y)
    y = layers.Conv2DTranspose(c, 4, strides=2, padding="same", activation="tanh",
                               dtype="float32")(y)
    return keras.Model(z, y, name="generator")


def _trunk(x, width: int, name: str, dtype=None):
    y = x
    for filters in (width, 2 * width):
        y = layers.Conv2D(filters, 4, strides=2, padding="same", dtype=dtype)(y)
        y = layers.LeakyReLU(0.2, dtype=dtype)(y)
    return layers.Flatten(name=name, dtype=dtype)(y)


def build_discriminator(image_shape, width: int, dtype=None) -> keras.Model:
    """D: image -> one real/fake logit (`dtype` as for `build_generator`)."""
    x = keras.Input(check_image_shape(image_shape), name="image")
    logit = layers.Dense(1, name="logit", dtype="float32")(_trunk(x, width, "features", dtype))
    return keras.Model(x, logit, name="discriminator")


def build_extractor(image_shape, n_patterns: int, noise_dim: int, width: int,
                    dtype=None) -> keras.Model:
    """E: image -> (pattern logits (n_patterns), z_n (noise_dim)) (`dtype` as for
    `build_generator`)."""
    x = keras.Input(check_image_shape(image_shape), name="image")
    y = layers.Dense(8 * width, dtype=dtype)(_trunk(x, width, "trunk", dtype))
    y = layers.LeakyReLU(0.2, name="features", dtype=dtype)(y)
    logits = layers.Dense(n_patterns, name="pattern_logits", dtype="float32")(y)
    z_n = layers.Dense(noise_dim, name="z_n", dtype="float32")(y)
    return keras.Model(x, [logits, z_n], name="extractor")


def feature_dense(extractor: keras.Model) -> layers.Dense:
    """E's dense layer from its trunk to its features (the layer before "features")."""
    names = [layer.name for layer in extractor.layers]
    return extractor.layers[names.index("features") - 1]


def output_rank_factors(kernel, bias, outputs, rank: int):
    """(A, B, c) such that x A B + bias + c is the dense layer's output y = x kernel + bias
    reduced to its top `rank` principal directions U over `outputs` (its outputs on the
    training normals, mean mu): mu + (y - mu) U U^T."""
    outputs = np.asarray(outputs, np.float64)
    mean = outputs.mean(0)
    centred = outputs - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    u = vectors[:, ::-1][:, :rank]
    offset = (np.asarray(bias, np.float64) - mean) @ u @ u.T + mean - bias
    return tuple(a.astype(np.float32) for a in (np.asarray(kernel, np.float64) @ u, u.T, offset))


@keras.saving.register_keras_serializable(package="keras_adegan")
class LowRankFactors(layers.Layer):
    """A rank-r stand-in for E's dense layer, fitted after training on its outputs: the layer's
    output reduced to its top r principal directions over the training normals, stored as
    factors A (inputs, r) and B (r, units) and an offset added to the layer's bias, so an
    exported E holds r (inputs + units) weights instead of inputs x units (beyond the paper: a
    smaller file for an edge device; `studies/edge_fitted_rank.py`). A model saved before the
    offset existed (factors from the kernel's SVD, `studies/edge_joint.py`) loads with a zero
    offset and scores as it did.

    Args:
        inputs: the dense layer's input length.
        units: its output length.
        rank: r.

    Example:
        >>> factors = LowRankFactors(3136, 256, rank=64)
        >>> dense = feature_dense(extractor)
        >>> factors.fit(dense, run_to_features(extractor, normals, until=dense.name))
        >>> hidden = run_to_features(extractor, images, factors=factors)
    """

    def __init__(self, inputs, units, rank, **kwargs):
        kwargs.setdefault("name", "low_rank_factors")
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.inputs, self.units, self.rank = int(inputs), int(units), int(rank)
        self.left = self.add_weight(name="left", shape=(self.inputs, self.rank),
                                    initializer="zeros", trainable=False)
        self.right = self.add_weight(name="right", shape=(self.rank, self.units),
                                     initializer="zeros", trainable=False)
        self.fitted = self.add_weight(name="fitted", shape=(), initializer="zeros",
                                      trainable=False)
        self.offset = self.add_weight(name="offset", shape=(self.units,), initializer="zeros",
                                      trainable=False)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "inputs": self.inputs, "units": self.units,
                "rank": self.rank}

    @property
    def is_fitted(self) -> bool:
        with tf.init_scope():  # read now, also while a tf.function is being traced
            return bool(keras.ops.convert_to_numpy(self.fitted) > 0.5)

    def fit(self, dense: layers.Dense, outputs) -> None:
        """Fill A, B and the offset from the trained `dense` layer and its `outputs` (before
        the activation) on the training normals."""
        left, right, offset = output_rank_factors(dense.kernel.numpy(), dense.bias.numpy(),
                                                  outputs, self.rank)
        self.left.assign(left)
        self.right.assign(right)
        self.offset.assign(offset)
        self.fitted.assign(1.0)

    def load_own_variables(self, store):
        if len(store.keys()) == 3:  # saved before the offset: the kernel's SVD, no offset
            for i, variable in enumerate((self.left, self.right, self.fitted)):
                variable.assign(store[str(i)])
            self.offset.assign(np.zeros(self.units, np.float32))
            return
        super().load_own_variables(store)

    def call(self, x):
        return (keras.ops.matmul(keras.ops.matmul(x, keras.ops.cast(self.left, x.dtype)),
                                 keras.ops.cast(self.right, x.dtype))
                + keras.ops.cast(self.offset, x.dtype))


def run_to_features(network: keras.Model, x, training: bool = False,
                    factors: LowRankFactors | None = None, until: str = "features"):
    """The activations of `network`'s layer named `until` (by default "features": in E the
    layer feeding its two heads, 8 * width values; in D its flattened trunk), by running its
    layers up to that one; with fitted `factors`, E's dense layer computes x A B + bias +
    offset instead of x W + bias."""
    low_rank = factors is not None and factors.is_fitted
    dense = feature_dense(network) if low_rank else None
    y = x
    for layer in network.layers[1:]:
        if layer is dense:
            y = factors(y) + keras.ops.cast(layer.bias, y.dtype)
        else:
            y = layer(y, training=training)
        if layer.name == until:
            return y
    raise ValueError(f"{network.name} has no layer named '{until}'")
