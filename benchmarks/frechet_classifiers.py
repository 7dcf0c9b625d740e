"""Trains the small classifiers whose features the Frechet distance of G's samples uses.

One per named dataset, once, on its whole training split (every class), with a fixed seed; the
weights and a card with the command, seed, epochs, versions, wall time and accuracy on the test
split land in `keras_adegan/frechet_weights/`, where `keras_adegan.frechet.load_classifier`
finds them (see that module). Retraining replaces them: the figures measured with the old
weights are then no longer comparable, so do it only with a reason, and say so.

Command line:
    python -m benchmarks.frechet_classifiers --datasets mnist,fashion_mnist,cifar10
"""

from __future__ import annotations

import sys
import time

import keras

from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.frechet import WEIGHTS_DIR, FrechetClassifier, build_classifier
from keras_adegan.images import to_model_range
from keras_adegan.provenance import cpu_name, library_versions

EPOCHS = {"mnist": 6, "fashion_mnist": 8, "cifar10": 15}
SEED = 0


def train_classifier(x_train, y_train, x_test, y_test, epochs: int, seed: int = SEED
                     ) -> tuple[keras.Model, float]:
    """A `build_classifier` network fitted on uint8 images; returns it and its test accuracy."""
    keras.utils.set_random_seed(seed)
    model = build_classifier(x_train.shape[1:], int(max(y_train.max(), y_test.max())) + 1)
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(to_model_range(x_train), y_train, batch_size=128, epochs=epochs, verbose=2)
    accuracy = model.evaluate(to_model_range(x_test), y_test, batch_size=512, verbose=0)[1]
    return model, float(accuracy)


@cli_main
def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m benchmarks.frechet_classifiers",
                       description=__doc__.split("\n")[0])
    p.add_argument("--datasets", default="mnist,fashion_mnist,cifar10")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    from keras_adegan.data import load_dataset

    command = "python -m benchmarks.frechet_classifiers " + " ".join(
        sys.argv[1:] if argv is None else argv)
    for name in args.datasets.split(","):
        data = load_dataset(name, args.data_dir)
        start = time.time()
        model, accuracy = train_classifier(data.x_train, data.y_train, data.x_test,
                                           data.y_test, EPOCHS[name])
        card = {"dataset": name, "image_shape": list(data.image_shape),
                "n_classes": len(data.class_names), "test_accuracy": round(accuracy, 4),
                "epochs": EPOCHS[name], "seed": SEED, "command": command,
                "train_seconds": round(time.time() - start, 1), "cpu": cpu_name(),
                "versions": library_versions()}
        FrechetClassifier(model, card).save(name)
        print(f"{name}: test accuracy {accuracy:.4f} -> {WEIGHTS_DIR / name}.npz", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
