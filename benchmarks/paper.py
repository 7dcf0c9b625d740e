"""The paper's leave-one-class-out protocol, resumable, with PCA and kNN baselines in the same run.

For each (anomaly class, seed) cell it trains ADe-GAN on the normal training images, evaluates
every score component on the test split, scores the same splits with PCA-32 and kNN-5 on raw
pixels, and appends the cell to `results/<dataset>.json` as soon as it is done; the Markdown
table `results/<dataset>.md` is rewritten after every cell. Finished cells are skipped (pass
`--recompute` to redo them); a cell interrupted mid-training resumes from its last epoch.

All cells of one results file share one budget (the config apart from class and seed); asking
for another budget with the same file is an error, so one table never mixes budgets.

Command line:
    python -m benchmarks.paper --dataset mnist --classes 0-9 --seeds 0 --stage1-epochs 2 --stage2-epochs 1
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

from keras_adegan.baselines import knn_scores, pca_scores
from keras_adegan.config import ADeGANConfig
from keras_adegan.data import load_dataset, make_splits
from keras_adegan.errors import ADeGANError
from keras_adegan.evaluate import ranking_metrics
from keras_adegan.features import feature_knn_scores
from keras_adegan.score import load_detector
from keras_adegan.train import train

# Table 1 of the paper gives per-class AUROC on MNIST; only its mean is quoted in this
# project's sources, so only the mean is shown (no per-class figures are invented).
PAPER_MEAN = {"mnist": 0.907}
COMPONENTS = ("combined", "recon", "pattern", "mean_prob")
CELL_KEYS = ("anomaly_class", "seed")


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
    """The config without the cell's own keys: what every cell of one table must share.

    A stored budget from an older version lacks newer fields; they take their defaults.
    """
    values = config.to_dict() if isinstance(config, ADeGANConfig) else config
    full = ADeGANConfig.from_dict({**values, "anomaly_class": 0}).to_dict()
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in full.items()
            if k not in CELL_KEYS}


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


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
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.data, indent=1) + "\n")
        tmp.replace(self.path)

    def cells(self) -> list[dict]:
        return sorted(self.data["cells"].values(), key=lambda c: (c["anomaly_class"], c["seed"]))


def run_cell(config: ADeGANConfig, data, run_dir: Path, test_curve: bool, command: str) -> dict:
    """Train, evaluate and score the baselines for one (class, seed); returns the results entry."""
    start = time.time()
    resume = (run_dir / "backup").exists()
    if (run_dir / "metrics.json").exists():  # trained before the results file was written
        metrics = json.loads((run_dir / "metrics.json").read_text())
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
        "data": metrics["data"],
        "versions": metrics["versions"],
        "cpu": cpu_name(),
        "command": command,
        "run_dir": str(run_dir),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    add_feature_option(cell, run_dir, splits)
    cell["cell_seconds"] = round(time.time() - start, 1)
    return cell


def add_feature_option(cell: dict, run_dir: Path, splits) -> None:
    """Add the E-feature kNN option's test AUROC (see `keras_adegan.features`) to a cell."""
    start = time.time()
    model = load_detector(run_dir / "model.keras")
    scores = feature_knn_scores(model, splits.train_x, splits.test_x, k=5)
    cell["test"]["auroc_feature_knn"] = ranking_metrics({"f": scores}, splits.test_y)["auroc_f"]
    cell["feature_seconds"] = round(time.time() - start, 1)


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
    columns = [("combined", "ADe-GAN S (Eq. 11)"), ("recon", "recon only"),
               ("pattern", "pattern only"), ("mean_prob", "mean of probs"),
               ("feature_knn", "option: E-feature kNN-5"), ("pca", "PCA-32"), ("knn", "kNN-5")]
    lines = [f"# {dataset}: leave-one-class-out AUROC on the test split", ""]
    if dataset == "cifar10":
        lines += ["CIFAR-10 here is the JPEG copy in `../shared/datasets/cifar10` (re-encoded, so "
                  "pixel values differ slightly from the original binary release).", ""]
    lines += ["Each row: one class held out as the anomaly, the other nine normal; trained on normal "
              "training images only; AUROC on the test split, mean ± std over seeds. Nothing was "
              "selected, stopped early or thresholded on the test split: every model is the one "
              "after its last epoch. Written by `benchmarks/paper.py` after every cell.", "",
              "Columns: the faithful score S = -log(p_r p_c) (Eq. 11) and its components; "
              "`option: E-feature kNN-5`, beyond the paper, is the mean cosine distance of E's "
              "features to the 5 nearest training normals (`keras_adegan.features`), from the "
              "same trained model; PCA-32 and kNN-5 on raw pixels are the classical floor.", "",
              "| class | name | seeds | " + " | ".join(t for _, t in columns)
              + " | S > kNN | option > kNN | train s |",
              "|---|---|---|" + "---|" * len(columns) + "---|---|---|"]
    by_class: dict[int, list[dict]] = {}
    for cell in cells:
        by_class.setdefault(cell["anomaly_class"], []).append(cell)
    means = {name: [] for name, _ in columns}
    wins = {"combined": 0, "feature_knn": 0}
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
                     + f" | {'yes' if won['combined'] else 'no'} | "
                     + f"{'yes' if won['feature_knn'] else 'no' if row['feature_knn'] else ''} | "
                     + f"{seconds:.0f} |")
    if by_class:
        lines.append(f"| **mean** | {len(by_class)} classes | | " + " | ".join(
            f"**{np.mean(means[name]):.3f}**" if None not in means[name] else "n/a"
            for name, _ in columns)
            + f" | {wins['combined']}/{len(by_class)} | {wins['feature_knn']}/{len(by_class)} | |")
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
    p = argparse.ArgumentParser(prog="python -m benchmarks.paper", description=__doc__.split("\n")[0])
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


def main(argv=None) -> int:
    args = parse_args(argv)
    command = "python -m benchmarks.paper " + " ".join(sys.argv[1:] if argv is None else argv)
    try:
        configs = [ADeGANConfig.preset(args.dataset, anomaly_class=k, seed=s,
                                       stage1_epochs=args.stage1_epochs,
                                       stage2_epochs=args.stage2_epochs, width=args.width,
                                       batch_size=args.batch_size, train_limit=args.train_limit)
                   for k in args.classes for s in args.seeds]
        results_dir = Path(args.results_dir)
        results = Results(results_dir / f"{args.dataset}.json", args.dataset, budget_of(configs[0]))
        todo = [c for c in configs if args.recompute or not results.has(c.anomaly_class, c.seed)]
        older = [c for c in results.cells() if "auroc_feature_knn" not in c["test"]
                 and (Path(c["run_dir"]) / "model.keras").exists()]
        if not todo and not older:
            print(f"nothing to do: all {len(configs)} cells are already in {results.path} "
                  "(pass --recompute to redo them)")
            write_markdown(results, results_dir / f"{args.dataset}.md")
            return 0
        data = load_dataset(args.dataset, args.data_dir)
        bad = [k for k in args.classes if k >= len(data.class_names or range(10))]
        if bad:
            raise ADeGANError(f"{args.dataset} has no class {bad[0]}")
        for cell in older:  # cells from before the E-feature option: score their saved model
            config = ADeGANConfig.from_dict({**results.data["budget"], "dataset": args.dataset,
                                             "anomaly_class": cell["anomaly_class"],
                                             "seed": cell["seed"]})
            splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                                 config.train_limit)
            add_feature_option(cell, Path(cell["run_dir"]), splits)
            results.add(cell)
            print(f"added the E-feature option to class {cell['anomaly_class']} seed "
                  f"{cell['seed']}", flush=True)
        if older:
            write_markdown(results, results_dir / f"{args.dataset}.md")
        if todo:
            print(f"{len(todo)} of {len(configs)} cells to run; results go to {results.path}",
                  flush=True)
        for config in todo:
            run_dir = Path(args.runs_dir) / args.dataset / results.key(config.anomaly_class, config.seed)
            if args.recompute and (run_dir / "metrics.json").exists():
                (run_dir / "metrics.json").unlink()
            cell = run_cell(config, data, run_dir, config.anomaly_class in args.curve_classes,
                            command)
            results.add(cell)
            write_markdown(results, results_dir / f"{args.dataset}.md")
            t = cell["test"]
            print(f"class {config.anomaly_class} seed {config.seed}: ADe-GAN {t['auroc_combined']:.3f} "
                  f"(recon {t['auroc_recon']:.3f}, pattern {t['auroc_pattern']:.3f}), "
                  f"PCA {t['auroc_pca']:.3f}, kNN {t['auroc_knn']:.3f}; {cell['cell_seconds']:.0f} s",
                  flush=True)
    except ADeGANError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
