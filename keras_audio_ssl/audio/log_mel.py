"""Waveform -> log-mel spectrogram as a Keras layer (BYOL-A's front end)."""

import keras
import numpy as np
from keras import ops

from keras_audio_ssl.audio.mel_filters import MEL_NORMS
from keras_audio_ssl.audio.mel_filters import MEL_SCALES
from keras_audio_ssl.audio.mel_filters import mel_filterbank

PAD_MODES = ("reflect", "constant")
# Above this many hops per frame (tiny hops), slicing would build a huge
# graph; framing falls back to one gather.
_MAX_FRAME_CHUNKS = 16


@keras.saving.register_keras_serializable(package="keras_audio_ssl")
class LogMelSpectrogram(keras.layers.Layer):
    """Log-mel spectrogram of a batch of raw waveforms.

    Centred STFT frames (padding `n_fft // 2` samples on each side, reflected
    like librosa's `center=True, pad_mode="reflect"`), a periodic Hann window,
    power spectrum, a triangular mel filterbank (`mel_filterbank`), then
    `log(mel + eps)`. With the defaults this is the front end of BYOL-A
    (16 kHz, n_fft = win = 1024, hop 160, 64 mels over 60-7800 Hz, power 2),
    matching `librosa.feature.melspectrogram` to float32 round-off.

    Framing is a reshape into hop-sized chunks plus shifted slices when the
    length is static (a gather of sample indices when it is not) and the FFT
    is `rfft`, so the layer runs under XLA, inside `tf.data`, on any length,
    and converts to TFLite with builtin ops only (MIRROR_PAD, RESHAPE,
    CONCATENATION, RFFT2D, ...).

    The layer holds no weights. Its computations run in float32 whatever the
    global mixed-precision policy, because a float16 log-mel loses the quiet
    bins (pass `dtype=` explicitly to override). On Ampere and newer GPUs,
    TensorFlow and JAX run float32 matmuls in TF32 by default, which puts
    ~6e-4 relative error on the mel power (measured on an H200; 1e-5 with
    full float32 matmuls, at the same speed). Turn TF32 off
    (`tf.config.experimental.enable_tensor_float_32_execution(False)`)
    where the front end must match librosa more tightly than that.

    Args:
        sample_rate: int. Sampling rate of the input waveform in Hz.
        n_fft: int. FFT size in samples.
        win_length: int. Hann window length, at most `n_fft` (zero-padded to
            `n_fft` on both sides, like librosa).
        hop_length: int. Frame step in samples.
        n_mels: int. Number of mel bands.
        f_min: float. Lowest mel band edge in Hz.
        f_max: float. Highest mel band edge in Hz.
        power: float. Exponent of the magnitude spectrum (2 = power).
        mel_scale: `"slaney"` (librosa's default, used by the official
            BYOL-A weights) or `"htk"` (torchaudio's default).
        norm: `"auto"`, `"slaney"` or `None`: mel filter area normalisation.
            `"auto"` follows the library each scale comes from: Slaney
            normalisation with the Slaney scale (librosa), none with HTK
            (torchaudio). `"slaney"` / `None` force it for either scale.
        eps: float. Added before the log so silence gives `log(eps)`, not
            `-inf`; float32 machine epsilon as in the official BYOL-A code.
        center: bool. Centre frames on `t * hop_length` by padding the input.
        pad_mode: `"reflect"` or `"constant"` (zeros), used when `center`.

    Input: float32 waveform `[batch, samples]`.
    Output: float32 `[batch, n_mels, frames, 1]` with
    `frames = 1 + samples // hop_length` when centred
    (15,200 samples -> 96 frames), else `1 + (samples - n_fft) // hop_length`.

    Example:
    >>> layer = LogMelSpectrogram()
    >>> layer(np.zeros((2, 15200), "float32")).shape
    TensorShape([2, 64, 96, 1])

    Reference:
        Niizumi et al., "BYOL for Audio: Self-Supervised Learning for
        General-Purpose Audio Representation", IJCNN 2021.
    """

    def __init__(
        self,
        sample_rate=16000,
        n_fft=1024,
        win_length=1024,
        hop_length=160,
        n_mels=64,
        f_min=60.0,
        f_max=7800.0,
        power=2.0,
        mel_scale="slaney",
        norm="auto",
        eps=1.1920929e-07,
        center=True,
        pad_mode="reflect",
        **kwargs,
    ):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if int(win_length) != win_length or not 0 < win_length <= n_fft:
            raise ValueError(
                f"`win_length` must be an integer in [1, n_fft={n_fft}]. "
                f"Received: win_length={win_length}"
            )
        if int(hop_length) != hop_length or hop_length < 1:
            raise ValueError(
                f"`hop_length` must be a positive integer. Received: hop_length={hop_length}"
            )
        if not power > 0:
            raise ValueError(f"`power` must be positive. Received: power={power}")
        if not eps >= 0:
            raise ValueError(f"`eps` must be >= 0. Received: eps={eps}")
        if pad_mode not in PAD_MODES:
            raise ValueError(
                f"`pad_mode` must be one of {PAD_MODES}. Received: pad_mode={pad_mode!r}"
            )
        if mel_scale not in MEL_SCALES:
            raise ValueError(
                f"`mel_scale` must be one of {MEL_SCALES}. Received: mel_scale={mel_scale!r}"
            )
        if norm != "auto" and norm not in MEL_NORMS:
            raise ValueError(
                f"`norm` must be 'auto' or one of {MEL_NORMS}. Received: norm={norm!r}"
            )
        self.sample_rate = sample_rate
        self.n_fft = int(n_fft)
        self.win_length = int(win_length)
        self.hop_length = int(hop_length)
        self.n_mels = int(n_mels)
        self.f_min = f_min
        self.f_max = f_max
        self.power = power
        self.mel_scale = mel_scale
        self.norm = norm
        self.eps = eps
        self.center = center
        self.pad_mode = pad_mode

        if norm == "auto":
            filter_norm = "slaney" if mel_scale == "slaney" else None
        else:
            filter_norm = norm
        # Constants, not weights: they follow from the config, so saved
        # models stay small and a config change cannot leave stale filters.
        self._filterbank = mel_filterbank(
            sample_rate=sample_rate,
            n_fft=self.n_fft,
            n_mels=self.n_mels,
            f_min=f_min,
            f_max=f_max,
            mel_scale=mel_scale,
            norm=filter_norm,
        )
        self._window = _padded_hann_window(self.win_length, self.n_fft)

    def build(self, input_shape):
        self._check_input_shape(input_shape)
        self.built = True

    def mel_power(self, waveform):
        """Linear mel power `[batch, n_mels, frames]`, i.e. the output before the log."""
        x = ops.convert_to_tensor(waveform)
        self._check_input_shape(x.shape)
        x = ops.cast(x, self.compute_dtype)
        if self.center:
            half = self.n_fft // 2
            x = ops.pad(x, [[0, 0], [half, half]], mode=self.pad_mode)
        frames = self._frame(x) * ops.convert_to_tensor(self._window, self.compute_dtype)
        spectrum = self._power_spectrum(frames)  # [B, T, n_fft // 2 + 1]
        if self.power != 2:
            spectrum = ops.power(spectrum, self.power / 2.0)
        mel = ops.matmul(spectrum, ops.convert_to_tensor(self._filterbank, self.compute_dtype))
        return ops.transpose(mel, (0, 2, 1))

    def call(self, inputs):
        mel = self.mel_power(inputs)
        return ops.expand_dims(ops.log(mel + self.eps), axis=-1)

    def _power_spectrum(self, frames):
        """`|rfft(frames)|^2`; TFLite export swaps in a faster equivalent."""
        real, imag = ops.rfft(frames)
        return real * real + imag * imag

    def _frame(self, x):
        num_samples = x.shape[1]
        chunks = -(-self.n_fft // self.hop_length)  # hops spanned by one frame
        if num_samples is None or chunks > _MAX_FRAME_CHUNKS:
            return self._frame_by_gather(x)
        # Static length: frame t is hop-sized chunks t .. t + chunks - 1 of
        # the signal, cut to n_fft. Reshape + shifted slices + concat is a
        # plain copy (TFLite: RESHAPE, STRIDED_SLICE, CONCATENATION), ~3x
        # faster in LiteRT than a GATHER with a [frames, n_fft] index table,
        # which also made the .tflite file 0.4 MB bigger.
        num_frames = 1 + (num_samples - self.n_fft) // self.hop_length
        needed = self.hop_length * (num_frames + chunks - 1)
        if needed > num_samples:
            x = ops.pad(x, [[0, 0], [0, needed - num_samples]])
        else:
            x = x[:, :needed]
        x = ops.reshape(x, (-1, num_frames + chunks - 1, self.hop_length))
        frames = ops.concatenate(
            [x[:, k : k + num_frames] for k in range(chunks)], axis=-1
        )
        return frames[:, :, : self.n_fft]

    def _frame_by_gather(self, x):
        # Unknown length: gathering [frames, n_fft] indices keeps framing to
        # one op that compiles under XLA and converts to a builtin TFLite op.
        num_frames = 1 + (ops.shape(x)[1] - self.n_fft) // self.hop_length
        starts = ops.arange(num_frames, dtype="int32") * self.hop_length
        indices = ops.expand_dims(starts, 1) + ops.expand_dims(
            ops.arange(self.n_fft, dtype="int32"), 0
        )
        return ops.take(x, indices, axis=1)

    def _num_frames(self, num_samples):
        if num_samples is None:
            return None
        if self.center:
            return 1 + num_samples // self.hop_length
        return 1 + (num_samples - self.n_fft) // self.hop_length

    def _check_input_shape(self, input_shape):
        if len(input_shape) != 2:
            raise ValueError(
                "`LogMelSpectrogram` expects a batch of waveforms of shape "
                f"[batch, samples]. Received: input_shape={tuple(input_shape)}"
            )
        num_samples = input_shape[1]
        if num_samples is None:
            return
        if self.center and self.pad_mode == "reflect" and num_samples <= self.n_fft // 2:
            raise ValueError(
                f"Reflect padding needs more than n_fft // 2 = {self.n_fft // 2} samples "
                f"per waveform. Received: input_shape={tuple(input_shape)}"
            )
        if not self.center and num_samples < self.n_fft:
            raise ValueError(
                f"Without centring, each waveform needs at least n_fft = {self.n_fft} "
                f"samples. Received: input_shape={tuple(input_shape)}"
            )

    def compute_output_shape(self, input_shape):
        self._check_input_shape(input_shape)
        return (input_shape[0], self.n_mels, self._num_frames(input_shape[1]), 1)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sample_rate": self.sample_rate,
                "n_fft": self.n_fft,
                "win_length": self.win_length,
                "hop_length": self.hop_length,
                "n_mels": self.n_mels,
                "f_min": self.f_min,
                "f_max": self.f_max,
                "power": self.power,
                "mel_scale": self.mel_scale,
                "norm": self.norm,
                "eps": self.eps,
                "center": self.center,
                "pad_mode": self.pad_mode,
            }
        )
        return config


def _padded_hann_window(win_length, n_fft):
    """Periodic Hann window (scipy/librosa `fftbins=True`), centred in n_fft samples."""
    n = np.arange(win_length, dtype=np.float64)
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * n / win_length)
    left = (n_fft - win_length) // 2
    return np.pad(window, (left, n_fft - win_length - left)).astype(np.float32)
