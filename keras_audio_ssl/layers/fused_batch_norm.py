"""BatchNormalization whose training step runs TensorFlow's fused kernel."""

import keras
from keras import layers
from keras import ops


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class FusedBatchNormalization(layers.BatchNormalization):
    """`keras.layers.BatchNormalization` with a fused training path on TensorFlow.

    Same weights, same config, same maths as the Keras layer (batch mean and
    biased batch variance normalize the input and update the moving
    statistics). Keras 3 computes the batch moments and the normalization
    as separate element-wise passes; on CPU the encoder's first block
    (`[2B, 64, 96, 64]` activations, 200 MB at B=64) is bound by those
    memory passes. `FusedBatchNormV3` (oneDNN on CPU) does the forward in
    one kernel and the backward in one more: measured on one core, a block
    of conv + BN + ReLU + pool forward/backward went from 565 to 246 ms at
    `[128, 64, 96, 1]`.

    The fused path is taken only where it is exactly the Keras computation:
    training mode, trainable, TensorFlow backend, float32 variables, float32,
    bfloat16 or float16 channels-last rank 2 or 4 input, `center` and `scale`
    on, no mask, no renorm, not synchronized. Everything else (inference
    included) is the Keras layer. Under a mixed policy the kernel reads the
    bfloat16 / float16 activations and keeps its batch statistics, scale and
    offset in float32, as the Keras layer does after casting up, and skips
    that cast's extra pass over the activations.
    Args are those of `keras.layers.BatchNormalization`.

    Example:
    >>> bn = FusedBatchNormalization(epsilon=1e-5, momentum=0.9)
    >>> bn(np.ones((2, 4, 4, 3), "float32"), training=True).shape
    TensorShape([2, 4, 4, 3])
    """

    def _fused_ok(self, inputs, training, mask):
        rank = len(inputs.shape)
        return (
            bool(training)
            and self.trainable
            and mask is None
            and keras.backend.backend() == "tensorflow"
            and not self.synchronized
            and not self.renorm
            and self.center
            and self.scale
            and rank in (2, 4)
            and self.axis in (-1, rank - 1)
            and inputs.dtype in ("float32", "bfloat16", "float16")
            and self.variable_dtype == "float32"
            and inputs.shape[-1] is not None
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fused_ok(inputs, training, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf

        channels = inputs.shape[-1]
        x = inputs
        if len(inputs.shape) == 2:
            # A [N, C] batch is the [N, 1, 1, C] image case of the kernel.
            x = tf.reshape(inputs, (-1, 1, 1, channels))
        # The raw op, not tf.nn.fused_batch_norm: that wrapper raises epsilon
        # to cuDNN's minimum 1.001e-5, the layer's (PyTorch's) is 1e-5.
        y, mean, unbiased_variance, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=x,
            scale=self.gamma,
            offset=self.beta,
            mean=tf.zeros((channels,), tf.float32),
            variance=tf.ones((channels,), tf.float32),
            epsilon=float(self.epsilon),
            exponential_avg_factor=1.0,
            data_format="NHWC",
            is_training=True,
        )
        # The kernel normalizes with the biased variance but returns the
        # Bessel-corrected one; Keras' moving variance takes the biased one.
        count = tf.cast(tf.size(x) // channels, tf.float32)
        variance = unbiased_variance * ((count - 1.0) / tf.maximum(count, 1.0))
        self.moving_mean.assign(
            self.moving_mean * self.momentum + mean * (1.0 - self.momentum)
        )
        self.moving_variance.assign(
            self.moving_variance * self.momentum + variance * (1.0 - self.momentum)
        )
        if len(inputs.shape) == 2:
            y = tf.reshape(y, tf.shape(inputs))
        return ops.cast(y, self.compute_dtype)
