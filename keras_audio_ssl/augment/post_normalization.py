import keras


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class PostNormalization(keras.layers.Layer):
    """Normalizes augmented views with their batch statistics.

    BYOL-A's Post-Normalization block (Niizumi et al., 2021, Sec. III-D)
    compensates the statistical drift the augmentations cause. As in the
    official `NormalizeBatch` (reduction over every axis but the channel,
    unbiased std clamped at float32 eps), statistics are one mean and one
    std per channel over the whole batch; with the usual single channel they
    are scalars. The method passes both views concatenated, so both share
    the statistics.

    The official code applies this block in the training step only; encoders
    see pre-normalized (not post-normalized) log-mels at inference. So the
    layer is the identity when `training=False`.

    Args:
        epsilon: float. Lower bound on the batch std.
        **kwargs: base layer arguments.

    Example:
    ```python
    views = keras.ops.concatenate([view_1, view_2], axis=0)
    views = PostNormalization()(views, training=True)
    ```
    """

    def __init__(self, epsilon=1.1920929e-07, **kwargs):
        kwargs.setdefault("dtype", "float32")  # batch statistics in float32 under a mixed policy too
        super().__init__(**kwargs)
        if not epsilon >= 0:
            raise ValueError(f"`epsilon` must be >= 0. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def call(self, inputs, training=True):
        inputs = keras.ops.cast(inputs, self.compute_dtype)
        if not training:
            return inputs
        axes = tuple(range(len(inputs.shape) - 1))
        mean = keras.ops.mean(inputs, axis=axes, keepdims=True)
        squared = keras.ops.sum(keras.ops.square(inputs - mean), axis=axes, keepdims=True)
        count = keras.ops.cast(keras.ops.size(inputs) // keras.ops.shape(inputs)[-1], inputs.dtype)
        # Unbiased estimate, as torch.std in the official code.
        std = keras.ops.sqrt(squared / keras.ops.maximum(count - 1.0, 1.0))
        return (inputs - mean) / keras.ops.maximum(std, self.epsilon)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config
