"""DCGAN-style generator G, discriminator D and extractor E for any H x W x C (H, W divisible by 4).

G(z) with z = [z_c, z_n]: dense -> (H/4, W/4, 2*width) -> two stride-2 transposed convolutions ->
tanh image in [-1, 1]. D and E share the shape of their trunk (two stride-2 convolutions with
LeakyReLU) but not their weights; E ends in two heads, pattern logits (n_c) and z_n. The layer
named "features" in E (before its heads) and in D (its flattened trunk) feeds the feature score.
Beyond the paper, E can be made deeper: `blocks` residual blocks (`ResidualBlock`, two 3x3
convolutions and a skip) after each of its strided convolutions, at the same feature shapes.

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


@keras.saving.register_keras_serializable(package="keras_adegan")
class ResidualBlock(layers.Layer):
    """y = LeakyReLU(x + conv(LeakyReLU(conv(x)))), two 3x3 same-padding convolutions that keep
    the shape of `x` (`filters` channels in and out).

    One layer, so that E stays a chain of layers (`run_to_features` walks it in order).

    Example:
        >>> ResidualBlock(8).compute_output_shape((None, 7, 7, 8))
        (None, 7, 7, 8)
    """

    def __init__(self, filters: int, **kwargs):
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.conv1 = layers.Conv2D(self.filters, 3, padding="same", dtype=self.dtype_policy,
                                   name="conv1")
        self.conv2 = layers.Conv2D(self.filters, 3, padding="same", dtype=self.dtype_policy,
                                   name="conv2")

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            raise ValueError(f"ResidualBlock({self.filters}) needs {self.filters} input "
                             f"channels, got {input_shape[-1]}")
        self.conv1.build(input_shape)
        self.conv2.build(input_shape[:-1] + (self.filters,))

    def call(self, x):
        y = keras.ops.leaky_relu(self.conv1(x), 0.2)
        return keras.ops.leaky_relu(x + self.conv2(y), 0.2)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}


def _trunk(x, width: int, name: str, dtype=None, blocks: int = 0):
    y = x
    for filters in (width, 2 * width):
        y = layers.Conv2D(filters, 4, strides=2, padding="same", dtype=dtype)(y)
        y = layers.LeakyReLU(0.2, dtype=dtype)(y)
        for _ in range(blocks):
            y = ResidualBlock(filters, dtype=dtype)(y)
    return layers.Flatten(name=name, dtype=dtype)(y)


def build_discriminator(image_shape, width: int, dtype=None) -> keras.Model:
    """D: image -> one real/fake logit (`dtype` as for `build_generator`)."""
    x = keras.Input(check_image_shape(image_shape), name="image")
    logit = layers.Dense(1, name="logit", dtype="float32")(_trunk(x, width, "features", dtype))
    return keras.Model(x, logit, name="discriminator")


def build_extractor(image_shape, n_patterns: int, noise_dim: int, width: int,
                    dtype=None, blocks: int = 0) -> keras.Model:
    """E: image -> (pattern logits (n_patterns), z_n (noise_dim)) (`dtype` as for
    `build_generator`); `blocks` residual blocks after each strided convolution (0: the
    paper's DCGAN-style E)."""
    if not (isinstance(blocks, int) and blocks >= 0):
        raise ADeGANError(f"extractor blocks must be a whole number >= 0, got {blocks!r}")
    x = keras.Input(check_image_shape(image_shape), name="image")
    y = layers.Dense(8 * width, dtype=dtype)(_trunk(x, width, "trunk", dtype, blocks))
    y = layers.LeakyReLU(0.2, name="features", dtype=dtype)(y)
    logits = layers.Dense(n_patterns, name="pattern_logits", dtype="float32")(y)
    z_n = layers.Dense(noise_dim, name="z_n", dtype="float32")(y)
    return keras.Model(x, [logits, z_n], name="extractor")


def run_to_features(network: keras.Model, x, training: bool = False):
    """The activations of `network`'s layer named "features" (E: the layer feeding its two
    heads, 8 * width values; D: its flattened trunk), by running its layers up to that one."""
    y = x
    for layer in network.layers[1:]:
        y = layer(y, training=training)
        if layer.name == "features":
            return y
    raise ValueError(f"{network.name} has no layer named 'features'")
