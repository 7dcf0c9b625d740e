import numpy as np
import pytest

from keras_adegan import ADeGANError
from keras_adegan.networks import build_discriminator, build_extractor, build_generator, run_to_features


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


def test_run_to_features_stops_at_the_features_layer():
    e = build_extractor((16, 16, 3), n_patterns=4, noise_dim=4, width=4)
    d = build_discriminator((16, 16, 3), width=4)
    x = np.random.default_rng(0).normal(size=(3, 16, 16, 3)).astype("float32")
    hidden = run_to_features(e, x)
    assert hidden.shape == (3, 8 * 4)
    np.testing.assert_allclose(e.get_layer("z_n")(hidden), e(x)[1], atol=1e-6)
    assert run_to_features(d, x).shape == (3, 4 * 4 * 2 * 4)  # D's flattened trunk
    with pytest.raises(ValueError, match="no layer named 'features'"):
        run_to_features(build_generator((16, 16, 3), 4, 4, 4), np.zeros((1, 8), "float32"))



def test_low_rank_factors_reduce_the_dense_layer_to_its_outputs_top_directions():
    import keras

    from keras_adegan.networks import LowRankFactors, feature_dense

    e = build_extractor((16, 16, 1), n_patterns=4, noise_dim=4, width=4)
    normals = np.random.default_rng(0).normal(size=(40, 16, 16, 1)).astype("float32")
    x = np.random.default_rng(1).normal(size=(3, 16, 16, 1)).astype("float32")
    dense = feature_dense(e)
    factors = LowRankFactors(*dense.kernel.shape, rank=3)
    # not fitted yet: the trained layer
    np.testing.assert_array_equal(run_to_features(e, x, factors=factors), run_to_features(e, x))
    outputs = run_to_features(e, normals, until=dense.name).numpy()
    factors.fit(dense, outputs)
    low = run_to_features(e, x, factors=factors, until=dense.name).numpy()
    # mu + (y - mu) U U^T, U the top 3 right singular vectors of the centred outputs
    mean = outputs.mean(0)
    u = np.linalg.svd(outputs - mean)[2][:3].T
    y = run_to_features(e, x, until=dense.name).numpy()
    np.testing.assert_allclose(low, mean + (y - mean) @ u @ u.T, atol=1e-4)
    assert not np.allclose(low, y, atol=1e-3)
    # at full rank the factors are the layer itself
    full = LowRankFactors(*dense.kernel.shape, rank=dense.kernel.shape[1])
    full.fit(dense, outputs)
    np.testing.assert_allclose(run_to_features(e, x, factors=full), run_to_features(e, x),
                               atol=1e-4)
    again = keras.layers.deserialize(keras.layers.serialize(factors))
    assert again.get_config() == factors.get_config() and not again.is_fitted


def test_low_rank_factors_saved_before_the_offset_load_with_none():
    from keras_adegan.networks import LowRankFactors

    rng = np.random.default_rng(0)
    left, right = rng.normal(size=(6, 2)), rng.normal(size=(2, 5))
    factors = LowRankFactors(6, 5, rank=2)
    factors.offset.assign(np.ones(5))
    # the kernel's SVD factors as stored then: left, right and the fitted flag
    factors.load_own_variables({"0": left, "1": right, "2": np.float32(1.0)})
    x = rng.normal(size=(3, 6)).astype("float32")
    assert factors.is_fitted
    np.testing.assert_allclose(factors(x), x @ left @ right, atol=1e-5)
    with pytest.raises(ValueError):  # any other count is still refused
        factors.load_own_variables({"0": left, "1": right})
