"""Building blocks shared by the encoders: BatchNorm settings, conv blocks, frame layouts, poolings.

Every encoder takes a log-mel `[B, F, T, 1]` (frequency first, time second,
channels last) and gives frames `[B, T', d]`; the layers here move between
those layouts.
"""

import keras
from keras import layers
from keras import ops

from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization

# PyTorch BatchNorm: eps 1e-5, running = (1 - 0.1) * running + 0.1 * batch.
# Keras: moving = momentum * moving + (1 - momentum) * batch, so momentum 0.9.
# Every reference implementation ported here is PyTorch with these defaults.
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


def batch_norm(synchronized_batch_norm, name):
    """The encoders' BatchNorm: PyTorch's epsilon and momentum, fused kernel when training."""
    return FusedBatchNormalization(
        epsilon=BN_EPSILON,
        momentum=BN_MOMENTUM,
        synchronized=synchronized_batch_norm,
        name=name,
    )


def conv_bn_relu(x, filters, kernel_size, synchronized_batch_norm, name, pool_size=None):
    """Conv2D (no bias: BatchNorm follows) -> BatchNorm -> ReLU [-> MaxPool2D `pool_size`].

    `pool_size` is `(frequency, time)`; the pooling floors like PyTorch's
    `nn.MaxPool2d`, and its stride equals its size.
    """
    x = layers.Conv2D(filters, kernel_size, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = batch_norm(synchronized_batch_norm, f"{name}_bn")(x)
    x = layers.ReLU(name=f"{name}_relu")(x)
    if pool_size is not None:
        x = layers.MaxPooling2D(pool_size, name=f"{name}_pool")(x)
    return x


def flatten_frames(x, name):
    """`[B, F', T', C]` -> `[B, T', F' * C]`, feature index `f * C + c`.

    The order of PyTorch's `permute(0, 2, 3, 1).reshape(B, T, -1)` on its
    `[B, C, T, F]` (CRNN) or `permute` of `[B, C, F, T]` (BYOL-A) tensors, so
    weights converted from those models give the same frames.
    """
    freq, channels = x.shape[1], x.shape[3]
    x = layers.Permute((2, 1, 3), name=f"{name}_permute")(x)
    return layers.Reshape((-1, freq * channels), name=f"{name}_flatten")(x)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class FrequencyPooling(layers.Layer):
    """Pools `[B, F, T, C]` over frequency into frames `[B, T, C]`.

    Args:
        mode: `"mean"` or `"max"` (`[B, T, C]`), or `"max_mean"`: the max and the mean
            over frequency concatenated as `[max, mean]` (`[B, T, 2C]`, the
            order of the FSDnoisy18k VGG-like net's "gapgmp" pooling).

    Example:
    >>> FrequencyPooling("max_mean")(np.ones((2, 4, 12, 8))).shape
    TensorShape([2, 12, 16])
    """

    MODES = ("mean", "max", "max_mean")

    def __init__(self, mode="mean", **kwargs):
        super().__init__(**kwargs)
        if mode not in self.MODES:
            raise ValueError(f"`mode` must be one of {self.MODES}. Received: mode={mode!r}")
        self.mode = mode

    def call(self, inputs):
        if self.mode == "max":
            return ops.max(inputs, axis=1)
        mean = ops.mean(inputs, axis=1)
        if self.mode == "mean":
            return mean
        return ops.concatenate([ops.max(inputs, axis=1), mean], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[3]
        if self.mode == "max_mean" and channels is not None:
            channels = 2 * channels
        return (input_shape[0], input_shape[2], channels)

    def get_config(self):
        config = super().get_config()
        config["mode"] = self.mode
        return config


def check_positive_int(name, value, multiple_of=1, at_least=1):
    """Raises a ValueError naming `name` unless `value` is an int >= `at_least` divisible by `multiple_of`."""
    ok = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and value >= at_least
        and value % multiple_of == 0
    )
    if not ok:
        expected = "a positive integer"
        if at_least > 1:
            expected = f"an integer >= {at_least}"
        if multiple_of > 1:
            expected += f" and a multiple of {multiple_of}"
        raise ValueError(f"`{name}` must be {expected}. Received: {name}={value!r}")
