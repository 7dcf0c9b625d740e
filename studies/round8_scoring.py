"""Probe: would round 8's cluster task lose the deployed score with another feature score?

Core study round 8 (docs/method.md) made the paper's pattern term work on MNIST but lost 0.087
of the deployed feature score, which runs on E's z_n. For each run folder given, on its
validation split only, this scores the model as trained (the deployed z_n feature score, the
paper's S, the pattern term alone: 1 - E's top pattern probability) and three other ways: the
feature score on E's trunk (the layer before z_n; bank of every training normal, as the
deployed one), and each feature score plus the pattern term (both standardised on the
validation normals as the model's calibration standardises its parts, then summed). It decides nothing: a round with its own rule and cells
would have to.

Round 8's models hold the cluster task's layer, removed from the product after the round, so
the probe runs on a checkout of the round's commit:

    git worktree add ../r8 fa73338
    PYTHONPATH=../r8 python studies/round8_scoring.py RUN... --table results/round8_scoring.md
"""

import time

import numpy as np
from sklearn.metrics import roc_auc_score

from keras_adegan import load_detector, to_model_range
from keras_adegan.scoring import fit_normal_stats
from keras_adegan.splits import run_splits
from probe_cli import parse_probe_args, write_table

COLUMNS = ("deployed (z_n)", "paper's S", "pattern-only", "trunk features", "z_n + pattern",
           "trunk + pattern")


def standardised(values: np.ndarray, normal: np.ndarray) -> np.ndarray:
    mean, std = fit_normal_stats(values[normal])
    return (values - mean) / std


def measure(run, data_dir) -> dict:
    model = load_detector(run / "model.keras")
    splits = run_splits(model.run_config, data_dir)
    val_x, labels = to_model_range(splits.val_x), splits.val_y
    normal = labels == 0
    out = model.raw_outputs(val_x)
    pattern = 1.0 - out["pattern_prob"]
    trunk = model.with_scoring(feature_source="extractor")
    trunk.fit_feature_score(to_model_range(splits.train_x))
    trunk.calibrate(to_model_range(splits.val_normals))
    trunk_score = trunk.raw_outputs(val_x)["feature_score"]
    scores = (out["feature_score"], out["paper_score"], pattern, trunk_score,
              standardised(out["feature_score"], normal) + standardised(pattern, normal),
              standardised(trunk_score, normal) + standardised(pattern, normal))
    return {"run": str(run), "task": model.real_task,
            "class": int(model.run_config["anomaly_class"]),
            "auroc": [roc_auc_score(labels, s) for s in scores]}


def main() -> None:
    args = parse_probe_args(__doc__)
    start = time.time()
    rows = [measure(run, args.data_dir) for run in args.runs]
    lines = ["# Round 8's models scored other ways (probe, validation only)", "",
             " ".join(__doc__.split("\n\n")[1].split()), "",
             "Validation AUROC of each score:", "",
             "| run | real task | held out | " + " | ".join(COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    lines += [f"| {r['run']} | {r['task']} | {r['class']} | "
              + " | ".join(f"{v:.3f}" for v in r["auroc"]) + " |" for r in rows]
    write_table(args.table, lines, start, args.conditions)


if __name__ == "__main__":
    main()
