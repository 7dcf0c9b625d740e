"""Study: does a bank of k-means centroids of the normals fit issue 25's edge budget where a random bank did not?

`studies/edge_floor.py` found that no random bank of training normals that fits 1 MiB beside E
serves MNIST or CIFAR-10 (cheapest fitting: MNIST +0.0165, CIFAR-10 +0.0102 of validation
AUROC against 0.005 allowed), while every row projected costs little (MNIST 64 directions
+0.0009). This study fills the same bank sizes with k-means centroids of the (projected, unit)
features instead: Lloyd's iterations started from the same seeded random bank (at most 30,
scikit-learn's tolerance), the score unchanged (cosine kNN, the preset's k, on the centroids).
Candidates are projections (none, 64, 32) by 4,096 to 20,480 centroids, scored only
where they fit the room `edge_floor` measured (1 MiB less E's layers other than its dense
layer, int8); each is scored beside the random bank of its size and projection, for reference.
Its cost is the model's validation AUROC as trained minus the candidate's. No model is trained
and the test split is not read.

Rule, written on 2026-12-05 before any cell was scored: cells are the run folders that
`edge_floor` scored (MNIST seed 0 and CIFAR-10 seed 1, ten classes each). A fitting centroid
bank could serve a dataset if its mean cost over that dataset's cells is at most 0.005 and its
worst cell's at most 0.01 (edge_floor's rule); the random banks only give the reference and
decide nothing. If some could serve, the smallest such bank becomes an option of the product
(a k-means bank), checked by `benchmarks.export` on that dataset's default model for the size,
time, cost and flips of point 4; if none could, point 4 is reported as beyond a kNN bank of
centroids too, on that dataset.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_centroids.py --table results/edge_centroids.md RUN...
"""

import time
from pathlib import Path

from sklearn.metrics import roc_auc_score

from edge_floor import BUDGET_KIB, bank_kib, cell_features, cell_table, cost, validation_auroc
from keras_adegan import features
from probe_cli import run_study

PROJECTIONS = (None, 64, 32)
SIZES = (4096, 8192, 12288, 16384, 20480)


def name(projection: int | None, rows: int) -> str:
    return f"projection {projection or 'none'} / {rows}"


def fitting_banks(row: dict):
    """The (projection, rows) of each candidate that is smaller than the cell's features and
    normals and fits the room beside E's other layers (1 MiB less `row["e_floor_kib"]`)."""
    room = BUDGET_KIB - row["e_floor_kib"]
    return [(projection, rows) for projection in PROJECTIONS for rows in SIZES
            if (projection or 0) < row["dim"] and rows < row["normals"]
            and bank_kib(row["dim"], projection, rows) <= room]


def centroid_head(train, distance: str, rows: int, seed: int, projection: int | None) -> dict:
    """A head whose bank is `rows` k-means centroids of the (projected) training features,
    started from the seeded random bank a random fill would draw; for `cosine`, of the unit
    rows (the product's `bank_fill="kmeans"` since `5f7d671`; before it, this study's own)."""
    return features.fit_head(train, distance, rows, seed, projection, fill="kmeans")


def score_cell(run: Path, data_dir, datasets: dict) -> dict:
    """One run's validation AUROC as trained, and under each fitting centroid bank and the
    random bank of its size."""
    start = time.time()
    config, train, val, labels, row = cell_features(run, data_dir, datasets)
    row.update(centroids={}, random={})
    for projection, rows in fitting_banks(row):
        head = centroid_head(train, config.feature_distance, rows, config.seed, projection)
        scores = features.head_scores(val, head, config.feature_k, config.feature_distance)
        row["centroids"][name(projection, rows)] = float(roc_auc_score(labels, scores))
        row["random"][name(projection, rows)] = validation_auroc(
            train, val, labels, config, rows, projection)
    row["seconds"] = round(time.time() - start, 1)
    return row


def decision(rows: list[dict]) -> tuple[list[str], str]:
    """A dataset's candidates' table lines and the rule's verdict."""
    serving, lines = [], []
    for projection in PROJECTIONS:
        for size in SIZES:
            candidate = name(projection, size)
            if any(candidate not in r["centroids"] for r in rows):
                continue
            kib = bank_kib(rows[0]["dim"], projection, size)
            mean, worst, serves = cost(rows, candidate, "centroids")
            random_mean, random_worst, _ = cost(rows, candidate, "random")
            if serves:
                serving.append((kib, candidate))
            lines.append((kib, f"| {candidate} | {kib:,.0f} | {mean:+.4f} | {worst:+.4f} | "
                          f"{random_mean:+.4f} | {random_worst:+.4f} | "
                          f"{'yes' if serves else 'no'} |"))
    lines = [line for _, line in sorted(lines)]
    verdict = (f"{min(serving)[1]} centroids could serve: the product gains a k-means bank, "
               "checked by benchmarks.export" if serving else
               "no fitting centroid bank could serve: point 4 is beyond a kNN bank of "
               "centroids here too")
    return lines, verdict


def section(dataset: str, rows: list[dict]) -> list[str]:
    """A dataset's part of the results file: the verdict, the candidates and the cells."""
    table, verdict = decision(rows)
    floor = max(r["e_floor_kib"] for r in rows)
    return [f"## {dataset} ({len(rows)} cells; features of {rows[0]['dim']} values)", "",
            f"**{verdict}.** E's layers other than its dense layer: {floor:.0f} KiB, so "
            f"the bank may take {BUDGET_KIB - floor:.0f} KiB.", "",
            "| centroids | bank, KiB | mean cost | worst cell | random bank: mean | "
            "worst | could serve |", "|---|---|---|---|---|---|---|", *table, "",
            "Centroid banks, validation AUROC per cell:", "", *cell_table(rows, "centroids")]


if __name__ == "__main__":
    run_study(__doc__, "A bank of k-means centroids on the edge budget, E counted "
              "as free (validation only)", score_cell, section)
