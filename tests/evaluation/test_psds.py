"""PSDS on cases worked out by hand (tests/evaluation/test_psds_parity.py compares with psds_eval)."""

import numpy as np
import pytest

from keras_audio_ssl.evaluation.psds import PSDS1
from keras_audio_ssl.evaluation.psds import psd_roc
from keras_audio_ssl.evaluation.psds import psds

TRUTH = [(1.0, 3.0, "dog", "a.wav"), (5.0, 6.0, "cat", "a.wav"), (2.0, 4.0, "cat", "b.wav")]
DURATIONS = {"a.wav": 10.0, "b.wav": 8.0}  # 18 s: one false positive = 200 per hour


def test_perfect_detection_with_one_false_positive_per_class():
    # Operating point 1 finds everything and adds a false dog; point 2 adds a false cat too.
    one = TRUTH + [(8.0, 9.0, "dog", "a.wav")]
    two = one + [(6.0, 7.0, "cat", "b.wav")]
    points, tpr, classes = psd_roc(TRUTH, [one, two], DURATIONS)
    assert classes == ["cat", "dog"]
    np.testing.assert_allclose(points, [0.0, 200.0])
    np.testing.assert_allclose(tpr, [[1.0, 1.0], [0.0, 1.0]])  # cat at 0 FP/h already, dog from 200
    assert psds(TRUTH, [one, two], DURATIONS) == pytest.approx(0.5)
    # Stopping the area at 100 FP/h (DCASE's max) or going past 200 holds the staircase's last step.
    assert psds(TRUTH, [one, two], DURATIONS, max_efpr=100.0) == pytest.approx(0.5)
    assert psds(TRUTH, [one, two], DURATIONS, max_efpr=400.0) == pytest.approx((200 * 0.5 + 200 * 1.0) / 400)
    # alpha_st takes the spread across classes off: at 0 FP/h TPRs (1, 0) have std 0.5.
    assert psds(TRUTH, [one, two], DURATIONS, alpha_st=1.0) == pytest.approx(0.0)


def test_detection_and_ground_truth_criteria():
    dets = [(1.0, 1.9, "dog", "a.wav"), (5.0, 6.0, "cat", "a.wav"), (2.0, 4.0, "cat", "b.wav")]
    # The dog detection covers 45% of its event: found under gtc 0.4, missed under PSDS1's 0.7.
    _, loose, _ = psd_roc(TRUTH, [dets], DURATIONS, gtc_threshold=0.4)
    _, strict, _ = psd_roc(TRUTH, [dets], DURATIONS, gtc_threshold=0.7)
    assert loose[:, -1].tolist() == [1.0, 1.0] and strict[:, -1].tolist() == [1.0, 0.0]
    # A detection mostly outside its event fails the DTC: a false positive, not a hit.
    spill = [(2.5, 9.0, "dog", "a.wav")]
    points, tpr, _ = psd_roc(TRUTH, [spill], DURATIONS, dtc_threshold=0.5, gtc_threshold=0.1)
    assert tpr[1].max() == 0.0 and points.max() == pytest.approx(200.0)


def test_cross_triggers_raise_the_effective_false_positive_rate():
    # A dog detection on the cat event of b.wav: a false dog, and a dog-on-cat cross-trigger
    # (1 per 3 s of cat = 1200 per hour), weighted by alpha_ct and averaged over the other class.
    dets = TRUTH + [(2.0, 4.0, "dog", "b.wav")]
    points, _, _ = psd_roc(TRUTH, [dets], DURATIONS, alpha_ct=0.0)
    np.testing.assert_allclose(points, [0.0, 200.0])
    points, _, _ = psd_roc(TRUTH, [dets], DURATIONS, alpha_ct=0.5)
    np.testing.assert_allclose(points, [0.0, 200.0 + 0.5 * 1200.0])
    assert PSDS1["alpha_ct"] == 0.0 and PSDS1["max_efpr"] == 100.0


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="overlapping 'dog' events"):
        psds(TRUTH, [[(1.0, 2.0, "dog", "a.wav"), (1.5, 2.5, "dog", "a.wav")]], DURATIONS)
    with pytest.raises(ValueError, match="dtc_threshold=1.5"):
        psds(TRUTH, [TRUTH], DURATIONS, dtc_threshold=1.5)
    with pytest.raises(ValueError, match="max_efpr must be positive"):
        psds(TRUTH, [TRUTH], DURATIONS)  # no false positive anywhere: no area to normalise
    with pytest.raises(ValueError, match="ground truth events"):
        psds([], [TRUTH], DURATIONS)
