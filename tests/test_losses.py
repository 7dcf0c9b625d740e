import math

import numpy as np
import pytest

from keras_adegan import losses


def test_discriminator_and_generator_losses():
    # D(x) = sigmoid(0) = 0.5 everywhere: each term is log 2.
    zeros = np.zeros((4, 1), np.float32)
    assert float(losses.discriminator_loss(zeros, zeros)) == pytest.approx(2 * math.log(2), 1e-6)
    assert float(losses.generator_adversarial_loss(zeros)) == pytest.approx(math.log(2), 1e-6)
    # Confident and right: real logit +10, fake logit -10 -> loss ~ 2 * log(1 + e^-10).
    d = losses.discriminator_loss(np.full((2, 1), 10.0), np.full((2, 1), -10.0))
    assert float(d) == pytest.approx(2 * math.log1p(math.exp(-10)), rel=1e-4)


def test_interpolation_within_keeps_pattern_and_stays_between():  # Eq. 4
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    lam = rng.uniform(size=(5, 1))
    mid = np.asarray(losses.interpolate_within(a, b, lam))
    assert np.allclose(mid, lam * a + (1 - lam) * b)
    assert np.all(mid <= np.maximum(a, b) + 1e-9) and np.all(mid >= np.minimum(a, b) - 1e-9)
    assert np.allclose(losses.interpolate_within(a, b, np.ones((5, 1))), a)


def test_interpolation_across_is_a_two_pattern_mixture():  # Eq. 5
    eye = np.eye(4)
    lam = np.array([[0.3], [0.75]])
    mix = np.asarray(losses.interpolate_across(eye[[0, 2]], eye[[1, 3]], lam))
    assert np.allclose(mix.sum(-1), 1.0)
    assert np.allclose(mix, [[0.3, 0.7, 0, 0], [0, 0, 0.75, 0.25]])
    assert np.all(mix.max(-1) < 1.0)


def test_uncertainty_loss_is_log_nc_at_uniform_and_larger_when_confident():
    uniform = losses.uncertainty_loss(np.zeros((3, 5), np.float32))
    assert float(uniform) == pytest.approx(math.log(5), 1e-6)
    confident = losses.uncertainty_loss(np.array([[10.0, 0, 0, 0, 0]], np.float32))
    assert float(confident) > float(uniform) + 1.0


def test_interpolation_loss_hand_computed():  # Eq. 3
    within = np.array([[2.0, 0.0]], np.float32)  # CE with label 0: log(1 + e^-2)
    across = np.array([[1.0, 0.0]], np.float32)  # -(log p0 + log p1) / 2
    p0 = 1 / (1 + math.exp(-1))
    expected = math.log1p(math.exp(-2)) - (math.log(p0) + math.log(1 - p0)) / 2
    assert float(losses.interpolation_loss(within, np.array([0]), across)) == pytest.approx(expected, 1e-5)


def test_self_supervised_loss_hand_computed():  # Eq. 6
    logits = np.array([[0.0, 0.0]], np.float32)  # CE = log 2
    z_pred, z_true = np.array([[0.1, 0.0]], np.float32), np.array([[0.0, 0.0]], np.float32)
    # squared error in units of sigma = 0.1: ((0.1 / 0.1)^2 + 0) / 2 = 0.5
    got = losses.self_supervised_loss(logits, np.array([1]), z_pred, z_true, 0.1)
    assert float(got) == pytest.approx(math.log(2) + 0.5, 1e-5)


def test_reconstruction_and_total_loss():  # Eq. 7, 8
    x = np.zeros((2, 2, 2, 1), np.float32)
    rec = np.full_like(x, 0.5)
    assert float(losses.reconstruction_loss(x, rec)) == pytest.approx(0.25)
    assert float(losses.stage2_loss(1.0, 2.0, 3.0, 1.0, 10.0, 100.0)) == pytest.approx(321.0)
