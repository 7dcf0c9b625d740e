"""Probe: do E's patterns divide the real normals better than k-means does without any training?

For each run folder given, E's argmax pattern of the validation normals is scored against their
classes (Hungarian accuracy and NMI, as `keras_adegan.diagnostics` does), beside k-means with as
many clusters as patterns, fitted on 10,000 training normals (seeded) and applied to the same
validation normals, in four spaces: raw pixels, their top 50 principal directions, E's trunk
(the features layer) and E's z_n. Labels only measure; the test split is not read. It decides
nothing: it tells how far the paper's core is from a clustering that costs nothing.

    python studies/pattern_baseline.py runs/paper/mnist/class0-seed0 ... \
        --data-dir ../shared/datasets --table results/pattern_baseline.md
"""

import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import normalized_mutual_info_score

from keras_adegan import load_detector, to_model_range
from keras_adegan.diagnostics import cluster_accuracy
from keras_adegan.networks import run_to_features
from keras_adegan.splits import run_splits
from probe_cli import flat, parse_probe_args, write_table

SPACES = ("E's argmax pattern", "k-means, pixels", "k-means, pixels PCA-50", "k-means, E's trunk",
          "k-means, E's z_n")


def extractor_outputs(model, x: np.ndarray, batch: int = 512) -> tuple[np.ndarray, ...]:
    """E's trunk features, z_n and argmax pattern for images in [0, 1]."""
    trunk, noise, pattern = [], [], []
    for i in range(0, len(x), batch):
        hidden = run_to_features(model.extractor, to_model_range(x[i:i + batch]), False)
        trunk.append(np.asarray(hidden))
        noise.append(np.asarray(model.extractor.get_layer("z_n")(hidden)))
        pattern.append(np.argmax(np.asarray(model.extractor.get_layer("pattern_logits")(hidden)),
                                 -1))
    return np.concatenate(trunk), np.concatenate(noise), np.concatenate(pattern)


def measure(run: Path, data_dir) -> dict:
    model = load_detector(run / "model.keras")
    splits = run_splits(model.run_config, data_dir)
    normal = splits.val_y == 0
    val_x, classes = splits.val_x[normal], splits.val_classes[normal]
    fit_x = splits.train_x[np.random.default_rng(0).choice(len(splits.train_x), 10000,
                                                          replace=False)]
    fit_trunk, fit_noise, _ = extractor_outputs(model, fit_x)
    val_trunk, val_noise, val_pattern = extractor_outputs(model, val_x)
    pca = PCA(50, random_state=0).fit(flat(fit_x))
    spaces = [(flat(fit_x), flat(val_x)), (pca.transform(flat(fit_x)), pca.transform(flat(val_x))),
              (fit_trunk, val_trunk), (fit_noise, val_noise)]
    n_patterns = int(model.run_config["n_patterns"])
    assigned = [val_pattern] + [KMeans(n_patterns, n_init=4, random_state=0).fit(a).predict(b)
                                for a, b in spaces]
    return {"run": str(run), "images": int(normal.sum()),
            "figures": [(cluster_accuracy(a, classes),
                         normalized_mutual_info_score(classes, a)) for a in assigned]}


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    rows = [measure(run, args.data_dir) for run in args.runs]
    lines = ["# E's patterns against k-means on the real normals (probe, validation only)", "",
             __doc__.split("\n\n")[1].replace("\n", " "), "",
             "Each cell: clustering accuracy / NMI against the normal classes.", "",
             "| run | validation normals | " + " | ".join(SPACES) + " |",
             "|---|---|" + "---|" * len(SPACES)]
    lines += [f"| {r['run']} | {r['images']} | "
              + " | ".join(f"{acc:.2f} / {nmi:.2f}" for acc, nmi in r["figures"]) + " |"
              for r in rows]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
