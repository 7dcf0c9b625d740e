import numpy as np
import pytest
from scipy.special import log_ndtr

from keras_adegan import scoring


def test_log_normal_sf_matches_scipy_far_into_the_tail():
    z = np.linspace(-10, 38, 4001).astype(np.float32)
    ours = scoring.log_normal_sf(z).numpy()
    ref = log_ndtr(-z.astype(np.float64))
    assert np.all(np.isfinite(ours))
    assert np.max(np.abs(ours - ref) / np.maximum(1.0, np.abs(ref))) < 1e-6


def test_score_limits():
    # A perfect-looking image (tiny error, confident pattern) scores ~0; a terrible one, large.
    best = scoring.anomaly_score(scoring.reconstruction_log_prob(-100.0, 0.0, 1.0), 1.0)
    worst = scoring.anomaly_score(scoring.reconstruction_log_prob(1e3, 0.0, 1.0), 0.1)
    assert float(best) == pytest.approx(0.0, abs=1e-6)
    assert float(worst) > 1e5 and np.isfinite(float(worst))
    # p_r = 0.5 at the mean, p_c = 0.5: S = 2 log 2
    mid = scoring.anomaly_score(scoring.reconstruction_log_prob(3.0, 3.0, 2.0), 0.5)
    assert float(mid) == pytest.approx(2 * np.log(2), 1e-5)


def test_score_monotonic_in_error_and_confidence():
    errors = np.linspace(0.0, 50.0, 200).astype(np.float32)
    s = scoring.anomaly_score(scoring.reconstruction_log_prob(errors, 1.0, 0.5), 0.9).numpy()
    assert np.all(np.diff(s) > 0)
    conf = np.linspace(0.1, 1.0, 50).astype(np.float32)
    s = scoring.anomaly_score(scoring.reconstruction_log_prob(1.0, 1.0, 0.5), conf).numpy()
    assert np.all(np.diff(s) < 0)


def test_same_ranking_as_one_minus_product():
    rng = np.random.default_rng(0)
    err = rng.uniform(0, 2, 300).astype(np.float32)
    pc = rng.uniform(0.1, 1, 300).astype(np.float32)
    log_pr = scoring.reconstruction_log_prob(err, 1.0, 0.5).numpy()
    ours = scoring.anomaly_score(log_pr, pc).numpy()
    literal = 1 - np.exp(log_pr.astype(np.float64)) * pc
    assert np.array_equal(np.argsort(ours, kind="stable"), np.argsort(literal, kind="stable"))


def test_calibration_helpers():
    mean, std = scoring.fit_normal_stats([1.0, 2.0, 3.0])
    assert (mean, std) == pytest.approx((2.0, 1.0))
    assert scoring.threshold_at_fpr(np.arange(101.0), 0.05) == pytest.approx(95.0)
    with pytest.raises(ValueError):
        scoring.fit_normal_stats([1.0, np.nan])
    with pytest.raises(ValueError):
        scoring.threshold_at_fpr([1.0], 0.0)


def test_score_components_matches_the_graph_functions():
    err, pc = np.array([0.5, 1.0, 4.0], np.float32), np.array([0.9, 0.5, 0.2], np.float32)
    score, recon_prob = scoring.score_components(err, pc, 1.0, 0.5)
    log_pr = scoring.reconstruction_log_prob(err, 1.0, 0.5).numpy()
    np.testing.assert_array_equal(score, scoring.anomaly_score(log_pr, pc).numpy())
    np.testing.assert_allclose(recon_prob[1], 0.5, rtol=1e-6)


def test_literal_eq11_as_printed():
    """A(x) = -(1/n_c) log p + (1 - log p) log q, with p = p_r (Eq. 9) and q = p_c (Eq. 10)."""
    log_p, q = np.log(np.array([0.5, 0.01], np.float32)), np.array([0.9, 0.3], np.float32)
    got = scoring.anomaly_score(log_p, q, reading="literal", n_patterns=10).numpy()
    expected = -log_p / 10 + (1 - log_p) * np.log(q)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    # a more confident pattern assignment raises A (it lowers S): the readings disagree there
    confident = scoring.anomaly_score(log_p[:1], np.float32(0.99), "literal", 10).numpy()
    unsure = scoring.anomaly_score(log_p[:1], np.float32(0.2), "literal", 10).numpy()
    assert confident > unsure
    assert scoring.anomaly_score(log_p[:1], np.float32(0.99)) < scoring.anomaly_score(
        log_p[:1], np.float32(0.2))


def test_literal_reconstruction_error_is_the_l2_norm():
    x = np.zeros((2, 2, 2, 1), np.float32)
    rec = np.stack([np.full((2, 2, 1), 0.5), np.zeros((2, 2, 1))]).astype(np.float32)
    np.testing.assert_allclose(scoring.reconstruction_error(x, rec, "literal").numpy(), [1.0, 0.0])
    np.testing.assert_allclose(scoring.reconstruction_error(x, rec).numpy(), [0.25, 0.0])
