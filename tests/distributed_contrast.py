"""Helper run in a subprocess: the contrastive loss's gradient under MirroredStrategy and on
one device (`tests/test_distribute.py`).

Each replica contrasts the views of every replica (`keras_adegan.model._all_replicas`); with
each replica's loss scaled by 1 / replicas and the gradients summed, as `ADeGAN` trains, the
gradient must equal one device's on the whole batch (a gather whose gradient were not summed
across replicas would give half of it). Logical devices must be configured before TensorFlow
initialises, hence the separate process.
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

from keras_adegan import losses  # noqa: E402
from keras_adegan.model import _all_replicas  # noqa: E402

x = tf.random.stateless_normal([8, 5], [0, 1])  # first views of 4 images over their second
start = tf.random.stateless_normal([5, 3], [0, 2]).numpy()


def gradient(weights, views, replicas):
    with tf.GradientTape() as tape:
        first, second = tf.split(views @ weights, 2)
        loss = losses.contrastive_loss(
            tf.concat([_all_replicas(first), _all_replicas(second)], 0), 0.5) / replicas
    return tape.gradient(loss, weights)


single = gradient(tf.Variable(start), x, 1)
devices = [d.name for d in tf.config.list_logical_devices("CPU")]
strategy = tf.distribute.MirroredStrategy(devices)
with strategy.scope():
    weights = tf.Variable(start)
first, second = tf.split(x, 2)
local = [tf.concat([first[2 * r:2 * r + 2], second[2 * r:2 * r + 2]], 0) for r in range(2)]
views = strategy.experimental_distribute_values_from_function(
    lambda ctx: local[ctx.replica_id_in_sync_group])
per_replica = strategy.run(tf.function(lambda v: gradient(weights, v, 2)), args=(views,))
mirrored = strategy.reduce("SUM", per_replica, axis=None)
json.dump({"single": single.numpy().tolist(), "mirrored": mirrored.numpy().tolist()}, sys.stdout)
