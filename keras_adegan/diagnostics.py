"""Diagnostics of the generative core: does G draw varied normal images for every pattern, and
does E find those patterns in real normals?

The paper's argument (its Fig. 1 and Fig. 4) is that G fits the normal data with one mode per
pattern, and that E, trained on G's patterns, divides real normals into them. These figures check
both on held-out data; the normal classes' labels are used to *measure* only, never to train:

* `cluster_acc`, `cluster_nmi`: E's argmax pattern on the validation normals against their
  classes: accuracy after the best one-to-one matching of patterns to classes (Hungarian), and
  normalised mutual information, as clustering papers (ClusterGAN) report them;
* `sample_acc`: how often E names the pattern that G drew a sample from; `shortcut_gap` =
  `sample_acc` - `cluster_acc`: a large gap means E reads something in G's samples that real
  images do not have;
* `classes_covered` (of `normal_classes`), `purity`, `confident`: a probe classifier (logistic
  regression on pixels, fitted on training normals; its accuracy on the validation normals is
  `probe_accuracy`) labels G's samples: how many normal classes are the majority label of some
  pattern, the mean share of that majority within a pattern, and the share of samples it labels
  with probability above 0.9;
* `diversity_ratio`: the mean pixel distance between two samples of one pattern over the mean
  distance between two real normals of one class (about 1: as varied as the data; near 0: every
  draw of z_n gives the same image);
* `frechet`: for a named dataset, the Frechet distance between G's samples (every pattern) and
  the validation normals in the features of the dataset's shipped classifier
  (`keras_adegan.frechet`: an FID for small images), beside `frechet_floor`, the distance of as
  many real training normals: what a generator that draws the normal data itself would get.

`CoreMonitor` logs them after every epoch (prefixed `core_`); `core_metrics` computes them once.

Example:
    >>> probe = CoreProbe(splits.train_x, splits.train_classes, splits.val_normals,
    ...                   splits.val_classes[splits.val_y == 0])
    >>> core_metrics(model, probe)["cluster_acc"]
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import normalized_mutual_info_score

from keras_adegan.frechet import frechet_distance, gaussian
from keras_adegan.images import to_model_range

PROBE_IMAGES = 5000  # training normals the probe classifier is fitted on (a seeded sample)
SAMPLES_PER_PATTERN = 50  # G's samples per pattern, always drawn with the same z_n
REAL_PER_CLASS = 50  # real normals per class for the real within-class distance
CONFIDENT = 0.9
FLOOR_POOL = 2000  # training normals whose features give the Frechet floor


def cluster_accuracy(assigned, classes) -> float:
    """Share of images whose cluster maps to their class under the best one-to-one matching of
    clusters to classes (Hungarian); unmatched clusters count as wrong."""
    _, a = np.unique(np.asarray(assigned), return_inverse=True)
    _, c = np.unique(np.asarray(classes), return_inverse=True)
    table = np.zeros((a.max() + 1, c.max() + 1), np.int64)
    np.add.at(table, (a, c), 1)
    rows, cols = linear_sum_assignment(-table)
    return float(table[rows, cols].sum() / len(a))


def mean_pairwise_distance(images) -> float:
    """Mean Euclidean distance between two different images of `images` (pixels as given)."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    squared = np.sum(x * x, axis=1)
    d = np.sqrt(np.maximum(squared[:, None] + squared[None, :] - 2 * x @ x.T, 0))
    return float(d.sum() / (len(x) * (len(x) - 1)))


class CoreProbe:
    """What the diagnostics need from the data, prepared once: the validation normals with their
    classes, the real within-class distance, and a pixel classifier of the normal classes.

    Args:
        train_x, train_classes: training normals (uint8) and their class indices (the probe
            classifier is fitted on a seeded sample of `PROBE_IMAGES` of them).
        val_x, val_classes: validation normals (uint8) and their class indices.
        seed: seed of the samples.
        frechet_classifier: a `keras_adegan.frechet.FrechetClassifier` for the Frechet
            distance, or None to leave it out.
    """

    def __init__(self, train_x, train_classes, val_x, val_classes, seed: int = 0,
                 frechet_classifier=None):
        rng = np.random.default_rng(seed)
        self.val_x = to_model_range(val_x)
        self.val_classes = np.asarray(val_classes)
        self.normal_classes = np.unique(train_classes)
        spreads = []
        for k in np.unique(self.val_classes):
            members = np.flatnonzero(self.val_classes == k)
            if len(members) >= 2:
                pick = rng.permutation(members)[:REAL_PER_CLASS]
                spreads.append(mean_pairwise_distance(self.val_x[pick]))
        self.real_spread = float(np.mean(spreads)) if spreads else float("nan")
        self.classifier, self.accuracy = None, float("nan")
        if len(self.normal_classes) >= 2:
            pick = rng.permutation(len(train_x))[:PROBE_IMAGES]
            with warnings.catch_warnings():  # a probe: its accuracy is recorded, not tuned
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.classifier = LogisticRegression(max_iter=200).fit(
                    _flat(to_model_range(train_x[pick])), np.asarray(train_classes)[pick])
            self.accuracy = float(self.classifier.score(_flat(self.val_x), self.val_classes))
        self.frechet_classifier, self._floors = frechet_classifier, {}
        if frechet_classifier is not None:
            self.real_gaussian = gaussian(frechet_classifier.features(self.val_x))
            pick = rng.permutation(len(train_x))[:FLOOR_POOL]
            self._train_features = frechet_classifier.features(train_x[pick])

    def frechet_floor(self, n: int) -> float:
        """The Frechet distance of `n` training normals (at most `FLOOR_POOL`) to the
        validation normals: the figure for G's `n` samples to be compared with."""
        if n not in self._floors:
            self._floors[n] = frechet_distance(self._train_features[:n], self.real_gaussian)
        return self._floors[n]


def _flat(images):
    return images.reshape(len(images), -1)


def core_metrics(model, probe: CoreProbe, seed: int = 0) -> dict[str, float]:
    """The figures of the module docstring for a trained (or training) `ADeGAN`."""
    assigned = np.argmax(model.extract_features(probe.val_x)["probs"], axis=1)
    out = {"cluster_acc": cluster_accuracy(assigned, probe.val_classes),
           "cluster_nmi": float(normalized_mutual_info_score(probe.val_classes, assigned))}
    samples = model.generate(SAMPLES_PER_PATTERN, seed=seed)  # (n_c, n, H, W, C)
    flat = samples.reshape((-1,) + samples.shape[2:])
    patterns = np.repeat(np.arange(len(samples)), SAMPLES_PER_PATTERN)
    named = np.argmax(model.extract_features(flat)["probs"], axis=1)
    out["sample_acc"] = float(np.mean(named == patterns))
    out["shortcut_gap"] = out["sample_acc"] - out["cluster_acc"]
    out["diversity_ratio"] = float(np.mean([mean_pairwise_distance(s) for s in samples])
                                   / probe.real_spread)
    if probe.frechet_classifier is not None:
        out["frechet"] = frechet_distance(probe.frechet_classifier.features(flat),
                                          probe.real_gaussian)
        out["frechet_floor"] = probe.frechet_floor(len(flat))
    if probe.classifier is not None:
        p = probe.classifier.predict_proba(_flat(flat))
        labels = probe.classifier.classes_[np.argmax(p, axis=1)].reshape(len(samples), -1)
        majority = [np.bincount(row).argmax() for row in labels]
        out.update(classes_covered=len(set(majority)), normal_classes=len(probe.normal_classes),
                   purity=float(np.mean([np.mean(row == m) for row, m in zip(labels, majority)])),
                   confident=float(np.mean(np.max(p, axis=1) > CONFIDENT)),
                   probe_accuracy=probe.accuracy)
    return out


def core_caption(core: dict) -> str:
    """The core figures in words, for the caption of `patterns.png`."""
    text = (f"E clusters the real validation normals with accuracy {core['cluster_acc']:.2f} "
            f"(NMI {core['cluster_nmi']:.2f}) and names G's patterns with accuracy "
            f"{core['sample_acc']:.2f}; within a pattern the samples vary "
            f"{core['diversity_ratio']:.2f} times as much as real normals of one class")
    if "classes_covered" in core:
        text += (f"; a pixel classifier ({core['probe_accuracy']:.2f} accurate on real normals) "
                 f"finds {core['classes_covered']} of the {core['normal_classes']} normal classes "
                 f"among the patterns (purity {core['purity']:.2f})")
    if "frechet" in core:
        text += (f"; Frechet distance to the real normals {core['frechet']:.1f} (real images: "
                 f"{core['frechet_floor']:.1f})")
    return text


class CoreMonitor(keras.callbacks.Callback):
    """Adds `core_metrics` to every epoch's logs, prefixed `core_` (they then reach the epoch
    line, `history.jsonl` and TensorBoard). Costs one pass of E over the validation normals and
    of G and E over `SAMPLES_PER_PATTERN` samples per pattern."""

    def __init__(self, probe: CoreProbe, seed: int = 0):
        super().__init__()
        self.probe, self.seed = probe, seed

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs.update({f"core_{k}": v for k, v in core_metrics(self.model, self.probe,
                                                                 self.seed).items()
                         if k not in ("normal_classes", "probe_accuracy", "frechet_floor")})
