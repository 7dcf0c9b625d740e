"""Which `tf.distribute` strategy a training run uses, read from the environment.

* `TF_CONFIG` naming a cluster with more than one worker: `MultiWorkerMirroredStrategy`
  (synchronous data parallelism across machines; every worker runs the same command).
* More than one GPU on this machine: `MirroredStrategy`.
* Otherwise TensorFlow's default strategy (one device).

Only the chief (worker 0) writes the run's output folder; other workers write to a temporary
folder that is removed at the end, and keep their resume state in `backup-<task>` beside the
chief's `backup`.

Example:
    >>> strategy = strategy_from_environment()
    >>> with strategy.scope():
    ...     model = build_model(config, image_shape)
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

from keras_adegan.errors import ADeGANError


def cluster_spec() -> dict | None:
    """The parsed `TF_CONFIG`, or None when it is unset or names a single worker."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
        workers = spec["cluster"]["worker"]
        spec["task"]["type"], int(spec["task"]["index"])
    except (ValueError, KeyError, TypeError):
        raise ADeGANError('TF_CONFIG must look like {"cluster": {"worker": ["host:port", ...]}, '
                          f'"task": {{"type": "worker", "index": 0}}}}; got {text!r}') from None
    return spec if len(workers) > 1 else None


def strategy_from_environment() -> tf.distribute.Strategy:
    """The strategy for this process (see the module docstring). Call it before other TF work."""
    if cluster_spec() is not None:
        return tf.distribute.MultiWorkerMirroredStrategy()
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def is_chief() -> bool:
    """True unless `TF_CONFIG` says this process is a non-chief worker."""
    spec = cluster_spec()
    if spec is None:
        return True
    task = spec["task"]
    return task["type"] == "chief" or (task["type"] == "worker" and int(task["index"]) == 0
                                       and "chief" not in spec["cluster"])


def worker_name() -> str:
    """This process's task in `TF_CONFIG`, e.g. "worker1" ("chief" without a cluster)."""
    spec = cluster_spec()
    return "chief" if spec is None else f"{spec['task']['type']}{int(spec['task']['index'])}"
