"""AudioNTT2020 (BYOL-A v1) and AudioNTT2022 (BYOL-A v2) convolutional encoders."""

import keras
from keras import layers
from keras import ops

from keras_audio_ssl.encoders.blocks import batch_norm
from keras_audio_ssl.encoders.blocks import check_positive_int
from keras_audio_ssl.encoders.blocks import flatten_frames


def _conv_block(x, filters, synchronized_batch_norm, name):
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv")(x)
    x = batch_norm(synchronized_batch_norm, f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


class MeanMaxTimePooling(layers.Layer):
    """`max over time + mean over time` of `[B, T, D]` frames, as BYOL-A does.

    Example:
    >>> MeanMaxTimePooling()(np.ones((2, 12, 8))).shape
    TensorShape([2, 8])
    """

    def call(self, inputs):
        return ops.max(inputs, axis=1) + ops.mean(inputs, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


keras.saving.register_keras_serializable(package="keras_audio_ssl")(
    MeanMaxTimePooling
)


def _check_args(feature_d, n_mels, n_blocks):
    check_positive_int("feature_d", feature_d)
    check_positive_int("n_mels", n_mels, multiple_of=2**n_blocks)


def _check_dropout(dropout):
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout}")


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class AudioNTT2020(keras.Model):
    """BYOL-A v1 encoder ("AudioNTT2020", Niizumi et al., BYOL for Audio, 2021).

    Three blocks of [Conv2D 3x3 @ 64, BatchNorm, ReLU, MaxPool 2x2] over a
    `[B, n_mels, T, 1]` log-mel, flattened per time frame to
    `[B, T/8, 64 * n_mels/8]`, then Linear d, ReLU, Dropout 0.3, Linear d, ReLU,
    and `max over time + mean over time` -> `[B, d]`. Trainable parameters:
    600,192 (d=512), 1,649,792 (d=1024), 5,321,856 (d=2048) with 64 mels.
    The flatten order follows the official PyTorch model, so weights converted
    from its `features.*` / `fc.*` state dict give the same embeddings.

    Args:
        feature_d: int. Embedding size d.
        n_mels: int. Mel bins F of the input, a multiple of 8.
        return_frames: bool. If True, return frame features `[B, T/8, d]`
            instead of the pooled `[B, d]`.
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics across
            replicas under `tf.distribute` (the global batch then behaves as on
            one device). Off by default, like the official training.
        dropout: float. Dropout rate between the two Linear layers (0.3).

    Example:
    >>> encoder = AudioNTT2020(feature_d=512)
    >>> encoder(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 512])
    """

    def __init__(
        self,
        feature_d=512,
        n_mels=64,
        return_frames=False,
        synchronized_batch_norm=False,
        dropout=0.3,
        **kwargs,
    ):
        _check_args(feature_d, n_mels, 3)
        _check_dropout(dropout)
        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = inputs
        for i in range(3):
            x = _conv_block(x, 64, synchronized_batch_norm, f"block{i + 1}")
        x = flatten_frames(x, "frames")
        x = layers.Dense(feature_d, name="fc1")(x)
        x = layers.ReLU(name="fc1_relu")(x)
        x = layers.Dropout(dropout, name="fc_dropout")(x)
        x = layers.Dense(feature_d, name="fc2")(x)
        x = layers.ReLU(name="fc2_relu")(x)
        if not return_frames:
            x = MeanMaxTimePooling(name="mean_max_pool")(x)
        kwargs.setdefault("name", "audio_ntt2020")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.return_frames = return_frames
        self.synchronized_batch_norm = synchronized_batch_norm
        self.dropout = dropout
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "return_frames": self.return_frames,
            "synchronized_batch_norm": self.synchronized_batch_norm,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class AudioNTT2022(keras.Model):
    """BYOL-A v2 encoder ("AudioNTT2022", Niizumi et al., BYOL for Audio:
    Exploring Pre-trained General-purpose Audio Representations, 2023).

    Two blocks of [Conv2D 3x3 @ 64, BatchNorm, ReLU, MaxPool 2x2] (time / 4),
    frames flattened to `conv_d = 64 * n_mels/4` (1024 for 64 mels) in the
    official order, an MLP Linear `mlp_hidden_d`, ReLU, Dropout 0.3,
    Linear `feature_d - conv_d`, ReLU, and the frame feature is the
    concatenation [conv features, MLP features] (`feature_d` = 3072 by
    default), pooled by `max over time + mean over time`.

    Mapping to the official v2 state dict (`AudioNTT2022Encoder`):
    `features.{0,4}` -> `block{1,2}_conv`, `features.{1,5}` -> `block{1,2}_bn`,
    `fc.0` -> `fc1` ([mlp_hidden_d, conv_d]), `fc.3` -> `fc2`
    ([feature_d - conv_d, mlp_hidden_d]).

    Args:
        feature_d: int. Output size (conv_d + MLP output), default 3072.
        n_mels: int. Mel bins, a multiple of 4.
        mlp_hidden_d: int. Hidden size of the MLP, default 2048.
        return_frames: bool. Return `[B, T/4, feature_d]` frames instead.
        synchronized_batch_norm: bool. See `AudioNTT2020`.
        dropout: float. Dropout rate inside the MLP (0.3).

    Example:
    >>> AudioNTT2022()(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 3072])
    """

    def __init__(
        self,
        feature_d=3072,
        n_mels=64,
        mlp_hidden_d=2048,
        return_frames=False,
        synchronized_batch_norm=False,
        dropout=0.3,
        **kwargs,
    ):
        _check_args(feature_d, n_mels, 2)
        _check_dropout(dropout)
        conv_d = 64 * (n_mels // 4)
        if feature_d <= conv_d:
            raise ValueError(
                f"`feature_d` must exceed the conv feature size {conv_d} "
                f"(64 * n_mels / 4). Received: feature_d={feature_d}"
            )
        check_positive_int("mlp_hidden_d", mlp_hidden_d)
        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = inputs
        for i in range(2):
            x = _conv_block(x, 64, synchronized_batch_norm, f"block{i + 1}")
        conv_frames = flatten_frames(x, "frames")
        x = layers.Dense(mlp_hidden_d, name="fc1")(conv_frames)
        x = layers.ReLU(name="fc1_relu")(x)
        x = layers.Dropout(dropout, name="fc_dropout")(x)
        x = layers.Dense(feature_d - conv_d, name="fc2")(x)
        x = layers.ReLU(name="fc2_relu")(x)
        x = layers.Concatenate(axis=-1, name="stack")([conv_frames, x])
        if not return_frames:
            x = MeanMaxTimePooling(name="mean_max_pool")(x)
        kwargs.setdefault("name", "audio_ntt2022")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.mlp_hidden_d = mlp_hidden_d
        self.return_frames = return_frames
        self.synchronized_batch_norm = synchronized_batch_norm
        self.dropout = dropout
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "mlp_hidden_d": self.mlp_hidden_d,
            "return_frames": self.return_frames,
            "synchronized_batch_norm": self.synchronized_batch_norm,
            "dropout": self.dropout,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
