"""`ScoringHead`: everything a trained ADe-GAN needs to turn its networks' outputs into scores.

For a batch, the networks give E's pattern probabilities, a feature vector, G's reconstruction
error r (when G runs) and, for a rotation-trained E, the rotation score. The head turns them into

* the paper's S (Eq. 9-11, `keras_adegan.scoring`), with Eq. 9's statistics of r fitted on
  validation normals;
* the feature score, beyond the paper (`keras_adegan.features`): the kNN distance to a bank of
  training-normal features, plus, optionally, the rotation score,
  each part standardised on validation normals;
* each score's threshold (a share `fpr` of validation normals above it) and the chosen score's
  decision.

All of it is non-trainable weights, so it is saved and exported with the model;
`ADeGAN.with_scoring` gives a trained model a new head. `fit` fills the feature score from the
training normals' features, then `calibrate` fits the statistics and thresholds from the model's
outputs on validation normals.

Example:
    >>> head = ScoringHead(feature_dim=16, n_patterns=10, bank_size=1024)
    >>> head.fit(train_features, train_patterns)
    >>> head.calibrate(outputs_on_validation_normals)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from keras_adegan import features, scoring
from keras_adegan.config import DISTANCES, FILLS, READINGS, SCORES, drop_retired, one_of
from keras_adegan.errors import ADeGANError

OUTPUTS = ("score", "is_anomaly", "paper_score", "feature_score", "recon_error", "recon_prob",
           "pattern_prob", "pattern")
FEATURE_OUTPUTS = ("score", "is_anomaly", "feature_score", "pattern_prob", "pattern")
# The feature score's two parts, unstandardised: outputs of heads with a rotation score only.
PART_OUTPUTS = ("density_score", "rotation_score")
# The constructor arguments that only change how a model scores (`ADeGAN` passes them on).
SCORING_ARGS = ("score", "feature_distance", "feature_k", "bank_size", "bank_fill",
                "feature_projection", "rotation_score_weight")


@keras.saving.register_keras_serializable(package="keras_adegan")
class ScoringHead(keras.layers.Layer):
    """Both scores of ADe-GAN and their decisions, from the networks' outputs.

    Args:
        feature_dim: length of the feature vector.
        n_patterns: n_c.
        score: which score decides `score`/`is_anomaly`: "features" or "paper" (S, Eq. 11).
        feature_distance: "cosine" or "euclidean".
        feature_k: neighbours averaged by the kNN score.
        bank_size: rows of the kNN bank (training normals beyond it are subsampled at
            random, or clustered: `bank_fill`).
        bank_fill: "random" (a seeded random subset of the training normals' features) or
            "kmeans" (as many k-means centroids of them) when they outnumber the bank.
        feature_projection: the number of principal directions of the training normals'
            features the features are projected on before the bank (None: none).
        rotation_score_weight: weight of the standardised rotation score added to the
            standardised kNN score; 0 leaves the feature score alone.
        reading: "ours" or "literal", how Eq. 11 is read (`scoring.anomaly_score`).
        seed: seed of the bank's subsampling.

    Example:
        >>> head = ScoringHead(feature_dim=4, n_patterns=3, bank_size=8, feature_k=1)
        >>> head.get_config()["bank_size"]
        8
    """

    def __init__(self, feature_dim, n_patterns, score="features", feature_distance="cosine",
                 feature_k=5, bank_size=1024, feature_projection=None, rotation_score_weight=0.0,
                 reading="ours", seed=0, bank_fill="random", **kwargs):
        kwargs.setdefault("name", "scoring_head")
        super().__init__(**kwargs)
        self.feature_dim, self.n_patterns = int(feature_dim), int(n_patterns)
        self.score, self.reading, self.seed = str(score), str(reading), int(seed)
        self.feature_distance = str(feature_distance)
        self.feature_k = int(feature_k)
        self.bank_size, self.bank_fill = int(bank_size), str(bank_fill)
        self.feature_projection = None if feature_projection is None else int(feature_projection)
        self.rotation_score_weight = float(rotation_score_weight)
        for what, value, allowed in (("score", self.score, SCORES),
                                     ("reading", self.reading, READINGS),
                                     ("feature_distance", self.feature_distance, DISTANCES),
                                     ("bank_fill", self.bank_fill, FILLS)):
            ok, message = one_of(what, value, allowed)
            if not ok:
                raise ADeGANError(f"{message}, got {value!r}")
        if (self.feature_projection is not None
                and not 1 <= self.feature_projection < self.feature_dim):
            raise ADeGANError(f"feature_projection must be between 1 and {self.feature_dim - 1} "
                              f"(below the feature vector's length), got {self.feature_projection}")
        if not 1 <= self.feature_k <= self.bank_size:
            raise ADeGANError(f"feature_k must be between 1 and bank_size ({self.bank_size}), "
                              f"got {self.feature_k}")

        def state(name, value):
            return self.add_weight(name=name, shape=(), trainable=False,
                                   initializer=keras.initializers.Constant(value))

        self.recon_mean = state("recon_mean", 0.0)
        self.recon_std = state("recon_std", 1.0)
        self.paper_threshold = state("paper_threshold", np.inf)
        self.feature_threshold = state("feature_threshold", np.inf)
        self.calibrated = state("calibrated", 0.0)
        self.fitted = state("feature_fitted", 0.0)
        # Standardisation of the feature score's two parts (rotation_score_weight > 0 only).
        self.standardisation = ({name: state(name, value) for name, value in
                                 (("density_mean", 0.0), ("density_std", 1.0),
                                  ("rotation_mean", 0.0), ("rotation_std", 1.0))}
                                if self.rotation_score_weight > 0 else None)
        width = self.feature_projection or self.feature_dim
        self.bank = self.add_weight(name="feature_bank", shape=(self.bank_size, width),
                                    initializer="zeros", trainable=False)
        self.bias = self.add_weight(name="feature_bias", shape=(self.bank_size,), trainable=False,
                                    initializer=keras.initializers.Constant(features.PADDING))
        self.projection = (self.add_weight(name="feature_projection", trainable=False,
                                           shape=(self.feature_dim, width),
                                           initializer="identity")
                           if self.feature_projection else None)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "feature_dim": self.feature_dim,
                "n_patterns": self.n_patterns, "score": self.score,
                "feature_distance": self.feature_distance,
                "feature_k": self.feature_k, "bank_size": self.bank_size,
                "bank_fill": self.bank_fill,
                "feature_projection": self.feature_projection,
                "rotation_score_weight": self.rotation_score_weight, "reading": self.reading,
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        # a head saved with a removed option fails clearly (one that only chose how its bank
        # was filled loads: the bank is filled)
        return cls(**drop_retired(config, fitted=True))

    @property
    def needs_rotation(self) -> bool:
        """Whether `call` needs the rotation score among its inputs."""
        return self.standardisation is not None

    @property
    def threshold(self):
        """The decision threshold of the chosen score."""
        return self.feature_threshold if self.score == "features" else self.paper_threshold

    @property
    def is_calibrated(self) -> bool:
        return bool(keras.ops.convert_to_numpy(self.calibrated) > 0.5)

    @property
    def is_fitted(self) -> bool:
        return bool(keras.ops.convert_to_numpy(self.fitted) > 0.5)

    def call(self, inputs):
        """The scores of a batch from `inputs`: `probs` (E's pattern probabilities),
        `features`, `rotation` (with a rotation score) and, for the paper's score too,
        `recon_error`.

        Returns:
            dict of per-image tensors: `score` and `is_anomaly` (the chosen score, above its
            threshold), `feature_score`, `pattern_prob` (p_c, Eq. 10) and `pattern` (argmax of
            E_c); with `recon_error`, also `paper_score` (S, Eq. 11), `recon_error` (r) and
            `recon_prob` (p_r, Eq. 9); with a rotation score, the feature score's parts before
            standardisation, `density_score` (the kNN score) and `rotation_score`.
        """
        probs = inputs["probs"]
        density = features.graph_scores(inputs["features"], self.bank, self.bias, self.projection,
                                        self.feature_k, self.feature_distance)
        feature_score, parts = density, {}
        if self.standardisation is not None:
            feature_score = features.standardised_sum(density, inputs["rotation"],
                                                      self.standardisation,
                                                      self.rotation_score_weight)
            parts = {"density_score": density, "rotation_score": inputs["rotation"]}
        out = {"score": feature_score, "is_anomaly": feature_score > self.feature_threshold,
               "feature_score": feature_score, "pattern_prob": tf.reduce_max(probs, axis=-1),
               "pattern": tf.argmax(probs, axis=-1, output_type=tf.int32), **parts}
        if "recon_error" not in inputs:
            return out
        log_pr = scoring.reconstruction_log_prob(inputs["recon_error"], self.recon_mean,
                                                 self.recon_std)
        out["paper_score"] = scoring.anomaly_score(log_pr, out["pattern_prob"], self.reading,
                                                   self.n_patterns)
        out.update(recon_error=inputs["recon_error"], recon_prob=tf.exp(log_pr))
        if self.score == "paper":
            out.update(score=out["paper_score"],
                       is_anomaly=out["paper_score"] > self.paper_threshold)
        return out

    def fit(self, train_features) -> dict:
        """Fill the feature score's bank from training normals' features; the head must be
        calibrated again afterwards.

        Returns:
            dict with `points` (training normals seen) and `bank_rows` (rows filled).
        """
        head = features.fit_head(train_features, self.feature_distance, self.bank_size,
                                 self.seed, self.feature_projection, self.bank_fill)
        self.bank.assign(head["bank"])
        self.bias.assign(head["bias"])
        if self.projection is not None:
            self.projection.assign(head["projection"])
        self.fitted.assign(1.0)
        self.calibrated.assign(0.0)  # the feature threshold no longer fits
        return {"points": int(len(train_features)),
                "bank_rows": int(np.sum(head["bias"] < features.PADDING))}

    def calibrate(self, outputs: dict, fpr: float = 0.05) -> dict:
        """Fit Eq. 9's statistics, the feature score's standardisation and both thresholds from
        `outputs` (numpy, this head's `call` on validation normals, with `recon_error`).

        Returns:
            dict with `recon_mean`, `recon_std`, `paper_threshold`, `feature_threshold`,
            `threshold` (the chosen score's), `score` (which one), `fpr` and, with a rotation
            score, `standardisation` (the means and deviations of the feature score's parts).
        """
        if not self.is_fitted:
            raise ADeGANError("fit the feature score first: model.fit_feature_score(train_normals)")
        if len(outputs["recon_error"]) < 2:
            raise ADeGANError("calibration needs at least two normal images")
        feature_scores = outputs["feature_score"]
        if self.standardisation is not None:  # the parts' statistics come first
            stats = features.fit_standardisation(outputs["density_score"],
                                                 outputs["rotation_score"])
            for name, value in stats.items():
                self.standardisation[name].assign(value)
            stats = {k: np.float32(v) for k, v in stats.items()}  # as the graph computes it
            feature_scores = features.standardised_sum(
                outputs["density_score"], outputs["rotation_score"], stats,
                np.float32(self.rotation_score_weight))
        mean, std = scoring.fit_normal_stats(outputs["recon_error"])
        self.recon_mean.assign(mean)
        self.recon_std.assign(std)
        paper, _ = scoring.score_components(outputs["recon_error"], outputs["pattern_prob"],
                                            mean, std, self.reading, self.n_patterns)
        paper_threshold = scoring.threshold_at_fpr(paper, fpr)
        feature_threshold = scoring.threshold_at_fpr(feature_scores, fpr)
        self.paper_threshold.assign(paper_threshold)
        self.feature_threshold.assign(feature_threshold)
        self.calibrated.assign(1.0)
        return {"recon_mean": mean, "recon_std": std, "paper_threshold": paper_threshold,
                "feature_threshold": feature_threshold,
                "threshold": float(keras.ops.convert_to_numpy(self.threshold)),
                "score": self.score, "fpr": fpr,
                **({"standardisation": {k: float(keras.ops.convert_to_numpy(v))
                                        for k, v in self.standardisation.items()}}
                   if self.standardisation is not None else {})}
