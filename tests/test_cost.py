"""Dollars from hours: on-demand, managed spot, storage, transfer, and the parameters. Numbers worked by hand."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from bench.catalog import Catalog, load_catalog
from bench.cost import (
    BYTES_PER_GB,
    DEFAULT_SPOT_DISCOUNT,
    PARAMETER_DOCS,
    CostParams,
    billable_hours,
    job_cost,
    on_demand_cost,
    parse_assignments,
    spot_cost,
    storage_cost,
    transfer_cost,
)
from bench.errors import UsageError
from bench.extrapolate import estimate_run
from bench.profile import Phase, Profile
from bench.stats import Range

EXACT = CostParams(spot_discount=Range.exact(0.6), interruptions_per_hour=Range.exact(0.0),
                   restart_seconds=Range.exact(300.0), job_start_seconds=Range.exact(360.0),
                   s3_download_mb_per_s=Range.exact(100.0))
NO_INTERRUPTIONS = CostParams(interruptions_per_hour=Range.exact(0.0))


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def test_on_demand_is_hours_times_rate() -> None:
    cost = on_demand_cost(Range.exact(2.5), 0.7364)
    assert cost.median == pytest.approx(1.841)  # 2.5 h x 0.7364 USD/h = 1.841 USD
    spread = on_demand_cost(Range(2.5, 2.0, 3.0), 0.7364)
    assert (spread.low, spread.high) == pytest.approx((1.4728, 2.2092))  # 2.0 x 0.7364, 3.0 x 0.7364


def test_billable_hours() -> None:
    # 2 h training + 360 s start + 1e9 bytes at 100 MB/s (10 s) = 2 + 370 / 3600 = 2.102778 h
    hours = billable_hours(Range.exact(2.0), 10**9, EXACT)
    assert hours.median == pytest.approx(2 + 370 / 3600)
    # default ranges: start 240 (120-420) s, download at 100 (25-250) MB/s: 10 (4-40) s
    d = billable_hours(Range.exact(2.0), 10**9, CostParams())
    assert (d.median, d.low, d.high) == pytest.approx((2 + 250 / 3600, 2 + 124 / 3600, 2 + 460 / 3600))


def test_spot_worked_example() -> None:
    # 10 h, 1 USD/h, 60% off, 0.1 interruptions/h at random, a checkpoint every 3600 s, 300 s restarts:
    # each 1 h interval takes (1/0.1 + 300/3600) x (e^0.1 - 1) = 10.08333 x 0.1051709 = 1.0604734 h;
    # 10 intervals: 10.604734 h with 10 x 0.1051709 = 1.0517 interruptions; USD = 10.604734 x 1.0 x 0.4 = 4.241894
    params = replace(EXACT, interruptions_per_hour=Range.exact(0.1))
    sp = spot_cost(Range.exact(10.0), 3600.0, 1.0, Range.exact(0.6), params)
    assert sp.interruptions.median == pytest.approx(1.0517092, rel=1e-6)
    assert sp.hours.median == pytest.approx(10.604734, rel=1e-6)
    assert sp.usd.median == pytest.approx(4.241894, rel=1e-6)
    # first order, as rate x interval -> 0: 10 + 1 interruption x (1800 s lost + 300 s restart) = 10.5833 h
    assert sp.hours.median == pytest.approx(10 + 2100 / 3600, rel=0.003)


def test_spot_long_intervals_are_not_first_order() -> None:
    """Found by a review: the first-order model (rate x hours interruptions, half an interval lost each) said 151.7 h
    for 100 h at 0.1/h checkpointed every 10 h with 600 s restarts; the expectation is 174.69 h: every retry of a
    10 h stretch may be interrupted again."""
    params = replace(EXACT, restart_seconds=Range.exact(600.0))
    rate = replace(params, interruptions_per_hour=Range.exact(0.1))
    # 10 stretches of (1/0.1 + 1/6 h) x (e^1 - 1) = 10.16667 x 1.7182818 = 17.469199 h
    assert spot_cost(Range.exact(100.0), 36000.0, 1.0, Range.exact(0.0), rate).hours.median == \
        pytest.approx(174.69199, rel=1e-6)
    # 60 h in 20 h stretches: 3 x 10.16667 x (e^2 - 1) = 3 x 10.16667 x 6.3890561 = 194.86621 h
    assert spot_cost(Range.exact(60.0), 72000.0, 1.0, Range.exact(0.0), rate).hours.median == \
        pytest.approx(194.86621, rel=1e-6)
    # a stretch shorter than the interval at the end: 2.5 h in 1 h intervals = 2 x f(1 h) + f(0.5 h)
    sp = spot_cost(Range.exact(2.5), 3600.0, 1.0, Range.exact(0.0), rate)
    f = 10.16667 * 0.1051709 * 2 + 10.16667 * 0.0512711
    assert sp.hours.median == pytest.approx(f, rel=1e-5)
    assert sp.interruptions.median == pytest.approx(2 * 0.1051709 + 0.0512711, rel=1e-6)
    with pytest.raises(UsageError, match="would almost never reach its next checkpoint; lower interruptions_per_hour"):
        spot_cost(Range.exact(100.0), 36000.0, 1.0, Range.exact(0.0),
                  replace(params, interruptions_per_hour=Range.exact(6.0)))


def test_spot_restart_downloads_the_dataset_again() -> None:
    # 0.1/h, 1 h intervals, 10 h; 300 s restart + 1e10 bytes at 100 MB/s (100 s) = 400 s per restart:
    # 10 x (10 + 400/3600) x (e^0.1 - 1) = 10.634 h, against 10.605 h without a dataset
    params = replace(EXACT, interruptions_per_hour=Range.exact(0.1))
    sp = spot_cost(Range.exact(10.0), 3600.0, 1.0, Range.exact(0.6), params, dataset_bytes=10**10)
    assert sp.hours.median == pytest.approx(10 * (10 + 400 / 3600) * 0.1051709, rel=1e-6)


def test_spot_bounds_are_conservative() -> None:
    sp = spot_cost(Range(10.0, 8.0, 12.0), 600.0, 2.0, Range(0.6, 0.5, 0.7), CostParams())
    # high: 12 h at 0.1/h in 600 s stretches with 600 s restarts: 72 x (10 + 1/6) x (e^(1/60) - 1) = 12.302234 h
    # (first order: 12 + 1.2 x (600 + 300) / 3600 = 12.3); x 2 USD x (1 - 0.5)
    assert sp.hours.high == pytest.approx(12.302234, rel=1e-6)
    assert sp.usd.high == pytest.approx(12.302234 * 2 * 0.5, rel=1e-6)
    # low: no interruptions at rate 0; 8 h x 2 x (1 - 0.7)
    assert sp.usd.low == pytest.approx(8 * 2 * 0.3)
    # an epoch-time range as the checkpoint interval: the high bound uses the slowest epoch (1800 s stretches),
    # 24 x 10.16667 x (e^0.05 - 1) = 12.510148 h; the median stays at 600 s
    ranged = spot_cost(Range(10.0, 8.0, 12.0), Range(600.0, 400.0, 1800.0), 2.0, Range(0.6, 0.5, 0.7),
                       CostParams())
    assert ranged.hours.high == pytest.approx(12.510148, rel=1e-6) and ranged.usd.low == pytest.approx(sp.usd.low)
    # median: 60 stretches of 600 s at 0.02/h with 300 s restarts: 60 x (50 + 1/12) x (e^(1/300) - 1) = 10.03338 h
    assert ranged.hours.median == pytest.approx(10.033380, rel=1e-6) and ranged.hours.median == sp.hours.median
    assert ranged.usd.median == pytest.approx(10.033380 * 2 * 0.4, rel=1e-6)


def test_spot_never_dearer_without_interruptions(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        for region in inst.prices:
            jc = job_cost(Range(3.0, 2.0, 5.0), 600.0, inst, region, 5 * 10**9, NO_INTERRUPTIONS,
                          spot=catalog.spot_discount(inst, region))
            for bound in ("median", "low", "high"):
                assert getattr(jc.spot_usd, bound) <= getattr(jc.on_demand_usd, bound), (inst.name, region)
                assert getattr(jc.spot_instance_usd, bound) <= getattr(jc.on_demand_instance_usd, bound)
            assert jc.spot_hours == jc.billable_hours and jc.interruptions_expected == 0


def test_more_interruptions_never_cheaper() -> None:
    previous = None
    for rate in (0.0, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0):
        params = replace(CostParams(), interruptions_per_hour=Range.exact(rate))
        sp = spot_cost(Range(4.0, 3.0, 5.0), 900.0, 0.7364, DEFAULT_SPOT_DISCOUNT, params)
        if previous is not None:
            for bound in ("median", "low", "high"):
                assert getattr(sp.usd, bound) >= getattr(previous.usd, bound)
                assert getattr(sp.hours, bound) >= getattr(previous.hours, bound)
        previous = sp


def test_storage_and_transfer(catalog: Catalog) -> None:
    gb = 2**30  # S3 bills GB as 2^30 bytes (GiB); written out so that a change of unit shows
    g4dn, m5 = catalog.get("ml.g4dn.xlarge"), catalog.get("ml.m5.xlarge")
    assert gb == BYTES_PER_GB
    assert storage_cost(10**9, 1.0, g4dn, CostParams()) == pytest.approx(10**9 / 2**30 * 0.023)  # 0.021420
    # 1 GB in S3 for a month: 0.023; g4dn has local NVMe: no volume
    assert storage_cost(gb, 73.0, g4dn, CostParams()) == pytest.approx(0.023)
    # m5: + 30 GB x 0.14 USD/GB-month x 73 h / 730 h = 0.42
    assert storage_cost(gb, 73.0, m5, CostParams()) == pytest.approx(0.023 + 0.42)
    # kept 3 months in S3: 3 x 0.023
    assert storage_cost(gb, 1.0, g4dn, CostParams(storage_months=3)) == pytest.approx(0.069)
    assert transfer_cost(10 * gb, CostParams()) == 0.0  # same region, nothing downloaded: free
    # 10 GB across regions at 0.02 = 0.2; 5 GB out to the internet at 0.09 = 0.45
    params = CostParams(cross_region=True, egress_gb=5.0)
    assert transfer_cost(10 * gb, params) == pytest.approx(0.2 + 0.45)


def test_job_cost_breakdown(catalog: Catalog) -> None:
    inst = catalog.get("ml.g4dn.xlarge")
    jc = job_cost(Range.exact(2.5), 600.0, inst, "us-east-1", 0, replace(EXACT, job_start_seconds=Range.exact(0.0)),
                  spot=catalog.spot_discount(inst, "us-east-1"))
    assert jc.billable_hours.median == pytest.approx(2.5)
    assert jc.on_demand_instance_usd.median == pytest.approx(1.841)
    assert jc.on_demand_usd.median == pytest.approx(1.841 + jc.storage_usd + jc.transfer_usd)
    assert jc.spot_instance_usd.median == pytest.approx(1.841 * 0.4)  # the user's 0.6 beats the catalog's
    assert jc.parameters["usd_per_hour"] == 0.7364
    assert (jc.parameters["price_source"], jc.parameters["price_as_of"]) == ("S1", "2026-09-27")
    assert jc.parameters["spot_discount_source"] == "set by the user"
    assert jc.parameters["checkpoint_interval_seconds_used"] == 600.0


def test_spot_discount_sources(catalog: Catalog) -> None:
    g4dn, g6 = catalog.get("ml.g4dn.xlarge"), catalog.get("ml.g6.xlarge")
    jc = job_cost(Range.exact(1.0), 60.0, g4dn, "us-east-1", 0, CostParams(),
                  spot=catalog.spot_discount(g4dn, "us-east-1"))
    assert jc.parameters["spot_discount_used"] == {"median": 0.635, "low": 0.62, "high": 0.65}
    assert jc.parameters["spot_discount_source"].startswith("catalog EC2-SPOT")
    jc6 = job_cost(Range.exact(1.0), 60.0, g6, "us-east-1", 0, CostParams(),
                   spot=catalog.spot_discount(g6, "us-east-1"))
    assert jc6.parameters["spot_discount_used"] == DEFAULT_SPOT_DISCOUNT.to_dict()


def test_job_cost_in_a_region_without_a_price(catalog: Catalog) -> None:
    with pytest.raises(UsageError, match=r"regions with a price \(as of\): us-east-1 \(undated\), eu-west-1"):
        job_cost(Range.exact(1.0), 60.0, catalog.get("ml.p3.2xlarge"), "us-west-2", 0, CostParams())


def _profile() -> Profile:
    r = Range.exact
    return Profile(device_type="cpu", device_name="AMD EPYC", precision="fp32", model="yolov8n", imgsz=640,
                   batch=16, val_batch=32, workers=0, host_cpus=2, train_images=4195, val_images=400,
                   mosaic=Phase(r(0.25), r(10.4), 40), plain=Phase(r(0.15), r(9.3), 40),
                   val_data_seconds_per_batch=r(0.2), val_compute_seconds_per_batch=r(6.3),
                   val_fixed_seconds=r(0.5), epoch_fixed_seconds=r(0.6), setup_seconds=6.0,
                   warmup_excess_seconds=18.0)


def test_more_epochs_never_cheaper_or_shorter(catalog: Catalog) -> None:
    inst = catalog.get("ml.m5.xlarge")
    previous = None
    for epochs in (1, 5, 10, 11, 20, 50, 100, 300):
        run = estimate_run(_profile(), epochs=epochs, close_mosaic=10)
        jc = job_cost(run.full_run_seconds.scale(1 / 3600), run.seconds_per_epoch.median, inst, "us-east-1",
                      10**9, CostParams())
        if previous is not None:
            for bound in ("median", "low", "high"):
                assert getattr(jc.billable_hours, bound) >= getattr(previous.billable_hours, bound)
                assert getattr(jc.on_demand_usd, bound) >= getattr(previous.on_demand_usd, bound)
                assert getattr(jc.spot_usd, bound) >= getattr(previous.spot_usd, bound)
        previous = jc


# ------------------------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"spot_discount": 0.7}, {"spot_discount": Range.exact(0.7)}),
    ({"spot_discount": "0.5:0.7"}, {"spot_discount": Range(0.6, 0.5, 0.7)}),
    ({"restart_seconds": "120:200:900"}, {"restart_seconds": Range(200.0, 120.0, 900.0)}),
    ({"restart_seconds": [100, 400]}, {"restart_seconds": Range(250.0, 100.0, 400.0)}),
    ({"interruptions_per_hour": {"median": 0.05, "low": 0.0, "high": 0.2}},
     {"interruptions_per_hour": Range(0.05, 0.0, 0.2)}),
    ({"storage_months": "3"}, {"storage_months": 3.0}),
    ({"cross_region": "true", "egress_gb": 2}, {"cross_region": True, "egress_gb": 2.0}),
    ({"cross_region": False}, {"cross_region": False}),
    ({"checkpoint_interval_seconds": "1800"}, {"checkpoint_interval_seconds": 1800.0}),
    ({"checkpoint_interval_seconds": "epoch"}, {"checkpoint_interval_seconds": None}),
    ({"spot_discount": "catalog"}, {"spot_discount": None}),
])
def test_with_overrides(overrides: dict[str, object], expected: dict[str, object]) -> None:
    params = CostParams().with_overrides(overrides)
    for name, value in expected.items():
        assert getattr(params, name) == value
    assert CostParams().spot_discount is None  # the original is unchanged


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"spot_discont": 0.5}, "unknown cost parameter 'spot_discont'; known: spot_discount, interruptions_per_hour"),
    ({"restart_seconds": -5}, "must not be negative"),
    ({"interruptions_per_hour": "-0.1:0.2"}, "must not be negative"),
    ({"spot_discount": 1.2}, "a fraction below 1"),
    ({"s3_download_mb_per_s": 0}, "greater than 0"),
    ({"restart_seconds": "600:100"}, "a range low:high needs low <= high, got 600:100"),
    ({"restart_seconds": "1:2:3:4"}, "low:high or low:median:high"),
    ({"egress_gb": "lots"}, "expected a number"),
    ({"cross_region": "maybe"}, "expected true or false"),
    ({"storage_months": float("nan")}, "not a finite number"),
    # found by a review: these divided the arithmetic into infinity and crashed the plots
    ({"hours_per_month": 5e-324}, "hours_per_month: must be at least 1, got 4.94066e-324"),
    ({"s3_download_mb_per_s": "5e-324"}, "s3_download_mb_per_s: must be at least 0.001"),
    ({"checkpoint_interval_seconds": 1e-9}, "must be at least 0.001"),
    ({"egress_gb": 10 ** 400}, "expected a number"),
])
def test_with_overrides_errors(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(UsageError) as err:
        CostParams().with_overrides(overrides)
    assert fragment in str(err.value)


def test_parse_assignments() -> None:
    flags = parse_assignments(["spot_discount=0.5:0.7", " egress_gb = 3 "])
    assert flags == {"spot_discount": "0.5:0.7", "egress_gb": "3"}
    assert CostParams().with_overrides(flags).egress_gb == 3.0
    with pytest.raises(UsageError, match="expected name=value"):
        parse_assignments(["spot_discount"])


def test_describe_covers_every_parameter() -> None:
    rows = CostParams().describe()
    assert [r[0] for r in rows] == [f.name for f in fields(CostParams)] == list(PARAMETER_DOCS)
    for name, value, unit, source in rows:
        assert value and unit and len(source) > 20, name
    as_dict = dict((r[0], r[1]) for r in rows)
    assert as_dict["interruptions_per_hour"] == "0.02 (0-0.1)"
    assert as_dict["spot_discount"] == "catalog family figure, else 0.6 (0.5-0.7)"
    assert CostParams().to_dict()["restart_seconds"] == {"median": 300.0, "low": 180.0, "high": 600.0}


def test_job_totals_by_hand(catalog: Catalog) -> None:
    """Storage and transfer are in both totals; a set checkpoint interval beats the epoch time."""
    m5 = catalog.get("ml.m5.xlarge")  # 0.23 USD/h, no local NVMe: its 30 GB volume is billed
    jc = job_cost(Range.exact(73.0), 600.0, m5, "us-east-1", 0,
                  replace(EXACT, job_start_seconds=Range.exact(0.0), egress_gb=5))
    assert jc.storage_usd == pytest.approx(30 * 0.14 * 73 / 730)  # 0.42: the volume for 73 of 730 h a month
    assert jc.transfer_usd == pytest.approx(5 * 0.09)  # 0.45: 5 GB out to the internet
    assert jc.on_demand_usd.median == pytest.approx(73 * 0.23 + 0.87)  # 17.66
    assert jc.spot_usd.median == pytest.approx(73 * 0.23 * 0.4 + 0.87)  # 7.586
    g4 = catalog.get("ml.g4dn.xlarge")
    params = replace(EXACT, interruptions_per_hour=Range.exact(0.1), checkpoint_interval_seconds=3600,
                     job_start_seconds=Range.exact(0.0))
    jc = job_cost(Range.exact(10.0), 600.0, g4, "us-east-1", 0, params)
    # 10 h in the set 3600 s stretches (not the 600 s epoch) at 0.1/h with 300 s restarts: 10.604734 h
    assert jc.parameters["checkpoint_interval_seconds_used"] == 3600
    assert jc.spot_instance_usd.median == pytest.approx(10.604734 * 0.7364 * 0.4, rel=1e-6)  # 3.1237
    # a set interval shorter than the epoch counts as the epoch: no checkpoint is written within one
    short = job_cost(Range.exact(10.0), 600.0, g4, "us-east-1", 0, replace(params, checkpoint_interval_seconds=60))
    same = job_cost(Range.exact(10.0), 600.0, g4, "us-east-1", 0, replace(params, checkpoint_interval_seconds=None))
    assert short.parameters["checkpoint_interval_seconds_used"] == 600 and short.spot_usd == same.spot_usd


def test_volume_billed_for_billable_hours_not_training_hours(catalog: Catalog) -> None:
    # m5 has no local NVMe: its 30 GB EBS volume lives for the whole billed job, start-up included:
    # 73 h of training + 1 h of start = 74 h: 30 GB x 0.14 USD/GB-month x 74 / 730 = 0.42575
    m5 = catalog.get("ml.m5.xlarge")
    jc = job_cost(Range.exact(73.0), 600.0, m5, "us-east-1", 0, replace(EXACT, job_start_seconds=Range.exact(3600.0)))
    assert jc.billable_hours.median == pytest.approx(74.0)
    assert jc.storage_usd == pytest.approx(30 * 0.14 * 74 / 730)


def test_volume_follows_each_totals_hours(catalog: Catalog) -> None:
    """Found by a review: the volume was billed for the median on-demand hours in every bound of both totals."""
    m5 = catalog.get("ml.m5.xlarge")  # 0.23 USD/h, no local NVMe: 30 GB x 0.14 USD/GB-month = 4.2 USD per 730 h
    params = replace(EXACT, job_start_seconds=Range.exact(0.0), interruptions_per_hour=Range.exact(0.1),
                     restart_seconds=Range.exact(0.0))
    jc = job_cost(Range(100.0, 50.0, 200.0), 3600.0, m5, "us-east-1", 0, params)
    volume = 4.2 / 730  # USD per hour
    assert jc.on_demand_usd.low == pytest.approx(50 * (0.23 + volume))  # 11.788
    assert jc.on_demand_usd.high == pytest.approx(200 * (0.23 + volume))  # 47.151
    # spot keeps the volume for its longer hours: 100 x 10 x (e^0.1 - 1) = 105.17 h at the median
    assert jc.spot_hours.median == pytest.approx(105.17092, rel=1e-6)
    assert jc.spot_usd.median == pytest.approx(105.17092 * (0.23 * 0.4 + volume), rel=1e-6)
    assert jc.storage_usd == pytest.approx(100 * volume)


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda: CostParams().with_overrides({"spot_discount": Range.exact(1.5)}), "a fraction below 1"),
    (lambda: CostParams().with_overrides({"interruptions_per_hour": Range(0.0, -1.0, 0.1)}), "must not be negative"),
    (lambda: CostParams(restart_seconds=Range(-5.0, -5.0, -5.0)), "must not be negative"),
    (lambda: CostParams(storage_months=-1.0), "must not be negative"),
    (lambda: CostParams(cross_region="false"), "expected true or false"),  # type: ignore[arg-type]
    (lambda: CostParams(egress_gb=float("inf")), "not a finite number"),
    (lambda: CostParams(job_start_seconds=240.0), "expected a range"),  # type: ignore[arg-type]
])
def test_parameters_are_checked_however_made(make: object, fragment: str) -> None:
    """Found by a review: a Range passed to with_overrides, or any value given to CostParams(), was not checked and
    failed later inside the arithmetic."""
    with pytest.raises(UsageError, match=fragment):
        make()  # type: ignore[operator]
