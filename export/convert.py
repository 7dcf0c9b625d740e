"""Export a calibrated detector (G∘E and E) as a SavedModel and as TFLite files with a manifest.

Every exported graph takes images as the user has them, pixel values in [0, 255]; scaling to
[-1, 1], the feature bank, the calibration statistics and the thresholds are inside the graph;
there are no random ops. Two graphs:

* `full` (G∘E): the outputs of `ADeGAN.call`, both scores
  (`score`/`is_anomaly` of the model's chosen score, `paper_score`, `feature_score`) and the
  paper's parts;
* `features` (E alone, no G): `score`/`is_anomaly` of the feature score, `feature_score`,
  `pattern_prob`, `pattern` (`ADeGAN.feature_call`); much smaller and faster.

Files:

* SavedModel: signatures `score` (float32 input, any batch) and `score_uint8` (uint8 input) for
  the full graph, `features` and `features_uint8` for the E-only graph.
* TFLite (built-in ops only; a graph that would need Flex ops fails to convert):
  `model_<q>.tflite` (full) and `features_<q>.tflite` (E only) with a static batch of 1, and
  `..._batch.tflite` with a dynamic batch when it converts. `q` is `fp32`, `fp16` (float16
  weights), `int8w` (dynamic-range: int8 weights and bank, float activations), `int8` (int8
  weights and activations in the networks and the bank, calibrated on training normals; every
  other operation, i.e. the per-image score arithmetic, stays float, see `float_ops`) or
  `int8wo` (weight-only: the networks' weights int8, dequantized to float at run time, the
  bank float16; `weight_only`). TFLite inputs are float32.

Example:
    >>> from export.convert import export_detector
    >>> manifest = export_detector("runs/digits-class0-seed0/model.keras", "exported/",
    ...                            representative=train_normals_uint8)
"""

from __future__ import annotations

import itertools
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

from .formats import FORMATS, GRAPHS, QUANTIZATIONS, REPRESENTATIVE_IMAGES, SIGNATURES
from keras_adegan.config import SCORE_FIELDS
from keras_adegan.errors import ADeGANError
from keras_adegan.factory import load_detector
from keras_adegan.features import PADDING
from keras_adegan.images import scale_pixels
from keras_adegan.model import FEATURE_OUTPUTS, OUTPUTS, PART_OUTPUTS, ADeGAN
from keras_adegan.outputs import files_under, mark, marker, refuse_unowned
from keras_adegan.provenance import library_versions
from keras_adegan.splits import run_splits
from keras_adegan.startup import quiet_native_stderr

# The operators of the networks (and of the bank's matmul): the only ones int8 quantizes.
# Every other operator of a graph, whatever its type (SELECT_V2, TOPK_V2, the erfc polynomial's
# ADD/MUL, ...), is kept float: see `float_ops`.
NETWORK_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV", "FULLY_CONNECTED",
               "BATCH_MATMUL", "LEAKY_RELU", "RELU", "TANH", "RESHAPE")
# The scope of the scoring head's weights (the feature bank) in a converted graph's tensor names.
BANK_SCOPE = "scoring_head"


def _endpoint(forward):
    def score(images):
        return forward(scale_pixels(tf.cast(images, tf.float32)))
    return score


def _archive(model: ADeGAN, batch: int | None, graphs, uint8: bool = True):
    """An export archive of the given scoring graphs ("full", "features"), input in [0, 255].

    Endpoint names: `score` (full) and `features` (E only), plus `<name>_uint8` with `uint8`.
    """
    shape = (batch,) + model.image_shape
    archive = keras.export.ExportArchive()
    archive.track(model)
    for graph in graphs:
        score = _endpoint(model.feature_call if graph == "features" else model)
        name = SIGNATURES[graph]
        archive.add_endpoint(name, score,
                             input_signature=[tf.TensorSpec(shape, tf.float32, name="images")])
        if uint8:
            archive.add_endpoint(f"{name}_uint8", score,
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


def float_ops(float_content: bytes) -> list[str]:
    """The operator types of a float TFLite graph that int8 must leave float: all but
    NETWORK_OPS (int8 cannot hold a log-probability or a distance to a far-off image, and
    softmax -> reduce_max breaks the quantizer's scale rules)."""
    return [op for op in tflite_ops(float_content) if op not in NETWORK_OPS]


def weight_only(float_content: bytes) -> bytes:
    """A float TFLite graph with every network weight stored as int8 (symmetric, per output
    channel) and dequantized to float at run time, and the feature bank (every weight of the
    scoring head) as float16; the arithmetic stays float. The bank's int8 rounding is what
    moves most of `int8w`'s decisions, so this file keeps nearer Keras at about its size.
    Made with ai-edge-quantizer (LiteRT's quantizer for TFLite files)."""
    try:
        from ai_edge_quantizer import quantizer
    except ImportError:
        raise ADeGANError("the weight_only quantization needs ai-edge-quantizer: pip install "
                          "ai-edge-quantizer, or leave it out of --quantize") from None
    int8 = {"weight_tensor_config": {"num_bits": 8, "symmetric": True,
                                     "granularity": "CHANNELWISE", "dtype": "INT"},
            "compute_precision": "FLOAT", "explicit_dequantize": True}
    float16 = {"weight_tensor_config": {"num_bits": 16, "dtype": "FLOAT"},
               "compute_precision": "FLOAT", "explicit_dequantize": True}
    recipe = [{"regex": ".*", "operation": "*", "algorithm_key": "min_max_uniform_quantize",
               "op_config": int8},
              {"regex": f".*{BANK_SCOPE}.*", "operation": "*", "algorithm_key": "float_casting",
               "op_config": float16}]
    try:
        with quiet_native_stderr():
            result = quantizer.Quantizer(bytearray(float_content), recipe).quantize(
                enable_progress_report=False)
    except Exception as exc:  # noqa: BLE001 - the quantizer raises many types; all mean "cannot"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ADeGANError(f"TFLite conversion (weight_only) failed: {reason}") from None
    return bytes(result.quantized_model)


def convert_tflite(saved_model_dir: Path, quantization: str,
                   representative: np.ndarray | None = None, signature: str = "score") -> bytes:
    """Convert one signature of a SavedModel to TFLite with built-in ops only."""
    if quantization == "int8":  # the float graph tells which operators to keep float
        denylist = float_ops(convert_tflite(saved_model_dir, "none", signature=signature))
    if quantization == "weight_only":
        return weight_only(convert_tflite(saved_model_dir, "none", signature=signature))
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir),
                                                         signature_keys=[signature])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    elif quantization == "dynamic":  # int8 weights, float activations: no calibration
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
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
            options = tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=denylist)
            # the debugger uses the deprecated tf.lite.Interpreter; the quantizer prints a
            # `fully_quantize: ...` line per call to file descriptor 2
            with warnings.catch_warnings(), quiet_native_stderr():
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
    """Images (uint8) for int8 calibration: a seeded random sample of the given ones, or of the
    model's training normals (never its anomaly class), re-read from its recorded dataset."""
    if images is None:
        if not model.run_config.get("dataset"):
            raise ADeGANError("int8 needs representative images: pass --representative FOLDER "
                              "with some normal training images")
        images = run_splits(model.run_config, data_dir).train_x
    images = np.asarray(images)
    pick = np.random.default_rng(model.seed).permutation(len(images))[:REPRESENTATIVE_IMAGES]
    return images[np.sort(pick)]


def export_detector(model_path, out_dir, formats=FORMATS, quantizations=tuple(QUANTIZATIONS),
                    representative=None, data_dir=None, overwrite: bool = False,
                    graphs=tuple(GRAPHS)) -> dict:
    """Write the SavedModel, TFLite files and `manifest.json` for a saved detector.

    Args:
        model_path: a calibrated `model.keras` written by `keras_adegan.train`.
        out_dir: folder to write; it must not already hold an export (unless `overwrite`).
        formats: any of "savedmodel", "tflite".
        quantizations: TFLite variants, any keys of `export.formats.QUANTIZATIONS`.
        graphs: any of "full" (G∘E, both scores) and "features" (E only, the feature score).
        representative: uint8 training normals (N, H, W, C) for int8 calibration; None
            re-reads them from the model's dataset (found through `data_dir`).
        data_dir: where the model's dataset is, for the representative images.
        overwrite: replace an earlier export in `out_dir`.

    Returns:
        The manifest (also written to `out_dir/manifest.json`).
    """
    unknown = (sorted(set(formats) - set(FORMATS)) + sorted(set(quantizations) - set(QUANTIZATIONS))
               + sorted(set(graphs) - set(GRAPHS)))
    if unknown:
        raise ADeGANError(f"unknown format, quantization or graph {unknown[0]!r}; formats: "
                          f"{', '.join(FORMATS)}; quantizations: {', '.join(QUANTIZATIONS)}; "
                          f"graphs: {', '.join(GRAPHS)}")
    out = Path(out_dir)
    if (out / "manifest.json").exists() and not overwrite:
        raise ADeGANError(f"{out} already holds an export; choose another --output or pass --overwrite")
    if out.exists() and not out.is_dir():
        raise ADeGANError(f"{out} is a file; choose a folder for --output")
    # --overwrite replaces the whole folder: only one that holds nothing but an export
    written = set((marker(out) or {}).get("files", []))
    refuse_unowned(out, "export", written.__contains__, "choose a new or empty folder for --output")
    model = load_detector(model_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    final, out = out, Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        manifest = _write_export(model, model_path, out, formats, quantizations, graphs,
                                 representative, data_dir)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    if final.exists() and any(final.iterdir()) and not overwrite:  # made meanwhile
        shutil.rmtree(out, ignore_errors=True)
        raise ADeGANError(f"{final} was created by another process while this one worked; "
                          "nothing was written: choose another --output")
    if final.exists():  # an earlier export, replaced only now that the new one is complete
        shutil.rmtree(final)
    out.rename(final)
    return manifest


def _float32(model: ADeGAN) -> ADeGAN:
    """The same detector computing in float32: TFLite has no built-in bfloat16 convolution,
    and a mixed-precision model's variables are float32 already."""
    if model.precision == "float32":
        return model
    twin = type(model).from_config({**model.get_config(), "precision": "float32"})
    twin.set_weights(model.get_weights())
    return twin


def _write_export(model, model_path, out: Path, formats, quantizations, graphs, representative,
                  data_dir) -> dict:
    """Write every file of an export into the (new, empty) folder `out`."""
    model = _float32(model)

    def value(variable) -> float:
        return float(keras.ops.convert_to_numpy(variable))

    metrics_path = Path(model_path).parent / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    parts = list(PART_OUTPUTS) if model.head.needs_rotation else []
    manifest = {
        "source_model": str(model_path),
        "input": {"shape": [None, *model.image_shape], "range": [0, 255],
                  "dtype": {"savedmodel:score": "float32", "savedmodel:score_uint8": "uint8",
                            "tflite": "float32"}},
        "outputs": {"full": list(OUTPUTS) + parts, "features": list(FEATURE_OUTPUTS) + parts},
        "score": model.head.score,
        "threshold": value(model.threshold),
        "paper_threshold": value(model.head.paper_threshold),
        "feature_threshold": value(model.head.feature_threshold),
        "feature_score": {**{k: model.get_config()[k] for k in SCORE_FIELDS if k != "score"},
                          "bank_rows": int(np.sum(keras.ops.convert_to_numpy(model.head.bias)
                                                  < PADDING)),
                          "bank_storage": {"fp32": "float32", "fp16": "float16", "int8w": "int8",
                                           "int8": "int8", "int8wo": "float16"}},
        "recon_mean": value(model.head.recon_mean),
        "recon_std": value(model.head.recon_std),
        "config": model.run_config,
        "training_metrics": {k: metrics[k] for k in ("test", "validation", "calibration")
                             if k in metrics},
        "files": {},
        "versions": library_versions(),
    }
    if "savedmodel" in formats:
        _archive(model, None, graphs).write_out(str(out / "savedmodel"), verbose=False)
        manifest["files"]["savedmodel"] = {
            "signatures": [f"{SIGNATURES[g]}{t}" for g in graphs for t in ("", "_uint8")]}
    if "tflite" in formats:
        reps = _representative(model, data_dir, representative) if "int8" in quantizations else None
        with tempfile.TemporaryDirectory() as tmp:
            for graph, (batch, suffix) in itertools.product(graphs, ((1, ""), (None, "_batch"))):
                saved = Path(tmp) / f"{graph}{batch}"
                _archive(model, batch, [graph], uint8=False).write_out(str(saved), verbose=False)
                for quantization in quantizations:
                    name = f"{GRAPHS[graph]}_{QUANTIZATIONS[quantization]}{suffix}.tflite"
                    try:
                        content = convert_tflite(saved, quantization, reps, SIGNATURES[graph])
                    except ADeGANError as exc:
                        if batch is None:  # the dynamic-batch variant is optional
                            manifest["files"][name] = {"skipped": str(exc)}
                            continue
                        raise
                    (out / name).write_bytes(content)
                    manifest["files"][name] = {
                        "graph": graph, "quantization": quantization, "batch": batch or "dynamic",
                        "input_dtype": "float32",
                        "bytes": len(content), "ops": tflite_ops(content)}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    mark(out, "export", files_under(out))
    return manifest
