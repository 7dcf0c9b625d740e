"""Study: does E's dense layer reduced to the rank its outputs need on the normals fit issue 25's edge budget where its weights' rank did not?

`studies/edge_joint.py` shrank E's dense layer after training by the best rank-r approximation
of its weights (`extractor_rank`, a truncated SVD of W) and no fitting candidate served (MNIST's
best +0.0137 on average, CIFAR-10's +0.0206). The SVD keeps what matters for any input; the
feature score only sees training normals and images like them. This study reduces the layer to
what its outputs on the training normals need: the pre-activations y = t W + b of every
training normal, their top r principal directions U, and y replaced by mu + (y - mu) U U^T,
stored as the factors (W U, U^T) and one bias, the same size as the SVD's factors. Each cell's
model is scored on its validation split with that E at rank 16, 32, 64, 96 and 128 and each
(projection, centroids, k) of `edge_joint.SERVED` that fits beside it in 1 MiB at int8
(centroids fitted on the reduced E's features, everything else as the preset). Its cost is the
model's validation AUROC as trained (full E, every normal, the preset's k) minus the
candidate's. No model is trained and the test split is not read.

Rule, written on 2026-12-05 before any cell was scored: cells are `edge_floor`'s (MNIST seed 0
and CIFAR-10 seed 1, ten classes each). A fitting candidate could serve a dataset if its mean
cost over that dataset's cells is at most 0.005 and its worst cell's at most 0.01 (the edge
studies' rule). If one serves, the one with the smallest file (then the smallest cost) becomes
that dataset's edge default: `extractor_rank` fits on the training normals' outputs this way
(the SVD fit, which lost every study, goes), the dataset's preset scores with it and its bank,
`benchmarks.export` on the dataset's default model checks point 4's size, time, cost and flips,
and the check on the full tables (every table cell whose model is on this machine, the same
rule) runs before its table is remade. If none serves a dataset, point 4 is reported as beyond
a compact E fitted after training there.

Resumable: each cell's figures are written as they come and read back on a rerun:

    python studies/edge_fitted_rank.py --table results/edge_fitted_rank.md RUN...
"""

import time
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import roc_auc_score

from edge_centroids import centroid_head
from edge_floor import bank_kib, cell_features, cell_table
from edge_joint import candidates, decision, factors_kib
from keras_adegan import features
from keras_adegan.images import to_model_range
from keras_adegan.networks import feature_dense
from probe_cli import run_study

RANKS = (16, 32, 64, 96, 128)
PARITY = 1e-3  # the full-rank features computed here must match the model's


def name(rank: int, projection: int | None, rows: int, k: int) -> str:
    return f"fitted rank {rank} / projection {projection or 'none'} / {rows} / k {k}"


class OutputRank:
    """E's dense layer reduced to the top principal directions of its outputs on the training
    normals, then E's layers after it up to the feature score's source, in numpy."""

    def __init__(self, extractor, source: str, train_images):
        self.trunk = keras.Model(extractor.inputs, extractor.get_layer("trunk").output)
        dense = feature_dense(extractor)
        self.kernel, self.bias = dense.kernel.numpy(), dense.bias.numpy()
        self.slope = float(extractor.get_layer("features").negative_slope)
        self.head = extractor.get_layer("z_n") if source == "noise" else None
        y = self.outputs(train_images)
        self.mean = y.mean(0)
        centred = (y - self.mean).astype(np.float64)
        values, vectors = np.linalg.eigh(centred.T @ centred)
        self.directions = vectors[:, ::-1].astype(np.float32)
        self.explained = np.cumsum(values[::-1]) / values.sum()
        self.train_outputs = y

    def outputs(self, images) -> np.ndarray:
        """The dense layer's outputs (pre-activations) of model-range images."""
        return self.trunk.predict(images, batch_size=512, verbose=0) @ self.kernel + self.bias

    def features(self, y, rank: int) -> np.ndarray:
        """The feature score's source from pre-activations `y` reduced to `rank` directions
        (all of them: E as trained)."""
        u = self.directions[:, :rank]
        y = self.mean + (y - self.mean) @ u @ u.T
        h = np.where(y > 0, y, self.slope * y)
        if self.head is not None:
            h = h @ self.head.kernel.numpy() + self.head.bias.numpy()
        return h.astype(np.float32)


def score_cell(run: Path, data_dir, datasets: dict) -> dict:
    """One run's validation AUROC as trained, and under each fitting (rank, bank, k)."""
    start = time.time()
    config, train, _, labels, row, model, splits = cell_features(run, data_dir, datasets,
                                                                 more=True)
    reduced = OutputRank(model.extractor, config.feature_source, to_model_range(splits.train_x))
    full = reduced.features(reduced.train_outputs, len(reduced.mean))
    gap = float(np.abs(full - train).max() / np.abs(train).max())
    if gap > PARITY:
        raise SystemExit(f"{run}: E's features recomputed here differ by {gap:.2e} "
                         "(relative): the study's path is not the model's")
    val_outputs = reduced.outputs(to_model_range(splits.val_x))
    row["dense"] = list(reduced.kernel.shape)
    row["explained"] = {str(rank): round(float(reduced.explained[rank - 1]), 5) for rank in RANKS}
    row["candidates"], row["kib"] = {}, {}
    for rank in RANKS:
        fitting = candidates(row, rank)
        if not fitting:
            continue
        train_rank = reduced.features(reduced.train_outputs, rank)
        val_rank = reduced.features(val_outputs, rank)
        for (projection, rows), ks in fitting.items():
            head = centroid_head(train_rank, config.feature_distance, rows, config.seed,
                                 projection)
            for k in ks:
                key = name(rank, projection, rows, k)
                scores = features.head_scores(val_rank, head, k, config.feature_distance)
                row["candidates"][key] = float(roc_auc_score(labels, scores))
                row["kib"][key] = round(row["e_floor_kib"] + factors_kib(*row["dense"], rank)
                                        + bank_kib(row["dim"], projection, rows), 1)
    row["seconds"] = round(time.time() - start, 1)
    return row


def section(dataset: str, rows: list[dict]) -> list[str]:
    """A dataset's part of the results file: the verdict, the candidates, the variance each
    rank keeps and the cells."""
    table, verdict = decision(rows)
    verdict = verdict.replace("a kNN score on centroids of a compact E",
                              "a compact E fitted after training")
    kept = ", ".join(f"rank {rank} {min(r['explained'][str(rank)] for r in rows):.4f}"
                     for rank in RANKS if str(rank) in rows[0]["explained"])
    return [f"## {dataset} ({len(rows)} cells; E's dense layer "
            f"{rows[0]['dense'][0]:,} x {rows[0]['dense'][1]})", "", f"**{verdict}.**", "",
            f"Share of the training normals' pre-activation variance kept, least over the "
            f"cells: {kept}.", "",
            "| rank / projection / centroids / k | E-only file, KiB (estimate) | "
            "mean cost | worst cell | could serve |", "|---|---|---|---|---|", *table, "",
            "Validation AUROC per cell:", "", *cell_table(rows)]


if __name__ == "__main__":
    run_study(__doc__, "E's dense layer reduced on its outputs, with a bank of centroids, "
              "in 1 MiB (validation only)", score_cell, section)
