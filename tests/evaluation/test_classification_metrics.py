import numpy as np
import pytest

from keras_audio_ssl.evaluation import accuracy
from keras_audio_ssl.evaluation import average_precision
from keras_audio_ssl.evaluation import mean_average_precision


def test_accuracy_counts_matches():
    assert accuracy(["a", "b", "c", "c"], ["a", "b", "b", "c"]) == 0.75


def test_accuracy_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="Received"):
        accuracy([0, 1], [0])


def test_average_precision_hand_worked():
    # Ranking by score: pos (0.9), neg (0.8), pos (0.7), neg (0.1).
    # Precision at each positive: 1/1 and 2/3 -> AP = (1 + 2/3) / 2.
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1]) == pytest.approx((1 + 2 / 3) / 2)


def test_average_precision_ties_form_one_threshold():
    # 0.8 is shared by a positive and a negative: one threshold at which 2 of 3
    # retrieved are positive. AP = 0.5 * 1 + 0.5 * 2/3 whatever the tie order.
    expected = 0.5 * 1.0 + 0.5 * (2 / 3)
    assert average_precision([1, 0, 1, 0], [0.9, 0.8, 0.8, 0.1]) == pytest.approx(expected)
    assert average_precision([1, 1, 0, 0], [0.9, 0.8, 0.8, 0.1]) == pytest.approx(expected)


def _reference_ap(y, s):
    # Plain definition: average of precision@rank over positives, without ties.
    order = np.argsort(-np.asarray(s))
    y = np.asarray(y)[order]
    hits = np.cumsum(y)
    return np.sum((hits / np.arange(1, len(y) + 1))[y == 1]) / y.sum()


def test_mean_average_precision_matches_definition_without_ties(rng):
    y = (rng.random((50, 4)) < 0.3).astype(int)
    y[0] = 1  # Every class has a positive.
    s = rng.random((50, 4))
    expected = np.mean([_reference_ap(y[:, c], s[:, c]) for c in range(4)])
    assert mean_average_precision(y, s) == pytest.approx(expected)


def test_mean_average_precision_skips_classes_without_positives():
    y = np.array([[1, 0], [0, 0], [1, 0]])
    s = np.array([[0.9, 0.1], [0.5, 0.2], [0.1, 0.3]])
    # Class 0: positives ranked 1 and 3 -> (1 + 2/3) / 2; class 1 has no positive.
    assert mean_average_precision(y, s) == pytest.approx((1 + 2 / 3) / 2)


def test_average_precision_needs_a_positive():
    with pytest.raises(ValueError, match="positive"):
        average_precision([0, 0], [0.1, 0.2])
