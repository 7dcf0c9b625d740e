"""Hyperparameter search for ADe-GAN with KerasTuner (`python -m tuning.search`).

Example:
    >>> from tuning import ADeGANHyperModel, make_tuner
    >>> tuner = make_tuner("random", ADeGANHyperModel(config, (28, 28, 1)), "runs/tune", "demo")
"""

import keras_adegan  # noqa: F401  (first: it imports TensorFlow with its start-up lines hidden)
from tuning.hypermodel import (
    OBJECTIVES,
    SEARCH_SPACE,
    ADeGANHyperModel,
    make_tuner,
    synthetic_anomalies,
)

__all__ = ["OBJECTIVES", "SEARCH_SPACE", "ADeGANHyperModel", "make_tuner", "synthetic_anomalies"]
