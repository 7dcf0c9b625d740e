"""Probe: main-table cells trained again, one at a time on a quiet CPU, against the table's.

Issue 25 asks for the main table's wall time per cell on a quiet CPU; the main tables' cells
(each dataset's preset: results/mnist_clusters.json, fashion_mnist_rotation.json, cifar10.json)
were trained two processes side by side, one TensorFlow thread each, some on another CPU. Here
each run folder given holds a cell of one of those tables trained again with the README's
command (`python -m keras_adegan.train --dataset D --anomaly-class K --seed S`: the same preset,
config and seed; TensorFlow's default threads; nothing else running). Beside its training time
and validation and test AUROC, the table's own cell: how long it took there and how far a
retrained cell's scores move with the CPU and the thread count alone. It decides nothing; no
test figure chose anything. Each cell read is kept in the table's .json, so cells trained on
different machines (whose run folders did not survive) add up: a cell given again replaces its
row, and with no run folder the table is rewritten from the .json alone.

    python studies/quiet_cells.py --table results/quiet_cells.md [RUN...]
"""

import json
import statistics
import time
from pathlib import Path

from probe_cli import heading, probe_parser, resumable_cells, write_table

TABLES = {"mnist": "results/mnist_clusters.json",
          "fashion_mnist": "results/fashion_mnist_rotation.json",
          "cifar10": "results/cifar10.json"}  # each dataset's main table (its preset)


def threads(metrics: dict) -> str:
    count = (metrics.get("threads") or {}).get("intra_op")
    return "default" if not count else str(count)


def quiet_cell(run: Path) -> tuple[str, dict]:
    """The figures this probe keeps of a quiet run folder, under its cell's name."""
    metrics = json.loads((run / "metrics.json").read_text())
    config = metrics["config"]
    cell = {"dataset": config["dataset"], "anomaly_class": config["anomaly_class"],
            "seed": config["seed"], "run": str(run), "cpu": metrics["cpu"],
            "threads": threads(metrics), "wall_seconds": metrics["wall_seconds"],
            "train_seconds": metrics["train_seconds"],
            **{split: {key: metrics[split][key] for key in ("auroc_features", "auroc_combined")}
               for split in ("validation", "test")}}
    return f"{cell['dataset']}-class{cell['anomaly_class']}-seed{cell['seed']}", cell


def summary(rows: list[tuple[str, str, float, float, float]]) -> list[str]:
    """Per dataset and quiet CPU: how many cells, their run time, and how far their test
    deployed score lies from the table's cells (`rows`: dataset, CPU, quiet run s, quiet and
    table test AUROC)."""
    lines = ["", "Per dataset and quiet CPU: the quiet cells' run time (median and range) and "
             "their test deployed score minus the table's cell's (mean, and the largest "
             "difference).", "",
             "| dataset | quiet CPU | cells | run s: median (range) | test deployed, quiet - "
             "table: mean (largest) |", "|---|---|---|---|---|"]
    for dataset in TABLES:
        for cpu in sorted({r[1] for r in rows if r[0] == dataset}):
            cells = [r for r in rows if r[:2] == (dataset, cpu)]
            seconds = [r[2] for r in cells]
            moves = [r[3] - r[4] for r in cells]
            largest = max(moves, key=abs)
            lines.append(f"| {dataset} | {cpu} | {len(cells)} | "
                         f"{statistics.median(seconds):.0f} ({min(seconds):.0f}-"
                         f"{max(seconds):.0f}) | {statistics.mean(moves):+.3f} ({largest:+.3f}) |")
    return lines


def main() -> None:
    parser = probe_parser(__doc__)
    parser.add_argument("runs", nargs="*", type=Path)
    args = parser.parse_args()
    start = time.time()
    cells, save = resumable_cells(args.table, "decides nothing: each quiet cell's figures as "
                                  "read from its run folder's metrics.json")
    cells.update(quiet_cell(run) for run in args.runs)
    save(cells)
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
    order = list(TABLES)
    for quiet in sorted(cells.values(), key=lambda c: (order.index(c["dataset"]), c["seed"],
                                                       c["anomaly_class"])):
        dataset = quiet["dataset"]
        cell = tables[dataset][f"class{quiet['anomaly_class']}-seed{quiet['seed']}"]
        row = [dataset, f"{quiet['anomaly_class']}", f"{quiet['seed']}"]
        table_run = "read back" if cell["read_back"] else f"{cell['cell_seconds']:.0f}"
        for m, cpu_threads, seconds in (
                (quiet, quiet["threads"], f"{quiet['wall_seconds']:.0f}"),
                (cell, threads(cell), table_run)):
            row += [f"{m['cpu']}, {cpu_threads}", seconds, f"{m['train_seconds']:.0f}",
                    *[f"{m[split]['auroc_features']:.3f} / {m[split]['auroc_combined']:.3f}"
                      for split in ("validation", "test")]]
        lines.append("| " + " | ".join(row) + " |")
        rows.append((dataset, quiet["cpu"], quiet["wall_seconds"],
                     quiet["test"]["auroc_features"], cell["test"]["auroc_features"]))
    write_table(args.table, [*lines, *summary(rows)], start, args.conditions)


if __name__ == "__main__":
    main()
