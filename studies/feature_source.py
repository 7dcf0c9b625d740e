"""Study: should the presets that score on E's z_n score on E's trunk instead?

The deployed feature score's source (E's z_n) was chosen at the previous core (2 + 2 epochs, D
frozen in stage 2; results/feature_study.md). At today's core, round 8's probe found E's trunk
better on the one preset model it rescored (results/round8_scoring.md: 0.909 against 0.842).
For MNIST and CIFAR-10, whose presets score on z_n, each cell of the remade table whose model is
on this machine is scored on its validation split with the feature score on E's trunk
(`feature_source="extractor"`, the layer before E's heads), everything else as the preset
(cosine kNN-5, a bank of every training normal); its z_n figure is the table's own. No model is
trained and the test split is not read.

Rule, written on 2026-12-03 before any cell was scored: a dataset's preset moves to the trunk if
the trunk's mean validation AUROC over the dataset's scored cells beats z_n's by at least 0.005;
the folder preset moves if the trunk does so over both datasets' cells pooled. Moving would
remake the dataset's table (cells with a model rescored, the others retrained). The trunk holds
8 x width values per image against z_n's noise_dim, so the edge file's bank grows with it: its
size is reported beside the decision and decides nothing.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/feature_source.py --datasets mnist cifar10 --table results/feature_source.md
"""

import json
import time
from pathlib import Path

import numpy as np

from keras_adegan import load_dataset
from keras_adegan.provenance import set_threads
from keras_adegan.runs import validation_metrics
from probe_cli import probe_parser, resumable_cells, write_table

MIN_GAIN = 0.005
TRUNK = {"feature_source": "extractor"}


def cells_with_models(dataset: str) -> tuple[dict, list[dict]]:
    """The remade table's budget (its config fields) and its cells of `dataset` whose run
    folder holds its model here."""
    table = json.loads(Path(f"results/{dataset}.json").read_text())
    return table["budget"], [c for c in table["cells"].values()
                             if (Path(c["run_dir"]) / "model.keras").is_file()]


def score_cells(dataset: str, data_dir, done: dict, save) -> list[dict]:
    """Each cell's validation AUROC on z_n (the table's) and on the trunk (scored here, unless
    `done` holds it); `save(done)` after every cell."""
    data = None
    rows = []
    budget, cells = cells_with_models(dataset)
    for cell in cells:
        key = f"{dataset}/{cell['run_dir']}"
        if key not in done:
            assert cell["scoring"]["feature_source"] == "noise", key  # the preset scored on z_n
            data = data or load_dataset(dataset, data_dir)
            start = time.time()
            trunk = validation_metrics(cell["run_dir"], data=data, **TRUNK)["auroc_features"]
            done[key] = {"dataset": dataset, "run_dir": cell["run_dir"],
                         "anomaly_class": cell["anomaly_class"], "seed": cell["seed"],
                         "noise": cell["validation"]["auroc_features"], "trunk": trunk,
                         "bank_rows": cell["data"]["train"],
                         "dims": {"noise": budget["noise_dim"], "trunk": 8 * budget["width"]},
                         "seconds": round(time.time() - start, 1)}
            save(done)
        rows.append(done[key])
    return rows


def decision(rows: list[dict]) -> tuple[float, float, str]:
    noise = float(np.mean([r["noise"] for r in rows]))
    trunk = float(np.mean([r["trunk"] for r in rows]))
    return noise, trunk, ("move to the trunk" if trunk >= noise + MIN_GAIN else "stay on z_n")


def main() -> None:
    p = probe_parser(__doc__)
    p.add_argument("--datasets", nargs="+", default=["mnist", "cifar10"])
    args = p.parse_args()
    set_threads(1)
    start = time.time()
    done, save = resumable_cells(args.table, __doc__.split("\n\n")[2])
    by_dataset = {d: score_cells(d, args.data_dir, done, save) for d in args.datasets}
    pooled = [r for rows in by_dataset.values() for r in rows]
    lines = ["# The feature score's source at today's core (validation only)", "",
             " ".join(__doc__.split("\n\n")[1].split()), "",
             " ".join(__doc__.split("\n\n")[2].split()), "",
             "| preset | cells scored | z_n (deployed) | E's trunk | trunk wins | decision | "
             "int8 bank, z_n / trunk |", "|---|---|---|---|---|---|---|"]
    for name, rows in [*by_dataset.items(), ("folder (pooled)", pooled)]:
        noise, trunk, verdict = decision(rows)
        wins = sum(r["trunk"] > r["noise"] for r in rows)
        mib = [max(r["bank_rows"] * r["dims"][s] for r in rows) / 2**20 for s in ("noise", "trunk")]
        lines.append(f"| {name} | {len(rows)} | {noise:.3f} | {trunk:.3f} | {wins}/{len(rows)} "
                     f"| **{verdict}** | {mib[0]:.1f} / {mib[1]:.1f} MiB |")
    lines += ["", "Per cell (validation AUROC of the feature score):", "",
              "| dataset | held out | seed | z_n | trunk | scored in s |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['anomaly_class']} | {r['seed']} | {r['noise']:.3f} | "
              f"{r['trunk']:.3f} | {r['seconds']:.0f} |"
              for r in sorted(pooled, key=lambda r: (r["dataset"], r["anomaly_class"], r["seed"]))]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
