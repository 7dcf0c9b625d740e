"""Shared fixtures: tiny data, one tiny trained run on `digits`, and the real-data location."""

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]


def shared_datasets() -> Path | None:
    """The real datasets: $KERAS_ADEGAN_DATA, else ../shared/datasets beside the repository."""
    root = Path(os.environ.get("KERAS_ADEGAN_DATA", REPO.parent / "shared" / "datasets"))
    return root if (root / "mnist").is_dir() else None


@pytest.fixture(scope="session")
def datasets_root():
    root = shared_datasets()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail("CI must provide the real datasets through KERAS_ADEGAN_DATA")
        pytest.skip("real datasets not found (set KERAS_ADEGAN_DATA)")
    return root


@pytest.fixture(scope="session")
def tiny_config():
    from keras_adegan import ADeGANConfig

    return ADeGANConfig.preset("digits", anomaly_class=0, stage1_epochs=1, stage2_epochs=1,
                               width=8, batch_size=32, train_limit=256, seed=0)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tiny_config):
    """A finished tiny run on `digits` (output folder and metrics), shared by many tests."""
    from keras_adegan.runs import train

    out = tmp_path_factory.mktemp("run") / "digits"
    metrics = train(tiny_config, out, verbose=0)
    return out, metrics


@pytest.fixture(scope="session")
def digits_splits(tiny_config):
    from keras_adegan.data import load_dataset
    from keras_adegan.splits import make_splits

    return make_splits(load_dataset("digits"), 0, tiny_config.val_fraction, tiny_config.seed)


def random_images(n, shape=(16, 16, 1), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (n,) + shape, dtype=np.uint8)
