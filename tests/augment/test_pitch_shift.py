"""PitchShift on the mel axis: a pure tone's peak moves to the band of the shifted frequency."""

import numpy as np
import pytest

from keras_audio_ssl.audio import LogMelSpectrogram
from keras_audio_ssl.augment.pitch_shift import PitchShift


def _tone_log_mel(front_end, hz):
    t = np.arange(16000) / 16000.0
    return np.asarray(front_end(np.sin(2 * np.pi * hz * t)[None].astype("float32")))


@pytest.mark.parametrize("mel_scale", ["slaney", "htk"])
@pytest.mark.parametrize("hz, factor", [(440.0, 1.2), (1500.0, 0.8), (700.0, 1.1), (3000.0, 0.9)])
def test_a_tone_peak_moves_to_the_shifted_frequency_band(mel_scale, hz, factor):
    front_end = LogMelSpectrogram(mel_scale=mel_scale)
    layer = PitchShift(n_mels=64, f_min=front_end.f_min, f_max=front_end.f_max, mel_scale=mel_scale,
                       factor_range=(factor, factor), seed=1)
    shifted, factors = layer(_tone_log_mel(front_end, hz))
    np.testing.assert_allclose(np.asarray(factors), [factor], rtol=1e-6)
    expected = _tone_log_mel(front_end, hz * factor)
    peak = lambda m: int(np.argmax(m[0, :, 50, 0]))  # noqa: E731
    assert abs(peak(np.asarray(shifted)) - peak(expected)) <= 1
    assert peak(np.asarray(shifted)) != peak(_tone_log_mel(front_end, hz))  # it did move


def test_factor_one_is_the_identity_and_inference_does_nothing():
    x = np.random.default_rng(0).normal(-6, 2, (3, 64, 20, 1)).astype("float32")
    same, _ = PitchShift(factor_range=(1.0, 1.0), seed=2)(x)
    np.testing.assert_allclose(np.asarray(same), x, atol=1e-4)
    out, factors = PitchShift(seed=3)(x, training=False)
    np.testing.assert_array_equal(np.asarray(out), x)
    np.testing.assert_array_equal(np.asarray(factors), 1.0)
    drawn = np.asarray(PitchShift(seed=4)(np.repeat(x, 10, axis=0))[1])
    assert drawn.min() >= 0.8 and drawn.max() <= 1.2 and np.ptp(drawn) > 0.1
    layer = PitchShift(factor_range=(0.9, 1.1), seed=5)
    assert PitchShift.from_config(layer.get_config()).get_config() == layer.get_config()
