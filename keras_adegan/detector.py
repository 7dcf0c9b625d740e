"""`Detector`: the numpy side of a trained ADe-GAN: fit its scoring head, calibrate, score.

`ADeGAN` (the Keras model, `keras_adegan.model`) inherits these methods. They take numpy images
in the model's range [-1, 1] (`keras_adegan.to_model_range` converts uint8), check them, and run
the model's graphs in batches on this process only, never through a `tf.distribute` strategy.

Example:
    >>> model.fit_feature_score(to_model_range(splits.train_x))    # the feature bank
    >>> model.calibrate(to_model_range(splits.val_normals))         # Eq. 9 statistics, thresholds
    >>> model.score(to_model_range(images))["is_anomaly"]
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from keras_adegan.errors import ADeGANError
from keras_adegan.networks import feature_dense, run_to_features


class Detector:
    """Scoring methods of `ADeGAN` on numpy images (a mixin: it uses the model's `head`,
    `image_shape`, networks and graphs)."""

    @property
    def threshold(self):
        """The decision threshold of the chosen score."""
        return self.head.threshold

    @property
    def is_calibrated(self) -> bool:
        return self.head.is_calibrated

    def check_images(self, images) -> np.ndarray:
        """Validate a batch of model-range images, or raise `ADeGANError` saying what is wrong."""
        images = np.asarray(images)
        if images.ndim == 3 and self.image_shape[-1] == 1 and images.shape[1:] == self.image_shape[:2]:
            images = images[..., None]
        if images.ndim != 4 or images.shape[1:] != self.image_shape:
            raise ADeGANError(
                f"images have shape {images.shape}, the model expects (N, {', '.join(map(str, self.image_shape))})"
                f": {self.image_shape[0]}x{self.image_shape[1]} pixels with {self.image_shape[2]} channel(s)"
            )
        if not np.issubdtype(images.dtype, np.number):
            raise ADeGANError(f"images must be numeric, got dtype {images.dtype}")
        images = images.astype(np.float32)
        if not np.all(np.isfinite(images)):
            raise ADeGANError(f"{int(np.sum(~np.isfinite(images).all(axis=(1, 2, 3))))} image(s) "
                              "contain NaN or infinite pixels; clean them before scoring")
        if images.size and (images.min() < -1.001 or images.max() > 1.001):
            raise ADeGANError(
                f"pixels range from {images.min():g} to {images.max():g}, the model expects [-1, 1]:"
                " convert uint8 images with keras_adegan.to_model_range(images)"
            )
        return images

    def score(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """Score images in [-1, 1]; returns numpy arrays keyed like `call()`.

        Raises:
            ADeGANError: wrong shape or channels, NaN pixels, pixels outside [-1, 1], or a model
                that has not been calibrated (`fit_feature_score()` then `calibrate()`).
        """
        images = self.check_images(images)
        if not self.is_calibrated:
            raise ADeGANError("the model is not calibrated: call fit_feature_score(train_normals) "
                              "and calibrate(validation_normals) first")
        return self.raw_outputs(images, batch_size)

    def _batched(self, name, fn, images, batch_size):
        """`fn` (a graph of images) over numpy images in batches, on this process only."""
        if batch_size < 1:
            raise ADeGANError(f"batch_size must be at least 1, got {batch_size}")
        if name not in self._functions:
            self._functions[name] = tf.function(
                fn, input_signature=[tf.TensorSpec((None,) + self.image_shape, tf.float32)])
        images = np.asarray(images, np.float32)
        parts = [self._functions[name](images[i:i + batch_size])
                 for i in range(0, max(len(images), 1), batch_size)]
        return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}

    def raw_outputs(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """`call()` on model-range images in batches, on this process only; no input checks.

        Unlike `predict()`, this never distributes the work under a `tf.distribute` strategy
        (whose gather cannot carry the boolean `is_anomaly`), so every worker of a
        multi-worker run can score on its own.
        """
        return self._batched("call", lambda x: self(x, training=False), images, batch_size)

    def batch_statistics_outputs(self, images, batch_size: int = 64) -> dict[str, np.ndarray]:
        """`raw_outputs`, but with G's BatchNorm normalising each batch by its own statistics
        (training mode), as GANomaly's public evaluation code does. For the biased-protocol
        diagnostic only: a score then depends on the other images of its batch. G's moving
        statistics, which training mode updates, are restored afterwards."""
        saved = [v.numpy() for v in self.generator.non_trainable_variables]
        try:
            return self._batched("call_batch_statistics", lambda x: self(x, training=True),
                                 images, batch_size)
        finally:
            for variable, value in zip(self.generator.non_trainable_variables, saved):
                variable.assign(value)

    def extract_features(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """The feature vectors (`features`) and E's pattern probabilities (`probs`) of
        model-range images, as used by the feature score."""
        return self._batched("features", lambda x: self._parts(x, with_generator=False),
                             images, batch_size)

    def rotation_scores(self, images, batch_size: int = 256) -> np.ndarray:
        """The rotation task's own score of model-range images, unstandardised (models trained
        with a rotation head, `real_task` "rotation", only)."""
        if self.rotation_head is None:
            raise ADeGANError("the rotation score needs a model trained with "
                              "a rotation head (--real-task rotation)")
        return self._batched(
            "rotation", lambda x: {"rotation": self.rotation_head.score(self.extractor, x)},
            images, batch_size)["rotation"]

    def fit_feature_score(self, train_normals, batch_size: int = 256) -> dict:
        """Fill the feature score's bank from training normals.

        Use the training split's normal images (model range); call `calibrate()` afterwards,
        since the head changes the feature score. With `extractor_rank`, E's low-rank factors are
        fitted first on these images' outputs of E's dense layer, and the feature score runs
        through them (the paper's S keeps E as trained).

        Returns:
            dict with `points` (training normals seen) and `bank_rows` (rows filled).
        """
        images = self.check_images(train_normals)
        if len(images) < self.head.feature_k:
            raise ADeGANError(f"the feature score needs at least feature_k = {self.head.feature_k} "
                              f"training images, got {len(images)}")
        if self.factors is not None:  # E at a lower rank from now on (`extractor_rank`)
            dense = feature_dense(self.extractor)
            outputs = self._batched(
                "dense", lambda x: {"y": run_to_features(self.extractor, x, until=dense.name)},
                images, batch_size)["y"]
            self.factors.fit(dense, outputs)
            self._functions.clear()  # traced with the full layer
        out = self.extract_features(images, batch_size)
        return self.head.fit(out["features"])

    def calibrate(self, normal_images, fpr: float = 0.05, batch_size: int = 256) -> dict:
        """Fit Eq. 9's normal distribution and both scores' decision thresholds on normals.

        Use held-out normal images (the validation split), never the test split, after
        `fit_feature_score()`. Each threshold flags a share `fpr` of these images. Returns
        what `ScoringHead.calibrate` returns.
        """
        images = self.check_images(normal_images)
        return self.head.calibrate(self.raw_outputs(images, batch_size), fpr)

    def generate(self, n_per_pattern: int, seed: int = 0) -> np.ndarray:
        """Samples of G for every pattern: array (n_patterns, n_per_pattern, H, W, C) in [-1, 1]."""
        rng = np.random.default_rng(seed)
        labels = np.repeat(np.arange(self.n_patterns), n_per_pattern)
        z_n = rng.normal(0.0, self.noise_std, (len(labels), self.noise_dim)).astype(np.float32)
        codes = np.concatenate([np.eye(self.n_patterns, dtype=np.float32)[labels], z_n], -1)
        images = self.generator(codes, training=False).numpy()
        return images.reshape((self.n_patterns, n_per_pattern) + self.image_shape)
