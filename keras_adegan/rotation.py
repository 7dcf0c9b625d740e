"""Beyond the paper: the rotation task on real normals (`real_task="rotation"`; RotNet, GEOM).

In the paper, E sees real images only through the reconstruction path. With this task, every
real training normal of a stage-2 batch is turned by each of its quarter turns, and a small head
on E's features layer (`RotationHead`) must tell how far; its cross-entropy joins Eq. 8 with
weight `real_weight`. The same head gives a score (GEOM): how badly E tells an image's turns
apart, high for images unlike the training normals, which the feature score may add.

Example:
    >>> head = RotationHead()
    >>> loss = head.loss(model.extractor, real_normals)        # in stage 2's tape
    >>> scores = head.score(model.extractor, images)            # (N,)
"""

from __future__ import annotations

import keras
import tensorflow as tf

from keras_adegan.networks import run_to_features


def quarter_turns(image_shape) -> tuple[int, ...]:
    """The quarter turns used for images of `image_shape` ((H, W, ...)): 0, 1, 2 and 3 for
    square images, 0 and 2 otherwise (a quarter turn would change the shape)."""
    return (0, 1, 2, 3) if image_shape[0] == image_shape[1] else (0, 2)


def rotated_copies(x):
    """Every image of `x` turned by each of its `quarter_turns`, stacked turn by turn (all
    copies of turn 0 first), with the number of turns as the label."""
    x = tf.convert_to_tensor(x, tf.float32)
    turns = quarter_turns(x.shape[1:])
    images = tf.concat([tf.image.rot90(x, k) for k in turns], axis=0)
    labels = tf.repeat(tf.constant(turns, tf.int32), tf.shape(x)[0])
    return images, labels


def rotation_loss(logits, turns):
    """Cross-entropy of the rotation head's `logits` against the true number of turns."""
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(turns, tf.int32), logits=tf.cast(logits, tf.float32)))


def rotation_scores(logits, turns, n_images):
    """The rotation score (GEOM): the mean over an image's rotated copies of -log p(true number
    of turns), from the head's `logits` for the stacked copies of `rotated_copies`. Written with
    log-softmax and a one-hot product (TFLite built-ins)."""
    log_p = tf.nn.log_softmax(tf.cast(logits, tf.float32))
    true = tf.reduce_sum(log_p * tf.one_hot(turns, tf.shape(log_p)[-1]), axis=-1)
    return -tf.reduce_mean(tf.reshape(true, [-1, n_images]), axis=0)


@keras.saving.register_keras_serializable(package="keras_adegan")
class RotationHead(keras.layers.Layer):
    """Four logits (how many quarter turns) from E's features layer.

    Example:
        >>> RotationHead().compute_output_shape((None, 256))
        (None, 4)
    """

    def __init__(self, **kwargs):
        kwargs.setdefault("name", "rotation_head")
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.logits = keras.layers.Dense(4, name="rotation_logits", dtype=self.dtype_policy)

    def build(self, input_shape):
        self.logits.build(input_shape)

    def call(self, hidden):
        return self.logits(hidden)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (4,)

    def loss(self, extractor, x):
        """The task's loss on real images `x`, through `extractor` in training mode."""
        rotated, turns = rotated_copies(x)
        return rotation_loss(self(run_to_features(extractor, rotated, True)), turns)

    def score(self, extractor, x, training=False, factors=None):
        """The rotation score of images `x` in [-1, 1] (`rotation_scores`), through E's dense
        layer or its low-rank `factors` (`networks.run_to_features`)."""
        rotated, turns = rotated_copies(x)
        return rotation_scores(self(run_to_features(extractor, rotated, training, factors)), turns,
                               tf.shape(x)[0])
