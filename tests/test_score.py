import csv
import json

import numpy as np
import pytest
from PIL import Image

from keras_adegan import to_model_range
from keras_adegan.cli.evaluate import main as evaluate_main
from keras_adegan.cli.score import main
from keras_adegan.factory import load_detector


def save_pngs(folder, images):
    folder.mkdir(parents=True, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image[..., 0]).save(folder / f"{i:03d}.png")


def test_score_folder_to_csv(trained_run, digits_splits, tmp_path):
    out, _ = trained_run
    save_pngs(tmp_path / "imgs", digits_splits.test_x[:12])
    save_pngs(tmp_path / "imgs" / ".ipynb_checkpoints", digits_splits.test_x[:3])  # not scored
    csv_path = tmp_path / "scores.csv"
    assert main(["--model", str(out / "model.keras"), str(tmp_path / "imgs"),
                 "--output", str(csv_path)]) == 0
    rows = list(csv.DictReader(csv_path.open()))
    assert len(rows) == 12 and rows[0]["path"].endswith("000.png")
    model = load_detector(out / "model.keras")
    expected = model.score(to_model_range(digits_splits.test_x[:12]))
    for key in ("score", "feature_score", "paper_score"):
        np.testing.assert_allclose([float(r[key]) for r in rows], expected[key], rtol=1e-5)
    assert [r["is_anomaly"] == "True" for r in rows] == list(expected["is_anomaly"])
    assert "rotation_score" not in rows[0] and "density_score" not in rows[0]
    assert main(["--model", str(out / "model.keras"), str(tmp_path / "imgs"),
                 "--output", str(csv_path)]) == 2  # never overwrites the user's CSV


def test_score_csv_of_a_rotation_scored_model_has_the_parts(digits_splits, tmp_path):
    from keras_adegan import ADeGAN

    model = ADeGAN(image_shape=(16, 16, 1), n_patterns=4, noise_dim=4, width=4, bank_size=32,
                   real_task="rotation", rotation_score_weight=0.5)
    model.compile()
    model.fit_feature_score(to_model_range(digits_splits.train_x[:40]))
    model.calibrate(to_model_range(digits_splits.val_x[:40]))
    model.save(tmp_path / "m.keras")
    save_pngs(tmp_path / "imgs", digits_splits.test_x[:6])
    csv_path = tmp_path / "scores.csv"
    assert main(["--model", str(tmp_path / "m.keras"), str(tmp_path / "imgs"),
                 "--output", str(csv_path)]) == 0
    rows = list(csv.DictReader(csv_path.open()))
    expected = model.score(to_model_range(digits_splits.test_x[:6]))
    for key in ("feature_score", "density_score", "rotation_score"):
        np.testing.assert_allclose([float(r[key]) for r in rows], expected[key], rtol=1e-5)


def test_score_refuses_bad_images(trained_run, tmp_path, capsys):
    model = str(trained_run[0] / "model.keras")
    (tmp_path / "rgb").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "rgb" / "a.png")
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "rgb" / "b.png")
    (tmp_path / "rgb" / "c.png").write_bytes(b"not an image")
    (tmp_path / "empty").mkdir()
    assert main(["--model", model, str(tmp_path / "rgb")]) == 2
    err = capsys.readouterr()
    assert "cannot use these images; fix them first" in err.err and err.out == ""
    assert "a.png is 16x16 with 3 channel(s)" in err.err
    assert "b.png is 28x28" in err.err and "cannot read image" in err.err
    assert main(["--model", model, str(tmp_path / "empty")]) == 2
    assert "holds no images" in capsys.readouterr().err
    assert main(["--model", str(tmp_path / "missing.keras"), str(tmp_path / "rgb")]) == 2


@pytest.mark.slow
def test_a_model_trained_with_conversions_scores_its_own_files(tmp_path, capsys):
    """--color-mode grayscale and --image-size at training: score converts the user's colour,
    other-size files the same way (it used to refuse its own training files)."""
    from keras_adegan import ADeGANConfig
    from keras_adegan.runs import train
    from tests.test_data import make_image_tree

    make_image_tree(tmp_path / "imgs", classes=("ok", "bad"), n=30, size=(10, 10))
    config = ADeGANConfig.preset("folder", anomaly_class=1, stage1_epochs=1, stage2_epochs=1,
                                 width=4, batch_size=8, color_mode="grayscale",
                                 image_size=(8, 8))
    train(config, tmp_path / "run", data_dir=tmp_path / "imgs", verbose=0)
    assert main(["--model", str(tmp_path / "run" / "model.keras"), str(tmp_path / "imgs" / "ok"),
                 "--output", str(tmp_path / "s.csv")]) == 0, capsys.readouterr().err
    assert len(list(csv.DictReader(open(tmp_path / "s.csv")))) == 30


def test_evaluate_cli_matches_training_metrics(trained_run, tmp_path, capsys):
    out, metrics = trained_run
    assert evaluate_main(["--model", str(out / "model.keras"),
                          "--output", str(tmp_path / "m.json")]) == 0
    again = json.loads((tmp_path / "m.json").read_text())
    assert again["auroc_combined"] == pytest.approx(metrics["test"]["auroc_combined"], abs=1e-9)
    assert (again["dataset"], again["anomaly_class"], again["class_name"]) == ("digits", 0, "0")


@pytest.mark.parametrize("cli", ["score", "evaluate"])
def test_output_in_a_missing_folder_or_an_existing_file_is_refused_before_work(
        trained_run, digits_splits, tmp_path, capsys, cli):
    save_pngs(tmp_path / "imgs", digits_splits.test_x[:2])
    (tmp_path / "old.csv").write_text("mine")
    model = ["--model", str(trained_run[0] / "model.keras")]
    run = (lambda out: main(model + [str(tmp_path / "imgs"), "--output", out])) if cli == "score" \
        else (lambda out: evaluate_main(model + ["--output", out]))
    assert run(str(tmp_path / "missing" / "x.csv")) == 2
    assert "does not exist; create it first" in capsys.readouterr().err
    assert run(str(tmp_path / "old.csv")) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "old.csv").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "old.csv"]


@pytest.mark.slow
def test_an_error_is_one_line_with_no_tensorflow_start_up_noise(tmp_path):
    import os
    import subprocess
    import sys

    from tests.conftest import REPO

    env = {k: v for k, v in os.environ.items() if k != "KERAS_ADEGAN_VERBOSE"}
    done = subprocess.run([sys.executable, "-m", "keras_adegan", "evaluate", "--model",
                           str(tmp_path / "none.keras")], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: model file {tmp_path / 'none.keras'} does not exist; train one with "
        "python -m keras_adegan.train"]
