"""Probe: which weights' int8 rounding moves a model's decisions (E's or the feature bank's)?

For each run folder given, E's kernels (those of 1,024 elements or more, as TFLite's
quantizers take them) and/or the feature bank's rows are rounded to int8 in the Keras model
(symmetric, per output channel or bank row; activations stay float), and the feature score is
compared with the model's own on the test split: the spread of the differences and the images
whose decision at the stored threshold changes. It motivated the export's weight-only int8
file (`int8wo`: E's weights int8, the bank float16) and decided nothing by itself.

    python studies/weight_rounding.py runs/paper/mnist/class0-seed0 runs/paper/cifar10/class0-seed0 \
        --data-dir ../shared/datasets --table results/weight_rounding.md
"""

import time
from pathlib import Path

import numpy as np

from keras_adegan import load_detector, to_model_range
from keras_adegan.splits import run_splits
from probe_cli import parse_probe_args, write_table


def int8_rounded(w: np.ndarray, out_axis: int) -> np.ndarray:
    """`w` rounded to int8 levels, symmetric, one scale per index of `out_axis`."""
    others = tuple(i for i in range(w.ndim) if i != out_axis % w.ndim)
    scale = np.max(np.abs(w), axis=others, keepdims=True) / 127.0
    scale = np.where(scale == 0, 1.0, scale)
    return np.round(w / scale) * scale


def measure(run: Path, data_dir) -> list[dict]:
    model = load_detector(run / "model.keras")
    x = to_model_range(run_splits(model.run_config, data_dir).test_x)
    base = model.score(x)
    kept = {v.path: v.numpy() for v in model.weights}
    kernels = [layer.kernel for layer in model.extractor.layers
               if hasattr(layer, "kernel") and layer.kernel.shape.num_elements() >= 1024]
    if model.factors is not None:
        kernels += [v for v in model.factors.weights if v.shape.num_elements() >= 1024]
    rows = []
    for name, e, bank in (("E's weights", True, False), ("the bank", False, True),
                          ("both", True, True)):
        for v in model.weights:
            v.assign(kept[v.path])
        for kernel in kernels if e else []:
            kernel.assign(int8_rounded(kernel.numpy(), -1))
        if bank:
            model.head.bank.assign(int8_rounded(model.head.bank.numpy(), 0))
        model._functions.clear()  # the cached tf.functions captured the old values
        got = model.score(x)
        diff = got["feature_score"] - base["feature_score"]
        rows.append({"run": str(run), "rounded": name, "diff_std": float(diff.std()),
                     "flips": int(np.sum(got["is_anomaly"] != base["is_anomaly"])),
                     "images": len(x)})
    return rows


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    rows = [row for run in args.runs for row in measure(run, args.data_dir)]
    lines = ["# int8 rounding of E's weights and of the feature bank: decisions moved (probe)", "",
             __doc__.split("\n\n")[1].replace("\n", " "), "",
             "| run | rounded to int8 | feature-score diff std | decisions moved (test) |",
             "|---|---|---|---|"]
    lines += [f"| {r['run']} | {r['rounded']} | {r['diff_std']:.1e} | {r['flips']} of "
              f"{r['images']} |" for r in rows]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
