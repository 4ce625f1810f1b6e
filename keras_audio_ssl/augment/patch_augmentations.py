"""Fonseca et al.'s per-patch augmentations on pre-normalized log-mel patches: compression, noise.

Fonseca, Ortego, McGuinness, O'Connor and Serra (ICASSP 2021) list random
resized cropping (`RandomResizeCrop` with small ranges), compression and
Gaussian noise addition as the best policy, "hyper-parameters randomly sampled
from a distribution for each patch", without the distributions; the ranges
below are this garden's choice, stated on each layer.
"""

import keras
import tensorflow as tf

from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomCompression(SeededRandomLayer):
    """Dynamic-range compression of each patch: `m + γ (x - m)`, γ ~ U(low, high) per patch.

    On a log-mel, scaling deviations from the patch mean m by γ < 1 is a
    power-law compression of the magnitudes (x^γ, re-levelled to the same mean
    level): loud and quiet bins move towards each other, as an audio
    compressor does. Default γ in [0.6, 1.0].

    Args:
        gamma_range: (low, high), 0 < low <= high.
        seed: int or None.
    """

    def __init__(self, gamma_range=(0.6, 1.0), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        low, high = (float(v) for v in gamma_range)
        if not 0.0 < low <= high:
            raise ValueError(f"`gamma_range` must be (low, high) with 0 < low <= high. Received: gamma_range={gamma_range!r}")
        self.gamma_range = (low, high)

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        gamma = seeding.uniform([tf.shape(x)[0], 1, 1, 1], self.next_seed(seed), *self.gamma_range)
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        return mean + gamma * (x - mean)

    def get_config(self):
        config = super().get_config()
        config["gamma_range"] = list(self.gamma_range)
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class GaussianNoiseAddition(SeededRandomLayer):
    """`x + σ·n`, n ~ N(0, 1) per element, σ ~ U(0, max_stddev) per patch.

    On pre-normalized log-mels (unit variance over the dataset), the default
    `max_stddev=0.2` adds noise up to a fifth of the data's spread. Unlike
    BYOL-A's `GaussianNoise` (log-mixup-exp with noise), this adds in the log
    domain, as "Gaussian noise addition" reads.

    Args:
        max_stddev: float >= 0.
        seed: int or None.
    """

    def __init__(self, max_stddev=0.2, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(max_stddev, bool) or not float(max_stddev) >= 0:
            raise ValueError(f"`max_stddev` must be >= 0. Received: max_stddev={max_stddev!r}")
        self.max_stddev = float(max_stddev)

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        seed = self.next_seed(seed)
        sigma = seeding.uniform([tf.shape(x)[0], 1, 1, 1], seeding.sub_seed(seed, 0), 0.0, self.max_stddev)
        return x + sigma * seeding.normal(tf.shape(x), seeding.sub_seed(seed, 1))

    def get_config(self):
        config = super().get_config()
        config["max_stddev"] = self.max_stddev
        return config
