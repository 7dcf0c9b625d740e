"""Probe: main-table cells trained again, one at a time on a quiet CPU, against the table's.

Issue 25 asks for the main table's wall time per cell on a quiet CPU; the main tables' cells
(each dataset's preset: results/mnist_clusters.json, fashion_mnist_rotation.json, cifar10.json)
were trained two processes side by side, one TensorFlow thread each, some on another CPU. Here
each run folder given holds a cell of one of those tables trained again with the README's
command (`python -m keras_adegan.train --dataset D --anomaly-class K --seed S`: the same preset,
config and seed; TensorFlow's default threads; nothing else running). Beside its training time
and validation and test AUROC, the table's own cell: how long it took there and how far a
retrained cell's scores move with the CPU and the thread count alone. It decides nothing; no
test figure chose anything.

    python studies/quiet_cells.py --table results/quiet_cells.md RUN...
"""

import json
import statistics
import time
from pathlib import Path

from probe_cli import heading, parse_probe_args, write_table

TABLES = {"mnist": "results/mnist_clusters.json",
          "fashion_mnist": "results/fashion_mnist_rotation.json",
          "cifar10": "results/cifar10.json"}  # each dataset's main table (its preset)


def threads(metrics: dict) -> str:
    count = (metrics.get("threads") or {}).get("intra_op")
    return "default" if not count else str(count)


def summary(rows: list[tuple[str, float, float, float]]) -> list[str]:
    """Per dataset: how many cells, the quiet cells' run time, and how far their test deployed
    score lies from the table's cells (`rows`: dataset, quiet run s, quiet and table test AUROC)."""
    lines = ["", "Per dataset: the quiet cells' run time (median and range) and their test deployed "
             "score minus the table's cell's (mean, and the largest difference).", "",
             "| dataset | cells | run s: median (range) | test deployed, quiet - table: mean "
             "(largest) |", "|---|---|---|---|"]
    for dataset in TABLES:
        cells = [r for r in rows if r[0] == dataset]
        if not cells:
            continue
        seconds = [r[1] for r in cells]
        moves = [r[2] - r[3] for r in cells]
        largest = max(moves, key=abs)
        lines.append(f"| {dataset} | {len(cells)} | {statistics.median(seconds):.0f} "
                     f"({min(seconds):.0f}-{max(seconds):.0f}) | "
                     f"{statistics.mean(moves):+.3f} ({largest:+.3f}) |")
    return lines


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    tables = {d: json.loads(Path(path).read_text())["cells"] for d, path in TABLES.items()}
    lines = [*heading("Main-table cells trained again on a quiet CPU (probe)", __doc__),
             "Validation and test AUROC of the deployed feature score and the paper's S; "
             "the run's wall time in seconds (metrics.json's `wall_seconds`, the table's "
             "`cell_seconds`: data loading, training, scoring and writing the run folder; "
             "'read back' where the table read a finished run folder) and its training time "
             "alone.", "",
             "| dataset | class | seed | quiet: CPU, threads | run s | train s | val deployed / S "
             "| test deployed / S | table: CPU, threads | run s | train s | val deployed / S "
             "| test deployed / S |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    rows = []
    for run in args.runs:
        quiet = json.loads((run / "metrics.json").read_text())
        config = quiet["config"]
        cell = tables[config["dataset"]][f"class{config['anomaly_class']}-seed{config['seed']}"]
        row = [config["dataset"], f"{config['anomaly_class']}", f"{config['seed']}"]
        table_run = "read back" if cell["read_back"] else f"{cell['cell_seconds']:.0f}"
        for m, seconds in ((quiet, f"{quiet['wall_seconds']:.0f}"), (cell, table_run)):
            row += [f"{m['cpu']}, {threads(m)}", seconds, f"{m['train_seconds']:.0f}",
                    *[f"{m[split]['auroc_features']:.3f} / {m[split]['auroc_combined']:.3f}"
                      for split in ("validation", "test")]]
        lines.append("| " + " | ".join(row) + " |")
        rows.append((config["dataset"], quiet["wall_seconds"], quiet["test"]["auroc_features"],
                     cell["test"]["auroc_features"]))
    write_table(args.table, [*lines, *summary(rows)], start, args.conditions)


if __name__ == "__main__":
    main()
