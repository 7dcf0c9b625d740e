"""Probe: would a cluster task in a scale-free space keep the anomaly out of the clusters?

Core study round 7 (docs/method.md) made E name each real normal's k-means cluster in pixels;
it lifted E's clustering but lost the paper's S, because held-out 1s have half the ink of the
normals, lie nearer a pixel centroid than the normals do and fall 96% into one cluster that E
names confidently. K-means on unit-length pixel vectors (cosine distance) ignores the amount of
ink. For every anomaly class of a dataset (seed 0 splits), k-means with 10 clusters is fitted
on 10,000 training normals (seeded), in raw pixels and in unit-length pixels, and measured on
the validation split: clustering accuracy and NMI of the normals against their classes, the
AUROC of the distance to the nearest centroid (anomalies should be farther), and the share of
anomalies in their most common cluster. No model is trained; labels only measure; the test
split is not read.

Rule (written before the probe ran, 2026-12-03): a round 8 of the core study, round 7's
cluster task with its clusters in unit-length pixels, is worth its cells only if on MNIST the
unit-length clustering's nearest-centroid AUROC is at least 0.5 for digit 1 (round 7's failing
cell) and its mean over the ten classes and its mean clustering accuracy are not below the
raw-pixel clustering's.

    python studies/cluster_signal.py --datasets mnist fashion_mnist \
        --data-dir ../shared/datasets --table results/cluster_signal.md
"""

import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score, roc_auc_score

from keras_adegan.data import load_dataset
from keras_adegan.diagnostics import cluster_accuracy
from keras_adegan.splits import make_splits
from probe_cli import flat, probe_parser, write_table

SPACES = {"pixels": lambda x: x,
          "unit-length pixels": lambda x: x / np.maximum(np.linalg.norm(x, axis=1,
                                                                         keepdims=True), 1e-8)}


def measure(data, anomaly_class: int) -> dict:
    """Every space's figures for one held-out class."""
    splits = make_splits(data, anomaly_class, seed=0)
    fit_x = flat(splits.train_x[np.random.default_rng(0).choice(len(splits.train_x), 10000,
                                                               replace=False)])
    val_x, normal = flat(splits.val_x), splits.val_y == 0
    figures = {}
    for name, transform in SPACES.items():
        kmeans = KMeans(10, n_init=4, random_state=0).fit(transform(fit_x))
        distances = kmeans.transform(transform(val_x))
        assigned, nearest = distances.argmin(1), distances.min(1)
        classes = splits.val_classes[normal]
        figures[name] = (cluster_accuracy(assigned[normal], classes),
                         normalized_mutual_info_score(classes, assigned[normal]),
                         roc_auc_score(splits.val_y, nearest),
                         np.bincount(assigned[~normal]).max() / (~normal).sum())
    return figures


def main() -> None:
    p = probe_parser(__doc__)
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"])
    args = p.parse_args()
    start = time.time()
    lines = ["# Clusters of the training normals and the held-out class (probe, validation only)",
             "", " ".join(__doc__.split("\n\n")[1].split()), "",
             " ".join(__doc__.split("\n\n")[2].split()), "",
             "Each cell: clustering accuracy / NMI of the validation normals; nearest-centroid "
             "AUROC; share of the anomalies in their most common cluster."]
    for dataset in args.datasets:
        data = load_dataset(dataset, args.data_dir)
        rows = [(k, measure(data, k)) for k in range(len(data.class_names))]
        lines += ["", f"## {dataset}", "", "| held out | " + " | ".join(SPACES) + " |",
                  "|---|" + "---|" * len(SPACES)]
        lines += [f"| {k} {data.class_names[k]} | " + " | ".join(
            f"{a:.2f} / {n:.2f}; {auc:.3f}; {share:.0%}" for a, n, auc, share in f.values())
            + " |" for k, f in rows]
        means = np.mean([[f[s] for s in SPACES] for _, f in rows], axis=0)
        lines.append("| mean | " + " | ".join(
            f"{a:.2f} / {n:.2f}; {auc:.3f}; {share:.0%}" for a, n, auc, share in means) + " |")
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
