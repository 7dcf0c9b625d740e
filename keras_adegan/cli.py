"""One command line for every verb: `keras-adegan train|evaluate|score|export|tune|edge-score`.

Each verb runs the `main(argv)` of its module (the `python -m ...` forms keep working and take
the same flags); nothing heavier than the verb's own argument parser is imported before its
arguments are parsed, so `keras-adegan --help` and `keras-adegan VERB --help` answer at once.

Example:
    $ keras-adegan train --dataset fashion_mnist --anomaly-class sandal --epochs 5
    $ keras-adegan score --model runs/digits-class0-seed0/model.keras my_images/
"""

from __future__ import annotations

import importlib
import sys

# verb -> (module whose main(argv) runs it, what it does)
VERBS = {
    "train": ("keras_adegan.train", "train and evaluate a detector on one held-out class"),
    "evaluate": ("keras_adegan.evaluate", "metrics of a saved model on its test split"),
    "score": ("keras_adegan.score", "score image files with a saved model (CSV)"),
    "export": ("export.__main__", "SavedModel and TFLite files for deployment"),
    "tune": ("tuning.search", "hyperparameter search or a sweep over one hyperparameter"),
    "edge-score": ("export.edge_score", "score images with an exported TFLite file, "
                                        "without TensorFlow"),
}


def usage() -> str:
    width = max(map(len, VERBS))
    lines = ["usage: keras-adegan VERB [flags]   (keras-adegan VERB --help for its flags)", "",
             "ADe-GAN image anomaly detection (Chai et al., ICASSP 2022).", "", "verbs:"]
    lines += [f"  {verb:<{width}}  {text}" for verb, (_, text) in VERBS.items()]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(usage())
        return 0
    verb, rest = argv[0], argv[1:]
    if verb not in VERBS:
        sys.stderr.write(f"error: unknown verb {verb!r}; choose one of: {', '.join(VERBS)} "
                         "(see keras-adegan --help)\n")
        return 2
    module = importlib.import_module(VERBS[verb][0])
    sys.argv[0] = f"keras-adegan {verb}"
    return module.main(rest)


if __name__ == "__main__":
    sys.exit(main())
