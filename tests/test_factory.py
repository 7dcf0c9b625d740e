import dataclasses

import keras
import pytest

from keras_adegan.errors import ADeGANError
from keras_adegan.factory import build_model, load_detector, scoring_options


def test_build_model_carries_the_config_and_where_the_data_came_from(tiny_config):
    model = build_model(tiny_config, (16, 16, 1), n_train=300, data_source="/data/parts")
    assert model.image_shape == (16, 16, 1) and model.n_patterns == tiny_config.n_patterns
    assert model.run_config == {**tiny_config.to_dict(), "data_source": "/data/parts"}
    assert model.compiled and model.head.bank.shape[0] == 300


def test_a_bank_of_every_training_normal_is_sized_from_the_training_set(tiny_config):
    assert tiny_config.bank_size is None  # the default chosen on validation: every normal
    assert scoring_options(tiny_config, 300)["bank_size"] == 300
    # a bank_size above the training normals (a preset's, on less data) holds them all
    larger = dataclasses.replace(tiny_config, bank_size=5000)
    assert scoring_options(larger, 300)["bank_size"] == 300
    # never fewer rows than the neighbours the score averages (fit_feature_score then asks
    # for more training images)
    assert scoring_options(dataclasses.replace(tiny_config, feature_k=5), 3)["bank_size"] == 5
    with pytest.raises(ADeGANError, match="needs the number of training images"):
        build_model(tiny_config, (16, 16, 1))


def test_load_detector_names_a_missing_file_and_how_to_make_one(tmp_path):
    with pytest.raises(ADeGANError, match="none.keras does not exist; train one with"):
        load_detector(tmp_path / "none.keras")


def test_load_detector_rejects_an_archive_that_is_no_model(tmp_path):
    import zipfile

    with zipfile.ZipFile(tmp_path / "x.keras", "w") as archive:
        archive.writestr("notes.txt", "x")
    with pytest.raises(ADeGANError, match="cannot load"):
        load_detector(tmp_path / "x.keras")


def test_a_truncated_model_is_named_as_such_not_as_missing(tmp_path, trained_run):
    whole = (trained_run[0] / "model.keras").read_bytes()
    (tmp_path / "cut.keras").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ADeGANError, match="cut.keras is not a .keras file \\(not a zip archive: "
                                          "truncated, corrupt"):
        load_detector(tmp_path / "cut.keras")


def test_load_detector_rejects_another_kind_of_keras_model(tmp_path):
    other = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    other.save(tmp_path / "other.keras")
    with pytest.raises(ADeGANError, match="holds a Sequential, not an ADeGAN detector"):
        load_detector(tmp_path / "other.keras")


def test_load_detector_rejects_a_model_never_calibrated(tmp_path, tiny_config):
    build_model(tiny_config, (16, 16, 1), n_train=64).save(tmp_path / "raw.keras")
    with pytest.raises(ADeGANError, match="raw.keras is not calibrated: call model.calibrate"):
        load_detector(tmp_path / "raw.keras")


def test_a_trained_detector_loads_with_its_config(trained_run, tiny_config):
    run, _ = trained_run
    model = load_detector(run / "model.keras")
    assert model.is_calibrated and model.run_config["seed"] == tiny_config.seed
    assert model.get_config()["feature_k"] == tiny_config.feature_k
