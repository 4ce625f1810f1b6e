import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.signal

from keras_audio_ssl.audio.resample import resample
from tests.test_case import tone


def _dominant_frequency(x, sample_rate):
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return np.fft.rfftfreq(len(x), 1 / sample_rate)[np.argmax(spectrum)]


@pytest.mark.parametrize("orig_sr", [44100, 48000, 22050, 8000])
@pytest.mark.parametrize("channels", [None, 2])
def test_matches_scipy_resample_poly(orig_sr, channels, rng):
    shape = (orig_sr // 2,) if channels is None else (orig_sr // 2, channels)
    x = rng.uniform(-1, 1, size=shape).astype(np.float32)
    ratio = Fraction(16000, orig_sr)
    reference = scipy.signal.resample_poly(
        x.astype(np.float64), ratio.numerator, ratio.denominator, axis=0
    )
    y = resample(x, orig_sr, 16000)
    assert y.dtype == np.float32
    assert y.shape == reference.shape
    assert y.shape[0] == math.ceil(shape[0] * 16000 / orig_sr)
    np.testing.assert_allclose(y, reference, atol=1e-6)


@pytest.mark.parametrize("orig_sr", [44100, 48000])
def test_tone_keeps_its_frequency_and_duration(orig_sr):
    x = tone(440.0, seconds=2.0, sample_rate=orig_sr)
    y = resample(x, orig_sr, 16000)
    assert y.shape == (32000,)
    # 2 s of audio: FFT bins are 0.5 Hz apart.
    assert abs(_dominant_frequency(y, 16000) - 440.0) <= 0.5
    # Amplitude survives (pass band), away from the filter's edge transients.
    np.testing.assert_allclose(np.abs(y[1000:-1000]).max(), 0.5, rtol=0.02)


def test_content_above_new_nyquist_is_filtered_out():
    x = tone(10000.0, seconds=1.0, sample_rate=48000, amplitude=1.0)
    y = resample(x, 48000, 16000)
    # A 10 kHz tone cannot exist at 16 kHz; without the anti-aliasing filter
    # it would fold to 6 kHz at full amplitude (RMS 0.707).
    assert np.sqrt(np.mean(y[200:-200] ** 2)) < 1e-2


def test_upsampling_keeps_tone():
    x = tone(1000.0, seconds=1.0, sample_rate=8000)
    y = resample(x, 8000, 16000)
    assert y.shape == (16000,)
    assert abs(_dominant_frequency(y, 16000) - 1000.0) <= 1.0


def test_equal_rates_return_float32_copy():
    x = np.linspace(-1, 1, 100)
    y = resample(x, 16000, 16000)
    assert y.dtype == np.float32 and y is not x
    np.testing.assert_array_equal(y, x.astype(np.float32))


def test_empty_input_stays_empty():
    assert resample(np.zeros((0, 2), np.float32), 44100, 16000).shape == (0, 2)


@pytest.mark.parametrize(
    "orig_sr, target_sr, name",
    [(0, 16000, "orig_sr"), (-44100, 16000, "orig_sr"), (16000, 0, "target_sr"),
     (44100.5, 16000, "orig_sr"), ("fast", 16000, "orig_sr")],
)
def test_bad_rates_raise(orig_sr, target_sr, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        resample(np.zeros(100, np.float32), orig_sr, target_sr)


def test_bad_rank_raises():
    with pytest.raises(ValueError, match="Received: x.shape="):
        resample(np.zeros((2, 3, 4), np.float32), 44100, 16000)
