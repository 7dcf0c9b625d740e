"""Probe: do the cluster task's MNIST models cluster real digits better in E's trunk than the
unit-length pixels they learned from?

The MNIST preset's cluster task makes E's pattern head name each real normal's k-means cluster
in unit-length pixels; E's argmax pattern then clusters the validation normals at the level of
those pixel clusters (ACC 0.58 against 0.59, results/cluster_signal.md), which caps issue 22's
clustering goal (ACC 0.90). Self-conditioned GANs and DeepCluster re-cluster the network's own
features during training instead. Here each trained model's E trunk (256 values, the feature
score's features) of 10,000 training normals (seeded) is clustered by k-means into 10 on
unit-length vectors and measured on the validation split as results/cluster_signal.md does:
clustering accuracy and NMI of the normals against their classes, nearest-centroid AUROC
(anomalies should lie farther) and the share of anomalies in their most common cluster; beside
it E's own argmax pattern and the unit-length pixel clusters of the same splits. No model is
trained; labels only measure; the test split is not read.

Rule (written on 2026-12-03 before the probe ran): a round 10 of the core study, the cluster
task with its clusters re-fitted on E's trunk during stage 2, is worth its cells only if, over
the cells probed, k-means on the trunk has a mean clustering accuracy of at least 0.65 (the
unit-length pixels' 0.59 plus 0.06) and above E's own argmax pattern, and a mean
nearest-centroid AUROC not below the unit-length pixels' on the same cells.

    python studies/trunk_clusters.py --table results/trunk_clusters.md RUN...
"""

import json
import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import roc_auc_score

from keras_adegan.factory import load_detector
from keras_adegan.images import to_model_range
from keras_adegan.splits import run_splits
from probe_cli import (clustering, flat, heading, parse_probe_args, unit_rows,
                       write_table)

FIT = 10_000
SPACES = ("E's argmax pattern", "unit-length pixels", "unit-length trunk")


def _kmeans(fit_x, val_x, seed: int):
    kmeans = KMeans(10, n_init=4, random_state=seed).fit(unit_rows(fit_x))
    distances = kmeans.transform(unit_rows(val_x))
    return distances.argmin(1), distances.min(1)


def measure(run_dir, data_dir) -> dict:
    """Each space's (accuracy, NMI, nearest-centroid AUROC, anomalies' top share) for one run."""
    config = json.loads((run_dir / "config.json").read_text())
    model = load_detector(run_dir / "model.keras")
    splits = run_splits(config, data_dir)
    pick = np.sort(np.random.default_rng(config["seed"]).choice(
        len(splits.train_x), FIT, replace=False))
    fit_x, val_x = splits.train_x[pick], splits.val_x
    fit_f = model.extract_features(to_model_range(fit_x))
    val_f = model.extract_features(to_model_range(val_x))
    probs = val_f["probs"]
    assignments = {
        SPACES[0]: (probs.argmax(1), -probs.max(1)),
        SPACES[1]: _kmeans(flat(fit_x), flat(val_x), config["seed"]),
        SPACES[2]: _kmeans(fit_f["features"], val_f["features"], config["seed"])}
    classes = splits.val_classes[splits.val_y == 0]
    figures = {name: clustering(assigned, splits.val_y, classes)
               for name, (assigned, _) in assignments.items()}
    return {name: (acc, nmi, roc_auc_score(splits.val_y, assignments[name][1]), share)
            for name, (acc, nmi, share) in figures.items()}


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    rows = []
    for run_dir in args.runs:
        config = json.loads((run_dir / "config.json").read_text())
        rows.append((config["anomaly_class"], config["seed"], measure(run_dir, args.data_dir)))
        print(rows[-1], flush=True)
    rows.sort(key=lambda r: r[:2])
    means = np.mean([[f[s] for s in SPACES] for *_, f in rows], axis=0)
    trunk, pixels, own = means[2], means[1], means[0]
    worth = trunk[0] >= 0.65 and trunk[0] > own[0] and trunk[2] >= pixels[2]
    cell = "{:.2f} / {:.2f}; {:.3f}; {:.0%}".format
    lines = [*heading("The cluster task's models: clusters in E's trunk (probe, validation "
                      "only)", __doc__),
             f"**Verdict: round 10 is {'worth' if worth else 'not worth'} its cells** (trunk "
             f"ACC {trunk[0]:.2f}, E's pattern {own[0]:.2f}; nearest-centroid AUROC trunk "
             f"{trunk[2]:.3f}, pixels {pixels[2]:.3f}).", "",
             "Each cell: clustering accuracy / NMI of the validation normals; nearest-centroid "
             "AUROC (E's pattern: its maximum pattern probability, lower is farther); share of "
             "the anomalies in their most common cluster.", "",
             "| held out | seed | " + " | ".join(SPACES) + " |", "|---|---|" + "---|" * len(SPACES)]
    lines += [f"| {k} | {seed} | " + " | ".join(cell(*f[s]) for s in SPACES) + " |"
              for k, seed, f in rows]
    lines.append("| mean | | " + " | ".join(cell(*m) for m in means) + " |")
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
