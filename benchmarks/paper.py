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


from keras_adegan.baselines import knn_scores, pca_scores
from keras_adegan.config import READINGS, REAL_TASKS, SCORE_FIELDS, ADeGANConfig
from keras_adegan.data import load_dataset
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.metrics import ranking_metrics
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import add_threads_flag, module_command, set_threads
from keras_adegan.runs import rescore, train
from keras_adegan.splits import make_splits

from benchmarks.paper_sections import diagnose_saved
from benchmarks.paper_table import COMPONENTS, PARTS, variant_of, write_markdown

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
        self.added = set()  # the cells this process recorded: its own versions win

    @staticmethod
    def key(anomaly_class: int, seed: int) -> str:
        return f"class{anomaly_class}-seed{seed}"

    def has(self, anomaly_class: int, seed: int) -> bool:
        return self.key(anomaly_class, seed) in self.data["cells"]

    def cell(self, anomaly_class: int, seed: int) -> dict:
        return self.data["cells"][self.key(anomaly_class, seed)]

    def add(self, cell: dict) -> None:
        """Record a cell, merged with the cells the file holds now: another process running
        other cells of the same table may have added some, or replaced a stale one, since this
        one read it, so every cell but those this process recorded is taken from the file."""
        if self.path.exists():
            self.data["cells"].update({k: v for k, v in
                                       json.loads(self.path.read_text())["cells"].items()
                                       if k not in self.added})
        key = self.key(cell["anomaly_class"], cell["seed"])
        self.data["cells"][key] = cell
        self.added.add(key)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, json.dumps(self.data, indent=1) + "\n")

    def cells(self) -> list[dict]:
        return sorted(self.data["cells"].values(), key=lambda c: (c["anomaly_class"], c["seed"]))


def model_figures(metrics: dict) -> tuple[dict, dict]:
    """A cell's test and validation figures of the model's own scores, from its metrics.json:
    AUROC of every component (and of a rotation score's parts), F1 and FPR on test."""
    names = COMPONENTS + tuple(p for p in PARTS if f"auroc_{p}" in metrics["test"])
    test = {f"auroc_{c}": metrics["test"][f"auroc_{c}"] for c in names}
    test.update(f1=metrics["test"]["f1"], fpr=metrics["test"]["fpr"])
    return test, {f"auroc_{c}": metrics["validation"][f"auroc_{c}"] for c in names}


def scoring_of(config: ADeGANConfig) -> dict:
    """The config's scoring options (`SCORE_FIELDS`)."""
    return {k: getattr(config, k) for k in SCORE_FIELDS}


def recorded_scoring(options: dict) -> dict:
    """Scoring options as recorded (a cell's, or a run's config); a field added to
    SCORE_FIELDS after they were recorded had its default value then."""
    return {k: options.get(k, getattr(ADeGANConfig, k)) for k in SCORE_FIELDS}


def is_stale(cell: dict, config: ADeGANConfig) -> bool:
    """Whether a recorded cell needs rescoring: its scoring options are no longer the
    config's (a preset chose another on validation), or its rotation score's parts are missing
    (cells recorded before they were)."""
    return recorded_scoring(cell["scoring"]) != scoring_of(config) or (
        config.rotation_score_weight > 0 and "auroc_rotation" not in cell["test"])


def rescore_cell(cell: dict, config: ADeGANConfig, data) -> None:
    """Rescore a stale cell's saved model with the config's scoring options (no retraining) and
    take every figure of the model from that; a cell whose options changed keeps its previous
    deployed score as `auroc_previous` and the options under `previous_scoring`."""
    wanted = scoring_of(config)
    before = {split: cell[split]["auroc_features"] for split in ("test", "validation")}
    metrics = rescore(Path(cell["run_dir"]), data=data, **wanted)
    test, validation = model_figures(metrics)
    if recorded_scoring(cell["scoring"]) != wanted:
        cell["previous_scoring"] = cell["scoring"]
        test["auroc_previous"], validation["auroc_previous"] = before["test"], before["validation"]
        cell["scoring"] = wanted
    cell["test"].update(test)
    cell["validation"].update(validation)
    print(f"class {config.anomaly_class} seed {config.seed}: rescored; feature score "
          f"{before['test']:.5f} -> {test['auroc_features']:.5f}"
          + "".join(f", {p} part {test[f'auroc_{p}']:.3f}" for p in PARTS
                    if f"auroc_{p}" in test), flush=True)


def model_gone(results: Results, config: ADeGANConfig) -> bool:
    """Whether a recorded cell's trained model is no longer on this machine (run folders do
    not travel with the results files)."""
    return not (Path(results.cell(config.anomaly_class, config.seed)["run_dir"])
                / "model.keras").exists()


def refuse_without_models(results: Results, configs: list[ADeGANConfig]) -> None:
    """Stop, before any work, if recorded cells that must be rescored or diagnosed lost the
    trained model they need."""
    gone = [c for c in configs if model_gone(results, c)]
    if gone:
        names = ", ".join(f"class {c.anomaly_class} seed {c.seed}" for c in gone)
        raise ADeGANError(
            f"{len(gone)} cell(s) of {results.path} must be rescored with the preset's current "
            f"scoring options (or diagnosed), but their trained models are gone ({names}; run "
            f"folder e.g. {results.cell(gone[0].anomaly_class, gone[0].seed)['run_dir']}): "
            "restore the run folders, or retrain them: --retrain-stale (only those cells), or "
            "--recompute with their --classes/--seeds")


def run_cell(config: ADeGANConfig, data, run_dir: Path, test_curve: bool, command: str,
             batch_statistics_curve: bool = False) -> dict:
    """Train, evaluate and score the baselines for one (class, seed); returns the results entry."""
    start = time.time()
    resume = (run_dir / "backup").exists()
    read_back = (run_dir / "metrics.json").exists()
    if read_back:  # trained before (e.g. by a study whose cells are the table's)
        metrics = json.loads((run_dir / "metrics.json").read_text())
        if recorded_scoring(metrics["config"]) != scoring_of(config):
            metrics = rescore(run_dir, data=data, **scoring_of(config))
    else:
        metrics = train(config, run_dir, data=data, resume=resume, overwrite=not resume,
                        test_curve=test_curve, batch_statistics_curve=batch_statistics_curve,
                        verbose=2)
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    base_start = time.time()
    baselines = {"pca": pca_scores(splits.train_x, splits.test_x, 32, config.seed),
                 "knn": knn_scores(splits.train_x, splits.test_x, 5)}
    baseline_auroc = {name: value for name, value in
                      ranking_metrics(baselines, splits.test_y).items() if name.startswith("auroc")}
    base_seconds = time.time() - base_start
    test, validation = model_figures(metrics)
    cell = {
        "anomaly_class": config.anomaly_class,
        "class_name": data.class_names[config.anomaly_class] if data.class_names else None,
        "seed": config.seed,
        "test": {**test, **baseline_auroc},
        "validation": validation,
        "history": metrics["history"],
        "core": metrics.get("core"),
        "train_seconds": metrics["train_seconds"],
        "baseline_seconds": round(base_seconds, 1),
        "resumed": resume,
        "read_back": read_back,
        "scoring": scoring_of(config),
        "data": metrics["data"],
        "versions": metrics["versions"],
        "code": metrics.get("code"),
        "cpu": metrics.get("cpu"),  # the machine that trained it (None: not recorded then)
        "threads": metrics.get("threads"),
        "command": command,
        "run_dir": str(run_dir),
        "finished": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
    }
    cell["cell_seconds"] = round(time.time() - start, 1)
    return cell


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
    p.add_argument("--reading", choices=READINGS, default=None,
                   help="how the paper is read (default: the preset's; a training option: "
                        "literal cells go to <dataset>_literal.json and appear as columns of "
                        "<dataset>.md)")
    p.add_argument("--real-task", choices=REAL_TASKS, default=None,
                   help="beyond the paper, a task on real normals (default: the preset's, "
                        "as the README's command trains; rotation cells go to "
                        "<dataset>_rotation.json and appear as columns of <dataset>.md)")
    p.add_argument("--biased-diagnostic", action="store_true",
                   help="log, for every class, the test AUROC after every stage-2 epoch with "
                        "G's BatchNorm in eval and in training mode (GANomaly's conventions), "
                        "for the table's biased-protocol section; reported, never used")
    p.add_argument("--curve-classes", type=parse_list, default=[0],
                   help="classes whose test AUROC is also logged every epoch (learning curve)")
    p.add_argument("--results-dir", default="results", help="where <dataset>.json/.md go")
    p.add_argument("--runs-dir", default="runs/paper", help="where each cell's run folder goes")
    p.add_argument("--recompute", action="store_true", help="redo cells already in the results")
    p.add_argument("--retrain-stale", action="store_true",
                   help="retrain the recorded cells that must be rescored (the preset's scoring "
                        "changed) but whose trained models are gone; without it such cells "
                        "stop the run before any work")
    add_threads_flag(p)
    return p.parse_args(argv)


def write_tables(results: Results, results_dir: Path, name: str) -> None:
    """`<name>.md`, and for a variant also the main table, which shows its columns."""
    write_markdown(results, results_dir / f"{name}.md")
    main_file = results_dir / f"{results.data['dataset']}.json"
    if name != results.data["dataset"] and main_file.is_file():
        main_results = Results(main_file, results.data["dataset"],
                               budget_of(json.loads(main_file.read_text())["budget"]))
        write_markdown(main_results, results_dir / f"{results.data['dataset']}.md")


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    command = module_command("benchmarks.paper", argv)
    configs = [ADeGANConfig.preset(args.dataset, anomaly_class=k, seed=s,
                                   stage1_epochs=args.stage1_epochs,
                                   stage2_epochs=args.stage2_epochs, width=args.width,
                                   batch_size=args.batch_size, train_limit=args.train_limit,
                                   reading=args.reading, real_task=args.real_task)
               for k in args.classes for s in args.seeds]
    results_dir = Path(args.results_dir)
    budget = budget_of(configs[0])
    variant = variant_of(budget)
    if configs[0].reading != "ours" and configs[0].real_task != "none":
        raise ADeGANError("one training option at a time: --reading literal or --real-task "
                          f"{configs[0].real_task}, not both (the preset of {args.dataset} "
                          "trains the real task unless --real-task none)")
    name = args.dataset if variant is None else f"{args.dataset}_{variant}"
    results = Results(results_dir / f"{name}.json", args.dataset, budget)
    todo = [c for c in configs if args.recompute or not results.has(c.anomaly_class, c.seed)]
    undiagnosed = [c for c in configs if args.biased_diagnostic and c not in todo
                   and "biased" not in results.cell(c.anomaly_class, c.seed)
                   and not any("test_bs_auroc_combined" in h
                               for h in results.cell(c.anomaly_class, c.seed)["history"])]
    stale = [c for c in configs if c not in todo
             and is_stale(results.cell(c.anomaly_class, c.seed), c)]
    if args.retrain_stale:  # a stale cell whose model is gone is trained again
        todo = [c for c in configs if c in todo or (c in stale and model_gone(results, c))]
        stale = [c for c in stale if c not in todo]
    if undiagnosed or stale:
        refuse_without_models(results, undiagnosed + stale)
        data = load_dataset(args.dataset, args.data_dir)
        for config in undiagnosed:  # cells trained without the diagnostic: last epoch only
            cell = results.cell(config.anomaly_class, config.seed)
            cell["biased"] = diagnose_saved(config, data, Path(cell["run_dir"]))
            results.add(cell)
            print(f"class {config.anomaly_class} seed {config.seed}: diagnosed after training",
                  flush=True)
        for config in stale:
            cell = results.cell(config.anomaly_class, config.seed)
            rescore_cell(cell, config, data)
            results.add(cell)
        write_tables(results, results_dir, name)
    if not todo:
        print(f"nothing to do: all {len(configs)} cells are already in {results.path} "
              "(pass --recompute to redo them)")
        write_tables(results, results_dir, name)
        return 0
    data = load_dataset(args.dataset, args.data_dir)
    bad = [k for k in args.classes if k >= len(data.class_names or range(10))]
    if bad:
        raise ADeGANError(f"{args.dataset} has no class {bad[0]}")
    print(f"{len(todo)} of {len(configs)} cells to run; results go to {results.path}", flush=True)
    for config in todo:
        run_dir = Path(args.runs_dir) / name / results.key(config.anomaly_class, config.seed)
        if (args.recompute or results.has(config.anomaly_class, config.seed)) and (
                run_dir / "metrics.json").exists():
            (run_dir / "metrics.json").unlink()
        cell = run_cell(config, data, run_dir,
                        args.biased_diagnostic or config.anomaly_class in args.curve_classes,
                        command, batch_statistics_curve=args.biased_diagnostic)
        results.add(cell)
        write_tables(results, results_dir, name)
        t = cell["test"]
        print(f"class {config.anomaly_class} seed {config.seed}: feature score "
              f"{t['auroc_features']:.3f}, paper's S {t['auroc_combined']:.3f} "
              f"(recon {t['auroc_recon']:.3f}, pattern {t['auroc_pattern']:.3f}), "
              f"PCA {t['auroc_pca']:.3f}, kNN {t['auroc_knn']:.3f}; {cell['cell_seconds']:.0f} s",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
