"""ResNet-18 on one-channel log-mel spectrograms (Fonseca et al.'s largest encoder)."""

import keras
from keras import layers

from keras_audio_ssl.encoders.blocks import FrequencyPooling
from keras_audio_ssl.encoders.blocks import batch_norm
from keras_audio_ssl.encoders.blocks import check_positive_int

_BLOCKS_PER_STAGE = (2, 2, 2, 2)
_STAGE_STRIDES = (1, 2, 2, 2)


def _kernel_initializer():
    # torchvision's ResNet (and the paper's copy of it) initialises convolutions with
    # kaiming_normal(mode="fan_out"); Keras's fan_out counts the same terms (k * k * out).
    return keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="untruncated_normal")


def _conv(x, filters, kernel_size, strides, name):
    # PyTorch pads (k - 1) / 2 on both sides; Keras "same" pads a strided conv's
    # even-sized input only at the end, which shifts every output frame by one
    # input position. Explicit symmetric padding + "valid" keeps torch's grid.
    if strides > 1 and kernel_size > 1:
        x = layers.ZeroPadding2D(kernel_size // 2, name=f"{name}_pad")(x)
        padding = "valid"
    else:
        padding = "same"
    return layers.Conv2D(
        filters,
        kernel_size,
        strides=strides,
        padding=padding,
        use_bias=False,
        kernel_initializer=_kernel_initializer(),
        name=name,
    )(x)


def _basic_block(x, filters, strides, synchronized_batch_norm, name):
    """He et al.'s BasicBlock: 3x3 conv (strided) -> BN -> ReLU -> 3x3 conv -> BN, + shortcut, ReLU."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        # torchvision's `downsample`: 1x1 conv with the block's stride, then BN.
        shortcut = _conv(x, filters, 1, strides, f"{name}_downsample_conv")
        shortcut = batch_norm(synchronized_batch_norm, f"{name}_downsample_bn")(shortcut)
    y = _conv(x, filters, 3, strides, f"{name}_conv1")
    y = batch_norm(synchronized_batch_norm, f"{name}_bn1")(y)
    y = layers.ReLU(name=f"{name}_relu1")(y)
    y = _conv(y, filters, 3, 1, f"{name}_conv2")
    y = batch_norm(synchronized_batch_norm, f"{name}_bn2")(y)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_relu2")(y)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class ResNet18(keras.Model):
    """ResNet-18 encoder of Fonseca et al., "Unsupervised Contrastive Learning
    of Sound Event Representations" (ICASSP 2021), classification layer removed.

    The paper only names it ("ResNet-18", 11 M weights); the architecture is
    He et al., "Deep Residual Learning for Image Recognition" (2016), in the
    torchvision layout the paper's code (uclser20 `models/resnetAudio.py`)
    uses with a one-channel input: 7x7/2 conv -> BN -> ReLU -> 3x3/2 max
    pool, four stages of two BasicBlocks at widths d/8, d/4, d/2, d with
    strides 1, 2, 2, 2 (1x1 conv + BN shortcut where the shape changes),
    convolutions without bias, kaiming-normal (fan_out) initialised, BN eps
    1e-5 / PyTorch momentum 0.1. Frequency and time are both downsampled
    32x (each strided layer: ceil(n / 2), with torch's symmetric padding).

    The official model ends in a global average pooling over frequency and
    time; here it is split in two: a mean over frequency gives frames
    `[B, ceil(T/32), d]`, and the last layer, a mean over time
    (`GlobalAveragePooling1D`), gives the same `[B, d]` embedding.

    Trainable parameters at the default d=512: 11,170,240 (any `n_mels`;
    BatchNorm moving statistics, 9,600 more, not counted). Layer names
    follow the torch keys: `conv1`, `bn1`, `layer{i}_{j}_conv1` for
    `layer{i}.{j}.conv1`, `layer{i}_{j}_downsample_conv` for
    `layer{i}.{j}.downsample.0`, ...

    Args:
        feature_d: int. Embedding size d = the last stage's width, a
            multiple of 8 (512: He et al.'s 64-128-256-512 widths).
        n_mels: int. Mel bins F of the input.
        return_frames: bool. Return frames `[B, ceil(T/32), d]` instead of
            the pooled `[B, d]`.
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics
            across replicas under `tf.distribute`.

    Example:
    >>> ResNet18()(np.zeros((2, 64, 96, 1), "float32")).shape
    TensorShape([2, 512])
    """

    def __init__(
        self,
        feature_d=512,
        n_mels=64,
        return_frames=False,
        synchronized_batch_norm=False,
        **kwargs,
    ):
        check_positive_int("feature_d", feature_d, multiple_of=8)
        check_positive_int("n_mels", n_mels)
        widths = [feature_d // 8 * 2**i for i in range(4)]

        # === Functional graph ===
        inputs = keras.Input(shape=(n_mels, None, 1), name="log_mel")
        x = _conv(inputs, widths[0], 7, 2, "conv1")
        x = batch_norm(synchronized_batch_norm, "bn1")(x)
        x = layers.ReLU(name="relu")(x)
        # Zeros stand in for torch's -inf padding: the input is post-ReLU, >= 0.
        x = layers.ZeroPadding2D(1, name="maxpool_pad")(x)
        x = layers.MaxPooling2D(3, strides=2, name="maxpool")(x)
        for stage, (width, blocks, strides) in enumerate(zip(widths, _BLOCKS_PER_STAGE, _STAGE_STRIDES)):
            for block in range(blocks):
                x = _basic_block(
                    x,
                    width,
                    strides if block == 0 else 1,
                    synchronized_batch_norm,
                    f"layer{stage + 1}_{block}",
                )
        x = FrequencyPooling("mean", name="frequency_mean_pool")(x)
        if not return_frames:
            x = layers.GlobalAveragePooling1D(name="time_mean_pool")(x)
        kwargs.setdefault("name", "resnet18")
        super().__init__(inputs=inputs, outputs=x, **kwargs)

        # === Config ===
        self.feature_d = feature_d
        self.n_mels = n_mels
        self.return_frames = return_frames
        self.synchronized_batch_norm = synchronized_batch_norm
        self.output_dim = feature_d

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "feature_d": self.feature_d,
            "n_mels": self.n_mels,
            "return_frames": self.return_frames,
            "synchronized_batch_norm": self.synchronized_batch_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
