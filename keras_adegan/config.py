"""Every hyperparameter of a run in one typed place, with per-dataset presets.

The paper fixes n_c = 10, lr = 2e-4 and the loss weights (alpha, beta, gamma) = (1, 1, 10) for
MNIST-like data and (1, 10, 10) for CIFAR-10. Everything else it leaves open; the values chosen
here are documented in the README ("Choices the paper leaves open").
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from keras_adegan.errors import ADeGANError

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")


@dataclasses.dataclass
class ADeGANConfig:
    """Hyperparameters of one ADe-GAN run.

    Attributes:
        dataset: a named dataset (`digits`, `mnist`, `fashion_mnist`, `cifar10`) or `folder`
            for a user's image-folder tree.
        anomaly_class: index of the class held out as the anomaly (the others are normal).
        image_size: (height, width) that images are resized to, or None for the data's own
            size. Only used for image folders; both sides must be divisible by 4.
        n_patterns: n_c, the number of patterns (categories of z_c).
        noise_dim: size of the continuous code z_n.
        noise_std: sigma of z_n ~ N(0, sigma^2).
        alpha: weight of the interpolation loss L_ip (Eq. 3).
        beta: weight of the self-supervised pattern loss L_sl (Eq. 6).
        gamma: weight of the reconstruction loss L_recon (Eq. 7).
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
            README's speed table before choosing it).
        jit_compile: compile the training step with XLA.

    Example:
        >>> cfg = ADeGANConfig.preset("mnist", anomaly_class=3, stage2_epochs=5)
        >>> cfg.gamma
        10.0
    """

    dataset: str = "digits"
    anomaly_class: int = 0
    image_size: tuple[int, int] | None = None
    n_patterns: int = 10
    noise_dim: int = 16
    noise_std: float = 0.1
    alpha: float = 1.0
    beta: float = 1.0
    gamma: float = 10.0
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

    def __post_init__(self):
        if self.image_size is not None:
            self.image_size = tuple(int(v) for v in self.image_size)
        self.validate()

    def validate(self) -> None:
        """Raise `ADeGANError` naming the first field that is out of range."""
        checks = [
            (self.n_patterns >= 2, "n_patterns must be at least 2"),
            (self.noise_dim >= 1, "noise_dim must be at least 1"),
            (self.noise_std > 0, "noise_std must be positive"),
            (min(self.alpha, self.beta, self.gamma) >= 0, "alpha, beta and gamma must be >= 0"),
            (0 <= self.cross_mix_min < 0.5, "cross_mix_min must be in [0, 0.5)"),
            (self.learning_rate > 0, "learning_rate must be positive"),
            (self.batch_size >= 2, "batch_size must be at least 2"),
            (self.stage1_epochs >= 0 and self.stage2_epochs >= 0, "epochs must be >= 0"),
            (self.width >= 1, "width must be at least 1"),
            (0 < self.val_fraction < 1, "val_fraction must be in (0, 1)"),
            (self.train_limit is None or self.train_limit >= 1, "train_limit must be >= 1"),
            (self.anomaly_class >= 0, "anomaly_class must be >= 0"),
            (self.precision in ("float32", "mixed_bfloat16"),
             "precision must be float32 or mixed_bfloat16"),
            (
                self.image_size is None
                or (len(self.image_size) == 2 and all(v > 0 and v % 4 == 0 for v in self.image_size)),
                "image_size must be two positive numbers divisible by 4, e.g. (64, 64)",
            ),
        ]
        for ok, message in checks:
            if not ok:
                raise ADeGANError(f"invalid configuration: {message} (got {self})")

    @classmethod
    def preset(cls, dataset: str, **overrides) -> "ADeGANConfig":
        """The defaults for `dataset`, with `overrides` applied on top."""
        if dataset not in PRESETS:
            raise ADeGANError(
                f"unknown dataset {dataset!r} (no preset); choose one of: {', '.join(PRESETS)}"
            )
        values = dict(PRESETS[dataset], dataset=dataset)
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
        return cls.from_dict(json.loads(Path(path).read_text()))


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
