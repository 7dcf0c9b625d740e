"""`keras-adegan train` (or `python -m keras_adegan.train`): one run, see `keras_adegan.runs`.

Flags are the fields of `ADeGANConfig` (`keras_adegan.cli.flags`), on top of the dataset's
preset or of a `--config` file. TensorFlow is imported only after the arguments are parsed, so
that `--help` and argument errors answer at once.

Command line:
    python -m keras_adegan.train                      # the embedded `digits` default
    python -m keras_adegan.train --dataset fashion_mnist --anomaly-class sandal --epochs 1
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from keras_adegan.cli.flags import add_config_flags, config_from_flags, config_overrides
from keras_adegan.config import SCORE_FIELDS, ADeGANConfig
from keras_adegan.data import class_names_of
from keras_adegan.errors import ADeGANError, ArgumentParser, cli_main
from keras_adegan.startup import import_tensorflow_quietly


def parse_args(argv=None) -> argparse.Namespace:
    p = ArgumentParser(prog="python -m keras_adegan.train",
                       description="Train and evaluate ADe-GAN on one held-out class. Every "
                                   "setting not given comes from the dataset's preset (or "
                                   "from --config).")
    p.add_argument("--data-dir", default=None, help="folder with the dataset (or image tree)")
    p.add_argument("--epochs", type=int, default=None,
                   help="epochs of each stage (--stage1-epochs / --stage2-epochs set one)")
    p.add_argument("--config", default=None, help="a config.json to start from")
    p.add_argument("--output", "--output-dir", dest="output_dir", default=None, metavar="FOLDER",
                   help="the run's folder (default runs/<dataset>-class<k>-seed<s>)")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run with its stored config, exactly")
    p.add_argument("--overwrite", action="store_true", help="replace a run in --output")
    p.add_argument("--rescore", action="store_true",
                   help="give the finished run in --output the scoring flags given "
                        "(--score, --feature-*, --bank-*) without retraining")
    p.add_argument("--no-download", action="store_true", help="never download through TFDS")
    add_config_flags(p.add_argument_group("settings (ADeGANConfig fields)"))
    return p.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> ADeGANConfig:
    """The preset of `--dataset` (or `--config`), with the flags given on top."""
    return config_from_flags(args)


def _rescore_main(args) -> int:
    import_tensorflow_quietly()
    from keras_adegan.runs import rescore

    given = config_overrides(args)
    options = {k: v for k, v in given.items() if k in SCORE_FIELDS}
    training = sorted(f"--{k.replace('_', '-')}" for k in given if k not in SCORE_FIELDS)
    training += ["--epochs"] * (args.epochs is not None) + ["--config"] * bool(args.config)
    if training:
        raise ADeGANError(f"--rescore changes scoring only, never training: drop "
                          f"{', '.join(training)} (or train a new run without --rescore)")
    if not args.output_dir or not (Path(args.output_dir) / "metrics.json").is_file():
        raise ADeGANError("--rescore needs --output naming a finished run (with metrics.json)")
    if not options:
        raise ADeGANError("--rescore changes scoring options: give at least one of "
                          + ", ".join("--" + k.replace("_", "-") for k in SCORE_FIELDS))
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
    import_tensorflow_quietly()
    from keras_adegan.runs import train
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
