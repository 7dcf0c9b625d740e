"""Study: does a whole E-only file, E's dense layer at a lower rank and a bank of centroids, fit issue 25's edge budget?

`studies/edge_centroid_k.py` scored banks of k-means centroids with E's dense layer counted as
free. A real E-only file carries that layer too (MNIST: 3,136 x 256, 784 KiB at int8;
CIFAR-10: 8,192 x 512, 4 MiB), and the product's way to shrink it after training is
`extractor_rank` (its best rank-r factors, `networks.LowRankFactors`). This study scores each
cell's model with E's dense layer at rank 16, 32 and 64 (the features from the compact E, as the
product computes them) and each (projection, centroids, k) that could serve in
`edge_centroid_k` with E free (`SERVED`; centroids fitted on the compact E's features), wherever
E's other layers, the factors and the bank fit in 1 MiB at int8.
Its cost is the model's validation AUROC as trained (full E, every normal, the preset's k)
minus the candidate's. No model is trained and the test split is not read.

Rule, written on 2026-12-05 before any cell was scored: cells are `edge_floor`'s (MNIST seed 0
and CIFAR-10 seed 1, ten classes each). A candidate (rank, projection, centroids, k) that fits
could serve a dataset if its mean cost over that dataset's cells is at most 0.005 and its worst
cell's at most 0.01 (the edge studies' rule). The one that serves with the smallest file
(then the smallest cost) becomes that dataset's edge default: its preset scores with it, the
product gaining a k-means bank, and `benchmarks.export` on the dataset's default model checks
point 4's size, time, cost and flips. If none could serve a dataset, point 4 is reported as
beyond a kNN score on centroids of a compact E there.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_joint.py --table results/edge_joint.md RUN...
"""

import time
from pathlib import Path

from sklearn.metrics import roc_auc_score

from edge_centroids import centroid_head
from edge_floor import BUDGET_KIB, CHANNEL_BYTES, bank_kib, cell_features, cell_table, cost
from keras_adegan import features
from keras_adegan.images import to_model_range
from keras_adegan.networks import feature_dense
from probe_cli import run_study

RANKS = (16, 32, 64)
# (projection, centroids, k) that could serve in results/edge_centroid_k.md with E free
SERVED = {"mnist": [(32, 12288, 1), (64, 8192, 1), (64, 8192, 2), (32, 16384, 1),
                    (32, 20480, 1), (64, 12288, 1), (64, 12288, 2)],
          "cifar10": [(None, 16384, 1), (None, 16384, 2), (None, 16384, 3)]}


def factors_kib(inputs: int, units: int, rank: int) -> float:
    """E's dense layer as rank-r factors, int8 weights with a scale, zero point and float32
    bias per output channel."""
    return (rank * (inputs + units) + (rank + units) * (CHANNEL_BYTES + 4)) / 1024


def name(rank: int, projection: int | None, rows: int, k: int) -> str:
    return f"rank {rank} / projection {projection or 'none'} / {rows} / k {k}"


def candidates(row: dict, rank: int, served=SERVED, budget_kib: float = BUDGET_KIB) -> dict:
    """{(projection, rows): ks} of the dataset's `served` banks that fit beside E's other
    layers and its dense layer at `rank` in `budget_kib`."""
    room = budget_kib - row["e_floor_kib"] - factors_kib(*row["dense"], rank)
    fitting = {}
    for projection, rows, k in served[row["dataset"]]:
        if bank_kib(row["dim"], projection, rows) <= room:
            fitting.setdefault((projection, rows), []).append(k)
    return fitting


def score_cell(run: Path, data_dir, datasets: dict, ranks=RANKS, served=SERVED,
               budget_kib: float = BUDGET_KIB) -> dict:
    """One run's validation AUROC as trained, and under each (rank, bank, k) of `ranks` and
    `served` that fits `budget_kib`."""
    start = time.time()
    config, _, _, labels, row, model, splits = cell_features(run, data_dir, datasets, more=True)
    row["dense"] = list(feature_dense(model.extractor).kernel.shape)
    row["candidates"], row["kib"] = {}, {}
    for rank in ranks:
        fitting = candidates(row, rank, served, budget_kib)
        if not fitting:
            continue
        compact = model.with_scoring(extractor_rank=rank)
        compact.fit_feature_score(to_model_range(splits.train_x))  # fits the factors
        train = compact.extract_features(to_model_range(splits.train_x))["features"]
        val = compact.extract_features(to_model_range(splits.val_x))["features"]
        for (projection, rows), ks in fitting.items():
            head = centroid_head(train, config.feature_distance, rows, config.seed, projection)
            kib = bank_kib(row["dim"], projection, rows)
            for k in ks:
                key = name(rank, projection, rows, k)
                scores = features.head_scores(val, head, k, config.feature_distance)
                row["candidates"][key] = float(roc_auc_score(labels, scores))
                row["kib"][key] = round(row["e_floor_kib"] + factors_kib(*row["dense"], rank)
                                        + kib, 1)
    row["seconds"] = round(time.time() - start, 1)
    return row


def decision(rows: list[dict]) -> tuple[list[str], str]:
    """A dataset's candidates' table lines (smallest file first) and the rule's verdict."""
    serving, lines = [], []
    for key, kib in rows[0]["kib"].items():
        if any(key not in r["candidates"] for r in rows):
            continue
        mean, worst, serves = cost(rows, key)
        if serves:
            serving.append((kib, mean, key))
        lines.append((kib, key, f"| {key} | {kib:,.0f} | {mean:+.4f} | {worst:+.4f} | "
                      f"{'yes' if serves else 'no'} |"))
    lines = [line for *_, line in sorted(lines)]
    verdict = (f"{min(serving)[2]} could serve with the smallest file: it becomes the "
               "dataset's edge default, checked by benchmarks.export" if serving else
               "no fitting candidate could serve: point 4 is beyond a kNN score on centroids "
               "of a compact E here")
    return lines, verdict


def section(dataset: str, rows: list[dict]) -> list[str]:
    """A dataset's part of the results file: the verdict, the candidates and the cells."""
    table, verdict = decision(rows)
    return [f"## {dataset} ({len(rows)} cells; E's dense layer "
            f"{rows[0]['dense'][0]:,} x {rows[0]['dense'][1]})", "", f"**{verdict}.**", "",
            "| rank / projection / centroids / k | E-only file, KiB (estimate) | "
            "mean cost | worst cell | could serve |", "|---|---|---|---|---|", *table, "",
            "Validation AUROC per cell:", "", *cell_table(rows)]


if __name__ == "__main__":
    run_study(__doc__, "A compact E and a bank of centroids in 1 MiB (validation "
              "only)", score_cell, section)
