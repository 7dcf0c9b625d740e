"""How small can the feature score's bank be? The validation cost of a random bank (issue 25).

For every finished run given, the trained networks stay as they are and the feature score is
fitted again with a random bank of each size in `BANK_SIZES` (the model's own seed picks the
rows), calibrated on the run's validation normals, and scored on its validation split: the
AUROC against the bank of every training normal is the size's cost. The test split is not
read. `RULE` decides the default `bank_size`, and it was committed before any cell was measured.

Resumable: each run's figures are written as soon as they are measured and read back.

Command line:
    python -m benchmarks.edge_bank runs/core_study/*/mnist-class*-seed0 \
        runs/edge/fashion_mnist-class0-seed0
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.per_run import measure_each, run_parser
from keras_adegan.errors import cli_main
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import cpu_name, library_versions

BANK_SIZES = (None, 8192, 4096, 2048, 1024)  # None: every training normal
MEAN_COST, WORST_COST = 0.005, 0.01
RULE = (
    "Written on 2026-12-02, before any cell was measured. Cells: every finished MNIST run of the "
    "core study (anomaly classes 1 and 8, seed 0, the tables' budget, each training variant) "
    "and the Fashion-MNIST run of anomaly class 0, seed 0 at the tables' budget with the "
    "default core; validation split only. A size's cost in a cell is the validation AUROC of "
    "the feature score with every training normal in the bank minus that with a random bank "
    "of the size. The default bank_size becomes the smallest size whose mean cost over the "
    f"cells is at most {MEAN_COST} and whose worst cell's cost is at most {WORST_COST}; if no "
    "size qualifies, the default stays every training normal. The exported file's size and "
    "speed at the chosen size are measured by benchmarks.export, not here."
)


def measure(run: Path, data_dir=None) -> dict:
    """Validation AUROC of the feature score of `run`'s networks at every size of `BANK_SIZES`."""
    from keras_adegan.images import to_model_range
    from keras_adegan.metrics import component_scores, ranking_metrics
    from keras_adegan.model import load_detector
    from keras_adegan.splits import run_splits

    start = time.time()
    model = load_detector(run / "model.keras")
    splits = run_splits(model.run_config, data_dir)
    train, val = to_model_range(splits.train_x), to_model_range(splits.val_x)
    auroc = {}
    for size in BANK_SIZES:
        rows = len(train) if size is None or size > len(train) else size
        scored = model.with_scoring(bank_size=rows)
        scored.fit_feature_score(train)
        scored.calibrate(to_model_range(splits.val_normals))
        figures = ranking_metrics(component_scores(scored.score(val)), splits.val_y)
        auroc["all" if size is None else str(size)] = figures["auroc_features"]
    return {"run": str(run), "dataset": model.run_config["dataset"],
            "anomaly_class": model.run_config["anomaly_class"], "train": int(len(train)),
            "feature_source": model.run_config.get("feature_source"),
            "stored_validation": json.loads((run / "metrics.json").read_text())
            ["validation"]["auroc_features"],
            "auroc": auroc, "seconds": round(time.time() - start, 1)}


def decide(cells: list[dict]) -> tuple[str, dict]:
    """`RULE` applied to the cells: the decision and each size's mean and worst cost."""
    costs = {}
    for size in BANK_SIZES[1:]:
        cost = [c["auroc"]["all"] - c["auroc"][str(size)] for c in cells]
        costs[size] = {"mean": float(np.mean(cost)), "worst": float(np.max(cost))}
    passing = [s for s, c in costs.items() if c["mean"] <= MEAN_COST and c["worst"] <= WORST_COST]
    if not passing:
        return "keep every training normal in the bank: no size qualifies", costs
    return f"bank_size {min(passing)}", costs


def write_results(cells: list[dict], path: Path, command: str) -> None:
    decision, costs = decide(cells) if cells else ("no cells yet", {})
    write_atomically(path.with_suffix(".json"), json.dumps(
        {"rule": RULE, "decision": decision, "costs": {str(k): v for k, v in costs.items()},
         "cells": cells}, indent=1) + "\n")
    sizes = ["all"] + [str(s) for s in BANK_SIZES[1:]]
    lines = ["# The feature score's bank: validation cost of a random bank", "",
             "Written by `benchmarks/edge_bank.py`. " + __doc__.split("\n\n")[1].replace("\n", " "),
             "", f"Rule: {RULE}", "", f"- Decision: **{decision}**.", f"- Command: `{command}`",
             f"- CPU: {cpu_name()}; versions: "
             + ", ".join(f"{k} {v}" for k, v in library_versions().items()), "",
             "| size | mean cost | worst cell's cost |", "|---|---|---|"]
    lines += [f"| {s} | {c['mean']:+.4f} | {c['worst']:+.4f} |" for s, c in costs.items()]
    lines += ["", "Validation AUROC of the feature score per cell and bank size:", "",
              "| run | training normals | " + " | ".join(sizes) + " | s |",
              "|---|---|" + "---|" * len(sizes) + "---|"]
    lines += [f"| {c['run']} | {c['train']} | "
              + " | ".join(f"{c['auroc'][s]:.4f}" for s in sizes) + f" | {c['seconds']:.0f} |"
              for c in cells]
    write_atomically(path.with_suffix(".md"), "\n".join(lines) + "\n")


@cli_main
def main(argv=None) -> int:
    p = run_parser("python -m benchmarks.edge_bank", __doc__, "results/edge_bank")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args(argv)
    command = "python -m benchmarks.edge_bank " + " ".join(sys.argv[1:] if argv is None else argv)
    path = Path(args.results)
    finished = [run for run in args.runs if (Path(run) / "metrics.json").is_file()]
    cells = measure_each(finished, path, command, lambda run: measure(run, args.data_dir),
                         lambda cells: write_results(cells, path, command))
    write_results(cells, path, command)
    print(f"wrote {path}.md: {decide(cells)[0] if cells else 'no cells'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
