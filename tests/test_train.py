import dataclasses
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from keras_adegan.checkpoint import EpochCheckpoint
from keras_adegan.errors import ADeGANError
from keras_adegan.runs import train
from keras_adegan.cli.train import main
from tests.conftest import REPO

EXPECTED_FILES = ("model.keras", "metrics.json", "config.json", "data.json", "roc.png",
                  "patterns.png", "score_hist.png", "history.jsonl")


def test_run_writes_every_output(trained_run):
    out, metrics = trained_run
    for name in EXPECTED_FILES:
        assert (out / name).is_file(), name
    assert (out / "logs").is_dir() and not (out / "backup").exists()
    saved = json.loads((out / "metrics.json").read_text())
    for key in ("auroc_features", "auroc_combined", "auroc_recon", "auroc_pattern",
                "auprc_combined", "f1", "precision"):
        assert key in saved["test"], key
        # decisions are made on the test split only (the threshold was fitted on validation)
        assert (key in saved["validation"]) == (key not in ("f1", "precision")), key
    assert saved["test"]["score"] == "features" and set(saved["test"]["decisions"]) == {"feature", "paper"}
    assert saved["feature_fit"] == {"points": 256, "bank_rows": 256}
    # digits: zeros are far from the other digits in E's features, even after a tiny run
    assert saved["test"]["auroc_features"] > 0.9
    assert saved["config"]["dataset"] == "digits" and saved["seed"] == 0
    assert saved["versions"]["tensorflow"] and saved["wall_seconds"] > 0
    assert saved["cpu"] and set(saved["threads"]) == {"intra_op", "inter_op"}
    assert [row["stage"] for row in saved["history"]] == [1, 2]
    assert "val_auroc_combined" in saved["history"][1]
    # the per-epoch feature score's bank is every training normal here (256 < EPOCH_BANK):
    # after the last epoch it is the final model's feature score
    assert saved["history"][1]["val_auroc_features"] == pytest.approx(
        saved["validation"]["auroc_features"], abs=1e-6)
    assert saved["data"]["test"] == 539 and saved["data"]["train"] == 256


def test_refuses_to_overwrite_a_model(trained_run, capsys):
    out, _ = trained_run
    before = (out / "model.keras").read_bytes()
    assert main(["--output", str(out), "--epochs", "1"]) == 2
    assert "already holds a trained model" in capsys.readouterr().err
    assert (out / "model.keras").read_bytes() == before


@pytest.mark.parametrize("flag", ["--resume", "--overwrite"])
def test_a_folder_of_the_users_own_files_is_never_resumed_or_cleared(tmp_path, capsys, flag):
    """A folder whose `backup/` and `logs/` are the user's (no run marker) is refused, with
    or without --resume or --overwrite, and nothing in it is touched."""
    out = tmp_path / "mine"
    for name in ("backup/thesis.tex", "logs/notes.txt", "history.jsonl"):
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(name)
    assert main(["--output", str(out), "--epochs", "1", flag]) == 2
    err = capsys.readouterr().err
    assert "holds files that keras-adegan did not write" in err and "backup/thesis.tex" in err
    assert sorted(p.name for p in out.rglob("*") if p.is_file()) == [
        "history.jsonl", "notes.txt", "thesis.tex"]


def test_a_run_folder_with_a_users_file_in_it_is_not_overwritten(trained_run, tmp_path,
                                                                    capsys):
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_run[0], out)
    (out / "backup").mkdir()
    (out / "backup" / "mine.txt").write_text("mine")
    assert main(["--output", str(out), "--epochs", "1", "--overwrite"]) == 2
    assert "did not write: backup/mine.txt; move them out first" in capsys.readouterr().err
    assert (out / "backup" / "mine.txt").read_text() == "mine" and (out / "model.keras").exists()


@pytest.mark.slow
def test_cli_end_to_end_and_overwrite(tmp_path, capsys):
    out = tmp_path / "cli"
    args = ["--output", str(out), "--epochs", "1", "--width", "4", "--train-limit", "128",
            "--anomaly-class", "3", "--n-patterns", "4"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "test AUROC" in printed and "anomaly class 3 (3)" in printed
    assert "digits classes: 0 0, 1 1," in printed  # the numbering is printed first
    assert printed.index("stage 1/2: adversarial") < printed.index("stage 2/2: self-supervised")
    first = json.loads((out / "metrics.json").read_text())
    assert first["config"]["n_patterns"] == 4
    assert main(args + ["--overwrite", "--seed", "1"]) == 0
    assert json.loads((out / "metrics.json").read_text())["seed"] == 1


@pytest.mark.parametrize("args,match", [
    (["--dataset", "mnits"], "unknown dataset"),
    (["--anomaly-class", "12"], "out of range"),
    (["--n-patterns", "1"], "n_patterns"),
    (["--epochs", "0"], "at least 1 epoch"),
    (["--beta", "nan"], "beta must be a finite number"),
    (["--seed", "-1"], "seed must be between 0 and 2"),
    (["--config", "missing.json"], "cannot read the config file"),
])
def test_cli_bad_arguments(tmp_path, capsys, args, match):
    """Bad flags end in one error line and leave no output folder behind."""
    assert main(args + ["--output", str(tmp_path / "x"), "--no-download"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and match in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.fixture(scope="module")
def two_epoch_config(tiny_config):
    return dataclasses.replace(tiny_config, stage1_epochs=2, stage2_epochs=2)


# The training options a resume must reproduce: the paper's, and beyond it the rotation task
# with its rotation score (extra weights: the head, the score's standardisation).
TASKS = {"paper": {}, "rotation": {"real_task": "rotation", "rotation_score_weight": 0.5}}


@pytest.fixture(scope="module")
def uninterrupted_runs(tmp_path_factory, two_epoch_config):
    """task -> (config, output folder, metrics) of a run that was never stopped (made once)."""
    runs = {}

    def run(task):
        if task not in runs:
            config = dataclasses.replace(two_epoch_config, **TASKS[task])
            out = tmp_path_factory.mktemp(f"uninterrupted-{task}") / "r"
            runs[task] = config, out, train(config, out, verbose=0)
        return runs[task]
    return run


def _weights(run_dir):
    from keras_adegan import load_detector

    return load_detector(run_dir / "model.keras").get_weights()


def assert_same_run(metrics, run_dir, reference, reference_dir):
    """The same histories, AUROCs and weights, to float32 rounding: two traces of one train
    step in one process may be fused differently by TensorFlow's graph optimiser, which once
    moved a logged total loss by one unit in the last place. A resume that lost any state
    (optimizer moments, a random stream, an epoch) differs by far more."""
    def close(got, want, where):
        if isinstance(want, dict):
            assert got.keys() == want.keys(), where
            for key in want:
                close(got[key], want[key], f"{where}.{key}")
        elif isinstance(want, list):
            assert len(got) == len(want), where
            for i, (g, w) in enumerate(zip(got, want)):
                close(g, w, f"{where}[{i}]")
        elif isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-6), where
        else:
            assert got == want, where

    for part in ("history", "test", "validation"):
        close(metrics[part], reference[part], part)
    for resumed, uninterrupted in zip(_weights(run_dir), _weights(reference_dir)):
        np.testing.assert_allclose(resumed, uninterrupted, rtol=1e-5, atol=1e-7)


@pytest.mark.slow
@pytest.mark.parametrize("crash_epoch,task", [(0, "paper"), (2, "paper"), (2, "rotation")],
                         ids=["stage1", "stage2", "stage2-rotation"])
def test_resume_reproduces_the_uninterrupted_run(tmp_path, uninterrupted_runs, monkeypatch,
                                                  crash_epoch, task):
    """Stopped between two epochs (of stage 1 or of stage 2) and resumed, a run ends with the
    weights, histories and AUROCs of the run that was never stopped."""
    config, reference_dir, reference = uninterrupted_runs(task)
    assert ("real_loss" in reference["history"][-1]) == (task != "paper")
    original = EpochCheckpoint.on_epoch_end

    def crash(self, epoch, logs=None):
        original(self, epoch, logs)
        if epoch == crash_epoch:
            raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", crash)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "r", verbose=0)
    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", original)
    assert (tmp_path / "r" / "backup").exists() and not (tmp_path / "r" / "model.keras").exists()
    with pytest.raises(Exception, match="--resume"):
        train(config, tmp_path / "r", verbose=0)
    stored = (tmp_path / "r" / "config.json").read_text()
    assert main(["--output", str(tmp_path / "r"), "--resume", "--seed", "7"]) == 2
    assert (tmp_path / "r" / "config.json").read_text() == stored  # contradicting flag refused

    metrics = train(config, tmp_path / "r", resume=True, verbose=0)
    lines = (tmp_path / "r" / "history.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3, 4]  # nothing redone
    assert_same_run(metrics, tmp_path / "r", reference, reference_dir)


@pytest.mark.slow
def test_kill_9_and_resume_reproduces_the_uninterrupted_run(tmp_path, two_epoch_config,
                                                            uninterrupted_runs):
    """A real `kill -9` of the command line, as soon as its first epoch is logged (wherever the
    process then is), then `--resume`: the same model as the run that was never stopped."""
    two_epoch_config.save(tmp_path / "config.json")
    out = tmp_path / "r"
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_adegan.train", "--config", str(tmp_path / "config.json"),
         "--output-dir", str(out)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (out / "history.jsonl").is_file() and process.poll() is None:
        assert time.time() < deadline, "the run logged no epoch in 5 minutes"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (out / "model.keras").exists()
    assert main(["--output", str(out), "--resume"]) == 0
    _, reference_dir, reference = uninterrupted_runs("paper")
    assert_same_run(json.loads((out / "metrics.json").read_text()), out, reference, reference_dir)


@pytest.mark.slow
def test_short_real_mnist_run(tmp_path, datasets_root):
    from keras_adegan import ADeGANConfig

    config = ADeGANConfig.preset("mnist", anomaly_class=0, stage1_epochs=1, stage2_epochs=1,
                                 train_limit=3000, width=16)
    metrics = train(config, tmp_path / "mnist", data_dir=datasets_root / "mnist",
                    allow_download=False, verbose=0)
    assert metrics["data"]["test"] == 10000 and metrics["data"]["test_anomalies"] == 980
    assert np.isfinite(metrics["test"]["auroc_combined"])
    # One short epoch per stage already separates zeros from other digits.
    assert metrics["test"]["auroc_recon"] > 0.6 and metrics["test"]["auroc_features"] > 0.8


@pytest.mark.slow
def test_rescore_changes_only_the_scoring_and_keeps_the_networks(tmp_path, tiny_config, capsys):
    out = tmp_path / "run"
    train(tiny_config, out, verbose=0)
    before = json.loads((out / "metrics.json").read_text())
    before.update(cpu="the training machine", threads={"intra_op": 7, "inter_op": 7})
    (out / "metrics.json").write_text(json.dumps(before))
    assert main(["--rescore", "--output", str(out), "--score", "paper", "--bank-size", "32",
                 "--feature-k", "1"]) == 0
    assert "rescored" in capsys.readouterr().out
    after = json.loads((out / "metrics.json").read_text())
    assert after["config"]["bank_size"] == 32 and after["test"]["score"] == "paper"
    assert after["test"]["auroc_combined"] == pytest.approx(before["test"]["auroc_combined"])
    assert after["history"] == before["history"] and after["feature_fit"]["bank_rows"] == 32
    assert after["code"] == before["code"] and "rescore_code" in after
    # train_seconds are the training's, and so are the machine and threads that took them
    assert after["cpu"] == "the training machine" and after["threads"]["intra_op"] == 7
    assert json.loads((out / "config.json").read_text())["score"] == "paper"


def test_validation_metrics_rescore_on_validation_only_and_write_nothing(trained_run, tmp_path):
    from keras_adegan.runs import validation_metrics

    out, metrics = trained_run
    stamps = {f.name: f.stat().st_mtime_ns for f in out.iterdir()}
    same = validation_metrics(out)
    assert same["auroc_features"] == pytest.approx(metrics["validation"]["auroc_features"],
                                                   abs=1e-6)
    other = validation_metrics(out, feature_source="extractor", feature_k=1)
    assert other["auroc_features"] != pytest.approx(same["auroc_features"], abs=1e-9)
    assert other["auroc_combined"] == pytest.approx(same["auroc_combined"], abs=1e-6)
    assert {f.name: f.stat().st_mtime_ns for f in out.iterdir()} == stamps
    with pytest.raises(ADeGANError, match="holds no model.keras"):
        validation_metrics(tmp_path)
    with pytest.raises(ADeGANError, match="changes only scoring options"):
        validation_metrics(out, width=8)


@pytest.mark.parametrize("args,match", [
    (["--bank-size", "8"], "needs --output naming a finished run"),
    ([], "give at least one of --score"),
    (["--feature-k", "1", "--epochs", "3", "--width", "8"],
     "--rescore changes scoring only, never training: drop --width, --epochs"),
])
def test_rescore_misuse_is_a_clear_error(trained_run, tmp_path, capsys, args, match):
    target = str(tmp_path / "none") if args == ["--bank-size", "8"] else str(trained_run[0])
    assert main(["--rescore", "--output", target] + args) == 2
    assert match in capsys.readouterr().err


def test_the_bank_size_flag_takes_a_number_or_all():
    from keras_adegan.cli.train import config_from_args, parse_args

    assert config_from_args(parse_args(["--bank-size", "all"])).bank_size is None
    assert config_from_args(parse_args(["--bank-size", "64"])).bank_size == 64
    with pytest.raises(SystemExit):
        parse_args(["--bank-size", "many"])


def test_a_kmeans_bank_is_a_flag_and_rescores_a_run_with_centroids(trained_run, capsys):
    from keras_adegan.cli.train import config_from_args, parse_args
    from keras_adegan.runs import validation_metrics

    assert config_from_args(parse_args(["--bank-fill", "kmeans"])).bank_fill == "kmeans"
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--bank-fill", "centroids"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'centroids'" in err and err.count("error:") == 1
    out, _ = trained_run
    random = validation_metrics(out, bank_size=8, feature_k=1)
    kmeans = validation_metrics(out, bank_size=8, feature_k=1, bank_fill="kmeans")
    assert kmeans["auroc_features"] != pytest.approx(random["auroc_features"], abs=1e-9)
    assert kmeans["auroc_combined"] == pytest.approx(random["auroc_combined"], abs=1e-6)


@pytest.mark.parametrize("flag,word", [("--feature-projection", "none"),
                                       ("--extractor-rank", "full")])
def test_a_compaction_flag_takes_a_number_or_its_word_for_none(flag, word, capsys):
    from keras_adegan.cli.train import config_from_args, parse_args

    field = flag[2:].replace("-", "_")
    assert getattr(config_from_args(parse_args([flag, "8"])), field) == 8
    # the word clears a preset's value
    config = config_from_args(parse_args(["--dataset", "mnist", flag, word]))
    assert getattr(config, field) is None
    with pytest.raises(SystemExit):
        parse_args([flag, "some"])
    assert f"must be a number or '{word}'" in capsys.readouterr().err


def test_a_folder_in_use_by_a_live_run_is_refused(tmp_path, tiny_config):
    import os
    import socket

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / ".lock").write_text(f"{os.getppid()} {socket.gethostname()}")  # alive
    with pytest.raises(Exception, match="in use by another run"):
        train(tiny_config, tmp_path / "busy", verbose=0)
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == [".lock"]


@pytest.mark.slow
def test_a_run_is_the_same_whatever_ran_before_it_in_the_process(tmp_path, tiny_config):
    """The data order depends on the run's own seed, not on the random state others left."""
    import dataclasses

    import keras

    first = train(tiny_config, tmp_path / "a", verbose=0)
    keras.utils.set_random_seed(12345)  # as another run with another seed would leave it
    train(dataclasses.replace(tiny_config, seed=3), tmp_path / "b", verbose=0)
    again = train(tiny_config, tmp_path / "c", verbose=0)
    assert [r["d_loss"] for r in again["history"] if "d_loss" in r] == \
        [r["d_loss"] for r in first["history"] if "d_loss" in r]
    assert again["code"] == first["code"]


def test_a_save_cut_short_keeps_the_previous_model(trained_run, tmp_path, monkeypatch):
    """A kill while a model is saved (here: --rescore's save) leaves the previous, loadable
    model.keras and no partial file, and the next start clears any partial file left."""
    import shutil

    from keras_adegan import load_detector
    from keras_adegan.model import ADeGAN
    from keras_adegan.runs import rescore

    out = tmp_path / "run"
    shutil.copytree(trained_run[0], out)
    before = (out / "model.keras").read_bytes()

    def killed(self, path, *args, **kwargs):
        open(path, "wb").write(b"half a model")
        raise KeyboardInterrupt

    monkeypatch.setattr(ADeGAN, "save", killed)
    with pytest.raises(KeyboardInterrupt):
        rescore(out, feature_k=1)
    assert (out / "model.keras").read_bytes() == before
    assert not [p for p in out.iterdir() if ".partial-" in p.name]
    load_detector(out / "model.keras")


def test_resuming_on_other_images_is_refused_naming_both(tmp_path, monkeypatch):
    from keras_adegan import ADeGANConfig, ADeGANError
    from tests.test_data import make_image_tree

    make_image_tree(tmp_path / "a", classes=("ok", "bad"), n=30, size=(8, 8))
    make_image_tree(tmp_path / "b", classes=("ok", "bad"), n=31, size=(8, 8))  # other images
    config = ADeGANConfig.preset("folder", anomaly_class=1, stage1_epochs=1, stage2_epochs=1,
                                 width=4, batch_size=8)

    def crash(self, epoch, logs=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", crash)
    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "r", data_dir=tmp_path / "a", verbose=0)
    monkeypatch.undo()
    stored = json.loads((tmp_path / "r" / "data.json").read_text())
    assert stored["source"] == str(tmp_path / "a") and len(stored["fingerprint"]) == 16
    with pytest.raises(ADeGANError, match=f"on the data it started with \\({tmp_path / 'a'}.*"
                                          f"other images \\({tmp_path / 'b'}"):
        train(config, tmp_path / "r", data_dir=tmp_path / "b", resume=True, verbose=0)
    assert json.loads((tmp_path / "r" / "data.json").read_text()) == stored


def _fail(*args, **kwargs):
    raise RuntimeError("the new run failed")


def test_overwrite_keeps_the_old_run_until_the_new_one_succeeds(trained_run, tmp_path,
                                                                 tiny_config, monkeypatch):
    """--overwrite sets the old run aside; a new run that fails puts it back as it was."""
    import shutil

    import keras_adegan.runs

    out = tmp_path / "run"
    shutil.copytree(trained_run[0], out)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(keras_adegan.runs, "_score_and_report", _fail)
    with pytest.raises(RuntimeError, match="the new run failed"):
        train(dataclasses.replace(tiny_config, seed=1), out, overwrite=True, verbose=0)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before


@pytest.mark.slow
def test_an_overwrite_cut_short_keeps_the_old_run_aside_and_says_so(trained_run, tmp_path,
                                                                    tiny_config, monkeypatch,
                                                                    capsys):
    """A kill (here Ctrl-C) during an --overwrite leaves the new run resumable and the old one
    in .replaced/; a plain start is refused naming it; the resumed run finishing removes it."""
    import shutil

    out = tmp_path / "run"
    shutil.copytree(trained_run[0], out)
    old_model = (out / "model.keras").read_bytes()

    def crash(self, epoch, logs=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(EpochCheckpoint, "on_epoch_end", crash)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config, out, overwrite=True, verbose=0)
    monkeypatch.undo()
    assert (out / ".replaced" / "model.keras").read_bytes() == old_model
    assert not (out / "model.keras").exists()
    assert main(["--output", str(out), "--epochs", "1"]) == 2
    assert "an unfinished --overwrite set aside" in capsys.readouterr().err
    train(tiny_config, out, resume=True, verbose=0)
    assert (out / "metrics.json").is_file() and not (out / ".replaced").exists()


@pytest.mark.slow
def test_a_run_killed_after_its_final_save_resumes_to_the_end(tmp_path, tiny_config,
                                                              monkeypatch):
    """model.keras written, metrics.json not yet: --resume finishes the run (it used to say
    the folder held a trained model)."""
    import keras_adegan.runs

    real = keras_adegan.runs.write_atomically

    def killed(path, *args, **kwargs):
        if str(path).endswith("metrics.json"):
            raise KeyboardInterrupt
        return real(path, *args, **kwargs)

    monkeypatch.setattr(keras_adegan.runs, "write_atomically", killed)
    with pytest.raises(KeyboardInterrupt):
        train(tiny_config, tmp_path / "r", verbose=0)
    monkeypatch.undo()
    assert (tmp_path / "r" / "model.keras").is_file() and (tmp_path / "r" / "backup").is_dir()
    metrics = train(tiny_config, tmp_path / "r", resume=True, verbose=0)
    assert (tmp_path / "r" / "metrics.json").is_file() and metrics["test"]["auroc_features"] > 0
