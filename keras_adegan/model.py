"""`ADeGAN`: G, D and E in one Keras model with a two-stage custom `train_step`.

Stage 1 (epochs `0 .. stage1_epochs - 1`) trains D and G adversarially (Eq. 1). Stage 2 trains G
and E on alpha * L_ip + beta * L_sl + gamma * L_recon (Eq. 8). `fit()` switches stage at the
epoch boundary by itself (the `TrainingStages` callback), so a plain
`model.fit(ds, epochs=stage1_epochs + stage2_epochs)` runs the whole method, and a run resumed
with `fit(initial_epoch=...)` (`keras_adegan.checkpoint`) continues in the right stage.

Latent codes are drawn with stateless random ops keyed by (seed, step), as one global batch of
which every replica takes its own slice: training under `tf.distribute.MirroredStrategy` sees
the same codes, and logs the same losses, as training on one device.

`call(x)` returns two scores and their parts: the paper's S (Eq. 9-11, `paper_score`) and the
feature score beyond the paper (`feature_score`, see `keras_adegan.features`), whose head is
fitted on training normals after training (`fit_feature_score`). `score` and `is_anomaly` are
those of the score chosen by the `score` argument. The feature head, the calibration statistics
and each score's decision threshold are non-trainable weights, so they survive
`save()`/`load_model()` and export.

Example:
    >>> model = ADeGAN(image_shape=(16, 16, 1), n_patterns=10, width=8, stage1_epochs=1)
    >>> model.compile()
    >>> model.fit(train_ds, epochs=2)                    # 1 epoch of each stage
    >>> model.fit_feature_score(train_normals)           # the feature bank, from training normals
    >>> model.calibrate(val_normals)                     # Eq. 9 statistics + 5% FPR thresholds
    >>> model.score(images)["score"]
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from keras_adegan import features, losses, scoring
from keras_adegan.config import (PRECISIONS, READINGS, REAL_TASKS, SCORE_FIELDS, SCORES, ADeGANConfig,
                                 drop_retired)
from keras_adegan.errors import ADeGANError
from keras_adegan.networks import build_discriminator, build_extractor, build_generator, run_to_features

OUTPUTS = ("score", "is_anomaly", "paper_score", "feature_score", "recon_error", "recon_prob",
           "pattern_prob", "pattern")
FEATURE_OUTPUTS = ("score", "is_anomaly", "feature_score", "pattern_prob", "pattern")
# The feature score's two parts, unstandardised: outputs of models with a rotation score only.
PART_OUTPUTS = ("density_score", "rotation_score")
STAGE_METRICS = {
    1: ("d_loss", "g_loss"),
    2: ("loss", "ip_loss", "sl_loss", "recon_loss", "sl_accuracy"),
}


class TrainingStages(keras.callbacks.Callback):
    """Sets `model.stage` from the epoch number: 1 before `stage1_epochs`, 2 from then on."""

    def __init__(self, stage1_epochs: int):
        super().__init__()
        self.stage1_epochs = stage1_epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.model.stage = 1 if epoch < self.stage1_epochs else 2


def _adam(learning_rate, beta_1, beta_2, name):
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, name=name)


@keras.saving.register_keras_serializable(package="keras_adegan")
class ADeGAN(keras.Model):
    """The ADe-GAN anomaly detector.

    Args:
        image_shape: (H, W, C) of the images, H and W divisible by 4.
        n_patterns: n_c, the number of patterns.
        noise_dim: size of z_n.
        noise_std: sigma of z_n ~ N(0, sigma^2).
        width: channels of the networks' first convolution.
        alpha: weight of L_ip (Eq. 6).
        beta: weight of L_sl (Eq. 3).
        gamma: weight of L_recon (Eq. 7).
        reading: "ours" or "literal": how the paper's losses and its score S (Eq. 11) are
            read (see `keras_adegan.losses.stage2_losses` and `keras_adegan.scoring`).
        real_task: beyond the paper: "none" or "rotation" (in stage 2, E also learns to tell
            how far each real training normal was rotated, through `rotation_head` on its
            features layer, weighted by `real_weight`).
        real_weight: weight of the real-normal task, added to Eq. 8.
        stage1_pattern_weight: weight of L_sl (Eq. 3) trained into G and E during the
            adversarial stage too, as ClusterGAN trains its inverse network (and as the paper's
            section 3.1.1 may be read: G learns its patterns "by adversarial learning and
            pattern-related self-supervised task together"); 0 (the default) keeps the stages
            apart.
        cross_mix_min: across-pattern mixing weights are drawn from U(m, 1 - m).
        stage1_epochs: how many of `fit()`'s epochs are adversarial (stage 1).
        seed: seed of the latent-code stream.
        precision: Keras dtype policy of the networks: "float32" or "mixed_bfloat16" (bfloat16
            compute, float32 variables and outputs; for CPUs with AMX and for TPUs).
        run_config: free-form dict saved with the model (the run's `ADeGANConfig`).
        score: which score decides `score`/`is_anomaly`: "features" or "paper" (S, Eq. 11).
            Both are always computed.
        feature_source: features of the feature score: "extractor" (E's layer before its
            heads), "noise" (E's z_n), "discriminator" (D's flattened trunk) or
            "extractor+discriminator".
        feature_density: "knn" (distance to a bank of training normals) or "gaussian" (one
            Gaussian per pattern, shared covariance, Mahalanobis distance).
        feature_distance: "cosine" or "euclidean" (kNN only).
        feature_k: neighbours averaged by the kNN score.
        bank_size: rows of the kNN bank (training normals subsampled to this size; to keep
            them all, pass their number, as `build_model` does for
            `ADeGANConfig(bank_size=None)`, the default chosen on validation).
        rotation_score_weight: beyond the paper, for models with a rotation head: the
            feature score becomes the kNN/Gaussian score plus this weight times the rotation
            task's own score (`features.rotation_scores`), each standardised on the
            validation normals by `calibrate()`; 0 (the default) leaves the feature score
            alone.

    Example:
        >>> model = ADeGAN(image_shape=(28, 28, 1), stage1_epochs=5)
        >>> model.compile(learning_rate=2e-4)
    """

    def __init__(self, image_shape=(28, 28, 1), n_patterns=10, noise_dim=16, noise_std=0.1,
                 width=32, alpha=1.0, beta=1.0, gamma=10.0, reading="ours",
                 real_task="none", real_weight=1.0, stage1_pattern_weight=0.0,
                 cross_mix_min=0.25,
                 stage1_epochs=0, seed=0, precision="float32", run_config=None,
                 score="features", feature_source="noise", feature_density="knn",
                 feature_distance="cosine", feature_k=5, bank_size=1024,
                 rotation_score_weight=0.0, **kwargs):
        kwargs.setdefault("name", "adegan")
        super().__init__(**kwargs)
        self.image_shape = tuple(int(v) for v in image_shape)
        self.n_patterns = int(n_patterns)
        self.noise_dim = int(noise_dim)
        self.noise_std = float(noise_std)
        self.width = int(width)
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.reading = str(reading)
        self.real_task, self.real_weight = str(real_task), float(real_weight)
        self.stage1_pattern_weight = float(stage1_pattern_weight)
        self.cross_mix_min = float(cross_mix_min)
        self.stage1_epochs = int(stage1_epochs)
        self.seed = int(seed)
        self.precision = str(precision)
        self.run_config = dict(run_config or {})
        self.score_choice = str(score)
        self.feature_source = str(feature_source)
        self.feature_density = str(feature_density)
        self.feature_distance = "euclidean" if feature_density == "gaussian" else str(feature_distance)
        self.feature_k = 1 if feature_density == "gaussian" else int(feature_k)
        self.bank_size = int(bank_size)
        self.rotation_score_weight = float(rotation_score_weight)
        for value, allowed, what in ((self.score_choice, SCORES, "score"),
                                     (self.reading, READINGS, "reading"),
                                     (self.real_task, REAL_TASKS, "real_task"),
                                     (self.feature_source, features.SOURCES, "feature_source"),
                                     (self.feature_density, features.DENSITIES, "feature_density"),
                                     (self.feature_distance, features.DISTANCES, "feature_distance")):
            if value not in allowed:
                raise ADeGANError(f"{what} must be one of {', '.join(allowed)}, got {value!r}")
        for name in ("rotation_score_weight", "stage1_pattern_weight"):
            if not (np.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ADeGANError(f"{name} must be a finite number >= 0, got "
                                  f"{getattr(self, name)!r}")
        if self.rotation_score_weight > 0 and self.real_task != "rotation":
            raise ADeGANError("rotation_score_weight needs a model trained with a rotation head "
                              f"(real_task 'rotation'); this one has real_task={self.real_task!r}")
        if not 1 <= self.feature_k <= self.bank_size:
            raise ADeGANError(f"feature_k must be between 1 and bank_size ({self.bank_size}), "
                              f"got {self.feature_k}")

        if self.precision not in PRECISIONS:
            raise ADeGANError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
                              " (float16 needs loss scaling shared by G and E: not implemented)")
        self.generator = build_generator(self.image_shape, self.n_patterns, self.noise_dim, width,
                                         dtype=self.precision)
        self.discriminator = build_discriminator(self.image_shape, width, dtype=self.precision)
        self.extractor = build_extractor(self.image_shape, self.n_patterns, self.noise_dim, width,
                                         dtype=self.precision)
        self.rotation_head = None
        if self.real_task == "rotation":
            self.rotation_head = keras.layers.Dense(4, name="rotation_logits", dtype="float32")
            self.rotation_head.build((None, 8 * width))

        def state(name, value):
            return self.add_weight(name=name, shape=(), initializer=keras.initializers.Constant(value),
                                   trainable=False)

        self.recon_mean = state("recon_mean", 0.0)
        self.recon_std = state("recon_std", 1.0)
        self.paper_threshold = state("paper_threshold", np.inf)
        self.feature_threshold = state("feature_threshold", np.inf)
        self.calibrated = state("calibrated", 0.0)
        self.feature_fitted = state("feature_fitted", 0.0)
        # Standardisation of the feature score's two parts (rotation_score_weight > 0 only).
        self.standardisation = ({name: state(name, value) for name, value in
                                 (("density_mean", 0.0), ("density_std", 1.0),
                                  ("rotation_mean", 0.0), ("rotation_std", 1.0))}
                                if self.rotation_score_weight > 0 else None)
        h, w, _ = self.image_shape
        dim = features.feature_dim(self.feature_source, 8 * self.width, self.noise_dim,
                                   (h // 4) * (w // 4) * 2 * self.width)
        rows = self.n_patterns if self.feature_density == "gaussian" else self.bank_size
        self.feature_bank = self.add_weight(name="feature_bank", shape=(rows, dim),
                                            initializer="zeros", trainable=False)
        self.feature_bias = self.add_weight(name="feature_bias", shape=(rows,),
                                            initializer=keras.initializers.Constant(features.PADDING),
                                            trainable=False)
        self.feature_projection = (self.add_weight(name="feature_projection", shape=(dim, dim),
                                                   initializer="identity", trainable=False)
                                   if self.feature_density == "gaussian" else None)
        self._stage = 1
        self._functions = {}  # tf.functions made by _batched on first use
        self.stage_metrics = dict(STAGE_METRICS)
        if self.stage1_pattern_weight > 0:
            self.stage_metrics[1] += ("stage1_sl_loss",)
        if self.real_task != "none":
            self.stage_metrics[2] += ("real_loss",)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for names in self.stage_metrics.values() for name in names}
        self.build((None,) + self.image_shape)  # built now: checkpoints load into it before fit

    # ------------------------------------------------------------------ Keras plumbing

    def get_config(self):
        config = super().get_config()
        config.update(image_shape=list(self.image_shape), n_patterns=self.n_patterns,
                      noise_dim=self.noise_dim, noise_std=self.noise_std, width=self.width,
                      alpha=self.alpha, beta=self.beta, gamma=self.gamma, reading=self.reading,
                      real_task=self.real_task, real_weight=self.real_weight,
                      stage1_pattern_weight=self.stage1_pattern_weight,
                      cross_mix_min=self.cross_mix_min, stage1_epochs=self.stage1_epochs,
                      seed=self.seed, precision=self.precision, run_config=self.run_config,
                      score=self.score_choice, feature_source=self.feature_source,
                      feature_density=self.feature_density,
                      feature_distance=self.feature_distance, feature_k=self.feature_k,
                      bank_size=self.bank_size, rotation_score_weight=self.rotation_score_weight)
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**drop_retired(config))

    def with_scoring(self, **options) -> "ADeGAN":
        """A copy of this trained model with other scoring options (`score`, `feature_*`,
        `bank_*`, `rotation_score_weight`): the same networks, an empty feature head, the same
        optimizer settings (not their state). Call `fit_feature_score()` and `calibrate()` on
        the copy before scoring with it."""
        copy = type(self).from_config({**self.get_config(), **options})
        if hasattr(self, "g_optimizer"):
            copy.compile_from_config(self.get_compile_config())
        for name in ("generator", "discriminator", "extractor", "rotation_head"):
            if getattr(self, name) is not None:
                getattr(copy, name).set_weights(getattr(self, name).get_weights())
        return copy

    def build(self, input_shape=None):
        self.built = True

    def compile(self, g_optimizer=None, d_optimizer=None, e_optimizer=None,
                learning_rate=2e-4, beta_1=0.5, beta_2=0.999, **kwargs):
        """Set one Adam optimizer per network (defaults: the paper's lr 2e-4, betas 0.5/0.999).

        Other keyword arguments (e.g. `jit_compile=True` for XLA) go to `keras.Model.compile`.
        """
        super().compile(optimizer=None, **kwargs)
        self.g_optimizer = g_optimizer or _adam(learning_rate, beta_1, beta_2, "g_adam")
        self.d_optimizer = d_optimizer or _adam(learning_rate, beta_1, beta_2, "d_adam")
        self.e_optimizer = e_optimizer or _adam(learning_rate, beta_1, beta_2, "e_adam")
        # Extra optimizers must be built inside the strategy scope before fit().
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.e_optimizer.build(self._extractor_variables())

    def _extractor_variables(self):
        """E's trainable variables, with its rotation head's when the model has one."""
        head = self.rotation_head.trainable_variables if self.rotation_head is not None else []
        return self.extractor.trainable_variables + head

    def get_compile_config(self):
        return {name: keras.optimizers.serialize(getattr(self, name))
                for name in ("g_optimizer", "d_optimizer", "e_optimizer")}

    def compile_from_config(self, config):
        self.compile(**{name: keras.optimizers.deserialize(value) for name, value in config.items()})

    @property
    def metrics(self):
        return list(self.trackers.values())

    @property
    def stage(self) -> int:
        """1 (adversarial, Eq. 1) or 2 (self-supervised, Eq. 8); switching rebuilds train_function."""
        return self._stage

    @stage.setter
    def stage(self, value: int):
        if value not in (1, 2):
            raise ValueError(f"stage must be 1 or 2, got {value}")
        if value != self._stage:
            self._stage = value
            if self.train_function is not None:
                self.make_train_function(force=True)

    def fit(self, *args, callbacks=None, **kwargs):
        """`keras.Model.fit`, with the stage switch after `stage1_epochs` epochs added (and, for a
        `train_stream`, its data order keyed by the epoch).

        A dataset shuffles itself, so no `shuffle` argument goes with one (Keras would warn).
        Grappler's remapper is off while fitting: on D's Conv2D + BiasAdd + LeakyReLU under a
        gradient tape it fails with an `E0000 ... remapper failed` log line; training speed is
        the same without it (MNIST: 2,483-2,608 against 2,392-2,641 stage-1 images/s), and it
        is back on for scoring, where it is worth 18%.
        """
        callbacks = list(callbacks or [])
        if not any(isinstance(cb, TrainingStages) for cb in callbacks):
            callbacks.insert(0, TrainingStages(self.stage1_epochs))
        data = args[0] if args else kwargs.get("x")
        order = getattr(data, "epoch_order", None)
        if order is not None:  # a `train_stream`: its data order follows the epoch (resume)
            callbacks.insert(0, order.callback())
        if isinstance(data, tf.data.Dataset):
            kwargs.setdefault("shuffle", False)
        previous = tf.config.optimizer.get_experimental_options()
        tf.config.optimizer.set_experimental_options({"remapping": False})
        try:
            return super().fit(*args, callbacks=callbacks, **kwargs)
        finally:
            tf.config.optimizer.set_experimental_options(
                {"remapping": previous.get("remapping", True)})

    # ------------------------------------------------------------------ latent codes

    def _latents(self, batch_size):
        """Codes for this replica's slice of the global batch (see the module docstring), from
        random streams 0-5, each keyed by (seed, optimizer step)."""
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync if ctx is not None else 1
        replica = ctx.replica_id_in_sync_group if ctx is not None else 0
        n, start = batch_size * replicas, replica * batch_size
        step = tf.cast(self.g_optimizer.iterations, tf.int64)

        def seed(k):
            return tf.stack([tf.constant(self.seed * 16 + k, tf.int64), step])

        labels = tf.random.stateless_uniform([n], seed(0), 0, self.n_patterns, dtype=tf.int32)
        shift = tf.random.stateless_uniform([n], seed(1), 1, self.n_patterns, dtype=tf.int32)
        z_n = self.noise_std * tf.random.stateless_normal([n, self.noise_dim], seed(2))
        z_n_other = self.noise_std * tf.random.stateless_normal([n, self.noise_dim], seed(3))
        lam_within = tf.random.stateless_uniform([n, 1], seed(4))
        lam_across = tf.random.stateless_uniform([n, 1], seed(5), self.cross_mix_min,
                                                 1.0 - self.cross_mix_min)
        take = lambda t: t[start:start + batch_size]  # noqa: E731
        return {
            "labels": take(labels),
            "other_labels": take((labels + shift) % self.n_patterns),  # always a different pattern
            "z_n": take(z_n),
            "z_n_other": take(z_n_other),
            "lam_within": take(lam_within),
            "lam_across": take(lam_across),
        }

    # ------------------------------------------------------------------ training

    def train_step(self, data):
        x = data[0] if isinstance(data, (tuple, list)) else data
        x = tf.cast(x, tf.float32)
        step = self._adversarial_step if self._stage == 1 else self._self_supervised_step
        losses_now = step(x)
        for name, value in losses_now.items():
            self.trackers[name].update_state(value)
        logs = {name: self.trackers[name].result() for name in self.stage_metrics[self._stage]}
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            # Keras 3 reduces multi-worker logs along axis 0, which scalars lack
            # (tensorflow/tensorflow#72388): give each a length-1 axis to reduce.
            logs = {name: tf.reshape(value, [1]) for name, value in logs.items()}
        return logs

    def _replica_scale(self):
        # Losses are per-replica means; optimizers sum gradients across replicas.
        ctx = tf.distribute.get_replica_context()
        return 1.0 / (ctx.num_replicas_in_sync if ctx is not None else 1)

    def _adversarial_step(self, x):
        """Stage 1, Eq. 1: one update of D and of G from the same batch of fakes (with
        `stage1_pattern_weight`, G and E also learn L_sl on those fakes)."""
        z = self._latents(tf.shape(x)[0])
        codes = tf.concat([tf.one_hot(z["labels"], self.n_patterns), z["z_n"]], axis=-1)
        joint = self.stage1_pattern_weight > 0
        with tf.GradientTape(persistent=True) as tape:  # one gradient per network
            fake = self.generator(codes, training=True)
            real_logits = self.discriminator(x, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            g_loss = losses.generator_adversarial_loss(fake_logits)
            out = {"d_loss": d_loss, "g_loss": g_loss}
            if joint:
                logits, z_n = self.extractor(fake, training=True)
                out["stage1_sl_loss"] = losses.self_supervised_loss(
                    logits, z["labels"], z_n, z["z_n"], self.noise_std, self.reading)
                g_loss = g_loss + self.stage1_pattern_weight * out["stage1_sl_loss"]
            scale = self._replica_scale()  # scaled inside the tape, which must see it
            updates = [(self.d_optimizer, d_loss * scale, self.discriminator.trainable_variables),
                       (self.g_optimizer, g_loss * scale, self.generator.trainable_variables)]
            if joint:
                updates.append((self.e_optimizer,
                                self.stage1_pattern_weight * out["stage1_sl_loss"] * scale,
                                self._extractor_variables()))
        grads = [tape.gradient(loss, variables) for _, loss, variables in updates]
        for (optimizer, _, variables), g in zip(updates, grads):
            optimizer.apply(g, variables)
        return out

    def _self_supervised_step(self, x):
        """Stage 2, Eq. 8: G and E on alpha * L_ip + beta * L_sl + gamma * L_recon."""
        z = self._latents(tf.shape(x)[0])
        with tf.GradientTape() as tape:
            out = losses.stage2_losses(self.generator, self.extractor, x, z, self.n_patterns,
                                       self.noise_std, self.alpha, self.beta, self.gamma,
                                       reading=self.reading)
            if self.real_task != "none":  # beyond the paper: E also learns from real normals
                out["real_loss"] = self._rotation_loss(x)
                out["loss"] = out["loss"] + self.real_weight * out["real_loss"]
            scaled = out["loss"] * self._replica_scale()
        g_vars = self.generator.trainable_variables
        e_vars = self._extractor_variables()
        grads = tape.gradient(scaled, g_vars + e_vars)
        self.g_optimizer.apply(grads[: len(g_vars)], g_vars)
        self.e_optimizer.apply(grads[len(g_vars):], e_vars)
        accuracy = tf.reduce_mean(tf.cast(
            tf.equal(tf.argmax(out.pop("sl_logits"), -1, output_type=tf.int32), z["labels"]),
            tf.float32))
        return {**out, "sl_accuracy": accuracy}

    def _rotation_loss(self, x):
        """Beyond the paper: E (through `rotation_head`) tells by how many quarter turns each
        real training normal in `x` was rotated."""
        rotated, turns = losses.rotated_copies(x)
        return losses.rotation_loss(
            self.rotation_head(run_to_features(self.extractor, rotated, True)), turns)

    # ------------------------------------------------------------------ scoring

    def _parts(self, x, training=False, with_generator=True):
        """E's outputs, the feature vector, the rotation score (when the feature score uses it)
        and (with_generator) G(E(x)) for images in [-1, 1]."""
        hidden = run_to_features(self.extractor, x, training)
        logits = self.extractor.get_layer("pattern_logits")(hidden)
        z_n = self.extractor.get_layer("z_n")(hidden)
        parts = {"extractor": tf.cast(hidden, tf.float32), "noise": z_n}
        if "discriminator" in self.feature_source:
            parts["discriminator"] = tf.cast(run_to_features(self.discriminator, x, training),
                                             tf.float32)
        probs = tf.nn.softmax(logits)
        out = {"probs": probs, "features": features.combine(parts, self.feature_source, ops=tf)}
        if self.standardisation is not None:
            out["rotation"] = self._rotation_score(x, training)
        if with_generator:
            out["reconstruction"] = self.generator(tf.concat([probs, z_n], -1), training=training)
        return out

    def _rotation_score(self, x, training=False):
        """The rotation task's own score of images in [-1, 1] (`features.rotation_scores`)."""
        rotated, turns = losses.rotated_copies(x)
        logits = self.rotation_head(run_to_features(self.extractor, rotated, training))
        return features.rotation_scores(logits, turns, tf.shape(x)[0])

    def _density_score(self, parts):
        return features.graph_scores(parts["features"], self.feature_bank, self.feature_bias,
                                     self.feature_projection, self.feature_k, self.feature_distance)

    def _feature_score(self, parts):
        """The feature score and, with a rotation score, its parts (`PART_OUTPUTS`)."""
        density = self._density_score(parts)
        if self.standardisation is None:
            return density, {}
        return (features.standardised_sum(density, parts["rotation"], self.standardisation,
                                          self.rotation_score_weight),
                {"density_score": density, "rotation_score": parts["rotation"]})

    def call(self, x, training=False):
        """Both scores and their parts for a batch of images in [-1, 1].

        Returns:
            dict of per-image tensors: `score` and `is_anomaly` (the chosen score, above its
            stored threshold), `paper_score` (S, Eq. 11), `feature_score`, `recon_error`
            (r), `recon_prob` (p_r, Eq. 9), `pattern_prob` (p_c, Eq. 10) and `pattern`
            (argmax of E_c); with a rotation score, also the feature score's parts before
            standardisation, `density_score` (kNN or Gaussian) and `rotation_score`.
        """
        parts = self._parts(x, training)
        probs = parts["probs"]
        recon_error = scoring.reconstruction_error(x, parts["reconstruction"], self.reading)
        log_pr = scoring.reconstruction_log_prob(recon_error, self.recon_mean, self.recon_std)
        pattern_prob = tf.reduce_max(probs, axis=-1)
        paper_score = scoring.anomaly_score(log_pr, pattern_prob, self.reading, self.n_patterns)
        feature_score, score_parts = self._feature_score(parts)
        if self.score_choice == "features":
            score, threshold = feature_score, self.feature_threshold
        else:
            score, threshold = paper_score, self.paper_threshold
        return {
            "score": score,
            "is_anomaly": score > threshold,
            "paper_score": paper_score,
            "feature_score": feature_score,
            "recon_error": recon_error,
            "recon_prob": tf.exp(log_pr),
            "pattern_prob": pattern_prob,
            "pattern": tf.argmax(probs, axis=-1, output_type=tf.int32),
            **score_parts,
        }

    def feature_call(self, x):
        """The feature score alone, from E (and D if its features are used) without G.

        Returns:
            dict with `score` and `is_anomaly` (the feature score and its decision),
            `feature_score` (the same score), `pattern_prob` and `pattern`; with a rotation
            score, also `density_score` and `rotation_score` (as `call()`).
        """
        parts = self._parts(x, with_generator=False)
        feature_score, score_parts = self._feature_score(parts)
        return {"score": feature_score, "is_anomaly": feature_score > self.feature_threshold,
                "feature_score": feature_score,
                "pattern_prob": tf.reduce_max(parts["probs"], axis=-1),
                "pattern": tf.argmax(parts["probs"], axis=-1, output_type=tf.int32),
                **score_parts}

    @property
    def threshold(self):
        """The decision threshold of the chosen score."""
        return self.feature_threshold if self.score_choice == "features" else self.paper_threshold

    def check_images(self, images) -> np.ndarray:
        """Validate a batch of model-range images, or raise `ADeGANError` saying what is wrong."""
        images = np.asarray(images)
        if images.ndim == 3 and self.image_shape[-1] == 1 and images.shape[1:] == self.image_shape[:2]:
            images = images[..., None]
        if images.ndim != 4 or images.shape[1:] != self.image_shape:
            raise ADeGANError(
                f"images have shape {images.shape}, the model expects (N, {', '.join(map(str, self.image_shape))})"
                f": {self.image_shape[0]}x{self.image_shape[1]} pixels with {self.image_shape[2]} channel(s)"
            )
        if not np.issubdtype(images.dtype, np.number):
            raise ADeGANError(f"images must be numeric, got dtype {images.dtype}")
        images = images.astype(np.float32)
        if not np.all(np.isfinite(images)):
            raise ADeGANError(f"{int(np.sum(~np.isfinite(images).all(axis=(1, 2, 3))))} image(s) "
                              "contain NaN or infinite pixels; clean them before scoring")
        if images.size and (images.min() < -1.001 or images.max() > 1.001):
            raise ADeGANError(
                f"pixels range from {images.min():g} to {images.max():g}, the model expects [-1, 1]:"
                " convert uint8 images with keras_adegan.to_model_range(images)"
            )
        return images

    def score(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """Score images in [-1, 1]; returns numpy arrays keyed like `call()`.

        Raises:
            ADeGANError: wrong shape or channels, NaN pixels, pixels outside [-1, 1], or a model
                that has not been calibrated (`fit_feature_score()` then `calibrate()`).
        """
        images = self.check_images(images)
        if not self.is_calibrated:
            raise ADeGANError("the model is not calibrated: call fit_feature_score(train_normals) "
                              "and calibrate(validation_normals) first")
        return self.raw_outputs(images, batch_size)

    def _batched(self, name, fn, images, batch_size):
        """`fn` (a graph of images) over numpy images in batches, on this process only."""
        if batch_size < 1:
            raise ADeGANError(f"batch_size must be at least 1, got {batch_size}")
        if name not in self._functions:
            self._functions[name] = tf.function(
                fn, input_signature=[tf.TensorSpec((None,) + self.image_shape, tf.float32)])
        images = np.asarray(images, np.float32)
        parts = [self._functions[name](images[i:i + batch_size])
                 for i in range(0, max(len(images), 1), batch_size)]
        return {k: np.concatenate([p[k].numpy() for p in parts]) for k in parts[0]}

    def raw_outputs(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """`call()` on model-range images in batches, on this process only; no input checks.

        Unlike `predict()`, this never distributes the work under a `tf.distribute` strategy
        (whose gather cannot carry the boolean `is_anomaly`), so every worker of a
        multi-worker run can score on its own.
        """
        return self._batched("call", lambda x: self(x, training=False), images, batch_size)

    def batch_statistics_outputs(self, images, batch_size: int = 64) -> dict[str, np.ndarray]:
        """`raw_outputs`, but with G's BatchNorm normalising each batch by its own statistics
        (training mode), as GANomaly's public evaluation code does. For the biased-protocol
        diagnostic only: a score then depends on the other images of its batch. G's moving
        statistics, which training mode updates, are restored afterwards."""
        saved = [v.numpy() for v in self.generator.non_trainable_variables]
        try:
            return self._batched("call_batch_statistics", lambda x: self(x, training=True),
                                 images, batch_size)
        finally:
            for variable, value in zip(self.generator.non_trainable_variables, saved):
                variable.assign(value)

    @property
    def is_calibrated(self) -> bool:
        return bool(keras.ops.convert_to_numpy(self.calibrated) > 0.5)

    @property
    def is_feature_fitted(self) -> bool:
        return bool(keras.ops.convert_to_numpy(self.feature_fitted) > 0.5)

    def extract_features(self, images, batch_size: int = 256) -> dict[str, np.ndarray]:
        """The feature vectors (`features`) and E's pattern probabilities (`probs`) of
        model-range images, as used by the feature score."""
        return self._batched("features", lambda x: self._parts(x, with_generator=False),
                             images, batch_size)

    def rotation_scores(self, images, batch_size: int = 256) -> np.ndarray:
        """The rotation task's own score of model-range images, unstandardised (models trained
        with a rotation head, `real_task` "rotation", only)."""
        if self.rotation_head is None:
            raise ADeGANError("the rotation score needs a model trained with "
                              "a rotation head (--real-task rotation)")
        return self._batched("rotation", lambda x: {"rotation": self._rotation_score(x)},
                             images, batch_size)["rotation"]

    def fit_feature_score(self, train_normals, batch_size: int = 256) -> dict:
        """Fill the feature score's head (bank, or per-pattern Gaussians) from training normals.

        Use the training split's normal images (model range); call `calibrate()` afterwards,
        since the head changes the feature score.

        Returns:
            dict with `points` (training normals seen) and `bank_rows` (rows filled).
        """
        images = self.check_images(train_normals)
        if self.feature_density == "knn" and len(images) < self.feature_k:
            raise ADeGANError(f"the feature score needs at least feature_k = {self.feature_k} "
                              f"training images, got {len(images)}")
        out = self.extract_features(images, batch_size)
        head = features.fit_head(out["features"], np.argmax(out["probs"], axis=1), self.n_patterns,
                                 self.feature_density, self.feature_distance, self.bank_size,
                                 self.seed)
        self.feature_bank.assign(head["bank"])
        self.feature_bias.assign(head["bias"])
        if self.feature_projection is not None:
            self.feature_projection.assign(head["projection"])
        self.feature_fitted.assign(1.0)
        self.calibrated.assign(0.0)  # the feature threshold no longer fits
        return {"points": int(len(images)),
                "bank_rows": int(np.sum(head["bias"] < features.PADDING))}

    def calibrate(self, normal_images, fpr: float = 0.05, batch_size: int = 256) -> dict:
        """Fit Eq. 9's normal distribution and both scores' decision thresholds on normals.

        Use held-out normal images (the validation split), never the test split, after
        `fit_feature_score()`. Each threshold flags a share `fpr` of these images.

        Returns:
            dict with `recon_mean`, `recon_std`, `paper_threshold`, `feature_threshold`,
            `threshold` (the chosen score's), `score` (which one), `fpr` and, with a rotation
            score, `standardisation` (the means and deviations of the feature score's parts).
        """
        if not self.is_feature_fitted:
            raise ADeGANError("fit the feature score first: model.fit_feature_score(train_normals)")
        images = self.check_images(normal_images)
        if len(images) < 2:
            raise ADeGANError("calibration needs at least two normal images")
        out = self.raw_outputs(images, batch_size)
        feature_scores = out["feature_score"]
        if self.standardisation is not None:  # the parts' statistics come first
            stats = {}
            for name in ("density", "rotation"):
                stats[f"{name}_mean"], stats[f"{name}_std"] = scoring.fit_normal_stats(
                    out[f"{name}_score"])
            for name, value in stats.items():
                self.standardisation[name].assign(value)
            stats = {k: np.float32(v) for k, v in stats.items()}  # as the graph computes it
            feature_scores = features.standardised_sum(
                out["density_score"], out["rotation_score"], stats,
                np.float32(self.rotation_score_weight))
        mean, std = scoring.fit_normal_stats(out["recon_error"])
        self.recon_mean.assign(mean)
        self.recon_std.assign(std)
        paper, _ = scoring.score_components(out["recon_error"], out["pattern_prob"], mean, std,
                                            self.reading, self.n_patterns)
        paper_threshold = scoring.threshold_at_fpr(paper, fpr)
        feature_threshold = scoring.threshold_at_fpr(feature_scores, fpr)
        self.paper_threshold.assign(paper_threshold)
        self.feature_threshold.assign(feature_threshold)
        self.calibrated.assign(1.0)
        return {"recon_mean": mean, "recon_std": std, "paper_threshold": paper_threshold,
                "feature_threshold": feature_threshold,
                "threshold": float(keras.ops.convert_to_numpy(self.threshold)),
                "score": self.score_choice, "fpr": fpr,
                **({"standardisation": {k: float(keras.ops.convert_to_numpy(v))
                                        for k, v in self.standardisation.items()}}
                   if self.standardisation is not None else {})}

    def generate(self, n_per_pattern: int, seed: int = 0) -> np.ndarray:
        """Samples of G for every pattern: array (n_patterns, n_per_pattern, H, W, C) in [-1, 1]."""
        rng = np.random.default_rng(seed)
        labels = np.repeat(np.arange(self.n_patterns), n_per_pattern)
        z_n = rng.normal(0.0, self.noise_std, (len(labels), self.noise_dim)).astype(np.float32)
        codes = np.concatenate([np.eye(self.n_patterns, dtype=np.float32)[labels], z_n], -1)
        images = self.generator(codes, training=False).numpy()
        return images.reshape((self.n_patterns, n_per_pattern) + self.image_shape)


def load_detector(path) -> ADeGAN:
    """Load a calibrated `ADeGAN` from a `.keras` file, with a clear error for anything else."""
    path = Path(path)
    if not path.is_file():
        raise ADeGANError(f"model file {path} does not exist; train one with "
                          "python -m keras_adegan.train")
    try:
        model = keras.models.load_model(path)
    except Exception as exc:  # noqa: BLE001 - any load failure means the same to the user
        raise ADeGANError(f"cannot load {path} as a Keras model: {exc}") from None
    if not isinstance(model, ADeGAN):
        raise ADeGANError(f"{path} holds a {type(model).__name__}, not an ADeGAN detector")
    if not model.is_calibrated:
        raise ADeGANError(f"{path} is not calibrated: call model.calibrate(normal_images) and save")
    return model


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
                   alpha=config.alpha, beta=config.beta, gamma=config.gamma, reading=config.reading,
                   real_task=config.real_task, real_weight=config.real_weight,
                   stage1_pattern_weight=config.stage1_pattern_weight,
                   cross_mix_min=config.cross_mix_min, stage1_epochs=config.stage1_epochs,
                   seed=config.seed, precision=config.precision, run_config=config.to_dict(),
                   **scoring_options(config, n_train))
    model.compile(learning_rate=config.learning_rate, beta_1=config.beta_1, beta_2=config.beta_2,
                  jit_compile=config.jit_compile)
    return model
