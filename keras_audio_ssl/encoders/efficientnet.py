"""EfficientNet-B0 on one-channel log-mel spectrograms: COLA's encoder (`head="max"`) or the multiple-sampling-strategies one."""

import keras
from keras import layers

from keras_audio_ssl.encoders.blocks import FrequencyPooling
from keras_audio_ssl.encoders.blocks import check_positive_int
from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization

# The size the application is built at: the papers' 64 mels x 96 frames. Only its
# ZeroPadding2D layers depend on it, and they are replaced (see `_clone_layer`).
_BUILD_SHAPE = (64, 96, 1)
# keras.applications' EfficientNet-B0 sets drop_connect_rate=0.2, block b of 16
# dropping its residual branch with rate 0.2 * b / 16 (stochastic depth).
_APPLICATION_DROP_CONNECT_RATE = 0.2
TRUNK_WIDTH = 1280
HEADS = ("dense", "max")


def _clone_layer(layer, drop_connect_rate, synchronized_batch_norm):
    """A fresh copy of one application layer, fitted for an unknown time length."""
    config = layer.get_config()
    if isinstance(layer, layers.ZeroPadding2D):
        # `correct_pad` before a stride-2 conv: (k//2 - 1, k//2) on an even side,
        # (k//2, k//2) on an odd one, for the size the model was built at. That is
        # TensorFlow's "SAME" padding at stride 2, which the conv below now does
        # itself for whatever size comes in.
        return layers.Identity(name=layer.name)
    if isinstance(layer, (layers.Conv2D, layers.DepthwiseConv2D)) and config["padding"] == "valid":
        if tuple(config["strides"]) != (2, 2) or any(k % 2 == 0 for k in config["kernel_size"]):
            raise ValueError(
                f"Expected only stride-2 odd-kernel convs after a padding layer. Received: layer={layer.name!r}"
            )
        config["padding"] = "same"
    elif isinstance(layer, layers.BatchNormalization):
        # Same epsilon (1e-3) and momentum (0.99) as the application; fused kernel when training.
        config["synchronized"] = synchronized_batch_norm
        return FusedBatchNormalization.from_config(config)
    elif isinstance(layer, layers.Dropout):
        config["rate"] = layer.rate * (drop_connect_rate / _APPLICATION_DROP_CONNECT_RATE)
    return layer.__class__.from_config(config)


def efficientnet_b0_trunk(inputs, drop_connect_rate=0.2, synchronized_batch_norm=False):
    """keras.applications' EfficientNet-B0 (no top, no preprocessing) applied to `inputs` of any size.

    Returns the `top_activation` features `[B, ceil(F/32), ceil(T/32), 1280]`;
    the layers keep the application's names (`stem_conv`, `block1a_dwconv`, ...).
    """
    base = keras.applications.EfficientNetB0(weights=None, include_top=False, input_shape=_BUILD_SHAPE)
    # Without Rescaling(1/255) and Normalization: the input is a normalised log-mel.
    trunk = keras.Model(base.get_layer("stem_conv_pad").input, base.output)
    clone = keras.models.clone_model(
        trunk,
        input_tensors=inputs,
        clone_function=lambda layer: _clone_layer(layer, drop_connect_rate, synchronized_batch_norm),
    )
    return clone.output


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class EfficientNetB0Encoder(keras.Model):
    """EfficientNet-B0 encoder of COLA (Saeed et al., "Contrastive Learning
    of General-Purpose Audio Representations", ICASSP 2021) with the head of
    Kuroyanagi & Komatsu, "Self-Supervised Learning Method Using Multiple
    Sampling Strategies for General-Purpose Audio Representation" (ICASSP
    2022).

    The trunk is `keras.applications.EfficientNetB0(weights=None,
    include_top=False)` (Tan & Le, "EfficientNet: Rethinking Model Scaling
    for Convolutional Neural Networks", ICML 2019) on a one-channel log-mel
    `[B, F, T, 1]`: stem 3x3/2 conv, 16 MBConv blocks with
    squeeze-and-excitation, 1x1 conv to 1280, swish; frequency and time are
    downsampled 32x (ceil(n / 2) at each of the five stride-2 layers). Then
    the multiple-sampling-strategies paper's layer: average pooling over
    frequency, Dense d (512) -> LayerNormalization -> tanh per frame, frames
    `[B, ceil(T/32), d]` (96 frames, 0.95 s -> the paper's "512x3"); the
    last layer, a mean over time (`GlobalAveragePooling1D`), gives the clip
    embedding `[B, d]`. In COLA the same Dense 512 -> LayerNorm -> tanh is
    the projection head g (`methods.COLA` has its own); here it belongs to
    the encoder, as in the later paper.

    `head="max"` is COLA's own encoder instead (the authors' code builds
    `EfficientNetB0(include_top=False, pooling="max")`): no Dense, the
    1280 channels max-pooled over frequency (frames `[B, ceil(T/32), 1280]`)
    and then over time (`[B, 1280]`); the clip embedding a COLA probe reads
    is that 1280-d max pool, and `methods.COLA`'s projection head follows it.
    `feature_d` must then be 1280, the trunk's width.

    Adapted from the application, and why:
    - No Rescaling(1/255) / Normalization: those are ImageNet image
      preprocessing; the input here is already a pre-normalised log-mel.
      One input channel (the stem conv has 288 weights instead of 864).
    - Any time length. The application computes its stride-2 zero padding
      (`correct_pad`) from static sizes, so it cannot be built with an
      unknown T, and a model built at one size pads wrongly at another.
      The application is built at 64 x 96, its graph after the
      preprocessing is cloned onto a `(n_mels, None, 1)` input
      (`keras.models.clone_model`), and each of its ZeroPadding2D layers
      becomes an `Identity` (same name) while the stride-2 conv after it
      takes `padding="same"`: `correct_pad` is exactly TensorFlow's SAME
      padding for stride 2 and an odd kernel, so the outputs equal the
      application's on every size it can be built at (tested at 64 x 96
      and 33 x 45), with the application's layers, names and weight
      layout.
    - BatchNormalization -> `FusedBatchNormalization` with the
      application's settings (epsilon 1e-3, momentum 0.99: a TensorFlow
      model, unlike the PyTorch ports' 1e-5 / 0.9), for the fused training
      kernel and `synchronized_batch_norm`.
    - Stochastic depth: the application's drop_connect_rate 0.2 (block b of
      16 drops its residual branch with rate 0.2 b / 16) by default;
      `drop_connect_rate` rescales it (0 turns it off). The application's
      top dropout belongs to its classifier and is not used.

    The squeeze-and-excitation blocks average over the whole input, so each
    frame depends on the whole clip: window-by-window embedding of long
    clips (`export.long_clips`) only approximates the whole-clip frames.

    Trainable parameters at the defaults (d=512): 4,663,868 (any `n_mels`:
    4,006,972 EfficientNet-B0 + 655,872 Dense + 1,024 LayerNorm;
    BatchNorm moving statistics, 42,016 more, not counted).

    Args:
        feature_d: int. Width d of the head (Dense, LayerNorm), the
            embedding size (512).
        n_mels: int. Mel bins F of the input (64).
        return_frames: bool. Return frames `[B, ceil(T/32), d]` instead of
            the pooled `[B, d]`.
        drop_connect_rate: float in [0, 1). Stochastic-depth rate of the
            last block (0.2, the application's).
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics
            across replicas under `tf.distribute`.
        head: `"dense"` (the multiple-sampling-strategies head above) or
            `"max"` (COLA's: max pooling only, 1280-d).

    Example:
    >>> EfficientNetB0Encoder(return_frames=True)(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 3, 512])
    """

    def __init__(
        self,
        feature_d=512,
        n_mels=64,
        return_frames=False,
        drop_connect_rate=0.2,
        synchronized_batch_norm=False,
        head="dense",
        **kwargs,
    ):
        check_positive_int("feature_d", feature_d)
        if head not in HEADS:
            raise ValueError(f"`head` must be one of {HEADS}. Received: head={head!r}")
        if head == "max" and feature_d != TRUNK_WIDTH:
            raise ValueError(
                f"`head='max'` (COLA's encoder) has no projection: `feature_d` must be the trunk's width "
                f"{TRUNK_WIDTH}. Received: feature_d={feature_d}"
            )
        check_positive_int("n_mels", n_mels)
        if isinstance(drop_connect_rate, bool) or not isinstance(drop_connect_rate, (int, float)) or not (
            0 <= drop_connect_rate < 1
        ):
            raise ValueError(
                f"`drop_connect_rate` must be a number in [0, 1). Received: drop_connect_rate={drop_connect_rate!r}"
            )

        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = efficientnet_b0_trunk(inputs, drop_connect_rate, synchronized_batch_norm)
        if head == "max":
            x = FrequencyPooling("max", name="frequency_max_pool")(x)
            if not return_frames:
                x = layers.GlobalMaxPooling1D(name="time_max_pool")(x)
        else:
            x = FrequencyPooling("mean", name="frequency_mean_pool")(x)
            x = layers.Dense(feature_d, name="head_dense")(x)
            x = layers.LayerNormalization(name="head_layer_norm")(x)
            x = layers.Activation("tanh", name="head_tanh")(x)
            if not return_frames:
                x = layers.GlobalAveragePooling1D(name="time_mean_pool")(x)
        kwargs.setdefault("name", "efficientnet_b0")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.return_frames = return_frames
        self.drop_connect_rate = drop_connect_rate
        self.synchronized_batch_norm = synchronized_batch_norm
        self.head = head
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "return_frames": self.return_frames,
            "drop_connect_rate": self.drop_connect_rate,
            "synchronized_batch_norm": self.synchronized_batch_norm,
            "head": self.head,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
