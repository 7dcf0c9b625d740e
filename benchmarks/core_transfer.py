"""Is G or E the limit of E's clustering of real normals? (issue 22)

For every finished run given, G stays frozen and a fresh network of E's architecture learns
only to name the pattern of G's samples (new codes every step, each sample shifted by up to two
pixels and given a little pixel noise, so that it cannot read one exact image); then its argmax
pattern clusters the run's validation normals. If this fresh classifier clusters real normals
no better than the run's own E, E is not what holds the clustering back: G's patterns, as G
draws them, do not separate the normal classes. Validation split only.

Resumable: each run's figures are written as soon as they are measured and read back.

Command line:
    python -m benchmarks.core_transfer runs/core_study/honest/mnist-class1-seed0 ...
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from sklearn.metrics import normalized_mutual_info_score

from benchmarks.per_run import measure_each, provenance_lines, run_parser
from keras_adegan.errors import cli_main
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import module_command

STEPS, BATCH, SHIFT, NOISE, SEED = 1500, 64, 2, 0.1, 0


def jitter(images, seed):
    """Each batch shifted by up to `SHIFT` pixels (background-filled) plus N(0, NOISE^2)."""
    h, w = images.shape[1:3]
    padded = tf.pad(images, [[0, 0], [SHIFT, SHIFT], [SHIFT, SHIFT], [0, 0]], constant_values=-1.0)
    offset = tf.random.stateless_uniform([2], seed, 0, 2 * SHIFT + 1, tf.int32)
    moved = tf.slice(padded, [0, offset[0], offset[1], 0], [-1, h, w, -1])
    noise = NOISE * tf.random.stateless_normal(tf.shape(moved), seed + 1)
    return tf.clip_by_value(moved + noise, -1.0, 1.0)


def fresh_clustering(model, val_x, steps: int = STEPS, seed: int = SEED) -> np.ndarray:
    """The patterns that a fresh E-shaped network, trained on `model`'s G alone, assigns to
    `val_x` (images in [-1, 1])."""
    keras.utils.set_random_seed(seed)
    extractor = keras.models.clone_model(model.extractor)  # E's architecture, new weights
    fresh = keras.Model(extractor.input, extractor.outputs[0])  # its pattern head only
    optimizer = keras.optimizers.Adam(1e-3)
    eye = tf.eye(model.n_patterns)

    @tf.function
    def step(i):
        key = tf.stack([tf.constant(seed, tf.int64), tf.cast(i, tf.int64)])
        labels = tf.random.stateless_uniform([BATCH], key, 0, model.n_patterns, tf.int32)
        z_n = model.noise_std * tf.random.stateless_normal([BATCH, model.noise_dim], key + 2)
        images = jitter(model.generator(tf.concat([tf.gather(eye, labels), z_n], -1),
                                        training=False), key + 4)
        with tf.GradientTape() as tape:
            logits = fresh(images, training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))
        optimizer.apply(tape.gradient(loss, fresh.trainable_variables), fresh.trainable_variables)

    for i in range(steps):
        step(tf.constant(i))
    return np.argmax(fresh.predict(val_x, batch_size=512, verbose=0), axis=1)


def measure(run: Path) -> dict:
    from keras_adegan.diagnostics import cluster_accuracy
    from keras_adegan.factory import load_detector
    from keras_adegan.images import to_model_range
    from keras_adegan.splits import run_splits

    start = time.time()
    model = load_detector(run / "model.keras")
    splits = run_splits(model.run_config)
    normal = splits.val_y == 0
    val_x, classes = to_model_range(splits.val_x[normal]), splits.val_classes[normal]
    own = np.argmax(model.extract_features(val_x)["probs"], axis=1)
    fresh = fresh_clustering(model, val_x, STEPS)
    return {"run": str(run), "own_acc": cluster_accuracy(own, classes),
            "own_nmi": float(normalized_mutual_info_score(classes, own)),
            "fresh_acc": cluster_accuracy(fresh, classes),
            "fresh_nmi": float(normalized_mutual_info_score(classes, fresh)),
            "seconds": round(time.time() - start, 1)}


@cli_main
def main(argv=None) -> int:
    args = run_parser("python -m benchmarks.core_transfer", __doc__,
                      "results/core_transfer").parse_args(argv)
    path = Path(args.results)

    def write(cells):
        write_atomically(path.with_suffix(".json"), json.dumps(
            {"steps": STEPS, "batch": BATCH, "shift": SHIFT, "noise": NOISE, "seed": SEED,
             "cells": cells}, indent=1) + "\n")
        lines = ["# Is G or E the limit? A fresh classifier trained on G's samples alone",
                 "", __doc__.split("\n\n")[1].replace("\n", " "), "", *provenance_lines(cells),
                 f"- {STEPS} steps of {BATCH} samples, seed {SEED}.", "",
                 "| run | E's ACC | E's NMI | fresh ACC | fresh NMI | code | s |",
                 "|---|---|---|---|---|---|---|"]
        lines += [f"| {c['run']} | {c['own_acc']:.2f} | {c['own_nmi']:.2f} | {c['fresh_acc']:.2f} "
                  f"| {c['fresh_nmi']:.2f} | {c['code']} | {c['seconds']:.0f} |" for c in cells]
        write_atomically(path.with_suffix(".md"), "\n".join(lines) + "\n")

    command = module_command("benchmarks.core_transfer", argv)
    measure_each(args.runs, path, command, measure, write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
