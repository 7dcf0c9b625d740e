"""A Frechet distance between G's samples and real images, in the features of a small classifier.

FID measures a generator by the Frechet distance between two Gaussians fitted to Inception
features of real and generated images. Inception knows nothing of 28x28 digits, so, as the
GAN literature does for MNIST, each named dataset gets a small CNN classifier trained once on
its whole training split (every class; labels used to *measure* only, nothing of ADe-GAN trains
on them); its 64 penultimate activations are the features. The weights ship with the package
(`frechet_weights/<dataset>.npz`), with a card (`<dataset>.json`) that records the command,
seed, epochs, versions and the classifier's accuracy on the test split, as FID papers name their
Inception weights. `benchmarks.frechet_classifiers` trains them.

Example:
    >>> classifier = load_classifier("mnist")            # None for datasets without weights
    >>> real = classifier.features(val_images)            # uint8 or [-1, 1] images
    >>> frechet_distance(real, classifier.features(samples))
"""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import keras
import numpy as np
from keras import layers

from keras_adegan.images import to_model_range

WEIGHTS_DIR = Path(__file__).parent / "frechet_weights"
FEATURES = 64  # penultimate width: the Frechet distance's dimension


def build_classifier(image_shape, n_classes: int) -> keras.Model:
    """The small CNN: three stride-2 convolutions, global average pooling, a 64-wide `features`
    layer and a softmax over `n_classes`, for images in [-1, 1]."""
    x = keras.Input(tuple(image_shape), name="image")
    y = x
    for filters in (32, 64, 128):
        y = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(y)
    y = layers.GlobalAveragePooling2D()(y)
    y = layers.Dense(FEATURES, activation="relu", name="features")(y)
    return keras.Model(x, layers.Dense(n_classes, activation="softmax", name="probs")(y),
                       name="frechet_classifier")


@dataclasses.dataclass
class FrechetClassifier:
    """A trained classifier and its card (what made it, how accurate it is)."""

    model: keras.Model
    card: dict

    @functools.cached_property
    def _head(self) -> keras.Model:
        return keras.Model(self.model.input, self.model.get_layer("features").output)

    def features(self, images, batch_size: int = 512) -> np.ndarray:
        """The `features` activations (n, 64) of uint8 or [-1, 1] images."""
        x = np.asarray(images)
        x = to_model_range(x) if x.dtype == np.uint8 else x.astype(np.float32)
        return np.concatenate([self._head(x[i:i + batch_size], training=False).numpy()
                               for i in range(0, len(x), batch_size)])

    def save(self, dataset: str, folder: Path = WEIGHTS_DIR) -> None:
        """Weights as `<dataset>.npz` (plain arrays, readable by any Keras version), card as
        `<dataset>.json`."""
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / f"{dataset}.npz", *self.model.get_weights())
        (folder / f"{dataset}.json").write_text(json.dumps(self.card, indent=1) + "\n")


def load_classifier(dataset: str, image_shape=None, folder: Path = WEIGHTS_DIR
                    ) -> FrechetClassifier | None:
    """The shipped classifier of a named dataset, or None if there is none (image folders) or
    it was trained on another image shape than `image_shape`."""
    card_path = folder / f"{dataset}.json"
    if not card_path.is_file():
        return None
    card = json.loads(card_path.read_text())
    if image_shape is not None and tuple(card["image_shape"]) != tuple(image_shape):
        return None
    model = build_classifier(card["image_shape"], card["n_classes"])
    with np.load(folder / f"{dataset}.npz") as arrays:
        model.set_weights([arrays[f"arr_{i}"] for i in range(len(arrays.files))])
    return FrechetClassifier(model, card)


def gaussian(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of feature rows."""
    f = np.asarray(features, np.float64)
    return f.mean(axis=0), np.atleast_2d(np.cov(f, rowvar=False))


def frechet_distance(a, b) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) between Gaussians fitted to two sets
    of feature rows (or to `gaussian` pairs)."""
    (mu_a, s_a), (mu_b, s_b) = (v if isinstance(v, tuple) else gaussian(v) for v in (a, b))
    # Tr((S_a S_b)^(1/2)) = the sum of the square roots of the eigenvalues of the symmetric
    # S_a^(1/2) S_b S_a^(1/2): stable for singular covariances (e.g. collapsed samples)
    values, vectors = np.linalg.eigh(s_a)
    root_a = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    trace_root = np.sum(np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ s_b @ root_a), 0, None)))
    return float(np.sum((mu_a - mu_b) ** 2) + np.trace(s_a + s_b) - 2.0 * trace_root)
