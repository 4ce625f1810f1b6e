"""The shared base of every self-supervised method: a keras.Model with a train_step template."""

import warnings

import keras
import tensorflow as tf
from keras import ops

from keras_audio_ssl import distribute
from keras_audio_ssl import precision
from keras_audio_ssl.layers import l2_normalize

_SEED_STATE_KEY = "seed_generator_state_"


class SelfSupervisedMethod(keras.Model):
    """Front end, pre-normalization, encoder and the training step every method shares.

    A method is a thin subclass: it creates its heads, losses and view
    augmentations in `__init__` and fills four hooks; this base does the rest.

    - `build_heads(log_mel_shape)`: build the method's own layers.
    - `make_views(x, training)`: pre-normalized log-mels `[B, F, T, 1]` -> the
      views (any structure; computed outside the gradient tape).
    - `compute_loss_and_diagnostics(views, training)` -> `(loss, diagnostics)`:
      runs inside the tape. Diagnostics whose key is in `metric_names` are
      tracked as metrics (scalars); `"embeddings"` (`[N, D]`, e.g. the
      projections) feeds `embedding_std` and the collapse flag.
    - `after_step(x, views, diagnostics)`: after the optimizer step (EMA
      targets, memory banks).
    Variables listed by `optimizer_excluded_variables()` (momentum targets) are
    kept out of the optimizer and reported as non-trainable.

    `train_step(waveform)`: waveform `[B, N]` (or `[B, S, N]`, S crops per
    clip, passed on as `[S*B, N]` crop-major) -> log-mel -> pre-normalization
    -> `make_views` -> loss under the tape -> gradient of
    `optimizer.scale_loss(distribute.scale_loss(loss))` -> optimizer ->
    `after_step` -> metrics.
    Under `tf.distribute` the logs are rank-1 where MultiWorkerMirroredStrategy
    needs it (tensorflow#72388).

    `call(inputs)`: waveform `[B, N]` or a raw (not yet pre-normalized) log-mel
    `[B, F, T, 1]` -> the encoder's embedding `[B, d]` (float32), so every
    method can be exported the same way.

    Mixed precision (`precision.py`): build the encoder and the method under a
    mixed global policy (`precision.policy_scope`). The encoder and the heads
    then compute in bfloat16 / float16; the method itself, its front end,
    normalizations, views and losses stay float32, and `compile` wraps the
    optimizer in a `keras.optimizers.LossScaleOptimizer` when the encoder
    computes in float16.

    Hyperparameters (`hyperparameters()`): the keyword arguments of the
    class's `__init__` and its bases', with the paper's values as defaults,
    documented once in the class docstring; `recipes.run.pretrain` builds a
    method from them. `STATE_SHAPING` names those that shape the saved state
    (a resume with other values is refused); `SEGMENTS_PER_CLIP` is how many
    crops of each clip a batch holds (`[B, S, N]` when above 1); `PAD_MODE` how
    a clip shorter than a crop fills it (`data.random_crop_or_pad`).

    Args:
        encoder: Keras model `[B, n_mels, T, 1]` -> `[B, d]` (see `encoders.get`).
        n_mels: int. Mel bins of the default front end (64, BYOL-A's).
        mel_scale: `"slaney"` (librosa; the released BYOL-A weights) or `"htk"`
            (torchaudio; the official BYOL-A training code) for the default front end.
        front_end: optional layer waveform `[B, N]` -> `[B, F, T, 1]`; default
            `LogMelSpectrogram(n_mels=n_mels, mel_scale=mel_scale)` (BYOL-A's settings).
        pre_norm_mean, pre_norm_std: dataset log-mel statistics, or call
            `adapt()` before training.
        collapse_threshold: float. `fit` warns once (RuntimeWarning, at an
            epoch end) when a step had `embedding_std * sqrt(D)` below it
            (about 1 for well spread unit vectors, 0 when collapsed). The flag
            is the `collapse_warned` variable, so XLA can compile the step.
        seed: int or None. Seeds the method's random layers.
    """

    #: Metric trackers, created in `__init__` and fed from the diagnostics.
    metric_names = ("loss", "embedding_std")
    #: Hyperparameters that shape the saved state (extended by each method).
    STATE_SHAPING = ("n_mels", "mel_scale")
    #: Crops of each clip per batch (COLA's positive pairs: 2).
    SEGMENTS_PER_CLIP = 1
    #: How a clip shorter than a crop fills it: "zeros" (BYOL-A's centred padding) or "repeat".
    PAD_MODE = "zeros"
    # Constructor arguments that are not hyperparameters: what `pretrain` supplies.
    _NOT_HYPERPARAMETERS = ("encoder", "front_end", "pre_norm_mean", "pre_norm_std", "seed")

    def __init__(
        self,
        encoder,
        *,
        n_mels=64,
        mel_scale="slaney",
        front_end=None,
        pre_norm_mean=None,
        pre_norm_std=None,
        collapse_threshold=0.05,
        seed=None,
        **kwargs,
    ):
        # float32 under a mixed global policy: `call` must not cast the waveform down (precision.py).
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        from keras_audio_ssl import augment

        self.encoder = encoder
        self.n_mels = n_mels
        self.mel_scale = mel_scale
        self.pre_norm_mean = pre_norm_mean
        self.pre_norm_std = pre_norm_std
        self.collapse_threshold = float(collapse_threshold)
        self.seed = seed
        if front_end is None:
            from keras_audio_ssl.audio import LogMelSpectrogram

            front_end = LogMelSpectrogram(n_mels=n_mels, mel_scale=mel_scale, name="log_mel")
            self._default_front_end = True
        else:
            self._default_front_end = False
        self.front_end = front_end
        self.pre_norm = augment.PreNormalization(mean=pre_norm_mean, std=pre_norm_std, name="pre_normalization")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}

    @classmethod
    def hyperparameters(cls):
        """`{name: default}` of the method's hyperparameters (the keyword arguments of
        every `__init__` from this class up to `SelfSupervisedMethod`, the paper's defaults)."""
        import inspect

        found = {}
        for klass in cls.__mro__:
            if not (isinstance(klass, type) and issubclass(klass, SelfSupervisedMethod)):
                continue
            for name, p in inspect.signature(klass.__init__).parameters.items():
                if p.default is not p.empty and name not in cls._NOT_HYPERPARAMETERS:
                    found.setdefault(name, p.default)
        return found

    def set_pre_normalization(self, mean, std):
        """Sets the dataset statistics of the pre-normalization (before or after the model is built)."""
        self.pre_norm.mean, self.pre_norm.std = float(mean), float(std)
        self.pre_norm_mean, self.pre_norm_std = self.pre_norm.mean, self.pre_norm.std
        if self.pre_norm.built:
            self.pre_norm.mean_weight.assign(self.pre_norm.mean)
            self.pre_norm.std_weight.assign(self.pre_norm.std)

    def seeds(self, count):
        """`count` distinct layer seeds derived from `seed` (None each when unseeded)."""
        return [None] * count if self.seed is None else [self.seed + i for i in range(count)]

    # --- hooks ----------------------------------------------------------
    def build_heads(self, log_mel_shape):
        """Builds the method's own layers for log-mels of `log_mel_shape` `(None, F, T, 1)`."""

    def make_views(self, x, training=True):
        raise NotImplementedError

    def compute_loss_and_diagnostics(self, views, training=True):
        raise NotImplementedError

    def after_step(self, x, views, diagnostics):
        """Runs after the optimizer step (EMA targets, memory banks)."""

    def optimizer_excluded_variables(self):
        """Trainable-looking variables the optimizer must not touch (momentum targets)."""
        return []

    # --- building -------------------------------------------------------
    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) == 2:
            self.front_end.build(input_shape)
            spec = self.front_end.compute_output_shape(input_shape)
        else:
            spec = input_shape
        spec = (None,) + tuple(spec[1:])
        self.pre_norm.build(spec)
        if not self.encoder.built:
            self.encoder.build(spec)
        self.build_heads(spec)
        self.collapse_warned = self.add_weight(
            shape=(),
            dtype="int32",
            initializer="zeros",
            trainable=False,
            aggregation="only_first_replica",
            name="collapse_warned",
        )
        self.built = True

    def embedding_dim(self):
        dim = getattr(self.encoder, "output_dim", None)
        if dim is None:
            dim = self.encoder.output_shape[-1]
        return int(dim)

    # --- weights --------------------------------------------------------
    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        excluded = {id(v) for v in self.optimizer_excluded_variables()}
        return [v for v in super().trainable_weights if id(v) not in excluded]

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return super().non_trainable_weights
        return super().non_trainable_weights + list(self.optimizer_excluded_variables())

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        if not self.trainable:
            return super().non_trainable_variables
        return super().non_trainable_variables + list(self.optimizer_excluded_variables())

    @property
    def metrics(self):
        return list(self.trackers.values())

    # --- inference ------------------------------------------------------
    def preprocess(self, inputs):
        """Waveform `[B, N]` or raw log-mel `[B, F, T, 1]` -> pre-normalized log-mel."""
        x = inputs
        if len(x.shape) == 2:
            x = self.front_end(x)
        return self.pre_norm(x)

    def call(self, inputs, training=False):
        """The encoder's embedding `[B, d]` of a waveform `[B, N]` or raw log-mel `[B, F, T, 1]`."""
        return precision.to_float32(self.encoder(self.preprocess(inputs), training=training))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.embedding_dim())

    def adapt(self, dataset, steps=None):
        """Computes the Pre-Normalization statistics from waveforms.

        Args:
            dataset: `tf.data.Dataset` of waveform batches `[B, N]` (or tuples
                whose first item is one), or an array `[B, N]`.
            steps: int or None. Batches to read (required for an infinite dataset).
        """
        front_end = self.front_end
        if isinstance(dataset, tf.data.Dataset):
            data = dataset.map(lambda *element: front_end(_first_tensor(element)))
        else:
            data = front_end(ops.convert_to_tensor(dataset, "float32"))
        self.pre_norm.adapt(data, steps=steps)
        self.pre_norm_mean = self.pre_norm.mean
        self.pre_norm_std = self.pre_norm.std

    # --- training -------------------------------------------------------
    def compile(self, optimizer="rmsprop", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        # Keras wraps only when the model's own policy is mixed_float16; this model stays float32.
        if precision.needs_loss_scaling(self.encoder) and not isinstance(
            self.optimizer, keras.optimizers.LossScaleOptimizer
        ):
            self.optimizer = keras.optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")

    def compile_from_config(self, config):
        # Loading a .keras file skips a custom compile(); this one only adds the loss scale.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def train_step(self, data):
        waveform = _first_tensor(data)
        if len(waveform.shape) == 3:
            # [B, S, N]: S crops of each clip (COLA's positives) -> segment-major [S*B, N], so that
            # rows s*B .. s*B + B - 1 hold crop s of every clip.
            waveform = ops.reshape(ops.transpose(waveform, (1, 0, 2)), (-1, waveform.shape[-1]))
        if not self.built:
            self.build(tuple(waveform.shape))
        x = self.preprocess(waveform)
        views = self.make_views(x, training=True)
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            loss, diagnostics = self.compute_loss_and_diagnostics(views, training=True)
            # The loss scale of a LossScaleOptimizer (identity otherwise); `apply` unscales.
            scaled = self.optimizer.scale_loss(distribute.scale_loss(loss))
        gradients = tape.gradient(scaled, variables)
        self.optimizer.apply(gradients, variables)
        self.after_step(x, views, diagnostics)
        return self._update_metrics(loss, diagnostics)

    def _update_metrics(self, loss, diagnostics):
        values = {k: v for k, v in diagnostics.items() if k in self.trackers}
        values["loss"] = loss
        if "embeddings" in diagnostics:
            embeddings = diagnostics["embeddings"]
            values["embedding_std"] = embedding_std(embeddings)
            self._flag_collapse(values["embedding_std"], int(embeddings.shape[-1]))
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return distribute.logs_for_strategy({m.name: m.result() for m in self.metrics})

    def _flag_collapse(self, std, dim):
        level = std * (dim**0.5)
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
                "n_mels": self.n_mels,
                "mel_scale": self.mel_scale,
                "front_end": None
                if self._default_front_end
                else keras.saving.serialize_keras_object(self.front_end),
                "pre_norm_mean": self.pre_norm.mean,
                "pre_norm_std": self.pre_norm.std,
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
            config["front_end"] = keras.saving.deserialize_keras_object(config["front_end"])
        return cls(**config)


def post_normalize_global(post_norm, views, stats=None):
    """BYOL-A's post-normalization of `views` with the global batch's statistics.

    On one device the `PostNormalization` layer itself; under a strategy the
    layer would see only this replica's views, so the all-reduced mean/std
    (`stats` if the caller already has them) are applied instead.
    """
    if distribute.replica_context() is None:
        return post_norm(views, training=True)
    mean, std = distribute.global_mean_std(views) if stats is None else stats
    return (views - mean) / ops.maximum(std, post_norm.epsilon)


class _CollapseWarning(keras.callbacks.Callback):
    """Warns once when a step flagged a collapsed embedding spread."""

    def on_epoch_end(self, epoch, logs=None):
        model = self.model
        if getattr(model, "_collapse_reported", False):
            return
        if int(keras.ops.convert_to_numpy(model.collapse_warned)):
            model._collapse_reported = True
            warnings.warn(
                f"{type(model).__name__} representation collapse? A training step had "
                "embedding_std * sqrt(dim) below collapse_threshold="
                f"{model.collapse_threshold} (epoch {epoch + 1}; latest "
                f"embedding_std={(logs or {}).get('embedding_std')}). "
                "Check the learning rate, the EMA decay / temperature and the augmentations.",
                RuntimeWarning,
                stacklevel=2,
            )


def _first_tensor(data):
    while isinstance(data, (tuple, list)):
        data = data[0]
    return data


def embedding_std(embeddings):
    """Std over the batch of L2-normalized embeddings, averaged over dims (0 when collapsed)."""
    return ops.mean(ops.std(l2_normalize(precision.to_float32(embeddings)), axis=0))
