"""Probe: would a graph clustering of the training normals give the cluster task better targets
than k-means on unit-length pixels?

The cluster task's E clusters real digits as well as its targets do and no better (ACC 0.58
against 0.59 for its targets; k-means on its own trunk 0.58 as well: results/trunk_clusters.md),
so issue 22's clustering goal (ACC 0.90 on MNIST, 0.63 on Fashion-MNIST) needs better targets.
Spectral clustering on a nearest-neighbour graph follows the data's manifold where k-means
needs round clusters. For every anomaly class of a dataset (seed 0 splits), 10,000 training
normals (seeded) as unit-length pixel vectors, projected on their top 50 principal directions,
are clustered into 10 by k-means and by spectral clustering (10-nearest-neighbour graph,
`cluster_qr` labels); a validation image takes the cluster of its nearest fitted image (cosine),
as the task would label a training image in its graph. Measured: clustering accuracy and NMI of
the validation normals against their classes and the share of the anomalies in their most
common cluster (a held-out class that falls into one cluster is named confidently: core study
round 7). No model is trained; labels only measure; the test split is not read.

Rule (written on 2026-12-03 before the probe ran): a round of the core study with the cluster
task's targets from spectral clustering is worth its cells only if on MNIST its mean clustering
accuracy over the ten held-out classes is at least 0.70 and its mean share of anomalies in one
cluster at most k-means' plus 0.05. Fashion-MNIST's figures are reported and decide nothing.

    python studies/graph_clusters.py --datasets mnist fashion_mnist \
        --data-dir ../shared/datasets --table results/graph_clusters.md
"""

import time

import numpy as np
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.decomposition import PCA

from keras_adegan.data import load_dataset
from keras_adegan.splits import make_splits
from probe_cli import clustering, flat, heading, probe_parser, unit_rows, write_table

FIT = 10_000
METHODS = {
    "k-means": lambda x: KMeans(10, n_init=4, random_state=0).fit_predict(x),
    "spectral": lambda x: SpectralClustering(
        10, affinity="nearest_neighbors", n_neighbors=10, assign_labels="cluster_qr",
        random_state=0).fit_predict(x)}


def _nearest(fit_x, val_x, block: int = 2048):
    """Index of each validation row's nearest fitted row (cosine; rows unit length)."""
    return np.concatenate([(val_x[i:i + block] @ fit_x.T).argmax(1)
                           for i in range(0, len(val_x), block)])


def measure(data, anomaly_class: int, methods: dict = METHODS) -> dict:
    """Each method's (accuracy, NMI, anomalies' top share, seconds) for one held-out class."""
    splits = make_splits(data, anomaly_class, seed=0)
    pick = np.random.default_rng(0).choice(len(splits.train_x), FIT, replace=False)
    fit_x, val_x = unit_rows(flat(splits.train_x[pick])), unit_rows(flat(splits.val_x))
    nearest = _nearest(fit_x, val_x)
    projected = PCA(50, random_state=0).fit_transform(fit_x)
    classes = splits.val_classes[splits.val_y == 0]
    figures = {}
    for name, cluster in methods.items():
        start = time.time()
        assigned = cluster(projected)[nearest]
        figures[name] = (*clustering(assigned, splits.val_y, classes), time.time() - start)
    print(anomaly_class, figures, flush=True)
    return figures


def run(doc: str, title: str, methods: dict, candidate: str, label: str) -> None:
    """A targets probe's command line: `methods` against each other on every held-out class of
    the datasets given, and the rule's verdict on MNIST for `candidate` (ACC at least 0.70 and
    anomalies in one cluster at most k-means' plus 0.05), in a round named by `label`."""
    p = probe_parser(doc)
    p.add_argument("--datasets", nargs="+", default=["mnist", "fashion_mnist"])
    args = p.parse_args()
    start = time.time()
    lines = [*heading(title, doc),
             "Each cell: clustering accuracy / NMI of the validation normals; share of the "
             "anomalies in their most common cluster; seconds to cluster."]
    cell = "{:.2f} / {:.2f}; {:.0%}; {:.0f} s".format
    for dataset in args.datasets:
        data = load_dataset(dataset, args.data_dir)
        rows = [(k, measure(data, k, methods)) for k in range(len(data.class_names))]
        means = {m: np.mean([f[m] for _, f in rows], axis=0) for m in methods}
        lines += ["", f"## {dataset}", "", "| held out | " + " | ".join(methods) + " |",
                  "|---|" + "---|" * len(methods)]
        lines += [f"| {k} {data.class_names[k]} | " + " | ".join(cell(*f[m]) for m in methods)
                  + " |" for k, f in rows]
        lines.append("| mean | " + " | ".join(cell(*means[m]) for m in methods) + " |")
        if dataset == "mnist":
            ours, base = means[candidate], means["k-means"]
            worth = ours[0] >= 0.70 and ours[2] <= base[2] + 0.05
            lines += ["", f"**Verdict: a {label} round is {'worth' if worth else 'not worth'}"
                      f" its cells** (ACC {ours[0]:.2f}; anomalies in one cluster "
                      f"{ours[2]:.0%} against k-means' {base[2]:.0%})."]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    run(__doc__, "Graph clusters of the training normals (probe, validation only)", METHODS,
        "spectral", "spectral-target")
