"""The extra sections of the protocol's tables (`benchmarks.paper`): the learning curves on
validation, the generative core's figures per class, and the biased diagnostic.

Each section function takes a table's cells and returns its markdown lines (none when no cell
has the figures).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from keras_adegan.config import ADeGANConfig
from keras_adegan.factory import load_detector
from keras_adegan.metrics import ValidationAUROC
from keras_adegan.splits import make_splits


def mean_std(values) -> str:
    """`mean ± std` (3 decimals, std over seeds with ddof 1), the mean alone for one value,
    "n/a" for none."""
    if not len(values):
        return "n/a"
    values = np.asarray(values, float)
    if len(values) > 1:
        return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"
    return f"{values.mean():.3f}"


DIAGNOSTIC_MODES = (("last", "last epoch"), ("best", "best epoch on test"),
                    ("last_bs", "last epoch, BN batch statistics"),
                    ("best_bs", "best epoch on test, BN batch statistics"))


def diagnose_saved(config: ADeGANConfig, data, run_dir: Path) -> dict:
    """The biased diagnostic of an already trained cell, from its saved (last-epoch) model:
    test AUROC of S and of reconstruction with G's BatchNorm in eval mode and with each batch
    of 64 test images normalised by its own statistics (Eq. 9's statistics fitted on the
    validation normals in the same mode). The best-epoch figures need `--biased-diagnostic`
    during training."""
    model = load_detector(run_dir / "model.keras")
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    curve = ValidationAUROC({"val": (splits.val_x, splits.val_y),
                             "test": (splits.test_x, splits.test_y)}, batch_statistics=True)
    curve.set_model(model)
    model.stage = 2
    row = {}
    curve.on_epoch_end(0, row)
    return {k: v for k, v in row.items() if k.startswith("test_")}


def _diagnostic_figures(cell: dict, name: str) -> dict:
    """last / best / last_bs / best_bs test AUROC of component `name` for one cell."""
    curve = [h[f"test_auroc_{name}"] for h in cell["history"] if f"test_bs_auroc_{name}" in h]
    bs_curve = [h[f"test_bs_auroc_{name}"] for h in cell["history"]
                if f"test_bs_auroc_{name}" in h]
    if curve:
        return {"last": curve[-1], "best": max(curve), "last_bs": bs_curve[-1],
                "best_bs": max(bs_curve)}
    saved = cell.get("biased", {})
    return {"last": saved.get(f"test_auroc_{name}"), "last_bs": saved.get(f"test_bs_auroc_{name}")}


def biased_section(cells: list[dict], score: str) -> list[str]:
    """The biased-protocol diagnostic: what GANomaly's evaluation conventions (the epoch chosen
    on the test AUROC; BatchNorm normalising each test batch by its own statistics) make of the
    same models. Cells trained with `--biased-diagnostic` have every column; cells diagnosed
    after training (`diagnose_saved`) have the last-epoch ones."""
    diagnosed = [c for c in cells if "biased" in c
                 or any("test_bs_auroc_combined" in h for h in c["history"])]
    if not diagnosed:
        return []
    components = [("combined", score), ("recon", "recon only")]
    header = [(name, mode, f"{what}: {label}") for name, what in components
              for mode, label in DIAGNOSTIC_MODES]
    lines = ["## Biased diagnostic: GANomaly's evaluation conventions (never used for any choice)",
             "", "**These figures are biased on purpose and chose nothing.** They measure how much "
             "two conventions of GANomaly's public evaluation code, which the paper says it "
             "follows, add to the same models: reporting the stage-2 epoch with the best *test* "
             "AUROC, and scoring with the generator's BatchNorm in training mode, so that each "
             "batch of 64 test images (in the split's order) is normalised by its own "
             "statistics. `last epoch` is the honest figure of the table above; `n/a`: the cell "
             "was diagnosed after training, from its last-epoch model only.", "",
             "| class | seeds | " + " | ".join(t for _, _, t in header) + " |",
             "|---|---|" + "---|" * len(header)]
    by_class: dict[int, list[dict]] = {}
    for cell in diagnosed:
        by_class.setdefault(cell["anomaly_class"], []).append(cell)
    columns: dict[str, list] = {t: [] for _, _, t in header}
    for k, group in sorted(by_class.items()):
        values = []
        for name, mode, title in header:
            per_seed = [_diagnostic_figures(c, name).get(mode) for c in group]
            known = [v for v in per_seed if v is not None]
            columns[title].append(float(np.mean(known)) if len(known) == len(per_seed) else None)
            values.append(mean_std(known) if len(known) == len(per_seed) else "n/a")
        lines.append(f"| {k} | {len(group)} | " + " | ".join(values) + " |")
    lines.append(f"| **mean** | {len(by_class)} classes | " + " | ".join(
        f"**{np.mean(v):.3f}**" if None not in v else "n/a" for v in columns.values()) + " |")
    return lines + [""]


def validation_curve_section(cells: list[dict], score: str) -> list[str]:
    """The validation AUROC after every stage-2 epoch, averaged over the cells that logged it:
    the paper's score, its components and, for rotation-task cells trained since it was
    logged, the rotation score (the feature score's kNN part needs the bank, filled after
    training, so it has no curve)."""
    names = [("combined", score), ("recon", "recon only"), ("pattern", "pattern only"),
             ("rotation", "rotation score")]
    rows: dict[int, dict[str, list[float]]] = {}
    for cell in cells:
        for h in cell["history"]:
            for name, _ in names:
                if f"val_auroc_{name}" in h:
                    rows.setdefault(h["epoch"], {}).setdefault(name, []).append(
                        h[f"val_auroc_{name}"])
    shown = [(n, t) for n, t in names if any(n in r for r in rows.values())]
    if not rows:
        return []
    lines = ["## Learning curves on validation", "",
             "Validation AUROC after every stage-2 epoch, mean over the cells (count in "
             "brackets); the validation split only.", "",
             "| epoch | " + " | ".join(t for _, t in shown) + " |",
             "|---|" + "---|" * len(shown)]
    for epoch, row in sorted(rows.items()):
        lines.append(f"| {epoch} | " + " | ".join(
            f"{np.mean(row[n]):.3f} ({len(row[n])})" if n in row else "" for n, _ in shown) + " |")
    return lines + [""]


CORE_COLUMNS = (("cluster_acc", "E's clustering ACC"), ("cluster_nmi", "NMI"),
                ("classes_covered", "classes G covers"), ("diversity_ratio", "diversity"),
                ("frechet", "Frechet distance"), ("frechet_floor", "real images' distance"))


def core_section(cells: list[dict]) -> list[str]:
    """The generative core's figures (`keras_adegan.diagnostics`, validation normals) of each
    class, mean over its cells that recorded them."""
    cored = [c for c in cells if c.get("core")]
    if not cored:
        return []
    lines = ["## The generative core (validation normals)", "",
             "E's clustering of the real normals against their classes, how many normal classes "
             "G's patterns cover, the within-pattern diversity against real within-class "
             "diversity, and the Frechet distance of G's samples to the validation normals "
             "beside that of as many real training normals (`keras_adegan.diagnostics`). Mean "
             "over the class's cells that recorded them.", "",
             "| class | cells | " + " | ".join(t for _, t in CORE_COLUMNS) + " |",
             "|---|---|" + "---|" * len(CORE_COLUMNS)]
    by_class: dict[int, list[dict]] = {}
    for cell in cored:
        by_class.setdefault(cell["anomaly_class"], []).append(cell)
    for k, group in sorted(by_class.items()):
        values = [[c["core"][key] for c in group if key in c["core"]] for key, _ in CORE_COLUMNS]
        lines.append(f"| {k} | {len(group)} | " + " | ".join(
            f"{np.mean(v):.2f}" if v else "n/a" for v in values) + " |")
    return lines + [""]
