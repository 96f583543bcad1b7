"""Dollars from hours: on-demand, managed spot, storage and transfer for one SageMaker training job. Pure.

Every parameter is a field of :class:`CostParams`, overridable (``--set name=value`` or a TOML/JSON file through
:meth:`CostParams.with_overrides`) and listed with its unit and source by :meth:`CostParams.describe` for the
report's assumptions section. Facts come from ``bench/data/reference/sagemaker-prices.md`` (original sources named
there); the rest are assumptions and say so.

The model (hours are instance-hours of one instance; USD; billed per second, as the API's
BillableTimeInSeconds counts, with no minimum or rounding assumed):

    billable hours = training hours + job start + dataset download (S3 -> instance)
    on-demand      = billable hours x on-demand USD/hour
    spot           = spot hours x on-demand USD/hour x (1 - spot discount)
    spot hours     = the expected time to finish the billable hours when interruptions arrive at random
                     (a Poisson process of ``interruptions_per_hour``), each one losing the work since the last
                     checkpoint and costing a restart (``restart_seconds`` + the dataset's download again). Per
                     checkpoint interval w: (1/rate + restart) x (e^(rate x w) - 1), the standard renewal result;
                     for rate x w << 1 that is w + rate x w x (w/2 + restart): half an interval lost per interruption
    checkpoint interval = one epoch (ultralytics writes last.pt at the end of every epoch), or the set interval
                     when longer
    storage        = dataset in S3 for storage_months + ML storage volume for the billed hours (only when the
                     instance has no local NVMe; spot keeps it for its longer spot hours)
    transfer       = dataset copied in from another region once (when cross_region) + results downloaded to the
                     internet (egress_gb)

Managed spot bills fewer seconds at the on-demand rate (AWS: savings = 1 - BillableTimeInSeconds /
TrainingTimeInSeconds); the discount applied here is the EC2 spot discount used as a proxy, since no SageMaker
spot price list exists. With zero interruptions spot is never dearer than on-demand.

:class:`JobCost` totals (``on_demand_usd``, ``spot_usd``) *include* storage and transfer (what the job costs);
the instance-only parts are kept beside them (``on_demand_instance_usd``, ``spot_instance_usd``) so a report can
show both.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from bench.catalog import Instance, SpotDiscount
from bench.errors import UsageError
from bench.stats import ZERO, Range

#: Bytes in a GB for storage and transfer: 2^30 (assumption, as AWS pricing footnotes have defined it; not in the
#: reference). Against 10^9 it lowers those charges by 7%, a fraction of a cent for a YOLO dataset.
BYTES_PER_GB = 2**30
#: Bytes in a MB for network throughput (decimal, as link speeds are quoted).
BYTES_PER_MB = 10**6

#: Generic spot discount when the catalog has no figure for the family and region: the EC2 spot proxies in the
#: reference (g4dn us-east-1 62-65%, eu-west-1 54%; g5 55-64%) rounded to a median 0.60 and widened to 0.50-0.70
#: (assumption: other families and regions may differ more than those proxies do).
DEFAULT_SPOT_DISCOUNT = Range(0.60, 0.50, 0.70)

_INTERRUPTIONS_PER_HOUR = Range(0.02, 0.0, 0.1)
_RESTART_SECONDS = Range(300.0, 180.0, 600.0)
_JOB_START_SECONDS = Range(240.0, 120.0, 420.0)
_S3_DOWNLOAD_MB_PER_S = Range(100.0, 25.0, 250.0)

#: name -> (unit, source or assumption), for describe() and the docs. Order = the report's order.
PARAMETER_DOCS: dict[str, tuple[str, str]] = {
    "spot_discount": (
        "fraction of on-demand",
        "EC2 spot price as a proxy (no SageMaker spot price list exists): the catalog's family figure for the "
        "region when it has one (g4dn us-east-1 0.62-0.65, eu-west-1 0.54; g5 us-east-1 0.60, us-west-2 0.64, "
        "eu-west-1 0.55; each point widened by 0.03 each way, as the reference says 'about'), else 0.60 "
        "(0.50-0.70, assumed: those proxies rounded and widened). "
        "bench/data/reference/sagemaker-prices.md"),
    "interruptions_per_hour": (
        "per instance-hour",
        "assumption. The EC2 Spot Instance Advisor buckets (<5% ... >20%) are the share of spot capacity "
        "reclaimed over a month; read as a per-instance monthly probability, even >20% is only ~0.0003/hour "
        "(0.2 / 730 h). GPU capacity in busy zones is reclaimed far more often than that average, so the default "
        "is deliberately pessimistic: 0.02/h (one per 50 h), range 0 to 0.1/h (one per 10 h)"),
    "restart_seconds": (
        "seconds per interruption",
        "assumption: new instance and container start and checkpoint restore after an interruption, 300 "
        "(180-600): the same order as the job start (sample below) plus a checkpoint restore. The dataset's "
        "download is added to each restart apart (s3_download_mb_per_s). Interruptions are taken to arrive at "
        "random (Poisson); the work since the last checkpoint is lost, half an interval on average when they "
        "are rare"),
    "checkpoint_interval_seconds": (
        "seconds",
        "ultralytics writes last.pt at the end of every epoch (engine/trainer.py save_model; save_period=-1): "
        "one epoch unless set; a set interval shorter than an epoch counts as one epoch, as no checkpoint is "
        "written in between. Assumes CheckpointConfig syncs /opt/ml/checkpoints to S3 and the job resumes"),
    "job_start_seconds": (
        "seconds per job",
        "assumption: instance and container start before training, 240 (120-420). In "
        "aws-samples/amazon-sagemaker-training-jobs-benchmarks billable time exceeded training by 423-455 s "
        "(7-12%: p3.2xlarge 4372 vs 3917 s, g5.2xlarge 5836 vs 5413 s) including data download; the download "
        "is counted apart here, so the start alone is taken as below that, 420 s at most"),
    "s3_download_mb_per_s": (
        "MB/s",
        "assumption: S3 -> instance dataset download (SageMaker File mode) 100 MB/s (25-250); YOLO datasets are "
        "many small files, so per-object latency keeps it well below the instance's network bandwidth"),
    "s3_usd_per_gb_month": (
        "USD per GB-month",
        "S3 Standard, first 50 TB, us-east-1 (public price guides, mid 2026); the us-east-1 figure is used in every "
        "region (others differ by cents on a YOLO dataset)"),
    "storage_months": ("months", "assumption: the dataset stays in S3 for one month per job"),
    "ml_volume_gb": ("GB", "assumption: SageMaker's default ML storage volume size for training (VolumeSizeInGB 30)"),
    "ml_volume_usd_per_gb_month": (
        "USD per GB-month",
        "SageMaker ML storage volume (gp2), about 0.14 us-east-1 (inferred, S1), 0.154 eu-west-1 (billed, S3); "
        "the us-east-1 figure is used in every region (eu-west-1 bills 10% more: 0.04 USD on a 100 h job); "
        "charged only for instances without local NVMe (g4dn, g5, p4d have it)"),
    "cross_region": (
        "bool",
        "whether the dataset is first copied in from a bucket in another region (a training job reads S3 only in "
        "its own region), charged once per job (default: no)"),
    "cross_region_usd_per_gb": ("USD per GB", "inter-region transfer, about 0.02 (some pairs up to 0.08)"),
    "egress_gb": ("GB", "results downloaded to the internet per job; weights and plots are small: 0"),
    "egress_usd_per_gb": (
        "USD per GB",
        "out to the internet 0.09 up to 10 TB (the first 100 GB/month are free per account; not counted here)"),
    "hours_per_month": ("hours", "assumption: a month is 730 hours (8,760 / 12), as AWS's calculator counts it"),
}

#: The largest value any cost or scaling parameter may take: far above every real figure (10^6 s is 11 days, USD
#: 10^6 per GB), it keeps a typo such as 1e300 from overflowing the arithmetic and the plots.
MAX_PARAMETER = 1e6

_RANGE_FIELDS = {"spot_discount", "interruptions_per_hour", "restart_seconds", "job_start_seconds",
                 "s3_download_mb_per_s"}
_BOOL_FIELDS = {"cross_region"}
_POSITIVE_FIELDS = {"s3_download_mb_per_s", "hours_per_month", "checkpoint_interval_seconds"}
#: ... and their least values: far below any real figure (a month has 672-744 hours; a download of 1 kB/s; a
#: checkpoint every millisecond), they keep 5e-324 from dividing the arithmetic and the plots into infinity.
_LEAST = {"s3_download_mb_per_s": 1e-3, "hours_per_month": 1.0, "checkpoint_interval_seconds": 1e-3}


@dataclass(frozen=True)
class CostParams:
    """Every parameter of the cost model; units and sources in :data:`PARAMETER_DOCS` (and :meth:`describe`).

    ``spot_discount`` None means: the catalog's figure for the instance's family and region, else
    :data:`DEFAULT_SPOT_DISCOUNT`. ``checkpoint_interval_seconds`` None means: one epoch.
    """

    spot_discount: Range | None = None
    interruptions_per_hour: Range = _INTERRUPTIONS_PER_HOUR
    restart_seconds: Range = _RESTART_SECONDS
    checkpoint_interval_seconds: float | None = None
    job_start_seconds: Range = _JOB_START_SECONDS
    s3_download_mb_per_s: Range = _S3_DOWNLOAD_MB_PER_S
    s3_usd_per_gb_month: float = 0.023
    storage_months: float = 1.0
    ml_volume_gb: float = 30.0
    ml_volume_usd_per_gb_month: float = 0.14
    cross_region: bool = False
    cross_region_usd_per_gb: float = 0.02
    egress_gb: float = 0.0
    egress_usd_per_gb: float = 0.09
    hours_per_month: float = 730.0

    def __post_init__(self) -> None:
        """Every field checked as ``--set`` checks it, however the parameters were made."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in _BOOL_FIELDS:
                if not isinstance(value, bool):
                    raise UsageError(f"cost parameter {f.name}: expected true or false, got {value!r}")
            elif value is None and f.name in {"spot_discount", "checkpoint_interval_seconds"}:
                continue
            elif f.name in _RANGE_FIELDS:
                if not isinstance(value, Range):
                    raise UsageError(f"cost parameter {f.name}: expected a range, got {value!r}")
                _check_range(f.name, value.median, value.low, value.high)
            else:
                _check_number(f.name, _number(f.name, value))

    def with_overrides(self, overrides: Mapping[str, Any]) -> CostParams:
        """A copy with ``overrides`` applied (names as the fields; values as numbers, strings from ``--set``,
        or from a TOML/JSON file). A range is a number (exact), ``"low:high"`` (median halfway),
        ``"low:median:high"``, a list of 2 or 3 numbers, or ``{"median", "low", "high"}``; ``spot_discount`` may
        be ``"catalog"`` and ``checkpoint_interval_seconds`` ``"epoch"`` (the defaults).
        Unknown names, negative values, fractions outside [0, 1) -> :class:`UsageError`."""
        known = [f.name for f in fields(self)]
        changes: dict[str, Any] = {}
        for name, raw in overrides.items():
            if name not in known:
                raise UsageError(f"unknown cost parameter {name!r}; known: {', '.join(known)}")
            changes[name] = _parse_value(name, raw)
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (a Range as {"median", "low", "high"}), to store with a report."""
        return {f.name: (v.to_dict() if isinstance(v := getattr(self, f.name), Range) else v) for f in fields(self)}

    def describe(self) -> list[tuple[str, str, str, str]]:
        """(name, value, unit, source) for every parameter, for the report's assumptions section."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "spot_discount" and value is None:
                text = f"catalog family figure, else {_fmt(DEFAULT_SPOT_DISCOUNT)}"
            elif f.name == "checkpoint_interval_seconds" and value is None:
                text = "one epoch"
            else:
                text = _fmt(value)
            unit, source = PARAMETER_DOCS[f.name]
            out.append((f.name, text, unit, source))
        return out


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """``["name=value", ...]`` (repeated ``--set`` flags) -> ``{name: value}`` for :meth:`CostParams.with_overrides`."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"--set {item!r}: expected name=value, for example spot_discount=0.6")
        out[name.strip()] = value.strip()
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, Range):
        if value.low == value.high:
            return f"{value.median:g}"
        return f"{value.median:g} ({value.low:g}-{value.high:g})"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _number(name: str, raw: Any) -> float:
    if isinstance(raw, bool):
        raise UsageError(f"cost parameter {name}: expected a number, got {raw!r}")
    try:
        return float(raw)
    except (TypeError, ValueError, ArithmeticError) as e:
        raise UsageError(f"cost parameter {name}: expected a number, got {raw!r}") from e


def _parse_range(name: str, raw: Any) -> Range:
    if isinstance(raw, Range):
        return raw
    if isinstance(raw, Mapping):
        try:
            parts = [raw["low"], raw["median"], raw["high"]]
        except KeyError as e:
            raise UsageError(f"cost parameter {name}: a range needs median, low and high (missing {e})") from e
    elif isinstance(raw, str) and ":" in raw:
        parts = raw.split(":")
    elif isinstance(raw, list | tuple):
        parts = list(raw)
    else:
        v = _number(name, raw)
        return _check_range(name, v, v, v)
    nums = [_number(name, p) for p in parts]
    if len(nums) == 2:
        if nums[0] > nums[1]:
            raise UsageError(f"cost parameter {name}: a range low:high needs low <= high, got {nums[0]:g}:{nums[1]:g}")
        return _check_range(name, (nums[0] + nums[1]) / 2, nums[0], nums[1])
    if len(nums) == 3:
        return _check_range(name, nums[1], nums[0], nums[2])
    raise UsageError(f"cost parameter {name}: a range is low:high or low:median:high, got {raw!r}")


def _check_range(name: str, median: float, low: float, high: float) -> Range:
    for v in (median, low, high):
        _check_number(name, v)
    if not low <= median <= high:
        raise UsageError(f"cost parameter {name}: needs low <= median <= high, got {low:g}, {median:g}, {high:g}")
    return Range(median, low, high)


def _check_number(name: str, v: float) -> float:
    if v != v or v in (float("inf"), float("-inf")):
        raise UsageError(f"cost parameter {name}: {v} is not a finite number")
    if name in _POSITIVE_FIELDS and v <= 0:
        raise UsageError(f"cost parameter {name}: must be greater than 0, got {v:g}")
    if name in _LEAST and v < _LEAST[name]:
        raise UsageError(f"cost parameter {name}: must be at least {_LEAST[name]:g}, got {v:g}")
    if v < 0:
        raise UsageError(f"cost parameter {name}: must not be negative, got {v:g}")
    if name == "spot_discount" and v >= 1:
        raise UsageError(f"cost parameter {name}: a discount is a fraction below 1 (0.6 = 60% off), got {v:g}")
    if v > MAX_PARAMETER:
        raise UsageError(f"cost parameter {name}: {v:g} is beyond any plausible value (at most {MAX_PARAMETER:g})")
    return v


def _parse_value(name: str, raw: Any) -> Any:
    if name == "spot_discount" and (raw is None or str(raw).strip().lower() in {"none", "catalog"}):
        return None
    if name in _RANGE_FIELDS:
        return _parse_range(name, raw)
    if name in _BOOL_FIELDS:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in {"true", "yes", "1", "on"}:
            return True
        if text in {"false", "no", "0", "off"}:
            return False
        raise UsageError(f"cost parameter {name}: expected true or false, got {raw!r}")
    if name == "checkpoint_interval_seconds" and (raw is None or str(raw).strip().lower() in {"none", "epoch"}):
        return None
    return _check_number(name, _number(name, raw))


# ------------------------------------------------------------------------------------------------ the model


def _complement(r: Range) -> Range:
    """1 - r (bounds swap)."""
    return Range(1 - r.median, 1 - r.high, 1 - r.low)


def download_seconds(dataset_bytes: int, params: CostParams) -> Range:
    """Seconds to copy the dataset from S3 to the instance (high bound at the low throughput)."""
    if dataset_bytes < 0:
        raise UsageError(f"dataset size must not be negative, got {dataset_bytes}")
    rate = params.s3_download_mb_per_s.scale(BYTES_PER_MB)  # bytes per second
    size = float(dataset_bytes)
    return Range(size / rate.median, size / rate.high, size / rate.low)


def billable_hours(training_hours: Range, dataset_bytes: int, params: CostParams) -> Range:
    """Billable instance-hours of an on-demand job: training + job start + dataset download."""
    overhead_s = params.job_start_seconds + download_seconds(dataset_bytes, params)
    return training_hours + overhead_s.scale(1 / 3600)


def on_demand_cost(hours: Range, usd_per_hour: float) -> Range:
    """USD for ``hours`` instance-hours at ``usd_per_hour`` (2.5 h x 0.7364 USD/h = 1.841 USD)."""
    if usd_per_hour < 0:
        raise UsageError(f"a price must not be negative, got {usd_per_hour}")
    return hours.scale(usd_per_hour)


@dataclass(frozen=True)
class SpotCost:
    """Managed spot: USD billed, billed hours (wall time on instances, interruptions included; waiting for
    capacity is not billed and not counted), expected number of interruptions."""

    usd: Range
    hours: Range
    interruptions: Range


def _as_range(x: Range | float) -> Range:
    return x if isinstance(x, Range) else Range.exact(float(x))


#: Beyond this many interruptions expected per checkpoint interval (rate x interval > 50: e^50 ~ 5e21 tries) a spot
#: job would in effect never finish, and the arithmetic would overflow: refused with a message instead.
_MAX_RATE_TIMES_INTERVAL = 50.0


def _interrupted(work_h: float, rate: float, interval_h: float, restart_h: float) -> tuple[float, float]:
    """(expected hours, expected interruptions) to finish ``work_h`` hours of work checkpointed every
    ``interval_h`` when interruptions arrive at random at ``rate`` per hour, each losing the work since the last
    checkpoint and costing ``restart_h`` (itself not interrupted). A stretch of w hours between checkpoints takes
    (1/rate + restart) x (e^(rate x w) - 1) hours with e^(rate x w) - 1 interruptions (the expected number of
    failed tries before an uninterrupted w). 10 h at 0.1/h in 1 h intervals, 0.1 h restarts: 10 x 10.1 x
    (e^0.1 - 1) = 10.622 h, 1.052 interruptions."""
    if work_h <= 0 or rate <= 0:
        return max(work_h, 0.0), 0.0
    if rate * min(interval_h, work_h) > _MAX_RATE_TIMES_INTERVAL:
        raise UsageError(f"{rate:g} spot interruptions per hour with a checkpoint every {interval_h * 3600:g} s: "
                         f"a spot job would almost never reach its next checkpoint; lower interruptions_per_hour "
                         f"(default {_INTERRUPTIONS_PER_HOUR.median:g}, {_INTERRUPTIONS_PER_HOUR.low:g}-"
                         f"{_INTERRUPTIONS_PER_HOUR.high:g}) or checkpoint_interval_seconds")
    whole, rest = divmod(work_h, interval_h)
    tries = whole * math.expm1(rate * interval_h) + math.expm1(rate * rest)
    return (1.0 / rate + restart_h) * tries, tries


def spot_cost(hours: Range, checkpoint_interval_seconds: Range | float, usd_per_hour: float, discount: Range,
              params: CostParams, dataset_bytes: int = 0) -> SpotCost:
    """Managed-spot cost of a job whose uninterrupted billable time is ``hours`` (see the module docstring).

    Interruptions arrive at random at ``interruptions_per_hour``; each loses the work since the last checkpoint and
    costs ``restart_seconds`` plus the dataset's download again (:func:`download_seconds` of ``dataset_bytes``).
    The interval is a range when it is the epoch time: a slow epoch loses more work, so the high bound uses it, as
    it uses the highest rate, the longest restart and the longest job (the expected time grows with each).
    """
    interval = _as_range(checkpoint_interval_seconds)
    if interval.low <= 0:
        raise UsageError(f"checkpoint interval must be greater than 0 s, got {checkpoint_interval_seconds}")
    restart = params.restart_seconds + download_seconds(dataset_bytes, params)
    rate = params.interruptions_per_hour
    bounds = {b: _interrupted(getattr(hours, b), getattr(rate, b), getattr(interval, b) / 3600,
                              getattr(restart, b) / 3600) for b in ("median", "low", "high")}
    spot_hours = Range(bounds["median"][0], bounds["low"][0], bounds["high"][0])
    interruptions = Range(bounds["median"][1], bounds["low"][1], bounds["high"][1])
    usd = (spot_hours * _complement(discount)).scale(usd_per_hour)
    return SpotCost(usd=usd, hours=spot_hours, interruptions=interruptions)


def storage_cost(dataset_bytes: int, hours: float, instance: Instance, params: CostParams) -> float:
    """USD: the dataset in S3 for ``storage_months``, plus the ML storage volume for ``hours`` when the instance
    has no local NVMe."""
    gb = dataset_bytes / BYTES_PER_GB
    s3 = gb * params.s3_usd_per_gb_month * params.storage_months
    volume = 0.0 if instance.local_nvme else \
        params.ml_volume_gb * params.ml_volume_usd_per_gb_month * hours / params.hours_per_month
    return s3 + volume


def _storage_range(dataset_bytes: int, hours: Range, instance: Instance, params: CostParams) -> Range:
    """:func:`storage_cost` at each bound of ``hours`` (the volume is billed for as long as the job runs)."""
    return Range(*(storage_cost(dataset_bytes, h, instance, params) for h in (hours.median, hours.low, hours.high)))


def transfer_cost(dataset_bytes: int, params: CostParams) -> float:
    """USD: the dataset copied in from another region once (when ``cross_region``) and ``egress_gb`` out to the
    internet. S3 to SageMaker in the same region and data into AWS are free."""
    gb = dataset_bytes / BYTES_PER_GB
    cross = gb * params.cross_region_usd_per_gb if params.cross_region else 0.0
    return cross + params.egress_gb * params.egress_usd_per_gb


@dataclass(frozen=True)
class JobCost:
    """Cost of one training job on one instance type (USD, hours). Totals include storage and transfer."""

    billable_hours: Range  # on-demand: training + job start + download
    on_demand_usd: Range  # total: instance + storage + transfer
    spot_usd: Range  # total: instance + storage + transfer
    spot_hours: Range  # billed spot hours, interruptions included
    storage_usd: float
    transfer_usd: float
    interruptions_expected: float  # median
    parameters: dict[str, Any] = field(default_factory=dict)  # what was used: price, source, discount ...
    on_demand_instance_usd: Range = ZERO
    spot_instance_usd: Range = ZERO


def resolve_spot_discount(params: CostParams, catalog_spot: SpotDiscount | None) -> tuple[Range, str]:
    """The discount to use and where it comes from: the user's value, the catalog's family figure, the default."""
    if params.spot_discount is not None:
        return params.spot_discount, "set by the user"
    if catalog_spot is not None:
        return catalog_spot.discount, f"catalog {catalog_spot.source}: {catalog_spot.basis}"
    return DEFAULT_SPOT_DISCOUNT, "default (no family figure in the catalog for this region)"


def job_cost(training_hours: Range, seconds_per_epoch: Range | float, instance: Instance, region: str,
             dataset_bytes: int, params: CostParams, *, spot: SpotDiscount | None = None) -> JobCost:
    """On-demand and managed-spot cost of a job training for ``training_hours`` on ``instance`` in ``region``.

    ``seconds_per_epoch`` is the checkpoint interval unless ``params.checkpoint_interval_seconds`` sets a longer
    one; ``spot`` is ``catalog.spot_discount(instance, region)`` (None: no family figure). The ML volume is billed
    for each total's own hours (on-demand or spot, each bound); ``storage_usd`` is the on-demand median."""
    price = instance.price(region)
    hours = billable_hours(training_hours, dataset_bytes, params)
    discount, discount_source = resolve_spot_discount(params, spot)
    interval = _as_range(seconds_per_epoch)
    if params.checkpoint_interval_seconds is not None:  # no checkpoint is written within an epoch
        interval = Range(*(max(params.checkpoint_interval_seconds, e)
                           for e in (interval.median, interval.low, interval.high)))
    sp = spot_cost(hours, interval, price.usd_per_hour, discount, params, dataset_bytes)
    od_instance = on_demand_cost(hours, price.usd_per_hour)
    storage = _storage_range(dataset_bytes, hours, instance, params)
    transfer = transfer_cost(dataset_bytes, params)
    used = params.to_dict()
    used.update({
        "instance": instance.name, "region": region, "usd_per_hour": price.usd_per_hour,
        "price_source": price.source, "price_as_of": price.as_of, "price_confidence": price.confidence,
        "price_derived": price.derived, "spot_discount_used": discount.to_dict(),
        "spot_discount_source": discount_source, "checkpoint_interval_seconds_used": interval.median,
        "checkpoint_interval_seconds_range": interval.to_dict(),
        "dataset_bytes": dataset_bytes, "local_nvme": instance.local_nvme,
    })
    return JobCost(
        billable_hours=hours,
        on_demand_usd=od_instance + storage + Range.exact(transfer),
        spot_usd=sp.usd + _storage_range(dataset_bytes, sp.hours, instance, params) + Range.exact(transfer),
        spot_hours=sp.hours,
        storage_usd=storage.median,
        transfer_usd=transfer,
        interruptions_expected=sp.interruptions.median,
        parameters=used,
        on_demand_instance_usd=od_instance,
        spot_instance_usd=sp.usd,
    )
