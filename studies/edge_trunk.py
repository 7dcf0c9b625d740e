"""Study: can the cluster task's MNIST model, scored on E's trunk, fit issue 25's edge budget?

The MNIST preset's cluster task scores on E's 256-value trunk, so its E-only int8w file holds a
bank of every training normal at 256 int8 values a row: 13,570 KiB for anomaly class 0, seed 0
(results/export_mnist_clusters.md), of which E's own layers are about 832 KiB (that file less
its 48,669 bank rows of 256 values and a 12-byte scale and zero point each). Issue 25 asks for
1 MiB at a validation cost of at most 0.005. Here each cell's trained model is scored on its
validation split with the trunk projected on its top principal directions (16 or 32) and a
random bank (2,048 or 4,096 training normals, seeded; every pair is
estimated at 1 MiB or less), everything else as the preset
(`keras_adegan.runs.validation_metrics`); its cost is the table's validation AUROC of the
feature score (every training normal, no projection) minus the candidate's. No model is
trained and the test split is not read.

Rule, written on 2026-12-03 before any cell was scored, and applied only if `OPTION_CHECK`
(benchmarks/summary.py) keeps the cluster task for MNIST: cells are the cluster-task table's
seed-1 cells whose run folders are on this machine (classes 1-4 and 6-9; classes 0 and 5 were
trained on another machine). A candidate qualifies if its mean cost over the cells is at most
0.005 and its worst cell's at most 0.01. The MNIST preset takes the qualifying candidate of
smallest estimated E-only int8 file among those at most 1 MiB (`estimated_kib`); if none
qualifies, it keeps every training normal and point 4 stays unmet on MNIST. Taking one makes
the table's cells stale: those whose model is here are rescored, the others trained again,
before the README shows them.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_trunk.py --table results/edge_trunk.md
"""

import json
import time
from pathlib import Path

import numpy as np

from keras_adegan import load_dataset
from keras_adegan.provenance import set_threads
from keras_adegan.runs import validation_metrics
from probe_cli import probe_parser, resumable_cells, write_table

TABLE = Path("results/mnist_clusters.json")
SEED = 1
PROJECTIONS = (16, 32)
BANKS = (2048, 4096)
MEAN_COST, WORST_COST = 0.005, 0.01
BUDGET_KIB = 1024
E_KIB = 832  # E's layers in the E-only int8w file (module docstring)
TRUNK = 256  # the trunk's values per image (8 x width)
CHANNEL_BYTES = 12  # an int8 row's or output channel's scale (float32) and zero point (int64)


def estimated_kib(projection: int, rows: int) -> float:
    """The E-only int8 file of a candidate, estimated: E's layers, the projection (a TRUNK x
    projection int8 matrix with its channels' scales) and the bank's int8 rows."""
    projection_bytes = (TRUNK + CHANNEL_BYTES) * projection
    return E_KIB + (projection_bytes + rows * (projection + CHANNEL_BYTES)) / 1024


CANDIDATES = [(p, b) for p in PROJECTIONS for b in BANKS]


def name(projection: int, rows: int) -> str:
    return f"projection {projection} / random {rows}"


def score_cells(data_dir, done: dict, save) -> list[dict]:
    """Each seed-1 cell's validation AUROC as trained (the table's) and under every candidate
    (scored here, unless `done` holds it); `save(done)` after every candidate."""
    data = None
    cells = [c for c in json.loads(TABLE.read_text())["cells"].values()
             if c["seed"] == SEED and (Path(c["run_dir"]) / "model.keras").is_file()]
    for cell in sorted(cells, key=lambda c: c["anomaly_class"]):
        assert cell["scoring"]["feature_source"] == "extractor", cell["run_dir"]
        row = done.setdefault(cell["run_dir"], {
            "anomaly_class": cell["anomaly_class"], "seed": cell["seed"],
            "as_trained": cell["validation"]["auroc_features"], "candidates": {}, "seconds": 0.0})
        for projection, rows in CANDIDATES:
            if name(projection, rows) in row["candidates"]:
                continue
            data = data or load_dataset("mnist", data_dir)
            start = time.time()
            row["candidates"][name(projection, rows)] = validation_metrics(
                cell["run_dir"], data=data, feature_projection=projection,
                bank_size=rows)["auroc_features"]
            row["seconds"] = round(row["seconds"] + time.time() - start, 1)
            save(done)
    return list(done.values())


def decision(rows: list[dict]) -> tuple[list[str], str]:
    """The candidates' table lines and the rule's verdict."""
    lines, qualifying = [], []
    for projection, bank in CANDIDATES:
        costs = [r["as_trained"] - r["candidates"][name(projection, bank)] for r in rows]
        kib = estimated_kib(projection, bank)
        ok = np.mean(costs) <= MEAN_COST and max(costs) <= WORST_COST
        if ok and kib <= BUDGET_KIB:
            qualifying.append((kib, name(projection, bank)))
        lines.append(f"| {name(projection, bank)} | {kib:.0f} KiB | {np.mean(costs):+.4f} | "
                     f"{max(costs):+.4f} | {'yes' if ok else 'no'} |")
    verdict = (f"the MNIST preset takes {min(qualifying)[1]}" if qualifying else
               "no candidate within 1 MiB qualifies: the MNIST preset keeps every training "
               "normal")
    return lines, verdict


def main() -> None:
    p = probe_parser(__doc__)
    args = p.parse_args()
    set_threads(1)
    start = time.time()
    done, save = resumable_cells(args.table, __doc__.split("\n\n")[2])
    rows = score_cells(args.data_dir, done, save)
    table, verdict = decision(rows)
    lines = ["# The cluster task's MNIST model on an edge budget (validation only)", "",
             " ".join(__doc__.split("\n\n")[1].split()), "",
             " ".join(__doc__.split("\n\n")[2].split()), "",
             f"**Decision: {verdict}.**", "",
             f"Costs over {len(rows)} cells (validation AUROC as trained minus the candidate's; "
             f"{sum(r['seconds'] for r in rows):.0f} s of scoring in all, over every run):",
             "", "| candidate | E-only int8 file (estimated) | mean cost | worst cell | "
             "qualifies |", "|---|---|---|---|---|", *table, "",
             "Per cell (validation AUROC of the feature score):", "",
             "| held out | seed | as trained | " + " | ".join(name(*c) for c in CANDIDATES)
             + " | scored in s |", "|---|---|---|" + "---|" * (len(CANDIDATES) + 1)]
    lines += [f"| {r['anomaly_class']} | {r['seed']} | {r['as_trained']:.3f} | "
              + " | ".join(f"{r['candidates'][name(*c)]:.3f}" for c in CANDIDATES)
              + f" | {r['seconds']:.0f} |" for r in sorted(rows, key=lambda r: r["anomaly_class"])]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
