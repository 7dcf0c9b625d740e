import keras
import numpy as np
import pytest

from keras_adegan.networks import build_extractor
from keras_adegan.rotation import RotationHead, rotated_copies, rotation_loss, rotation_scores


def test_rotated_copies_and_their_labels():
    x = np.arange(2 * 3 * 3).reshape(2, 3, 3, 1).astype(np.float32)
    images, turns = rotated_copies(x)
    assert images.shape == (8, 3, 3, 1) and list(turns.numpy()) == [0, 0, 1, 1, 2, 2, 3, 3]
    np.testing.assert_array_equal(images[2].numpy(), np.rot90(x[0], 1))  # one quarter turn
    np.testing.assert_array_equal(images[5].numpy(), np.rot90(x[1], 2))
    wide = np.zeros((2, 2, 4, 1), np.float32)  # not square: half turns only
    assert list(rotated_copies(wide)[1].numpy()) == [0, 0, 2, 2]
    logits = np.log(np.eye(4)[[0, 1]] * 0.97 + 0.01).astype(np.float32)
    expected = -np.log(0.98 / 1.01)  # softmax of log([0.98, 0.01, 0.01, 0.01])
    assert float(rotation_loss(logits, np.array([0, 1]))) == pytest.approx(expected, rel=1e-5)


def test_rotation_score_is_the_mean_negative_log_probability_of_the_true_turn():
    # two images, four turns each, stacked turn by turn as rotated_copies does
    logits = np.random.default_rng(0).normal(0, 2, (8, 4)).astype(np.float32)
    turns = np.repeat(np.arange(4), 2)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = [-np.mean([log_p[2 * t + i, t] for t in range(4)]) for i in range(2)]
    got = rotation_scores(logits, turns, 2).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_the_head_scores_and_learns_through_the_extractor_and_round_trips():
    e = build_extractor((8, 8, 1), n_patterns=3, noise_dim=2, width=4)
    head = RotationHead()
    head.build((None, 32))
    x = np.random.default_rng(0).uniform(-1, 1, (5, 8, 8, 1)).astype("float32")
    scores = head.score(e, x).numpy()
    assert scores.shape == (5,) and np.all(scores > 0)  # -log p of a probability below 1
    assert float(head.loss(e, x)) > 0
    copy = keras.layers.deserialize(keras.layers.serialize(head))  # built from its config
    copy.set_weights(head.get_weights())
    np.testing.assert_allclose(copy.score(e, x), scores, rtol=1e-6)
    assert copy.get_config()["name"] == "rotation_head"
