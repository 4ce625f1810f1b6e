"""BYOL-A: BYOL for Audio (Niizumi et al., 2021) as a subclassed keras.Model."""

import copy
import warnings

import keras
import tensorflow as tf
from keras import ops

from keras_audio_ssl.heads import BYOLPredictionHead
from keras_audio_ssl.heads import BYOLProjectionHead
from keras_audio_ssl.losses import byol_loss
from keras_audio_ssl.methods.ema import ema_decay_at
from keras_audio_ssl.methods.ema import ema_update


_SEED_STATE_KEY = "seed_generator_state_"


def _structural_copy(encoder, name):
    """A fresh encoder with the same architecture (weights set by the caller)."""
    config = copy.deepcopy(encoder.get_config())
    if isinstance(config, dict) and "name" in config:
        config["name"] = name
    try:
        return encoder.__class__.from_config(config)
    except Exception:  # plain functional models and anything from_config can't rebuild
        return keras.models.clone_model(encoder)


def _replica_context():
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BYOLA(keras.Model):
    """BYOL for Audio (Niizumi et al., ICASSP/IJCNN 2021; v2 2023).

    `train_step` takes raw 16 kHz waveform batches `[B, N]` and runs the whole
    pipeline on the device: log-mel -> Pre-Normalization (dataset statistics,
    see `adapt`) -> two views, each log-mixup-exp with a FIFO memory bank
    then Random Resize Crop (and Random Linear Fader for v2) ->
    Post-Normalization over both views -> online encoder + projector +
    predictor on both views, target encoder + projector on both views (no
    gradient) -> symmetric BYOL loss -> optimizer step on the online
    network -> EMA update of the target -> memory-bank update.

    Design decisions (documented where the paper is silent):
    - Both views go through each network as one concatenated batch of 2B,
      so BatchNorm sees statistics over both views (current BYOL practice;
      the v1 code ran the views one after the other).
    - The EMA covers the target's trainable parameters (BYOL, byol-pytorch
      as used by the official code). The target's BatchNorm runs in training
      mode and keeps its own moving statistics, as the official target did.
    - The memory bank receives the pre-normalized inputs once per step
      (after both views were mixed), gathered from all replicas.
    - The model is built for one waveform length (the memory bank stores
      `[memory_size, F, T, 1]` log-mels): train on fixed-length segments.
    - The loss is the sum of the two directions (paper: L + L~), averaged over
      the batch; under `tf.distribute` it is divided by the replica count
      before the gradient so the summed replica gradients are the mean.
    - Post-Normalization statistics are taken over the global batch (all
      replicas), so a distributed step equals the single-device step when
      BatchNorm is synchronized too (`synchronized_batch_norm=True` on the
      encoder and here for the heads).

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]`, e.g.
            `AudioNTT2020`. A structural copy becomes the target encoder.
        projection_dim: int. Projector / predictor output size (256).
        hidden_dim: int. Projector / predictor hidden size (4096).
        ema_decay: float in [0, 1]. Target decay rate (0.99).
        ema_schedule: `"constant"` or `"cosine"` (BYOL's, to 1.0 at
            `ema_total_steps`).
        ema_total_steps: int. Needed by the cosine schedule.
        n_mels: int. Mel bins of the default front end.
        mixup_ratio: float. Log-mixup-exp ratio, lambda ~ U(0, ratio) (0.4).
        memory_size: int. Mixup memory-bank size (2048).
        random_linear_fader: bool. Add BYOL-A v2's Random Linear Fader.
        virtual_crop_scale: Random Resize Crop canvas (F, T) factors
            (paper: (1.0, 1.5)).
        freq_scale, time_scale: Random Resize Crop size ranges (paper:
            (0.6, 1.5) each). All three at (1.0, 1.0) make the crop
            deterministic (used by the distributed-equality test).
        pre_norm_mean, pre_norm_std: dataset log-mel statistics; or call
            `adapt()` before training.
        front_end: optional layer waveform `[B, N]` -> `[B, F, T, 1]`;
            default `LogMelSpectrogram(n_mels=n_mels)`.
        synchronized_batch_norm: bool. Synchronize the heads' BatchNorm
            across replicas.
        collapse_threshold: float. `fit` warns once (RuntimeWarning, at an
            epoch end) when a step had `embedding_std * sqrt(projection_dim)`
            below it (about 1.0 for well spread unit vectors, 0 when
            collapsed). The flag is the `collapse_warned` variable.
        seed: int or None. Seeds the augmentation layers.

    Example:
    ```python
    model = BYOLA(AudioNTT2020(feature_d=512))
    model.adapt(waveform_dataset, steps=40)
    model.compile(optimizer=keras.optimizers.Adam(3e-4))
    model.fit(waveform_dataset, epochs=100)
    embeddings = model.predict(waveforms)
    ```
    """

    def __init__(
        self,
        encoder,
        *,
        projection_dim=256,
        hidden_dim=4096,
        ema_decay=0.99,
        ema_schedule="constant",
        ema_total_steps=None,
        n_mels=64,
        mixup_ratio=0.4,
        memory_size=2048,
        random_linear_fader=False,
        virtual_crop_scale=(1.0, 1.5),
        freq_scale=(0.6, 1.5),
        time_scale=(0.6, 1.5),
        pre_norm_mean=None,
        pre_norm_std=None,
        front_end=None,
        synchronized_batch_norm=False,
        collapse_threshold=0.05,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not 0.0 <= float(ema_decay) <= 1.0:
            raise ValueError(
                f"`ema_decay` must be in [0, 1]. Received: ema_decay={ema_decay}"
            )
        if ema_schedule not in ("constant", "cosine"):
            raise ValueError(
                "`ema_schedule` must be 'constant' or 'cosine'. "
                f"Received: ema_schedule={ema_schedule}"
            )
        if ema_schedule == "cosine" and not (
            isinstance(ema_total_steps, int) and ema_total_steps > 0
        ):
            raise ValueError(
                "The cosine EMA schedule needs a positive integer "
                f"`ema_total_steps`. Received: ema_total_steps={ema_total_steps}"
            )
        from keras_audio_ssl import augment

        self.encoder = encoder
        self.projection_dim = projection_dim
        self.hidden_dim = hidden_dim
        self.ema_decay = float(ema_decay)
        self.ema_schedule = ema_schedule
        self.ema_total_steps = ema_total_steps
        self.n_mels = n_mels
        self.mixup_ratio = float(mixup_ratio)
        self.memory_size = memory_size
        self.random_linear_fader = random_linear_fader
        self.virtual_crop_scale = tuple(virtual_crop_scale)
        self.freq_scale = tuple(freq_scale)
        self.time_scale = tuple(time_scale)
        self.pre_norm_mean = pre_norm_mean
        self.pre_norm_std = pre_norm_std
        self.synchronized_batch_norm = synchronized_batch_norm
        self.collapse_threshold = float(collapse_threshold)
        self.seed = seed

        # === Layers ===
        if front_end is None:
            from keras_audio_ssl.audio import LogMelSpectrogram

            front_end = LogMelSpectrogram(n_mels=n_mels, name="log_mel")
            self._default_front_end = True
        else:
            self._default_front_end = False
        self.front_end = front_end
        self.pre_norm = augment.PreNormalization(
            mean=pre_norm_mean, std=pre_norm_std, name="pre_normalization"
        )
        seeds = [None] * 3 if seed is None else [seed, seed + 1, seed + 2]
        self.mixup = augment.MixupBYOLA(
            ratio=mixup_ratio, memory_size=memory_size, seed=seeds[0], name="mixup"
        )
        self.crop = augment.RandomResizeCrop(
            virtual_crop_scale=self.virtual_crop_scale,
            freq_scale=self.freq_scale,
            time_scale=self.time_scale,
            seed=seeds[1],
            name="random_resize_crop",
        )
        self.fader = (
            augment.RandomLinearFader(seed=seeds[2], name="random_linear_fader")
            if random_linear_fader
            else None
        )
        self.post_norm = augment.PostNormalization(name="post_normalization")
        head_kwargs = dict(
            hidden_dim=hidden_dim,
            output_dim=projection_dim,
            synchronized_batch_norm=synchronized_batch_norm,
        )
        self.projector = BYOLProjectionHead(name="projector", **head_kwargs)
        self.predictor = BYOLPredictionHead(name="predictor", **head_kwargs)
        self.target_encoder = _structural_copy(encoder, f"target_{encoder.name}")
        self.target_projector = BYOLProjectionHead(
            name="target_projector", **head_kwargs
        )

        # === Metrics ===
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.embedding_std_tracker = keras.metrics.Mean(name="embedding_std")
        self.view_trackers = {
            name: keras.metrics.Mean(name=name)
            for name in (
                "view_mean_pre",
                "view_std_pre",
                "view_mean_post",
                "view_std_post",
            )
        }

    # --- building -------------------------------------------------------
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 2:
            spec = self.front_end.compute_output_shape(input_shape)
            self.front_end.build(input_shape)
        else:
            spec = input_shape
        spec = (None,) + tuple(spec[1:])
        for layer in (self.pre_norm, self.mixup, self.crop, self.post_norm):
            layer.build(spec)
        if self.fader is not None:
            self.fader.build(spec)
        for encoder in (self.encoder, self.target_encoder):
            if not encoder.built:
                encoder.build(spec)
        embedding_shape = (None, self._embedding_dim())
        self.projector.build(embedding_shape)
        self.target_projector.build(embedding_shape)
        self.predictor.build((None, self.projection_dim))
        # Target starts equal to online (BYOL).
        for target, online in zip(
            self.target_encoder.weights + self.target_projector.weights,
            self.encoder.weights + self.projector.weights,
        ):
            target.assign(online)
        self.collapse_warned = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="collapse_warned",
        )
        self.built = True

    def _embedding_dim(self):
        dim = getattr(self.encoder, "output_dim", None)
        if dim is None:
            dim = self.encoder.output_shape[-1]
        return int(dim)

    # --- weights --------------------------------------------------------
    def _target_trainable(self):
        return (
            self.target_encoder.trainable_weights
            + self.target_projector.trainable_weights
        )

    def _online_ema_sources(self):
        return self.encoder.trainable_weights + self.projector.trainable_weights

    @property
    def trainable_weights(self):
        # The target is trained by EMA, never by the optimizer: keep its
        # parameters out of the optimizer (no slots, no gradient).
        if not self.trainable:
            return []
        excluded = {id(v) for v in self._target_trainable()}
        return [v for v in super().trainable_weights if id(v) not in excluded]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return super().non_trainable_weights
        return super().non_trainable_weights + self._target_trainable()

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return super().non_trainable_variables
        return super().non_trainable_variables + self._target_trainable()

    @property
    def metrics(self):
        return [self.loss_tracker, self.embedding_std_tracker] + list(
            self.view_trackers.values()
        )

    # --- inference ------------------------------------------------------
    def call(self, inputs, training=False):
        """Online encoder embedding `[B, d]`.

        `inputs`: waveform `[B, N]`, or a raw (not yet pre-normalized) log-mel
        `[B, F, T, 1]`; Pre-Normalization is applied to both.
        """
        x = inputs
        if len(x.shape) == 2:
            x = self.front_end(x)
        x = self.pre_norm(x)
        return self.encoder(x, training=training)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self._embedding_dim())

    def adapt(self, dataset, steps=None):
        """Computes Pre-Normalization statistics from waveforms.

        Args:
            dataset: `tf.data.Dataset` of waveform batches `[B, N]` (or tuples
                whose first item is one), or an array `[B, N]`.
            steps: int or None. Batches to read (required for an infinite
                dataset).
        """
        front_end = self.front_end
        if isinstance(dataset, tf.data.Dataset):

            def to_log_mel(*element):
                x = element[0]
                while isinstance(x, (tuple, list)):
                    x = x[0]
                return front_end(x)

            data = dataset.map(to_log_mel)
        else:
            data = front_end(ops.convert_to_tensor(dataset, "float32"))
        self.pre_norm.adapt(data, steps=steps)
        self.pre_norm_mean = self.pre_norm.mean
        self.pre_norm_std = self.pre_norm.std

    # --- training -------------------------------------------------------
    def make_views(self, waveform, training=True):
        """Pre-normalized input and the two post-normalized views `[2B, F, T, 1]`."""
        x = self.front_end(waveform)
        x = self.pre_norm(x)
        views = []
        for _ in range(2):
            view = self.mixup(x, training=training, update_memory=False)
            view = self.crop(view, training=training)
            if self.fader is not None:
                view = self.fader(view, training=training)
            views.append(view)
        views = ops.concatenate(views, axis=0)
        pre_stats = _global_mean_std(views)
        normalized = self._post_normalize(views, pre_stats)
        return x, views, normalized, pre_stats

    def _post_normalize(self, views, stats):
        if _replica_context() is None:
            return self.post_norm(views, training=True)
        # Statistics of the global batch, like one device would see it
        # (PostNormalization itself reduces over the local batch only).
        mean, std = stats
        return (views - mean) / ops.maximum(std, self.post_norm.epsilon)

    def compute_byol_loss(self, views, training=True):
        """Symmetric BYOL loss of `[2B, ...]` views (first half view 1).

        Returns `(loss, online_projections)`; the target runs without
        gradient.
        """
        embedding = self.encoder(views, training=training)
        projection = self.projector(embedding, training=training)
        prediction = self.predictor(projection, training=training)
        target = self.target_projector(
            self.target_encoder(views, training=training), training=training
        )
        target = ops.stop_gradient(target)
        p1, p2 = ops.split(prediction, 2, axis=0)
        z1, z2 = ops.split(target, 2, axis=0)
        loss = byol_loss(p1, z2) + byol_loss(p2, z1)
        return loss, projection

    def current_ema_decay(self):
        step = self.optimizer.iterations - 1
        return ema_decay_at(
            step, self.ema_decay, self.ema_schedule, self.ema_total_steps
        )

    def train_step(self, data):
        waveform = data
        while isinstance(waveform, (tuple, list)):
            waveform = waveform[0]
        if not self.built:
            self.build(tuple(waveform.shape))
        x, views, normalized, (pre_mean, pre_std) = self.make_views(waveform)
        online_variables = self.trainable_variables
        with tf.GradientTape() as tape:
            loss, projection = self.compute_byol_loss(normalized, training=True)
            context = _replica_context()
            scaled = loss / context.num_replicas_in_sync if context else loss
        gradients = tape.gradient(scaled, online_variables)
        self.optimizer.apply(gradients, online_variables)
        ema_update(
            self._target_trainable(),
            self._online_ema_sources(),
            self.current_ema_decay(),
        )
        self.mixup.update_memory(_gather_replicas(x))

        embedding_std = _embedding_std(projection)
        self._flag_collapse(embedding_std)
        post_mean, post_std = _global_mean_std(normalized)
        self.loss_tracker.update_state(loss)
        self.embedding_std_tracker.update_state(embedding_std)
        for name, value in (
            ("view_mean_pre", pre_mean),
            ("view_std_pre", pre_std),
            ("view_mean_post", post_mean),
            ("view_std_post", post_std),
        ):
            self.view_trackers[name].update_state(value)
        logs = {m.name: m.result() for m in self.metrics}
        if isinstance(
            tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy
        ):
            # Scalar logs trip the cross-worker reduction (tensorflow#72388).
            logs = {k: ops.reshape(v, (1,)) for k, v in logs.items()}
        return logs

    def _flag_collapse(self, embedding_std):
        # Only a flag in the graph (XLA cannot compile a print); `fit` turns
        # it into a Python warning at the end of the epoch, once.
        level = embedding_std * (self.projection_dim**0.5)
        collapsed = ops.cast(level < self.collapse_threshold, "int32")
        self.collapse_warned.assign(ops.maximum(self.collapse_warned, collapsed))

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or []) + [_CollapseWarning()]
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # --- serialization --------------------------------------------------
    def _seed_generator_states(self):
        # Dropout's SeedGenerator states are not part of `weights`, so Keras
        # does not save them; without them a reloaded model draws different
        # dropout masks and does not continue training identically.
        weight_ids = {id(w) for w in self.weights}
        return [v for v in self.variables if id(v) not in weight_ids]

    def save_own_variables(self, store):
        super().save_own_variables(store)
        for i, state in enumerate(self._seed_generator_states()):
            store[f"{_SEED_STATE_KEY}{i}"] = state

    def load_own_variables(self, store):
        own = {k: store[k] for k in store.keys() if not k.startswith(_SEED_STATE_KEY)}
        super().load_own_variables(own)
        for i, state in enumerate(self._seed_generator_states()):
            key = f"{_SEED_STATE_KEY}{i}"
            if key in store.keys():
                state.assign(store[key])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "projection_dim": self.projection_dim,
                "hidden_dim": self.hidden_dim,
                "ema_decay": self.ema_decay,
                "ema_schedule": self.ema_schedule,
                "ema_total_steps": self.ema_total_steps,
                "n_mels": self.n_mels,
                "mixup_ratio": self.mixup_ratio,
                "memory_size": self.memory_size,
                "random_linear_fader": self.random_linear_fader,
                "virtual_crop_scale": list(self.virtual_crop_scale),
                "freq_scale": list(self.freq_scale),
                "time_scale": list(self.time_scale),
                "pre_norm_mean": self.pre_norm.mean,
                "pre_norm_std": self.pre_norm.std,
                "front_end": None
                if self._default_front_end
                else keras.saving.serialize_keras_object(self.front_end),
                "synchronized_batch_norm": self.synchronized_batch_norm,
                "collapse_threshold": self.collapse_threshold,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        if config.get("front_end") is not None:
            config["front_end"] = keras.saving.deserialize_keras_object(
                config["front_end"]
            )
        return cls(**config)


class _CollapseWarning(keras.callbacks.Callback):
    """Warns once when a step flagged a collapsed embedding spread."""

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        if getattr(model, "_collapse_reported", False):
            return
        if int(keras.ops.convert_to_numpy(model.collapse_warned)):
            model._collapse_reported = True
            warnings.warn(
                "BYOL-A representation collapse? A training step had "
                "embedding_std * sqrt(projection_dim) below collapse_threshold="
                f"{model.collapse_threshold} (epoch {epoch + 1}; latest "
                f"embedding_std={(logs or {}).get('embedding_std')}). "
                "Check the learning rate, the EMA decay and the augmentations.",
                RuntimeWarning,
                stacklevel=2,
            )


def _gather_replicas(x):
    context = _replica_context()
    if context is None:
        return x
    return context.all_gather(x, axis=0)


def _global_mean_std(x):
    """Scalar mean and unbiased std over the global batch (all replicas)."""
    x = ops.cast(x, "float32")
    count = ops.cast(ops.size(x), "float32")
    total = ops.sum(x)
    total_sq = ops.sum(ops.square(x))
    context = _replica_context()
    if context is not None:
        total, total_sq, count = context.all_reduce(
            tf.distribute.ReduceOp.SUM, [total, total_sq, count]
        )
    mean = total / count
    variance = (total_sq - count * ops.square(mean)) / ops.maximum(count - 1.0, 1.0)
    return mean, ops.sqrt(ops.maximum(variance, 0.0))


def _embedding_std(projection):
    """Std over the batch of L2-normalized projections, averaged over dims."""
    z = projection / ops.maximum(
        ops.sqrt(ops.sum(ops.square(projection), axis=-1, keepdims=True)), 1e-12
    )
    return ops.mean(ops.std(z, axis=0))
