"""Every hyperparameter of a run in one typed place, with per-dataset presets.

The paper fixes n_c = 10, lr = 2e-4 and the loss weights (alpha, beta, gamma) = (1, 1, 10) for
MNIST-like data and (1, 10, 10) for CIFAR-10. Everything else it leaves open; the values chosen
here are documented in the README ("Choices the paper leaves open").
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import re
from pathlib import Path

from keras_adegan.errors import ADeGANError

SCORES = ("features", "paper")
SOURCES = ("extractor", "noise", "discriminator", "extractor+discriminator")
DENSITIES = ("knn", "gaussian")
DISTANCES = ("cosine", "euclidean")
SELECTIONS = ("coreset", "random")
PRECISIONS = ("float32", "mixed_bfloat16")
COLOR_MODES = ("grayscale", "rgb")
READINGS = ("ours", "literal")
REAL_TASKS = ("none", "rotation", "contrastive", "patterns")
# Real-normal tasks that train a rotation head on E, whose own score the feature score may add.
ROTATION_TASKS = ("rotation", "contrastive")
# Fields that only change how a trained model scores, never how it trains.
SCORE_FIELDS = ("score", "feature_source", "feature_density", "feature_distance", "feature_k",
                "bank_size", "bank_selection", "rotation_score_weight")


@dataclasses.dataclass
class ADeGANConfig:
    """Hyperparameters of one ADe-GAN run.

    Attributes:
        dataset: a named dataset (`digits`, `mnist`, `fashion_mnist`, `cifar10`) or `folder`
            for a user's image-folder tree.
        anomaly_class: index of the class held out as the anomaly (the others are normal).
        image_size: (height, width) that images are resized to, or None for the data's own
            size. Only used for image folders; both sides must be divisible by 4.
        color_mode: for image folders: "grayscale" or "rgb" converts every image; None (the
            default) requires all images to have the same channel count.
        n_patterns: n_c, the number of patterns (categories of z_c).
        noise_dim: size of the continuous code z_n.
        noise_std: sigma of z_n ~ N(0, sigma^2).
        alpha: weight of the interpolation loss L_ip (Eq. 6).
        beta: weight of the self-supervised pattern loss L_sl (Eq. 3).
        gamma: weight of the reconstruction loss L_recon (Eq. 7).
        reading: "ours" (the README's reading of the paper) or "literal" (the paper as
            printed: L2 norms in Eq. 3, 7 and 9, within-pattern interpolants in L_sl, L_ip
            into E only, Eq. 11 as A(x) = -(1/n_c) log p + (1 - log p) log q).
        real_task: beyond the paper: a self-supervised task on the *real* training normals
            in stage 2, so that E learns from them too: "none" (the paper), "rotation" (E
            predicts by how many quarter turns each real normal was rotated, through a small
            head on its features; the RotNet/GEOM line of work), "contrastive" (CSI: E's
            features, through a projection head, pull two random views of an image together
            and push every other image and every other rotation of it away, and the rotation
            head learns the turns of both views; `keras_adegan.augment`) or "patterns" (E
            assigns each real normal to one of its patterns with confidence while using every
            pattern equally, `losses.pattern_assignment_loss`). Presets and the command
            line then default to the scoring chosen for the task on validation
            (`TASK_SCORING`; for the rotation task E's trunk, k = 5, rotation score weight
            0.5; `DATASET_SCORING` where a dataset's own choice won on validation).
        real_weight: weight of the real-normal task's loss, added to Eq. 8.
        contrast_temperature: temperature of the contrastive task's similarities
            (`real_task="contrastive"`; SimCLR's and CSI's 0.5).
        cross_mix_min: across-pattern interpolation weights are drawn from
            U(cross_mix_min, 1 - cross_mix_min), so that mixtures are really between patterns.
        learning_rate: Adam learning rate for G, D and E.
        beta_1: Adam beta_1.
        beta_2: Adam beta_2.
        batch_size: global batch size.
        stage1_epochs: epochs of adversarial training (stage 1, Eq. 1).
        stage2_epochs: epochs of self-supervised training (stage 2, Eq. 8).
        width: channels of the first convolution; the networks double it once.
        extractor_blocks: beyond the paper, a deeper E: residual blocks (two 3x3
            convolutions and a skip) after each of E's two strided convolutions, at the same
            feature shapes; 0 (the default) is the paper's DCGAN-style E.
        val_fraction: share of the training split's images held out for validation
            (normals and anomaly-class images alike).
        train_limit: use at most this many normal training images (None: all).
        seed: seed for splits, shuffling, initialisation and latent sampling.
        precision: "float32" or "mixed_bfloat16" (bfloat16 compute on CPUs with AMX; see the
            README's speed table before choosing it).
        jit_compile: compile the training step with XLA.
        score: the score that decides (`score`, `is_anomaly`, the threshold): "features" (the
            feature score, beyond the paper) or "paper" (S, Eq. 11). Both are always reported.
        feature_source: features of the feature score: "extractor", "noise", "discriminator"
            or "extractor+discriminator" (see `keras_adegan.features`).
        feature_density: "knn" (bank of training normals) or "gaussian" (per pattern).
        feature_distance: "cosine" or "euclidean" (kNN).
        feature_k: neighbours averaged by the kNN score.
        bank_size: rows of the kNN bank, subsampled from the training normals; None keeps
            every training normal.
        bank_selection: "coreset" (greedy k-centre) or "random".
        rotation_score_weight: beyond the paper, for models trained with a rotation head
            (`real_task` "rotation" or "contrastive"): weight of the rotation task's own score
            (how badly E tells an image's quarter turns apart) added to the feature score, each part
            standardised on the validation normals; 0 keeps the feature score alone.

    The feature-score fields are scoring options: they change no training step, so runs that
    differ only in them share one trained model (see `SCORE_FIELDS`).

    Example:
        >>> cfg = ADeGANConfig.preset("mnist", anomaly_class=3, stage2_epochs=5)
        >>> cfg.gamma
        10.0
    """

    dataset: str = "digits"
    anomaly_class: int = 0
    image_size: tuple[int, int] | None = None
    color_mode: str | None = None
    n_patterns: int = 10
    noise_dim: int = 16
    noise_std: float = 0.1
    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 10.0
    reading: str = "ours"
    real_task: str = "none"
    real_weight: float = 1.0
    contrast_temperature: float = 0.5
    cross_mix_min: float = 0.25
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    batch_size: int = 64
    stage1_epochs: int = 10
    stage2_epochs: int = 10
    width: int = 32
    extractor_blocks: int = 0
    val_fraction: float = 0.1
    train_limit: int | None = None
    seed: int = 0
    precision: str = "float32"
    jit_compile: bool = False
    # The feature score's defaults were chosen on validation data: results/feature_study.md.
    score: str = "features"
    feature_source: str = "noise"
    feature_density: str = "knn"
    feature_distance: str = "cosine"
    feature_k: int = 5
    bank_size: int | None = None
    bank_selection: str = "random"
    rotation_score_weight: float = 0.0

    def __post_init__(self):
        if self.image_size is not None:
            self.image_size = tuple(int(v) for v in self.image_size)
        self.validate()

    def validate(self) -> None:
        """Raise `ADeGANError` naming the first field that is out of range."""
        numbers = ("noise_std", "alpha", "beta", "gamma", "real_weight", "contrast_temperature",
                   "cross_mix_min", "learning_rate", "beta_1", "beta_2", "val_fraction",
                   "rotation_score_weight")
        whole = ("anomaly_class", "n_patterns", "noise_dim", "batch_size", "stage1_epochs",
                 "stage2_epochs", "width", "extractor_blocks", "seed", "feature_k")
        types = [(isinstance(getattr(self, name), (int, float))
                  and not isinstance(getattr(self, name), bool)
                  and math.isfinite(getattr(self, name)), f"{name} must be a finite number")
                 for name in numbers]
        types += [(isinstance(getattr(self, name), int) and not isinstance(getattr(self, name), bool),
                   f"{name} must be a whole number") for name in whole]
        for ok, message in types:  # before the ranges, which compare numbers
            if not ok:
                raise ADeGANError(f"invalid configuration: {message}")
        checks = [
            (self.n_patterns >= 2, "n_patterns must be at least 2"),
            (self.noise_dim >= 1, "noise_dim must be at least 1"),
            (self.noise_std > 0, "noise_std must be positive"),
            (min(self.alpha, self.beta, self.gamma) >= 0, "alpha, beta and gamma must be >= 0"),
            (0 <= self.cross_mix_min < 0.5, "cross_mix_min must be in [0, 0.5)"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (self.batch_size >= 2, "batch_size must be at least 2"),
            (self.stage1_epochs >= 1 and self.stage2_epochs >= 1,
             "each stage needs at least 1 epoch (stage 1 trains G and D, stage 2 trains E)"),
            (0 <= self.beta_1 < 1 and 0 <= self.beta_2 < 1, "beta_1 and beta_2 must be in [0, 1)"),
            (self.seed >= 0, "seed must be >= 0"),
            (self.width >= 1, "width must be at least 1"),
            (self.extractor_blocks >= 0, "extractor_blocks must be >= 0"),
            (0 < self.val_fraction < 1, "val_fraction must be in (0, 1)"),
            (self.train_limit is None or self.train_limit >= 1, "train_limit must be >= 1"),
            (self.anomaly_class >= 0, "anomaly_class must be >= 0"),
            (self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}"),
            (self.score in SCORES, f"score must be one of {', '.join(SCORES)}"),
            (self.reading in READINGS, f"reading must be one of {', '.join(READINGS)}"),
            (self.real_task in REAL_TASKS, f"real_task must be one of {', '.join(REAL_TASKS)}"),
            (self.real_weight >= 0, "real_weight must be >= 0"),
            (self.rotation_score_weight >= 0, "rotation_score_weight must be >= 0"),
            (self.contrast_temperature > 0, "contrast_temperature must be positive"),
            (self.rotation_score_weight == 0 or self.real_task in ROTATION_TASKS,
             "rotation_score_weight needs a model trained with a rotation head (--real-task "
             f"{' or '.join(ROTATION_TASKS)})"),
            (self.color_mode is None or self.color_mode in COLOR_MODES,
             f"color_mode must be one of {', '.join(COLOR_MODES)}"),
            (self.feature_source in SOURCES, f"feature_source must be one of {', '.join(SOURCES)}"),
            (self.feature_density in DENSITIES,
             f"feature_density must be one of {', '.join(DENSITIES)}"),
            (self.feature_distance in DISTANCES,
             f"feature_distance must be one of {', '.join(DISTANCES)}"),
            (self.bank_selection in SELECTIONS,
             f"bank_selection must be one of {', '.join(SELECTIONS)}"),
            (self.bank_size is None or (isinstance(self.bank_size, int) and self.bank_size >= 1),
             "bank_size must be a whole number >= 1, or None for every training normal"),
            (self.feature_k >= 1 and (not isinstance(self.bank_size, int)  # None: all normals
                                      or self.feature_k <= self.bank_size),
             "feature_k must be between 1 and bank_size"),
            (
                self.image_size is None
                or (len(self.image_size) == 2 and all(v > 0 and v % 4 == 0 for v in self.image_size)),
                "image_size must be two positive numbers divisible by 4, e.g. (64, 64)",
            ),
            (self.image_size is None or self.dataset == "folder",
             "image_size (--image-size) resizes image folders only: named datasets keep their "
             "own size"),
            (self.color_mode is None or self.dataset == "folder",
             "color_mode (--color-mode) converts image folders only"),
        ]
        for ok, message in checks:
            if not ok:
                raise ADeGANError(f"invalid configuration: {message}")

    @classmethod
    def preset(cls, dataset: str, **overrides) -> "ADeGANConfig":
        """The defaults for `dataset`, with `overrides` applied on top (and the scoring chosen
        on validation for the dataset and `real_task`, `chosen_scoring`, in between)."""
        if dataset not in PRESETS:
            raise ADeGANError(
                f"unknown dataset {dataset!r} (no preset); choose one of: {', '.join(PRESETS)}"
            )
        values = dict(PRESETS[dataset], dataset=dataset)
        values.update(chosen_scoring(dataset, overrides.get("real_task")))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ADeGANConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ADeGANError(f"unknown configuration keys: {', '.join(unknown)}")
        return cls(**values)

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> "ADeGANConfig":
        """Read a `config.json`, or raise `ADeGANError` saying what is wrong with it."""
        try:
            values = json.loads(Path(path).read_text())
        except OSError as exc:
            raise ADeGANError(f"cannot read the config file {path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise ADeGANError(f"{path} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(values, dict):
            raise ADeGANError(f"{path} must hold a JSON object of configuration fields")
        try:
            return cls.from_dict(values)
        except TypeError as exc:
            raise ADeGANError(f"{path}: {exc}") from None

    def differences(self, other: "ADeGANConfig") -> list[str]:
        """`field: this -> other` for every field where the two configs differ."""
        mine, theirs = self.to_dict(), other.to_dict()
        return [f"{k}: {mine[k]!r} -> {theirs[k]!r}" for k in mine if mine[k] != theirs[k]]


# --------------------------------------------------------------------------- command-line flags

ALL = "all"  # --bank-size all: every training normal (bank_size None)


def parse_image_size(text: str) -> tuple[int, int]:
    """'64x64', '64,48' or '64' -> (height, width)."""
    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}") from None
    if len(parts) == 1:
        parts *= 2
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"image size must look like 64x64, got {text!r}")
    return tuple(parts)


def parse_bank_size(text: str) -> int | None:
    """A number of bank rows, or 'all' (None: every training normal)."""
    if text == ALL:
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"bank size must be a number or 'all', got {text!r}") from None


CHOICES = {"precision": PRECISIONS, "color_mode": COLOR_MODES, "score": SCORES, "reading": READINGS,
           "real_task": REAL_TASKS,
           "feature_source": SOURCES, "feature_density": DENSITIES, "feature_distance": DISTANCES,
           "bank_selection": SELECTIONS}
# Fields whose flag reads text its own way; `anomaly_class` stays text (an index or a class
# name, resolved against the dataset by `keras_adegan.data.class_index`).
FLAG_TYPES = {"image_size": parse_image_size, "bank_size": parse_bank_size, "anomaly_class": str}
FLAG_ALIASES = {"jit_compile": ("--jit",)}
SCALARS = {"int": int, "float": float, "str": str}


def field_help() -> dict[str, str]:
    """Each field's description, read from the `Attributes:` section of `ADeGANConfig`."""
    section = ADeGANConfig.__doc__.split("Attributes:")[1].split("\n\n")[0]
    found = re.findall(r"^ {8}(\w+): (.*?)(?=^ {8}\w+: |\Z)", section, re.M | re.S)
    return {name: " ".join(text.split()) for name, text in found}


def add_config_flags(parser: argparse.ArgumentParser, fields=None) -> None:
    """One `--field-name` flag per `ADeGANConfig` field (or per name in `fields`), typed and
    described from the dataclass. A flag not given is absent from the parsed namespace, so
    `config_overrides` returns exactly what the user set."""
    descriptions = field_help()
    for field in dataclasses.fields(ADeGANConfig):
        if fields is not None and field.name not in fields:
            continue
        names = ("--" + field.name.replace("_", "-"),) + FLAG_ALIASES.get(field.name, ())
        kwargs = dict(dest=field.name, default=argparse.SUPPRESS, help=descriptions[field.name])
        if field.type == "bool":
            kwargs["action"] = "store_true"
        elif field.name in CHOICES:
            kwargs["choices"] = CHOICES[field.name]
        else:
            kwargs["type"] = FLAG_TYPES.get(field.name) or SCALARS[field.type.split(" |")[0]]
        parser.add_argument(*names, **kwargs)


def config_overrides(args: argparse.Namespace) -> dict:
    """The config fields set on the command line (see `add_config_flags`)."""
    known = {f.name for f in dataclasses.fields(ADeGANConfig)}
    return {k: v for k, v in vars(args).items() if k in known}


def config_from_flags(args: argparse.Namespace) -> "ADeGANConfig":
    """The preset of `--dataset` (default `digits`), or the `--config` file when the command has
    one, with the flags given on top: `--epochs` sets both stages unless one is given, and
    `--anomaly-class` may name a class (looked up in the dataset at `--data-dir`)."""
    from keras_adegan.data import class_index

    overrides = config_overrides(args)
    epochs = getattr(args, "epochs", None)
    if epochs is not None:
        overrides.setdefault("stage1_epochs", epochs)
        overrides.setdefault("stage2_epochs", epochs)
    path = getattr(args, "config", None)
    base = ADeGANConfig.load(path).to_dict() if path else None
    dataset = overrides.get("dataset") or (base["dataset"] if base else "digits")
    if "anomaly_class" in overrides:
        overrides["anomaly_class"] = class_index(dataset, getattr(args, "data_dir", None),
                                                 overrides["anomaly_class"])
    if base is not None:
        task_scoring = (chosen_scoring(base["dataset"], overrides["real_task"])
                        if "real_task" in overrides else {})
        return ADeGANConfig.from_dict({**base, **task_scoring, **overrides})
    overrides.pop("dataset", None)
    config = ADeGANConfig.preset(dataset, **overrides)
    # `preset` skips None values; `--bank-size all` (None) must still replace the preset's.
    if "bank_size" in overrides and overrides["bank_size"] is None:
        config = dataclasses.replace(config, bank_size=None)
    return config


# Beyond the paper: the scoring chosen on validation for models trained with a real-normal
# task (results/feature_study_<task>.md), under the options a user gives.
TASK_SCORING: dict[str, dict] = {
    "rotation": dict(feature_source="extractor", feature_k=5, rotation_score_weight=0.5),
    # the contrastive study's choice (results/feature_study_contrastive.md: cosine kNN-1 in E's
    # trunk over every training normal, validation 0.764; the option is in no results table)
    "contrastive": dict(feature_source="extractor", feature_k=1),
    # the pattern study's choice (results/feature_study_patterns.md: Euclidean kNN-1 in D's
    # trunk over every training normal, validation 0.758; the option is in no results table)
    "patterns": dict(feature_source="discriminator", feature_distance="euclidean", feature_k=1),
}

# Where a dataset's own scoring beat the general one on validation, by the rule of
# benchmarks/dataset_scoring.py (results/dataset_scoring[_<task>].md), keyed by (dataset,
# real_task); applied on top of TASK_SCORING.
DATASET_SCORING: dict[tuple[str, str], dict] = {
    # MNIST's rotation-task models: kNN in E's trunk alone, without the rotation score
    # (validation 0.918 against 0.904 over the table's 10 cells; results/dataset_scoring_rotation.md)
    ("mnist", "rotation"): dict(rotation_score_weight=0.0),
    # Fashion-MNIST's rotation-task models: Euclidean kNN-1 in E's trunk + 2 x the rotation
    # score (validation 0.773 against 0.750 over the table's 30 cells; results/scoring_grid_rotation.md)
    ("fashion_mnist", "rotation"): dict(feature_distance="euclidean", feature_k=1,
                                        rotation_score_weight=2.0),
}


def chosen_scoring(dataset: str, real_task: str | None) -> dict:
    """The scoring options chosen on validation for models of `dataset` trained with
    `real_task` (None: the paper's training), under any option a user gives."""
    task = real_task or "none"
    return {**TASK_SCORING.get(task, {}), **DATASET_SCORING.get((dataset, task), {})}


# Paper: n_c = 10; (alpha, beta, gamma) = (1, 1, 10) for MNIST-like data, (1, 10, 10) for CIFAR-10.
# Epochs are this project's CPU budget, not the paper's (which does not state them).
PRESETS: dict[str, dict] = {
    "digits": dict(alpha=1.0, beta=1.0, gamma=10.0, width=16, batch_size=32,
                   stage1_epochs=15, stage2_epochs=15),
    "mnist": dict(alpha=1.0, beta=1.0, gamma=10.0, width=32, stage1_epochs=5, stage2_epochs=5),
    "fashion_mnist": dict(alpha=1.0, beta=1.0, gamma=10.0, width=32,
                          stage1_epochs=5, stage2_epochs=5),
    "cifar10": dict(alpha=1.0, beta=10.0, gamma=10.0, width=64, noise_dim=32,
                    stage1_epochs=5, stage2_epochs=5),
    "folder": dict(alpha=1.0, beta=1.0, gamma=10.0, width=32, stage1_epochs=10, stage2_epochs=10),
}
