"""`ADeGANHyperModel`: the KerasTuner search space over n_c, the loss weights, lr and width.

Each trial trains one detector on the normal training images, calibrates it on validation
normals, saves it (`model.keras` in the trial's folder, usable by `evaluate`, `score` and
`export`) and returns its objective, computed on the validation split only:

* `labelled` (default): AUROC of the model's deciding score (the config's `score`: the feature
  score by default, or the paper's S) on the validation split, whose anomalies are held-out
  anomaly-class images of the *train* split;
* `unsupervised`: for users without anomaly labels, AUROC of validation normals against the
  same images rotated by 90 degrees (flipped upside down when not square). The proxy asks
  whether the detector has learnt the normals' shape statistics; it needs no labels, but is
  blind for rotation-symmetric content and can favour a model tuned to orientation only.

Example:
    >>> hypermodel = ADeGANHyperModel(ADeGANConfig.preset("mnist", anomaly_class=1), (28, 28, 1))
    >>> tuner = make_tuner("bayesian", hypermodel, "runs/tune", "mnist-class1", max_trials=20)
    >>> tuner.search(train_x=splits.train_x, val_x=splits.val_x, val_y=splits.val_y)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import keras_tuner as kt
import numpy as np

from keras_adegan.config import ADeGANConfig
from keras_adegan.errors import ADeGANError
from keras_adegan.factory import build_model
from keras_adegan.images import to_model_range
from keras_adegan.metrics import ValidationAUROC, component_scores, ranking_metrics
from keras_adegan.splits import train_stream
from .space import ALIASES, OBJECTIVE_NAME, OBJECTIVES, SEARCH_SPACE

def synthetic_anomalies(images: np.ndarray) -> np.ndarray:
    """Label-free stand-ins for anomalies: the images rotated by 90 degrees (or flipped)."""
    if images.shape[1] == images.shape[2]:
        return np.rot90(images, k=1, axes=(1, 2)).copy()
    return images[:, ::-1].copy()


class ADeGANHyperModel(kt.HyperModel):
    """Builds and trains `ADeGAN` for one set of hyperparameters.

    Args:
        base: the config every trial starts from (dataset, class, epochs, seed ...).
        image_shape: (H, W, C) of the images.
        tune: names from `SEARCH_SPACE` (or the paper's, `ALIASES`: n_c) to search; the rest
            keep `base`'s values.
        values: name -> list of values to try instead of the default range (e.g. a sweep).
        objective: "labelled" or "unsupervised" (see the module docstring).
    """

    def __init__(self, base: ADeGANConfig, image_shape, tune=tuple(SEARCH_SPACE), values=None,
                 objective: str = "labelled", **kwargs):
        super().__init__(**kwargs)
        tune = [ALIASES.get(name, name) for name in tune]
        values = {ALIASES.get(name, name): v for name, v in (values or {}).items()}
        unknown = sorted(set(tune) - set(SEARCH_SPACE)) + sorted(set(values or {}) - set(SEARCH_SPACE))
        if unknown:
            raise ADeGANError(f"cannot tune {unknown[0]!r}; tunable: {', '.join(SEARCH_SPACE)}")
        if objective not in OBJECTIVES:
            raise ADeGANError(f"unknown objective {objective!r}; choose from {', '.join(OBJECTIVES)}")
        self.base, self.image_shape = base, tuple(image_shape)
        self.tune, self.values, self.objective = tuple(tune), dict(values or {}), objective

    def config(self, hp: kt.HyperParameters) -> ADeGANConfig:
        """The base config with this trial's values."""
        chosen = {}
        for name in self.tune:
            kind, low, high = SEARCH_SPACE[name]
            if name in self.values:
                chosen[name] = hp.Choice(name, self.values[name])
            elif kind == "int":
                chosen[name] = hp.Int(name, low, high)
            elif kind == "log":
                chosen[name] = hp.Float(name, low, high, sampling="log")
            else:
                chosen[name] = hp.Choice(name, [low, high])
        return ADeGANConfig.from_dict({**self.base.to_dict(), **chosen})

    def build(self, hp):
        config = self.config(hp)
        # A bank of every training normal is sized in fit(), which sees the training images
        # (KerasTuner also builds a model before any data, to register the search space).
        keras.utils.set_random_seed(config.seed)  # a trial's weights do not depend on earlier trials
        return build_model(config, self.image_shape, n_train=config.feature_k)

    def fit(self, hp, model, train_x, val_x, val_y, trial_dir=None, callbacks=None, **kwargs):
        """Train, calibrate, save to `trial_dir` and return {OBJECTIVE_NAME: value, ...}."""
        config = self.config(hp)
        normals = val_x[val_y == 0]
        if self.objective == "labelled":
            sets = {"val": (val_x, val_y)}
        else:
            sets = {"val": (np.concatenate([normals, synthetic_anomalies(normals)]),
                            np.r_[np.zeros(len(normals)), np.ones(len(normals))])}
        auroc = ValidationAUROC(sets)  # made here: tuner callbacks are deep-copied
        # Hyperband's budget counts stage-2 epochs: stage 1 always runs in full (E is untrained
        # before stage 2, so a shorter run has no meaningful objective). A trial that continues
        # an earlier one starts from its weights, after that trial's last epoch.
        epochs, initial = config.stage1_epochs + config.stage2_epochs, 0
        if "epochs" in kwargs:
            epochs = config.stage1_epochs + kwargs["epochs"]
            if kwargs.get("initial_epoch"):
                initial = config.stage1_epochs + kwargs["initial_epoch"]
        start = time.time()
        model.adapt(to_model_range(train_x))
        model.fit(train_stream(train_x, config.batch_size, config.seed),
                  epochs=epochs, initial_epoch=initial,
                  callbacks=list(callbacks or []) + [auroc], verbose=kwargs.get("verbose", 0))
        if config.bank_size is None and model.head.bank_size != len(train_x):
            model = model.with_scoring(bank_size=max(len(train_x), config.feature_k))
        model.fit_feature_score(to_model_range(train_x))
        model.calibrate(to_model_range(normals))
        x, y = sets["val"]
        metrics = ranking_metrics(component_scores(model.score(to_model_range(x))), y)
        chosen = "features" if config.score == "features" else "combined"
        result = {OBJECTIVE_NAME: metrics[f"auroc_{chosen}"],
                  "val_auroc_features": metrics["auroc_features"],
                  "val_auroc_combined": metrics["auroc_combined"],
                  "val_auroc_recon": metrics["auroc_recon"],
                  "val_auroc_pattern": metrics["auroc_pattern"]}
        if trial_dir is not None:
            Path(trial_dir).mkdir(parents=True, exist_ok=True)
            model.save(Path(trial_dir) / "model.keras")
            (Path(trial_dir) / "validation.json").write_text(json.dumps(
                {"objective": self.objective, **result, "config": config.to_dict(),
                 "history": auroc.history, "seconds": round(time.time() - start, 1)},
                indent=2) + "\n")
        return result


def _with_trial_dir(tuner_class):
    """A tuner class that hands each trial's folder to `ADeGANHyperModel.fit`."""

    class Tuner(tuner_class):
        def run_trial(self, trial, *args, **kwargs):
            kwargs["trial_dir"] = self.get_trial_dir(trial.trial_id)
            return super().run_trial(trial, *args, **kwargs)

    Tuner.__name__ = tuner_class.__name__
    return Tuner


TUNERS = {"random": _with_trial_dir(kt.RandomSearch),
          "bayesian": _with_trial_dir(kt.BayesianOptimization),
          "hyperband": _with_trial_dir(kt.Hyperband),
          "grid": _with_trial_dir(kt.GridSearch)}


def make_tuner(kind: str, hypermodel: ADeGANHyperModel, directory, project_name: str,
               max_trials: int = 10, seed: int = 0):
    """A KerasTuner tuner that maximises the validation objective and resumes its project."""
    if kind not in TUNERS:
        raise ADeGANError(f"unknown tuner {kind!r}; choose from {', '.join(TUNERS)}")
    common = dict(hypermodel=hypermodel, objective=kt.Objective(OBJECTIVE_NAME, "max"),
                  directory=str(directory), project_name=project_name, overwrite=False, seed=seed)
    if kind == "hyperband":
        return TUNERS[kind](max_epochs=max(hypermodel.base.stage2_epochs, 1), factor=3, **common)
    return TUNERS[kind](max_trials=max_trials, **common)
