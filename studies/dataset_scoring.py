"""A feature score per dataset: proposed on the study's cells, confirmed on every table cell's
validation split, never on test.

The feature study (`benchmarks/feature_study.py`) chose one variant for all datasets: the best
mean over datasets. Its cells also say which variant each dataset prefers. For one dataset this
module takes

* the general choice (CHOICE_RULE over every study cell), and
* the dataset's own: the same rule over that dataset's study cells alone, among E's features
  only (`extractor`, `noise`), so that the E-only export stays E-only,

and scores both with the saved models of the dataset's results-table cells (every class and
seed, `runs/paper/<dataset>[_<task>]/class<k>-seed<s>`): each model is copied with the options
(`ADeGAN.with_scoring`), its bank or Gaussians fitted on the cell's training normals, calibrated
on its validation normals, and its feature score's AUROC taken on the validation split (held-out
normals and held-out anomaly-class images of the train split). The test split is never read.
CONFIRM_RULE decides. Results: `results/dataset_scoring[_<task>].{json,md}`, written after every
cell (resumable).

Command line:
    python -m benchmarks.dataset_scoring --dataset fashion_mnist --seeds 0,1,2
    python -m benchmarks.dataset_scoring --dataset cifar10 --seeds 0 --real-task rotation \
        --study results/feature_study_rotation_stage2x2.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks.feature_study import choose
from benchmarks.paper import Results, parse_list
from keras_adegan.config import REAL_TASKS, ADeGANConfig
from keras_adegan.data import load_dataset
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.factory import load_detector, scoring_options
from keras_adegan.images import to_model_range
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import cpu_name, library_versions
from keras_adegan.splits import make_splits

E_SOURCES = ("extractor", "noise")
MARGIN = 0.01
CONFIRM_RULE = (
    "Written on 2026-11-29, after the test figures of the general choice had been read on every "
    "dataset and before any figure of this confirmation: a dataset's own variant (the choice "
    "rule over its study cells alone, among E's features) replaces the general choice in that "
    "dataset's preset if it beats the general choice by at least 0.01 of mean validation AUROC "
    "on the study cells and again by at least 0.01 on the validation splits of every cell of "
    "the dataset's results table (every class and seed), each scored by the saved model itself.")
OPTION_FIELDS = ("feature_source", "feature_density", "feature_distance", "feature_k",
                 "bank_size", "bank_selection", "rotation_score_weight")


def candidates(general_study: dict, own_study: dict, dataset: str) -> dict:
    """The general choice (over every cell of `general_study`) and the dataset's own (over its
    cells of `own_study`, among E's features), each a `feature_study.choose` result, and the
    general variant's figures on the dataset's own study cells."""
    own = [c for c in own_study["cells"].values() if c["dataset"] == dataset]
    if not own:
        raise ADeGANError(f"the study has no {dataset} cell to propose a variant from")
    general = choose(list(general_study["cells"].values()), general_study["grid_bank"])
    grid_bank = own_study["grid_bank"]
    return {"general": general, "own": choose(own, grid_bank, sources=E_SOURCES),
            "general_on_own_cells": choose(own, grid_bank, only=general["variant"])}


def options_of(choice: dict) -> dict:
    """The scoring options (`SCORE_FIELDS`) of a choice, for `ADeGAN.with_scoring`: every
    training normal is bank_size None; the Gaussians need no bank size."""
    options = {"score": "features", **{k: choice[k] for k in OPTION_FIELDS}}
    if options["bank_selection"] == "all" or options["feature_density"] == "gaussian":
        options.update(bank_size=None, bank_selection="random")
    return options


def add_table_arguments(p: ArgumentParser) -> None:
    """The flags that name a results table's cells and where their models and results are."""
    p.add_argument("--dataset", required=True, help="mnist, fashion_mnist, cifar10 or digits")
    p.add_argument("--classes", type=parse_list, default=list(range(10)), help="e.g. 0-9")
    p.add_argument("--seeds", type=parse_list, default=[0], help="e.g. 0,1,2")
    p.add_argument("--real-task", choices=REAL_TASKS, default="none",
                   help="the cells trained with this task (beyond the paper)")
    p.add_argument("--results-dir", default="results")
    p.add_argument("--runs-dir", default="runs/paper", help="where the table's run folders are")


def table_runs(args) -> tuple[Path, list[str]]:
    """The run folder of the table's cells named by `args` (`add_table_arguments`) and their
    keys, or `ADeGANError` naming the cells that have no trained model."""
    suffix = "" if args.real_task == "none" else f"_{args.real_task}"
    runs = Path(args.runs_dir) / f"{args.dataset}{suffix}"
    keys = [Results.key(k, s) for k in args.classes for s in args.seeds]
    missing = [k for k in keys if not (runs / k / "model.keras").is_file()]
    if missing:
        raise ADeGANError(f"{runs} has no trained model for {', '.join(missing)}: run "
                          "benchmarks.paper for those cells first")
    return runs, keys


def validation_auroc(model, splits, options: dict) -> float:
    """AUROC on the validation split of `model`'s feature score with other scoring options,
    computed as a user's run computes it (fitted on training normals, calibrated on validation
    normals)."""
    if model.rotation_head is None:
        options = {**options, "rotation_score_weight": 0.0}
    config = ADeGANConfig(real_task=model.real_task, **options)  # checked as a user's would be
    copy = model.with_scoring(**scoring_options(config, len(splits.train_x)))
    copy.fit_feature_score(to_model_range(splits.train_x))
    copy.calibrate(to_model_range(splits.val_normals))
    scores = copy.raw_outputs(to_model_range(splits.val_x))["feature_score"]
    return float(roc_auc_score(splits.val_y, scores))


def decide(entry: dict) -> dict:
    """CONFIRM_RULE on a dataset's entry (its study means and per-cell validation figures)."""
    cells = list(entry["cells"].values())
    general = float(np.mean([c["general"] for c in cells])) if cells else float("nan")
    own = float(np.mean([c["own"] for c in cells])) if cells else float("nan")
    study_gain = entry["own"]["variant_auroc"] - entry["general_on_own_cells"]["variant_auroc"]
    adopt = bool(study_gain >= MARGIN and own - general >= MARGIN)
    return {"study_gain": study_gain, "table_general": general, "table_own": own,
            "table_gain": own - general, "cells": len(cells), "adopt": adopt}


def _describe(choice: dict) -> str:
    bank = "every training normal" if choice["bank_size"] is None else \
        f"{choice['bank_size']} {choice['bank_selection']}"
    weight = (f", rotation weight {choice['rotation_score_weight']:g}"
              if choice["rotation_score_weight"] else "")
    return (f"{choice['feature_source']} | {choice['feature_density']} | "
            f"{choice['feature_distance']} | k = {choice['feature_k']} | bank: {bank}{weight}")


def write_markdown(data: dict, path: Path) -> None:
    lines = ["# A feature score per dataset, confirmed on validation", "",
             "Validation AUROC only (held-out normals and held-out anomaly-class images of the "
             "*train* split); the test split was not read. Written by "
             "`benchmarks/dataset_scoring.py`.", "", f"Rule: {CONFIRM_RULE}", ""]
    for dataset, entry in sorted(data["datasets"].items()):
        decision = decide(entry)
        lines += [f"## {dataset}", "",
                  f"- General choice: {_describe(entry['general'])}; on {dataset}'s study cells "
                  f"{entry['general_on_own_cells']['variant_auroc']:.4f}.",
                  f"- {dataset}'s own (E's features): {_describe(entry['own'])}; on its study "
                  f"cells {entry['own']['variant_auroc']:.4f} (gain "
                  f"{decision['study_gain']:+.4f}).",
                  f"- On the validation splits of the results table's cells "
                  f"({decision['cells']}): general {decision['table_general']:.4f}, own "
                  f"{decision['table_own']:.4f} (gain {decision['table_gain']:+.4f}).",
                  f"- Decision: **{'adopt the own variant' if decision['adopt'] else 'keep the general choice'}**.",
                  "", "| cell | general | own |", "|---|---|---|"]
        for key, cell in sorted(entry["cells"].items()):
            lines.append(f"| {key} | {cell['general']:.3f} | {cell['own']:.3f} |")
        first = next(iter(entry["cells"].values()), {})
        lines += ["", f"- Study: `{entry['study']}`; runs: `{entry['runs']}`",
                  f"- Command: `{entry['command']}`",
                  f"- Wall time: {sum(c['seconds'] for c in entry['cells'].values()):.0f} s on "
                  f"{first.get('cpu', '?')}; versions `{json.dumps(first.get('versions', {}))}`",
                  ""]
    path.write_text("\n".join(lines) + "\n")


@cli_main
def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m benchmarks.dataset_scoring",
                       description=__doc__.split("\n")[0])
    add_table_arguments(p)
    p.add_argument("--study", default=None,
                   help="the study file whose cells of the dataset propose its own variant "
                        "(default: the general study, results/feature_study[_<task>].json)")
    args = p.parse_args(argv)
    suffix = "" if args.real_task == "none" else f"_{args.real_task}"
    general_path = Path(args.results_dir) / f"feature_study{suffix}.json"
    study_path = Path(args.study or general_path)
    for path in (general_path, study_path):
        if not path.is_file():
            raise ADeGANError(f"no study file {path}: run benchmarks.feature_study first")
    studies = [json.loads(path.read_text()) for path in (general_path, study_path)]
    runs, keys = table_runs(args)
    proposed = candidates(*studies, args.dataset)
    out = Path(args.results_dir) / f"dataset_scoring{suffix}.json"
    data = json.loads(out.read_text()) if out.exists() else {"rule": CONFIRM_RULE, "datasets": {}}
    entry = data["datasets"].get(args.dataset)
    if entry is None or entry["own"]["variant"] != proposed["own"]["variant"] \
            or entry["general"]["variant"] != proposed["general"]["variant"]:
        entry = {**proposed, "cells": {}}  # another proposal: its cells start afresh
    command = "python -m benchmarks.dataset_scoring " + " ".join(
        sys.argv[1:] if argv is None else argv)
    entry.update(study=f"{general_path} (general), {study_path} (own)", runs=str(runs),
                 command=command)
    data["datasets"][args.dataset] = entry
    todo = [k for k in keys if k not in entry["cells"]]
    data_images = load_dataset(args.dataset) if todo else None
    out.parent.mkdir(parents=True, exist_ok=True)
    for key in todo:
        start = time.time()
        model = load_detector(runs / key / "model.keras")
        config = json.loads((runs / key / "config.json").read_text())
        splits = make_splits(data_images, config["anomaly_class"], config["val_fraction"],
                             config["seed"], config["train_limit"])
        entry["cells"][key] = {
            name: validation_auroc(model, splits, options_of(proposed[name]))
            for name in ("general", "own")}
        entry["cells"][key].update(seconds=round(time.time() - start, 1), cpu=cpu_name(),
                                   versions=library_versions())
        write_atomically(out, json.dumps(data, indent=1) + "\n")
        write_markdown(data, out.with_suffix(".md"))
        print(f"{args.dataset} {key}: general {entry['cells'][key]['general']:.3f}, own "
              f"{entry['cells'][key]['own']:.3f} ({time.time() - start:.0f} s)", flush=True)
    write_atomically(out, json.dumps(data, indent=1) + "\n")
    write_markdown(data, out.with_suffix(".md"))
    print(json.dumps(decide(entry), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
