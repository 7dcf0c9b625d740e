import csv
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from export.edge_score import EdgeError, EdgeScorer, main
from tests.conftest import REPO


@pytest.fixture(scope="module")
def int8_model(trained_run, digits_splits, tmp_path_factory):
    from export.convert import export_detector

    out = tmp_path_factory.mktemp("edge")
    export_detector(trained_run[0] / "model.keras", out, formats=["tflite"],
                    quantizations=["int8"], representative=digits_splits.train_x)
    return out / "model_int8.tflite"


def _write(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image.squeeze()).save(folder / f"{i}.png")
    return folder


def test_scores_a_folder_to_csv(int8_model, digits_splits, tmp_path):
    folder = _write(tmp_path / "imgs", digits_splits.test_x[:5])
    _write(folder / ".ipynb_checkpoints", digits_splits.test_x[:2])  # hidden: not scored
    assert main([str(int8_model), str(folder), "--output", str(tmp_path / "s.csv")]) == 0
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert len(rows) == 5 and rows[0]["is_anomaly"] in ("True", "False")
    direct = EdgeScorer(int8_model).score(digits_splits.test_x[:5])["score"]
    np.testing.assert_allclose([float(r["score"]) for r in rows], direct, rtol=1e-5)


def test_never_imports_tensorflow(int8_model, digits_splits, tmp_path):
    folder = _write(tmp_path / "imgs", digits_splits.test_x[:2])
    code = ("import sys, runpy; sys.argv = ['edge_score', sys.argv[1], sys.argv[2]]\n"
            "try:\n    runpy.run_module('export.edge_score', run_name='__main__')\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'keras_adegan')]\n"
            "assert not bad, bad\nprint('clean')")
    done = subprocess.run([sys.executable, "-c", code, str(int8_model), str(folder)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("clean") and done.stdout.count("\n") == 4  # header, 2 rows


@pytest.mark.parametrize("case,message", [
    ("wrong_size", "is 20x20 with 1 channel(s); the model expects 16x16 with 1"),
    ("wrong_channels", "with 3 channel(s); the model expects 16x16 with 1"),
    ("unreadable", "cannot read"),
    ("empty", "holds no images"),
])
def test_bad_inputs_give_clear_errors_and_no_scores(int8_model, digits_splits, tmp_path, capsys,
                                                    case, message):
    folder = _write(tmp_path / "imgs", digits_splits.test_x[:2])
    if case == "wrong_size":
        Image.fromarray(np.zeros((20, 20), np.uint8)).save(folder / "big.png")
    elif case == "wrong_channels":
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(folder / "rgb.png")
    elif case == "unreadable":
        (folder / "broken.png").write_bytes(b"not an image")
    else:
        folder = tmp_path / "nothing"
        folder.mkdir()
    assert main([str(int8_model), str(folder)]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_output_rules_match_the_packages(int8_model, digits_splits, tmp_path, capsys):
    folder = _write(tmp_path / "imgs", digits_splits.test_x[:2])
    (tmp_path / "old.csv").write_text("mine")
    assert main([str(int8_model), str(folder), "--output", str(tmp_path / "old.csv")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([str(int8_model), str(folder), "--output", str(tmp_path / "no" / "s.csv")]) == 2
    assert "does not exist; create it first" in capsys.readouterr().err
    assert main([str(int8_model), str(folder), "--output", str(tmp_path / "old.csv"),
                 "--overwrite"]) == 0
    assert (tmp_path / "old.csv").read_text().startswith("path,score,is_anomaly")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "old.csv"]


def test_output_order_is_the_packages():
    from export import edge_score
    from keras_adegan.model import OUTPUTS, PART_OUTPUTS

    assert edge_score.OUTPUTS == OUTPUTS + PART_OUTPUTS  # the copy in the TensorFlow-free scorer


def test_missing_model_and_wrong_array_shape(int8_model, tmp_path):
    with pytest.raises(EdgeError, match="does not exist"):
        EdgeScorer(tmp_path / "none.tflite")
    with pytest.raises(EdgeError, match=r"expects \(N, 16, 16, 1\)"):
        EdgeScorer(int8_model).score(np.zeros((2, 16, 16, 3), np.uint8))
    with pytest.raises(EdgeError, match="--threads must be at least 1"):
        EdgeScorer(int8_model, num_threads=0)


def test_file_collection_matches_the_packages(tmp_path):
    """The scorer's copy of `keras_adegan.images.collect_images` finds the same files in the
    same order, and fails on the same inputs."""
    from export import edge_score
    from keras_adegan import ADeGANError
    from keras_adegan import images as package

    assert edge_score.IMAGE_EXTENSIONS == package.IMAGE_EXTENSIONS
    (tmp_path / "b" / "deep").mkdir(parents=True)
    for name in ["b/deep/2.PNG", "b/1.jpg", "b/notes.txt", "a.bmp", "b/0.jpeg"]:
        (tmp_path / name).write_bytes(b"x")
    paths = [tmp_path / "b", tmp_path / "a.bmp"]
    assert edge_score.collect_images(paths) == package.collect_images(paths)
    assert [p.name for p in package.collect_images(paths)] == ["0.jpeg", "1.jpg", "2.PNG", "a.bmp"]
    (tmp_path / "empty").mkdir()
    for bad in ([tmp_path / "empty"], [tmp_path / "missing"], []):
        with pytest.raises(EdgeError) as copy:
            edge_score.collect_images(bad)
        with pytest.raises(ADeGANError) as original:
            package.collect_images(bad)
        assert str(copy.value) == str(original.value)


def test_model_may_be_given_by_flag(int8_model, digits_splits, tmp_path, capsys):
    folder = _write(tmp_path / "imgs", digits_splits.test_x[:2])
    assert main(["--model", str(int8_model), str(folder)]) == 0
    by_flag = capsys.readouterr().out
    assert main([str(int8_model), str(folder)]) == 0
    assert capsys.readouterr().out == by_flag and by_flag.count("\n") == 3
    with pytest.raises(SystemExit) as no_images:
        main(["--model", str(int8_model)])
    assert no_images.value.code == 2


def test_a_tflite_file_of_another_project_with_a_score_signature_is_refused(tmp_path):
    import tensorflow as tf

    class Other(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def score(self, x):
            return {"y": tf.reduce_sum(x, -1)}

    other = Other()
    tf.saved_model.save(other, str(tmp_path / "saved"), signatures={"score": other.score})
    converter = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "saved"), ["score"])
    (tmp_path / "other.tflite").write_bytes(converter.convert())
    with pytest.raises(EdgeError, match=r"not a TFLite detector written by python -m export: "
                                        r"its 'score' signature takes \['x'\]"):
        EdgeScorer(tmp_path / "other.tflite")


def test_an_output_that_cannot_be_written_is_one_error_line(int8_model, digits_splits,
                                                            tmp_path, capsys, monkeypatch):
    """A full or read-only disk (simulated: root ignores permissions) names the path."""
    import errno
    import pathlib

    folder = _write(tmp_path / "imgs", digits_splits.test_x[:2])

    def full(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(pathlib.Path, "write_text", full)
    assert main([str(int8_model), str(folder), "--output", str(tmp_path / "s.csv")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot write ") and "No space left on device" in err
    assert err.count("\n") == 1 and not (tmp_path / "s.csv").exists()
