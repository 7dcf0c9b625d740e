"""Size, latency, throughput and AUROC of every exported format beside the Keras model.

Exports the given model (or reuses an export folder), then prints and writes a Markdown table:
file size; latency per image at batch 1 with one thread (median over `--repeats` runs, after
warm-up); throughput at `--batch` images per call (dynamic-batch files, one thread); AUROC of the
combined score on the model's test split, next to the Keras model's own figures; decisions that
differ from the Keras model's on the test split and, for choosing a file without the test
split, on the validation split.

Command line:
    python -m benchmarks.export --model runs/paper/mnist/class0-seed0/model.keras \
        --out runs/export-mnist --table results/export_mnist.md
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from export.convert import export_detector
from export.edge_score import EdgeScorer
from export.formats import QUANTIZATIONS
from keras_adegan.errors import ArgumentParser, cli_main
from keras_adegan.factory import load_detector
from keras_adegan.images import scale_pixels, to_model_range
from keras_adegan.provenance import cpu_name, library_versions, module_command, set_threads
from keras_adegan.splits import run_splits


def median_seconds(fn, repeats: int, warmup: int = 20) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def feature_differences(got: np.ndarray, keras: np.ndarray) -> dict:
    """How an exported file's feature scores differ from the Keras model's: the mean (a shift a
    recalibrated threshold would remove), the standard deviation (noise it would not) and the
    largest absolute difference."""
    diff = np.asarray(got, np.float64) - np.asarray(keras, np.float64)
    return {"feature_diff_mean": float(diff.mean()), "feature_diff_std": float(diff.std()),
            "max_abs_feature_diff": float(np.max(np.abs(diff)))}


def measure(model_path: Path, out: Path, data_dir, repeats: int, batch: int) -> tuple[list, dict]:
    """Rows of the table (the Keras model first), and the model's run config."""
    model = load_detector(model_path)
    splits = run_splits(model.run_config, data_dir)
    if not (out / "manifest.json").exists():
        export_detector(model_path, out, representative=splits.train_x, data_dir=data_dir)
    x, y = splits.test_x, splits.test_y
    one = x[:1].astype(np.float32)
    keras_out = model.score(to_model_range(x))
    keras_val = model.score(to_model_range(splits.val_x))
    feature_threshold = float(model.head.feature_threshold.numpy())

    call = tf.function(lambda images: model(scale_pixels(images)))
    big = x[:batch].astype(np.float32)
    rows = [{"format": "Keras model (tf.function, TF)", "graph": "full",
             "bytes": model_path.stat().st_size,
             "latency_ms": 1e3 * median_seconds(lambda: call(one), repeats),
             "images_per_s": batch / median_seconds(lambda: call(big), max(5, repeats // 50), 3),
             "auroc_features": roc_auc_score(y, keras_out["feature_score"]),
             "auroc_paper": roc_auc_score(y, keras_out["paper_score"])}]
    for prefix, graph in (("model", "full"), ("features", "features")):
        def decisions(outputs):
            return (outputs["is_anomaly"] if graph == "full"
                    else outputs["feature_score"] > feature_threshold)

        for q in QUANTIZATIONS.values():
            path = out / f"{prefix}_{q}.tflite"
            single = EdgeScorer(path, num_threads=1)
            got = single.score(x)
            val_flips = np.sum(single.score(splits.val_x)["is_anomaly"] != decisions(keras_val))
            row = {"format": f"TFLite {q}", "graph": graph, "bytes": path.stat().st_size,
                   "latency_ms": 1e3 * median_seconds(lambda s=single: s.score(one), repeats),
                   "auroc_features": roc_auc_score(y, got["feature_score"]),
                   **feature_differences(got["feature_score"], keras_out["feature_score"]),
                   "decision_flips": int(np.sum(got["is_anomaly"] != decisions(keras_out))),
                   "validation_flips": int(val_flips)}
            if "paper_score" in got:
                row["auroc_paper"] = roc_auc_score(y, got["paper_score"])
            batched = out / f"{prefix}_{q}_batch.tflite"
            if batched.exists():
                scorer = EdgeScorer(batched, num_threads=1)
                row["images_per_s"] = batch / median_seconds(lambda s=scorer: s.score(big),
                                                             max(5, repeats // 50), 3)
            rows.append(row)
    return rows, {**model.run_config, "test_images": len(y),
                  "validation_images": len(splits.val_x)}


def markdown(rows: list[dict], header: dict) -> str:
    keras_row = rows[0]
    lines = ["# Exported scorer: size, speed and AUROC", "",
             f"Model `{header['model']}` ({header['dataset']}, anomaly class "
             f"{header['anomaly_class']}), test split ({header['test_images']} images). One "
             f"thread; latency is the median of {header['repeats']} single-image calls after "
             f"warm-up; throughput at batch {header['batch']} (the dynamic-batch file). TFLite "
             "files run with ai_edge_litert (XNNPACK). Graph `full` is G∘E with both scores; "
             "`features` is E alone with the feature score (`python -m export --graph features`). "
             "Decision flips: images whose `is_anomaly` differs from the Keras model's decision "
             f"of the same score, on the test split and on the validation split "
             f"({header['validation_images']} images).", "",
             "| format | graph | size | latency / image (batch 1) | images/s (batch) | "
             "AUROC feature score | vs Keras | AUROC paper's S | feature-score diff mean, std | "
             "max abs feature-score diff | decision flips | validation flips |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ips = f"{r['images_per_s']:.0f}" if "images_per_s" in r else "n/a"
        paper = f"{r['auroc_paper']:.4f}" if "auroc_paper" in r else "n/a"
        spread = (f"{r['feature_diff_mean']:+.2g}, {r['feature_diff_std']:.2g}"
                  if "feature_diff_std" in r else "")
        diff = f"{r['max_abs_feature_diff']:.2g}" if "max_abs_feature_diff" in r else ""
        flips = f"{r.get('decision_flips', '')} | {r.get('validation_flips', '')}"
        lines.append(f"| {r['format']} | {r['graph']} | {r['bytes'] / 1024:.0f} KiB | "
                     f"{r['latency_ms']:.3f} ms | {ips} | {r['auroc_features']:.4f} | "
                     f"{r['auroc_features'] - keras_row['auroc_features']:+.4f} | {paper} | "
                     f"{spread} | {diff} | {flips} |")
    lines += ["", f"- Command: `{header['command']}`", f"- CPU: {header['cpu']}",
              f"- Versions: `{json.dumps(header['versions'])}`", f"- Measured: {header['date']}",
              f"- Wall time of the benchmark: {header['seconds']:.0f} s", ""]
    return "\n".join(lines)


@cli_main
def main(argv=None) -> int:
    p = ArgumentParser(prog="python -m benchmarks.export", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="a calibrated model.keras")
    p.add_argument("--out", required=True, help="export folder (written if it holds no export)")
    p.add_argument("--data-dir", default=None, help="where the model's dataset is")
    p.add_argument("--repeats", type=int, default=1000, help="single-image calls to time")
    p.add_argument("--batch", type=int, default=256, help="batch size for throughput")
    p.add_argument("--table", default=None, help="also write the Markdown table here")
    args = p.parse_args(argv)
    set_threads(1)  # before TensorFlow starts
    start = time.time()
    rows, run = measure(Path(args.model), Path(args.out), args.data_dir, args.repeats, args.batch)
    header = {"model": args.model, "dataset": run["dataset"], "anomaly_class": run["anomaly_class"],
              "repeats": args.repeats, "batch": args.batch, "cpu": cpu_name(),
              "versions": library_versions(),
              "command": module_command("benchmarks.export", argv or None),
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "seconds": time.time() - start, "test_images": run["test_images"],
              "validation_images": run["validation_images"]}
    text = markdown(rows, header)
    print(text)
    if args.table:
        Path(args.table).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
