import json

import numpy as np
import pytest
import tensorflow as tf
from sklearn.metrics import roc_auc_score

from export.__main__ import main
from export.convert import (BANK_SCOPE, NETWORK_OPS, export_detector, float_ops, tflite_ops,
                            weight_only)
from export.edge_score import EdgeScorer
from keras_adegan.errors import ADeGANError
from keras_adegan.factory import load_detector
from keras_adegan.model import FEATURE_OUTPUTS, OUTPUTS, PART_OUTPUTS

FILES = [f"{graph}_{q}{batch}.tflite" for graph in ("model", "features")
         for q in ("fp32", "fp16", "int8w", "int8", "int8wo") for batch in ("", "_batch")]
AUROC_TOLERANCE = {"fp16": 0.005, "int8w": 0.005, "int8": 0.01, "int8wo": 0.005}


@pytest.fixture(scope="module")
def exported(trained_run, digits_splits, tmp_path_factory):
    run, _ = trained_run
    out = tmp_path_factory.mktemp("export") / "exported"
    manifest = export_detector(run / "model.keras", out, representative=digits_splits.train_x)
    model = load_detector(run / "model.keras")
    keras_out = model.score(digits_splits.test_x.astype(np.float32) / 127.5 - 1.0)
    keras_out["feature_is_anomaly"] = keras_out["feature_score"] > model.head.feature_threshold.numpy()
    return out, manifest, keras_out


def test_savedmodel_signatures_match_keras(exported, digits_splits):
    out, _, keras_out = exported
    loaded = tf.saved_model.load(str(out / "savedmodel"))
    x = digits_splits.test_x[:64]
    for name, images in (("score", x.astype(np.float32)), ("score_uint8", x),
                         ("features", x.astype(np.float32)), ("features_uint8", x)):
        got = loaded.signatures[name](images=tf.constant(images))
        for key in ("score", "feature_score", "paper_score"):
            if key in got:
                expected = keras_out["feature_score" if name.startswith("features") and key == "score"
                                     else key][:64]
                np.testing.assert_allclose(got[key].numpy(), expected, rtol=1e-4, atol=1e-4)
        np.testing.assert_array_equal(got["pattern"].numpy(), keras_out["pattern"][:64])
        if name.startswith("score"):
            np.testing.assert_array_equal(got["is_anomaly"].numpy(), keras_out["is_anomaly"][:64])


def _expected(keras_out, name):
    """The Keras outputs a file must reproduce (the E-only graph's `score` is the feature score)."""
    if name.startswith("features"):
        return {**keras_out, "score": keras_out["feature_score"],
                "is_anomaly": keras_out["feature_is_anomaly"]}
    return keras_out


@pytest.mark.parametrize("name", [f for f in FILES if "fp32" in f])
def test_every_fp32_file_matches_keras(exported, digits_splits, name):
    out, _, keras_out = exported
    got = EdgeScorer(out / name).score(digits_splits.test_x)
    expected = _expected(keras_out, name)
    assert set(got) == set(OUTPUTS if name.startswith("model") else FEATURE_OUTPUTS)
    for key in got:
        if key not in ("is_anomaly", "pattern"):
            np.testing.assert_allclose(got[key], expected[key], rtol=1e-4, atol=1e-4, err_msg=key)
    np.testing.assert_array_equal(got["pattern"], expected["pattern"])
    np.testing.assert_array_equal(got["is_anomaly"], expected["is_anomaly"])


@pytest.mark.parametrize("name", [f for f in FILES if "fp32" not in f])
def test_every_quantized_file_keeps_auroc_of_each_score(exported, digits_splits, name):
    out, _, keras_out = exported
    got = EdgeScorer(out / name).score(digits_splits.test_x)
    tolerance = AUROC_TOLERANCE[name.split("_")[1].split(".")[0]]
    for key in ("feature_score", "paper_score"):
        if key in got:
            reference = roc_auc_score(digits_splits.test_y, keras_out[key])
            assert abs(roc_auc_score(digits_splits.test_y, got[key]) - reference) <= tolerance, key
    flips = np.mean(got["is_anomaly"] != _expected(keras_out, name)["is_anomaly"])
    assert flips <= 0.02, f"{flips:.1%} of decisions differ from Keras"


def test_every_file_is_built_in_only_listed_in_the_manifest_and_e_only_is_smaller(exported):
    out, manifest, _ = exported
    assert sorted(p.name for p in out.glob("*.tflite")) == sorted(FILES)
    assert sorted(n for n, info in manifest["files"].items() if "bytes" in info) == sorted(FILES)
    for name in FILES:
        ops = tflite_ops((out / name).read_bytes())
        assert "CONV_2D" in ops and "TOPK_V2" in ops and not any("Flex" in op for op in ops), name
        assert ("TRANSPOSE_CONV" in ops) == name.startswith("model"), name  # no G in E-only
    for q in ("fp32", "fp16", "int8w", "int8", "int8wo"):
        assert (out / f"features_{q}.tflite").stat().st_size < (out / f"model_{q}.tflite").stat().st_size
    saved = json.loads((out / "manifest.json").read_text())
    assert saved["outputs"]["full"][0] == "score" and saved["threshold"] == manifest["threshold"]
    assert saved["score"] == "features" and saved["threshold"] == saved["feature_threshold"]
    assert saved["feature_score"]["bank_rows"] == 256
    assert saved["config"]["dataset"] == "digits" and "auroc_features" in saved["training_metrics"]["test"]
    assert saved["input"]["shape"] == [None, 16, 16, 1]
    assert not list(out.parent.glob(".exported.partial-*"))  # the temporary folder is gone


def test_int8_keeps_every_non_network_operator_float(exported):
    out, _, _ = exported
    for name in ("model_fp32_batch.tflite", "features_fp32.tflite"):
        kept = float_ops((out / name).read_bytes())
        assert kept and not set(kept) & set(NETWORK_OPS)
    assert "SELECT_V2" in float_ops((out / "model_fp32_batch.tflite").read_bytes()) or \
        "SELECT" in float_ops((out / "model_fp32_batch.tflite").read_bytes())


def test_int8_file_holds_int8_weights(exported):
    from ai_edge_litert.interpreter import Interpreter

    for name in ("model_int8.tflite", "features_int8.tflite"):
        interpreter = Interpreter(model_path=str(exported[0] / name))
        assert np.int8 in {d["dtype"] for d in interpreter.get_tensor_details()}, name


def test_dynamic_file_has_int8_weights_and_float_activations(exported):
    from ai_edge_litert.interpreter import Interpreter

    out = exported[0]
    interpreter = Interpreter(model_path=str(out / "features_int8w.tflite"))
    details = interpreter.get_tensor_details()
    assert np.int8 in {d["dtype"] for d in details}
    assert interpreter.get_output_details()[0]["dtype"] == np.float32
    fp32, int8w = ((out / f"features_{q}.tflite").stat().st_size for q in ("fp32", "int8w"))
    assert int8w < 0.5 * fp32  # the weights are stored as int8


def test_weight_only_file_stores_int8_weights_and_a_float16_bank(exported):
    from ai_edge_litert.interpreter import Interpreter

    out, manifest, _ = exported
    for graph in ("model", "features"):
        interpreter = Interpreter(model_path=str(out / f"{graph}_int8wo.tflite"))
        details = interpreter.get_tensor_details()
        bank = [d for d in details if d["dtype"] == np.float16]
        assert bank and all(BANK_SCOPE in d["name"] for d in bank), graph  # the bank only
        assert any(d["dtype"] == np.int8 and len(d["shape"]) > 1 for d in details), graph
        assert "DEQUANTIZE" in tflite_ops((out / f"{graph}_int8wo.tflite").read_bytes())
    fp32, int8wo = ((out / f"features_{q}.tflite").stat().st_size for q in ("fp32", "int8wo"))
    assert int8wo < 0.5 * fp32
    assert manifest["feature_score"]["bank_storage"]["int8wo"] == "float16"


def test_weight_only_of_a_file_that_is_not_tflite_fails_with_one_line():
    with pytest.raises(ADeGANError, match=r"^TFLite conversion \(weight_only\) failed: "):
        weight_only(b"not a flatbuffer")


def test_weight_only_without_its_quantizer_says_what_to_install(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_quantizer(name, *args, **kwargs):
        if name.startswith("ai_edge_quantizer"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_quantizer)
    with pytest.raises(ADeGANError, match="pip install ai-edge-quantizer"):
        weight_only(b"")


@pytest.mark.slow
def test_int8_conversion_prints_nothing_of_the_quantizer(trained_run, digits_splits, tmp_path,
                                                         capfd):
    """The TFLite quantizer writes `fully_quantize: ...` to file descriptor 2 per call."""
    export_detector(trained_run[0] / "model.keras", tmp_path / "out", formats=["tflite"],
                    quantizations=["int8"], graphs=["features"],
                    representative=digits_splits.train_x[:8])
    assert "fully_quantize" not in capfd.readouterr().err


def test_refuses_to_overwrite_an_export(exported, trained_run, capsys):
    out, _, _ = exported
    before = (out / "manifest.json").read_text()
    assert main(["--model", str(trained_run[0] / "model.keras"), "--out", str(out)]) == 2
    assert "already holds an export" in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == before


def test_overwrite_replaces_an_export_only_when_it_holds_nothing_else(exported, trained_run,
                                                                     tmp_path, capsys):
    """A user's file in an export folder is never deleted by --overwrite; a folder of the
    user's own files is never taken for an export."""
    import shutil

    out = tmp_path / "exp"
    shutil.copytree(exported[0], out)
    (out / "NOTES.txt").write_text("mine")
    args = ["--model", str(trained_run[0] / "model.keras"), "--out", str(out), "--overwrite",
            "--formats", "savedmodel"]
    assert main(args) == 2
    assert "did not write: NOTES.txt" in capsys.readouterr().err
    assert (out / "NOTES.txt").read_text() == "mine" and (out / "manifest.json").exists()
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "manifest.json").write_text("{}")  # not written by the project
    assert main(args[:3] + [str(tmp_path / "own"), "--overwrite"]) == 2
    assert "no .keras-adegan marker: it is no keras-adegan export" in capsys.readouterr().err
    assert (tmp_path / "own" / "manifest.json").read_text() == "{}"
    (out / "NOTES.txt").unlink()
    assert main(args) == 0  # nothing but an export: replaced


def test_never_writes_into_a_folder_of_other_files(trained_run, tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep")
    assert main(["--model", str(trained_run[0] / "model.keras"), "--out", str(tmp_path)]) == 2
    assert "holds files that keras-adegan did not write (mine.txt" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_an_export_never_replaces_one_another_process_made_meanwhile(trained_run, tmp_path,
                                                                    monkeypatch):
    """Two exports to one new folder: the one that finishes second is refused and removes its
    own files; the first one's export stays."""
    import export.convert as convert

    target = tmp_path / "exp"
    real = convert._write_export

    def slow(*args, **kwargs):  # another export lands in the target while this one works
        target.mkdir()
        (target / "manifest.json").write_text("the other export")
        return real(*args, **kwargs)

    monkeypatch.setattr(convert, "_write_export", slow)
    with pytest.raises(ADeGANError, match="created by another process while this one worked"):
        convert.export_detector(trained_run[0] / "model.keras", target, formats=["savedmodel"])
    assert (target / "manifest.json").read_text() == "the other export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exp"]


def test_a_failed_export_leaves_nothing_behind(trained_run, tmp_path):
    model = load_detector(trained_run[0] / "model.keras")
    model.run_config = {}  # no recorded dataset: int8 without representative images must fail
    path = tmp_path / "folder_model.keras"
    model.save(path)
    with pytest.raises(ADeGANError, match="representative"):
        export_detector(path, tmp_path / "out", quantizations=["int8"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder_model.keras"]


def test_unknown_quantization_or_graph_is_a_clear_error(trained_run, tmp_path):
    with pytest.raises(ADeGANError, match="unknown format, quantization or graph 'int4'"):
        export_detector(trained_run[0] / "model.keras", tmp_path, quantizations=["int4"])
    with pytest.raises(ADeGANError, match="'decoder'"):
        export_detector(trained_run[0] / "model.keras", tmp_path, graphs=["decoder"])
    with pytest.raises(SystemExit):
        main(["--model", "m.keras", "--out", str(tmp_path), "--quantize", "int4"])


@pytest.mark.slow
@pytest.mark.parametrize("options,graph,output,atol", [
    ({"precision": "mixed_bfloat16"}, "features", "feature_score", 0.02),  # bf16 rounding in Keras
    ({"real_task": "rotation"}, "features", "feature_score", 1e-4),  # E with a rotation head
    ({"real_task": "rotation", "rotation_score_weight": 1.0}, "features", "feature_score",
     1e-4),                                                          # + rotation score
    ({"reading": "literal"}, "full", "paper_score", 1e-4),           # Eq. 11 as printed
    ({"extractor_rank": 3, "feature_projection": 2, "real_task": "rotation",
      "rotation_score_weight": 1.0}, "features", "feature_score", 1e-4),                                                          # a compact E and bank
    ({"extractor_rank": 3, "feature_projection": 2}, "full", "paper_score", 1e-4),  # S: E intact
    ({"real_task": "clusters", "feature_source": "extractor"}, "features", "feature_score",
     1e-4),                                                          # the MNIST preset's kind
    ({"real_task": "clusters", "feature_source": "extractor"}, "full", "paper_score", 1e-4),
], ids=["bfloat16", "rotation-task", "rotation-score", "literal-reading", "compact",
        "compact-full", "cluster-task", "cluster-task-full"])
def test_other_kinds_of_model_export_with_parity(tmp_path, options, graph, output, atol):
    from keras_adegan import ADeGAN, to_model_range
    from tests.conftest import random_images

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, bank_size=32,
                   run_config={"dataset": "toy"}, **options)
    model.compile()
    model.fit_feature_score(to_model_range(random_images(40, seed=1)))
    model.calibrate(to_model_range(random_images(40, seed=2)))
    model.save(tmp_path / "m.keras")
    images = random_images(16, seed=3)
    manifest = export_detector(tmp_path / "m.keras", tmp_path / "out", formats=["tflite"],
                               quantizations=["none"], graphs=[graph])
    parts = list(PART_OUTPUTS) if options.get("rotation_score_weight") else []
    assert manifest["outputs"]["features"] == list(FEATURE_OUTPUTS) + parts
    prefix = "features" if graph == "features" else "model"
    expected = model.score(to_model_range(images))
    files = sorted((tmp_path / "out").glob(f"{prefix}_fp32*.tflite"))  # batch 1, and dynamic
    assert tmp_path / "out" / f"{prefix}_fp32.tflite" in files
    for path in files:
        got = EdgeScorer(path).score(images)
        assert set(got) == set(FEATURE_OUTPUTS if graph == "features" else OUTPUTS) | set(parts)
        for key in [output] + parts:  # a rotation score's parts, unstandardised, as well
            np.testing.assert_allclose(got[key], expected[key], atol=atol, rtol=atol,
                                       err_msg=f"{path.name}: {key}")


def test_representative_folder_named_like_the_anomaly_class_is_warned(tmp_path, capsys):
    from export.__main__ import warn_if_anomalous

    run = {"dataset": "fashion_mnist", "anomaly_class": 5}  # 5 is Sandal
    (tmp_path / "reps" / "Trouser").mkdir(parents=True)
    warn_if_anomalous(tmp_path / "reps", run)
    assert capsys.readouterr().err == ""
    (tmp_path / "reps" / "sandal").mkdir()
    warn_if_anomalous(tmp_path / "reps", run)
    err = capsys.readouterr().err
    assert err.startswith("warning:") and "sandal" in err and "(Sandal)" in err


@pytest.mark.slow
def test_a_low_rank_e_makes_a_smaller_file(tmp_path):
    from keras_adegan import ADeGAN, to_model_range
    from tests.conftest import random_images

    sizes = {}
    for rank in (None, 2):
        model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=8,
                       bank_size=8, extractor_rank=rank, run_config={"dataset": "toy"})
        model.compile()
        model.fit_feature_score(to_model_range(random_images(40, seed=1)))
        model.calibrate(to_model_range(random_images(40, seed=2)))
        model.save(tmp_path / f"{rank}.keras")
        export_detector(tmp_path / f"{rank}.keras", tmp_path / str(rank), formats=["tflite"],
                        quantizations=["none"], graphs=["features"])
        sizes[rank] = (tmp_path / str(rank) / "features_fp32.tflite").stat().st_size
    # E's dense layer: 256 x 64 float32 weights (64 KiB) against 2 x (256 + 64)
    assert sizes[None] - sizes[2] > 60_000
