"""Fonseca et al.'s per-patch augmentations on pre-normalized log-mel patches.

Fonseca, Ortego, McGuinness, O'Connor and Serra (ICASSP 2021) list random
resized cropping (`RandomResizeCrop` with small ranges), compression, Gaussian
noise addition, SpecAugment, random time/frequency shifts and Gaussian
blurring, "hyper-parameters randomly sampled from a distribution for each
patch", without the distributions; the ranges below are this garden's choice,
stated on each layer. Their best policy is RRC + compression + noise.
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


def _per_patch_offsets(shape, seed, max_offset):
    """Integer offsets in [-max_offset, max_offset], one per patch."""
    u = seeding.uniform(shape, seed)
    return tf.cast(tf.floor(u * (2 * max_offset + 1)), tf.int32) - max_offset


def _shift_along(x, offsets, axis):
    """Each patch shifted by its own offset along `axis` (1: frequency, 2: time), edges repeated."""
    size = tf.shape(x)[axis]
    index = tf.clip_by_value(tf.range(size)[None, :] - offsets[:, None], 0, size - 1)  # [B, size]
    return tf.gather(x, index, axis=axis, batch_dims=1)


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class SpecAugmentMasking(SeededRandomLayer):
    """SpecAugment's masking (Park et al., 2019) per patch: frequency bands and frame spans set to the patch mean.

    Each of `freq_masks` masks covers a random width in [0, max_freq_fraction * F]
    bands at a random position; likewise `time_masks` in time. No time warping
    (Fonseca et al. list "time/freq masking").

    Args:
        freq_masks, time_masks: masks per patch on each axis.
        max_freq_fraction, max_time_fraction: widest mask, as a fraction of the axis.
        seed: int or None.
    """

    def __init__(self, freq_masks=1, time_masks=1, max_freq_fraction=0.15, max_time_fraction=0.15, seed=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        for name, value in (("freq_masks", freq_masks), ("time_masks", time_masks)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"`{name}` must be an integer >= 0. Received: {name}={value!r}")
        for name, value in (("max_freq_fraction", max_freq_fraction), ("max_time_fraction", max_time_fraction)):
            if isinstance(value, bool) or not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"`{name}` must be in [0, 1]. Received: {name}={value!r}")
        self.freq_masks, self.time_masks = freq_masks, time_masks
        self.max_freq_fraction, self.max_time_fraction = float(max_freq_fraction), float(max_time_fraction)

    def _mask(self, batch, size, count, fraction, seed):
        """`[B, size]` booleans: True inside any of `count` random spans."""
        positions = tf.range(size)[None, :]
        masked = tf.zeros([batch, size], tf.bool)
        for i in range(count):
            u = seeding.uniform([2, batch], seeding.sub_seed(seed, i))
            width = tf.cast(tf.floor(u[0] * (fraction * tf.cast(size, tf.float32) + 1.0)), tf.int32)
            start = tf.cast(tf.floor(u[1] * tf.cast(size - width + 1, tf.float32)), tf.int32)
            masked |= (positions >= start[:, None]) & (positions < (start + width)[:, None])
        return masked

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        seed = self.next_seed(seed)
        batch, bands, frames = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
        freq = self._mask(batch, bands, self.freq_masks, self.max_freq_fraction, seeding.sub_seed(seed, 0))
        time = self._mask(batch, frames, self.time_masks, self.max_time_fraction, seeding.sub_seed(seed, 1))
        masked = freq[:, :, None, None] | time[:, None, :, None]
        mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
        return tf.where(masked, mean, x)

    def get_config(self):
        config = super().get_config()
        config.update({"freq_masks": self.freq_masks, "time_masks": self.time_masks,
                       "max_freq_fraction": self.max_freq_fraction, "max_time_fraction": self.max_time_fraction})
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomTimeFrequencyShift(SeededRandomLayer):
    """Each patch shifted by up to `max_time_shift` frames and `max_freq_shift` bands (edges repeated).

    Args:
        max_time_shift, max_freq_shift: int >= 0, the largest shift either way.
        seed: int or None.
    """

    def __init__(self, max_time_shift=10, max_freq_shift=4, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        for name, value in (("max_time_shift", max_time_shift), ("max_freq_shift", max_freq_shift)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"`{name}` must be an integer >= 0. Received: {name}={value!r}")
        self.max_time_shift, self.max_freq_shift = max_time_shift, max_freq_shift

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        seed = self.next_seed(seed)
        batch = tf.shape(x)[0]
        x = _shift_along(x, _per_patch_offsets([batch], seeding.sub_seed(seed, 0), self.max_time_shift), axis=2)
        return _shift_along(x, _per_patch_offsets([batch], seeding.sub_seed(seed, 1), self.max_freq_shift), axis=1)

    def get_config(self):
        config = super().get_config()
        config.update({"max_time_shift": self.max_time_shift, "max_freq_shift": self.max_freq_shift})
        return config


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class RandomGaussianBlur(SeededRandomLayer):
    """A separable Gaussian blur of each patch, σ ~ U(sigma_range) bins per patch (edges repeated).

    The kernel spans ±`radius` bins (3 σ of the widest blur by default) on both axes.

    Args:
        sigma_range: (low, high) in bins, 0 < low <= high.
        seed: int or None.
    """

    def __init__(self, sigma_range=(0.1, 1.0), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        low, high = (float(v) for v in sigma_range)
        if not 0.0 < low <= high:
            raise ValueError(f"`sigma_range` must be (low, high) with 0 < low <= high. Received: sigma_range={sigma_range!r}")
        self.sigma_range = (low, high)
        self.radius = max(1, int(round(3 * high)))

    def _blur_along(self, x, sigma, axis):
        offsets = tf.range(-self.radius, self.radius + 1, dtype=tf.float32)
        weights = tf.exp(-0.5 * tf.square(offsets[None, :] / sigma[:, None]))  # [B, 2R+1]
        weights = weights / tf.reduce_sum(weights, axis=1, keepdims=True)
        shape = [-1, 1, 1, 1]
        batch = tf.shape(x)[0]
        out = tf.zeros_like(x)
        for i, k in enumerate(range(-self.radius, self.radius + 1)):
            shifted = _shift_along(x, tf.fill([batch], -k), axis=axis)  # value at position + k
            out += tf.reshape(weights[:, i], shape) * shifted
        return out

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        if not training:
            return x
        sigma = seeding.uniform([tf.shape(x)[0]], self.next_seed(seed), *self.sigma_range)
        return self._blur_along(self._blur_along(x, sigma, axis=2), sigma, axis=1)

    def get_config(self):
        config = super().get_config()
        config["sigma_range"] = list(self.sigma_range)
        return config
