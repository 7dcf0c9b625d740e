"""Hyperparameter search and the paper's n_c sweep (Table 2), from the command line.

The search sees the training images and the validation split only. When it is over, the best
trial's model (by the validation objective) is copied to `<directory>/<project>/best/` and
evaluated once on the test split; the test figures are reported apart and choose nothing.
Re-running the same command resumes the search (KerasTuner reloads its project).

Outputs in `<directory>/<project>/`: `summary.csv` and `summary.md` (every trial: values,
objective, status; copied to `<results-dir>/search_<project>.md`), `best/model.keras` (usable
by `evaluate`, `score` and `export`), `best/test_metrics.json`, and with `--compare-preset` the
preset trained on the same budget.

Command line:
    python -m tuning.search --dataset mnist --anomaly-class 1 --tuner bayesian --max-trials 20 \
        --epochs 3 --directory runs/tune
    python -m tuning.search --dataset mnist --anomaly-class 0 --sweep n_c=2,4,6,8,10,12,14 \
        --epochs 2 --train-limit 10000 --directory runs/tune   # writes results/nc_sweep_mnist.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path

from keras_adegan.cli.flags import add_config_flags, config_from_flags
from keras_adegan.config import ADeGANConfig
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main, require
from keras_adegan.provenance import library_versions, module_command
from keras_adegan.startup import import_tensorflow_quietly
from .space import ALIASES, OBJECTIVE_NAME, OBJECTIVES, SEARCH_SPACE

# Table 2 of the paper (MNIST, mean over classes): the values quoted in this project's sources.
PAPER_NC = {2: 0.801, 10: 0.907, 14: 0.880}
# The config fields a search takes from the command line (the tuned ones come from the tuner).
BUDGET_FIELDS = ("dataset", "anomaly_class", "seed", "train_limit", "stage1_epochs",
                 "stage2_epochs", "batch_size", "score")


def parse_sweep(text: str) -> tuple[str, list]:
    """'n_c=2,4,6' -> ('n_patterns', [2, 4, 6])."""
    name, _, values = text.partition("=")
    name = ALIASES.get(name.strip(), name.strip())
    if name not in SEARCH_SPACE or not values:
        raise argparse.ArgumentTypeError(f"expected e.g. n_c=2,4,6 (tunable: n_c, "
                                         f"{', '.join(SEARCH_SPACE)}); got {text!r}")
    kind = SEARCH_SPACE[name][0]
    try:
        parsed = [int(v) if kind in ("int", "choice") else float(v) for v in values.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"values of {name} must be numbers; got {values!r}") from None
    return name, parsed


def run_search(tuner, splits, verbose: int = 0) -> None:
    """Run (or resume) the search on the training images and the validation split only."""
    tuner.search(train_x=splits.train_x, val_x=splits.val_x, val_y=splits.val_y, verbose=verbose)


def trial_rows(tuner) -> list[dict]:
    """One row per trial: id, status, objective and hyperparameter values, in trial order."""
    rows = []
    for trial_id, trial in sorted(tuner.oracle.trials.items()):
        values = {k: v for k, v in trial.hyperparameters.values.items() if not k.startswith("tuner/")}
        rows.append({"trial": trial_id, "status": trial.status, "objective": trial.score, **values})
    return rows


def no_finished_trial(tuner, folder: Path, created: bool) -> str:
    """The error for a search in which no trial finished: the first trial's own error, and the
    project removed if this search created it (nothing is left half-made)."""
    messages = [t.message for t in tuner.oracle.trials.values() if getattr(t, "message", None)]
    reason = messages[0].strip().splitlines()[-1] if messages else "unknown error"
    if created:
        shutil.rmtree(folder, ignore_errors=True)
    return (f"no trial of {folder} finished ({reason})"
            + ("" if created else "; the trial folders hold each trial's error"))


def trial_model(tuner, trial_id: str) -> Path:
    return Path(tuner.get_trial_dir(trial_id)) / "model.keras"


def write_summary(rows: list[dict], folder: Path, title: str, notes: list[str]) -> None:
    keys = list(dict.fromkeys(k for row in rows for k in row))
    with open(folder / "summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)

    def cell(value):
        return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))

    lines = [f"# {title}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(cell(row.get(k)) for k in keys) + " |" for row in rows]
    (folder / "summary.md").write_text("\n".join(lines + [""] + notes) + "\n")


def test_metrics(model_path: Path, splits) -> dict:
    """The test split's metrics of one saved trial model (reported, never used to choose)."""
    from keras_adegan.factory import load_detector
    from keras_adegan.metrics import evaluate_model

    metrics, _ = evaluate_model(load_detector(model_path), splits.test_x, splits.test_y)
    return metrics


def write_sweep_table(path: Path, name: str, rows: list[dict], base: ADeGANConfig,
                      command: str, seconds: float) -> None:
    lines = [f"# {base.dataset}: sweep of {name}, anomaly class {base.anomaly_class}", "",
             "Validation AUROC (held-out anomaly-class images of the train split) and test AUROC "
             "of the combined score for each value; one trial each, nothing chosen on test.", "",
             f"| {name} | val AUROC | test AUROC (S) | test recon only | test pattern only |"
             + (" paper (Table 2, mean of 10 classes) |" if name == "n_patterns" else ""),
             "|---|---|---|---|---|" + ("---|" if name == "n_patterns" else "")]
    for row in sorted(rows, key=lambda r: r[name]):
        paper = PAPER_NC.get(row[name]) if name == "n_patterns" and base.dataset == "mnist" else None
        lines.append(f"| {row[name]} | {row['objective']:.4f} | {row['test_auroc_combined']:.4f} | "
                     f"{row['test_auroc_recon']:.4f} | {row['test_auroc_pattern']:.4f} |"
                     + ((f" {paper:.3f} |" if paper else " n/a |") if name == "n_patterns" else ""))
    lines += ["", f"- Budget: stage 1 {base.stage1_epochs} epochs, stage 2 {base.stage2_epochs} "
              f"epochs, width {base.width}, training images "
              f"{base.train_limit or 'all'} (normals), seed {base.seed}.",
              f"- Config: `{json.dumps(base.to_dict())}`", f"- Command: `{command}`",
              f"- Wall time: {seconds:.0f} s (this invocation; a resumed search counts only the "
              "trials it ran).",
              f"- Versions: `{json.dumps(library_versions())}`",
              "- The paper's column is its mean over the 10 held-out classes (per-n_c values other "
              "than 2, 10 and 14 are not quoted in this project's sources); ours is one class.", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def parse_args(argv=None) -> argparse.Namespace:
    p = ArgumentParser(prog="python -m tuning.search", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None)
    p.add_argument("--tuner", default="bayesian", choices=["random", "bayesian", "hyperband"])
    p.add_argument("--max-trials", type=int, default=10)
    p.add_argument("--objective", default="labelled", choices=OBJECTIVES,
                   help="labelled: validation AUROC; unsupervised: normals vs rotated normals")
    p.add_argument("--tune", default=",".join(SEARCH_SPACE),
                   help=f"comma-separated subset of: {', '.join(SEARCH_SPACE)}")
    p.add_argument("--sweep", type=parse_sweep, default=None,
                   help="grid over one hyperparameter, e.g. n_c=2,4,6,8,10,12,14")
    p.add_argument("--epochs", type=int, default=None, help="epochs of each stage")
    p.add_argument("--compare-preset", action="store_true",
                   help="also train the preset on the same budget and report it beside the best")
    p.add_argument("--directory", default="runs/tune")
    p.add_argument("--results-dir", default="results", help="where sweep tables go")
    add_config_flags(p.add_argument_group("the budget every trial starts from (ADeGANConfig)"),
                     fields=BUDGET_FIELDS)
    return p.parse_args(argv)


def check_project(folder: Path, budget: dict, results_dir: Path) -> None:
    """Before the first trial: a project folder searched with another budget is refused (its
    trials would be reused under the new settings' name), `budget.json` records a new one's,
    and the results folder must be writable."""
    stored = folder / "budget.json"
    budget = json.loads(json.dumps(budget, default=list))  # as it reads back from JSON
    if stored.is_file():
        before = json.loads(stored.read_text())
        changed = sorted(k for k in set(before) | set(budget) if before.get(k) != budget.get(k))
        changed += sorted(f"config.{k}" for k in budget["config"]
                          if before.get("config", {}).get(k) != budget["config"][k])
        if changed:
            raise ADeGANError(f"{folder} holds a search made with other settings "
                              f"({', '.join(c for c in changed if c != 'config')}); its trials "
                              "would be reported under these: use another --directory, or "
                              "rerun with the same flags to resume it")
    for path in (folder.parent, results_dir):  # checked, not made: a failed search leaves none
        existing = next(p for p in (path, *path.parents) if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK):
            raise ADeGANError(f"cannot write to {path} ({existing} is "
                              f"{'not writable' if existing.is_dir() else 'a file'}); choose "
                              "another folder")
    if not stored.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        stored.write_text(json.dumps(budget, indent=1) + "\n")


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.max_trials < 1:
        raise ADeGANError(f"--max-trials must be at least 1, got {args.max_trials}")
    command = module_command("tuning.search", argv)
    start = time.time()
    base = config_from_flags(args)
    dataset = base.dataset
    import_tensorflow_quietly()
    kt = require("keras_tuner", "tuning")

    from keras_adegan.data import load_dataset
    from keras_adegan.splits import check_batch_size, make_splits
    from .hypermodel import ADeGANHyperModel, make_tuner

    data = load_dataset(dataset, args.data_dir, base.image_size,
                        color_mode=base.color_mode)
    splits = make_splits(data, base.anomaly_class, base.val_fraction, base.seed, base.train_limit)
    if args.sweep:
        name, values = args.sweep
        hypermodel = ADeGANHyperModel(base, data.image_shape, tune=[name], values={name: values},
                                      objective=args.objective)
        kind, trials, project = "grid", len(values), f"{base.dataset}-class{base.anomaly_class}-sweep-{name}"
    else:
        tune = [t.strip() for t in args.tune.split(",") if t.strip()]
        hypermodel = ADeGANHyperModel(base, data.image_shape, tune=tune, objective=args.objective)
        kind, trials = args.tuner, args.max_trials
        project = f"{base.dataset}-class{base.anomaly_class}-{kind}-{args.objective}"
    check_batch_size(len(splits.train_x), base.batch_size)  # before any trial or folder
    folder = Path(args.directory) / project
    created = not folder.exists()
    check_project(folder, {"config": base.to_dict(), "tuner": kind, "trials": trials,
                           "objective": args.objective, "tune": hypermodel.tune,
                           "values": hypermodel.values},
                  Path(args.results_dir))
    tuner = make_tuner(kind, hypermodel, args.directory, project, trials, base.seed)
    try:
        run_search(tuner, splits)
    except RuntimeError as exc:  # KerasTuner gives up after consecutive failed trials
        if "failures exceeded" not in str(exc):
            raise
    rows = [r for r in trial_rows(tuner) if r["objective"] is not None]
    if not rows:
        raise ADeGANError(no_finished_trial(tuner, folder, created))
    best = max(rows, key=lambda r: r["objective"])
    (folder / "best").mkdir(exist_ok=True)
    shutil.copy(trial_model(tuner, best["trial"]), folder / "best" / "model.keras")
    report = {"best_trial": best, "objective": args.objective, "command": command,
              "test": test_metrics(folder / "best" / "model.keras", splits)}
    notes = [f"Best trial {best['trial']} by the validation objective ({args.objective}); "
             f"its test AUROC (combined) is {report['test']['auroc_combined']:.4f}.",
             f"Budget: `{json.dumps(base.to_dict())}`", f"Command: `{command}`"]
    if args.compare_preset:
        preset = kt.HyperParameters()
        preset_dir = folder / "preset"
        if not (preset_dir / "model.keras").exists():
            fixed = ADeGANHyperModel(base, data.image_shape, tune=[], objective=args.objective)
            fixed.fit(preset, fixed.build(preset), splits.train_x, splits.val_x, splits.val_y,
                      trial_dir=preset_dir)
        validation = json.loads((preset_dir / "validation.json").read_text())
        report["preset"] = {"objective": validation[OBJECTIVE_NAME],
                            "test": test_metrics(preset_dir / "model.keras", splits)}
        notes.append(f"Preset on the same budget: validation objective "
                     f"{report['preset']['objective']:.4f}, test AUROC "
                     f"{report['preset']['test']['auroc_combined']:.4f}.")
    if args.sweep:
        for row in rows:
            metrics = test_metrics(trial_model(tuner, row["trial"]), splits)
            row.update({f"test_{k}": metrics[k] for k in
                        ("auroc_combined", "auroc_recon", "auroc_pattern")})
        write_sweep_table(Path(args.results_dir) / f"{name.replace('n_patterns', 'nc')}_sweep_{base.dataset}.md",
                          name, rows, base, command, time.time() - start)
    trial_seconds = [json.loads((Path(tuner.get_trial_dir(r["trial"])) / "validation.json")
                                .read_text()).get("seconds") for r in rows]
    notes += [f"Trial training time: {sum(t for t in trial_seconds if t):.0f} s in total "
              f"({sum(t is not None for t in trial_seconds)} of {len(rows)} trials timed); "
              f"this invocation: {time.time() - start:.0f} s.",
              f"Versions: `{json.dumps(library_versions())}`"]
    write_summary(trial_rows(tuner) if not args.sweep else rows, folder,
                  f"{project}: {len(rows)} finished trials", notes)
    if not args.sweep:  # a sweep has its own table
        Path(args.results_dir).mkdir(parents=True, exist_ok=True)
        shutil.copy(folder / "summary.md", Path(args.results_dir) / f"search_{project}.md")
    (folder / "best" / "test_metrics.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    print("\n".join(notes))
    print(f"Wrote {folder}/summary.md, summary.csv and best/model.keras")
    return 0


if __name__ == "__main__":
    sys.exit(main())
