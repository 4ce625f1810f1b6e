"""MLP heads: the BYOL projector and predictor."""

import keras
from keras import layers

from keras_audio_ssl.layers.fused_batch_norm import FusedBatchNormalization


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class MLPHead(layers.Layer):
    """Linear `hidden_dim` -> BatchNorm -> ReLU -> Linear `output_dim`.

    The projector / predictor of BYOL (Grill et al., 2020), reused unchanged
    by BYOL-A (Niizumi et al., 2021). BatchNorm uses PyTorch's defaults
    (eps 1e-5, momentum 0.1 == Keras momentum 0.9) like the official code.

    Args:
        hidden_dim: int. Width of the hidden layer.
        output_dim: int. Output size.
        synchronized_batch_norm: bool. Synchronize BatchNorm statistics across
            replicas under `tf.distribute`.

    Example:
    >>> MLPHead(64, 16)(np.zeros((4, 32), "float32")).shape
    TensorShape([4, 16])
    """

    def __init__(
        self, hidden_dim, output_dim, synchronized_batch_norm=False, **kwargs
    ):
        super().__init__(**kwargs)
        for arg, value in (("hidden_dim", hidden_dim), ("output_dim", output_dim)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"`{arg}` must be a positive integer. Received: {arg}={value}"
                )
        self.hidden_dim = hidden_dim
        self.output_dim = output_dim
        self.synchronized_batch_norm = synchronized_batch_norm
        # Sublayers compute like the head (e.g. mixed_bfloat16), not like the global policy.
        dtype = self.dtype_policy
        self.hidden = layers.Dense(hidden_dim, dtype=dtype, name="hidden")
        self.batch_norm = FusedBatchNormalization(
            epsilon=1e-5,
            momentum=0.9,
            synchronized=synchronized_batch_norm,
            dtype=dtype,
            name="batch_norm",
        )
        self.relu = layers.ReLU(dtype=dtype, name="relu")
        self.output_dense = layers.Dense(output_dim, dtype=dtype, name="output")

    def build(self, input_shape):
        self.hidden.build(input_shape)
        hidden_shape = tuple(input_shape[:-1]) + (self.hidden_dim,)
        self.batch_norm.build(hidden_shape)
        self.output_dense.build(hidden_shape)

    def call(self, inputs, training=None):
        x = self.hidden(inputs)
        x = self.batch_norm(x, training=training)
        x = self.relu(x)
        return self.output_dense(x)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "hidden_dim": self.hidden_dim,
                "output_dim": self.output_dim,
                "synchronized_batch_norm": self.synchronized_batch_norm,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BYOLProjectionHead(MLPHead):
    """BYOL / BYOL-A projector: Linear 4096 -> BatchNorm -> ReLU -> Linear 256.

    Args:
        hidden_dim: int. Default 4096 (the paper's).
        output_dim: int. Default 256 (the paper's).

    Example:
    >>> BYOLProjectionHead()(np.zeros((4, 512), "float32")).shape
    TensorShape([4, 256])
    """

    def __init__(self, hidden_dim=4096, output_dim=256, **kwargs):
        super().__init__(hidden_dim, output_dim, **kwargs)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class BYOLPredictionHead(MLPHead):
    """BYOL / BYOL-A predictor: Linear 4096 -> BatchNorm -> ReLU -> Linear 256.

    Example:
    >>> BYOLPredictionHead()(np.zeros((4, 256), "float32")).shape
    TensorShape([4, 256])
    """

    def __init__(self, hidden_dim=4096, output_dim=256, **kwargs):
        super().__init__(hidden_dim, output_dim, **kwargs)
