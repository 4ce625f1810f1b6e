"""The shared base of every self-supervised method: a keras.Model with a train_step template."""

import keras
import tensorflow as tf

from keras_audio_ssl import augment
from keras_audio_ssl import distribute
from keras_audio_ssl import precision
from keras_audio_ssl.audio import LogMelSpectrogram
from keras_audio_ssl.methods.batches import crops_to_batch
from keras_audio_ssl.methods.batches import first_tensor
from keras_audio_ssl.methods.batches import log_mels
from keras_audio_ssl.methods.hyperparameters import constructor_defaults
from keras_audio_ssl.methods.method_variables import MethodVariables
from keras_audio_ssl.methods.global_post_normalization import post_normalize_global  # noqa: F401 (public here too)
from keras_audio_ssl.methods.step_metrics import CollapseWarning
from keras_audio_ssl.methods.step_metrics import embedding_std  # noqa: F401 (public here too)
from keras_audio_ssl.methods.step_metrics import update_metrics


class SelfSupervisedMethod(MethodVariables, keras.Model):
    """Front end, pre-normalization, encoder and the training step every method shares.

    A method is a thin subclass: it creates its heads, losses and view
    augmentations in `__init__` and fills the hooks; this base does the rest.

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
    kept out of the optimizer and reported as non-trainable (`MethodVariables`).

    `train_step(waveform)`: waveform `[B, N]` (or `[B, S, N]`, S crops per
    clip, passed on as `[S*B, N]` crop-major) -> log-mel -> pre-normalization
    -> `make_views` -> loss under the tape -> gradient of
    `optimizer.scale_loss(distribute.scale_loss(loss))` -> optimizer ->
    `after_step` -> metrics (`step_metrics.py`).

    `call(inputs)`: waveform `[B, N]` or a raw (not yet pre-normalized) log-mel
    `[B, F, T, 1]` -> the encoder's embedding `[B, d]` (float32), so every
    method can be exported the same way.

    Mixed precision: `precision.py` (the method, its front end, normalizations,
    views and losses stay float32; `compile` adds loss scaling for a float16 encoder).

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
            (about 1 for well spread unit vectors, 0 when collapsed).
        seed: int or None. Seeds the method's random layers.
    """

    #: Metric trackers, created in `__init__` and fed from the diagnostics.
    metric_names = ("loss", "embedding_std")
    #: Hyperparameters that shape the saved state: a resume with other values is refused (extended by
    #: each method).
    STATE_SHAPING = ("n_mels", "mel_scale")
    #: Crops of each clip per batch (COLA's positive pairs: 2); above 1 a batch is `[B, S, N]`.
    SEGMENTS_PER_CLIP = 1
    #: How a clip shorter than a crop fills it (`data.random_crop_or_pad`): "zeros" (BYOL-A's centred
    #: padding) or "repeat".
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
        self.encoder = encoder
        self.n_mels = n_mels
        self.mel_scale = mel_scale
        self.pre_norm_mean = pre_norm_mean
        self.pre_norm_std = pre_norm_std
        self.collapse_threshold = float(collapse_threshold)
        self.seed = seed
        self._default_front_end = front_end is None
        if front_end is None:
            front_end = LogMelSpectrogram(n_mels=n_mels, mel_scale=mel_scale, name="log_mel")
        self.front_end = front_end
        self.pre_norm = augment.PreNormalization(mean=pre_norm_mean, std=pre_norm_std, name="pre_normalization")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}

    @classmethod
    def hyperparameters(cls):
        """`{name: default}` of the method's hyperparameters: the keyword arguments of every `__init__` from
        this class up to `SelfSupervisedMethod`, with the paper's defaults, documented once in the class
        docstring; `recipes.run.pretrain` builds a method from them."""
        return constructor_defaults(cls, SelfSupervisedMethod, cls._NOT_HYPERPARAMETERS)

    def set_pre_normalization(self, mean, std):
        """Sets the dataset statistics of the pre-normalization (before or after the model is built)."""
        self.pre_norm.set_statistics(mean, std)
        self.pre_norm_mean, self.pre_norm_std = self.pre_norm.mean, self.pre_norm.std

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
        self.collapse_warned = self.add_weight(shape=(), dtype="int32", initializer="zeros", trainable=False,
                                               aggregation="only_first_replica", name="collapse_warned")
        self.built = True

    def embedding_dim(self):
        dim = getattr(self.encoder, "output_dim", None)
        return int(self.encoder.output_shape[-1] if dim is None else dim)

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
        self.pre_norm.adapt(log_mels(self.front_end, dataset), steps=steps)
        self.pre_norm_mean, self.pre_norm_std = self.pre_norm.mean, self.pre_norm.std

    # --- training -------------------------------------------------------
    def compile(self, optimizer="rmsprop", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        # Keras wraps only when the model's own policy is mixed_float16; this model stays float32.
        wrapped = isinstance(self.optimizer, keras.optimizers.LossScaleOptimizer)
        if precision.needs_loss_scaling(self.encoder) and not wrapped:
            self.optimizer = keras.optimizers.LossScaleOptimizer(self.optimizer, name="loss_scale_optimizer")

    def compile_from_config(self, config):
        # Loading a .keras file skips a custom compile(); this one only adds the loss scale.
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built:
            self.optimizer.build(self.trainable_variables)

    def train_step(self, data):
        waveform = crops_to_batch(first_tensor(data))
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
        return update_metrics(self, loss, diagnostics)

    def fit(self, *args, callbacks=None, **kwargs):
        callbacks = list(callbacks or []) + [CollapseWarning()]
        return super().fit(*args, callbacks=callbacks, **kwargs)

    # --- serialization (seed-generator states: MethodVariables) ---
    def get_config(self):
        config = super().get_config()
        front_end = None if self._default_front_end else keras.saving.serialize_keras_object(self.front_end)
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "n_mels": self.n_mels,
            "mel_scale": self.mel_scale,
            "front_end": front_end,
            "pre_norm_mean": self.pre_norm.mean,
            "pre_norm_std": self.pre_norm.std,
            "collapse_threshold": self.collapse_threshold,
            "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        if config.get("front_end") is not None:
            config["front_end"] = keras.saving.deserialize_keras_object(config["front_end"])
        return cls(**config)
