"""Seed intervals: Student-t for a mean, Welch for a difference, against closed forms and scipy."""

import math

import numpy as np
import pytest
from scipy import stats

from keras_audio_ssl.evaluation.intervals import difference_interval
from keras_audio_ssl.evaluation.intervals import mean_interval
from keras_audio_ssl.evaluation.intervals import verdict


def test_mean_interval_closed_form_for_three_seeds():
    # mean 0.5, sample std 0.1, t(0.975, 2) = 4.302653: half width 4.302653 * 0.1 / sqrt(3).
    interval = mean_interval([0.4, 0.5, 0.6])
    assert interval.mean == pytest.approx(0.5)
    assert interval.half_width == pytest.approx(4.302653 * 0.1 / math.sqrt(3), rel=1e-6)
    assert interval.separated
    assert interval.format() == "0.500 ± 0.248"


def test_one_seed_has_no_interval_and_never_separates():
    interval = mean_interval([0.7])
    assert interval.mean == 0.7 and math.isnan(interval.low) and not interval.separated
    assert interval.format(signed=True) == "+0.700 (n=1)"


@pytest.mark.parametrize("seed", range(4))
def test_difference_interval_equals_welch_test(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(0.55, 0.02, 3), rng.normal(0.53, 0.05, 4)
    interval = difference_interval(a, b)
    # The interval excludes 0 exactly when Welch's two-sided test rejects at 5 %.
    p = stats.ttest_ind(a, b, equal_var=False).pvalue
    assert interval.separated == (p < 0.05)
    assert interval.mean == pytest.approx(a.mean() - b.mean())
    # And its bounds are the test's 95 % confidence interval.
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (interval.low, interval.high) == pytest.approx((ci.low, ci.high), rel=1e-9, abs=1e-12)


def test_a_margin_of_either_sign_is_called_a_difference_only_when_intervals_separate():
    assert difference_interval([0.60, 0.61, 0.62], [0.50, 0.51, 0.52]).separated
    assert difference_interval([0.50, 0.51, 0.52], [0.60, 0.61, 0.62]).separated  # negative margin
    assert not difference_interval([0.50, 0.60, 0.55], [0.52, 0.58, 0.50]).separated
    assert difference_interval([0.5, 0.5], [0.4, 0.4]).format(signed=True) == "+0.100 ± 0.000"


def test_verdict_names_the_sign_only_when_the_interval_excludes_zero():
    assert verdict(difference_interval([0.60, 0.61, 0.62], [0.50, 0.51, 0.52])) == "better"
    assert verdict(difference_interval([0.50, 0.51, 0.52], [0.60, 0.61, 0.62])) == "worse"
    assert verdict(difference_interval([0.50, 0.60, 0.55], [0.52, 0.58, 0.50])) == "no difference"
    assert verdict(difference_interval([0.6], [0.5])) == "no interval (n=1)"


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="Received: values=\\[\\]"):
        mean_interval([])
    with pytest.raises(ValueError, match="`b`"):
        difference_interval([0.5, 0.6], [float("nan"), 0.5])
