"""Statistics that say when not to trust them. Pure functions: numbers in, numbers out, nothing printed.

An estimate is a :class:`Range`: a central value with a low and a high bound, in the unit its name gives.
The statistics module never prints; warnings are returned as strings and the CLI shows them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

#: IQR / median above which a series is called noisy (torch.utils.benchmark uses 0.1 for the same warning).
IQR_WARN_THRESHOLD = 0.10


def as_number(x: object, least: float = -math.inf, most: float = math.inf) -> float | None:
    """``x`` as a float when it is a number from ``least`` to under ``most``, else None: not a bool, a string,
    NaN, Infinity or an integer too large for a float. Records, catalogs and configs are input, and JSON holds
    all of those."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    try:
        v = float(x)
    except OverflowError:
        return None
    return v if math.isfinite(v) and least <= v < most else None


@dataclass(frozen=True)
class Range:
    """A central value with its range. ``low <= median <= high`` always holds."""

    median: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not (self.low <= self.median <= self.high):
            raise ValueError(f"Range needs low <= median <= high, got {self.low}, {self.median}, {self.high}")

    @classmethod
    def exact(cls, value: float) -> Range:
        return cls(value, value, value)

    @classmethod
    def spread(cls, values: Sequence[float]) -> Range:
        """The median of ``values`` with their smallest and largest as the range (measured values, not an
        interval of an estimate)."""
        return cls(median(values), min(values), max(values))

    def scale(self, factor: float) -> Range:
        """Multiply by a non-negative constant."""
        if factor < 0:
            raise ValueError("factor must be >= 0")
        return Range(self.median * factor, self.low * factor, self.high * factor)

    def __add__(self, other: Range) -> Range:
        """Sum of two ranges, bounds added (a conservative sum: errors assumed to move together)."""
        return Range(self.median + other.median, self.low + other.low, self.high + other.high)

    def __mul__(self, other: Range) -> Range:
        """Product of two non-negative ranges, bounds multiplied (conservative)."""
        return Range(self.median * other.median, self.low * other.low, self.high * other.high)

    def widen(self, rel: float) -> Range:
        """Widen the range by a relative systematic error ``rel`` (>= 0): the truth may be up to ``rel``
        below or above what was measured, so each bound moves by ``rel`` of itself, low x (1 - rel) and high x
        (1 + rel), the same conservative rule as :meth:`__mul__` with the range [1 - rel, 1 + rel]. (Moving both by
        ``rel`` of the median instead would cut a lopsided range's low bound to a fraction of itself, below what
        any hardware could do, and widen its high bound too little.)"""
        if not rel >= 0.0:
            raise ValueError(f"a relative margin must be >= 0, got {rel}")
        return Range(self.median, self.low * max(0.0, 1.0 - rel), self.high * (1.0 + rel))

    @property
    def rel_width(self) -> float:
        """(high - low) / median; 0 for a zero median."""
        return (self.high - self.low) / self.median if self.median else 0.0

    def to_dict(self) -> dict[str, float]:
        return {"median": self.median, "low": self.low, "high": self.high}

    @classmethod
    def from_dict(cls, d: dict[str, float]) -> Range:
        return cls(float(d["median"]), float(d["low"]), float(d["high"]))


ZERO = Range(0.0, 0.0, 0.0)


def quantile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile (numpy's default 'linear' method), q in [0, 1]."""
    if not values:
        raise ValueError("quantile of an empty series")
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = math.floor(pos)
    hi = math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def pct(x: float) -> str:
    """A fraction as a percentage for text: whole where it is (5%, 15%), else one decimal (5.4%, 14.7%), so a
    margin widened from 5% to 5.4% does not read as 5% -> 5%."""
    p = round(100 * x, 1)
    return f"{p:.0f}%" if p == round(p) else f"{p:.1f}%"


def times(x: float) -> str:
    """A speedup factor for text, the same in the report's tables and its plots: 1,234x, 41x, 5.3x, 1.0x (0.996
    too), 0.95x, 0.043x (two significant digits below 1x, not 0.0x)."""
    if not math.isfinite(x):
        return "inf"
    if round(x, 1) >= 10:
        return f"{x:,.0f}x"
    if round(x, 2) >= 1:
        return f"{x:.1f}x"
    return f"{x:.2g}x"


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def iqr(values: Sequence[float]) -> float:
    return quantile(values, 0.75) - quantile(values, 0.25)


def mean(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("mean of an empty series")
    return sum(values) / len(values)


#: Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom (any statistics table).
T95 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
       2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t95(df: int) -> float:
    """Two-sided 95% quantile of Student's t with ``df`` degrees of freedom; beyond the table, the value at the
    band's lowest df (t(40) = 2.021, t(60) = 2.000, t(120) = 1.980), so the interval errs wide, never narrow."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(T95):
        return T95[df - 1]
    return 2.042 if df <= 40 else 2.021 if df <= 60 else 2.000 if df <= 120 else 1.980


#: One-sided 90% quantiles of Student's t (the bounds of a two-sided 80% interval) for 1..30 degrees of freedom.
T80 = (3.078, 1.886, 1.638, 1.533, 1.476, 1.440, 1.415, 1.397, 1.383, 1.372, 1.363, 1.356, 1.350, 1.345, 1.341,
       1.337, 1.333, 1.330, 1.328, 1.325, 1.323, 1.321, 1.319, 1.318, 1.316, 1.315, 1.314, 1.313, 1.311, 1.310)


def t80(df: int) -> float:
    """One-sided 90% quantile of Student's t with ``df`` degrees of freedom; beyond the table, the value at the
    band's lowest df (t(40) = 1.303, t(60) = 1.296, t(120) = 1.289), so the interval errs wide, never narrow."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(T80):
        return T80[df - 1]
    return 1.310 if df <= 40 else 1.303 if df <= 60 else 1.296 if df <= 120 else 1.289


def mean_interval(values: Sequence[float], floor: float | None = 0.0) -> Range:
    """Range of the mean of ``values``: the mean, and its 80% interval (p10-p90 of where the true mean lies),
    mean -+ t80(n - 1) x s / sqrt(n), Student's t with the sample standard deviation ``s``. A percentile
    bootstrap of the mean (this function until 2026-12-03) covers far less than its nominal 80% with the few
    samples a probe has of some terms (49% at n = 2, 62% at n = 3, 73% at n = 8: it divides by n, not n - 1,
    and takes normal quantiles, not t's); this covers 80% at every n for normal data. The low bound is not taken
    below ``floor`` (0: the values are times, and a time cannot be negative, even where float noise left a sample
    at -1e-12; None: no floor).

    With one value the range is that value (nothing to estimate a spread from: the caller should warn)."""
    if not values:
        raise ValueError("the mean of an empty series")
    n = len(values)
    m = mean(values)
    if n == 1:
        return Range.exact(m)
    s = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    half = t80(n - 1) * s / math.sqrt(n)
    low = m - half if floor is None else max(floor, m - half)
    return Range(m, min(low, m), max(m + half, m))


def noise_warning(values: Sequence[float], what: str) -> str | None:
    """A warning (or None) when the IQR of ``values`` exceeds ``IQR_WARN_THRESHOLD`` of their median."""
    if len(values) < 4:
        return None
    med = median(values)
    if med <= 0:
        return None
    ratio = iqr(values) / med
    if ratio > IQR_WARN_THRESHOLD:
        return (f"{what}: interquartile range is {ratio:.0%} of the median (threshold "
                f"{IQR_WARN_THRESHOLD:.0%}); the machine was busy or throttling. Close other programs, "
                f"plug in the laptop, or raise --budget for more samples.")
    return None
