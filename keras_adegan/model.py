"""`ADeGAN`: G, D and E in one Keras model with a two-stage custom `train_step`.

Stage 1 (epochs `0 .. stage1_epochs - 1`) trains D and G adversarially (Eq. 1). Stage 2 trains G
and E on alpha * L_ip + beta * L_sl + gamma * L_recon (Eq. 8). `fit()` switches stage at the
epoch boundary by itself (the `TrainingStages` callback), so a plain
`model.fit(ds, epochs=stage1_epochs + stage2_epochs)` runs the whole method, and a run resumed
with `fit(initial_epoch=...)` (`keras_adegan.checkpoint`) continues in the right stage.

Latent codes are drawn with stateless random ops keyed by (seed, step), as one global batch of
which every replica takes its own slice: training under `tf.distribute.MirroredStrategy` sees
the same codes, and logs the same losses, as training on one device.

`call(x)` runs the networks and hands their outputs to the model's `ScoringHead`
(`keras_adegan.scoring_head`), which returns the paper's S (Eq. 9-11), the feature score beyond
the paper and the chosen score's decision; its bank, statistics and thresholds are
non-trainable weights that survive `save()`/`load_model()` and export. The numpy side (fitting
the head, calibrating, scoring arrays) is `keras_adegan.detector.Detector`.

Example:
    >>> model = ADeGAN(image_shape=(16, 16, 1), n_patterns=10, width=8, stage1_epochs=1)
    >>> model.compile()
    >>> model.fit(train_ds, epochs=2)                    # 1 epoch of each stage
    >>> model.fit_feature_score(train_normals)           # the feature bank, from training normals
    >>> model.calibrate(val_normals)                     # Eq. 9 statistics + 5% FPR thresholds
    >>> model.score(images)["score"]
"""

from __future__ import annotations

import dataclasses
import inspect

import keras
import tensorflow as tf

from keras_adegan import features, losses, scoring
from keras_adegan.clusters import PixelClusters
from keras_adegan.config import ADeGANConfig, drop_retired
from keras_adegan.detector import Detector
from keras_adegan.errors import ADeGANError
from keras_adegan.networks import (LowRankFactors, build_discriminator, build_extractor,
                                   build_generator, check_image_shape, feature_dense,
                                   run_to_features)
from keras_adegan.rotation import RotationHead
from keras_adegan.scoring_head import (FEATURE_OUTPUTS, OUTPUTS, PART_OUTPUTS,  # noqa: F401
                                       SCORING_ARGS, ScoringHead)

STAGE_METRICS = {
    1: ("d_loss", "g_loss"),
    2: ("loss", "ip_loss", "sl_loss", "recon_loss", "sl_accuracy"),
}


class TrainingStages(keras.callbacks.Callback):
    """Sets `model.stage` from the epoch number: 1 before `stage1_epochs`, 2 from then on.

    `ADeGAN.fit` adds it by itself; pass your own only to switch at another epoch.

    Example:
        >>> model.fit(stream, epochs=6, callbacks=[TrainingStages(stage1_epochs=2)])
    """

    def __init__(self, stage1_epochs: int):
        super().__init__()
        self.stage1_epochs = stage1_epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.model.stage = 1 if epoch < self.stage1_epochs else 2


def _adam(learning_rate, beta_1, beta_2, name):
    return keras.optimizers.Adam(learning_rate, beta_1=beta_1, beta_2=beta_2, name=name)


@keras.saving.register_keras_serializable(package="keras_adegan")
class ADeGAN(Detector, keras.Model):
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
        real_task: beyond the paper: "none", "rotation" (in stage 2, E also learns to tell
            how far each real training normal was rotated, through `rotation_head` on its
            features layer, weighted by `real_weight`) or "clusters" (in stage 2, E's pattern
            head also names each real training normal's k-means cluster, `cluster_task`,
            fitted by `adapt` before `fit`).
        real_weight: weight of the real-normal task, added to Eq. 8.
        stage2_adversarial_weight: weight of D's adversarial term for G in stage 2, D still
            trained (0, this class's default: the paper's stage 2, D frozen after stage 1;
            `ADeGANConfig`'s default, 1, is the core chosen on validation).
        cross_mix_min: across-pattern mixing weights are drawn from U(m, 1 - m).
        stage1_epochs: how many of `fit()`'s epochs are adversarial (stage 1).
        seed: seed of the latent-code stream.
        precision: Keras dtype policy of the networks: "float32" or "mixed_bfloat16" (bfloat16
            compute, float32 variables and outputs; for CPUs with AMX and for TPUs).
        run_config: free-form dict saved with the model (the run's `ADeGANConfig`).
        score: which score decides `score`/`is_anomaly`: "features" or "paper" (S, Eq. 11).
            Both are always computed.
        feature_source: features of the feature score: "extractor" (E's layer before its
            heads) or "noise" (E's z_n).
        feature_distance: "cosine" or "euclidean".
        feature_k: neighbours averaged by the kNN score.
        bank_size: rows of the kNN bank (training normals subsampled at random to this size;
            to keep them all, pass their number, as `build_model` does for
            `ADeGANConfig(bank_size=None)`, the default chosen on validation).
        bank_fill: "random" (the default) or "kmeans": a bank smaller than the training
            normals holds a seeded random subset of their features, or as many k-means
            centroids of them.
        feature_projection: kNN only: the number of principal directions of the training
            normals' features to project on before the bank (None: no projection).
        extractor_rank: beyond the paper, for a smaller exported E: `fit_feature_score`
            reduces E's dense layer to the top r principal directions of its outputs
            on the training normals (`LowRankFactors`), through which the feature score
            (and E alone) then runs, while the paper's S keeps E as trained; the trained
            layer is kept, so `with_scoring` can choose another rank. None: E as trained.
        rotation_score_weight: beyond the paper, for models with a rotation head: the
            feature score becomes the kNN score plus this weight times the rotation
            task's own score (`rotation.rotation_scores`), each standardised on the
            validation normals by `calibrate()`; 0 (the default) leaves the feature score
            alone.

    Example:
        >>> model = ADeGAN(image_shape=(28, 28, 1), stage1_epochs=5)
        >>> model.compile(learning_rate=2e-4)
    """

    def __init__(self, image_shape=(28, 28, 1), n_patterns=10, noise_dim=16, noise_std=0.1,
                 width=32, alpha=1.0, beta=1.0, gamma=10.0, reading="ours", real_task="none",
                 real_weight=1.0, stage2_adversarial_weight=0.0, cross_mix_min=0.25,
                 stage1_epochs=0,
                 seed=0, precision="float32", run_config=None, score="features",
                 feature_source="noise", feature_distance="cosine",
                 feature_k=5, bank_size=1024, bank_fill="random", feature_projection=None,
                 extractor_rank=None, rotation_score_weight=0.0, **kwargs):
        options = {k: v for k, v in locals().items() if k in CONFIG_ARGS}
        ADeGANConfig(**options)  # every option is checked in one place: ADeGANConfig.validate
        kwargs.setdefault("name", "adegan")
        super().__init__(**kwargs)
        self.image_shape = check_image_shape(image_shape)
        self.stage1_epochs = int(stage1_epochs)
        self.run_config = dict(run_config or {})
        self.options = {k: v for k, v in options.items() if k not in SCORING_ARGS}
        for name, value in self.options.items():  # n_patterns, noise_std, reading, seed, ...
            setattr(self, name, value)
        self.generator = build_generator(self.image_shape, n_patterns, noise_dim, width,
                                         dtype=precision)
        self.discriminator = build_discriminator(self.image_shape, width, dtype=precision)
        self.extractor = build_extractor(self.image_shape, n_patterns, noise_dim, width,
                                         dtype=precision)
        self.factors = None  # beyond the paper: E's dense layer at a lower rank, when asked
        if extractor_rank is not None:
            dense = feature_dense(self.extractor)
            if not 1 <= extractor_rank < min(dense.kernel.shape):
                raise ADeGANError(f"extractor_rank must be between 1 and "
                                  f"{min(dense.kernel.shape) - 1} (E's dense layer is "
                                  f"{dense.kernel.shape[0]} x {dense.kernel.shape[1]}), got "
                                  f"{extractor_rank}")
            self.factors = LowRankFactors(*dense.kernel.shape, extractor_rank)
        self.rotation_head = None  # beyond the paper: the rotation task's head
        if real_task == "rotation":
            self.rotation_head = RotationHead()
            self.rotation_head.build((None, 8 * width))
        self.cluster_task = None  # beyond the paper: the cluster task's k-means centroids
        if real_task == "clusters":
            self.cluster_task = PixelClusters(n_patterns, self.image_shape)
        self.head = ScoringHead(
            features.feature_dim(feature_source, width, noise_dim),
            n_patterns, reading=reading, seed=seed,
            **{k: v for k, v in options.items() if k in SCORING_ARGS})

        self._stage = 1
        self._functions = {}  # tf.functions made by Detector._batched on first use
        self.stage_metrics = dict(STAGE_METRICS)
        if real_task != "none":
            self.stage_metrics[2] += ("real_loss",)
        if stage2_adversarial_weight > 0:
            self.stage_metrics[2] += ("stage2_d_loss", "stage2_g_loss")
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for names in self.stage_metrics.values() for name in names}
        self.build((None,) + self.image_shape)  # built now: checkpoints load into it before fit

    # ------------------------------------------------------------------ Keras plumbing

    def get_config(self):
        head = self.head.get_config()
        return {**super().get_config(), "image_shape": list(self.image_shape), **self.options,
                **{k: head[k] for k in SCORING_ARGS}, "stage1_epochs": self.stage1_epochs,
                "run_config": self.run_config}

    @classmethod
    def from_config(cls, config):
        return cls(**drop_retired(config, fitted=True))

    def with_scoring(self, **options) -> "ADeGAN":
        """A copy of this trained model with other scoring options (`score`, `feature_*`,
        `bank_*`, `rotation_score_weight`): the same networks, an empty feature head, the same
        optimizer settings (not their state). Call `fit_feature_score()` and `calibrate()` on
        the copy before scoring with it."""
        copy = type(self).from_config({**self.get_config(), **options})
        if hasattr(self, "g_optimizer"):
            copy.compile_from_config(self.get_compile_config())
        for name in ("generator", "discriminator", "extractor", "rotation_head", "cluster_task"):
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
        if self.cluster_task is not None and not self.cluster_task.is_fitted:
            raise ADeGANError(f"real_task {self.real_task!r} needs the training normals' "
                              "clusters before training: call "
                              "model.adapt(train_normals) first")
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

    def adapt(self, train_normals) -> None:
        """Before `fit`, as a Keras preprocessing layer's `adapt`: for `real_task` "clusters",
        the k-means of the training normals' pixels (in [-1, 1]) that E's pattern head learns in
        stage 2, kept if already fitted (a loaded or continued model: E learnt those). Other
        models have nothing to fit, so every training loop can call it."""
        if self.cluster_task is not None and not self.cluster_task.is_fitted:
            self.cluster_task.fit(train_normals, self.seed)

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
        """Stage 1, Eq. 1: one update of D and of G from the same batch of fakes."""
        z = self._latents(tf.shape(x)[0])
        codes = tf.concat([tf.one_hot(z["labels"], self.n_patterns), z["z_n"]], axis=-1)
        with tf.GradientTape(persistent=True) as tape:  # one gradient per network
            fake = self.generator(codes, training=True)
            real_logits = self.discriminator(x, training=True)
            fake_logits = self.discriminator(fake, training=True)
            d_loss = losses.discriminator_loss(real_logits, fake_logits)
            g_loss = losses.generator_adversarial_loss(fake_logits)
            scale = self._replica_scale()  # scaled inside the tape, which must see it
            d_scaled, g_scaled = d_loss * scale, g_loss * scale
        d_vars = self.discriminator.trainable_variables
        g_vars = self.generator.trainable_variables
        d_grads, g_grads = tape.gradient(d_scaled, d_vars), tape.gradient(g_scaled, g_vars)
        self.d_optimizer.apply(d_grads, d_vars)
        self.g_optimizer.apply(g_grads, g_vars)
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _self_supervised_step(self, x):
        """Stage 2, Eq. 8: G and E on alpha * L_ip + beta * L_sl + gamma * L_recon (with
        `stage2_adversarial_weight`, G also keeps D's term and D keeps training)."""
        z = self._latents(tf.shape(x)[0])
        adversarial = self.stage2_adversarial_weight > 0
        with tf.GradientTape(persistent=adversarial) as tape:
            out = losses.stage2_losses(self.generator, self.extractor, x, z, self.n_patterns,
                                       self.noise_std, self.alpha, self.beta, self.gamma,
                                       reading=self.reading)
            fake = out.pop("sl_images")
            if self.real_task != "none":  # beyond the paper: E also learns from real normals
                task = self.rotation_head if self.cluster_task is None else self.cluster_task
                out["real_loss"] = task.loss(self.extractor, x)
                out["loss"] = out["loss"] + self.real_weight * out["real_loss"]
            if adversarial:
                out["stage2_g_loss"] = losses.generator_adversarial_loss(
                    self.discriminator(fake, training=True))
                out["loss"] = out["loss"] + self.stage2_adversarial_weight * out["stage2_g_loss"]
                out["stage2_d_loss"] = losses.discriminator_loss(
                    self.discriminator(x, training=True),
                    self.discriminator(tf.stop_gradient(fake), training=True))
                d_scaled = out["stage2_d_loss"] * self._replica_scale()
            scaled = out["loss"] * self._replica_scale()
        g_vars = self.generator.trainable_variables
        e_vars = self._extractor_variables()
        grads = tape.gradient(scaled, g_vars + e_vars)
        self.g_optimizer.apply(grads[: len(g_vars)], g_vars)
        self.e_optimizer.apply(grads[len(g_vars):], e_vars)
        if adversarial:
            d_vars = self.discriminator.trainable_variables
            self.d_optimizer.apply(tape.gradient(d_scaled, d_vars), d_vars)
        accuracy = tf.reduce_mean(tf.cast(
            tf.equal(tf.argmax(out.pop("sl_logits"), -1, output_type=tf.int32), z["labels"]),
            tf.float32))
        return {**out, "sl_accuracy": accuracy}

    # ------------------------------------------------------------------ scoring

    def _parts(self, x, training=False, with_generator=True):
        """E's outputs, the feature vector, the rotation score (when the feature score uses it)
        and (with_generator) G(E(x)) for images in [-1, 1].

        With fitted low-rank factors (`extractor_rank`), the feature score's parts come from
        the compact E; with the generator, the paper's S and G(E(x)) keep E as trained, so
        that an edge compaction never changes the paper's method (E alone, without G, is all
        compact: its pattern outputs too)."""
        compact = run_to_features(self.extractor, x, training, self.factors)
        hidden = compact
        if with_generator and self.factors is not None and self.factors.is_fitted:
            hidden = run_to_features(self.extractor, x, training)
        logits = self.extractor.get_layer("pattern_logits")(hidden)
        z_n = self.extractor.get_layer("z_n")(hidden)
        parts = {"extractor": tf.cast(compact, tf.float32),
                 "noise": z_n if hidden is compact else self.extractor.get_layer("z_n")(compact)}
        probs = tf.nn.softmax(logits)
        out = {"probs": probs, "features": parts[self.feature_source]}
        if self.head.needs_rotation:
            out["rotation"] = self.rotation_head.score(self.extractor, x, training, self.factors)
        if with_generator:
            out["reconstruction"] = self.generator(tf.concat([probs, z_n], -1), training=training)
        return out

    def call(self, x, training=False):
        """Both scores and their parts for a batch of images in [-1, 1] (`ScoringHead.call`:
        `score`, `is_anomaly`, `paper_score`, `feature_score`, `recon_error`, `recon_prob`,
        `pattern_prob`, `pattern`, and with a rotation score `density_score` and
        `rotation_score`)."""
        parts = self._parts(x, training)
        parts["recon_error"] = scoring.reconstruction_error(x, parts.pop("reconstruction"),
                                                            self.reading)
        return self.head(parts)

    def feature_call(self, x):
        """The feature score alone, from E (and D if its features are used) without G:
        `score`, `is_anomaly`, `feature_score`, `pattern_prob`, `pattern` (and the parts)."""
        return self.head(self._parts(x, with_generator=False))


# The constructor arguments that are `ADeGANConfig` fields of the same name (all but
# `stage1_epochs`, which may be 0 here): checked by the config, passed on by `build_model`.
CONFIG_ARGS = tuple(name for name in inspect.signature(ADeGAN.__init__).parameters
                    if name in {f.name for f in dataclasses.fields(ADeGANConfig)}
                    and name != "stage1_epochs")
