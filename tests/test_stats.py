from __future__ import annotations

import pytest

from bench.stats import Range, iqr, mean_interval, median, noise_warning, quantile, t80


def test_quantile_matches_numpy_linear() -> None:
    xs = [1.0, 2.0, 3.0, 4.0]
    assert quantile(xs, 0.5) == 2.5
    assert quantile(xs, 0.25) == 1.75  # numpy.quantile([1,2,3,4], .25) == 1.75
    assert iqr(xs) == 1.5
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_mean_interval_is_students_t_80_by_hand() -> None:
    xs = [10.0, 10.5, 9.5, 10.2, 9.8, 10.1]
    # mean 60.1 / 6 = 10.01667; squared deviations sum 0.588333, s = sqrt(0.588333 / 5) = 0.343026,
    # s / sqrt(6) = 0.140040; t80(5 df) = 1.476: half-width 0.206699
    r = mean_interval(xs)
    assert r.median == pytest.approx(10.016667, abs=1e-6)
    assert r.low == pytest.approx(9.809968, abs=1e-5) and r.high == pytest.approx(10.223366, abs=1e-5)
    assert mean_interval(xs) == r  # no randomness


def test_mean_interval_single_value_is_exact() -> None:
    assert mean_interval([4.0]) == Range.exact(4.0)
    with pytest.raises(ValueError):
        mean_interval([])


def test_mean_interval_covers_80_percent_at_few_samples() -> None:
    """The promise behind every probe range: 80% of intervals hold the true mean, also with 2 or 3 samples (a
    percentile bootstrap held it in 49% and 62% of them)."""
    import random

    rng = random.Random(7)
    for n in (2, 3, 8):
        hits = 0
        for _ in range(3000):
            r = mean_interval([rng.gauss(10.0, 1.0) for _ in range(n)])
            hits += r.low <= 10.0 <= r.high
        assert 0.77 <= hits / 3000 <= 0.83, (n, hits / 3000)


def test_t80_table_and_beyond() -> None:
    assert t80(1) == 3.078 and t80(2) == 1.886 and t80(30) == 1.310
    assert t80(35) == 1.310 and t80(50) == 1.303 and t80(100) == 1.296 and t80(10_000) == 1.289
    assert all(t80(d) >= 1.2816 for d in range(1, 500))  # never narrower than the normal quantile
    with pytest.raises(ValueError):
        t80(0)


def test_range_arithmetic() -> None:
    a = Range(2.0, 1.0, 3.0)
    assert a + a == Range(4.0, 2.0, 6.0)
    assert a.scale(2) == Range(4.0, 2.0, 6.0)
    assert a.widen(0.5) == Range(2.0, 0.5, 4.5)
    # a lopsided range (a far extrapolation) keeps a low bound in proportion: 25% off 3.84 h, not 25% of 10.3 h
    far = Range(10.3, 3.84, 39.66).widen(0.25)
    assert far.low == pytest.approx(2.88) and far.high == pytest.approx(49.575) and far.median == 10.3
    assert a.widen(1.5).low == 0.0 and a.widen(0) == a
    with pytest.raises(ValueError):
        a.widen(-0.1)
    assert Range.from_dict(a.to_dict()) == a
    with pytest.raises(ValueError):
        Range(1.0, 2.0, 3.0)


def test_noise_warning_threshold() -> None:
    assert noise_warning([10.0, 10.1, 9.9, 10.0, 10.05], "x") is None
    w = noise_warning([5.0, 10.0, 15.0, 20.0, 10.0], "batch times")
    assert w is not None and "batch times" in w and "interquartile" in w


def test_t95_table() -> None:
    from bench.stats import t95

    assert t95(1) == 12.706 and t95(5) == 2.571 and t95(30) == 2.042 and t95(1000) == 1.98
    # beyond the table, never below the true quantile (t(31) = 2.040, t(41) = 2.020, t(61) = 1.9996, t(121) = 1.9798)
    assert t95(31) >= 2.040 and t95(41) >= 2.020 and t95(61) >= 1.9996 and t95(121) >= 1.9798
    assert all(t95(d) >= t95(d + 1) for d in range(1, 200))  # falls toward the normal quantile
    with pytest.raises(ValueError):
        t95(0)


def test_noise_warning_threshold_is_iqr_over_median() -> None:
    assert noise_warning([10.0, 10.0, 10.0, 11.2, 30.0], "x") is not None  # IQR 1.2 / median 10 = 12% > 10%
    assert noise_warning([10.0, 10.2, 10.4, 10.6, 10.8], "x") is None  # 0.4 / 10.4 = 3.8%


def test_mean_interval_of_two_points() -> None:
    # mean 0.5, s = 0.7071, s / sqrt(2) = 0.5, t80(1) = 3.078: 0.5 -+ 1.539; a time's low bound stops at 0
    r = mean_interval([0.0, 1.0])
    assert (r.median, r.low) == (0.5, 0.0) and r.high == pytest.approx(2.039)
    r = mean_interval([-1.0, 1.0], floor=None)  # not times: no floor
    assert r.low == pytest.approx(-3.078) and r.high == pytest.approx(3.078)
    r = mean_interval([-1e-12, 0.3])  # a time with float noise below zero still stops at 0
    assert r.low == 0.0 and r.median == pytest.approx(0.15)
    r = mean_interval([-0.2, 0.1])  # a mean below the floor: the low bound is the mean
    assert (r.median, r.low) == (pytest.approx(-0.05), pytest.approx(-0.05))
    assert r.high == pytest.approx(0.4117, abs=1e-4)


def test_range_product_multiplies_bounds() -> None:
    assert Range(2.0, 1.0, 3.0) * Range(2.0, 1.0, 3.0) == Range(4.0, 1.0, 9.0)


def test_as_number_takes_only_finite_numbers_in_range() -> None:
    from bench.stats import as_number

    assert as_number(3) == 3.0 and as_number(2.5, 0, 3) == 2.5
    for bad in (True, "3", None, [1], float("nan"), float("inf"), 10 ** 400):
        assert as_number(bad) is None, bad
    assert as_number(3.0, 0, 3) is None and as_number(-1, 0) is None  # most is excluded, least included
    assert as_number(0, 0) == 0.0


def test_spread_is_the_median_with_the_extremes() -> None:
    """An even count's median is the mean of the middle two (a full run's seconds per epoch), not the upper one."""
    r = Range.spread([3.0, 1.0, 10.0, 2.0])
    assert (r.median, r.low, r.high) == (2.5, 1.0, 10.0)
    assert Range.spread([4.0]) == Range.exact(4.0)


def test_pct_is_whole_where_it_is_and_one_decimal_otherwise() -> None:
    """A margin widened from 5% to 5.4% must not read '5% from 5%'."""
    from bench.stats import pct

    assert [pct(x) for x in (0.05, 0.0542, 0.14662, 0.15, 0.0, 1.0, 0.99996)] == \
        ["5%", "5.4%", "14.7%", "15%", "0%", "100%", "100%"]
