from __future__ import annotations

import pytest

from bench.stats import Range, bootstrap_mean, iqr, mean, median, noise_warning, quantile


def test_quantile_matches_numpy_linear() -> None:
    xs = [1.0, 2.0, 3.0, 4.0]
    assert quantile(xs, 0.5) == 2.5
    assert quantile(xs, 0.25) == 1.75  # numpy.quantile([1,2,3,4], .25) == 1.75
    assert iqr(xs) == 1.5
    assert median([3.0, 1.0, 2.0]) == 2.0


def test_bootstrap_mean_brackets_mean_and_is_repeatable() -> None:
    xs = [10.0, 10.5, 9.5, 10.2, 9.8, 10.1]
    a, b = bootstrap_mean(xs), bootstrap_mean(xs)
    assert a == b
    assert a.median == pytest.approx(mean(xs))
    assert 9.5 < a.low < a.median < a.high < 10.5


def test_bootstrap_single_value_is_exact() -> None:
    assert bootstrap_mean([4.0]) == Range.exact(4.0)


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


def test_bootstrap_mean_of_two_points_spans_them() -> None:
    assert bootstrap_mean([0.0, 1.0]) == Range(0.5, 0.0, 1.0)


def test_range_product_multiplies_bounds() -> None:
    assert Range(2.0, 1.0, 3.0) * Range(2.0, 1.0, 3.0) == Range(4.0, 1.0, 9.0)


def test_as_number_takes_only_finite_numbers_in_range() -> None:
    from bench.stats import as_number

    assert as_number(3) == 3.0 and as_number(2.5, 0, 3) == 2.5
    for bad in (True, "3", None, [1], float("nan"), float("inf"), 10 ** 400):
        assert as_number(bad) is None, bad
    assert as_number(3.0, 0, 3) is None and as_number(-1, 0) is None  # most is excluded, least included
    assert as_number(0, 0) == 0.0
