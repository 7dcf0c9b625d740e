import json

import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from export.__main__ import main
from export.convert import export_detector, tflite_ops
from export.edge_score import EdgeScorer
from keras_adegan.errors import ADeGANError
from keras_adegan.score import load_detector


@pytest.fixture(scope="module")
def exported(trained_run, digits_splits, tmp_path_factory):
    run, _ = trained_run
    out = tmp_path_factory.mktemp("export")
    manifest = export_detector(run / "model.keras", out, representative=digits_splits.train_x)
    model = load_detector(run / "model.keras")
    keras_out = model.score(digits_splits.test_x.astype(np.float32) / 127.5 - 1.0)
    return out, manifest, keras_out


def test_savedmodel_signatures_match_keras(exported, digits_splits):
    out, _, keras_out = exported
    loaded = tf.saved_model.load(str(out / "savedmodel"))
    x = digits_splits.test_x[:64]
    for name, images in (("score", x.astype(np.float32)), ("score_uint8", x)):
        got = loaded.signatures[name](images=tf.constant(images))
        np.testing.assert_allclose(got["score"].numpy(), keras_out["score"][:64], rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(got["is_anomaly"].numpy(), keras_out["is_anomaly"][:64])
        np.testing.assert_array_equal(got["pattern"].numpy(), keras_out["pattern"][:64])


@pytest.mark.parametrize("name", ["model_fp32.tflite", "model_fp32_batch.tflite"])
def test_tflite_fp32_matches_keras(exported, digits_splits, name):
    out, _, keras_out = exported
    got = EdgeScorer(out / name).score(digits_splits.test_x[:64])
    for key in ("score", "recon_error", "pattern_prob"):
        np.testing.assert_allclose(got[key], keras_out[key][:64], rtol=1e-4, atol=1e-4)
    np.testing.assert_array_equal(got["is_anomaly"], keras_out["is_anomaly"][:64])


@pytest.mark.parametrize("name,tolerance", [("model_fp16.tflite", 0.005), ("model_int8.tflite", 0.02)])
def test_quantized_auroc_stays_close(exported, digits_splits, name, tolerance):
    out, _, keras_out = exported
    got = EdgeScorer(out / name).score(digits_splits.test_x)
    reference = roc_auc_score(digits_splits.test_y, keras_out["score"])
    assert abs(roc_auc_score(digits_splits.test_y, got["score"]) - reference) <= tolerance


def test_every_tflite_file_uses_builtin_ops_only_and_is_in_the_manifest(exported):
    out, manifest, _ = exported
    files = sorted(p.name for p in out.glob("*.tflite"))
    assert files == sorted(n for n, info in manifest["files"].items() if "bytes" in info)
    assert {"model_fp32.tflite", "model_fp16.tflite", "model_int8.tflite"} <= set(files)
    for name in files:
        ops = tflite_ops((out / name).read_bytes())
        assert "CONV_2D" in ops and not any("Flex" in op for op in ops), name
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["outputs"][0] == "score" and saved["threshold"] == manifest["threshold"]
    assert saved["config"]["dataset"] == "digits" and "auroc_combined" in saved["training_metrics"]["test"]
    assert saved["input"]["shape"] == [None, 16, 16, 1]


def test_int8_file_holds_int8_weights(exported):
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(exported[0] / "model_int8.tflite"))
    dtypes = {d["dtype"] for d in interpreter.get_tensor_details()}
    assert np.int8 in dtypes


def test_refuses_to_overwrite_an_export(exported, trained_run, capsys):
    out, _, _ = exported
    before = (out / "manifest.json").read_text()
    assert main(["--model", str(trained_run[0] / "model.keras"), "--out", str(out)]) == 2
    assert "already holds an export" in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == before


def test_unknown_quantization_is_a_clear_error(trained_run, tmp_path):
    with pytest.raises(ADeGANError, match="unknown format or quantization 'int4'"):
        export_detector(trained_run[0] / "model.keras", tmp_path, quantizations=["int4"])
    with pytest.raises(SystemExit):
        main(["--model", "m.keras", "--out", str(tmp_path), "--quantize", "int4"])
