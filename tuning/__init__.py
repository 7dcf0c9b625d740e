"""Hyperparameter search for ADe-GAN with KerasTuner (`python -m tuning.search`, `keras-adegan tune`).

Installed as `keras_adegan.tuning` (pyproject.toml maps this folder there), imported as `tuning`
from a checkout; imports inside it are relative, so both names work.

Example:
    >>> from tuning import ADeGANHyperModel, make_tuner
    >>> tuner = make_tuner("random", ADeGANHyperModel(config, (28, 28, 1)), "runs/tune", "demo")
"""

import importlib

from .space import OBJECTIVE_NAME, OBJECTIVES, SEARCH_SPACE

_LAZY = {"ADeGANHyperModel": "hypermodel", "make_tuner": "hypermodel",
         "synthetic_anomalies": "hypermodel"}  # KerasTuner and TensorFlow: imported on first use
__all__ = ["OBJECTIVE_NAME", "OBJECTIVES", "SEARCH_SPACE", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        from keras_adegan.startup import import_tensorflow_quietly

        import_tensorflow_quietly()
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'tuning' has no attribute {name!r}")
