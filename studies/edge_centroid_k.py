"""Study: do fewer neighbours suit a bank of k-means centroids on issue 25's edge budget?

`studies/edge_centroids.py` scored centroid banks with the preset's kNN-5, and none that fits
1 MiB beside E served (MNIST's cheapest fitting +0.0085 mean, +0.0217 worst; CIFAR-10's
+0.0045, +0.0114 against 0.005 and 0.01). But a centroid stands for several normals (16,384
centroids of 40,500 CIFAR-10 normals: about 2.5 each), so five nearest centroids reach over
more normals than the five nearest normals the full bank's score averages. This study scores
the same centroid banks (same fit: `edge_centroids.centroid_head`) with k = 1, 2 and 3,
everything else unchanged. No model is trained and the test split is not read.

Rule, written on 2026-12-05 before any cell was scored: cells, sizes, room and the serving
test are `edge_centroids`' (mean cost over a dataset's cells at most 0.005, worst cell's at
most 0.01); its k = 5 figures stay as they were and are not scored again. If some fitting
(bank, k) could serve a dataset, the smallest bank (then the largest k) becomes an option of
the product (a k-means bank with that k), checked by `benchmarks.export` on that dataset's
default model for point 4's size, time, cost and flips; if none could, point 4 is reported as
beyond a kNN bank of centroids on that dataset, and no further k is tried.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_centroid_k.py --table results/edge_centroid_k.md RUN...
"""

import time
from pathlib import Path

from sklearn.metrics import roc_auc_score

from edge_centroids import PROJECTIONS, SIZES, centroid_head, fitting_banks, name
from edge_floor import bank_kib, cell_features, cell_table, cost
from keras_adegan import features
from probe_cli import run_study

KS = (1, 2, 3)


def score_cell(run: Path, data_dir, datasets: dict) -> dict:
    """One run's validation AUROC as trained, and under each fitting centroid bank with each
    k of `KS`."""
    start = time.time()
    config, train, val, labels, row = cell_features(run, data_dir, datasets)
    row["candidates"] = {}
    for projection, rows in fitting_banks(row):
        head = centroid_head(train, config.feature_distance, rows, config.seed, projection)
        for k in KS:
            scores = features.head_scores(val, head, k, config.feature_distance)
            row["candidates"][f"{name(projection, rows)} / k {k}"] = float(
                roc_auc_score(labels, scores))
    row["seconds"] = round(time.time() - start, 1)
    return row


def decision(rows: list[dict]) -> tuple[list[str], str]:
    """A dataset's (bank, k) table lines and the rule's verdict."""
    serving, lines = [], []
    for projection in PROJECTIONS:
        for size in SIZES:
            for k in KS:
                candidate = f"{name(projection, size)} / k {k}"
                if any(candidate not in r["candidates"] for r in rows):
                    continue
                kib = bank_kib(rows[0]["dim"], projection, size)
                mean, worst, serves = cost(rows, candidate)
                if serves:
                    serving.append((kib, -k, candidate))
                lines.append((kib, k, f"| {candidate} | {kib:,.0f} | {mean:+.4f} | "
                              f"{worst:+.4f} | {'yes' if serves else 'no'} |"))
    lines = [line for *_, line in sorted(lines)]
    verdict = (f"{min(serving)[2]} could serve: the product gains a k-means bank, checked by "
               "benchmarks.export" if serving else "no fitting centroid bank could serve with "
               "k = 1, 2 or 3: point 4 is beyond a kNN bank of centroids here")
    return lines, verdict


def section(dataset: str, rows: list[dict]) -> list[str]:
    """A dataset's part of the results file: the verdict, the candidates and the cells."""
    table, verdict = decision(rows)
    return [f"## {dataset} ({len(rows)} cells; features of {rows[0]['dim']} values)", "",
            f"**{verdict}.**", "",
            "| centroids / k | bank, KiB | mean cost | worst cell | could serve |",
            "|---|---|---|---|---|", *table, "", "Validation AUROC per cell:", "",
            *cell_table(rows)]


if __name__ == "__main__":
    run_study(__doc__, "Fewer neighbours on a bank of k-means centroids (validation "
              "only)", score_cell, section)
