"""Random views of real images for the contrastive task beyond the paper (SimCLR / CSI).

A view is a random resized crop, a horizontal flip and a colour jitter of an image in [-1, 1]
(colour images also get a saturation change and, sometimes, grey). The parameters of every
view are drawn first (`draw_view_params`, stateless random ops keyed by a seed pair, so a
resumed or distributed run draws the same views) and applied second (`apply_views`, a pure
function of images and parameters), which keeps each half testable on its own.

Example:
    >>> params = draw_view_params(8, tf.constant([0, 1], tf.int64))
    >>> views = apply_views(images, params)          # images: [8, H, W, C] in [-1, 1]
"""

from __future__ import annotations

import math

import tensorflow as tf

# The crop keeps this fraction of the image's area, at this range of aspect ratios. SimCLR
# crops down to 8% of a 224-pixel image; 28- and 32-pixel images keep more to stay legible.
CROP_AREA = (0.35, 1.0)
CROP_RATIO = (3 / 4, 4 / 3)
JITTER_PROBABILITY = 0.8  # SimCLR's: a view is colour-jittered with this probability
BRIGHTNESS = 0.4  # shift by up to this fraction of the [-1, 1] range's half-width
CONTRAST = (0.6, 1.4)  # scale of the deviation from the image's mean
SATURATION = (0.6, 1.4)  # colour images: scale of the deviation from the grey image
GREY_PROBABILITY = 0.2  # colour images: a view is turned grey with this probability
PARAMS = ("boxes", "flip", "jitter", "brightness", "contrast", "saturation", "grey")


def draw_view_params(n, seed) -> dict:
    """The parameters of `n` random views, from the stateless seed pair `seed` ([2] int64).

    Returns:
        dict of per-view tensors: `boxes` ([n, 4] crop boxes y1, x1, y2, x2 in [0, 1]),
        `flip`, `jitter` and `grey` (0/1 flags) and `brightness`, `contrast` and
        `saturation` (factors), each [n].
    """
    seed = tf.convert_to_tensor(seed, tf.int64)

    def uniform(k, low=0.0, high=1.0):
        return tf.random.stateless_uniform(
            [n], tf.random.experimental.stateless_fold_in(seed, k), low, high)

    area = uniform(0, *CROP_AREA)
    ratio = tf.exp(uniform(1, math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1])))
    height = tf.minimum(tf.sqrt(area / ratio), 1.0)
    width = tf.minimum(tf.sqrt(area * ratio), 1.0)
    top = uniform(2) * (1.0 - height)
    left = uniform(3) * (1.0 - width)

    def flag(k, probability):
        return tf.cast(uniform(k) < probability, tf.float32)

    return {"boxes": tf.stack([top, left, top + height, left + width], axis=1),
            "flip": flag(4, 0.5), "jitter": flag(5, JITTER_PROBABILITY),
            "brightness": uniform(6, -BRIGHTNESS, BRIGHTNESS),
            "contrast": uniform(7, *CONTRAST), "saturation": uniform(8, *SATURATION),
            "grey": flag(9, GREY_PROBABILITY)}


def _per_image(values):
    return tf.reshape(values, [-1, 1, 1, 1])


def apply_views(images, params: dict):
    """The views of `images` ([n, H, W, C] in [-1, 1]) that `params` (`draw_view_params(n, ...)`)
    describe, in [-1, 1]: crop and resize back to H x W, flip, then (for views whose `jitter`
    flag is set) brightness, contrast and, for colour images, saturation; colour views whose
    `grey` flag is set become grey."""
    images = tf.convert_to_tensor(images, tf.float32)
    n = tf.shape(images)[0]
    size = tf.shape(images)[1:3]
    views = tf.image.crop_and_resize(images, params["boxes"], tf.range(n), size)
    views = tf.where(_per_image(params["flip"]) > 0, tf.reverse(views, axis=[2]), views)
    jittered = views + _per_image(params["brightness"])
    mean = tf.reduce_mean(jittered, axis=[1, 2, 3], keepdims=True)
    jittered = mean + _per_image(params["contrast"]) * (jittered - mean)
    if images.shape[-1] == 3:
        grey = tf.reduce_mean(jittered, axis=-1, keepdims=True)
        jittered = grey + _per_image(params["saturation"]) * (jittered - grey)
    views = tf.where(_per_image(params["jitter"]) > 0, jittered, views)
    if images.shape[-1] == 3:
        grey = tf.repeat(tf.reduce_mean(views, axis=-1, keepdims=True), 3, axis=-1)
        views = tf.where(_per_image(params["grey"]) > 0, grey, views)
    return tf.clip_by_value(views, -1.0, 1.0)
