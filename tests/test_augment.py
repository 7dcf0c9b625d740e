import numpy as np
import pytest
import tensorflow as tf

from keras_adegan import augment


def params_for(n, **fixed):
    """View parameters that keep images whole and unchanged, with `fixed` entries replaced."""
    base = {"boxes": np.tile([[0.0, 0.0, 1.0, 1.0]], (n, 1)), "flip": np.zeros(n),
            "jitter": np.zeros(n), "brightness": np.zeros(n), "contrast": np.ones(n),
            "saturation": np.ones(n), "grey": np.zeros(n)}
    base.update(fixed)
    return {k: tf.constant(v, tf.float32) for k, v in base.items()}


def test_draw_is_deterministic_per_seed_and_in_range():
    a = augment.draw_view_params(500, tf.constant([3, 7], tf.int64))
    again = augment.draw_view_params(500, tf.constant([3, 7], tf.int64))
    other = augment.draw_view_params(500, tf.constant([3, 8], tf.int64))
    assert set(a) == set(augment.PARAMS)
    for key in a:
        np.testing.assert_array_equal(a[key].numpy(), again[key].numpy())
    assert not np.array_equal(a["boxes"].numpy(), other["boxes"].numpy())  # next step
    boxes = a["boxes"].numpy()
    assert boxes.min() >= 0 and boxes.max() <= 1 + 1e-6
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    assert area.min() >= augment.CROP_AREA[0] * 0.5 and area.max() <= 1 + 1e-6
    for key, p in (("flip", 0.5), ("jitter", augment.JITTER_PROBABILITY),
                   ("grey", augment.GREY_PROBABILITY)):
        assert set(np.unique(a[key].numpy())) <= {0.0, 1.0}
        assert a[key].numpy().mean() == pytest.approx(p, abs=0.07)
    assert np.abs(a["brightness"].numpy()).max() <= augment.BRIGHTNESS
    # the draws of different parameters are not the same stream
    assert not np.allclose(a["contrast"].numpy() - 1, a["saturation"].numpy() - 1)


def test_identity_parameters_keep_the_images():
    x = np.random.default_rng(0).uniform(-1, 1, (3, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(augment.apply_views(x, params_for(3)).numpy(), x, atol=1e-6)


def test_flip_crop_and_jitter_do_what_they_say():
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 8, 8, 1)).astype(np.float32)
    flipped = augment.apply_views(x, params_for(2, flip=[1.0, 0.0])).numpy()
    np.testing.assert_allclose(flipped[0], x[0, :, ::-1], atol=1e-6)
    np.testing.assert_allclose(flipped[1], x[1], atol=1e-6)
    # the top-left quarter, resized back to 8 x 8: its corners are the quarter's corners
    quarter = augment.apply_views(x, params_for(2, boxes=[[0, 0, 3 / 7, 3 / 7]] * 2)).numpy()
    assert quarter.shape == x.shape
    np.testing.assert_allclose(quarter[:, 0, 0], x[:, 0, 0], atol=1e-6)
    np.testing.assert_allclose(quarter[:, -1, -1], x[:, 3, 3], atol=1e-6)
    # brightness and contrast apply only where `jitter` is set
    jittered = augment.apply_views(x, params_for(2, jitter=[1.0, 0.0], brightness=[0.2, 0.2],
                                                 contrast=[2.0, 2.0])).numpy()
    shifted = x[0] + 0.2
    np.testing.assert_allclose(jittered[0], np.clip(shifted.mean() + 2 * (shifted - shifted.mean()),
                                                    -1, 1), atol=1e-5)
    np.testing.assert_allclose(jittered[1], x[1], atol=1e-6)


def test_colour_views_saturate_and_turn_grey_and_stay_in_range():
    x = np.random.default_rng(2).uniform(-1, 1, (2, 4, 4, 3)).astype(np.float32)
    grey = augment.apply_views(x, params_for(2, grey=[1.0, 0.0])).numpy()
    np.testing.assert_allclose(grey[0], np.repeat(x[0].mean(-1, keepdims=True), 3, -1), atol=1e-6)
    np.testing.assert_allclose(grey[1], x[1], atol=1e-6)
    flat = augment.apply_views(x, params_for(2, jitter=[1.0, 1.0], saturation=[0.0, 0.0])).numpy()
    assert np.allclose(flat[..., 0], flat[..., 2], atol=1e-6)  # no saturation left: grey
    wild = augment.apply_views(x, augment.draw_view_params(2, tf.constant([0, 0], tf.int64)))
    assert float(tf.reduce_min(wild)) >= -1 and float(tf.reduce_max(wild)) <= 1
    grey_input = augment.apply_views(x[..., :1], params_for(2, grey=[1.0, 1.0])).numpy()
    np.testing.assert_allclose(grey_input, x[..., :1], atol=1e-6)  # one channel: no grey step
