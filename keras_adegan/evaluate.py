"""Metrics of a trained detector: AUROC/AUPRC of the combined score and of each component.

Components, larger = more anomalous:

* `features`: the feature score (beyond the paper, see `keras_adegan.features`);
* `combined`: S = -log(p_r * p_c), the score of Eq. 11 (our reading, see `scoring`);
* `recon`: the reconstruction error r alone (what Eq. 9 turns into a probability);
* `pattern`: 1 - p_c, the extractor's pattern confidence alone;
* `mean_prob`: 1 - (p_r + p_c) / 2, an alternative reading of Eq. 11 that averages the two
  probabilities instead of multiplying them.

At the stored thresholds (chosen on validation normals) the decisions are also scored:
precision, recall, F1 and false-positive rate, anomalies being the positive class, for the
model's chosen score (top level) and for each score (`decisions`).

Command line:
    python -m keras_adegan.evaluate --model runs/digits/model.keras --dataset digits --anomaly-class 0
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from keras_adegan import scoring
from keras_adegan.data import load_dataset, make_splits, to_model_range
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.model import load_detector
from keras_adegan.outputs import check_output_file, write_atomically

def component_scores(outputs: dict) -> dict[str, np.ndarray]:
    """Per-image anomaly scores of every component, from `ADeGAN.call` outputs (the feature
    score only when the outputs hold one)."""
    scores = {"features": np.asarray(outputs["feature_score"], np.float64)} \
        if "feature_score" in outputs else {}
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
    """All metrics of a calibrated model on uint8 images; returns (metrics, raw outputs)."""
    outputs = model.score(to_model_range(images), batch_size=batch_size)
    metrics = ranking_metrics(component_scores(outputs), labels)
    metrics.update(decision_metrics(outputs["is_anomaly"], labels))
    metrics["score"] = model.score_choice
    metrics["threshold"] = float(keras.ops.convert_to_numpy(model.threshold))
    metrics["decisions"] = {
        name: decision_metrics(outputs[f"{name}_score"]
                               > float(keras.ops.convert_to_numpy(threshold)), labels)
        for name, threshold in (("feature", model.feature_threshold),
                                ("paper", model.paper_threshold))}
    return metrics, outputs


class ValidationAUROC(keras.callbacks.Callback):
    """After every stage-2 epoch, log AUROC of each component on labelled held-out images.

    The combined score uses Eq. 9's statistics fitted on the normals of the `val` set (for
    every set, so a test curve uses no test-fitted statistic), computed here without touching
    the model's stored calibration. Extra sets (e.g. the test split, for a learning curve that
    is reported but never used) are logged with their own prefix. The feature score is not
    logged: its bank is filled after training.

    Args:
        sets: mapping of log prefix -> (uint8 images, labels); must include "val".
    """

    def __init__(self, sets: dict[str, tuple[np.ndarray, np.ndarray]], batch_size: int = 256):
        super().__init__()
        self.sets = {name: (to_model_range(x), np.asarray(y)) for name, (x, y) in sets.items()}
        self.batch_size = batch_size
        self.history: list[dict] = []

    def on_epoch_end(self, epoch, logs=None):
        if self.model.stage != 2:
            return
        row = {"epoch": epoch + 1}
        outputs = {name: self.model.raw_outputs(x, batch_size=self.batch_size)
                   for name, (x, _) in self.sets.items()}
        val_y = self.sets["val"][1]
        mean, std = scoring.fit_reconstruction_stats(outputs["val"]["recon_error"][val_y == 0])
        for name, (_, y) in self.sets.items():
            out = outputs[name]
            score, recon_prob = scoring.score_components(out["recon_error"], out["pattern_prob"],
                                                         mean, std)
            out = {k: v for k, v in out.items() if k != "feature_score"}
            out.update(paper_score=score, recon_prob=recon_prob)
            for key, value in ranking_metrics(component_scores(out), y).items():
                if key.startswith("auroc"):
                    row[f"{name}_{key}"] = value
        self.history.append(row)
        if logs is not None:
            logs.update({k: v for k, v in row.items() if k != "epoch"})


def run_splits(run: dict, data_dir=None, dataset=None, anomaly_class=None):
    """The splits a saved model was made with, rebuilt from its run config (`model.run_config`).

    `dataset` and `anomaly_class` override the recorded ones (e.g. for a model that lacks them).
    Without `data_dir`, an image-folder model's data is read from the folder it was trained on
    (`data_source`, recorded by `train`).
    """
    dataset = dataset or run.get("dataset")
    if data_dir is None and dataset == "folder" and run.get("data_source"):
        data_dir = run["data_source"]
        if not Path(data_dir).is_dir():
            raise ADeGANError(f"the model was trained on {data_dir}, which is not there any more: "
                              "pass --data-dir with the image folder")
    anomaly_class = anomaly_class if anomaly_class is not None else run.get("anomaly_class")
    if dataset is None or anomaly_class is None:
        raise ADeGANError("the model does not record its dataset: pass --dataset and --anomaly-class")
    size = run.get("image_size")
    data = load_dataset(dataset, data_dir, tuple(size) if size else None,
                        color_mode=run.get("color_mode"))
    return make_splits(data, anomaly_class, run.get("val_fraction", 0.1), run.get("seed", 0),
                       run.get("train_limit"))


@cli_main
def main(argv=None) -> int:
    parser = ArgumentParser(
        prog="python -m keras_adegan.evaluate",
        description="Evaluate a saved ADe-GAN model on the test split of a dataset.")
    parser.add_argument("--model", required=True, help="a model.keras written by train")
    parser.add_argument("--dataset", default=None, help="dataset name (default: the model's)")
    parser.add_argument("--anomaly-class", type=int, default=None,
                        help="held-out class (default: the model's)")
    parser.add_argument("--data-dir", default=None, help="folder holding the dataset's files")
    parser.add_argument("--output", default=None, help="write the metrics as JSON here")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --output")
    args = parser.parse_args(argv)
    if args.output:
        check_output_file(args.output, args.overwrite)
    model = load_detector(args.model)
    splits = run_splits(model.run_config, args.data_dir, args.dataset, args.anomaly_class)
    metrics, _ = evaluate_model(model, splits.test_x, splits.test_y)
    text = json.dumps(metrics, indent=2)
    print(text)
    if args.output:
        write_atomically(args.output, text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
