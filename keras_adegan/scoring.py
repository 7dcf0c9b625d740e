"""The paper's anomaly score (Eq. 9-11) and its calibration, written with elementary ops only.

Our reading of the paper's score, for an image x:

* reconstruction error:  r(x) = mean over pixels of (x - G(E(x)))^2 (the paper: an L2 norm,
  used by the literal reading).
* Eq. 9, reconstruction probability: with mu, s the mean and standard deviation of r on
  held-out *normal* validation images, p_r(x) = P(R >= r(x)) = 1 - Phi((r(x) - mu) / s) for
  R ~ N(mu, s^2): the chance that a normal image reconstructs at least this badly.
* Eq. 10, pattern term: p_c(x) = max_k softmax(E_c(x))_k, the extractor's pattern confidence
  (the paper's log q is log p_c).
* Eq. 11, combined, our reading: the normality of x is p_r(x) * p_c(x); the anomaly score is
  its negative log, S(x) = -log p_r(x) - log p_c(x) >= 0. The paper prints
  A(x) = -(1/n_c) log p + (1 - log p) log q, the literal reading (`reading="literal"`; see
  `anomaly_score` for what each term does).

S ranks images exactly as 1 - p_r * p_c does, but never saturates: far-off images keep distinct
scores where 1 - p_r * p_c would round to 1.0 in float32. log(1 - Phi) is computed in closed form
(erfc as in Numerical Recipes, relative error < 1.2e-7 everywhere) with log/exp/mul/add only, so the
same graph exports to TFLite built-in ops.

Example:
    >>> import numpy as np
    >>> float(np.exp(log_normal_sf(np.float32(0.0))))
    0.5
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

_ERFC_COEFFS = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
                0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


def _log_erfc_nonneg(x):
    """log erfc(x) for x >= 0, without underflow."""
    t = 1.0 / (1.0 + 0.5 * x)
    poly = tf.zeros_like(x)
    for c in reversed(_ERFC_COEFFS):
        poly = c + t * poly
    return tf.math.log(t) - tf.square(x) + poly


def log_normal_sf(z):
    """log(1 - Phi(z)), the log survival function of the standard normal, for any z."""
    z = tf.convert_to_tensor(z, tf.float32)
    x = tf.abs(z) * np.float32(1.0 / np.sqrt(2.0))
    log_tail = np.float32(np.log(0.5)) + _log_erfc_nonneg(x)  # log(1 - Phi(|z|))
    return tf.where(z >= 0, log_tail, tf.math.log1p(-tf.exp(log_tail)))


def reconstruction_log_prob(recon_error, mean, std):
    """Eq. 9: log p_r = log P(R >= r) for R ~ N(mean, std^2)."""
    return log_normal_sf((tf.convert_to_tensor(recon_error, tf.float32) - mean) / std)


def reconstruction_error(x, x_rec, reading: str = "ours"):
    """r(x) per image: the mean squared pixel error (ours), or the L2 norm ||x - G(E(x))||_2
    that Eq. 7 and Eq. 9 print (`reading="literal"`)."""
    squared = tf.square(tf.cast(x, tf.float32) - tf.cast(x_rec, tf.float32))
    if reading == "literal":
        return tf.sqrt(tf.reduce_sum(squared, axis=[1, 2, 3]))
    return tf.reduce_mean(squared, axis=[1, 2, 3])


def anomaly_score(recon_log_prob, pattern_prob, reading: str = "ours", n_patterns: int = 10):
    """Eq. 11; larger is more anomalous.

    * `ours`: S = -log(p_r * p_c) = -log p_r - log p_c: an image is normal when it both
      reconstructs well and is confidently one pattern.
    * `literal`, as printed: A(x) = -(1/n_c) log p + (1 - log p) log q, with log p = log p_r
      (Eq. 9, the reconstruction probability) and log q = log p_c (Eq. 10, E's largest pattern
      probability). Both logs are <= 0: the first term grows as reconstruction gets worse; the
      second is <= 0 and grows towards 0 as E gets *more* confident, scaled by (1 - log p) >= 1,
      so a confident assignment raises A, the opposite direction to `ours`' pattern term.
    """
    pattern_prob = tf.convert_to_tensor(pattern_prob, tf.float32)
    log_q = tf.math.log(tf.maximum(pattern_prob, 1e-12))
    if reading == "literal":
        return -recon_log_prob / n_patterns + (1.0 - recon_log_prob) * log_q
    return -(recon_log_prob + log_q)


def score_components(recon_error, pattern_prob, mean, std, reading: str = "ours",
                     n_patterns: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(Eq. 11's score, p_r) as numpy arrays from already computed r and p_c, for given
    statistics."""
    log_pr = reconstruction_log_prob(recon_error, mean, std)
    return (anomaly_score(log_pr, pattern_prob, reading, n_patterns).numpy(),
            tf.exp(log_pr).numpy())


def fit_normal_stats(values) -> tuple[float, float]:
    """Mean and standard deviation of a quantity over normal images: the reconstruction errors
    for Eq. 9's N, or a part of the feature score to standardise it."""
    values = np.asarray(values, np.float64)
    if values.size < 2 or not np.all(np.isfinite(values)):
        raise ValueError("calibration needs at least two finite values")
    return float(values.mean()), float(max(values.std(ddof=1), 1e-8))


def threshold_at_fpr(normal_scores, fpr: float) -> float:
    """The score above which a share `fpr` of the given normal images would be flagged."""
    if not 0 < fpr < 1:
        raise ValueError(f"fpr must be in (0, 1), got {fpr}")
    return float(np.quantile(np.asarray(normal_scores, np.float64), 1.0 - fpr))
