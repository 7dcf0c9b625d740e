import keras
import numpy as np
import pytest

from keras_adegan import ADeGAN, ADeGANError, to_model_range, train_stream
from tests.conftest import random_images


def tiny_model(**kwargs):
    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, **kwargs)
    model.compile()
    return model


def tiny_stream(n=64, batch=16):
    return train_stream(random_images(n), batch_size=batch, seed=0)


def test_fit_runs_both_stages_and_logs_their_losses():
    model = tiny_model(stage1_epochs=1)
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert model.stage == 2
    assert len(history["d_loss"]) == 1 and len(history["recon_loss"]) == 1
    assert all(np.isfinite(history[k][0]) for k in ("d_loss", "g_loss", "loss", "ip_loss", "sl_loss"))


def test_stage_two_changes_extractor_and_stage_one_does_not():
    model = tiny_model(stage1_epochs=1)
    e0 = [w.numpy().copy() for w in model.extractor.weights]
    d0 = [w.numpy().copy() for w in model.discriminator.weights]
    model.fit(tiny_stream(), epochs=1, verbose=0)           # stage 1 only
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(e0, model.extractor.weights))
    assert not all(np.array_equal(a, b.numpy()) for a, b in zip(d0, model.discriminator.weights))
    d1 = [w.numpy().copy() for w in model.discriminator.weights]
    model.fit(tiny_stream(), epochs=2, initial_epoch=1, verbose=0)  # stage 2
    assert not all(np.array_equal(a, b.numpy()) for a, b in zip(e0, model.extractor.weights))
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(d1, model.discriminator.weights))


def test_jit_compile_trains():
    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, stage1_epochs=1)
    model.compile(jit_compile=True)
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["d_loss"][0])


def test_same_seed_same_training_other_seed_other_codes():
    def run(seed):
        keras.utils.set_random_seed(0)  # same initial weights; `seed` drives the latent codes
        return tiny_model(stage1_epochs=1, seed=seed).fit(tiny_stream(), epochs=2, verbose=0).history

    a, b, c = run(5), run(5), run(6)
    assert a["loss"] == b["loss"] and a["d_loss"] == b["d_loss"]
    assert a["loss"] != c["loss"]


def test_keras_round_trip_keeps_scores_and_calibration(tmp_path):
    model = tiny_model(stage1_epochs=1, run_config={"dataset": "toy"})
    model.fit(tiny_stream(), epochs=2, verbose=0)
    normals = to_model_range(random_images(40, seed=3))
    calibration = model.calibrate(normals)
    images = to_model_range(random_images(10, seed=4))
    before = model.score(images)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    after = loaded.score(images)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key])
    assert float(loaded.threshold.numpy()) == pytest.approx(calibration["threshold"])
    assert loaded.run_config == {"dataset": "toy"} and loaded.stage1_epochs == 1
    assert loaded.get_config() == model.get_config()
    assert type(loaded.g_optimizer).__name__ == "Adam"


def test_calibration_threshold_flags_share_of_normals():
    model = tiny_model()
    normals = to_model_range(random_images(200, seed=1))
    cal = model.calibrate(normals, fpr=0.1)
    flagged = model.score(normals)["is_anomaly"].mean()
    assert flagged == pytest.approx(0.1, abs=0.01)
    assert cal["recon_std"] > 0


def test_score_outputs_are_consistent():
    model = tiny_model()
    model.calibrate(to_model_range(random_images(20)))
    out = model.score(to_model_range(random_images(5, seed=9)))
    assert np.all((out["pattern_prob"] >= 0.25 - 1e-6) & (out["pattern_prob"] <= 1))
    expected = -np.log(out["recon_prob"].astype(np.float64)) - np.log(out["pattern_prob"])
    np.testing.assert_allclose(out["score"], expected, rtol=1e-4)
    assert out["pattern"].dtype == np.int32 and out["is_anomaly"].dtype == bool


@pytest.mark.parametrize("images,match", [
    (np.zeros((2, 16, 16, 3), np.float32), "3 channel|channel"),
    (np.zeros((2, 28, 28, 1), np.float32), "16x16"),
    (np.full((2, 16, 16, 1), np.nan, np.float32), "NaN"),
    (np.full((2, 16, 16, 1), 255.0, np.float32), r"\[-1, 1\]"),
])
def test_bad_inputs_to_score(images, match):
    model = tiny_model()
    model.calibrate(to_model_range(random_images(20)))
    with pytest.raises(ADeGANError, match=match):
        model.score(images)


def test_uncalibrated_model_refuses_to_score():
    with pytest.raises(ADeGANError, match="not calibrated"):
        tiny_model().score(np.zeros((1, 16, 16, 1), np.float32))


def test_generate_shape():
    samples = tiny_model().generate(3)
    assert samples.shape == (4, 3, 16, 16, 1)
