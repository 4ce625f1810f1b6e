"""Pitch shift of log-mel spectrograms by resampling the mel axis (Kuroyanagi & Komatsu's task-specific view)."""

import keras
import numpy as np
import tensorflow as tf

from keras_audio_ssl.audio import mel_filters
from keras_audio_ssl.audio.mel_filters import hz_to_mel
from keras_audio_ssl.audio.mel_filters import mel_to_hz
from keras_audio_ssl.layers import SeededRandomLayer
from keras_audio_ssl.layers import seeding


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class PitchShift(SeededRandomLayer):
    """Multiplies every frequency of a log-mel by a factor a ~ U(low, high), per sample.

    Kuroyanagi and Komatsu, "Self-supervised learning method using multiple
    sampling strategies for general-purpose audio representation" (ICASSP
    2022), Sec. 2.3: a pitch-shifted anchor x^ with a shift in [0.8, 1.2].
    Band f of the output, centred at c_f Hz, takes the input's value at
    c_f / a, linearly interpolated between the two mel bands around it on the
    mel scale the front end used (so a tone at F Hz moves to a·F Hz whatever
    the band spacing). Bands whose source lies outside the spectrogram take
    the sample's minimum (silence). Returns `(shifted, factors [B])`; with
    `training=False`, `(inputs, ones)`.

    Args:
        n_mels, f_min, f_max, mel_scale: the front end's mel bands
            (`LogMelSpectrogram`'s `n_mels`, `f_min`, `f_max`, `mel_scale`).
        factor_range: (low, high), 0 < low <= high.
        seed: int or None.
    """

    def __init__(self, n_mels=64, f_min=60.0, f_max=7800.0, mel_scale="slaney", factor_range=(0.8, 1.2), seed=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        low, high = (float(v) for v in factor_range)
        if not 0.0 < low <= high:
            raise ValueError(f"`factor_range` must be (low, high) with 0 < low <= high. Received: factor_range={factor_range!r}")
        self.n_mels, self.f_min, self.f_max, self.mel_scale = int(n_mels), float(f_min), float(f_max), mel_scale
        self.factor_range = (low, high)
        edges = np.linspace(hz_to_mel(self.f_min, mel_scale), hz_to_mel(self.f_max, mel_scale), self.n_mels + 2)
        self._mel_start, self._mel_step = float(edges[0]), float(edges[1] - edges[0])
        self._centers_hz = mel_to_hz(edges[1:-1], mel_scale).astype(np.float32)

    def _band_position(self, hz):
        """Fractional band index of frequencies `hz` (tensor) on the front end's mel grid."""
        if self.mel_scale == "htk":
            mel = 2595.0 * tf.math.log(1.0 + hz / 700.0) / np.log(10.0)
        else:  # Slaney: linear below 1 kHz, logarithmic above (mel_filters.hz_to_mel, in the graph)
            linear = hz / mel_filters._SLANEY_F_SP
            log = mel_filters._SLANEY_MIN_LOG_MEL + tf.math.log(
                tf.maximum(hz, mel_filters._SLANEY_MIN_LOG_HZ) / mel_filters._SLANEY_MIN_LOG_HZ
            ) / mel_filters._SLANEY_LOG_STEP
            mel = tf.where(hz >= mel_filters._SLANEY_MIN_LOG_HZ, log, linear)
        return (mel - self._mel_start) / self._mel_step - 1.0

    def compute_output_shape(self, input_shape):
        return (tuple(input_shape), (input_shape[0],))

    def call(self, inputs, training=True, seed=None):
        x = tf.cast(inputs, tf.float32)
        batch = tf.shape(x)[0]
        if not training:
            return x, tf.ones([batch])
        factors = seeding.uniform([batch], self.next_seed(seed), *self.factor_range)
        source = self._band_position(tf.constant(self._centers_hz)[None, :] / factors[:, None])  # [B, F]
        low = tf.floor(source)
        weight = (source - low)[:, :, None, None]
        low = tf.cast(low, tf.int32)
        top = self.n_mels - 1
        below = tf.gather(x, tf.clip_by_value(low, 0, top), axis=1, batch_dims=1)
        above = tf.gather(x, tf.clip_by_value(low + 1, 0, top), axis=1, batch_dims=1)
        shifted = (1.0 - weight) * below + weight * above
        inside = ((source >= 0.0) & (source <= top))[:, :, None, None]
        floor = tf.reduce_min(x, axis=[1, 2, 3], keepdims=True)
        return tf.where(inside, shifted, floor), factors

    def get_config(self):
        config = super().get_config()
        config.update({"n_mels": self.n_mels, "f_min": self.f_min, "f_max": self.f_max, "mel_scale": self.mel_scale,
                       "factor_range": list(self.factor_range)})
        return config
