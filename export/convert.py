"""Export a calibrated detector (G∘E and E) as a SavedModel and as TFLite files with a manifest.

Every exported graph takes images as the user has them, pixel values in [0, 255], and returns
the same outputs as `ADeGAN.call`: `score`, `recon_error`, `recon_prob`, `pattern_prob`,
`pattern` and `is_anomaly`. Scaling to [-1, 1], the calibration statistics and the threshold
are inside the graph; there are no random ops.

* SavedModel: signature `score` (float32 input, any batch) and `score_uint8` (uint8 input).
* TFLite (built-in ops only; a graph that would need Flex ops fails to convert):
  `model_<q>.tflite` with a static batch of 1, and `model_<q>_batch.tflite` with a dynamic
  batch when it converts. `q` is `fp32`, `fp16` (float16 weights) or `int8` (int8 weights and
  activations in the networks, calibrated on training normals; the handful of per-image score
  operations after the networks stay float, see the README). TFLite inputs are float32.

Example:
    >>> from export.convert import export_detector
    >>> manifest = export_detector("runs/digits-class0-seed0/model.keras", "exported/",
    ...                            representative=train_normals_uint8)
"""

from __future__ import annotations

import json
import shutil
import tempfile
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from tensorflow.lite.python import schema_py_generated as schema
from tensorflow.lite.tools import flatbuffer_utils

from keras_adegan.errors import ADeGANError
from keras_adegan.evaluate import run_splits
from keras_adegan.model import ADeGAN
from keras_adegan.score import load_detector
from keras_adegan.train import library_versions

FORMATS = ("savedmodel", "tflite")
QUANTIZATIONS = {"none": "fp32", "float16": "fp16", "int8": "int8"}
OUTPUTS = ("score", "recon_error", "recon_prob", "pattern_prob", "pattern", "is_anomaly")
REPRESENTATIVE_IMAGES = 200
# Ops of the score formula (Eq. 9-11) and the input scaling, kept float in the int8 model.
# The networks use no ADD or MUL (BatchNorm is folded into their weights), so keeping those
# float only touches the input scaling and the erfc polynomial of the score.
FLOAT_OPS = ("ABS", "ADD", "ARG_MAX", "DIV", "EXP", "GREATER", "GREATER_EQUAL", "LOG", "MAXIMUM",
             "MEAN", "MUL", "NEG", "REDUCE_MAX", "SELECT", "SOFTMAX", "SQUARE",
             "SQUARED_DIFFERENCE", "SUB")


def _archive(model: ADeGAN, batch: int | None, uint8: bool = True) -> keras.export.ExportArchive:
    """An export archive of the scoring graph, input in [0, 255]."""
    shape = (batch,) + model.image_shape

    def score(images):
        return model(tf.cast(images, tf.float32) / 127.5 - 1.0, training=False)

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("score", score,
                         input_signature=[tf.TensorSpec(shape, tf.float32, name="images")])
    if uint8:
        archive.add_endpoint("score_uint8", score,
                             input_signature=[tf.TensorSpec(shape, tf.uint8, name="images")])
    return archive


def tflite_ops(content: bytes) -> list[str]:
    """Names of the operators in a TFLite flatbuffer (custom ops, e.g. Flex, by their own name)."""
    builtin = {code: name for name, code in vars(schema.BuiltinOperator).items()
               if not name.startswith("_")}
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(content))
    return sorted({op.customCode.decode() if op.customCode
                   else builtin[max(op.builtinCode, op.deprecatedBuiltinCode)]
                   for op in model.operatorCodes})


def convert_tflite(saved_model_dir: Path, quantization: str,
                   representative: np.ndarray | None = None) -> bytes:
    """Convert the `score` signature of a SavedModel to TFLite with built-in ops only."""
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir),
                                                         signature_keys=["score"])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "int8":
        if representative is None or len(representative) == 0:
            raise ADeGANError("int8 quantization needs representative images (training normals)")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                                               tf.lite.OpsSet.TFLITE_BUILTINS]

        def samples():
            for image in representative:
                yield [image[None].astype(np.float32)]

        converter.representative_dataset = samples
    elif quantization != "none":
        raise ADeGANError(f"unknown quantization {quantization!r}; choose from "
                          f"{', '.join(QUANTIZATIONS)}")
    try:
        if quantization == "int8":
            # The per-image score ops after the networks stay float: int8 cannot hold a
            # log-probability, and softmax -> reduce_max breaks the quantizer's scale rules.
            options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(FLOAT_OPS))
            with warnings.catch_warnings():  # the debugger uses the deprecated tf.lite.Interpreter
                warnings.simplefilter("ignore", UserWarning)
                content = tf.lite.experimental.QuantizationDebugger(
                    converter=converter, debug_dataset=samples,
                    debug_options=options).get_nondebug_quantized_model()
        else:
            content = converter.convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many types; all mean "cannot"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ADeGANError(f"TFLite conversion ({quantization}) with built-in ops only failed: "
                          f"{reason}") from None
    flex = [name for name in tflite_ops(content) if "Flex" in name]
    if flex:
        raise ADeGANError(f"the TFLite graph needs Flex ops {flex}, which edge runtimes lack")
    return content


def _representative(model: ADeGAN, data_dir, images) -> np.ndarray:
    """Training normals (uint8) for int8 calibration: given, or re-read from the model's dataset."""
    if images is not None:
        return np.asarray(images)[:REPRESENTATIVE_IMAGES]
    run = model.run_config
    if not run.get("dataset") or run["dataset"] == "folder":
        raise ADeGANError("int8 needs representative images: pass --representative FOLDER "
                          "with some normal training images")
    return run_splits(run, data_dir).train_x[:REPRESENTATIVE_IMAGES]


def export_detector(model_path, out_dir, formats=FORMATS, quantizations=tuple(QUANTIZATIONS),
                    representative=None, data_dir=None, overwrite: bool = False) -> dict:
    """Write the SavedModel, TFLite files and `manifest.json` for a saved detector.

    Args:
        model_path: a calibrated `model.keras` written by `keras_adegan.train`.
        out_dir: folder to write; it must not already hold an export (unless `overwrite`).
        formats: any of "savedmodel", "tflite".
        quantizations: TFLite variants, any of "none", "float16", "int8".
        representative: uint8 training normals (N, H, W, C) for int8 calibration; None
            re-reads them from the model's dataset (found through `data_dir`).
        data_dir: where the model's dataset is, for the representative images.
        overwrite: replace an earlier export in `out_dir`.

    Returns:
        The manifest (also written to `out_dir/manifest.json`).
    """
    unknown = sorted(set(formats) - set(FORMATS)) + sorted(set(quantizations) - set(QUANTIZATIONS))
    if unknown:
        raise ADeGANError(f"unknown format or quantization {unknown[0]!r}; formats: "
                          f"{', '.join(FORMATS)}; quantizations: {', '.join(QUANTIZATIONS)}")
    out = Path(out_dir)
    if (out / "manifest.json").exists() and not overwrite:
        raise ADeGANError(f"{out} already holds an export; choose another --out or pass --overwrite")
    model = load_detector(model_path)
    out.mkdir(parents=True, exist_ok=True)
    metrics_path = Path(model_path).parent / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    manifest = {
        "source_model": str(model_path),
        "input": {"shape": [None, *model.image_shape], "range": [0, 255],
                  "dtype": {"savedmodel:score": "float32", "savedmodel:score_uint8": "uint8",
                            "tflite": "float32"}},
        "outputs": list(OUTPUTS),
        "threshold": float(keras.ops.convert_to_numpy(model.threshold)),
        "recon_mean": float(keras.ops.convert_to_numpy(model.recon_mean)),
        "recon_std": float(keras.ops.convert_to_numpy(model.recon_std)),
        "config": model.run_config,
        "training_metrics": {k: metrics[k] for k in ("test", "validation", "calibration")
                             if k in metrics},
        "files": {},
        "versions": library_versions(),
    }
    if "savedmodel" in formats:
        target = out / "savedmodel"
        if target.exists():
            shutil.rmtree(target)
        _archive(model, None).write_out(str(target), verbose=False)
        manifest["files"]["savedmodel"] = {"signatures": ["score", "score_uint8"]}
    if "tflite" in formats:
        reps = _representative(model, data_dir, representative) if "int8" in quantizations else None
        with tempfile.TemporaryDirectory() as tmp:
            for batch, suffix in ((1, ""), (None, "_batch")):
                saved = Path(tmp) / f"batch{batch}"
                _archive(model, batch, uint8=False).write_out(str(saved), verbose=False)
                for quantization in quantizations:
                    name = f"model_{QUANTIZATIONS[quantization]}{suffix}.tflite"
                    try:
                        content = convert_tflite(saved, quantization, reps)
                    except ADeGANError as exc:
                        if batch is None:  # the dynamic-batch variant is optional
                            manifest["files"][name] = {"skipped": str(exc)}
                            continue
                        raise
                    (out / name).write_bytes(content)
                    manifest["files"][name] = {
                        "quantization": quantization, "batch": batch or "dynamic",
                        "input_dtype": "float32",
                        "bytes": len(content), "ops": tflite_ops(content)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
