"""Every command-line tool, given bad input: exit code 2, one `error:` line that names the
problem (or a list under it: bad files, places looked in), no traceback, and the files around it
exactly as they were.

Each case calls the tool's `main(argv)` in-process. `{run}` is a finished tiny digits run,
`{tflite}` an exported E-only int8 file, `{tmp}` the case's own folder (holding the fixtures
built by `files`). `train` cases also get `--no-download` and, unless they name one, an output
folder inside `{tmp}`.
"""

import json
import re
import shutil
import zipfile

import numpy as np
import pytest
from PIL import Image

from export.__main__ import main as export_main
from export.edge_score import main as edge_main
from keras_adegan.cli.evaluate import main as evaluate_main
from keras_adegan.cli.score import main as score_main
from keras_adegan.cli.train import main as train_main
from tuning.search import main as search_main

TOOLS = {"train": train_main, "evaluate": evaluate_main, "score": score_main,
         "export": export_main, "edge": edge_main, "search": search_main}


def png(path, shape=(16, 16), value=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full(shape, value, np.uint8)).save(path)


def files(tmp):
    """The fixtures every case may point at."""
    for i in range(3):
        png(tmp / "imgs" / f"{i}.png", value=40 * i)
    (tmp / "empty").mkdir()
    png(tmp / "wrong_size" / "a.png", (20, 20))
    png(tmp / "rgb" / "a.png", (16, 16, 3))
    (tmp / "corrupt").mkdir()
    (tmp / "corrupt" / "a.png").write_bytes(b"not a png")
    (tmp / "a_file").write_text("x")
    (tmp / "existing.csv").write_text("mine")
    (tmp / "junk.keras").write_bytes(b"junk")
    with zipfile.ZipFile(tmp / "other.zip.keras", "w") as archive:  # a zip, not a model
        archive.writestr("notes.txt", "x")
    (tmp / "junk.tflite").write_bytes(b"junk")
    (tmp / "bad.json").write_text("{not json")
    (tmp / "typed.json").write_text(json.dumps({"width": "wide"}))
    (tmp / "unknown.json").write_text(json.dumps({"depth": 3}))
    (tmp / "foreign").mkdir()
    (tmp / "foreign" / "notes.txt").write_text("keep")
    for name in ("a", "b"):  # image folders
        png(tmp / "one_class" / "only" / f"{name}.png")
        for i in range(3):
            png(tmp / "mixed_size" / name / f"{i}.png")
            png(tmp / "mixed_colour" / name / f"{i}.png")
    png(tmp / "mixed_size" / "b" / "big.png", (24, 24))
    png(tmp / "mixed_colour" / "b" / "rgb.png", (16, 16, 3))
    for name in ("x", "y"):
        png(tmp / "odd_size" / "a" / f"{name}.png", (30, 30))
        png(tmp / "odd_size" / "b" / f"{name}.png", (30, 30))
    png(tmp / "tiny_class" / "a" / "x.png")
    png(tmp / "tiny_class" / "a" / "y.png")
    png(tmp / "tiny_class" / "b" / "x.png")
    (tmp / "no_idx").mkdir()


CASES = [
    # train: flags
    ("train", ["--dataset", "mnits"], "unknown dataset 'mnits'"),
    ("train", ["--dataset", "folder"], "needs --data-dir"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/missing"], "does not exist"),
    ("train", ["--anomaly-class", "12"], "anomaly class 12 is out of range"),
    ("train", ["--anomaly-class", "sandals"], "'sandals' is not a class of digits"),
    ("train", ["--anomaly-class", "-1"], "anomaly_class must be >= 0"),
    ("train", ["--n-patterns", "1"], "n_patterns must be at least 2"),
    ("train", ["--epochs", "0"], "at least 1 epoch"),
    ("train", ["--stage1-epochs", "0"], "at least 1 epoch"),
    ("train", ["--stage2-epochs", "-3"], "at least 1 epoch"),
    ("train", ["--beta", "nan"], "beta must be a finite number"),
    ("train", ["--gamma", "inf"], "gamma must be a finite number"),
    ("train", ["--alpha", "-1"], "alpha, beta and gamma must be >= 0"),
    ("train", ["--learning-rate", "0"], "learning_rate must be positive"),
    ("train", ["--noise-std", "0"], "noise_std must be positive"),
    ("train", ["--noise-dim", "0"], "noise_dim must be at least 1"),
    ("train", ["--width", "0"], "width must be at least 1"),
    ("train", ["--batch-size", "1"], "batch_size must be at least 2"),
    ("train", ["--batch-size", "100000"], "training images for a batch size of 100000"),
    ("train", ["--train-limit", "0"], "train_limit must be >= 1"),
    ("train", ["--seed", "-1"], "seed must be between 0 and 2^32 - 1"),
    ("train", ["--seed", "4294967296"], "seed must be between 0 and 2^32 - 1"),
    ("train", ["--reading", "verbatim"], "invalid choice: 'verbatim'"),
    ("train", ["--real-task", "jigsaw"], "invalid choice: 'jigsaw'"),
    ("train", ["--real-weight", "-1"], "real_weight must be >= 0"),
    ("train", ["--real-weight", "nan"], "real_weight must be a finite number"),
    ("train", ["--rotation-score-weight", "1"], "rotation_score_weight needs a model trained "
                                                "with a rotation head"),
    ("train", ["--real-task", "rotation", "--rotation-score-weight", "-1"],
     "rotation_score_weight must be >= 0"),
    ("train", ["--feature-k", "0"], "feature_k must be between 1 and bank_size"),
    ("train", ["--bank-size", "0"], "bank_size must be a whole number >= 1"),
    ("train", ["--feature-k", "10", "--bank-size", "5"], "feature_k must be between 1 and bank_size"),
    ("train", ["--feature-k", "2000"], "feature_k 2000 is larger than the bank"),
    ("train", ["--val-fraction", "0.0005"], "the validation split holds 1 normal image"),
    ("train", ["--bank-size", "many"], "bank size must be a number or 'all'"),
    ("train", ["--score", "best"], "invalid choice: 'best'"),
    ("train", ["--precision", "float16"], "invalid choice: 'float16'"),
    ("train", ["--real-task", "contrastive"], "invalid choice: 'contrastive'"),
    ("train", ["--bank-selection", "coreset"], "unrecognized arguments: --bank-selection"),
    ("train", ["--extractor-rank", "0"], "extractor_rank must be between 1 and"),
    ("train", ["--extractor-rank", "half"], "extractor rank must be a number or 'full'"),
    ("train", ["--feature-projection", "999"], "feature_projection must be between 1 and 15 (the noise features have 16 values)"),
    ("train", ["--extractor-blocks", "1"], "unrecognized arguments: --extractor-blocks"),
    ("train", ["--extractor-bottleneck", "64"], "unrecognized arguments: --extractor-bottleneck"),
    ("train", ["--feature-source", "pixels"], "invalid choice: 'pixels'"),
    ("train", ["--feature-density", "gaussian"], "unrecognized arguments: --feature-density"),
    ("train", ["--feature-source", "discriminator"], "invalid choice: 'discriminator'"),
    ("train", ["--feature-distance", "manhattan"], "invalid choice: 'manhattan'"),
    ("train", ["--color-mode", "cmyk"], "invalid choice: 'cmyk'"),
    ("train", ["--epochs", "x"], "invalid int value: 'x'"),
    ("train", ["--image-size", "abc"], "image size must look like 64x64"),
    ("train", ["--image-size", "32x32"], "resizes image folders only"),
    ("train", ["--color-mode", "rgb"], "converts image folders only"),
    ("train", ["--config", "{tmp}/missing.json"], "cannot read the config file"),
    ("train", ["--config", "{tmp}/bad.json"], "is not valid JSON"),
    ("train", ["--config", "{tmp}/typed.json"], "width must be a whole number"),
    ("train", ["--config", "{tmp}/unknown.json"], "unknown configuration keys: depth"),
    ("train", ["--bogus-flag"], "unrecognized arguments: --bogus-flag"),
    # train: data
    ("train", ["--dataset", "mnist", "--data-dir", "{tmp}/no_idx"], "dataset 'mnist' not found"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/one_class"], "at least two class folders"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/mixed_size"], "--image-size"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/mixed_colour"], "--color-mode"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/corrupt"], "at least two class folders"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/odd_size"], "divisible by 4"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/tiny_class"], "holds 1 image; each class"),
    ("train", ["--dataset", "folder", "--data-dir", "{tmp}/odd_size", "--image-size", "30x30"],
     "image_size must be two positive numbers divisible by 4"),
    # train: output folders
    ("train", ["--output", "{tmp}/a_file"], "is, or is under, a file"),
    ("train", ["--output", "{tmp}/a_file/sub"], "is, or is under, a file"),
    ("train", ["--output", "{run}"], "already holds a trained model"),
    ("train", ["--rescore"], "--rescore needs --output naming a finished run"),
    ("train", ["--rescore", "--output", "{run}"], "give at least one of --score"),
    ("train", ["--resume", "--output", "{run}", "--seed", "7"], "these settings differ"),
    # evaluate
    ("evaluate", [], "the following arguments are required: --model"),
    ("evaluate", ["--model", "{tmp}/missing.keras"], "does not exist"),
    ("evaluate", ["--model", "{tmp}/junk.keras"], "is not a .keras file (not a zip archive"),
    ("evaluate", ["--model", "{run}/model.keras", "--anomaly-class", "12"], "out of range"),
    ("evaluate", ["--model", "{run}/model.keras", "--dataset", "mnits"], "unknown dataset"),
    ("evaluate", ["--model", "{run}/model.keras", "--output", "{tmp}/existing.csv"], "already exists"),
    ("evaluate", ["--model", "{run}/model.keras", "--output", "{tmp}/no/m.json"], "does not exist"),
    ("evaluate", ["--model", "{run}/model.keras", "--output", "{tmp}/empty"], "is a folder"),
    # score
    ("score", ["--model", "{run}/model.keras"], "the following arguments are required: images"),
    ("score", ["--model", "{tmp}/missing.keras", "{tmp}/imgs"], "does not exist"),
    ("score", ["--model", "{tmp}/junk.keras", "{tmp}/imgs"], "is not a .keras file"),
    ("score", ["--model", "{tmp}/other.zip.keras", "{tmp}/imgs"], "cannot load"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/nothing_here"], "does not exist"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/empty"], "holds no images"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/wrong_size"], "is 20x20"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/rgb"], "with 3 channel(s)"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/corrupt"], "cannot read image"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/imgs", "--output", "{tmp}/existing.csv"],
     "already exists"),
    ("score", ["--model", "{run}/model.keras", "{tmp}/imgs", "--output", "{tmp}/no/s.csv"],
     "does not exist; create it first"),
    # export
    ("export", ["--model", "{tmp}/missing.keras", "--out", "{tmp}/x"], "does not exist"),
    ("export", ["--model", "{tmp}/junk.keras", "--out", "{tmp}/x"], "is not a .keras file"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/a_file"], "is a file"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/foreign"], "did not write (notes.txt"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/x", "--quantize", "int4"],
     "choose from none, float16, dynamic, int8"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/x", "--formats", "onnx"],
     "choose from savedmodel, tflite"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/x", "--graph", "decoder"],
     "choose from full, features"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/x", "--representative",
                "{tmp}/missing"], "does not exist"),
    ("export", ["--model", "{run}/model.keras", "--out", "{tmp}/x", "--representative",
                "{tmp}/wrong_size"], "is 20x20"),
    ("export", ["--out", "{tmp}/x"], "the following arguments are required: --model"),
    # edge_score
    ("edge", [], "the following arguments are required"),
    ("edge", ["{tmp}/missing.tflite", "{tmp}/imgs"], "does not exist"),
    ("edge", ["{tmp}/junk.tflite", "{tmp}/imgs"], "is not a TFLite detector"),
    ("edge", ["{tflite}", "{tmp}/imgs", "--threads", "0"], "--threads must be at least 1"),
    ("edge", ["{tflite}", "{tmp}/empty"], "holds no images"),
    ("edge", ["{tflite}", "{tmp}/wrong_size"], "is 20x20"),
    ("edge", ["{tflite}", "{tmp}/rgb"], "with 3 channel(s)"),
    ("edge", ["{tflite}", "{tmp}/corrupt"], "cannot read"),
    ("edge", ["{tflite}", "{tmp}/imgs", "--output", "{tmp}/existing.csv"], "already exists"),
    ("edge", ["{tflite}", "{tmp}/imgs", "--output", "{tmp}/no/s.csv"], "does not exist"),
    # tuning.search
    ("search", ["--dataset", "mnits"], "unknown dataset"),
    ("search", ["--dataset", "digits", "--max-trials", "0"], "--max-trials must be at least 1"),
    ("search", ["--dataset", "digits", "--epochs", "0"], "at least 1 epoch"),
    ("search", ["--dataset", "digits", "--sweep", "n_c"], "n_c=2,4,6"),
    ("search", ["--dataset", "digits", "--tune", "depth"], "cannot tune 'depth'"),
    ("search", ["--dataset", "digits", "--anomaly-class", "12"], "out of range"),
    ("search", ["--dataset", "digits", "--train-limit", "5"], "only 5 training images"),
]


@pytest.fixture(scope="module")
def tflite(trained_run, digits_splits, tmp_path_factory):
    from export.convert import export_detector

    out = tmp_path_factory.mktemp("edge") / "exported"
    export_detector(trained_run[0] / "model.keras", out, formats=["tflite"],
                    quantizations=["int8"], graphs=["features"],
                    representative=digits_splits.train_x)
    return out / "features_int8.tflite"


def snapshot(root):
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*"))}


def test_the_suite_is_large_enough():
    assert len(CASES) >= 80


@pytest.mark.parametrize("tool,argv,message", CASES,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(CASES)])
def test_bad_input_is_one_clear_error_and_touches_nothing(trained_run, tflite, tmp_path, capsys,
                                                         monkeypatch, tool, argv, message):
    monkeypatch.delenv("KERAS_ADEGAN_DATA", raising=False)  # "not found" must not find CI's copy
    run = tmp_path / "run"  # a copy: a case must not be able to change the shared run
    shutil.copytree(trained_run[0], run)
    files(tmp_path)
    argv = [a.format(tmp=tmp_path, run=run, tflite=tflite) for a in argv]
    if tool == "train":
        argv += ["--no-download"] + ([] if "--output" in argv else ["--output", f"{tmp_path}/out"])
    before = snapshot(tmp_path)
    try:
        code = TOOLS[tool](argv)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    # progress lines ("scoring 12 images ...") may come first; then the error, alone
    err = "".join(line for line in err.splitlines(keepends=True) if not line.endswith(" ...\n"))
    assert code == 2, err
    assert err.startswith("error: ") and "Traceback" not in err, err
    assert message in err, err
    if not re.search(r":\n  ", err):  # unless it lists bad files or places looked in
        assert err.count("\n") == 1, err
    assert snapshot(tmp_path) == before
