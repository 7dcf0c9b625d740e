"""The training objectives, one small function per equation of the paper.

Stage 1 (Eq. 1) is the usual GAN game between G and D, with the non-saturating generator loss.
Stage 2 trains G and E on  L = alpha * L_ip + beta * L_sl + gamma * L_recon  (Eq. 8), where

* L_ip (Eq. 6) uses interpolation (Definition 3.1), in our reading: images generated from a
  code interpolated *within* one pattern (Eq. 4-5: z_c fixed, z_n mixed) must still be
  recognised as that pattern, and images generated from a code interpolated *across* two
  patterns (z_c mixed, z_n fixed) must leave E unsure (its pattern distribution pushed to
  uniform). The paper uses the within-pattern interpolants to augment the pattern task and
  makes L_ip the across-pattern term alone, trained into E only; here L_ip holds both terms
  and trains G and E (a departure listed in docs/method.md);
* L_sl (Eq. 3) is the self-supervised pattern task: E recovers z_c (cross-entropy) and z_n
  (squared error in units of sigma) of G(z_c, z_n);
* L_recon (Eq. 7) is the mean squared error between X and G(E(X)).

Every function returns the mean over its batch (a per-replica mean under a distribution strategy).

Example:
    >>> import numpy as np
    >>> float(reconstruction_loss(np.zeros((2, 4, 4, 1)), np.ones((2, 4, 4, 1))))
    1.0
"""

from __future__ import annotations

import tensorflow as tf


def _bce_with_logits(labels, logits):
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def discriminator_loss(real_logits, fake_logits):
    """Eq. 1, D's side: -log D(x) - log(1 - D(G(z)))."""
    real_logits = tf.convert_to_tensor(real_logits, tf.float32)
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    return (_bce_with_logits(tf.ones_like(real_logits), real_logits)
            + _bce_with_logits(tf.zeros_like(fake_logits), fake_logits))


def generator_adversarial_loss(fake_logits):
    """Eq. 1, G's side, non-saturating form: -log D(G(z))."""
    fake_logits = tf.convert_to_tensor(fake_logits, tf.float32)
    return _bce_with_logits(tf.ones_like(fake_logits), fake_logits)


def interpolate_within(z_n_a, z_n_b, lam):
    """Eq. 4-5 (Definition 3.1): a code inside one pattern, z_n = lam * z_n_a + (1 - lam) * z_n_b (z_c unchanged).

    `lam` has shape (batch, 1).
    """
    return lam * z_n_a + (1.0 - lam) * z_n_b


def interpolate_across(z_c_a, z_c_b, lam):
    """Definition 3.1 across patterns (for L_ip, Eq. 6): a code between two patterns, z_c = lam * z_c_a + (1 - lam) * z_c_b (z_n unchanged)."""
    return lam * z_c_a + (1.0 - lam) * z_c_b


def _cross_entropy(labels, logits):
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.cast(labels, tf.int32),
                                                       logits=logits)
    )


def uncertainty_loss(logits):
    """Cross-entropy of E's pattern distribution against the uniform one: -mean_k log p_k.

    Smallest (log n_c) when E is maximally unsure, large when it is confident.
    """
    return -tf.reduce_mean(tf.nn.log_softmax(logits, axis=-1))


def interpolation_loss(within_logits, within_labels, across_logits):
    """L_ip, Eq. 6 (our reading): within-pattern interpolants keep their pattern; across-pattern ones leave E unsure."""
    return _cross_entropy(within_labels, within_logits) + uncertainty_loss(across_logits)


def _l2_norm(values):
    """||v||_2 of each row (all axes but the first), with a gradient at 0 (the norm's own is
    undefined there)."""
    flat = tf.reshape(values, [tf.shape(values)[0], -1])
    return tf.sqrt(tf.reduce_sum(tf.square(flat), axis=-1) + 1e-12)


def self_supervised_loss(logits, labels, z_n_pred, z_n_true, noise_std, reading: str = "ours"):
    """L_sl, Eq. 3: E recovers the pattern (cross-entropy) and z_n: its squared error over
    sigma^2 per dimension (ours), or the L2 norm ||z_n - E_n(G(z))||_2 as printed (literal)."""
    if reading == "literal":
        noise_error = tf.reduce_mean(_l2_norm(z_n_pred - z_n_true))
    else:
        noise_error = tf.reduce_mean(tf.square((z_n_pred - z_n_true) / noise_std))
    return _cross_entropy(labels, logits) + noise_error


def reconstruction_loss(x, x_rec, reading: str = "ours"):
    """Eq. 7: the mean squared error between X and G(E(X)) over pixels and batch (ours), or the
    batch mean of the per-image L2 norm ||X - G(E(X))||_2 as printed (literal)."""
    x = tf.convert_to_tensor(x, tf.float32)
    difference = x - tf.cast(x_rec, tf.float32)
    if reading == "literal":
        return tf.reduce_mean(_l2_norm(difference))
    return tf.reduce_mean(tf.square(difference))


def stage2_loss(l_ip, l_sl, l_recon, alpha, beta, gamma):
    """Eq. 8: alpha * L_ip + beta * L_sl + gamma * L_recon."""
    return alpha * l_ip + beta * l_sl + gamma * l_recon


def stage2_losses(generator, extractor, x, z, n_patterns: int, noise_std: float, alpha: float,
                  beta: float, gamma: float, training: bool = True, reading: str = "ours") -> dict:
    """The whole stage-2 objective (Eq. 8) for a batch of real images `x` and latent codes `z`.

    `reading="ours"`: L_ip = within-pattern cross-entropy + across-pattern uncertainty, trained
    into G and E; L_sl's z_n term a squared error over sigma^2; L_recon a mean squared error.
    `reading="literal"`, the paper as printed: the within-pattern interpolants augment L_sl
    (E recovers their z_c and z_n as for any other code); L_ip is the across-pattern term
    alone and trains E only (G sees no gradient from it); the z_n term of L_sl and L_recon
    are L2 norms.

    Args:
        generator: G, codes [z_c, z_n] -> images.
        extractor: E, images -> (pattern logits, z_n).
        x: real normal images.
        z: the latent codes of `ADeGAN._latents`: `labels` and `other_labels` (patterns, never
            equal), `z_n` and `z_n_other`, `lam_within` and `lam_across` (mixing weights).

    Returns:
        dict with `loss`, `ip_loss`, `sl_loss`, `recon_loss`, `sl_logits` (E's logits on
        the L_sl images, for its accuracy) and `sl_images` (G(z_c, z_n), the L_sl images).
    """
    batch = tf.shape(x)[0]
    one_hot = tf.one_hot(z["labels"], n_patterns)
    within = interpolate_within(z["z_n"], z["z_n_other"], z["lam_within"])
    across = interpolate_across(one_hot, tf.one_hot(z["other_labels"], n_patterns),
                                z["lam_across"])
    x_logits, x_z_n = extractor(x, training=training)
    codes = tf.concat([
        tf.concat([one_hot, z["z_n"]], -1),                    # L_sl (Eq. 3)
        tf.concat([one_hot, within], -1),                      # within a pattern, Eq. 4-5
        tf.concat([across, z["z_n"]], -1),                     # across patterns, L_ip (Eq. 6)
        tf.concat([tf.nn.softmax(x_logits), x_z_n], -1),       # G(E(X)), Eq. 7
    ], axis=0)
    images = generator(codes, training=training)
    generated, x_rec = images[: 3 * batch], images[3 * batch:]
    sl_images = generated[:batch]
    if reading == "literal":  # L_ip trains E only: no gradient reaches G through it
        generated = tf.concat([generated[: 2 * batch], tf.stop_gradient(generated[2 * batch:])], 0)
    g_logits, g_z_n = extractor(generated, training=training)
    sl_logits, within_logits, across_logits = tf.split(g_logits, 3, axis=0)
    if reading == "literal":
        sl_loss = self_supervised_loss(
            tf.concat([sl_logits, within_logits], 0), tf.concat([z["labels"]] * 2, 0),
            g_z_n[: 2 * batch], tf.concat([z["z_n"], within], 0), noise_std, reading)
        ip_loss = uncertainty_loss(across_logits)
    else:
        sl_loss = self_supervised_loss(sl_logits, z["labels"], g_z_n[:batch], z["z_n"], noise_std)
        ip_loss = interpolation_loss(within_logits, z["labels"], across_logits)
    recon_loss = reconstruction_loss(x, x_rec, reading)
    return {"loss": stage2_loss(ip_loss, sl_loss, recon_loss, alpha, beta, gamma),
            "ip_loss": ip_loss, "sl_loss": sl_loss, "recon_loss": recon_loss,
            "sl_logits": sl_logits, "sl_images": sl_images}
