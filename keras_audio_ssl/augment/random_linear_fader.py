import keras
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomLinearFader(SeededRandomLayer):
    """BYOL-A v2's Random Linear Fader: a random linear gain ramp over time.

    Niizumi et al., "BYOL for Audio: Exploring Pre-trained General-purpose
    Audio Representations" (IEEE/ACM TASLP, 2023). A ramp from a head gain
    to a tail gain, each `~ U(-gain, gain)` per sample, spanning the frames
    (both ends included, like `torch.linspace`), is added to the log-mel,
    i.e. a fade in or out in the linear domain.

    Args:
        gain: float >= 0. Bound of the head and tail gains (paper: 1.0).
        seed: int or None. Seed of the layer's random state.
        **kwargs: base layer arguments.

    Call arguments:
        inputs: `[B, F, T, C]` float32. training: identity when False.
        seed: optional `[2]` int tensor, a stateless seed for this call.

    Example:
    ```python
    view = RandomLinearFader(gain=1.0)(log_mels, training=True)
    ```
    """

    def __init__(self, gain=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if not gain >= 0:
            raise ValueError(f"`gain` must be >= 0. Received: gain={gain}")
        self.gain = float(gain)

    def call(self, inputs, training=True, seed=None):
        inputs = keras.ops.cast(inputs, "float32")
        if not training:
            return inputs
        seed = self.next_seed(seed)
        ends = seeding.uniform([2, tf.shape(inputs)[0]], seed, -self.gain, self.gain)
        head, tail = ends[0][:, None], ends[1][:, None]
        n_time = tf.shape(inputs)[2]
        position = tf.cast(tf.range(n_time), tf.float32) / tf.cast(tf.maximum(n_time - 1, 1), tf.float32)
        ramp = head + (tail - head) * position[None, :]  # [B, T]
        return inputs + ramp[:, None, :, None]

    def get_config(self):
        config = super().get_config()
        config.update({"gain": self.gain})
        return config
