"""The two ways to an `ADeGAN`: `build_model` from an `ADeGANConfig` (the one path from a config
to a compiled model) and `load_detector` from a saved, calibrated `.keras` file.

Example:
    >>> model = build_model(ADeGANConfig.preset("mnist"), (28, 28, 1), n_train=54_000)
    >>> detector = load_detector("runs/mnist-class0-seed0/model.keras")
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import keras

from keras_adegan.config import SCORE_FIELDS, ADeGANConfig
from keras_adegan.errors import ADeGANError
from keras_adegan.model import CONFIG_ARGS, ADeGAN


def load_detector(path) -> ADeGAN:
    """Load a calibrated `ADeGAN` from a `.keras` file, with a clear error for anything else.

    Args:
        path: a `model.keras` written by `train` (or by `ADeGAN.save` after `calibrate`).

    Raises:
        ADeGANError: the file is missing, not a `.keras` archive, unreadable, holds another
            kind of model, or holds a model that was never calibrated.

    Example:
        >>> detector = load_detector("runs/mnist-class0-seed0/model.keras")
        >>> detector.score(to_model_range(images))["is_anomaly"]
    """
    path = Path(path)
    if not path.is_file():
        raise ADeGANError(f"model file {path} does not exist; train one with "
                          "python -m keras_adegan.train")
    if not zipfile.is_zipfile(path):
        raise ADeGANError(f"{path} is not a .keras file (not a zip archive: truncated, "
                          "corrupt or another format); point --model at the model.keras that "
                          "train wrote, or retrain")
    try:
        model = keras.models.load_model(path)
    except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
        raise ADeGANError(f"cannot load {path} as a Keras model: {exc}") from None
    if not isinstance(model, ADeGAN):
        raise ADeGANError(f"{path} holds a {type(model).__name__}, not an ADeGAN detector")
    if not model.is_calibrated:
        raise ADeGANError(f"{path} is not calibrated: call model.calibrate(normal_images) and save")
    return model


def scoring_options(config: ADeGANConfig, n_train: int | None) -> dict:
    """The model's scoring arguments from a config; `bank_size` None (the whole training set)
    becomes the number of training normals, `n_train`, and a larger bank_size (a preset's, on
    a smaller dataset) shrinks to it: the bank holds at most every training normal."""
    options = {field: getattr(config, field) for field in SCORE_FIELDS}
    if options["bank_size"] is None and n_train is None:
        raise ADeGANError("bank_size None (every training normal) needs the number of "
                          "training images")
    if n_train is not None:
        options["bank_size"] = max(min(options["bank_size"] or n_train, int(n_train)),
                                   options["feature_k"])
    return options


def build_model(config: ADeGANConfig, image_shape, n_train: int | None = None,
                data_source: str | None = None) -> ADeGAN:
    """A compiled `ADeGAN` with the config's hyperparameters and optimizers.

    Args:
        config: the run's hyperparameters (`ADeGANConfig.preset(...)` or your own).
        image_shape: (H, W, C) of the images.
        n_train: the number of training normals; it sizes a bank that holds them all
            (`bank_size` None) and caps a larger one. Needed unless `config.bank_size` is set.
        data_source: where the images were read, recorded with the config in the model's
            `run_config` (evaluate and export re-read an image folder from it).

    Example:
        >>> config = ADeGANConfig.preset("mnist", anomaly_class=3)
        >>> model = build_model(config, (28, 28, 1), n_train=len(splits.train_x))
        >>> model.adapt(to_model_range(splits.train_x))
        >>> model.fit(train_stream(splits.train_x, config.batch_size, config.seed),
        ...           epochs=config.stage1_epochs + config.stage2_epochs)
    """
    options = {name: getattr(config, name) for name in CONFIG_ARGS}
    options.update(scoring_options(config, n_train))
    run_config = config.to_dict()
    if data_source is not None:
        run_config["data_source"] = data_source  # where evaluate and export re-read the data
    model = ADeGAN(image_shape=image_shape, stage1_epochs=config.stage1_epochs,
                   run_config=run_config, **options)
    model.compile(learning_rate=config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                  jit_compile=config.jit_compile)
    return model
