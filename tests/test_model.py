import keras
import numpy as np
import pytest

from keras_adegan import ADeGAN, ADeGANError, to_model_range, train_stream
from keras_adegan.model import OUTPUTS
from keras_adegan.networks import feature_dense
from keras_adegan.scoring import threshold_at_fpr
from keras_adegan.scoring_head import ScoringHead
from tests.conftest import random_images


def tiny_model(**kwargs):
    kwargs.setdefault("bank_size", 32)
    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, **kwargs)
    model.compile()
    return model


def calibrated(model, seed=1):
    model.fit_feature_score(to_model_range(random_images(40, seed=seed + 100)))
    model.calibrate(to_model_range(random_images(40, seed=seed)))
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


def test_a_stage2_adversarial_weight_keeps_d_training_and_g_honest_in_stage_2(tmp_path):
    """Under study: with stage2_adversarial_weight, stage 2 also updates D (unlike the paper's
    stage 2) and logs both adversarial losses; the option round-trips."""
    model = tiny_model(stage1_epochs=0, stage2_adversarial_weight=0.5)
    d0 = [w.numpy().copy() for w in model.discriminator.weights]
    history = model.fit(tiny_stream(), epochs=1, verbose=0).history
    assert np.isfinite(history["stage2_d_loss"][0]) and np.isfinite(history["stage2_g_loss"][0])
    assert not all(np.array_equal(a, b.numpy()) for a, b in zip(d0, model.discriminator.weights))
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.stage2_adversarial_weight == 0.5
    with pytest.raises(ADeGANError, match="stage2_adversarial_weight must be >= 0"):
        tiny_model(stage2_adversarial_weight=-1.0)


@pytest.mark.slow
def test_jit_compile_trains():
    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, stage1_epochs=1)
    model.compile(jit_compile=True)
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["d_loss"][0])


@pytest.mark.slow
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
    model.fit_feature_score(to_model_range(random_images(40, seed=2)))
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
    np.testing.assert_array_equal(loaded.head.bank.numpy(), model.head.bank.numpy())
    assert loaded.run_config == {"dataset": "toy"} and loaded.stage1_epochs == 1
    assert loaded.get_config() == model.get_config()
    assert type(loaded.g_optimizer).__name__ == "Adam"


def test_literal_reading_trains_scores_as_printed_and_round_trips(tmp_path):
    model = tiny_model(stage1_epochs=1, reading="literal")
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert np.isfinite(history["loss"][-1])
    calibrated(model)
    images = to_model_range(random_images(10, seed=4))
    out = model.score(images)
    log_p = np.log(np.maximum(out["recon_prob"], 1e-30))
    expected = -log_p / 4 + (1 - log_p) * np.log(out["pattern_prob"])  # Eq. 11 with n_c = 4
    np.testing.assert_allclose(out["paper_score"], expected, rtol=1e-3, atol=1e-4)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.reading == "literal"
    np.testing.assert_array_equal(loaded.score(images)["paper_score"], out["paper_score"])


def test_with_scoring_keeps_the_networks_and_changes_the_head():
    model = calibrated(tiny_model(stage1_epochs=1))
    copy = model.with_scoring(bank_size=6, score="paper")
    assert copy.head.bank.shape == (6, 4) and copy.head.score == "paper"  # z_n: 4 values
    assert not copy.head.is_fitted and copy.stage1_epochs == 1
    for a, b in zip(model.extractor.weights + model.generator.weights,
                    copy.extractor.weights + copy.generator.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    images = to_model_range(random_images(5, seed=7))
    calibrated(copy)
    np.testing.assert_allclose(copy.score(images)["recon_error"],
                               model.score(images)["recon_error"], rtol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    ({"feature_source": "pixels"}, "feature_source"),
    ({"real_task": "contrastive"}, "real_task must be one of none, rotation"),
])
def test_bad_scoring_options(kwargs, match):
    with pytest.raises(ADeGANError, match=match):
        tiny_model(**kwargs)


def test_score_outputs_are_consistent():
    model = calibrated(tiny_model())
    out = model.score(to_model_range(random_images(5, seed=9)))
    expected = -np.log(out["recon_prob"].astype(np.float64)) - np.log(out["pattern_prob"])
    np.testing.assert_allclose(out["paper_score"], expected, rtol=1e-4)
    assert set(out) == set(OUTPUTS)
    assert out["pattern"].dtype == np.int32 and out["is_anomaly"].dtype == bool


def test_rotation_task_trains_e_on_real_normals_and_round_trips(tmp_path):
    """Beyond the paper: with real_task="rotation", stage 2 also fits E's rotation head on
    rotated real normals; the head is saved with the model and survives with_scoring."""
    model = tiny_model(stage1_epochs=1, real_task="rotation", real_weight=2.0)
    assert model.rotation_head is not None and tiny_model().rotation_head is None
    head_before = model.rotation_head.get_weights()[0].copy()
    history = model.fit(tiny_stream(), epochs=2, verbose=0).history
    assert "real_loss" in history and np.isfinite(history["real_loss"][-1])
    assert not np.array_equal(model.rotation_head.get_weights()[0], head_before)  # it learnt
    calibrated(model)
    images = to_model_range(random_images(10, seed=4))
    before = model.score(images)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.real_task == "rotation" and loaded.real_weight == 2.0
    np.testing.assert_array_equal(loaded.rotation_head.get_weights()[0],
                                  model.rotation_head.get_weights()[0])
    np.testing.assert_array_equal(loaded.score(images)["feature_score"], before["feature_score"])
    copy = model.with_scoring(feature_k=1)
    np.testing.assert_array_equal(copy.rotation_head.get_weights()[0],
                                  model.rotation_head.get_weights()[0])


def test_a_model_saved_by_an_earlier_version_with_retired_options_off_loads():
    """`get_config` of earlier versions held options since removed (`config.RETIRED`); with
    their "off" values the model still builds, with another value it is refused by name."""
    config = {**tiny_model().get_config(), "extractor_blocks": 0, "contrast_temperature": 0.5,
              "bank_selection": "random", "feature_density": "knn", "extractor_bottleneck": None}
    assert ADeGAN.from_config(config).get_config() == tiny_model().get_config()
    with pytest.raises(ADeGANError, match="extractor_blocks=1 is an option that was removed"):
        ADeGAN.from_config({**config, "extractor_blocks": 1})
    with pytest.raises(ADeGANError, match="feature_density='gaussian' is an option that was"):
        ADeGAN.from_config({**config, "feature_density": "gaussian"})
    with pytest.raises(ADeGANError, match="extractor_bottleneck=64 is an option that was"):
        ADeGAN.from_config({**config, "extractor_bottleneck": 64})  # edge_trained's models
    head = {**tiny_model().head.get_config(), "feature_density": "knn"}  # the head's own config
    assert ScoringHead.from_config(head).get_config() == tiny_model().head.get_config()
    # a coreset bank only chose how the saved bank was filled: such a model still loads
    assert (ADeGAN.from_config({**config, "bank_selection": "coreset"}).get_config()
            == tiny_model().get_config())
    assert (ScoringHead.from_config({**head, "bank_selection": "coreset"}).get_config()
            == tiny_model().head.get_config())


def test_rotation_score_adds_the_standardised_rotation_term_and_round_trips(tmp_path):
    """Beyond the paper: rotation_score_weight w makes the feature score
    z(kNN) + w * z(rotation score), each standardised on the calibration normals; computed here
    from E's rotation head by hand (numpy rotations), so a swapped turn or part fails."""
    model = tiny_model(stage1_epochs=1, real_task="rotation", rotation_score_weight=2.0)
    model.fit(tiny_stream(), epochs=2, verbose=0)
    calibrated(model)
    alone = calibrated(model.with_scoring(rotation_score_weight=0.0))  # the same kNN bank
    from keras_adegan.networks import run_to_features

    def rotation_score(images):
        nll = []
        for turn in range(4):
            turned = np.rot90(images, turn, axes=(1, 2))
            logits = model.rotation_head(run_to_features(model.extractor, turned)).numpy()
            log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
            nll.append(-log_p[:, turn])
        return np.mean(nll, axis=0)

    def z(values, normal_values):
        return (values - normal_values.mean()) / normal_values.std(ddof=1)

    normals = to_model_range(random_images(40, seed=1))  # what calibrated() calibrates on
    images = to_model_range(random_images(12, seed=7))
    expected = (z(alone.score(images)["feature_score"], alone.score(normals)["feature_score"])
                + 2.0 * z(rotation_score(images), rotation_score(normals)))
    out = model.score(images)
    got = out["feature_score"]
    np.testing.assert_allclose(got, expected, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(model.rotation_scores(images), rotation_score(images), rtol=1e-5,
                               atol=1e-6)
    # the parts, unstandardised, are outputs too (and only of a model with a rotation score)
    np.testing.assert_allclose(out["rotation_score"], rotation_score(images), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out["density_score"], alone.score(images)["feature_score"],
                               rtol=1e-6)
    assert "density_score" not in alone.score(images) and "rotation_score" not in alone.score(images)
    model.calibrate(to_model_range(random_images(40, seed=9)) * 0.5)  # other statistics, then
    calibration = model.calibrate(normals)  # the threshold must use the ones it just fitted
    assert set(calibration["standardisation"]) == {
        "density_mean", "density_std", "rotation_mean", "rotation_std"}
    assert calibration["feature_threshold"] == pytest.approx(  # with the statistics just fitted
        threshold_at_fpr(model.score(normals)["feature_score"], 0.05), abs=1e-5)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.head.rotation_score_weight == 2.0
    np.testing.assert_array_equal(loaded.score(images)["feature_score"], got)
    np.testing.assert_allclose(loaded.feature_call(images)["feature_score"], got, atol=1e-5)


@pytest.mark.parametrize("options,message", [
    ({"rotation_score_weight": 1.0}, "needs a model trained with a rotation head"),
    ({"real_task": "rotation", "rotation_score_weight": -1.0}, "rotation_score_weight must be >= 0"),
    ({"real_task": "rotation", "rotation_score_weight": float("nan")},
     "rotation_score_weight must be a finite number"),
])
def test_bad_rotation_score_weight_is_a_clear_error(options, message):
    with pytest.raises(ADeGANError, match=message):
        tiny_model(**options)


def test_rotation_score_of_a_model_without_the_task_is_a_clear_error():
    with pytest.raises(ADeGANError, match="needs a model trained with a rotation head"):
        tiny_model().rotation_scores(np.zeros((2, 16, 16, 1), np.float32))


def test_every_config_field_reaches_the_model_or_is_a_run_setting():
    """build_model passes every ADeGANConfig field that the model has an argument for; the
    rest are the run's (data, optimizer, budget): a new field must be one or the other."""
    import dataclasses

    from keras_adegan import ADeGANConfig
    from keras_adegan.factory import build_model
    from keras_adegan.model import CONFIG_ARGS

    run_settings = {"dataset", "anomaly_class", "image_size", "color_mode", "learning_rate",
                    "beta_1", "beta_2", "batch_size", "stage1_epochs", "stage2_epochs",
                    "val_fraction", "train_limit", "jit_compile"}
    fields = {f.name for f in dataclasses.fields(ADeGANConfig)}
    assert fields == set(CONFIG_ARGS) | run_settings
    config = ADeGANConfig.preset("digits", width=4, n_patterns=3, noise_std=0.2, seed=7,
                                 stage2_adversarial_weight=0.5, feature_k=2, bank_size=16)
    model_config = build_model(config, (16, 16, 1)).get_config()
    for name in CONFIG_ARGS:
        assert model_config[name] == getattr(config, name), name


def test_a_compact_model_scores_with_low_rank_e_and_a_projected_bank_and_round_trips(tmp_path):
    keras.utils.set_random_seed(0)  # the same networks whichever tests ran before
    model = tiny_model(extractor_rank=2, feature_projection=2, bank_size=16)
    model.fit(tiny_stream(), epochs=2, verbose=0)
    trained = feature_dense(model.extractor).kernel.numpy()
    full = calibrated(model.with_scoring(extractor_rank=None, feature_projection=None))
    calibrated(model)
    assert model.factors.is_fitted and model.head.bank.shape == (16, 2)
    np.testing.assert_array_equal(feature_dense(model.extractor).kernel.numpy(), trained)
    images = to_model_range(random_images(10, seed=4))
    before = model.score(images)
    assert not np.allclose(before["feature_score"], full.score(images)["feature_score"])
    # the paper's S keeps E as trained; E alone (the edge graph) is all compact
    for key in ("paper_score", "pattern_prob", "recon_error"):
        np.testing.assert_allclose(before[key], full.score(images)[key], rtol=1e-5)
    e_only = model.feature_call(images)
    # two graphs, two float32 orders of operations: 1e-7 apart on scores of ~0.005
    np.testing.assert_allclose(e_only["feature_score"], before["feature_score"], rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(e_only["pattern_prob"], before["pattern_prob"])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    for key in before:
        np.testing.assert_array_equal(before[key], loaded.score(images)[key])
    assert loaded.get_config() == model.get_config()
    # the trained layer was kept: another rank (or none) starts from it
    undone = calibrated(loaded.with_scoring(extractor_rank=None, feature_projection=None))
    np.testing.assert_allclose(undone.score(images)["feature_score"],
                               full.score(images)["feature_score"], rtol=1e-5)


@pytest.mark.parametrize("kwargs,match", [
    ({"extractor_rank": 32}, "extractor_rank must be between 1 and"),
    ({"feature_projection": 4}, "feature_projection must be between 1 and 3"),
])
def test_a_compaction_beyond_the_networks_size_is_a_clear_error(kwargs, match):
    with pytest.raises(ADeGANError, match=match):
        tiny_model(**kwargs)
