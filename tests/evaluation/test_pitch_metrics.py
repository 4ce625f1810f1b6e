import numpy as np
import pytest

from keras_audio_ssl.evaluation import chroma_accuracy
from keras_audio_ssl.evaluation import hz_to_cents
from keras_audio_ssl.evaluation import midi_to_hz
from keras_audio_ssl.evaluation import pitch_accuracy


def _shift(hz, cents):
    return hz * 2.0 ** (np.asarray(cents) / 1200.0)


def test_hz_to_cents_reference_10_hz():
    assert hz_to_cents(20.0) == pytest.approx(1200.0)
    assert hz_to_cents(midi_to_hz(69)) == pytest.approx(1200 * np.log2(44.0))


def test_pitch_and_chroma_accuracy_hand_made_cents():
    ref = np.full(6, 220.0)
    #            exact  +49 c  -51 c  +1200 c  -2400 c +30 c  (last one unvoiced estimate)
    cents = np.array([0.0, 49.0, -51.0, 1200.0, -2410.0, 30.0])
    est = _shift(ref, cents)
    est[5] = 0.0
    # Pitch: exact and +49 within 50 cents -> 2 / 6.
    assert pitch_accuracy(ref, est) == pytest.approx(2 / 6)
    # Chroma: also the octave errors (+1200, -2410 -> -10 after folding) -> 4 / 6.
    assert chroma_accuracy(ref, est) == pytest.approx(4 / 6)


def test_unvoiced_reference_frames_do_not_count():
    ref = np.array([440.0, 0.0, 0.0])
    est = np.array([440.0, 300.0, 0.0])
    assert pitch_accuracy(ref, est) == 1.0


def test_tolerance_argument():
    ref = np.array([100.0])
    est = _shift(ref, [80.0])
    assert pitch_accuracy(ref, est) == 0.0
    assert pitch_accuracy(ref, est, tolerance_cents=100.0) == 1.0


def test_all_unvoiced_reference_raises():
    with pytest.raises(ValueError, match="voiced"):
        pitch_accuracy([0.0], [100.0])
