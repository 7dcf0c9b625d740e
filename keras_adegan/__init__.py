"""keras-adegan: ADe-GAN image anomaly detection (Chai et al., ICASSP 2022) in TensorFlow/Keras."""

import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ start-up lines (absl, oneDNN, CUDA stubs) hidden: no
    environment variable silences them, and they look like failures in front of our own
    messages. They are shown if the import fails, and always with KERAS_ADEGAN_VERBOSE=1."""
    if os.environ.get("KERAS_ADEGAN_VERBOSE") or "tensorflow" in sys.modules:
        return
    with tempfile.TemporaryFile() as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


_import_tensorflow_quietly()

from keras_adegan.config import PRESETS, ADeGANConfig  # noqa: E402
from keras_adegan.data import (  # noqa: E402
    EpochOrder,
    ImageData,
    OneClassSplits,
    load_dataset,
    make_splits,
    to_model_range,
    train_stream,
)
from keras_adegan.errors import ADeGANError  # noqa: E402
from keras_adegan.model import ADeGAN, TrainingStages, load_detector  # noqa: E402

__all__ = [
    "ADeGAN",
    "ADeGANConfig",
    "ADeGANError",
    "EpochOrder",
    "ImageData",
    "OneClassSplits",
    "PRESETS",
    "TrainingStages",
    "load_dataset",
    "load_detector",
    "make_splits",
    "to_model_range",
    "train_stream",
]
__version__ = "0.1.0"
