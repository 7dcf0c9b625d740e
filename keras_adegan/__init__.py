"""keras-adegan: ADe-GAN image anomaly detection (Chai et al., ICASSP 2022) in TensorFlow/Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from keras_adegan.config import PRESETS, ADeGANConfig  # noqa: E402
from keras_adegan.data import (  # noqa: E402
    ImageData,
    OneClassSplits,
    load_dataset,
    make_splits,
    to_model_range,
    train_stream,
)
from keras_adegan.errors import ADeGANError  # noqa: E402
from keras_adegan.model import ADeGAN, TrainingStages  # noqa: E402

__all__ = [
    "ADeGAN",
    "ADeGANConfig",
    "ADeGANError",
    "ImageData",
    "OneClassSplits",
    "PRESETS",
    "TrainingStages",
    "load_dataset",
    "make_splits",
    "to_model_range",
    "train_stream",
]
__version__ = "0.1.0"
