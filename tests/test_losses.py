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


def test_interpolation_within_keeps_pattern_and_stays_between():  # Eq. 4-5 (Definition 3.1)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    lam = rng.uniform(size=(5, 1))
    mid = np.asarray(losses.interpolate_within(a, b, lam))
    assert np.allclose(mid, lam * a + (1 - lam) * b)
    assert np.all(mid <= np.maximum(a, b) + 1e-9) and np.all(mid >= np.minimum(a, b) - 1e-9)
    assert np.allclose(losses.interpolate_within(a, b, np.ones((5, 1))), a)


def test_interpolation_across_is_a_two_pattern_mixture():  # Definition 3.1, across patterns
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


def test_interpolation_loss_hand_computed():  # L_ip, Eq. 6
    within = np.array([[2.0, 0.0]], np.float32)  # CE with label 0: log(1 + e^-2)
    across = np.array([[1.0, 0.0]], np.float32)  # -(log p0 + log p1) / 2
    p0 = 1 / (1 + math.exp(-1))
    expected = math.log1p(math.exp(-2)) - (math.log(p0) + math.log(1 - p0)) / 2
    assert float(losses.interpolation_loss(within, np.array([0]), across)) == pytest.approx(expected, 1e-5)


def test_self_supervised_loss_hand_computed():  # L_sl, Eq. 3
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


# ---------------------------------------------------------------- the stage-2 wiring, with stubs
# G passes its code through as the "image"; E reads it back: logits = K * z_c part, z_n = half
# the rest.
# Every term then has a closed form, so any swapped input changes a value below.
N_C, NOISE, K, SIGMA = 3, 2, 4.0, 0.1


def stub_generator(codes, training=True):
    return codes


def stub_extractor(images, training=True):
    return K * images[:, :N_C], 0.5 * images[:, N_C:]


def log_softmax(v):
    v = np.asarray(v, np.float64)
    return v - np.log(np.sum(np.exp(v), axis=-1, keepdims=True))


def stub_codes():
    rng = np.random.default_rng(0)
    return {"labels": np.array([0, 2], np.int32), "other_labels": np.array([1, 0], np.int32),
            "z_n": rng.normal(0, SIGMA, (2, NOISE)).astype(np.float32),
            "z_n_other": rng.normal(0, SIGMA, (2, NOISE)).astype(np.float32),
            "lam_within": np.array([[0.3], [0.9]], np.float32),
            "lam_across": np.array([[0.4], [0.7]], np.float32)}


def closed_form(x, z, alpha=1.0, beta=2.0, gamma=10.0):
    eye = np.eye(N_C)
    ce_pure = -log_softmax(K * eye[z["labels"]])[np.arange(2), z["labels"]].mean()
    sl = ce_pure + np.mean((0.5 * z["z_n"] / SIGMA) ** 2)  # E reads z_n back halved
    mix = z["lam_across"] * eye[z["labels"]] + (1 - z["lam_across"]) * eye[z["other_labels"]]
    ip = ce_pure - log_softmax(K * mix).mean()  # within keeps z_c: the same CE as L_sl
    probs = np.exp(log_softmax(K * x[:, :N_C]))
    recon = np.mean((x - np.concatenate([probs, 0.5 * x[:, N_C:]], 1)) ** 2)
    return {"sl_loss": sl, "ip_loss": ip, "recon_loss": recon,
            "loss": alpha * ip + beta * sl + gamma * recon}


def closed_form_literal(x, z, alpha=1.0, beta=2.0, gamma=10.0):
    """The paper as printed: within-pattern interpolants join L_sl, L_ip is the across term
    alone, and the z_n term and L_recon are L2 norms (E reads z_n back halved)."""
    eye = np.eye(N_C)
    ce_pure = -log_softmax(K * eye[z["labels"]])[np.arange(2), z["labels"]].mean()
    within = z["lam_within"] * z["z_n"] + (1 - z["lam_within"]) * z["z_n_other"]
    norms = np.linalg.norm(0.5 * np.concatenate([z["z_n"], within]), axis=1)
    sl = ce_pure + norms.mean()
    mix = z["lam_across"] * eye[z["labels"]] + (1 - z["lam_across"]) * eye[z["other_labels"]]
    ip = -log_softmax(K * mix).mean()
    probs = np.exp(log_softmax(K * x[:, :N_C]))
    recon = np.linalg.norm(x - np.concatenate([probs, 0.5 * x[:, N_C:]], 1), axis=1).mean()
    return {"sl_loss": sl, "ip_loss": ip, "recon_loss": recon,
            "loss": alpha * ip + beta * sl + gamma * recon}


def test_stage2_losses_literal_reading_match_their_closed_forms():
    x = np.random.default_rng(1).uniform(-1, 1, (2, N_C + NOISE)).astype(np.float32)
    z = stub_codes()
    got = losses.stage2_losses(stub_generator, stub_extractor, x, z, N_C, SIGMA, 1.0, 2.0, 10.0,
                               reading="literal")
    for key, value in closed_form_literal(x, z).items():
        assert float(got[key]) == pytest.approx(value, rel=1e-5), key
    ours = closed_form(x, z)
    assert all(ours[k] != pytest.approx(value, rel=1e-3)
               for k, value in closed_form_literal(x, z).items())  # the readings really differ


@pytest.mark.parametrize("reading,g_gets_ip", [("ours", True), ("literal", False)])
def test_what_l_ip_trains(reading, g_gets_ip):
    """Ours trains G and E with L_ip; the literal reading trains E only."""
    import tensorflow as tf

    from keras_adegan import ADeGAN

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, reading=reading)
    model.compile()
    x = tf.random.uniform((4, 16, 16, 1), -1, 1, seed=0)
    with tf.GradientTape(persistent=True) as tape:
        out = losses.stage2_losses(model.generator, model.extractor, x, model._latents(4), 4,
                                   0.1, 1.0, 1.0, 10.0, reading=reading)
    g_grads = tape.gradient(out["ip_loss"], model.generator.trainable_variables)
    e_grads = tape.gradient(out["ip_loss"], model.extractor.trainable_variables)
    assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in e_grads)
    assert any(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in g_grads) == g_gets_ip


def test_stage2_losses_match_their_closed_forms():
    x = np.random.default_rng(1).uniform(-1, 1, (2, N_C + NOISE)).astype(np.float32)
    z = stub_codes()
    got = losses.stage2_losses(stub_generator, stub_extractor, x, z, N_C, SIGMA, 1.0, 2.0, 10.0)
    for key, value in closed_form(x, z).items():
        assert float(got[key]) == pytest.approx(value, rel=1e-5), key


@pytest.mark.parametrize("mutation", ["same_partner", "labels_for_partner", "no_mixing",
                                      "swap_noise"])
def test_any_mutated_code_changes_a_term(mutation):
    """Guards the wiring: the across partner must differ, the mixing must be applied, and
    L_sl must see the noise it is asked to recover."""
    x = np.random.default_rng(1).uniform(-1, 1, (2, N_C + NOISE)).astype(np.float32)
    z = stub_codes()
    reference = closed_form(x, z)
    bad = dict(z)
    if mutation == "same_partner":
        bad["other_labels"] = z["labels"]
    elif mutation == "labels_for_partner":
        bad["labels"] = z["other_labels"]
    elif mutation == "no_mixing":
        bad["lam_across"] = np.ones_like(z["lam_across"])
    else:
        bad["z_n"], bad["z_n_other"] = z["z_n_other"], z["z_n"]
    got = losses.stage2_losses(stub_generator, stub_extractor, x, bad, N_C, SIGMA, 1.0, 2.0, 10.0)
    term = "sl_loss" if mutation == "swap_noise" else "ip_loss"
    assert float(got[term]) != pytest.approx(reference[term], rel=1e-3)


def test_swapping_within_and_across_images_fails_the_closed_form(monkeypatch):
    x = np.random.default_rng(1).uniform(-1, 1, (2, N_C + NOISE)).astype(np.float32)
    z = stub_codes()

    def swapped(within_logits, within_labels, across_logits):
        return original(across_logits, within_labels, within_logits)

    original = losses.interpolation_loss
    monkeypatch.setattr(losses, "interpolation_loss", swapped)
    got = losses.stage2_losses(stub_generator, stub_extractor, x, z, N_C, SIGMA, 1.0, 2.0, 10.0)
    assert float(got["ip_loss"]) != pytest.approx(closed_form(x, z)["ip_loss"], rel=1e-3)


def test_latent_codes_partners_mixing_and_determinism():
    from keras_adegan import ADeGAN

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, seed=3,
                   cross_mix_min=0.25)
    model.compile()
    z = {k: v.numpy() for k, v in model._latents(512).items()}
    assert np.all(z["other_labels"] != z["labels"])                       # partners differ
    assert set(np.unique(z["labels"])) == set(range(4))
    assert z["lam_across"].min() >= 0.25 and z["lam_across"].max() <= 0.75
    assert z["lam_within"].min() >= 0.0 and z["lam_within"].max() <= 1.0
    again = {k: v.numpy() for k, v in model._latents(512).items()}
    for key in z:                                                         # same (seed, step)
        np.testing.assert_array_equal(z[key], again[key])
    model.g_optimizer.iterations.assign(1)                                # next step: new codes
    assert not np.array_equal(model._latents(512)["z_n"].numpy(), z["z_n"])

