import numpy as np
import pytest

from keras_adegan import ADeGANError
from keras_adegan.networks import (ResidualBlock, build_discriminator, build_extractor,
                                   build_generator, run_to_features)


@pytest.mark.parametrize("shape", [(28, 28, 1), (32, 32, 3), (64, 48, 3)])
def test_shapes(shape):
    g = build_generator(shape, n_patterns=10, noise_dim=16, width=4)
    d = build_discriminator(shape, width=4)
    e = build_extractor(shape, n_patterns=10, noise_dim=16, width=4)
    images = g(np.zeros((2, 26), np.float32))
    assert images.shape == (2,) + shape
    assert np.all(np.abs(images.numpy()) <= 1.0)  # tanh output
    assert d(images).shape == (2, 1)
    logits, z_n = e(images)
    assert logits.shape == (2, 10) and z_n.shape == (2, 16)


@pytest.mark.parametrize("shape", [(30, 28, 1), (28, 28), (28, 26, 3)])
def test_unsupported_shape(shape):
    with pytest.raises(ADeGANError, match="divisible by 4"):
        build_generator(shape, 10, 16, 4)


def test_dtype_policy_is_passed_to_the_layers_not_set_globally():
    import keras

    from keras_adegan.networks import build_extractor

    before = keras.config.dtype_policy().name
    e = build_extractor((16, 16, 1), n_patterns=4, noise_dim=4, width=4, dtype="mixed_bfloat16")
    assert keras.config.dtype_policy().name == before  # nothing global changed
    assert e.get_layer("features").compute_dtype == "bfloat16"
    assert e.get_layer("features").variable_dtype == "float32"
    assert [t.dtype for t in e.outputs] == ["float32", "float32"]  # heads stay float32


def test_a_deeper_extractor_keeps_the_feature_shapes_and_runs_to_its_features():
    plain = build_extractor((16, 16, 3), n_patterns=4, noise_dim=4, width=4)
    deeper = build_extractor((16, 16, 3), n_patterns=4, noise_dim=4, width=4, blocks=2)
    blocks = [layer for layer in deeper.layers if isinstance(layer, ResidualBlock)]
    assert [b.filters for b in blocks] == [4, 4, 8, 8]  # two after each strided convolution
    assert deeper.count_params() > plain.count_params()
    x = np.random.default_rng(0).normal(size=(3, 16, 16, 3)).astype("float32")
    for e in (plain, deeper):
        assert [t.shape for t in e(x)] == [(3, 4), (3, 4)]
    hidden = run_to_features(deeper, x)  # the chain walk reaches "features" through the blocks
    np.testing.assert_allclose(deeper.get_layer("z_n")(hidden), deeper(x)[1], atol=1e-6)
    with pytest.raises(ADeGANError, match="whole number >= 0"):
        build_extractor((16, 16, 3), 4, 4, 4, blocks=-1)


def test_residual_block_adds_its_input_and_round_trips():
    import keras

    block = ResidualBlock(3)
    x = np.random.default_rng(1).normal(size=(2, 5, 5, 3)).astype("float32")
    y = block(x).numpy()
    for conv in (block.conv1, block.conv2):
        conv.set_weights([np.zeros_like(w) for w in conv.get_weights()])
    np.testing.assert_allclose(block(x), np.where(x > 0, x, 0.2 * x), atol=1e-6)  # the skip
    copy = keras.layers.deserialize(keras.layers.serialize(block))
    assert copy.get_config() == block.get_config() and copy.filters == 3
    assert not np.allclose(y, block(x))
    with pytest.raises(ValueError, match="needs 3 input channels, got 2"):
        ResidualBlock(3)(np.zeros((1, 4, 4, 2), "float32"))


def test_a_deeper_extractor_takes_the_dtype_policy():
    e = build_extractor((16, 16, 1), n_patterns=4, noise_dim=4, width=4, blocks=1,
                        dtype="mixed_bfloat16")
    block = next(layer for layer in e.layers if isinstance(layer, ResidualBlock))
    assert block.compute_dtype == "bfloat16" and block.conv1.compute_dtype == "bfloat16"
    assert block.conv1.variable_dtype == "float32"
