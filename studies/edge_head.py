"""How small can a trained model's E-only file be? The validation cost of compacting it (issue 25).

For every finished run given, the trained model is compacted after training in three ways and
every combination is scored on the run's validation split (the test split is not read):

* **rank**: E's dense layer (trunk -> features) replaced by its best rank-r approximation
  (truncated SVD; in a file, two dense layers of r(in + out) weights instead of in x out);
* **projection**: the feature vectors projected on their top-d right singular vectors over the
  training normals (a (dim, d) matmul before the bank);
* **bank**: every training normal, a seeded random subset, or a greedy k-center coreset
  (PatchCore's subsampling: each next row is the normal farthest from the rows kept so far, in
  the space the distance is measured in).

A candidate's cost in a run is the validation AUROC of the feature score as trained minus the
candidate's; its size is the E-only int8 file's, estimated from the counts of weights and bank
values (`estimated_bytes`). `RULE`, committed before any cell was measured, chooses each
preset's default from the costs; `benchmarks.export` measures the chosen files.

Resumable: each run's figures are written as soon as they are measured and read back.

Command line:
    python -m benchmarks.edge_head runs/paper/mnist/class*-seed0 \
        runs/paper/fashion_mnist_rotation/class*-seed0 runs/paper/cifar10/class*-seed0
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from benchmarks.per_run import measure_each, provenance_lines, run_parser
from keras_adegan import features
from keras_adegan.errors import cli_main
from keras_adegan.networks import feature_dense, low_rank_factors
from keras_adegan.outputs import write_atomically
from keras_adegan.provenance import add_threads_flag, set_threads

RANKS = (None, 64, 32, 16)  # None: E's dense layer as trained
PROJECTIONS = (None, 32, 16)  # None: the features as they are; d >= dim is skipped
BANKS = ("all", "random-8192", "random-4096",
         "coreset-16384", "coreset-8192", "coreset-4096", "coreset-2048")
LARGEST_CORESET = max(int(b.split("-")[1]) for b in BANKS if b.startswith("coreset"))
MEAN_COST, WORST_COST = 0.005, 0.01
BUDGET = 1024 * 1024  # issue 25: the E-only int8 file
CHANNEL_BYTES = 12  # a per-channel int8 weight's scale (float32) and zero point (int64)
RULE = (
    "Written on 2026-12-02, before any cell was measured. Cells: the finished cells of the "
    "remade tables at seed 0 (the presets' default models: MNIST and CIFAR-10 with the "
    "paper's training, Fashion-MNIST with the rotation task), validation split only. A "
    "candidate is a rank of E's dense layer, a projection of the features and a bank (the "
    "grid of RANKS, PROJECTIONS and BANKS). Its cost in a cell is the validation AUROC of the "
    "feature score as trained minus the candidate's; its size is the estimated E-only int8 "
    "file. A candidate qualifies for a dataset when its mean cost over the dataset's cells "
    f"is at most {MEAN_COST} and its worst cell's cost at most {WORST_COST}. Each dataset's "
    "default becomes its smallest qualifying candidate (the model as trained qualifies at "
    "cost 0); the folder preset's becomes the smallest candidate that qualifies for every "
    "dataset. Whether the chosen files meet 1 MiB and 0.2 ms is measured by "
    "benchmarks.export, not here."
)


# --------------------------------------------------------------------------- compaction (numpy)


def low_rank(kernel: np.ndarray, rank: int | None) -> np.ndarray:
    """The best rank-`rank` approximation of a dense kernel, as `LowRankFactors` computes it;
    None: as it is."""
    if rank is None or rank >= min(kernel.shape):
        return kernel
    left, right = low_rank_factors(kernel, rank)
    return left @ right


def bank_rows(bank: str, space: np.ndarray, seed: int, order=None) -> np.ndarray:
    """Sorted indices of the training normals a `BANKS` entry keeps, from their features in
    `space` (where the distance is Euclidean), as `features.select_bank` chooses them;
    `order`, a longer greedy coreset order of the same features and seed, saves computing it
    again."""
    if bank == "all":
        return np.arange(len(space))
    kind, size = bank.split("-")
    if kind == "coreset" and order is not None and len(order) >= min(int(size), len(space)):
        return np.sort(order[:int(size)])
    return features.select_bank(space, int(size), seed, kind)


def estimated_bytes(extractor_layers: list[tuple[int, int]], dense_index: int, rank, dim: int,
                    projection, rows: int, distance: str) -> int:
    """The E-only int8 file's size, estimated: one byte per weight, `CHANNEL_BYTES` per output
    channel, four per bias; the dense layer at `dense_index` of `extractor_layers` ((weights,
    output channels) of each layer of E and its heads) as two layers when of lower rank; the
    projection; the bank's values, `CHANNEL_BYTES` per row (each row is a channel) and, for
    Euclidean distances, a float32 norm per row. The flatbuffer's own bytes are left out."""
    total = 0
    for i, (weights, channels) in enumerate(extractor_layers):
        if i == dense_index and rank is not None and rank < channels:
            inputs = weights // channels
            weights, channels = rank * (inputs + channels), rank + channels
        total += weights + (CHANNEL_BYTES + 4) * channels
    width = dim
    if projection is not None:
        total += dim * projection + CHANNEL_BYTES * projection
        width = projection
    return total + rows * (width + CHANNEL_BYTES + 4 * (distance == "euclidean"))


def name(rank, projection, bank) -> str:
    return f"rank {rank or 'full'} / projection {projection or 'none'} / {bank}"


# --------------------------------------------------------------------------- one run


def _layer_shapes(model) -> tuple[list[tuple[int, int]], int, object]:
    """(weights, output channels) of each weighted layer of E (and its rotation head), the
    index of the dense layer that feeds the features, and that layer."""
    layers = [layer for layer in model.extractor.layers if layer.weights]
    if model.rotation_head is not None:
        layers.append(model.rotation_head.logits)
    dense = feature_dense(model.extractor)
    shapes = [(int(np.prod(layer.kernel.shape)), int(layer.kernel.shape[-1])) for layer in layers]
    return shapes, layers.index(dense), dense


def _auroc(labels, scores) -> float:
    return float(roc_auc_score(labels, scores))


def measure(run: Path, data_dir=None) -> dict:
    """Validation AUROC and estimated size of every candidate for `run`'s model."""
    from keras_adegan.factory import load_detector
    from keras_adegan.images import to_model_range
    from keras_adegan.scoring import fit_normal_stats, score_components
    from keras_adegan.splits import run_splits

    start = time.time()
    model = load_detector(run / "model.keras")
    head = model.head
    plain = model.with_scoring(rotation_score_weight=0.0)  # no rotation score for the normals
    splits = run_splits(model.run_config, data_dir)
    train, val = to_model_range(splits.train_x), to_model_range(splits.val_x)
    normal = splits.val_y == 0
    shapes, dense_index, dense = _layer_shapes(model)
    plain_dense = _layer_shapes(plain)[2]
    trained_kernel = dense.kernel.numpy()
    distance, k, weight = head.feature_distance, head.feature_k, head.rotation_score_weight
    results, paper = {}, {}
    for rank in RANKS:
        kernel = low_rank(trained_kernel, rank)
        dense.kernel.assign(kernel)
        plain_dense.kernel.assign(kernel)
        train_features = plain.extract_features(train)["features"]
        val_out = model.extract_features(val)
        raw = model.raw_outputs(val)  # the paper's S with this E, for the record
        mean, std = fit_normal_stats(raw["recon_error"][normal])
        paper[str(rank or "full")] = _auroc(splits.val_y, score_components(
            raw["recon_error"], raw["pattern_prob"], mean, std, head.reading,
            head.n_patterns)[0])
        dim = train_features.shape[1]
        for projection in [p for p in PROJECTIONS if p is None or p < dim]:
            matrix = (None if projection is None
                      else features.principal_directions(train_features, projection))
            tr = train_features if matrix is None else train_features @ matrix
            va = val_out["features"] if matrix is None else val_out["features"] @ matrix
            space = features.distance_space(tr, distance)
            order = features.greedy_coreset(space, LARGEST_CORESET, head.seed)
            for bank in BANKS:
                rows = bank_rows(bank, space, head.seed, order)
                fitted = features.fit_head(tr[rows], distance, len(rows))
                density = features.head_scores(va, fitted, min(k, len(rows)), distance)
                score = density
                if weight > 0:
                    stats = features.fit_standardisation(density[normal],
                                                         val_out["rotation"][normal])
                    score = features.standardised_sum(density, val_out["rotation"], stats, weight)
                results[name(rank, projection, bank)] = {
                    "auroc": _auroc(splits.val_y, score),
                    "bytes": estimated_bytes(shapes, dense_index, rank, dim, projection,
                                             len(rows), distance)}
    dense.kernel.assign(trained_kernel)
    return {"run": str(run), "dataset": model.run_config["dataset"],
            "anomaly_class": model.run_config["anomaly_class"], "train": int(len(train)),
            "stored_validation": json.loads((run / "metrics.json").read_text())
            ["validation"]["auroc_features"],
            "paper_score_auroc": paper, "candidates": results,
            "seconds": round(time.time() - start, 1)}


# --------------------------------------------------------------------------- the rule


def costs(cells: list[dict]) -> dict[str, dict]:
    """Each candidate's mean and worst cost over `cells` and its largest estimated size."""
    reference = name(None, None, "all")
    out = {}
    for candidate in cells[0]["candidates"]:
        if not all(candidate in c["candidates"] for c in cells):
            continue
        cost = [c["candidates"][reference]["auroc"] - c["candidates"][candidate]["auroc"]
                for c in cells]
        out[candidate] = {"mean": float(np.mean(cost)), "worst": float(np.max(cost)),
                          "bytes": max(c["candidates"][candidate]["bytes"] for c in cells)}
    return out


def qualifying(table: dict[str, dict]) -> list[str]:
    return [c for c, f in table.items() if f["mean"] <= MEAN_COST and f["worst"] <= WORST_COST]


def decide(cells: list[dict]) -> dict[str, str]:
    """`RULE` applied: each dataset's default candidate, and the folder preset's."""
    datasets = sorted({c["dataset"] for c in cells})
    tables = {d: costs([c for c in cells if c["dataset"] == d]) for d in datasets}
    decision = {d: min(qualifying(t), key=lambda c: t[c]["bytes"]) for d, t in tables.items()}
    shared = set.intersection(*(set(qualifying(t)) for t in tables.values())) if tables else set()
    if shared:
        decision["folder"] = min(shared, key=lambda c: max(t[c]["bytes"] for t in tables.values()))
    return decision


# --------------------------------------------------------------------------- output


def _described() -> str:
    """The module docstring's description as Markdown: its bullets kept, other lines joined."""
    text = "\n\n".join(__doc__.split("\n\n")[1:4]).replace("\n  ", " ")
    return "\n\n".join(
        "\n".join(line.strip() for line in
                  paragraph.replace("\n* ", "\0* ").replace("\n", " ").split("\0"))
        for paragraph in text.split("\n\n"))


def write_results(cells: list[dict], path: Path, command: str) -> None:
    decision = decide(cells) if cells else {}
    write_atomically(path.with_suffix(".json"), json.dumps(
        {"rule": RULE, "decision": decision, "cells": cells}, indent=1) + "\n")
    lines = ["# A compact E-only file: the validation cost of compacting a trained model", "",
             "Written by `benchmarks/edge_head.py`. " + _described(), "",
             f"Rule: {RULE}", ""]
    lines += [f"- Decision for {d}: **{c}**." for d, c in decision.items()]
    lines += provenance_lines(cells, command) + [""]
    for dataset in sorted({c["dataset"] for c in cells}):
        mine = [c for c in cells if c["dataset"] == dataset]
        table = costs(mine)
        ok = set(qualifying(table))
        lines += [f"## {dataset} ({len(mine)} cells: anomaly classes "
                  f"{', '.join(str(c['anomaly_class']) for c in mine)})", "",
                  "Validation AUROC of the feature score as trained, per cell: "
                  + ", ".join(f"{c['candidates'][name(None, None, 'all')]['auroc']:.4f}"
                              for c in mine)
                  + "; of the paper's S had the rank reached it (the model keeps E as "
                  "trained for S), per rank (mean): "
                  + ", ".join(f"{r} {np.mean([c['paper_score_auroc'][r] for c in mine]):.4f}"
                              for r in mine[0]["paper_score_auroc"]) + ".", "",
                  "| candidate | mean cost | worst cell's cost | estimated size (KiB) | "
                  "qualifies |", "|---|---|---|---|---|"]
        lines += [f"| {c} | {f['mean']:+.4f} | {f['worst']:+.4f} | {f['bytes'] / 1024:,.0f} | "
                  f"{'yes' if c in ok else ''} |"
                  for c, f in sorted(table.items(), key=lambda item: item[1]["bytes"])]
        lines += ["", "| cell | training normals | seconds |", "|---|---|---|"]
        lines += [f"| {c['run']} | {c['train']} | {c['seconds']:.0f} |" for c in mine] + [""]
    write_atomically(path.with_suffix(".md"), "\n".join(lines))


@cli_main
def main(argv=None) -> int:
    p = run_parser("python -m benchmarks.edge_head", __doc__, "results/edge_head")
    p.add_argument("--data-dir", default=None)
    add_threads_flag(p)
    args = p.parse_args(argv)
    set_threads(args.threads)
    command = "python -m benchmarks.edge_head " + " ".join(sys.argv[1:] if argv is None else argv)
    path = Path(args.results)
    finished = [run for run in args.runs if (Path(run) / "metrics.json").is_file()]
    cells = measure_each(finished, path, command, lambda run: measure(run, args.data_dir),
                         lambda cells: write_results(cells, path, command))
    write_results(cells, path, command)
    print(f"wrote {path}.md: {decide(cells) if cells else 'no cells'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
