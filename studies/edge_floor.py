"""Study: what the kNN bank alone costs on issue 25's edge budget, whatever E is made to be.

Issue 25 point 4 asks for an E-only int8 file of at most 1 MiB at a validation cost of at most
0.005. The feature score's bank (every training normal: 48,600 on MNIST, 40,500 on CIFAR-10)
does not fit beside any E: at int8 each row costs its values plus a 12-byte scale and zero point
(int8w), or two bytes a value in float16 (int8wo). So any option that shrinks E (a narrower,
pooled, low-rank or distilled E) must also shrink the bank. This study measures the bank's part
of the cost with E's dense layer counted as free: each cell's trained model is scored on its
validation split with its features projected on their top principal directions (none, 64, 32,
16) and a seeded random bank (2,048 to 16,384 training normals, or all), everything else as
its preset; a candidate fits if its projection and bank fit in 1 MiB less E's other layers
(convolutions and heads, int8, `e_floor_kib`). Its cost is the model's validation AUROC as
trained minus the candidate's. No model is trained and the test split is not read.

Rule, written on 2026-12-05 before any cell was scored: cells are the MNIST cells trained for
this study with the README's command (seed 0, classes in order, as many as finish this
session) and the ten CIFAR-10 seed-1 cells of results/quiet_cells.md trained on this machine
with the README's command. A fitting candidate could serve a dataset if its mean cost over that
dataset's cells is at most 0.005 and its worst cell's at most 0.01 (the edge studies' rule). If
none could serve a dataset, no option that shrinks E while keeping the kNN feature score meets
point 4 on that dataset unless its features suit a small bank better than the trained E's (the
study's assumption), and no E-shrinking training study is run for it; point 4 is reported as
beyond the kNN score there. If some could serve, the smallest such bank is the one a smaller-E
training study pairs with, and that study is run next for the dataset.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_floor.py --table results/edge_floor.md RUN...
"""

import json
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from keras_adegan import features, load_dataset
from keras_adegan.config import ADeGANConfig
from keras_adegan.factory import load_detector
from keras_adegan.images import to_model_range
from keras_adegan.networks import feature_dense
from keras_adegan.splits import make_splits
from probe_cli import run_study

PROJECTIONS = (None, 64, 32, 16)
BANKS = (2048, 4096, 8192, 16384, None)  # None: every training normal
CANDIDATES = [(p, b) for p in PROJECTIONS for b in BANKS if p is not None or b is not None]
MEAN_COST, WORST_COST = 0.005, 0.01
BUDGET_KIB = 1024
CHANNEL_BYTES = 12  # an int8 row's or output channel's scale (float32) and zero point (int64)
PARITY = 1e-3  # the as-trained AUROC recomputed here must match the run's metrics.json


def e_floor_kib(extractor) -> float:
    """E's layers other than its dense layer to the features, as int8 weights with a scale,
    zero point and float32 bias per output channel: the least any E with this trunk and these
    heads takes in the file."""
    dense = feature_dense(extractor)
    total = 0
    for layer in extractor.layers:
        if layer is dense or not layer.weights:
            continue
        kernel = layer.weights[0]
        total += int(np.prod(kernel.shape)) + kernel.shape[-1] * (CHANNEL_BYTES + 4)
    return total / 1024


def bank_kib(dim: int, projection: int | None, rows: int) -> float:
    """The projection (int8, per-channel) and the bank's rows, int8 with their scales or
    float16, whichever is smaller."""
    width = projection or dim
    matrix = (dim + CHANNEL_BYTES) * projection if projection else 0
    return (matrix + rows * min(width + CHANNEL_BYTES, 2 * width)) / 1024


def name(projection: int | None, rows: int | None) -> str:
    return f"projection {projection or 'none'} / {'random ' + str(rows) if rows else 'all'}"


def validation_auroc(train, val, labels, config, rows, projection) -> float:
    head = features.fit_head(train, config.feature_distance, rows, config.seed, projection)
    scores = features.head_scores(val, head, config.feature_k, config.feature_distance)
    return float(roc_auc_score(labels, scores))


def cell_features(run: Path, data_dir, datasets: dict, more: bool = False):
    """One run's config, training-normal and validation features, validation labels and the
    start of its row: where it comes from, E's floor and its validation AUROC as trained
    (checked against its metrics.json); with `more`, also its model and splits. `datasets`
    caches the loaded datasets."""
    metrics = json.loads((run / "metrics.json").read_text())
    config = ADeGANConfig.from_dict(metrics["config"])
    assert config.rotation_score_weight == 0 and config.score == "features", run
    if config.dataset not in datasets:
        datasets[config.dataset] = load_dataset(config.dataset, data_dir)
    splits = make_splits(datasets[config.dataset], config.anomaly_class, config.val_fraction,
                         config.seed, config.train_limit)
    model = load_detector(run / "model.keras")
    train = model.extract_features(to_model_range(splits.train_x))["features"]
    val = model.extract_features(to_model_range(splits.val_x))["features"]
    labels = splits.val_y
    row = {"dataset": config.dataset, "anomaly_class": config.anomaly_class,
           "seed": config.seed, "normals": len(train), "dim": int(train.shape[1]),
           "e_floor_kib": round(e_floor_kib(model.extractor), 1),
           "recorded": metrics["validation"]["auroc_features"],
           "as_trained": validation_auroc(train, val, labels, config, len(train), None)}
    if abs(row["as_trained"] - row["recorded"]) > PARITY:
        raise SystemExit(f"{run}: as trained {row['as_trained']:.4f} here, "
                         f"{row['recorded']:.4f} in metrics.json: the scoring path differs")
    return (config, train, val, labels, row) + ((model, splits) if more else ())


def score_cell(run: Path, data_dir, datasets: dict) -> dict:
    """One run's validation AUROC as trained and under every candidate that is smaller."""
    start = time.time()
    config, train, val, labels, row = cell_features(run, data_dir, datasets)
    row["candidates"] = {}
    for projection, rows in CANDIDATES:
        if (projection or 0) < row["dim"] and (rows or 0) < len(train):
            row["candidates"][name(projection, rows)] = validation_auroc(
                train, val, labels, config, rows or len(train), projection)
    row["seconds"] = round(time.time() - start, 1)
    return row


def cell_table(rows: list[dict], key: str = "candidates") -> list[str]:
    """A dataset's table of cells: each one's validation AUROC as trained (and as its
    metrics.json recorded), under each candidate of `key` that every cell has, and its
    seconds."""
    names = [n for n in rows[0][key] if all(n in r[key] for r in rows)]
    return ["| held out | seed | as trained (metrics.json) | " + " | ".join(names) + " | s |",
            "|---|---|---|" + "---|" * (len(names) + 1),
            *[f"| {r['anomaly_class']} | {r['seed']} | {r['as_trained']:.3f} "
              f"({r['recorded']:.3f}) | " + " | ".join(f"{r[key][n]:.3f}" for n in names)
              + f" | {r['seconds']:.0f} |" for r in rows]]


def cost(rows: list[dict], candidate: str, key: str = "candidates") -> tuple[float, float, bool]:
    """A candidate's mean and worst cost over a dataset's cells (validation AUROC as trained
    minus the candidate's, from `key`), and whether they pass the edge studies' rule."""
    costs = [r["as_trained"] - r[key][candidate] for r in rows]
    mean, worst = float(np.mean(costs)), max(costs)
    return mean, worst, mean <= MEAN_COST and worst <= WORST_COST


def decision(rows: list[dict], floor: float) -> tuple[list[str], str]:
    """A dataset's candidates' table lines (fitting ones first) and the rule's verdict, with
    `floor` KiB of E's other layers beside the bank."""
    dim = rows[0]["dim"]
    normals = min(r["normals"] for r in rows)
    serving, lines = [], []
    for projection, bank in CANDIDATES:
        candidate = name(projection, bank)
        if candidate not in rows[0]["candidates"]:
            continue
        kib = bank_kib(dim, projection, bank or normals)
        mean, worst, passes = cost(rows, candidate)
        fits = kib <= BUDGET_KIB - floor
        serves = fits and passes
        if serves:
            serving.append((kib, candidate))
        lines.append((not fits, kib, f"| {candidate} | {kib:,.0f} | {'yes' if fits else 'no'} | "
                      f"{mean:+.4f} | {worst:+.4f} | "
                      f"{'yes' if serves else 'no'} |"))
    lines = [line for *_, line in sorted(lines)]
    verdict = (f"{min(serving)[1]} could serve: a smaller-E training study pairs with it"
               if serving else "no fitting candidate could serve: point 4 is beyond the kNN "
               "score here, and no E-shrinking training study is run")
    return lines, verdict


def section(dataset: str, rows: list[dict]) -> list[str]:
    """A dataset's part of the results file: the verdict, the candidates and the cells."""
    floor = max(r["e_floor_kib"] for r in rows)
    table, verdict = decision(rows, floor)
    return [f"## {dataset} ({len(rows)} cells; features of {rows[0]['dim']} values)", "",
            f"**{verdict}.** E's layers other than its dense layer: {floor:.0f} KiB, so "
            f"the bank may take {BUDGET_KIB - floor:.0f} KiB.", "",
            "| candidate | bank, KiB | fits | mean cost | worst cell | could serve |",
            "|---|---|---|---|---|---|", *table, "", *cell_table(rows)]


if __name__ == "__main__":
    run_study(__doc__, "The kNN bank's cost on the edge budget, E counted as free "
              "(validation only)", score_cell, section)
