"""The generative core's study (issue 22): which training of G and E makes the paper's S work?

Each variant is a training option (its own cells, trained at the round's budget: the tables'
unless the round names another); every cell records, from the validation split only, the AUROC
of the paper's S and of the deployed feature score, and the core diagnostics of
`keras_adegan.diagnostics` (E's clustering of real normals, the shortcut gap, G's coverage and
diversity) after every epoch and at the end. The test split is never read here (each run's
`metrics.json` holds test figures; this tool does not open them). Each round of `ROUNDS` has its
own rule (`benchmarks/core_rounds.py`), committed before any of its cells ran, and its own
results file (one per dataset if the round's file name has a `{dataset}` field).

Resumable: a finished cell (its run folder holds `metrics.json`) is read back, an interrupted one
resumes from its last epoch; the results are rewritten after every cell, merged with what the
file holds then, so that two processes may run different variants or classes of one file.

Command line:
    python -m benchmarks.core_study --round 2 --dataset mnist --classes 1,8 --seeds 0
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.core_rounds import BUDGET, LATEST, MIN_GAIN, ROUNDS
from benchmarks.per_run import provenance_lines, read_cells
from keras_adegan.config import ADeGANConfig
from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import module_command


RESCORED = "auroc_features_rescored"  # the base's feature score under the round's base_scoring
CORE_KEYS = ("cluster_acc", "cluster_nmi", "sample_acc", "shortcut_gap", "diversity_ratio",
             "classes_covered", "purity", "confident", "frechet")


def cell_record(variant: str, metrics: dict, seconds: float, command: str) -> dict:
    """What the study keeps of a run: validation figures, the core's, the history's core rows."""
    return {
        "variant": variant, "dataset": metrics["config"]["dataset"],
        "anomaly_class": metrics["config"]["anomaly_class"], "seed": metrics["seed"],
        "validation": {k: v for k, v in metrics["validation"].items() if k.startswith("auroc")},
        "core": metrics["core"],
        "core_by_epoch": [{k: row[k] for k in row if k in ("epoch", "stage")
                           or k.startswith("core_")} for row in metrics["history"]],
        "config": metrics["config"], "train_seconds": metrics["train_seconds"],
        "cell_seconds": round(seconds, 1), "cpu": metrics.get("cpu"),
        "threads": metrics.get("threads"), "versions": metrics["versions"],
        "code": metrics.get("code"), "command": command,
    }


def summary(cells: list[dict], variants) -> dict[str, dict]:
    """Per variant: the mean of each validation AUROC and core figure over its cells."""
    out = {}
    for variant in variants:
        mine = [c for c in cells if c["variant"] == variant]
        if mine:
            out[variant] = {"cells": len(mine),
                            "S": float(np.mean([c["validation"]["auroc_combined"] for c in mine])),
                            "features": float(np.mean([c["validation"]["auroc_features"]
                                                       for c in mine])),
                            **{k: float(np.mean([c["core"][k] for c in mine]))
                               for k in CORE_KEYS if all(k in c["core"] for c in mine)}}
            if all(RESCORED in c["validation"] for c in mine):
                out[variant]["features_rescored"] = float(np.mean(
                    [c["validation"][RESCORED] for c in mine]))
    return out


def decide(means: dict[str, dict], expected_cells: int, study: dict) -> str:
    """A round's rule applied to `summary`'s means: the winning variant, or why none is
    chosen yet. Rounds with a `feature_margin` take the first variant (in their order) whose mean
    feature-score AUROC is at least the base's minus the margin (a negative margin: a gain);
    the others need a gain in S with E's clustering no worse."""
    if (any(m["cells"] < expected_cells for m in means.values())
            or len(means) < len(study["variants"])):
        return "no decision yet: not every variant has all its cells"
    base_name = study["base"]
    base = means[base_name]
    if "feature_margin" in study:  # decided on the deployed feature score alone
        margin = study["feature_margin"]
        fits = [v for v, m in means.items()
                if v != base_name and m["features"] >= base["features"] - margin]
        if not fits:
            return (f"keep `{base_name}`: no variant's feature score is within {margin} of it"
                    if margin >= 0 else f"keep `{base_name}`: no variant beats it by {-margin}")
        return f"adopt `{fits[0]}`"  # the first in the round's order
    guard = study.get("feature_guard", float("inf"))  # the deployed score may lose at most this
    best_base = max(base["features"], base.get("features_rescored", base["features"]))
    qualified = [v for v, m in means.items() if v != base_name
                 and m["S"] >= base["S"] + MIN_GAIN and m["cluster_acc"] >= base["cluster_acc"]
                 and m["features"] >= best_base - guard]
    if not qualified:
        return f"keep `{base_name}`: no variant qualifies"
    return f"adopt `{max(qualified, key=lambda v: means[v]['S'])}`"


def table_cells(study: dict, dataset: str, classes, seeds, data=None,
                skip=frozenset()) -> list[dict]:
    """The base variant's cells read back from a remade results table (`study["base_table"]`),
    whose cells were trained with the same preset: their validation figures, core figures and
    provenance, as this study's cells (but those whose `cell_key` is in `skip`: recorded
    already). With `study["base_scoring"]`, each cell's model (in the table's run folder) is
    also scored on validation with those options (`RESCORED`)."""
    from keras_adegan.runs import validation_metrics

    path = Path(study["base_table"].format(dataset=dataset))
    cells = []
    for c in json.loads(path.read_text())["cells"].values():
        key = (study["base"], dataset, c["anomaly_class"], c["seed"])
        if c["anomaly_class"] in classes and c["seed"] in seeds and key not in skip:
            config = ADeGANConfig.preset(dataset, anomaly_class=c["anomaly_class"],
                                         seed=c["seed"], **study.get("budget", BUDGET))
            validation = {k: v for k, v in c["validation"].items() if k != "auroc_previous"}
            if "base_scoring" in study:
                validation[RESCORED] = validation_metrics(
                    c["run_dir"], data=data, **study["base_scoring"])["auroc_features"]
            metrics = {**c, "config": config.to_dict(), "validation": validation}
            cells.append({**cell_record(study["base"], metrics, c["cell_seconds"],
                                        c["command"]), "read_from": str(path)})
    return cells


def cell_key(cell: dict) -> tuple:
    return cell["variant"], cell.get("dataset"), cell["anomaly_class"], cell["seed"]


def pooled_decision(cells: list[dict], path: Path, expected_cells: int, study: dict) -> str:
    """The round's rule over the cells of every dataset of `study["pooled"]` (each dataset's
    results file beside `path`; `cells` stand for this file's own, as about to be written)."""
    mine = {c["dataset"] for c in cells}
    pooled = [c for c in cells if c["dataset"] in study["pooled"]]
    for dataset in study["pooled"]:
        if dataset not in mine:
            pooled += read_cells(path.parent / Path(study["results"].format(dataset=dataset)).name)
    return decide(summary(pooled, study["variants"]), expected_cells * len(study["pooled"]),
                  study)


def write_results(cells: list[dict], path: Path, expected_cells: int, command: str,
                  study: dict) -> None:
    variants = study["variants"]
    means = summary(cells, variants)
    decision = decide(means, expected_cells, study)
    write_atomically(path.with_suffix(".json"), json.dumps(
        {"rule": study["rule"], "base": study["base"], "variants": variants,
         "decision": decision, "means": means, "cells": cells}, indent=1) + "\n")
    datasets = ", ".join(sorted({c["dataset"] for c in cells})) + ", " if cells else ""
    lines = [f"# The generative core's study, round {study['round']} ({datasets}validation only)",
             "",
             "Written by `benchmarks/core_study.py`. " + __doc__.split("\n\n")[1].replace("\n", " "),
             "", f"Rule: {study['rule']}", "", f"- Decision: **{decision}**.",
             *([f"- Pooled over {', '.join(study['pooled'])} (the folder preset's decision): "
                f"**{pooled_decision(cells, path, expected_cells, study)}**."]
               if "pooled" in study else []),
             *[f"- `{v}`'s models scored with {study['base_scoring']} (validation): mean "
               f"feature-score AUROC {m['features_rescored']:.3f}; the feature guard compares "
               "with the better of it and the deployed one." for v, m in means.items()
               if "features_rescored" in m],
             *provenance_lines(cells, command), "",
             "| variant | options | cells | val AUROC S | val AUROC feature score | "
             + " | ".join(CORE_KEYS) + " |",
             "|---|---|---|---|---|" + "---|" * len(CORE_KEYS)]
    for variant, m in means.items():
        options = ", ".join(f"{k}={v}" for k, v in variants[variant].items()) or "(defaults)"
        lines.append(f"| {variant} | {options} | {m['cells']} | {m['S']:.3f} | "
                     f"{m['features']:.3f} | "
                     + " | ".join(f"{m[k]:.2f}" if k in m else "n/a" for k in CORE_KEYS) + " |")
    lines += ["", "Per cell (validation), with the wall time of its training:", "",
              "| variant | class | seed | S | feature score | cluster_acc | sample_acc | "
              "classes_covered | diversity_ratio | train s |", "|---|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        core = c["core"]
        lines.append(f"| {c['variant']} | {c['anomaly_class']} | {c['seed']} | "
                     f"{c['validation']['auroc_combined']:.3f} | "
                     f"{c['validation']['auroc_features']:.3f}"
                     + (f" ({c['validation'][RESCORED]:.3f} rescored)"
                        if RESCORED in c["validation"] else "")
                     + f" | {core['cluster_acc']:.2f} | "
                     f"{core['sample_acc']:.2f} | {core.get('classes_covered', 'n/a')} | "
                     f"{core['diversity_ratio']:.2f} | {c['train_seconds']:.0f} |")
    write_atomically(path.with_suffix(".md"), "\n".join(lines) + "\n")


def parse_args(argv=None):
    p = ArgumentParser(prog="python -m benchmarks.core_study", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--classes", default="1,8", help="anomaly classes, e.g. 1,8")
    p.add_argument("--seeds", default="0")
    p.add_argument("--round", type=int, default=LATEST, choices=sorted(ROUNDS),
                   help="which round of the study (default: the latest that runs at this "
                   "commit)")
    p.add_argument("--variants", default=None, help="which variants to run (default: the "
                   "round's every variant)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--results", default=None, help="results file, no suffix (default: the "
                   "round's)")
    p.add_argument("--runs-dir", default=None, help="where the cells' run folders go "
                   "(default: runs/core_study/round<N>: rounds may share a variant's name and "
                   "config, e.g. rounds 7 and 8, and a finished folder is read back)")
    p.add_argument("--budget", default=None, help="JSON of config fields replacing the "
                   "tables' budget (for tests)")
    args = p.parse_args(argv)
    if ROUNDS[args.round].get("frozen"):
        p.error(f"round {args.round} trains options removed after they lost it; run it at "
                f"commit {ROUNDS[args.round]['frozen']} (git checkout "
                f"{ROUNDS[args.round]['frozen']})")
    variants = ROUNDS[args.round]["variants"]
    args.variants = args.variants or ",".join(variants)
    args.results = args.results or ROUNDS[args.round]["results"].format(dataset=args.dataset)
    args.runs_dir = args.runs_dir or f"runs/core_study/round{args.round}"
    unknown = sorted(set(args.variants.split(",")) - set(variants))
    if unknown:
        p.error(f"unknown variants {unknown} in round {args.round}; choose from "
                f"{', '.join(variants)}")
    return args


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    study = ROUNDS[args.round]
    from keras_adegan.data import load_dataset
    from keras_adegan.runs import train

    classes = [int(v) for v in args.classes.split(",")]
    seeds = [int(v) for v in args.seeds.split(",")]
    budget = json.loads(args.budget) if args.budget else study.get("budget", BUDGET)
    command = module_command("benchmarks.core_study", argv)
    path = Path(args.results)
    data = None
    base = []
    if "base_table" in study and study["base"] in args.variants.split(","):
        data = load_dataset(args.dataset, args.data_dir) if "base_scoring" in study else None
        base = table_cells(study, args.dataset, classes, seeds, data,
                           skip={cell_key(c) for c in read_cells(path)})

    def recorded() -> list[dict]:  # the file's cells, with the base's read from its table
        cells = read_cells(path)
        return cells + [c for c in base if all(cell_key(c) != cell_key(d) for d in cells)]

    done = recorded()
    for variant in args.variants.split(","):
        for k in classes:
            for seed in seeds:
                key = (variant, args.dataset, k, seed)
                if any(cell_key(c) == key for c in done):
                    continue
                data = data or load_dataset(args.dataset, args.data_dir)
                config = ADeGANConfig.preset(args.dataset, anomaly_class=k, seed=seed,
                                             **{**budget, **study["variants"][variant]})
                run_dir = Path(args.runs_dir) / variant / f"{args.dataset}-class{k}-seed{seed}"
                start = time.time()
                print(f"{variant}, class {k}, seed {seed} -> {run_dir}", flush=True)
                if (run_dir / "metrics.json").is_file():  # trained, not yet recorded
                    metrics = json.loads((run_dir / "metrics.json").read_text())
                else:
                    metrics = train(config, run_dir, data=data, verbose=2,
                                    resume=(run_dir / "config.json").is_file())
                cell = cell_record(variant, metrics, time.time() - start, command)
                done = [c for c in recorded() if cell_key(c) != key] + [cell]
                write_results(done, path, len(classes) * len(seeds), command, study)
    done = recorded()
    write_results(done, path, len(classes) * len(seeds), command, study)
    decision = decide(summary(done, study["variants"]), len(classes) * len(seeds), study)
    print(f"wrote {path}.md: {decision}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
