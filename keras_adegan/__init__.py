"""keras-adegan: ADe-GAN image anomaly detection (Chai et al., ICASSP 2022) in TensorFlow/Keras.

The public names below are imported on first use (TensorFlow, with its start-up lines hidden,
comes with the first of them), so that the command lines answer `--help` without loading it.

Example:
    >>> from keras_adegan import ADeGANConfig, train
    >>> metrics = train(ADeGANConfig.preset("mnist", anomaly_class=3), "runs/mnist-class3-seed0")
"""

import importlib
import os

from keras_adegan.startup import import_tensorflow_quietly

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_PUBLIC = {
    "ADeGAN": "model", "TrainingStages": "model",
    "build_model": "factory", "load_detector": "factory",
    "ADeGANConfig": "config", "PRESETS": "presets",
    "ADeGANError": "errors",
    "ImageData": "data", "load_dataset": "data",
    "OneClassSplits": "splits", "make_splits": "splits", "run_splits": "splits",
    "EpochOrder": "splits", "train_stream": "splits",
    "to_model_range": "images", "read_images": "images",
    "evaluate_model": "metrics",
    "train": "runs", "rescore": "runs", "validation_metrics": "runs",
}
_LIGHT = {"config", "presets", "errors", "data", "images"}  # no TensorFlow in these
__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'keras_adegan' has no attribute {name!r}")
    if _PUBLIC[name] not in _LIGHT:
        import_tensorflow_quietly()
    return getattr(importlib.import_module(f"keras_adegan.{_PUBLIC[name]}"), name)


def __dir__():
    return sorted(list(globals()) + __all__)
