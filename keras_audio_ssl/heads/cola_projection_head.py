"""COLA's projection g: Dense -> LayerNorm -> tanh."""

import keras
from keras import layers


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class COLAProjectionHead(layers.Layer):
    """Dense `output_dim` -> LayerNorm -> tanh (Saeed et al., COLA, 2021).

    COLA projects the encoder's embedding with one fully connected layer of
    512 units, layer normalization and tanh before the bilinear similarity;
    the multiple-sampling-strategies paper (Kuroyanagi & Komatsu) uses the
    same head per clip and per frame. Works on `[B, D]` and `[B, T, D]`.

    Args:
        output_dim: int. Projection size (512, the paper's).
        **kwargs: base layer arguments.

    Example:
    >>> COLAProjectionHead()(np.zeros((4, 2048), "float32")).shape
    TensorShape([4, 512])
    """

    def __init__(self, output_dim=512, **kwargs):
        super().__init__(**kwargs)
        if isinstance(output_dim, bool) or not isinstance(output_dim, int) or output_dim <= 0:
            raise ValueError(f"`output_dim` must be a positive integer. Received: output_dim={output_dim}")
        self.output_dim = output_dim
        # Sublayers compute like the head (e.g. mixed_bfloat16), not like the global policy.
        self.dense = layers.Dense(output_dim, dtype=self.dtype_policy, name="dense")
        self.layer_norm = layers.LayerNormalization(epsilon=1e-6, dtype=self.dtype_policy, name="layer_norm")

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.layer_norm.build(tuple(input_shape[:-1]) + (self.output_dim,))

    def call(self, inputs):
        return keras.ops.tanh(self.layer_norm(self.dense(inputs)))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = super().get_config()
        config["output_dim"] = self.output_dim
        return config
