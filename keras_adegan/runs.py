"""One ADe-GAN run: train, calibrate and evaluate, and write its output folder.

The output folder receives `model.keras`, `config.json`, `metrics.json` (test and validation
metrics of every score component, the config, the seed, library versions, wall time), `roc.png`,
`patterns.png`, `score_hist.png`, `history.jsonl` (losses and validation AUROC per epoch) and
TensorBoard logs in `logs/`. An interrupted run continues with `resume=True`, exactly
(`keras_adegan.checkpoint.EpochCheckpoint` in `backup/`). `rescore` gives a finished run other
scoring options without retraining. The command line is `keras_adegan.train`.

Example:
    >>> metrics = train(ADeGANConfig.preset("mnist", anomaly_class=3), "runs/mnist-class3-seed0")
    >>> metrics["test"]["auroc_features"]
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keras
import numpy as np

from keras_adegan import plots
from keras_adegan.checkpoint import POINTER, EpochCheckpoint
from keras_adegan.config import SCORE_FIELDS, ADeGANConfig
from keras_adegan.data import ImageData, load_dataset
from keras_adegan.diagnostics import CoreMonitor, CoreProbe, core_caption, core_metrics
from keras_adegan.frechet import load_classifier
from keras_adegan.distribute import is_chief, strategy_from_environment, worker_name
from keras_adegan.errors import ADeGANError
from keras_adegan.features import feature_dim
from keras_adegan.images import to_model_range
from keras_adegan.metrics import (EPOCH_BANK, ValidationAUROC, component_scores, evaluate_model,
                                  ranking_metrics)
from keras_adegan.factory import build_model, load_detector, scoring_options
from keras_adegan.model import ADeGAN
from keras_adegan.networks import check_image_shape
from keras_adegan.outputs import folder_lock, mark, marker, refuse_unowned, write_atomically
from keras_adegan.provenance import (code_version, command_line, cpu_name,
                                     library_versions, thread_setting)
from keras_adegan.splits import make_splits, train_stream

OUTPUTS = ("model.keras", "metrics.json", "config.json", "data.json", "roc.png",
           "patterns.png", "score_hist.png", "history.jsonl", "logs", "backup")
# `--overwrite` moves the run it replaces here, and deletes it only once the new run succeeded
REPLACED = ".replaced"


class EpochLog(keras.callbacks.Callback):
    """Appends every epoch's logs as one JSON line, so the history survives a resume."""

    def __init__(self, path: Path):
        super().__init__()
        self.path = path

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, "stage": self.model.stage}
        row.update({k: float(v) for k, v in (logs or {}).items()})
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")


class StageAnnouncer(keras.callbacks.Callback):
    """Prints a line when a stage starts, so that the epoch lines below it can be read."""

    NAMES = {1: "stage 1/2: adversarial training of G and D (Eq. 1)",
             2: "stage 2/2: self-supervised training of G and E (Eq. 8)"}

    def on_train_begin(self, logs=None):
        self.announced = None  # a resumed run starts mid-way: announce whatever stage it is in

    def on_epoch_begin(self, epoch, logs=None):
        # `ADeGAN.fit` runs `TrainingStages` first, so `model.stage` is this epoch's stage.
        if self.model.stage != self.announced:
            print(self.NAMES[self.model.stage], flush=True)
            self.announced = self.model.stage


def read_history(path: Path) -> list[dict]:
    """Rows of `history.jsonl`, the last one of each epoch (a resumed epoch is logged again)."""
    if not path.exists():
        return []
    rows = {}
    for line in path.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            rows[row["epoch"]] = row
    return [rows[k] for k in sorted(rows)]


def is_run_file(path: str) -> bool:
    """Whether `path`, relative to a run folder, names a file that a run writes."""
    parts = path.split("/")
    if parts[0] == REPLACED and len(parts) > 1:
        return is_run_file("/".join(parts[1:]))
    if len(parts) == 1:
        return parts[0] in OUTPUTS or ".partial-" in parts[0]
    if parts[0] == "backup" and len(parts) == 2:
        return (parts[1] == POINTER or fnmatch.fnmatch(parts[1], "epoch-*.weights.h5")
                or parts[1].startswith(".partial-"))
    return parts[0] == "logs" and parts[-1].startswith("events.out.tfevents")


def save_model(model: ADeGAN, path: Path) -> None:
    """`model.save` into a file beside `path`, then renamed into place: a kill never leaves a
    partial (or empty) model where a good one was."""
    partial = path.with_name(f".partial-{os.getpid()}-{path.name}")
    try:
        model.save(partial)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def check_splits(splits, config: ADeGANConfig) -> None:
    """What can be checked before training: enough training normals for k neighbours, a
    projection shorter than the features, and enough validation normals to calibrate on."""
    n_train, n_val = len(splits.train_x), int(np.sum(splits.val_y == 0))
    if config.feature_k > min(n_train, config.bank_size or n_train):
        raise ADeGANError(f"feature_k {config.feature_k} is larger than the bank "
                          f"({min(n_train, config.bank_size or n_train)} training normals); "
                          "lower --feature-k")
    dim = feature_dim(config.feature_source, config.width, config.noise_dim)
    if config.feature_projection is not None and config.feature_projection >= dim:
        raise ADeGANError(f"feature_projection must be between 1 and {dim - 1} (the "
                          f"{config.feature_source} features have {dim} values), got "
                          f"{config.feature_projection}; lower --feature-projection or pass "
                          "--feature-projection none")
    if n_val < 2:
        raise ADeGANError(f"the validation split holds {n_val} normal image(s) (val_fraction "
                          f"{config.val_fraction:g}); the thresholds need at least 2: add images "
                          "or raise --val-fraction")


def _check_same_data(out: Path, data: ImageData, resume: bool) -> None:
    """A run is trained on one dataset: `data.json` records where it was read and its
    fingerprint, and a resume on other images is refused, naming both."""
    now = {"source": data.source, "fingerprint": data.fingerprint()}
    stored = out / "data.json"
    if resume and stored.is_file():
        before = json.loads(stored.read_text())
        if before.get("fingerprint") != now["fingerprint"]:
            raise ADeGANError(f"--resume continues the run in {out} on the data it started with "
                              f"({before.get('source')}, fingerprint {before.get('fingerprint')})"
                              f", but these are other images ({now['source']}, fingerprint "
                              f"{now['fingerprint']}): give the same --data-dir, or start a new "
                              "run in another --output")
        return
    write_atomically(stored, json.dumps(now, indent=1) + "\n")


def is_finished(out: Path) -> bool:
    """Whether `out` holds a finished run (its model and metrics; `backup/` is removed last)."""
    return (out / "model.keras").is_file() and (out / "metrics.json").is_file()


def _check_output(out: Path, overwrite: bool, resume: bool) -> None:
    """Refuse an output folder that would be clobbered, before anything is read or written:
    one that holds anything a run did not write is never resumed, overwritten or cleaned."""
    if any(p.exists() and not p.is_dir() for p in [out, *out.parents]):
        raise ADeGANError(f"--output {out} is, or is under, a file; choose a folder")
    refuse_unowned(out, "run", is_run_file, "choose a new or empty --output folder")
    if (out / REPLACED).exists() and not (resume or overwrite):
        raise ADeGANError(f"{out} holds a run that an unfinished --overwrite set aside in "
                          f"{out / REPLACED}: pass --resume to continue the run that replaces "
                          f"it, --overwrite to start that again, or move {REPLACED} out of the "
                          "folder to keep the old run")
    interrupted = (out / "backup").exists() and not is_finished(out)
    if (out / "model.keras").exists() and not overwrite and not (resume and interrupted):
        raise ADeGANError(f"{out} already holds a trained model; choose another --output "
                          "or pass --overwrite to replace it")
    if (out / "backup").exists() and not (resume or overwrite):
        raise ADeGANError(f"{out} holds an interrupted run: pass --resume to continue it, "
                          "or --overwrite to start again")


def _remove(out: Path, names) -> None:
    for name in names:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def _set_aside(out: Path) -> None:
    """`--overwrite`: move the run in `out` to `out/.replaced/`, where it stays until the new
    run has succeeded. A replacing run that was itself cut short is removed (the run it
    replaced stays set aside); one that finished replaces its predecessor for good."""
    kept = out / REPLACED
    if kept.exists():
        if not is_finished(out):
            _remove(out, OUTPUTS)
            return
        shutil.rmtree(kept)
    present = [name for name in OUTPUTS if (out / name).exists()]
    if present:
        kept.mkdir()
        for name in present:
            (out / name).rename(kept / name)


def _put_back(out: Path) -> None:
    """A replacing run failed: remove what it wrote and restore the run it replaced."""
    kept = out / REPLACED
    if kept.is_dir():
        _remove(out, OUTPUTS)
        for path in kept.iterdir():
            path.rename(out / path.name)
        kept.rmdir()


def _prepare_output(out: Path, overwrite: bool, resume: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if overwrite and not resume:
        _set_aside(out)
    if marker(out) is None:
        mark(out, "run")
    for left in out.iterdir():  # of a save that a kill cut short
        if ".partial-" in left.name and left.is_file():
            left.unlink()


def train(config: ADeGANConfig, output_dir, data_dir=None, overwrite: bool = False,
          resume: bool = False, allow_download: bool = True, fpr: float = 0.05,
          verbose=None, data: ImageData | None = None, test_curve: bool = False,
          batch_statistics_curve: bool = False) -> dict:
    """Run the whole method for one (dataset, anomaly class, seed) and write the output folder.

    Args:
        config: the run's hyperparameters. With `resume`, they must equal the saved
            `config.json` (a difference is an error that lists it).
        output_dir: the folder to write; it must not already hold a model (unless `overwrite`).
        data_dir: where the dataset's files are (see `keras_adegan.data.load_dataset`).
        overwrite: replace a finished or interrupted run in `output_dir` (kept in
            `output_dir/.replaced/` until the new run has succeeded, put back if it fails).
        resume: continue an interrupted run from its last finished epoch.
        allow_download: let TFDS download the dataset when it is not found locally.
        fpr: false-positive rate on validation normals that sets the decision threshold.
        verbose: passed to `fit()`; None shows progress bars on a terminal, one line per
            epoch elsewhere.
        data: the dataset, already loaded (e.g. once for a whole benchmark); None loads
            `config.dataset` from `data_dir`.
        test_curve: also log the test split's AUROC after every stage-2 epoch (`test_auroc_*`
            in `history.jsonl`), for a learning curve that is reported and never used: the
            last epoch's model is kept whatever the curve shows.
        batch_statistics_curve: also log every curve with G's BatchNorm in training mode
            (`*_bs_auroc_*`): the biased-protocol diagnostic of `benchmarks/paper.py`.

    Returns:
        The contents of `metrics.json`.

    Example:
        >>> metrics = train(ADeGANConfig.preset("fashion_mnist", anomaly_class=5),  # sandal
        ...                 "runs/sandal", data_dir="/data/fashion_mnist")
        >>> metrics["test"]["auroc_features"]
    """
    strategy = strategy_from_environment()  # before any other TensorFlow work
    out, backup = Path(output_dir), Path(output_dir) / "backup"
    if not is_chief():  # only the chief writes the output folder
        out = Path(tempfile.mkdtemp(prefix="adegan-worker-"))
        backup = backup.with_name(f"backup-{worker_name()}")
    if resume and (out / "config.json").exists():
        stored = ADeGANConfig.load(out / "config.json")
        changed = stored.differences(config)
        if changed:
            raise ADeGANError(f"--resume continues the run in {out} with its stored config, but "
                              f"these settings differ from it: {'; '.join(changed)}. Drop them, "
                              "or start a new run in another --output folder")
        config = stored
    _check_output(out, overwrite, resume)
    start = time.time()
    # Every data problem surfaces here, before the output folder is touched.
    if data is None:
        data = load_dataset(config.dataset, data_dir, config.image_size, allow_download,
                            config.color_mode)
    check_image_shape(data.image_shape)
    keras.utils.set_random_seed(config.seed)  # the networks' initial weights
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    check_splits(splits, config)
    stream = train_stream(splits.train_x, config.batch_size, config.seed)
    with folder_lock(out):  # a second run into the same folder is refused, not interleaved
        _prepare_output(out, overwrite, resume)
        try:
            if not (resume and (out / "config.json").exists()):
                config.save(out / "config.json")
            _check_same_data(out, data, resume)
            with strategy.scope():
                model = build_model(config, data.image_shape, len(splits.train_x), data.source)
            curves = {"val": (splits.val_x, splits.val_y)}
            if test_curve:
                curves["test"] = (splits.test_x, splits.test_y)
            auroc = ValidationAUROC(curves, batch_statistics=batch_statistics_curve,
                                    bank_images=epoch_bank(splits.train_x, config.seed))
            probe = core_probe(splits, config.seed, config.dataset)
            model.adapt(to_model_range(splits.train_x))  # before restore, which may overwrite it
            checkpoint = EpochCheckpoint(backup)
            initial_epoch = checkpoint.restore(model)
            callbacks = [  # in this order: the history row is written before the checkpoint
                auroc,
                CoreMonitor(probe, config.seed),
                EpochLog(out / "history.jsonl"),
                checkpoint,
                keras.callbacks.TensorBoard(str(out / "logs")),
            ]
            epochs = config.stage1_epochs + config.stage2_epochs
            if verbose is None:
                verbose = 1 if sys.stdout.isatty() else 2
            if verbose:
                callbacks.append(StageAnnouncer())
            model.fit(stream, epochs=epochs, initial_epoch=initial_epoch,
                      callbacks=callbacks, verbose=verbose)
            train_seconds = time.time() - start

            metrics = _score_and_report(model, config, data, splits, out, fpr, probe)
            metrics.update(train_seconds=round(train_seconds, 1),
                           wall_seconds=round(time.time() - start, 1))
            write_atomically(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        except Exception:  # not Ctrl-C or a kill: those leave a run that --resume continues
            if overwrite and not resume:
                _put_back(out)
            raise
        shutil.rmtree(out / REPLACED, ignore_errors=True)
    shutil.rmtree(backup, ignore_errors=True)
    if out != Path(output_dir):
        shutil.rmtree(out, ignore_errors=True)
    return metrics


def epoch_bank(train_x, seed: int) -> np.ndarray:
    """The training normals (a seeded sample of at most `EPOCH_BANK`) that fill the bank of the
    feature score logged after every epoch."""
    pick = np.random.default_rng(seed).permutation(len(train_x))[:EPOCH_BANK]
    return train_x[np.sort(pick)]


def core_probe(splits, seed: int, dataset: str | None = None) -> CoreProbe:
    """The core diagnostics' probe of a run's splits (validation normals and their classes),
    with the Frechet distance when `dataset` has a shipped classifier for the images' shape."""
    normal = splits.val_y == 0
    return CoreProbe(splits.train_x, splits.train_classes, splits.val_x[normal],
                     splits.val_classes[normal], seed,
                     load_classifier(dataset, splits.train_x.shape[1:]) if dataset else None)


def _score_and_report(model: ADeGAN, config: ADeGANConfig, data: ImageData, splits, out: Path,
                      fpr: float, probe: CoreProbe | None = None) -> dict:
    """After training: fit the feature score on training normals, calibrate both scores on
    validation normals, evaluate on validation and test, save the model and the figures.
    Returns the metrics (without timings)."""
    feature_fit = model.fit_feature_score(to_model_range(splits.train_x))
    calibration = model.calibrate(to_model_range(splits.val_normals), fpr=fpr)
    val_outputs = model.score(to_model_range(splits.val_x))
    val_metrics = ranking_metrics(component_scores(val_outputs), splits.val_y)
    test_metrics, test_outputs = evaluate_model(model, splits.test_x, splits.test_y)

    core = core_metrics(model, probe or core_probe(splits, config.seed, config.dataset), config.seed)
    save_model(model, out / "model.keras")
    title = (f"{config.dataset}, anomaly class {config.anomaly_class} "
             f"({data.class_names[config.anomaly_class]}), test split")
    plots.plot_roc(component_scores(test_outputs), splits.test_y, out / "roc.png", title=title)
    plots.plot_patterns(
        model.generate(8, seed=config.seed), out / "patterns.png",
        caption=f"Each row: one pattern z_c with 8 draws of z_n ~ N(0, {config.noise_std:g}^2). "
                "Rows should differ, each a normal class; the draws in a row should differ too. "
                f"After {config.stage1_epochs} adversarial + {config.stage2_epochs} "
                f"self-supervised epochs: {core_caption(core)}.")
    plots.plot_score_histograms(
        {"feature score": (test_outputs["feature_score"], calibration["feature_threshold"]),
         "paper's score S = -log(p_r p_c) (Eq. 11)": (test_outputs["paper_score"],
                                                      calibration["paper_threshold"])},
        splits.test_y, out / "score_hist.png", title=title)
    return {
        "test": test_metrics,
        "validation": val_metrics,
        "calibration": calibration,
        "feature_fit": feature_fit,
        "core": core,
        "config": config.to_dict(),
        "seed": config.seed,
        "data": {"source": data.source, "image_shape": list(data.image_shape),
                 "class_names": data.class_names, "train": int(len(splits.train_x)),
                 "validation": int(len(splits.val_x)),
                 "validation_anomalies": int(splits.val_y.sum()),
                 "test": int(len(splits.test_x)), "test_anomalies": int(splits.test_y.sum())},
        "history": read_history(out / "history.jsonl"),
        "versions": library_versions(),
        "cpu": cpu_name(),
        "threads": thread_setting(),
        "command": command_line(),
        "code": code_version(),
    }


def _rescored(out: Path, data_dir, data: ImageData | None, options: dict):
    """A finished run's model with other scoring options (its feature score not fitted yet),
    its config and data splits."""
    unknown = sorted(set(options) - set(SCORE_FIELDS))
    if unknown:
        raise ADeGANError(f"rescore changes only scoring options ({', '.join(SCORE_FIELDS)}); "
                          f"got {', '.join(unknown)}")
    if not (out / "model.keras").is_file():
        raise ADeGANError(f"{out} holds no model.keras: rescoring needs a finished run's folder")
    old = load_detector(out / "model.keras")
    previous = json.loads((out / "metrics.json").read_text())
    config = ADeGANConfig.from_dict({**previous["config"], **options})
    if data is None:
        data = load_dataset(config.dataset, data_dir, config.image_size,
                            color_mode=config.color_mode)
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    model = old.with_scoring(**scoring_options(config, len(splits.train_x)),
                             run_config=config.to_dict())
    return model, config, data, splits, previous


def validation_metrics(run_dir, data_dir=None, data: ImageData | None = None,
                       **options) -> dict:
    """A finished run's validation metrics under other scoring options (`SCORE_FIELDS`),
    writing nothing and never scoring the test split: for studies that choose a scoring.

    Args:
        run_dir: a finished run's folder (`train`'s output).
        data_dir: where the run's dataset is, if not where it was first read.
        data: the dataset, already loaded; None reads it.
        **options: the scoring fields to try (`ADeGANConfig`'s `SCORE_FIELDS`).

    Returns:
        `ranking_metrics` of every score component on the validation split.

    Example:
        >>> validation_metrics("runs/mnist-class0-seed0", feature_source="extractor")
    """
    model, _, _, splits, _ = _rescored(Path(run_dir), data_dir, data, options)
    model.fit_feature_score(to_model_range(splits.train_x))
    model.calibrate(to_model_range(splits.val_normals))
    return ranking_metrics(component_scores(model.score(to_model_range(splits.val_x))),
                           splits.val_y)


def rescore(run_dir, data_dir=None, data: ImageData | None = None, fpr: float = 0.05,
            **options) -> dict:
    """Give a finished run other scoring options (`SCORE_FIELDS`) without retraining.

    The networks stay as trained; the feature score is fitted again on the run's training
    normals and both scores are calibrated again on its validation normals. `model.keras`,
    `config.json`, `metrics.json` and the figures of `run_dir` are replaced (the previous
    metrics are kept under `"previous_scoring"`).

    Args:
        run_dir: a finished run's folder (`train`'s output).
        data_dir: where the run's dataset is, if not where it was first read.
        data: the dataset, already loaded; None reads it.
        fpr: false-positive rate on validation normals that sets the thresholds.
        **options: the scoring fields to change (`ADeGANConfig`'s `SCORE_FIELDS`).

    Returns:
        The new contents of `metrics.json`.

    Example:
        >>> rescore("runs/mnist-class0-seed0", bank_size=256, feature_k=1)
    """
    out = Path(run_dir)
    start = time.time()
    model, config, data, splits, previous = _rescored(out, data_dir, data, options)
    with folder_lock(out):
        metrics = _score_and_report(model, config, data, splits, out, fpr)
        metrics.update(train_seconds=previous["train_seconds"],
                       wall_seconds=previous["wall_seconds"],
                       code=previous.get("code"),  # the code that trained the networks
                       # the machine whose training time this is (None: not recorded then)
                       cpu=previous.get("cpu"), threads=previous.get("threads"),
                       rescore_code=metrics["code"],
                       rescore_seconds=round(time.time() - start, 1),
                       previous_scoring={k: previous[k] for k in ("config", "test", "validation")})
        config.save(out / "config.json")
        write_atomically(out / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics
