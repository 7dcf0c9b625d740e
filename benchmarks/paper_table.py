"""The protocol's tables as Markdown (`benchmarks.paper` writes one after every cell): the
per-class rows of every score and baseline, the columns of the other training options' cells
and of the previous core's, the mean and validation rows, the budget and the extra sections of
`benchmarks.paper_sections`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.paper_sections import (biased_section, core_section, mean_std,
                                      validation_curve_section)
from benchmarks.per_run import cpus_of

# Table 1 of the paper gives per-class AUROC on MNIST; only its mean is quoted in this
# project's sources, so only the mean is shown (no per-class figures are invented).
PAPER_MEAN = {"mnist": 0.907}
COMPONENTS = ("features", "combined", "recon", "pattern", "mean_prob")
PARTS = ("density", "rotation")  # a rotation-scored feature score's parts, each alone


# Training options other than the table's own (each changes how a model trains, so its cells
# are their own models): results in `<dataset>_<variant>.json`, shown as two columns of the main
# table `<dataset>.md` (its feature score and its Eq. 11 score).
VARIANTS = {
    "literal": ({"reading": "literal"}, "A (Eq. 11)",
                "the paper read literally (`--reading literal`: the losses and Eq. 11 as printed)"),
    "rotation": ({"real_task": "rotation"}, "S (Eq. 11)",
                 "beyond the paper, E also learns to tell how far real training normals were "
                 "rotated (`--real-task rotation`), and its feature score is the one chosen for "
                 "it on validation: kNN in E's trunk plus 0.5 x the rotation score, each "
                 "standardised on validation normals (`feature_study_rotation.md`), or the "
                 "dataset's own choice (MNIST: the kNN part alone, `dataset_scoring_rotation.md`; "
                 "Fashion-MNIST: Euclidean kNN-1 plus 2 x the rotation score, "
                 "`scoring_grid_rotation.md`)"),
    "clusters": ({"real_task": "clusters"}, "S (Eq. 11)",
                 "beyond the paper, E's pattern head also names each real training normal's "
                 "k-means cluster (unit-length pixels) in stage 2, so that G's and E's patterns "
                 "follow the real normals (`--real-task clusters`), and its feature score is kNN "
                 "in E's trunk (`core_study_9_mnist.md`)"),
}


# The tables made before the core study chose today's core and budget (2 + 2 epochs, D frozen
# in stage 2) are kept in this folder of the results folder, under their own names; a table
# remade at today's defaults shows their per-class figures as two `previous core` columns.
PREVIOUS = "previous_core"


def variant_of(budget: dict) -> str | None:
    """The variant whose options the budget has (None: the table's own training)."""
    for name, (options, _, _) in VARIANTS.items():
        if all(budget.get(k) == v for k, v in options.items()):
            return name
    return None


def _variant_cell(cells: list[dict], name: str) -> str:
    values = [c["test"][f"auroc_{name}"] for c in cells]
    return f"{mean_std(values)} ({len(values)})" if values else ""


def _variant_mean(variant: dict, by_class: dict, name: str) -> str:
    """The mean over classes, when the variant has every class of the table."""
    if set(by_class) - set(variant):
        return f"{len(set(variant) & set(by_class))}/{len(by_class)} classes"
    return f"**{np.mean([np.mean([c['test'][f'auroc_{name}'] for c in variant[k]]) for k in by_class]):.3f}**"


def threads_used(cells: list[dict]) -> dict[int, int]:
    """How many cells trained with each intra-op thread count that was set (cells with
    TensorFlow's default, or recorded before the setting was, are not counted)."""
    counts = Counter((cell.get("threads") or {}).get("intra_op", 0) for cell in cells)
    counts.pop(0, None)
    return dict(sorted(counts.items()))


def write_markdown(results, path: Path) -> None:
    """The per-class table of a `benchmarks.paper.Results`, the mean row, the budget and the
    learning curves."""
    data = results.data
    dataset, budget, cells = data["dataset"], data["budget"], results.cells()
    literal_reading = budget.get("reading") == "literal"
    own = variant_of(budget)
    columns = [("features", "deployed: feature score"),
               ("combined", "paper's A (Eq. 11 as printed)" if literal_reading
                else "paper's S (Eq. 11)"),
               ("recon", "recon only"), ("pattern", "pattern only"), ("mean_prob", "mean of probs"),
               ("pca", "PCA-32"), ("knn", "kNN-5")]
    if any(f"auroc_{p}" in c["test"] for c in cells for p in PARTS):
        columns[1:1] = [("density", "its kNN part alone"), ("rotation", "its rotation score alone")]
    if any("auroc_previous" in c["test"] for c in cells):
        columns[1:1] = [("previous", "deployed before (previous scoring)")]
    # the main table shows every variant's cells; every table the previous core's
    column_files = {name: path.with_name(f"{dataset}_{name}.json")
                    for name in (VARIANTS if own is None else [])}
    previous = column_files["previous core"] = path.parent / PREVIOUS / path.with_suffix(".json").name
    variants: dict[str, dict[int, list[dict]]] = {}
    for name, other in column_files.items():
        if other.is_file():
            for cell in json.loads(other.read_text())["cells"].values():
                variants.setdefault(name, {}).setdefault(cell["anomaly_class"], []).append(cell)
    eq_11 = {name: label for name, (_, label, _) in VARIANTS.items()}
    eq_11["previous core"] = "A (Eq. 11)" if literal_reading else "S (Eq. 11)"
    extra = [(name, key, f"{name}: {label}") for name in variants
             for key, label in (("features", "feature score"), ("combined", eq_11[name]))]
    lines = [f"# {dataset}{f' ({own})' if own else ''}: leave-one-class-out AUROC on the test "
             "split", ""]
    if own:
        lines += [f"Every cell here is {VARIANTS[own][2]}.", ""]
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
              + ("score A(x) = -(1/n_c) log p + (1 - log p) log q (Eq. 11 as printed) "
                 if literal_reading else "score S = -log(p_r p_c) (Eq. 11, our reading) ")
              + "and its components, from the same "
              "model; PCA-32 and kNN-5 on raw pixels are the classical floor.", "",
              *(["`its kNN part alone` and `its rotation score alone`: the deployed score's two "
                 "parts, each scored alone from the same model (an ablation: standardising or "
                 "weighting a part does not change its own AUROC).", ""]
                if "density" in dict(columns) else []),
              *(["`deployed before (previous scoring)`: the same models' deployed score under "
                 "the scoring they were first recorded with, before the preset took another "
                 "one chosen on validation (`dataset_scoring*.md`; the options are under "
                 "`previous_scoring` in the JSON).", ""]
                if "previous" in dict(columns) else []),
              *[f"`{name}: ...` columns: {VARIANTS[name][2]}; a training option, so its cells "
                f"are their own models, in `{dataset}_{name}.json`; mean over its seeds (their "
                "number in brackets)." for name in variants if name in VARIANTS],
              *([f"`previous core: ...` columns: the same classes and training option as "
                 f"recorded before the core study chose today's core and budget (2 + 2 epochs, "
                 f"D frozen in stage 2), in `{PREVIOUS}/{previous.name}`; mean over its seeds "
                 "(their number in brackets)."] if "previous core" in variants else []),
              *([""] if variants else []),
              "`seeds`: the cells (seeds) averaged in the row; a figure followed by (n) "
              "averages only the n of them that have it (a column added after some cells ran, "
              "or parts that a later scoring no longer computes).", "",
              "| class | name | seeds | " + " | ".join(t for _, t in columns)
              + "".join(f" | {t}" for _, _, t in extra)
              + f" | deployed > kNN | {'A' if literal_reading else 'S'} > kNN | train s |",
              "|---|---|---|" + "---|" * (len(columns) + len(extra)) + "---|---|---|"]
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
                     + " | ".join(mean_std(row[name])
                                  + (f" ({len(row[name])})" if 0 < len(row[name]) < len(group)
                                     else "") for name, _ in columns)
                     + "".join(f" | {_variant_cell(variants[v].get(k, []), key)}"
                               for v, key, _ in extra)
                     + f" | {'yes' if won['features'] else 'no'} | "
                     + f"{'yes' if won['combined'] else 'no'} | {seconds:.0f} |")
    if by_class:
        lines.append(f"| **mean** | {len(by_class)} classes | | " + " | ".join(
            f"**{np.mean(means[name]):.3f}**" if None not in means[name] else "n/a"
            for name, _ in columns)
            + "".join(f" | {_variant_mean(variants[v], by_class, key)}" for v, key, _ in extra)
            + f" | {wins['features']}/{len(by_class)} | {wins['combined']}/{len(by_class)} | |")
        val = {name: [np.mean([c["validation"][f"auroc_{name}"] for c in group
                               if f"auroc_{name}" in c.get("validation", {})] or [np.nan])
                      for group in by_class.values()] for name in COMPONENTS + PARTS
               + ("previous",)}
        lines.append("| validation mean | same cells | | " + " | ".join(
            f"{np.nanmean(val[name]):.3f}" if name in val and not np.all(np.isnan(val[name]))
            else "" for name, _ in columns) + " |" * len(extra) + " | | | |")
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
              f"baselines), on {cpus_of(cells)}"
              + "".join(f"; {n} of them with {k} TensorFlow thread{'s' * (k > 1)} a process"
                        for k, n in threads_used(cells).items())
              + (f"; {read_back} of them were trained before (by a study whose cells these are) "
                 "and only read back and scored here: their training time is in `train s`"
                 if (read_back := sum(bool(c.get("read_back")) for c in cells)) else "") + ".",
              f"- Versions: `{json.dumps(first.get('versions', {}))}`",
              f"- Raw numbers, per-cell wall time and per-epoch histories: `{results.path.name}`.",
              ""]
    lines += validation_curve_section(cells, "A (Eq. 11)" if literal_reading else "S (Eq. 11)")
    lines += core_section(cells)
    lines += biased_section(cells, "A" if literal_reading else "S")
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
