"""Means over seeds with 95 % intervals, and when a difference is a difference.

A quality row is one number per pretraining seed; a margin over the random
encoder is the difference of two such samples. With three seeds the spread
between seeds is as large as most differences between variants, so every
benchmark table prints a Student-t interval beside its mean and calls a
difference a difference only when its interval excludes zero.

- `mean_interval(values)`: the mean and its t-interval (n - 1 degrees of freedom).
- `difference_interval(a, b)`: mean(a) - mean(b) with Welch's interval (the two
  samples have their own seeds and spreads, so no pooled variance).
- `Interval.separated`: the interval excludes zero.
- `verdict(difference)`: "better", "worse" or "no difference" by that rule.
"""

import dataclasses
import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclasses.dataclass(frozen=True)
class Interval:
    """A mean (or a difference of means) with its two-sided interval; `low`/`high` are NaN when n < 2."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self):
        return (self.high - self.low) / 2.0

    @property
    def separated(self):
        """True when the interval excludes zero (NaN bounds never separate)."""
        return bool(self.low > 0.0 or self.high < 0.0)

    def format(self, digits=3, signed=False):
        """`"0.531 ± 0.015"`, or `"0.531 (n=1)"` where no interval exists."""
        sign = "+" if signed else ""
        mean = f"{self.mean:{sign}.{digits}f}"
        if math.isnan(self.low):
            return f"{mean} (n={self.n})"
        return f"{mean} ± {self.half_width:.{digits}f}"


def _values(values, name):
    array = np.asarray(values, dtype="float64").ravel()
    if array.size == 0 or not np.all(np.isfinite(array)):
        raise ValueError(f"`{name}` must be a non-empty list of finite numbers. Received: {name}={values!r}")
    return array


def mean_interval(values, confidence=CONFIDENCE):
    """The mean of `values` (one per seed) and its Student-t interval at `confidence`."""
    x = _values(values, "values")
    n, mean = x.size, float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Interval(mean, mean - half, mean + half, n)


def difference_interval(a, b, confidence=CONFIDENCE):
    """`mean(a) - mean(b)` with Welch's t-interval (Welch–Satterthwaite degrees of freedom).

    Where both samples have no spread the interval is the point itself; where either has
    fewer than two values there is none (NaN bounds).
    """
    x, y = _values(a, "a"), _values(b, "b")
    diff = float(x.mean() - y.mean())
    n = min(x.size, y.size)
    if n < 2:
        return Interval(diff, math.nan, math.nan, n)
    vx, vy = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(vx + vy)
    if se == 0.0:
        return Interval(diff, diff, diff, n)
    dof = (vx + vy) ** 2 / (vx**2 / (x.size - 1) + vy**2 / (y.size - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2.0, dof) * se)
    return Interval(diff, diff - half, diff + half, n)


def verdict(difference):
    """A difference's `Interval` in words: "better" or "worse" only when the interval excludes
    zero, "no difference" when it does not, "no interval (n=1)" where none exists."""
    if math.isnan(difference.low):
        return f"no interval (n={difference.n})"
    if not difference.separated:
        return "no difference"
    return "better" if difference.mean > 0 else "worse"
