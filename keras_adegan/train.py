"""Train, calibrate and evaluate one ADe-GAN run, from Python or the command line.

The output folder receives `model.keras`, `config.json`, `metrics.json` (test and validation
metrics of every score component, the config, the seed, library versions, wall time), `roc.png`,
`patterns.png`, `score_hist.png`, `history.jsonl` (losses and validation AUROC per epoch) and
TensorBoard logs in `logs/`. A run interrupted mid-way continues with `--resume`
(`keras_adegan.checkpoint.EpochCheckpoint` in `backup/`).

Command line:
    python -m keras_adegan.train                      # the embedded `digits` default
    python -m keras_adegan.train --dataset fashion_mnist --anomaly-class 0 --epochs 1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import keras

from keras_adegan import plots
from keras_adegan.checkpoint import EpochCheckpoint
from keras_adegan.config import (DENSITIES, DISTANCES, SCORE_FIELDS, SCORES, SELECTIONS, SOURCES,
                                 ADeGANConfig)
from keras_adegan.data import (ImageData, class_index, class_names_of, load_dataset, make_splits,
                               to_model_range, train_stream)
from keras_adegan.distribute import is_chief, strategy_from_environment, worker_name
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.evaluate import ValidationAUROC, component_scores, evaluate_model, ranking_metrics
from keras_adegan.model import ADeGAN, load_detector
from keras_adegan.networks import check_image_shape
from keras_adegan.outputs import folder_lock
from keras_adegan.provenance import code_version, command_line, library_versions

OUTPUTS = ("model.keras", "metrics.json", "config.json", "roc.png", "patterns.png",
           "score_hist.png", "history.jsonl", "logs", "backup")


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


def _check_output(out: Path, overwrite: bool, resume: bool) -> None:
    """Refuse an output folder that would be clobbered, before anything is read or written."""
    if any(p.exists() and not p.is_dir() for p in [out, *out.parents]):
        raise ADeGANError(f"--output-dir {out} is, or is under, a file; choose a folder")
    if (out / "model.keras").exists() and not overwrite:
        raise ADeGANError(f"{out} already holds a trained model; choose another --output-dir "
                          "or pass --overwrite to replace it")
    if (out / "backup").exists() and not (resume or overwrite):
        raise ADeGANError(f"{out} holds an interrupted run: pass --resume to continue it, "
                          "or --overwrite to start again")


def _prepare_output(out: Path, overwrite: bool, resume: bool) -> None:
    if overwrite and not resume:
        for name in OUTPUTS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def scoring_options(config: ADeGANConfig, n_train: int | None) -> dict:
    """The model's scoring arguments from a config; `bank_size` None (the whole training set)
    becomes the number of training normals, `n_train`."""
    options = {field: getattr(config, field) for field in SCORE_FIELDS}
    if options["bank_size"] is None:
        if n_train is None:
            raise ADeGANError("bank_size None (every training normal) needs the number of "
                              "training images")
        options["bank_size"] = max(int(n_train), options["feature_k"])
    return options


def build_model(config: ADeGANConfig, image_shape, n_train: int | None = None) -> ADeGAN:
    """A compiled `ADeGAN` with the config's hyperparameters (`n_train`: the number of training
    normals, which sizes a bank that holds them all)."""
    model = ADeGAN(image_shape=image_shape, n_patterns=config.n_patterns,
                   noise_dim=config.noise_dim, noise_std=config.noise_std, width=config.width,
                   alpha=config.alpha, beta=config.beta, gamma=config.gamma,
                   cross_mix_min=config.cross_mix_min, stage1_epochs=config.stage1_epochs,
                   seed=config.seed, precision=config.precision, run_config=config.to_dict(),
                   **scoring_options(config, n_train))
    model.compile(learning_rate=config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                  jit_compile=config.jit_compile)
    return model


def train(config: ADeGANConfig, output_dir, data_dir=None, overwrite: bool = False,
          resume: bool = False, allow_download: bool = True, fpr: float = 0.05,
          verbose=None, data: ImageData | None = None, test_curve: bool = False) -> dict:
    """Run the whole method for one (dataset, anomaly class, seed) and write the output folder.

    Args:
        config: the run's hyperparameters. With `resume`, they must equal the saved
            `config.json` (a difference is an error that lists it).
        output_dir: the folder to write; it must not already hold a model (unless `overwrite`).
        data_dir: where the dataset's files are (see `keras_adegan.data.load_dataset`).
        overwrite: replace a finished or interrupted run in `output_dir`.
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

    Returns:
        The contents of `metrics.json`.
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
                              "or start a new run in another --output-dir")
        config = stored
    _check_output(out, overwrite, resume)
    start = time.time()
    # Every data problem surfaces here, before the output folder is touched.
    if data is None:
        data = load_dataset(config.dataset, data_dir, config.image_size, allow_download,
                            config.color_mode)
    check_image_shape(data.image_shape)
    keras.utils.set_random_seed(config.seed)  # before the stream: its shuffle uses the global seed
    splits = make_splits(data, config.anomaly_class, config.val_fraction, config.seed,
                         config.train_limit)
    stream = train_stream(splits.train_x, config.batch_size, config.seed)
    with folder_lock(out):  # a second run into the same folder is refused, not interleaved
        _prepare_output(out, overwrite, resume)
        if not (resume and (out / "config.json").exists()):
            config.save(out / "config.json")
        with strategy.scope():
            model = build_model(config, data.image_shape, len(splits.train_x))
        model.run_config["data_source"] = data.source  # where evaluate and export re-read it
        curves = {"val": (splits.val_x, splits.val_y)}
        if test_curve:
            curves["test"] = (splits.test_x, splits.test_y)
        auroc = ValidationAUROC(curves)
        checkpoint = EpochCheckpoint(backup)
        initial_epoch = checkpoint.restore(model)
        callbacks = [  # in this order: the history row is written before the checkpoint
            auroc,
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

        metrics = _score_and_report(model, config, data, splits, out, fpr)
        metrics.update(train_seconds=round(train_seconds, 1),
                       wall_seconds=round(time.time() - start, 1))
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    shutil.rmtree(backup, ignore_errors=True)
    if out != Path(output_dir):
        shutil.rmtree(out, ignore_errors=True)
    return metrics


def _score_and_report(model: ADeGAN, config: ADeGANConfig, data: ImageData, splits, out: Path,
                      fpr: float) -> dict:
    """After training: fit the feature score on training normals, calibrate both scores on
    validation normals, evaluate on validation and test, save the model and the figures.
    Returns the metrics (without timings)."""
    feature_fit = model.fit_feature_score(to_model_range(splits.train_x))
    calibration = model.calibrate(to_model_range(splits.val_normals), fpr=fpr)
    val_outputs = model.score(to_model_range(splits.val_x))
    val_metrics = ranking_metrics(component_scores(val_outputs), splits.val_y)
    test_metrics, test_outputs = evaluate_model(model, splits.test_x, splits.test_y)

    model.save(out / "model.keras")
    title = (f"{config.dataset}, anomaly class {config.anomaly_class} "
             f"({data.class_names[config.anomaly_class]}), test split")
    plots.plot_roc(component_scores(test_outputs), splits.test_y, out / "roc.png", title=title)
    plots.plot_patterns(model.generate(8, seed=config.seed), out / "patterns.png")
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
        "config": config.to_dict(),
        "seed": config.seed,
        "data": {"source": data.source, "image_shape": list(data.image_shape),
                 "class_names": data.class_names, "train": int(len(splits.train_x)),
                 "validation": int(len(splits.val_x)),
                 "validation_anomalies": int(splits.val_y.sum()),
                 "test": int(len(splits.test_x)), "test_anomalies": int(splits.test_y.sum())},
        "history": read_history(out / "history.jsonl"),
        "versions": library_versions(),
        "command": command_line(),
        "code": code_version(),
    }


def rescore(run_dir, data_dir=None, data: ImageData | None = None, fpr: float = 0.05,
            **options) -> dict:
    """Give a finished run other scoring options (`SCORE_FIELDS`) without retraining.

    The networks stay as trained; the feature score is fitted again on the run's training
    normals and both scores are calibrated again on its validation normals. `model.keras`,
    `config.json`, `metrics.json` and the figures of `run_dir` are replaced (the previous
    metrics are kept under `"previous_scoring"`).

    Example:
        >>> rescore("runs/mnist-class0-seed0", bank_size=256, feature_k=1)
    """
    out = Path(run_dir)
    unknown = sorted(set(options) - set(SCORE_FIELDS))
    if unknown:
        raise ADeGANError(f"rescore changes only scoring options ({', '.join(SCORE_FIELDS)}); "
                          f"got {', '.join(unknown)}")
    start = time.time()
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
    with folder_lock(out):
        metrics = _score_and_report(model, config, data, splits, out, fpr)
        metrics.update(train_seconds=previous["train_seconds"],
                       wall_seconds=previous["wall_seconds"],
                       code=previous.get("code"),  # the code that trained the networks
                       rescore_code=metrics["code"],
                       rescore_seconds=round(time.time() - start, 1),
                       previous_scoring={k: previous[k] for k in ("config", "test", "validation")})
        config.save(out / "config.json")
        (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


ALL = "all"


def _bank_size(text: str):
    if text == ALL:
        return ALL
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bank size must be a number or 'all', got {text!r}") from None


def _image_size(text: str) -> tuple[int, int]:
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}")
    return tuple(parts)


def parse_args(argv=None) -> argparse.Namespace:
    p = ArgumentParser(prog="python -m keras_adegan.train",
                                description="Train and evaluate ADe-GAN on one held-out class.")
    p.add_argument("--dataset", default=None,
                   help="digits (embedded default), mnist, fashion_mnist, cifar10, or folder")
    p.add_argument("--anomaly-class", default=None,
                   help="class held out as anomaly: an index or a class name, e.g. 5 or sandal "
                        "(default 0; folder classes are numbered in alphabetical order)")
    p.add_argument("--data-dir", default=None, help="folder with the dataset (or image tree)")
    p.add_argument("--image-size", type=_image_size, default=None,
                   help="resize image folders to HxW (both divisible by 4), e.g. 64x64")
    p.add_argument("--color-mode", choices=["grayscale", "rgb"], default=None,
                   help="convert every image of a folder to grayscale or rgb (default: all "
                        "images must agree)")
    p.add_argument("--epochs", type=int, default=None, help="epochs of each stage")
    p.add_argument("--stage1-epochs", type=int, default=None, help="adversarial epochs")
    p.add_argument("--stage2-epochs", type=int, default=None, help="self-supervised epochs")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--n-patterns", type=int, default=None, help="n_c")
    p.add_argument("--noise-dim", type=int, default=None, help="size of z_n")
    p.add_argument("--noise-std", type=float, default=None, help="sigma of z_n")
    p.add_argument("--width", type=int, default=None, help="network width")
    p.add_argument("--alpha", type=float, default=None, help="weight of L_ip")
    p.add_argument("--beta", type=float, default=None, help="weight of L_sl")
    p.add_argument("--gamma", type=float, default=None, help="weight of L_recon")
    p.add_argument("--learning-rate", type=float, default=None)
    p.add_argument("--train-limit", type=int, default=None,
                   help="use at most this many normal training images")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default=None,
                   help="dtype policy of the networks (mixed_bfloat16: CPUs with AMX)")
    p.add_argument("--jit", action="store_true", default=None, help="compile training with XLA")
    p.add_argument("--score", choices=SCORES, default=None,
                   help="the score that decides: features (default, beyond the paper) or paper "
                        "(S, Eq. 11); both are always reported")
    p.add_argument("--feature-source", choices=SOURCES, default=None,
                   help="features of the feature score")
    p.add_argument("--feature-density", choices=DENSITIES, default=None,
                   help="knn (bank of training normals) or gaussian (one per pattern)")
    p.add_argument("--feature-distance", choices=DISTANCES, default=None, help="kNN distance")
    p.add_argument("--feature-k", type=int, default=None, help="neighbours averaged by kNN")
    p.add_argument("--bank-size", type=_bank_size, default=None,
                   help="rows of the kNN bank, or 'all' (every training normal); smaller: a "
                        "smaller, faster exported file")
    p.add_argument("--bank-selection", choices=SELECTIONS, default=None,
                   help="how the bank is subsampled: coreset (greedy k-centre) or random")
    p.add_argument("--rescore", action="store_true",
                   help="give the finished run in --output-dir the scoring flags given "
                        "(--score, --feature-*, --bank-*) without retraining")
    p.add_argument("--config", default=None, help="a config.json to start from")
    p.add_argument("--output-dir", default=None,
                   help="where to write the run (default runs/<dataset>-class<k>-seed<s>)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run with its stored config")
    p.add_argument("--overwrite", action="store_true", help="replace a run in --output-dir")
    p.add_argument("--no-download", action="store_true", help="never download through TFDS")
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> ADeGANConfig:
    """The preset of `--dataset` (or `--config`), with the flags given on top."""
    anomaly_class = args.anomaly_class
    if anomaly_class is not None:
        dataset = args.dataset or (ADeGANConfig.load(args.config).dataset if args.config
                                   else "digits")
        anomaly_class = class_index(dataset, args.data_dir, anomaly_class)
    overrides = dict(
        dataset=args.dataset, anomaly_class=anomaly_class, image_size=args.image_size,
        color_mode=args.color_mode,
        stage1_epochs=args.stage1_epochs if args.stage1_epochs is not None else args.epochs,
        stage2_epochs=args.stage2_epochs if args.stage2_epochs is not None else args.epochs,
        batch_size=args.batch_size, n_patterns=args.n_patterns, noise_dim=args.noise_dim,
        noise_std=args.noise_std, width=args.width, alpha=args.alpha, beta=args.beta,
        gamma=args.gamma, learning_rate=args.learning_rate, train_limit=args.train_limit,
        seed=args.seed, precision=args.precision, jit_compile=args.jit,
        **{field: getattr(args, field) for field in SCORE_FIELDS},
    )
    all_rows = overrides["bank_size"] == ALL  # None means "keep the preset's" among overrides
    if all_rows:
        overrides.pop("bank_size")
    if args.config:
        base = ADeGANConfig.load(args.config).to_dict()
        base.update({k: v for k, v in overrides.items() if v is not None})
        return ADeGANConfig.from_dict(base | ({"bank_size": None} if all_rows else {}))
    overrides.pop("dataset")
    config = ADeGANConfig.preset(args.dataset or "digits", **overrides)
    return dataclasses.replace(config, bank_size=None) if all_rows else config


def _rescore_main(args) -> int:
    options = {field: getattr(args, field) for field in SCORE_FIELDS
               if getattr(args, field) is not None}
    if options.get("bank_size") == ALL:
        options["bank_size"] = None
    if not args.output_dir or not (Path(args.output_dir) / "metrics.json").is_file():
        raise ADeGANError("--rescore needs --output-dir naming a finished run (with metrics.json)")
    if not options:
        raise ADeGANError("--rescore changes scoring options: give at least one of --score, "
                          "--feature-source, --feature-density, --feature-distance, --feature-k, "
                          "--bank-size, --bank-selection")
    test = rescore(args.output_dir, data_dir=args.data_dir, **options)["test"]
    print(f"rescored {args.output_dir} ({', '.join(f'{k}={v}' for k, v in options.items())}): "
          f"test AUROC {test['auroc_features']:.4f} (feature score), "
          f"{test['auroc_combined']:.4f} (paper's S); the {test['score']} score decides")
    return 0


@cli_main
def main(argv=None) -> int:
    args = parse_args(argv)
    if args.rescore:
        return _rescore_main(args)
    config = config_from_args(args)
    out = args.output_dir or f"runs/{config.dataset}-class{config.anomaly_class}-seed{config.seed}"
    if args.resume and not args.config and (Path(out) / "config.json").is_file():
        args.config = str(Path(out) / "config.json")  # the given flags go on top of it
        config = config_from_args(args)
    names = class_names_of(config.dataset, args.data_dir)
    if names:
        print(f"{config.dataset} classes: "
              + ", ".join(f"{i} {n}" for i, n in enumerate(names))
              + f"; anomaly: {config.anomaly_class}"
              + (f" ({names[config.anomaly_class]})" if config.anomaly_class < len(names)
                 else ""), flush=True)
    metrics = train(config, out, data_dir=args.data_dir, overwrite=args.overwrite,
                    resume=args.resume, allow_download=not args.no_download)
    test = metrics["test"]
    name = metrics["data"]["class_names"][config.anomaly_class]
    print(f"\n{config.dataset}, anomaly class {config.anomaly_class} ({name}), seed {config.seed}: "
          f"test AUROC {test['auroc_features']:.4f} (feature score), {test['auroc_combined']:.4f} "
          f"(paper's S, Eq. 11), {test['auroc_recon']:.4f} (reconstruction only), "
          f"{test['auroc_pattern']:.4f} (pattern only); the {config.score} score decides: "
          f"F1 {test['f1']:.3f} at its validation threshold; {metrics['wall_seconds']:.0f} s.\n"
          f"Wrote {out}/ (model.keras, metrics.json, roc.png, patterns.png, score_hist.png)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
