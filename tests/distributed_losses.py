"""Helper run in a subprocess: losses of a few steps on one device and under MirroredStrategy.

Logical devices must be configured before TensorFlow initialises, hence the separate process.
An optional argument names a real-data task (`python -m tests.distributed_losses rotation`,
or `clusters`).
"""

import json
import os
import sys

os.environ["KERAS_BACKEND"] = "tensorflow"
import tensorflow as tf  # noqa: E402

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_adegan import ADeGAN, to_model_range, train_stream  # noqa: E402


REAL_TASK = sys.argv[1] if len(sys.argv) > 1 else "none"


def run(strategy):
    keras.utils.set_random_seed(0)
    with strategy.scope():
        model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4,
                       stage1_epochs=1, seed=1, real_task=REAL_TASK)
        model.compile()
    images = np.random.default_rng(0).integers(0, 256, (32, 16, 16, 1), dtype=np.uint8)
    model.adapt(to_model_range(images))  # outside the scope, as `keras_adegan.runs.train` does
    history = model.fit(train_stream(images, 16, seed=0), epochs=2, verbose=0).history
    return {k: [float(v) for v in vals] for k, vals in history.items()}


devices = [d.name for d in tf.config.list_logical_devices("CPU")]
single = run(tf.distribute.OneDeviceStrategy(devices[0]))
mirrored = run(tf.distribute.MirroredStrategy(devices))
json.dump({"single": single, "mirrored": mirrored, "replicas": len(devices)}, sys.stdout)
