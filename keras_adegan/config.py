"""Every hyperparameter of a run in one typed place: `ADeGANConfig`, checked in `validate`.

The paper fixes n_c = 10, lr = 2e-4 and the loss weights (alpha, beta, gamma) = (1, 1, 10) for
MNIST-like data and (1, 10, 10) for CIFAR-10. Everything else it leaves open; the values chosen
here are listed in docs/method.md, and the per-dataset presets live in `keras_adegan.presets`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

from keras_adegan.errors import ADeGANError
from keras_adegan.outputs import write_atomically
from keras_adegan.presets import PRESETS, chosen_scoring

SCORES = ("features", "paper")
SOURCES = ("extractor", "noise")
DISTANCES = ("cosine", "euclidean")
FILLS = ("random", "kmeans")  # how a bank smaller than the training normals is filled
PRECISIONS = ("float32", "mixed_bfloat16")
COLOR_MODES = ("grayscale", "rgb")
READINGS = ("ours", "literal")
REAL_TASKS = ("none", "rotation", "clusters")
# real-normal tasks of earlier versions that lost their studies and were removed (results/README.md
# names the commit that still trains them)
RETIRED_TASKS = ("contrastive", "patterns", "clusters+rotation")
# feature sources of earlier versions (D's features) that lost the feature study and were removed
RETIRED_SOURCES = ("discriminator", "extractor+discriminator")
# what the errors for a removed option or task say of it
REMOVED = ("was removed after it lost its validation study (results/README.md names the commit "
           "that still has it)")
# Fields that only change how a trained model scores, never how it trains.
SCORE_FIELDS = ("score", "feature_source", "feature_distance", "feature_k", "bank_size",
                "bank_fill", "feature_projection", "extractor_rank", "rotation_score_weight")
# Fields of earlier versions whose options lost their validation studies and were removed
# (results/README.md names the commit that reproduces them), with the value that meant "off":
# a stored config or model that holds that value still loads (ANY: whatever it holds, for a
# field that changed nothing by itself).
ANY = object()
RETIRED = {"extractor_blocks": 0, "contrast_temperature": ANY,
           # the core study's losing options (results/README.md names the commit that has them)
           "stage1_pattern_weight": 0.0, "sl_generator_weight": 1.0, "gan_loss": "nonsaturating",
           "spectral_norm": False, "prior_weight": 0.0,
           # the edge study's losing option (core study round 4)
           "extractor_width": None,
           # the feature and scoring-grid studies' losing density (a Gaussian per pattern)
           "feature_density": "knn",
           # a greedy k-center coreset bank: worse than a random bank of its size in the
           # feature study, and MNIST's edge compaction with it failed its check
           # (docs/deployment.md)
           "bank_selection": "random",
           # core study rounds 10 and 11's losing option (MSGAN's mode-seeking term in G's loss)
           "diversity_weight": 0.0,
           # the edge study's losing training option: E's dense layer trained low-rank
           # (results/edge_trained.md)
           "extractor_bottleneck": None}
# Retired fields that only chose how a bank was filled: a saved model's bank is filled, so a
# model saved with any value of them loads (`drop_retired(..., fitted=True)`).
FIT_ONLY = ("bank_selection",)
# Fields whose default changed after configs had been stored without them: such a config was
# made (and trains) with the value given here, not with today's default (round 1 of the core
# study kept D's term in stage 2; before the field existed, stage 2 froze D).
UNSTORED = {"stage2_adversarial_weight": 0.0}


def one_of(field: str, value, allowed: tuple, retired: tuple = ()) -> tuple[bool, str]:
    """A check of `ADeGANConfig.validate` (and `ScoringHead`'s): whether `value` is one of
    `allowed`, and the error that says so, naming a `retired` value as removed (a typo gets no
    word of removal)."""
    message = f"{field} must be one of {', '.join(allowed)}"
    return value in allowed, message + (f"; {value!r} {REMOVED}" if value in retired else "")


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
        reading: "ours" (the reading of docs/method.md) or "literal" (the paper as
            printed: L2 norms in Eq. 3, 7 and 9, within-pattern interpolants in L_sl, L_ip
            into E only, Eq. 11 as A(x) = -(1/n_c) log p + (1 - log p) log q).
        real_task: beyond the paper: a self-supervised task on the *real* training normals
            in stage 2, so that E learns from them too: "none" (the paper) or "rotation" (E
            predicts by how many quarter turns each real normal was rotated, through a small
            head on its features; the RotNet/GEOM line of work) or "clusters" (E's pattern
            head also names each real normal's cluster under k-means of the training
            normals' unit-length pixels, so that the patterns follow the real data;
            self-conditioned GANs; `keras_adegan.clusters`; the MNIST preset's training).
            Presets and the command line then default to the scoring chosen for the task on
            validation (`TASK_SCORING`; for the rotation task E's trunk, k = 5, rotation
            score weight 0.5; for the cluster task E's trunk; `DATASET_SCORING` where a
            dataset's own choice won on validation).
        real_weight: weight of the real-normal task's loss, added to Eq. 8.
        stage2_adversarial_weight: weight of D's adversarial term for G during stage 2 too,
            with D still trained, so that G's images stay realistic while Eq. 8 trains it.
            1 (the default) was chosen on validation by the core study
            (results/core_study.md: S 0.756 against 0.688, E's clustering 0.35 against 0.32);
            0 is the paper's stage 2, D frozen after stage 1.
        cross_mix_min: across-pattern interpolation weights are drawn from
            U(cross_mix_min, 1 - cross_mix_min), so that mixtures are really between patterns.
        learning_rate: Adam learning rate for G, D and E.
        beta_1: Adam beta_1.
        beta_2: Adam beta_2.
        batch_size: global batch size.
        stage1_epochs: epochs of adversarial training (stage 1, Eq. 1).
        stage2_epochs: epochs of self-supervised training (stage 2, Eq. 8).
        width: channels of the first convolution; the networks double it once.
        val_fraction: share of the training split's images held out for validation
            (normals and anomaly-class images alike).
        train_limit: use at most this many normal training images (None: all).
        seed: seed for splits, shuffling, initialisation and latent sampling.
        precision: "float32" or "mixed_bfloat16" (bfloat16 compute on CPUs with AMX; see the
            speed table in docs/speed.md before choosing it).
        jit_compile: compile the training step with XLA.
        score: the score that decides (`score`, `is_anomaly`, the threshold): "features" (the
            feature score, beyond the paper) or "paper" (S, Eq. 11). Both are always reported.
        feature_source: features of the feature score: "extractor" (E's layer before its
            heads) or "noise" (E's z_n); see `keras_adegan.features`.
        feature_distance: "cosine" or "euclidean" (kNN).
        feature_k: neighbours averaged by the kNN score.
        bank_size: rows of the kNN bank, subsampled from the training normals (at most all
            of them), drawn at random (seeded); None keeps every training normal.
        bank_fill: how a bank smaller than the training normals is filled: "random" (a
            seeded random subset of their features) or "kmeans" (that many k-means centroids
            of them, started from that subset; results/edge_centroids.md).
        feature_projection: for kNN, project the features on their top principal directions
            (this many, below the feature vector's length) before the bank; None: no
            projection.
        extractor_rank: after training, the feature score runs E's dense layer (trunk ->
            features) reduced to the top r principal directions of its outputs on the
            training normals, for a smaller exported E (below the layer's 8 * width
            outputs; the paper's S keeps E as trained); None: E as trained.
        rotation_score_weight: beyond the paper, for models trained with a rotation head
            (`real_task` "rotation"): weight of the rotation task's own score
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
    stage2_adversarial_weight: float = 1.0
    cross_mix_min: float = 0.25
    learning_rate: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.999
    batch_size: int = 64
    stage1_epochs: int = 10
    stage2_epochs: int = 10
    width: int = 32
    val_fraction: float = 0.1
    train_limit: int | None = None
    seed: int = 0
    precision: str = "float32"
    jit_compile: bool = False
    # The feature score's defaults were chosen on validation data: results/feature_study.md.
    score: str = "features"
    feature_source: str = "noise"
    feature_distance: str = "cosine"
    feature_k: int = 5
    bank_size: int | None = None
    bank_fill: str = "random"
    feature_projection: int | None = None
    extractor_rank: int | None = None
    rotation_score_weight: float = 0.0

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise `ADeGANError` naming the first field of the wrong type or out of range (a
        hand-edited `config.json` included)."""
        numbers = ("noise_std", "alpha", "beta", "gamma", "real_weight",
                   "stage2_adversarial_weight", "cross_mix_min",
                   "learning_rate", "beta_1", "beta_2", "val_fraction", "rotation_score_weight")
        whole = ("anomaly_class", "n_patterns", "noise_dim", "batch_size", "stage1_epochs",
                 "stage2_epochs", "width", "seed", "feature_k")

        def is_whole(value):
            return isinstance(value, int) and not isinstance(value, bool)

        types = [(isinstance(getattr(self, name), (int, float))
                  and not isinstance(getattr(self, name), bool)
                  and math.isfinite(getattr(self, name)), f"{name} must be a finite number")
                 for name in numbers]
        types += [(is_whole(getattr(self, name)), f"{name} must be a whole number")
                  for name in whole]
        types += [
            (isinstance(self.dataset, str), "dataset must be a name"),
            (self.train_limit is None or is_whole(self.train_limit),
             "train_limit must be a whole number, or null for every training normal"),
            (self.bank_size is None or is_whole(self.bank_size),
             "bank_size must be a whole number, or null for every training normal"),
            (self.feature_projection is None or is_whole(self.feature_projection),
             "feature_projection must be a whole number, or null for no projection"),
            (self.extractor_rank is None or is_whole(self.extractor_rank),
             "extractor_rank must be a whole number, or null for E as trained"),
            (self.image_size is None or (isinstance(self.image_size, (list, tuple))
                                         and len(self.image_size) == 2
                                         and all(is_whole(v) for v in self.image_size)),
             "image_size must be two whole numbers, e.g. [64, 64], or null"),
            (isinstance(self.jit_compile, bool), "jit_compile must be true or false"),
        ]
        for ok, message in types:  # before the ranges, which compare numbers
            if not ok:
                raise ADeGANError(f"invalid configuration: {message}")
        if self.image_size is not None:
            self.image_size = tuple(self.image_size)
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
            (0 <= self.seed < 2 ** 32, "seed must be between 0 and 2^32 - 1"),
            (self.width >= 1, "width must be at least 1"),
            (0 < self.val_fraction < 1, "val_fraction must be in (0, 1)"),
            (self.train_limit is None or self.train_limit >= 1, "train_limit must be >= 1"),
            (self.anomaly_class >= 0, "anomaly_class must be >= 0"),
            one_of("precision", self.precision, PRECISIONS),
            one_of("score", self.score, SCORES),
            one_of("reading", self.reading, READINGS),
            one_of("real_task", self.real_task, REAL_TASKS, RETIRED_TASKS),
            (self.real_weight >= 0, "real_weight must be >= 0"),
            (self.stage2_adversarial_weight >= 0, "stage2_adversarial_weight must be >= 0"),
            (self.rotation_score_weight >= 0, "rotation_score_weight must be >= 0"),
            (self.rotation_score_weight == 0 or self.real_task == "rotation",
             "rotation_score_weight needs a model trained with a rotation head "
             "(--real-task rotation)"),
            (self.color_mode is None or self.color_mode in COLOR_MODES,
             f"color_mode must be one of {', '.join(COLOR_MODES)}"),
            one_of("feature_source", self.feature_source, SOURCES, RETIRED_SOURCES),
            one_of("feature_distance", self.feature_distance, DISTANCES),
            one_of("bank_fill", self.bank_fill, FILLS),
            (self.bank_size is None or (isinstance(self.bank_size, int) and self.bank_size >= 1),
             "bank_size must be a whole number >= 1, or None for every training normal"),
            (self.feature_projection is None or self.feature_projection >= 1,
             "feature_projection must be at least 1, or None for no projection"),
            (self.extractor_rank is None or 1 <= self.extractor_rank < 8 * self.width,
             "extractor_rank must be between 1 and 8 * width - 1 (E's dense layer has 8 * "
             "width outputs), or None for E as trained"),
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
        values.update(chosen_scoring(dataset, overrides.get("real_task")
                                     or values.get("real_task")))
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "ADeGANConfig":
        """A config from stored `values` (a run's `config.json`, a table's budget): retired
        fields dropped, `UNSTORED` fields that it lacks set to what it was made with."""
        values = {**{k: v for k, v in UNSTORED.items() if k not in values},
                  **drop_retired(values)}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ADeGANError(f"unknown configuration keys: {', '.join(unknown)}")
        return cls(**values)

    def save(self, path: str | Path) -> None:
        write_atomically(path, json.dumps(self.to_dict(), indent=2) + "\n")

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


def drop_retired(values: dict, fitted: bool = False) -> dict:
    """`values` without the `RETIRED` fields, or `ADeGANError` when one of them holds an option
    that this version no longer has. With `fitted` (the config of a saved model or head), the
    fields in `FIT_ONLY` are dropped whatever they hold: they only chose how a bank was filled,
    and a saved model's bank is filled already, so it loads and scores as it did (fitting it
    again draws a random bank)."""
    if fitted:
        values = {k: v for k, v in values.items() if k not in FIT_ONLY}
    for name, off in RETIRED.items():
        if name in values and off is not ANY and values[name] != off:
            raise ADeGANError(f"{name}={values[name]!r} is an option that {REMOVED}; this "
                              "version cannot train or load it")
    return {k: v for k, v in values.items() if k not in RETIRED}
