"""The paper's leave-one-class-out protocol, resumable, with PCA and kNN baselines in the same run.

For each (anomaly class, seed) cell it trains ADe-GAN on the normal training images, evaluates
every score on the test split (the deployed feature score and the paper's S with its
components, all from the model itself, as a user's run computes them), scores the same splits
with PCA-32 and kNN-5 on raw pixels, and appends the cell to `results/<dataset>.json` as soon as
it is done; the Markdown table `results/<dataset>.md` is rewritten after every cell. Finished
cells are skipped (pass `--recompute` to redo them); a cell interrupted mid-training resumes
from its last epoch, and a trained run whose scoring options differ from the current defaults
is rescored (`keras_adegan.runs.rescore`), not retrained.

All cells of one results file share one training budget (the config apart from class, seed and
scoring options); asking for another budget with the same file is an error, so one table never
mixes budgets.

Command line:
    python -m benchmarks.paper --dataset mnist --classes 0-9 --seeds 0 --stage1-epochs 2 --stage2-epochs 1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from keras_adegan.baselines import knn_scores, pca_scores
from keras_adegan.config import SCORE_FIELDS, ADeGANConfig
from keras_adegan.data import load_dataset
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.metrics import ranking_metrics
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import cpu_name
from keras_adegan.runs import rescore, train
from keras_adegan.splits import make_splits

# Table 1 of the paper gives per-class AUROC on MNIST; only its mean is quoted in this
# project's sources, so only the mean is shown (no per-class figures are invented).
PAPER_MEAN = {"mnist": 0.907}
COMPONENTS = ("features", "combined", "recon", "pattern", "mean_prob")
CELL_KEYS = ("anomaly_class", "seed")
# The budgets of the committed tables (README, "Results"): 2 + 2 epochs at width 32; CIFAR-10 on
# 15,000 training normals. The feature study trains its cells with the same budgets.
TABLE_BUDGETS = {
    "mnist": dict(stage1_epochs=2, stage2_epochs=2, width=32),
    "fashion_mnist": dict(stage1_epochs=2, stage2_epochs=2, width=32),
    "cifar10": dict(stage1_epochs=2, stage2_epochs=2, width=32, train_limit=15000),
}


def parse_list(text: str) -> list[int]:
    """'0-9' or '0,3,5' or '0-2,7' -> sorted unique ints."""
    values = set()
    try:
        for part in text.split(","):
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-"))
                values.update(range(lo, hi + 1))
            elif part.strip():
                values.add(int(part))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a list like 0-9 or 0,3,5; got {text!r}") from None
    return sorted(values)


def budget_of(config: ADeGANConfig | dict) -> dict:
    """The training config without the cell's own keys: what every cell of one table shares.

    Scoring options (`SCORE_FIELDS`) are not part of it: they never change a trained model.
    A stored budget from an older version lacks newer fields; they take their defaults.
    """
    values = config.to_dict() if isinstance(config, ADeGANConfig) else config
    full = ADeGANConfig.from_dict({**values, "anomaly_class": 0}).to_dict()
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in full.items()
            if k not in CELL_KEYS + SCORE_FIELDS}


class Results:
    """`results/<dataset>.json`: the budget and one entry per finished (class, seed) cell."""

    def __init__(self, path: Path, dataset: str, budget: dict):
        self.path = path
        if path.exists():
            self.data = json.loads(path.read_text())
            self.data["budget"] = budget_of(self.data["budget"])
            if self.data["budget"] != budget:
                changed = sorted(k for k in set(budget) | set(self.data["budget"])
                                 if budget.get(k) != self.data["budget"].get(k))
                raise ADeGANError(
                    f"{path} was made with another budget (differs in: {', '.join(changed)}); "
                    "use another --results-dir, or move that file away to start a new table")
        else:
            self.data = {"dataset": dataset, "budget": budget, "cells": {}}

    @staticmethod
    def key(anomaly_class: int, seed: int) -> str:
        return f"class{anomaly_class}-seed{seed}"

    def has(self, anomaly_class: int, seed: int) -> bool:
        return self.key(anomaly_class, seed) in self.data["cells"]

    def add(self, cell: dict) -> None:
        self.data["cells"][self.key(cell["anomaly_class"], cell["seed"])] = cell
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(self.data, indent=1) + "\n")

    def cells(self) -> list[dict]:
        return sorted(self.data["cells"].values(), key=lambda c: (c["anomaly_class"], c["seed"]))


def run_cell(config: ADeGANConfig, data, run_dir: Path, test_curve: bool, command: str) -> dict:
    """Train, evaluate and score the baselines for one (class, seed); returns the results entry."""
    start = time.time()
    resume = (run_dir / "backup").exists()
    if (run_dir / "metrics.json").exists():  # trained before (e.g. by the feature study)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        wanted = {k: getattr(config, k) for k in SCORE_FIELDS}
        if {k: metrics["config"].get(k) for k in SCORE_FIELDS} != wanted:
            metrics = rescore(run_dir, data=data, **wanted)
    else:
        metrics = train(config, run_dir, data=data, resume=resume, overwrite=not resume,
                        test_curve=test_curve, verbose=2)
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    base_start = time.time()
    baselines = {"pca": pca_scores(splits.train_x, splits.test_x, 32, config.seed),
                 "knn": knn_scores(splits.train_x, splits.test_x, 5)}
    baseline_auroc = {name: value for name, value in
                      ranking_metrics(baselines, splits.test_y).items() if name.startswith("auroc")}
    base_seconds = time.time() - base_start
    test = metrics["test"]
    cell = {
        "anomaly_class": config.anomaly_class,
        "class_name": data.class_names[config.anomaly_class] if data.class_names else None,
        "seed": config.seed,
        "test": {**{f"auroc_{c}": test[f"auroc_{c}"] for c in COMPONENTS}, **baseline_auroc,
                 "f1": test["f1"], "fpr": test["fpr"]},
        "validation": {f"auroc_{c}": metrics["validation"][f"auroc_{c}"] for c in COMPONENTS},
        "history": metrics["history"],
        "train_seconds": metrics["train_seconds"],
        "baseline_seconds": round(base_seconds, 1),
        "resumed": resume,
        "scoring": {k: getattr(config, k) for k in SCORE_FIELDS},
        "data": metrics["data"],
        "versions": metrics["versions"],
        "code": metrics.get("code"),
        "cpu": cpu_name(),
        "command": command,
        "run_dir": str(run_dir),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    cell["cell_seconds"] = round(time.time() - start, 1)
    return cell


def _mean_std(values) -> str:
    if not len(values):
        return "n/a"
    values = np.asarray(values, float)
    if len(values) > 1:
        return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
    return f"{values.mean():.3f}"


def write_markdown(results: Results, path: Path) -> None:
    """The per-class table, the mean row, the budget and the learning curves."""
    data = results.data
    dataset, budget, cells = data["dataset"], data["budget"], results.cells()
    columns = [("features", "deployed: feature score"), ("combined", "paper's S (Eq. 11)"),
               ("recon", "recon only"), ("pattern", "pattern only"), ("mean_prob", "mean of probs"),
               ("pca", "PCA-32"), ("knn", "kNN-5")]
    lines = [f"# {dataset}: leave-one-class-out AUROC on the test split", ""]
    if dataset == "cifar10":
        lines += ["CIFAR-10 here is the JPEG copy in `../shared/datasets/cifar10` (re-encoded, so "
                  "pixel values differ slightly from the original binary release).", ""]
    lines += ["Each row: one class held out as the anomaly, the other nine normal; trained on normal "
              "training images only; AUROC on the test split, mean ± std over seeds. Nothing was "
              "selected, stopped early or thresholded on the test split: every model is the one "
              "after its last epoch. Written by `benchmarks/paper.py` after every cell.", "",
              "Columns: `deployed: feature score` is the score the model decides with by default "
              "(beyond the paper, `keras_adegan.features`; its design was chosen on validation, "
              "see `feature_study.md`), computed by the saved model itself; then the paper's "
              "score S = -log(p_r p_c) (Eq. 11, our reading) and its components, from the same "
              "model; PCA-32 and kNN-5 on raw pixels are the classical floor.", "",
              "`seeds`: the cells (seeds) averaged in the row.", "",
              "| class | name | seeds | " + " | ".join(t for _, t in columns)
              + " | deployed > kNN | S > kNN | train s |",
              "|---|---|---|" + "---|" * len(columns) + "---|---|---|"]
    by_class: dict[int, list[dict]] = {}
    for cell in cells:
        by_class.setdefault(cell["anomaly_class"], []).append(cell)
    means = {name: [] for name, _ in columns}
    wins = {"features": 0, "combined": 0}
    for k, group in sorted(by_class.items()):
        row = {name: [c["test"][f"auroc_{name}"] for c in group if f"auroc_{name}" in c["test"]]
               for name, _ in columns}
        for name in means:
            means[name].append(float(np.mean(row[name])) if row[name] else None)
        won = {name: bool(row[name]) and np.mean(row[name]) > np.mean(row["knn"]) for name in wins}
        for name in wins:
            wins[name] += won[name]
        seconds = np.mean([c["train_seconds"] for c in group])
        lines.append(f"| {k} | {group[0]['class_name'] or ''} | {len(group)} | "
                     + " | ".join(_mean_std(row[name]) for name, _ in columns)
                     + f" | {'yes' if won['features'] else 'no'} | "
                     + f"{'yes' if won['combined'] else 'no'} | {seconds:.0f} |")
    if by_class:
        lines.append(f"| **mean** | {len(by_class)} classes | | " + " | ".join(
            f"**{np.mean(means[name]):.3f}**" if None not in means[name] else "n/a"
            for name, _ in columns)
            + f" | {wins['features']}/{len(by_class)} | {wins['combined']}/{len(by_class)} | |")
        val = {name: [np.mean([c["validation"][f"auroc_{name}"] for c in group
                               if f"auroc_{name}" in c.get("validation", {})] or [np.nan])
                      for group in by_class.values()] for name in COMPONENTS}
        lines.append("| validation mean | same cells | | " + " | ".join(
            f"{np.nanmean(val[name]):.3f}" if name in val and not np.all(np.isnan(val[name]))
            else "" for name, _ in columns) + " | | | |")
    if dataset in PAPER_MEAN:
        lines += ["", f"Paper (Table 1, mean over the 10 classes, GPU, budget not stated): "
                  f"**{PAPER_MEAN[dataset]:.3f}**."]
    total = sum(c["cell_seconds"] for c in cells)
    first = cells[0] if cells else {}
    lines += ["", "## Budget and reproduction", "",
              f"- Budget (shared by every cell): stage 1 {budget['stage1_epochs']} epochs, stage 2 "
              f"{budget['stage2_epochs']} epochs, width {budget['width']}, batch "
              f"{budget['batch_size']}, training images "
              + (f"at most {budget['train_limit']}" if budget.get("train_limit") else
                 "all normals of the train split (less the 10% validation share)") + ".",
              f"- Config: `{json.dumps(budget)}`",
              "- Commands: " + "; ".join(sorted({f"`{c['command']}`" for c in cells})),
              f"- Wall time: {total:.0f} s for {len(cells)} cells (training, evaluation and both "
              f"baselines), on {first.get('cpu', '?')}.",
              f"- Versions: `{json.dumps(first.get('versions', {}))}`",
              f"- Raw numbers, per-cell wall time and per-epoch histories: `{dataset}.json`.", ""]
    curves = [c for c in cells if any("test_auroc_combined" in h for h in c["history"])]
    if curves:
        lines += ["## Learning curves", "",
                  "AUROC after every stage-2 epoch on validation (the split's held-out images) and "
                  "on test. The test curve is reported only; it chose nothing.", ""]
    for cell in curves:
        lines += [f"### class {cell['anomaly_class']}, seed {cell['seed']}", "",
                  "| epoch | val S | val recon | val pattern | test S | test recon | test pattern |",
                  "|---|---|---|---|---|---|---|"]
        for h in cell["history"]:
            if "test_auroc_combined" in h:
                lines.append(f"| {h['epoch']} | " + " | ".join(
                    f"{h[f'{split}_auroc_{c}']:.3f}" for split in ("val", "test")
                    for c in ("combined", "recon", "pattern")) + " |")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")


def parse_args(argv=None) -> argparse.Namespace:
    p = ArgumentParser(prog="python -m benchmarks.paper", description=__doc__.split("\n")[0])
    p.add_argument("--dataset", required=True, help="mnist, fashion_mnist, cifar10 or digits")
    p.add_argument("--classes", type=parse_list, default=list(range(10)), help="e.g. 0-9")
    p.add_argument("--seeds", type=parse_list, default=[0], help="e.g. 0,1,2")
    p.add_argument("--data-dir", default=None, help="folder with the dataset's files")
    p.add_argument("--stage1-epochs", type=int, default=None)
    p.add_argument("--stage2-epochs", type=int, default=None)
    p.add_argument("--width", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--train-limit", type=int, default=None)
    p.add_argument("--curve-classes", type=parse_list, default=[0],
                   help="classes whose test AUROC is also logged every epoch (learning curve)")
    p.add_argument("--results-dir", default="results", help="where <dataset>.json/.md go")
    p.add_argument("--runs-dir", default="runs/paper", help="where each cell's run folder goes")
    p.add_argument("--recompute", action="store_true", help="redo cells already in the results")
    return p.parse_args(argv)


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks.paper " + " ".join(sys.argv[1:] if argv is None else argv)
    configs = [ADeGANConfig.preset(args.dataset, anomaly_class=k, seed=s,
                                   stage1_epochs=args.stage1_epochs,
                                   stage2_epochs=args.stage2_epochs, width=args.width,
                                   batch_size=args.batch_size, train_limit=args.train_limit)
               for k in args.classes for s in args.seeds]
    results_dir = Path(args.results_dir)
    results = Results(results_dir / f"{args.dataset}.json", args.dataset, budget_of(configs[0]))
    todo = [c for c in configs if args.recompute or not results.has(c.anomaly_class, c.seed)]
    if not todo:
        print(f"nothing to do: all {len(configs)} cells are already in {results.path} "
              "(pass --recompute to redo them)")
        write_markdown(results, results_dir / f"{args.dataset}.md")
        return 0
    data = load_dataset(args.dataset, args.data_dir)
    bad = [k for k in args.classes if k >= len(data.class_names or range(10))]
    if bad:
        raise ADeGANError(f"{args.dataset} has no class {bad[0]}")
    print(f"{len(todo)} of {len(configs)} cells to run; results go to {results.path}", flush=True)
    for config in todo:
        run_dir = Path(args.runs_dir) / args.dataset / results.key(config.anomaly_class, config.seed)
        if args.recompute and (run_dir / "metrics.json").exists():
            (run_dir / "metrics.json").unlink()
        cell = run_cell(config, data, run_dir, config.anomaly_class in args.curve_classes,
                        command)
        results.add(cell)
        write_markdown(results, results_dir / f"{args.dataset}.md")
        t = cell["test"]
        print(f"class {config.anomaly_class} seed {config.seed}: feature score "
              f"{t['auroc_features']:.3f}, paper's S {t['auroc_combined']:.3f} "
              f"(recon {t['auroc_recon']:.3f}, pattern {t['auroc_pattern']:.3f}), "
              f"PCA {t['auroc_pca']:.3f}, kNN {t['auroc_knn']:.3f}; {cell['cell_seconds']:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
