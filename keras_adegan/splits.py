"""One-class splits of a labelled dataset, and the training stream that feeds `fit`.

Example:
    >>> splits = make_splits(load_dataset("digits"), anomaly_class=0, val_fraction=0.1, seed=0)
    >>> ds = train_stream(splits.train_x, batch_size=32, seed=0)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from keras_adegan.data import ImageData, load_dataset
from keras_adegan.errors import ADeGANError
from keras_adegan.images import scale_pixels


@dataclasses.dataclass
class OneClassSplits:
    """Normal-only training images, a labelled validation set and the untouched test split.

    Labels are 1 for the anomaly class and 0 for normal images. `train_classes` and
    `val_classes` keep each image's class index in the dataset, to *measure* how G and E divide
    the normal classes (`keras_adegan.diagnostics`); nothing trains on them.

    Example:
        >>> splits = make_splits(load_dataset("digits"), anomaly_class=0)
        >>> splits.train_x.shape[0] + len(splits.val_normals)   # every normal training image
    """

    train_x: np.ndarray
    val_x: np.ndarray
    val_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray
    anomaly_class: int
    class_names: list[str]
    train_classes: np.ndarray | None = None
    val_classes: np.ndarray | None = None

    @property
    def val_normals(self) -> np.ndarray:
        return self.val_x[self.val_y == 0]


def make_splits(data: ImageData, anomaly_class: int, val_fraction: float = 0.1, seed: int = 0,
                train_limit: int | None = None) -> OneClassSplits:
    """Leave-one-class-out splits: train on normals, validate on held-out train images.

    Validation takes `val_fraction` of the training split's normals and of its anomaly-class
    images; the test split is passed through untouched, for the final report only.

    Args:
        data: the dataset.
        anomaly_class: index (into `data.class_names`) of the class held out as the anomaly.
        val_fraction: share of the training split's normals and anomalies held out.
        seed: seed of the hold-out (and of `train_limit`'s sample).
        train_limit: keep at most this many training normals (a seeded sample); None keeps all.

    Raises:
        ADeGANError: `anomaly_class` is not a class of the dataset.

    Example:
        >>> splits = make_splits(load_dataset("digits"), anomaly_class=0, seed=1)
        >>> splits.val_y.mean()                       # share of anomalies in validation
    """
    n_classes = len(data.class_names)
    if not 0 <= anomaly_class < n_classes:
        raise ADeGANError(
            f"anomaly class {anomaly_class} is out of range: this dataset has {n_classes} classes "
            f"(0-{n_classes - 1}: {', '.join(data.class_names)})"
        )
    rng = np.random.default_rng(seed)
    normal = rng.permutation(np.flatnonzero(data.y_train != anomaly_class))
    anomalous = rng.permutation(np.flatnonzero(data.y_train == anomaly_class))
    n_val_normal = max(1, int(round(val_fraction * len(normal))))
    n_val_anomalous = max(1, int(round(val_fraction * len(anomalous))))
    train_idx = np.sort(normal[n_val_normal:])
    if train_limit is not None:
        train_idx = np.sort(rng.permutation(train_idx)[:train_limit])
    val_idx = np.concatenate([np.sort(normal[:n_val_normal]), np.sort(anomalous[:n_val_anomalous])])
    return OneClassSplits(
        train_x=data.x_train[train_idx],
        val_x=data.x_train[val_idx],
        val_y=(data.y_train[val_idx] == anomaly_class).astype(np.int64),
        test_x=data.x_test,
        test_y=(data.y_test == anomaly_class).astype(np.int64),
        anomaly_class=anomaly_class,
        class_names=list(data.class_names),
        train_classes=data.y_train[train_idx].astype(np.int64),
        val_classes=data.y_train[val_idx].astype(np.int64),
    )


class EpochOrder:
    """The order in which one epoch visits the training images: a permutation drawn from
    (seed, epoch) alone, so that a run resumed at epoch e sees exactly the batches the
    uninterrupted run saw.

    `ADeGAN.fit` keeps `epoch` in step with Keras's epoch counter through `callback()` (a
    resumed fit starts at its restored epoch); without that callback, each new pass over the
    stream takes the next epoch.

    Example:
        >>> order = EpochOrder(5, seed=0)
        >>> bool((order.permutation(3) == EpochOrder(5, seed=0).permutation(3)).all())
        True
    """

    def __init__(self, n_images: int, seed: int):
        self.n_images, self.seed, self.epoch = int(n_images), int(seed), 0

    def permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, int(epoch)]).permutation(self.n_images)

    def next_pass(self):
        """Generator of one pass: this epoch's permutation (then the epoch moves on by one)."""
        epoch, self.epoch = self.epoch, self.epoch + 1
        yield self.permutation(epoch)

    def callback(self):
        import keras

        order = self

        class FollowEpoch(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                order.epoch = epoch

        return FollowEpoch()


def check_batch_size(n_images: int, batch_size: int) -> None:
    """Refuse a batch size that no epoch of `n_images` training images can fill."""
    if batch_size < 1:
        raise ADeGANError(f"batch size must be at least 1, got {batch_size}")
    if n_images < batch_size:
        raise ADeGANError(
            f"only {n_images} training images for a batch size of {batch_size}: "
            "lower --batch-size or supply more images"
        )


def train_stream(images: np.ndarray, batch_size: int, seed: int):
    """Batched, prefetched stream of normal images scaled to [-1, 1], in an order that is a pure
    function of (seed, epoch) (see `EpochOrder`, reachable as the stream's `epoch_order`).

    Batches have exactly `batch_size` images (the remainder of each epoch is dropped), so that
    every replica of a distribution strategy gets an equal share.

    Args:
        images: uint8 (N, H, W, C) normal images.
        batch_size: the global batch size, at most N.
        seed: seed of the order.

    Raises:
        ADeGANError: `batch_size` is below 1 or above the number of images.

    Example:
        >>> model.fit(train_stream(splits.train_x, 64, seed=0), epochs=4)
    """
    import tensorflow as tf

    check_batch_size(len(images), batch_size)
    order = EpochOrder(len(images), seed)
    pixels = tf.constant(np.asarray(images))

    def batch_of_images(indices):
        return scale_pixels(tf.cast(tf.gather(pixels, indices), tf.float32))

    ds = tf.data.Dataset.from_generator(
        order.next_pass, output_signature=tf.TensorSpec([len(images)], tf.int64))
    ds = ds.unbatch().batch(batch_size, drop_remainder=True)
    ds = ds.apply(tf.data.experimental.assert_cardinality(len(images) // batch_size))
    ds = ds.map(batch_of_images, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
    ds.epoch_order = order
    return ds


def run_splits(run: dict, data_dir=None, dataset=None, anomaly_class=None):
    """The splits a saved model was made with, rebuilt from its run config (`model.run_config`).

    `dataset` and `anomaly_class` override the recorded ones (e.g. for a model that lacks them).
    Without `data_dir`, an image-folder model's data is read from the folder it was trained on
    (`data_source`, recorded by `train`).

    Example:
        >>> detector = load_detector("runs/mnist-class3-seed0/model.keras")
        >>> splits = run_splits(detector.run_config, data_dir="/data/mnist")
    """
    dataset = dataset or run.get("dataset")
    if data_dir is None and dataset == "folder" and run.get("data_source"):
        data_dir = run["data_source"]
        if not Path(data_dir).is_dir():
            raise ADeGANError(f"the model was trained on {data_dir}, which is not there any more: "
                              "pass --data-dir with the image folder")
    anomaly_class = anomaly_class if anomaly_class is not None else run.get("anomaly_class")
    if dataset is None or anomaly_class is None:
        raise ADeGANError("the model does not record its dataset: pass --dataset and --anomaly-class")
    size = run.get("image_size")
    data = load_dataset(dataset, data_dir, tuple(size) if size else None,
                        color_mode=run.get("color_mode"))
    return make_splits(data, anomaly_class, run.get("val_fraction", 0.1), run.get("seed", 0),
                       run.get("train_limit"))
