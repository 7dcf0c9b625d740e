import keras
import numpy as np
import pytest

from keras_adegan import ADeGANError, to_model_range
from tests.conftest import random_images
from tests.test_model import calibrated, tiny_model, tiny_stream


@pytest.mark.parametrize("score", ["features", "paper"])
def test_calibration_threshold_flags_share_of_normals(score):
    model = tiny_model(score=score)
    model.fit_feature_score(to_model_range(random_images(40, seed=2)))
    normals = to_model_range(random_images(200, seed=1))
    cal = model.calibrate(normals, fpr=0.1)
    out = model.score(normals)
    assert out["is_anomaly"].mean() == pytest.approx(0.1, abs=0.01)
    chosen = "feature_score" if score == "features" else "paper_score"
    np.testing.assert_array_equal(out["score"], out[chosen])
    np.testing.assert_array_equal(out["is_anomaly"], out[chosen] > cal["threshold"])
    assert cal["recon_std"] > 0 and cal["score"] == score


def test_feature_score_ranks_far_images_above_bank_members():
    keras.utils.set_random_seed(0)  # the untrained networks' features: the same in any test order
    model = tiny_model(feature_k=1)
    bank = to_model_range(random_images(20, seed=5))
    model.fit_feature_score(bank)
    model.calibrate(to_model_range(random_images(40, seed=6)))
    out = model.score(np.concatenate([bank[:5], np.ones((5, 16, 16, 1), np.float32)]))
    np.testing.assert_allclose(out["feature_score"][:5], 0.0, atol=1e-3)
    assert out["feature_score"][5:].min() > max(0.01, 5 * out["feature_score"][:5].max())


def test_calibrate_needs_the_feature_score_and_refitting_undoes_calibration():
    model = tiny_model()
    with pytest.raises(ADeGANError, match="fit_feature_score"):
        model.calibrate(to_model_range(random_images(20)))
    calibrated(model)
    with pytest.raises(ADeGANError, match="calibration needs at least two normal images"):
        model.calibrate(to_model_range(random_images(1)))
    model.fit_feature_score(to_model_range(random_images(40, seed=9)))
    with pytest.raises(ADeGANError, match="not calibrated"):
        model.score(to_model_range(random_images(2)))
    with pytest.raises(ADeGANError, match="at least feature_k"):
        tiny_model(feature_k=5).fit_feature_score(to_model_range(random_images(3)))


@pytest.mark.parametrize("images,match", [
    (np.zeros((2, 16, 16, 3), np.float32), "3 channel|channel"),
    (np.zeros((2, 28, 28, 1), np.float32), "16x16"),
    (np.full((2, 16, 16, 1), np.nan, np.float32), "NaN"),
    (np.full((2, 16, 16, 1), 255.0, np.float32), r"\[-1, 1\]"),
])
def test_bad_inputs_to_score(images, match):
    model = calibrated(tiny_model())
    with pytest.raises(ADeGANError, match=match):
        model.score(images)


def test_uncalibrated_model_refuses_to_score():
    with pytest.raises(ADeGANError, match="not calibrated"):
        tiny_model().score(np.zeros((1, 16, 16, 1), np.float32))


def test_generate_shape():
    samples = tiny_model().generate(3)
    assert samples.shape == (4, 3, 16, 16, 1)


def test_batch_statistics_outputs_leave_the_model_unchanged():
    model = calibrated(tiny_model(stage1_epochs=1))
    model.fit(tiny_stream(), epochs=2, verbose=0)
    calibrated(model)
    images = to_model_range(random_images(32, seed=5))
    before = model.raw_outputs(images)
    moving = [v.numpy() for v in model.generator.non_trainable_variables]
    batch_stats = model.batch_statistics_outputs(images, batch_size=16)
    assert not np.allclose(batch_stats["recon_error"], before["recon_error"])  # another mode
    for variable, value in zip(model.generator.non_trainable_variables, moving):
        np.testing.assert_array_equal(variable.numpy(), value)  # moving statistics restored
    np.testing.assert_array_equal(model.raw_outputs(images)["recon_error"], before["recon_error"])
