"""The command lines: `keras-adegan train|evaluate|score|export|tune|edge-score`.

Each verb runs the `main(argv)` of its module; `python -m keras_adegan VERB` does the same from a
checkout. Nothing heavier than the verb's own argument parser is imported before its arguments
are parsed, so `keras-adegan --help` and `keras-adegan VERB --help` answer at once.

The `export` and `tune` verbs live in the repository's top-level `export/` and `tuning/` folders,
which an installed copy holds as `keras_adegan.export` and `keras_adegan.tuning`.

Example:
    $ keras-adegan train --dataset fashion_mnist --anomaly-class sandal --epochs 5
    $ keras-adegan score --model runs/digits-class0-seed0/model.keras my_images/
"""

from __future__ import annotations

import importlib
import sys

# verb -> (module whose main(argv) runs it, what it does)
VERBS = {
    "train": ("keras_adegan.cli.train", "train and evaluate a detector on one held-out class"),
    "evaluate": ("keras_adegan.cli.evaluate", "metrics of a saved model on its test split"),
    "score": ("keras_adegan.cli.score", "score image files with a saved model (CSV)"),
    "export": ("export.__main__", "SavedModel and TFLite files for deployment"),
    "tune": ("tuning.search", "hyperparameter search or a sweep over one hyperparameter"),
    "edge-score": ("export.edge_score", "score images with an exported TFLite file, "
                                        "without TensorFlow"),
}


def verb_module(verb: str):
    """The module of `verb`: `export` and `tuning` as installed (`keras_adegan.export`, ...),
    else as the checkout's top-level folders."""
    name = VERBS[verb][0]
    if name.startswith("keras_adegan."):
        return importlib.import_module(name)
    try:
        return importlib.import_module(f"keras_adegan.{name}")
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(f"keras_adegan.{name.split('.')[0]}"):
            raise
        return importlib.import_module(name)


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
    module = verb_module(verb)
    sys.argv[0] = f"keras-adegan {verb}"
    return module.main(rest)
