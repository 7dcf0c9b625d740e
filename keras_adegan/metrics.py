"""Metrics of a trained detector: AUROC/AUPRC of the combined score and of each component.

Components, larger = more anomalous:

* `features`: the feature score (beyond the paper, see `keras_adegan.features`);
* `combined`: S = -log(p_r * p_c), the score of Eq. 11 (our reading, see `scoring`);
* `recon`: the reconstruction error r alone (what Eq. 9 turns into a probability);
* `pattern`: 1 - p_c, the extractor's pattern confidence alone;
* `mean_prob`: 1 - (p_r + p_c) / 2, an alternative reading of Eq. 11 that averages the two
  probabilities instead of multiplying them;
* `density` and `rotation` (models with a rotation score only): the feature score's two parts
  alone, the kNN score and the rotation task's own score.

At the stored thresholds (chosen on validation normals) the decisions are also scored:
precision, recall, F1 and false-positive rate, anomalies being the positive class, for the
model's chosen score (top level) and for each score (`decisions`).

Example:
    >>> metrics, outputs = evaluate_model(model, splits.test_x, splits.test_y)
    >>> metrics["auroc_features"], metrics["auroc_combined"]
"""

from __future__ import annotations

import keras
import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from keras_adegan import features, scoring
from keras_adegan.errors import ADeGANError
from keras_adegan.images import to_model_range
from keras_adegan.scoring_head import ScoringHead


def component_scores(outputs: dict) -> dict[str, np.ndarray]:
    """Per-image anomaly scores of every component, from `ADeGAN.call` outputs (the feature
    score and its parts only when the outputs hold them)."""
    scores = {name: np.asarray(outputs[key], np.float64)
              for name, key in (("features", "feature_score"), ("density", "density_score"),
                                ("rotation", "rotation_score")) if key in outputs}
    return scores | {
        "combined": np.asarray(outputs["paper_score"], np.float64),
        "recon": np.asarray(outputs["recon_error"], np.float64),
        "pattern": 1.0 - np.asarray(outputs["pattern_prob"], np.float64),
        "mean_prob": 1.0 - (np.asarray(outputs["recon_prob"], np.float64)
                            + np.asarray(outputs["pattern_prob"], np.float64)) / 2.0,
    }


def ranking_metrics(scores: dict[str, np.ndarray], labels) -> dict[str, float]:
    """AUROC and AUPRC of each component's scores (labels: 1 = anomaly)."""
    labels = np.asarray(labels)
    if len(np.unique(labels)) != 2:
        raise ADeGANError("AUROC needs both normal and anomalous images in the evaluation set")
    metrics = {}
    for name, values in scores.items():
        metrics[f"auroc_{name}"] = float(roc_auc_score(labels, values))
        metrics[f"auprc_{name}"] = float(average_precision_score(labels, values))
    return metrics


def decision_metrics(is_anomaly, labels) -> dict[str, float]:
    """Precision, recall, F1 and false-positive rate of binary decisions."""
    labels, is_anomaly = np.asarray(labels).astype(bool), np.asarray(is_anomaly).astype(bool)
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, is_anomaly, average="binary", zero_division=0)
    fpr = float(np.mean(is_anomaly[~labels])) if np.any(~labels) else float("nan")
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "fpr": fpr}


def evaluate_model(model, images, labels, batch_size: int = 256) -> tuple[dict, dict]:
    """All metrics of a calibrated model on uint8 images.

    Args:
        model: a calibrated `ADeGAN`.
        images: uint8 (N, H, W, C) images.
        labels: 1 for an anomaly, 0 for a normal image; both must occur.
        batch_size: images scored at once.

    Returns:
        (metrics, outputs): AUROC and AUPRC of every score component (`auroc_features`,
        `auroc_combined`, ...), the deciding score's precision, recall, F1 and false-positive
        rate at its threshold, each score's own decisions under `decisions`; and the model's
        per-image outputs (`ADeGAN.score`).

    Example:
        >>> metrics, _ = evaluate_model(detector, splits.test_x, splits.test_y)
        >>> metrics["auroc_features"], metrics["f1"]
    """
    outputs = model.score(to_model_range(images), batch_size=batch_size)
    metrics = ranking_metrics(component_scores(outputs), labels)
    metrics.update(decision_metrics(outputs["is_anomaly"], labels))
    metrics["score"] = model.head.score
    metrics["threshold"] = float(keras.ops.convert_to_numpy(model.threshold))
    metrics["decisions"] = {
        name: decision_metrics(outputs[f"{name}_score"]
                               > float(keras.ops.convert_to_numpy(threshold)), labels)
        for name, threshold in (("feature", model.head.feature_threshold),
                                ("paper", model.head.paper_threshold))}
    return metrics, outputs


# Training normals in the per-epoch feature score's bank: its features and its kNN cost about 1%
# of an MNIST stage-2 epoch (docs/usage.md).
EPOCH_BANK = 2048


def sample_bank_feature_scores(model, bank_images, sets: dict, val_normals,
                               rotation: dict | None = None) -> dict:
    """Each set's feature score with a head like `model`'s, filled from `bank_images` (training
    normals, model range) instead of the whole training split: the model's own head is filled
    only after training, and this one is cheap enough to run after every epoch. For a feature
    score with a rotation part, `rotation` holds each set's rotation scores (as `raw_outputs`
    gives them; computed here if None), standardised on `val_normals` (a mask of the `val`
    set), as `calibrate` does. E keeps its trained dense layer (`extractor_rank` applies
    after training)."""
    head = model.head
    rows = min(head.bank_size, len(bank_images))
    temporary = ScoringHead(head.feature_dim, head.n_patterns,
                            feature_distance=head.feature_distance,
                            feature_k=min(head.feature_k, rows), bank_size=rows, seed=head.seed,
                            feature_projection=head.feature_projection)
    bank = model.extract_features(bank_images)
    temporary.fit(bank["features"])
    density = {}
    for name, x in sets.items():
        out = model.extract_features(x)
        density[name] = np.asarray(temporary({"features": out["features"], "probs": out["probs"]})
                                   ["feature_score"], np.float64)
    if head.rotation_score_weight == 0:
        return density
    if rotation is None:
        rotation = {name: model.rotation_scores(x) for name, x in sets.items()}
    rotation = {name: np.asarray(values, np.float64) for name, values in rotation.items()}
    stats = features.fit_standardisation(density["val"][val_normals], rotation["val"][val_normals])
    return {name: features.standardised_sum(density[name], rotation[name], stats,
                                            head.rotation_score_weight) for name in sets}


class ValidationAUROC(keras.callbacks.Callback):
    """After every stage-2 epoch, log AUROC of each component on labelled held-out images,
    the score that decides first (so that it leads the epoch line).

    The combined score uses Eq. 9's statistics fitted on the normals of the `val` set (for
    every set, so a test curve uses no test-fitted statistic), computed here without touching
    the model's stored calibration. The feature score is logged when `bank_images` are given:
    its bank is then those training normals (at most `EPOCH_BANK` of them), not the whole
    training split that fills the final model's, so it may differ a little from the final
    validation figure. Extra sets (e.g. the test split, for a learning curve that is reported
    but never used) are logged with their own prefix.

    Args:
        sets: mapping of log prefix -> (uint8 images, labels); must include "val".
        bank_images: uint8 training normals for the per-epoch feature score's bank (None: the
            feature score is not logged per epoch).
        batch_statistics: also log every set scored with G's BatchNorm in training mode
            (`ADeGAN.batch_statistics_outputs`, batches of 64 in the split's order), prefixed
            `<set>_bs_`: the biased-protocol diagnostic, reported and never used.
    """

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]], batch_size: int = 256,
                 batch_statistics: bool = False, bank_images=None):
        super().__init__()
        self.sets = {name: (to_model_range(x), np.asarray(y)) for name, (x, y) in sets.items()}
        self.batch_size = batch_size
        self.batch_statistics = batch_statistics
        self.bank_images = None if bank_images is None else to_model_range(bank_images)
        self.history: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stage != 2:
            return
        row = {"epoch": epoch + 1}
        modes = [("", lambda x: self.model.raw_outputs(x, batch_size=self.batch_size))]
        if self.batch_statistics:
            modes.append(("bs_", self.model.batch_statistics_outputs))
        for prefix, outputs_of in modes:
            outputs = {name: outputs_of(x) for name, (x, _) in self.sets.items()}
            val_y = self.sets["val"][1]
            feature_scores = None
            if self.bank_images is not None and not prefix:  # the rotation scores are reused
                feature_scores = sample_bank_feature_scores(
                    self.model, self.bank_images, {k: x for k, (x, _) in self.sets.items()},
                    val_y == 0, {k: out["rotation_score"] for k, out in outputs.items()}
                    if self.model.head.needs_rotation else None)
            mean, std = scoring.fit_normal_stats(outputs["val"]["recon_error"][val_y == 0])
            for name, (_, y) in self.sets.items():
                out = outputs[name]
                score, recon_prob = scoring.score_components(
                    out["recon_error"], out["pattern_prob"], mean, std, self.model.reading,
                    self.model.n_patterns)
                out = {k: v for k, v in out.items()
                       if k not in ("feature_score", "density_score")}
                if feature_scores is not None:
                    out["feature_score"] = feature_scores[name]
                out.update(paper_score=score, recon_prob=recon_prob)
                for key, value in ranking_metrics(component_scores(out), y).items():
                    if key.startswith("auroc"):
                        row[f"{name}_{prefix}{key}"] = value
        deciding = "val_auroc_features" if self.model.head.score == "features" else \
            "val_auroc_combined"
        row = {k: row[k] for k in sorted(row, key=lambda k: (k != "epoch", k != deciding,
                                                              not k.startswith("val_")))}
        self.history.append(row)
        if logs is not None:  # the validation figures first, the deciding one leading
            rest = dict(logs)
            logs.clear()
            logs.update({k: v for k, v in row.items() if k != "epoch"})
            logs.update({k: v for k, v in rest.items() if k not in logs})
