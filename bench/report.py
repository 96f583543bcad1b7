"""The speedup-and-cost table: this machine against every SageMaker instance, as markdown, CSV, JSON, the terminal
and three PNG plots (drawn by :mod:`bench.plots`, which only reads the rows computed here).

Two entry points, both thin over the same pipeline (rows -> recommendation -> files):

* :func:`run_report`: from a record in ``results/`` (a probe or a full run). The newest valid record with a
  profile that was *not* measured on an accelerator of the catalog is "this machine" (``--run`` picks another).
  Records measured on a catalog GPU (a probe on a T4, ...) replace the estimate for the instances with that one GPU
  (basis ``measured``, same-device margin); an instance with several of that GPU is scaled from the measurement.
* :func:`run_estimate`: the what-if for someone who knows their local training time but has no record. A profile
  is built from the hours with an *assumed* data/compute/validation split (:func:`synthetic_profiles`).

Per row (see ``extrapolate``, ``scaling``, ``cost`` for the models):

    target profile = scaling.scale_profile(profile here, instance)       (this machine: the profile itself)
    training hours = extrapolate.estimate_run(target, epochs, close_mosaic, systematic) / 3600
    cost           = cost.job_cost(training hours, epoch time, instance, region, dataset bytes, cost parameters)
    hours          = the time to a trained model: here the training hours; on an instance job start + dataset
                     download + training hours (cost.billable_hours)
    speedup        = hours here / hours there  (range: low = low here / high there, high = high here / low there)

Nothing here imports torch, ultralytics or matplotlib (``bench.plots`` is imported only to draw). Computation never
formats: :func:`build_rows` and :func:`recommend` return plain dicts, the ``format_*`` functions present them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import math
import os
import statistics
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from bench.catalog import Accelerator, Catalog, Instance, load_accelerators, load_catalog
from bench.cost import BYTES_PER_GB, MAX_PARAMETER, CostParams, billable_hours, job_cost, parse_assignments
from bench.errors import BenchError, UsageError
from bench.extrapolate import (
    DEFAULT_CLOSE_MOSAIC,
    DEFAULT_EPOCHS,
    SAME_DEVICE_SYSTEMATIC,
    RunEstimate,
    auto_optimizer,
    describe_epochs,
    epoch_parts,
    epoch_seconds,
    estimate_run,
)
from bench.offline import amp_allowed
from bench.profile import MAX_SECONDS, Phase, Profile
from bench.record import Loaded, find_record, load_records, read_input, replace_files
from bench.scaling import (
    NoEstimate,
    ScaledProfile,
    ScalingParams,
    accelerator_key,
    loader_workers,
    local_bottleneck,
    scale_profile,
)
from bench.stats import ZERO, Range, as_number, pct, times

#: Version of report.json (1: first version).
REPORT_SCHEMA = 1
DEFAULT_REGION = "us-east-1"

#: Where ``bench prices --refresh`` keeps a refreshed catalog, relative to the results directory; ``report`` and
#: ``estimate`` use it when it exists. Not a top-level ``*.json`` of results/, so record loading never sees it.
USER_CATALOG = Path("catalog") / "instances.json"

#: "Best value": the cheapest on-demand instance among those at least this many times faster than this machine.
BEST_VALUE_MIN_SPEEDUP = 2.0

#: Forward GFLOPs of one 640 px image, as ultralytics publishes them for its detection models (docs.ultralytics.com
#: /models/yolov8, "Performance" table, FLOPs (B) at 640: 8.7, 28.6, 78.9, 165.2, 257.8). Other sizes scale with
#: the pixel count, (imgsz / 640)^2. The probe records the figure ultralytics computes (8.86 for yolov8n with 3
#: classes); this table is for ``bench estimate``, which has no model to ask.
MODEL_GFLOPS_640: dict[str, float] = {"yolov8n": 8.7, "yolov8s": 28.6, "yolov8m": 78.9, "yolov8l": 165.2,
                                      "yolov8x": 257.8}

#: Dataset bytes per image when a record has none, and for ``bench estimate``: the synthetic 640x480 JPEG dataset
#: (quality 90, labels included) of the probe on this project's reference machine, 437,146,842 bytes for 4,993
#: images = 87,552 bytes per image. Only the S3 download time and S3 storage depend on it (seconds and cents).
ASSUMED_BYTES_PER_IMAGE = 87_552

# --- the split that `bench estimate` assumes (documented in synthetic_profiles) --------------------------------
#: A validation image costs this fraction of a training image: forward only, while training is about 3 forward
#: passes (scaling.TRAIN_FLOPS_PER_FORWARD); data loading is lighter too (no augmentation). 1/3 (1/5 - 1/2).
ESTIMATE_VAL_IMAGE_COST = Range(1 / 3, 0.2, 0.5)
#: Share of a training step spent loading data on cpu and mps (ultralytics forces workers=0 there, so loading is
#: paid in series), by device. On a CPU the compute is slow and loading weighs little: the probe on this project's
#: 2-core CPU measured 2.0-2.2% with yolov8n at 640 px (0.17 s of 8-9.6 s per batch; a larger model weighs less),
#: so 2% (1-10%). On an Apple GPU compute is faster and loading weighs more: 20% (10-30%), an assumption (not
#: measured: no Mac was available). The data term becomes the CPU work a cloud instance's loader does, so a share
#: 10 times too large made a CPU's given hours a data-bound cloud estimate 5 times too slow (found 2026-12-03).
ESTIMATE_SERIAL_DATA_SHARE = {"cpu": Range(0.02, 0.01, 0.10), "mps": Range(0.20, 0.10, 0.30)}
#: Share of a training step the GPU waits for data on CUDA (8 loader workers overlap compute): 2% (0-10%).
ESTIMATE_CUDA_WAIT_SHARE = Range(0.02, 0.0, 0.10)
#: Seconds per epoch outside training batches and validation (checkpoint save, metrics, csv): CPU-side work that
#: does not shrink on a faster accelerator. The probe on this project's 2-core CPU measured 0.68 s per epoch for
#: yolov8n; 1 s (0.3-3 s) is assumed, at most 5% of an epoch.
ESTIMATE_EPOCH_FIXED_SECONDS = Range(1.0, 0.3, 3.0)
ESTIMATE_EPOCH_FIXED_MAX_SHARE = 0.05
#: What a record's epochs and dataset size can be: beyond these it was edited or broken, and left out.
MAX_RECORD_EPOCHS = 1_000_000
MAX_DATASET_BYTES = 1e15
ESTIMATE_NOTE = ("the data/compute split was assumed, not measured; run `python -m bench run` for a measurement")

#: One line per ScalingParams field for the assumptions section (the full story: bench/scaling.py ScalingParams).
SCALING_DOCS: dict[str, str] = {
    "cpu_speed_ratio": "per-core time on the instance's Xeon / on the measured CPU (assumption)",
    "worker_efficiency": "one dataloader worker's throughput relative to a full core (assumption)",
    "multi_gpu_efficiency": "DDP speed-up per GPU (Lambda ResNet-50 8 x A100: 0.9; lower for small YOLO datasets)",
    "cpu_thread_efficiency": "what each torch thread beyond the first adds, as a fraction of a core (assumption)",
    "t4_effective_tflops": "T4 training rate with AMP in ultralytics' GFLOPs (from YOLOv3-SPP 41 img/s; "
                           "small models use the GPU less well)",
    "amp_speedup": "AMP over FP32 on one CUDA GPU (assumption)",
    "min_step_seconds": "least time of one training step on one GPU: kernel launches and Python (assumption)",
    "train_flops_per_forward": "training FLOPs per forward FLOP (backward ~ 2 x forward)",
    "data_bound_wait_fraction": "a CUDA source waiting more than this fraction of compute is data-bound",
    "max_workers": "ultralytics' default dataloader workers (cfg/default.yaml)",
    "max_torch_threads": "ultralytics' NUM_THREADS cap",
    "systematic_same": "margin: the same GPU on another host",
    "systematic_near": "margin: GPU to another GPU",
    "systematic_far": "margin: MPS to GPU",
    "systematic_farthest": "margin: CPU to GPU",
    "systematic_cpu": "margin: CPU to CPU",
}

CSV_COLUMNS = ("instance", "accelerator", "region", "hourly_usd", "hours", "hours_low", "hours_high",
               "training_hours", "billable_hours", "cost_usd", "cost_low", "cost_high", "spot_cost_usd", "spot_low",
               "spot_high", "speedup", "speedup_low", "speedup_high", "basis", "bottleneck", "seconds_per_epoch",
               "systematic", "price_source", "price_as_of", "spot_discount", "catalog_as_of", "run_id", "notes")

PLOT_FILES = ("cost_vs_time.png", "speedup.png", "breakdown.png")


# =============================================================================================== parameters


@dataclass(frozen=True)
class Settings:
    """Everything a report is computed with besides the profile; stored in report.json."""

    region: str
    catalog: Catalog
    accelerators: dict[str, Accelerator]
    instances: list[Instance]
    cost: CostParams
    scaling: ScalingParams
    epochs: int
    close_mosaic: int
    deadline_hours: float | None = None
    max_usd: float | None = None
    cost_notes: dict[str, str] = field(default_factory=dict)  # parameter -> where its value came from


def user_catalog_path(results: Path) -> Path:
    return Path(results) / USER_CATALOG


def resolve_catalog(results: Path, catalog_path: Path | None = None) -> Catalog:
    """``catalog_path`` if given, else the refreshed copy under ``results/`` if one exists, else the packaged one."""
    if catalog_path is not None:
        return load_catalog(Path(catalog_path))
    user = user_catalog_path(results)
    if user.is_file():
        return load_catalog(user)
    return load_catalog()


def catalog_label(catalog: Catalog) -> str:
    where = str(catalog.path) if catalog.path is not None else "bench/data/instances.json (packaged)"
    return f"{where}, as of {catalog.as_of}"


def read_config(path: Path | None) -> dict[str, Any]:
    """Parameter overrides from a JSON or TOML file: a flat table of ``name = value``, or tables ``[cost]`` and
    ``[scaling]`` (merged; names are unique across both)."""
    if path is None:
        return {}
    path = Path(path)
    try:
        raw = read_input(path, pipes=True)  # --config <(...) names a pipe
    except OSError as e:
        raise UsageError(f"--config {path}: cannot read ({e.strerror or e})") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                raise UsageError(f"--config {path}: TOML needs Python 3.11+; use a .json file") from None
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif suffix == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            raise UsageError(f"--config {path}: use a .json or .toml file")
    except UsageError:
        raise
    except (ValueError, UnicodeDecodeError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UsageError(f"--config {path}: not valid {suffix[1:].upper()} ({msg})") from None
    except RecursionError:
        raise UsageError(f"--config {path}: not valid {suffix[1:].upper()} (nested too deeply to read)") from None
    if not isinstance(data, dict):
        raise UsageError(f"--config {path}: expected a table of name = value")
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in {"cost", "scaling"} and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat


#: Scaling parameters that are fractions: a margin of 1 (100%) or more would take a bound to zero or below, and an
#: efficiency above 1 would make a worker or a GPU more than itself.
_FRACTIONS_BELOW_1 = {"systematic_same", "systematic_near", "systematic_far", "systematic_farthest", "systematic_cpu"}
_FRACTIONS_UP_TO_1 = {"worker_efficiency", "multi_gpu_efficiency", "cpu_thread_efficiency", "data_bound_wait_fraction"}


def _scaling_value(name: str, raw: Any, default: Any) -> Any:
    # a range's bounds and a count must be above 0 (a minimum step time may be 0)
    strict = (isinstance(default, Range) and name != "min_step_seconds") or \
        (isinstance(default, int) and not isinstance(default, bool))

    def number(x: Any) -> float:
        if isinstance(x, bool):
            raise UsageError(f"scaling parameter {name}: expected a number, got {x!r}")
        try:
            v = float(x)
        except (TypeError, ValueError, ArithmeticError):
            raise UsageError(f"scaling parameter {name}: expected a number, got {x!r}") from None
        if not math.isfinite(v) or v < 0 or (strict and v == 0):
            raise UsageError(f"scaling parameter {name}: expected a finite number {'> 0' if strict else '>= 0'}, "
                             f"got {x!r}")
        if v > MAX_PARAMETER:
            raise UsageError(f"scaling parameter {name}: {v:g} is beyond any plausible value (at most "
                             f"{MAX_PARAMETER:g})")
        if name in _FRACTIONS_BELOW_1 and v >= 1:
            raise UsageError(f"scaling parameter {name}: a margin is a fraction below 1 (0.15 = +-15%), got {x!r}")
        if name in _FRACTIONS_UP_TO_1 and v > 1:
            raise UsageError(f"scaling parameter {name}: a fraction from 0 to 1, got {x!r}")
        return v

    if isinstance(default, Range):
        if isinstance(raw, Mapping):
            try:
                parts = [raw["low"], raw["median"], raw["high"]]
            except KeyError as e:
                raise UsageError(f"scaling parameter {name}: a range needs median, low and high (missing {e})") \
                    from None
        elif isinstance(raw, str) and ":" in raw:
            parts = raw.split(":")
        elif isinstance(raw, list | tuple):
            parts = list(raw)
        else:
            parts = [raw]
        nums = [number(p) for p in parts]
        if len(nums) == 1:
            nums = [nums[0]] * 3
        elif len(nums) == 2:
            nums = [nums[0], (nums[0] + nums[1]) / 2, nums[1]]
        elif len(nums) != 3:
            raise UsageError(f"scaling parameter {name}: a range is low:high or low:median:high, got {raw!r}")
        low, med, high = nums
        if not low <= med <= high:
            raise UsageError(f"scaling parameter {name}: needs low <= median <= high, got {raw!r}")
        if low == 0 and name not in {"min_step_seconds"}:
            raise UsageError(f"scaling parameter {name}: every bound must be greater than 0, got {raw!r}")
        return Range(med, low, high)
    if isinstance(default, int) and not isinstance(default, bool):
        v = number(raw)
        if v != int(v) or v < 1:
            raise UsageError(f"scaling parameter {name}: expected a whole number >= 1, got {raw!r}")
        return int(v)
    return number(raw)


def make_params(sets: Sequence[str] = (), config: Path | None = None,
                base_cost: CostParams | None = None) -> tuple[CostParams, ScalingParams, dict[str, str]]:
    """Cost and scaling parameters: defaults (``base_cost``: defaults with what records measured), then the config
    file, then ``--set name=value`` (last wins). Returns both and, for every name the user set, where it came from."""
    cost_names = {f.name for f in fields(CostParams)}
    scaling_defaults = ScalingParams()
    scaling_names = [f.name for f in fields(ScalingParams)]

    def build(overrides: Mapping[str, Any]) -> tuple[CostParams, ScalingParams]:
        cost_over = {k: v for k, v in overrides.items() if k in cost_names}
        scaling_over: dict[str, Any] = {}
        for name, raw in overrides.items():
            if name in cost_names:
                continue
            if name not in scaling_names:
                raise UsageError(f"unknown parameter {name!r}; cost parameters: {', '.join(sorted(cost_names))}; "
                                 f"scaling parameters: {', '.join(scaling_names)}")
            scaling_over[name] = _scaling_value(name, raw, getattr(scaling_defaults, name))
        return (base_cost or CostParams()).with_overrides(cost_over), replace(scaling_defaults, **scaling_over)

    overrides = read_config(config)
    try:  # the file's own values first, so that an error in it names the file
        build(overrides)
    except UsageError as e:
        raise UsageError(f"--config {config}: {e}") from None
    origin = {k: f"--config {config}" for k in overrides}
    assigned = parse_assignments(list(sets))
    overrides.update(assigned)
    origin.update({k: "--set" for k in assigned})
    cost, scaling = build(overrides)
    return cost, scaling, origin


def restart_from_records(records: Sequence[Mapping[str, Any]], default: Range,
                         cloud_start: Range = ZERO) -> tuple[Range, str] | None:
    """Issue 5's hook: resumed full runs store ``interruption_cost: {lost_seconds, restart_seconds}``: what a
    restart cost on the machine itself (process start, checkpoint load, setup, warm-up). A spot restart adds a new
    instance and container (``cloud_start``, the cost model's job_start_seconds). The median of the measured
    restarts plus that becomes the cost model's ``restart_seconds``; the default's low/high are kept (widened to
    include the median) unless several records give a spread of their own. None when no record has one."""
    found: list[tuple[str, float]] = []
    for rec in records:
        ic = rec.get("interruption_cost")
        if not isinstance(ic, Mapping):
            continue
        v = as_number(ic.get("restart_seconds"), 0, MAX_SECONDS)
        if v is not None and as_number(ic.get("lost_seconds"), 0, MAX_SECONDS) is not None:
            found.append((str(rec.get("run_id")), v))
    if not found:
        return None
    values = [v + cloud_start.median for _, v in found]
    med = statistics.median(values)
    if len(values) > 1 and max(values) > min(values):
        rng, spread = Range(med, min(values), max(values)), "range of those runs"
    else:
        rng, spread = Range(med, min(default.low, med), max(default.high, med)), "default low/high kept"
    runs = ", ".join(r for r, _ in found[:5]) + (" ..." if len(found) > 5 else "")
    measured = statistics.median([v for _, v in found])
    return rng, (f"measured: median restart of {len(values)} resumed run(s) ({runs}): {measured:.0f} s, plus "
                 f"{cloud_start.median:.0f} s of instance and container start (job_start_seconds) = {med:.0f} s; "
                 f"{spread}")


def make_settings(*, results: Path, region: str, instances: str | Sequence[str] | None, sets: Sequence[str],
                  config: Path | None, catalog_path: Path | None, epochs: int, close_mosaic: int,
                  deadline: float | None, max_usd: float | None, records: Sequence[Mapping[str, Any]] = ()
                  ) -> Settings:
    """Check and gather every parameter (all bad input raises UsageError here, before anything is written)."""
    if epochs < 1:
        raise UsageError(f"--epochs {epochs}: must be >= 1")
    if close_mosaic < 0:
        raise UsageError(f"--close-mosaic {close_mosaic}: must be >= 0")
    for flag, value in (("--deadline", deadline), ("--max-usd", max_usd)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} {value:g}: must be > 0")
    catalog = resolve_catalog(results, catalog_path)
    catalog.check_region(region)
    if instances is None or instances == "" or instances == []:
        chosen = list(catalog.instances.values())
    else:
        names = instances.split(",") if isinstance(instances, str) else list(instances)
        chosen = []
        for n in (x.strip() for x in names):
            if not n:
                continue
            inst = catalog.get(n)
            if inst not in chosen:
                chosen.append(inst)
        if not chosen:
            raise UsageError(f"--instances {instances!r}: no instance named; known: {', '.join(catalog.instances)}")
    base = CostParams()
    notes: dict[str, str] = {}
    hook = restart_from_records(records, base.restart_seconds, base.job_start_seconds)
    if hook is not None:
        base = replace(base, restart_seconds=hook[0])
        notes["restart_seconds"] = hook[1]
    cost, scaling, origin = make_params(sets, config, base)
    for name, where in origin.items():
        notes[name] = f"set by the user ({where})"
    return Settings(region=region, catalog=catalog, accelerators=load_accelerators(), instances=chosen, cost=cost,
                    scaling=scaling, epochs=epochs, close_mosaic=close_mosaic, deadline_hours=deadline,
                    max_usd=max_usd, cost_notes=notes)


# =============================================================================================== records


@dataclass
class Source:
    """What the rows are computed from: this machine's profile (``local``; the same as ``scaled`` for a record,
    an exact-sum variant for ``bench estimate``), the record (None for an estimate), and the bookkeeping."""

    kind: str  # "report" | "estimate"
    local: Profile
    scaled: Profile  # the profile scaled onto the instances
    local_basis: str  # "measured" | "given"
    run_id: str
    dataset_bytes: int
    record: dict[str, Any] | None = None
    measured: list[dict[str, Any]] = field(default_factory=list)  # records measured on catalog GPUs
    skipped: list[str] = field(default_factory=list)  # files that could not be read
    excluded: list[str] = field(default_factory=list)  # invalid runs: "<run_id>: <reason>"
    unused: list[str] = field(default_factory=list)  # readable records not used, with why
    notes: list[str] = field(default_factory=list)
    assumed: list[str] = field(default_factory=list)  # estimate mode: the assumed split, one line each
    local_systematic: float = SAME_DEVICE_SYSTEMATIC  # this machine's margin (wider when its validations say so)


def _has_profile(rec: Mapping[str, Any]) -> bool:
    return isinstance(rec.get("profile"), Mapping)


def _profile(rec: Mapping[str, Any]) -> Profile:
    try:
        return Profile.from_dict(dict(rec["profile"]))
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:
        raise UsageError(f"record {rec.get('run_id')}: its profile is unreadable ({e})") from None


def _why_unusable(rec: Mapping[str, Any]) -> str | None:
    """Why a complete-or-not record cannot be reported on, in a few words, or None when it can. One bad record
    (edited by hand, or from a foreign tool) is passed over with its reason; it never stops the report."""
    if rec.get("status") != "complete":
        return f"status {rec.get('status')}"
    if not isinstance(rec.get("kind"), str) or rec.get("kind") not in {"probe", "full"}:
        return f"kind {rec.get('kind')!r} is not a probe or full run"
    if not _has_profile(rec):
        return "no profile"
    for key in ("config", "fingerprint", "estimate"):
        if rec.get(key) is not None and not isinstance(rec.get(key), Mapping):
            return f"{key} is a {type(rec.get(key)).__name__}, not a mapping"
    ds = (rec.get("config") or {}).get("dataset")
    if ds is not None and not isinstance(ds, Mapping):
        return f"config.dataset is a {type(ds).__name__}, not a mapping"
    try:
        Profile.from_dict(dict(rec["profile"]))
    except (KeyError, TypeError, ValueError, ArithmeticError) as e:
        return f"its profile is unreadable ({type(e).__name__}: {e})"
    for key in ("epochs", "close_mosaic"):
        v = rec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_RECORD_EPOCHS):
            return f"{key} {_short(v)} is not a whole number from 0 to {MAX_RECORD_EPOCHS:,}"
    return None


def _short(v: Any) -> str:
    """``repr(v)``, cut to 40 characters (a 400-digit number in a record is named, not printed whole)."""
    r = repr(v)
    return r if len(r) <= 40 else r[:37] + "..."


def _catalog_gpu(rec: Mapping[str, Any], accelerators: dict[str, Accelerator], catalog: Catalog) -> str | None:
    """The catalog accelerator a record was measured on, or None (cpu, mps, a GPU no instance has)."""
    prof = rec.get("profile") or {}
    if prof.get("device_type") != "cuda":
        return None
    key = accelerator_key(str(prof.get("device_name", "")), accelerators)
    gpus = {i.accelerator for i in catalog.instances.values() if i.is_gpu}
    return key if key in gpus else None


def _workload(p: Profile) -> tuple[str, int, int]:
    return (p.model, p.imgsz, p.batch)


def _dataset_bytes(rec: Mapping[str, Any], prof: Profile) -> tuple[int, str | None]:
    ds = (rec.get("config") or {}).get("dataset") or {}
    total = as_number(ds.get("total_bytes"), 0, MAX_DATASET_BYTES)
    if total is not None:
        return int(total), None
    n = prof.train_images + prof.val_images
    return n * ASSUMED_BYTES_PER_IMAGE, (f"the record has no dataset size: {n} images x "
                                         f"{ASSUMED_BYTES_PER_IMAGE} bytes assumed")


def select_source(results: Path, loaded: Loaded, run: str | None, settings_catalog: Catalog,
                  accelerators: dict[str, Accelerator]) -> Source:
    """The record to report on and the records that replace estimates (see the module docstring)."""
    skipped = list(loaded.skipped)
    excluded = [f"{r['run_id']}: {r.get('invalid_reason') or 'invalid'}" for r in loaded.invalid()]
    usable: list[dict[str, Any]] = []
    unused: list[str] = []
    for r in loaded.records:
        if r.get("status") == "invalid":
            continue
        why = _why_unusable(r)
        if why:
            unused.append(f"{r['run_id']}: {why}")
        else:
            usable.append(r)
    if run is not None:
        rec = find_record(results, run)  # a newer schema or a broken file -> UsageError (exit 2)
        if rec.get("status") != "complete":
            raise UsageError(f"--run {rec['run_id']}: status {rec.get('status')}"
                             + (f" ({rec['invalid_reason']})" if rec.get("invalid_reason") else "")
                             + "; only complete runs can be reported")
        why = _why_unusable(rec)
        if why:
            raise UsageError(f"--run {rec['run_id']}: {why}; only a probe or full run with a readable profile "
                             "can be reported")
        base = rec
    else:
        if not usable:
            why = ""
            if skipped or excluded or unused:
                why = " (" + "; ".join([*skipped, *(f"invalid run {x}" for x in excluded),
                                        *(f"not usable {x}" for x in unused)]) + ")"
            raise UsageError(f"no usable record in {results}{why}; run `python -m bench run` first")
        local = [r for r in usable if _catalog_gpu(r, accelerators, settings_catalog) is None]
        base = (local or usable)[-1]  # records are sorted oldest first
    prof = _profile(base)
    nbytes, note = _dataset_bytes(base, prof)
    measured = [r for r in usable if r["run_id"] != base["run_id"]
                and _catalog_gpu(r, accelerators, settings_catalog) is not None]
    if _catalog_gpu(base, accelerators, settings_catalog) is not None:
        measured.append(base)
    src = Source(kind="report", local=prof, scaled=prof, local_basis="measured", run_id=str(base["run_id"]),
                 dataset_bytes=nbytes, record=base, skipped=skipped, excluded=excluded, unused=unused)
    if note:
        src.notes.append(note)
    from bench.validate import margin_for

    src.local_systematic, margin_note = margin_for(results, (base.get("fingerprint") or {}).get("machine_id"),
                                                   prof.device_type, SAME_DEVICE_SYSTEMATIC)
    if margin_note:
        src.notes.append(f"this machine's row: {margin_note}")
    for r in measured:
        p = _profile(r)
        if _workload(p) != _workload(prof):
            src.unused.append(f"{r['run_id']}: measured on {p.device_name} but for {p.model} {p.imgsz}px batch "
                              f"{p.batch}, not {prof.model} {prof.imgsz}px batch {prof.batch}")
        else:
            src.measured.append(r)
    return src


# =============================================================================================== estimate mode


def model_gflops(model: str, imgsz: int) -> float:
    """Forward GFLOPs of ``model`` at ``imgsz`` from :data:`MODEL_GFLOPS_640` (scaled by the pixel count)."""
    key = model.strip().lower().removesuffix(".pt").removesuffix(".yaml")
    if key not in MODEL_GFLOPS_640:
        raise UsageError(f"--model {model}: unknown; known: {', '.join(MODEL_GFLOPS_640)}")
    return MODEL_GFLOPS_640[key] * (imgsz / 640) ** 2


def synthetic_profiles(*, device: str, device_name: str, model: str, imgsz: int, batch: int, train_images: int,
                       val_images: int, epochs: int, hours: float | None = None,
                       seconds_per_epoch: float | None = None, cpus: int = 8) -> tuple[Profile, Profile, list[str]]:
    """Two profiles from a known training time, and the assumptions as lines: (exact, wide, assumptions).

    The epoch time E splits as (u = seconds per training image, c = a val image's cost in training images, F =
    the fixed seconds per epoch, N train and V val images): ``E = N u + V c u + F``. A training batch is
    ``u x batch`` seconds, split into data and compute by the data share (cpu/mps: loading in series; cuda: the
    wait left by overlapping workers). With ``hours`` H given, u is chosen so that ``extrapolate.estimate_run``
    (epochs x E plus the final evaluation of best.pt, one validation pass V c u) gives back exactly H:
    ``u = (H - epochs F) / (epochs (N + V c) + V c)``; with ``seconds_per_epoch``, ``u = (E - F) / (N + V c)``.
    Setup and warm-up are folded into the epochs.

    *exact* uses the medians only (this machine's row: the time the user gave, margin ±5%); *wide* carries the
    ranges of every assumed share, and is what gets scaled onto the instances.
    """
    if device not in {"cpu", "cuda", "mps"}:
        raise UsageError(f"--device {device}: use cpu, cuda or mps")
    for flag, value in (("--hours", hours), ("--seconds-per-epoch", seconds_per_epoch)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise UsageError(f"{flag} {value:g}: must be > 0")
    if (hours is None) == (seconds_per_epoch is None):
        raise UsageError("give one of --hours and --seconds-per-epoch")
    for flag, n in (("--batch", batch), ("--imgsz", imgsz), ("--train-images", train_images),
                    ("--val-images", val_images), ("--epochs", epochs), ("--cpus", cpus)):
        if n < 1:
            raise UsageError(f"{flag} {n}: must be >= 1")
    gflops = model_gflops(model, imgsz)
    val_batch = 2 * batch
    c = ESTIMATE_VAL_IMAGE_COST
    d = ESTIMATE_SERIAL_DATA_SHARE.get(device, ESTIMATE_CUDA_WAIT_SHARE)
    n, v = train_images, val_images
    per_epoch_given = hours * 3600 / epochs if hours is not None else float(seconds_per_epoch or 0.0)
    f_med = min(ESTIMATE_EPOCH_FIXED_SECONDS.median, ESTIMATE_EPOCH_FIXED_MAX_SHARE * per_epoch_given)
    f = ESTIMATE_EPOCH_FIXED_SECONDS.scale(f_med / ESTIMATE_EPOCH_FIXED_SECONDS.median)
    if hours is not None:
        u = (hours * 3600 - epochs * f.median) / (epochs * (n + v * c.median) + v * c.median)
        epoch_s = u * (n + v * c.median) + f.median
        how = (f"{hours:g} h for {epochs} epochs: {epoch_s:.1f} s per epoch, plus one validation pass for the final "
               f"evaluation of best.pt (setup and warm-up are folded into the epochs)")
    else:
        epoch_s = per_epoch_given
        u = (epoch_s - f.median) / (n + v * c.median)
        how = f"{epoch_s:g} s per epoch as given (setup and warm-up folded into the epochs)"
    val_share = v * c.median * u / epoch_s  # a validation pass / E
    step = u * batch
    val_step = u * c.median * val_batch

    def split(total: float, share: Range, wide: bool) -> tuple[Range, Range]:
        if not wide:
            return Range.exact(total * share.median), Range.exact(total * (1 - share.median))
        return (Range(total * share.median, total * share.low, total * share.high),
                Range(total * (1 - share.median), total * (1 - share.high), total * (1 - share.low)))

    def build(wide: bool) -> Profile:
        data, compute = split(step, d, wide)
        if wide:
            val_total = Range(u * c.median * val_batch, u * c.low * val_batch, u * c.high * val_batch)
            vd = Range(val_total.median * d.median, val_total.low * d.low, val_total.high * d.high)
            vc = Range(val_total.median * (1 - d.median), val_total.low * (1 - d.high),
                       val_total.high * (1 - d.low))
            fixed = f
        else:
            vd, vc = split(val_step, d, False)
            fixed = Range.exact(f.median)
        phase = Phase(data, compute, 0)
        return Profile(
            device_type=device, device_name=device_name,
            precision="amp" if amp_allowed(device, device_name) else "fp32",  # as ultralytics would train there
            model=model, imgsz=imgsz, batch=batch, val_batch=val_batch,
            workers=min(8, cpus) if device == "cuda" else 0, host_cpus=cpus, train_images=n, val_images=v,
            mosaic=phase, plain=phase, val_data_seconds_per_batch=vd, val_compute_seconds_per_batch=vc,
            val_fixed_seconds=Range.exact(0.0), epoch_fixed_seconds=fixed, setup_seconds=0.0,
            warmup_excess_seconds=0.0, final_fixed_seconds=0.0, torch_threads=0, gflops=gflops,
            notes=("synthetic profile from a known training time (bench estimate); the split is assumed",))

    what = "data loading (in series: ultralytics forces workers=0 on cpu and mps)" if device != "cuda" else \
        "the GPU's wait for data (8 loader workers overlap compute)"
    assumed = [
        how,
        f"a validation image costs {c.median:.2f} ({c.low:g}-{c.high:g}) of a training image (forward only; training"
        f" ~ 3 x forward): a validation pass of {v} images is {val_share:.1%} of an epoch of {n} train images",
        f"{what}: {d.median:.0%} ({d.low:.0%}-{d.high:.0%}) of a training step, the rest compute",
        f"per-epoch fixed work (checkpoint, metrics; CPU-side, so it does not shrink on a faster accelerator): "
        f"{f.median:.2g} s ({f.low:.2g}-{f.high:.2g} s)",
        f"mosaic and no-mosaic epochs cost the same; {gflops:.1f} GFLOPs per image ({model} at {imgsz} px, "
        f"ultralytics' published figure x (imgsz/640)^2)",
        f"{'AMP' if device == 'cuda' else 'FP32'} training, {cpus} host CPUs",
    ]
    return build(False), build(True), assumed


# =============================================================================================== rows


def _r(x: Range, factor: float = 1.0) -> tuple[float, float, float]:
    return x.median * factor, x.low * factor, x.high * factor


def _speedup(here: Range, there: Range) -> tuple[float, float, float]:
    if there.median <= 0:
        return math.inf, math.inf, math.inf
    return (here.median / there.median, here.low / there.high if there.high > 0 else math.inf,
            here.high / there.low if there.low > 0 else math.inf)


def _base_row(name: str, accelerator: str, settings: Settings, run_id: str) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in CSV_COLUMNS}
    row.update(instance=name, accelerator=accelerator, region=settings.region, catalog_as_of=settings.catalog.as_of,
               run_id=run_id, notes=[], details=[], epoch_parts=None, epoch_seconds_low=None,
               epoch_seconds_high=None, reason=None, measured_run_id=None, price_missing=None)
    return row


def _fill_time(row: dict[str, Any], est: RunEstimate, prof: Profile, local_hours: Range | None,
               job: Callable[[Range], Range] | None = None) -> Range:
    """Fill the row's times; return its training hours. ``hours`` is the time to a trained model: on an instance
    the job's start and dataset download come before training (``job`` adds them: cost.billable_hours), so the
    speedup, the --deadline filter, "fastest" and the plots compare what the user waits for, not training alone
    (``training_hours``)."""
    training = est.full_run_seconds.scale(1 / 3600)
    to_result = job(training) if job is not None else training
    row["hours"], row["hours_low"], row["hours_high"] = _r(to_result)
    row["training_hours"] = training.median
    row["seconds_per_epoch"] = est.seconds_per_epoch.median
    row["systematic"] = est.systematic
    row["epoch_parts"] = epoch_parts(prof, prof.mosaic)
    # the range of the mosaic epoch the parts add up to (their medians sum to its median), with the row's margin
    epoch = epoch_seconds(prof, prof.mosaic).widen(est.systematic)
    row["epoch_seconds_low"], row["epoch_seconds_high"] = epoch.low, epoch.high
    if local_hours is None:
        row["speedup"], row["speedup_low"], row["speedup_high"] = 1.0, 1.0, 1.0
    else:
        row["speedup"], row["speedup_low"], row["speedup_high"] = _speedup(local_hours, to_result)
    return training


def measured_differs(p: Profile, inst: Instance, params: ScalingParams) -> str | None:
    """Why a measurement on ``inst``'s own accelerator does not stand for ``inst`` as it is, or None when it does:
    one GPU, AMP (ultralytics' default on CUDA), and the loader workers ultralytics would start there (they follow
    the host's vCPUs: the same T4 is fed by 4 workers on ml.g4dn.xlarge and 8 on ml.g4dn.2xlarge)."""
    if inst.accelerator_count != 1:
        return f"{inst.accelerator_count} GPUs on the instance, 1 measured"
    if p.precision != "amp":
        return f"measured in {p.precision}, the instance trains with AMP"
    want = loader_workers(inst.vcpus, 1, params.max_workers, p.train_images / p.batch)
    if p.workers != want:
        return f"measured with {p.workers} loader workers, the instance's {inst.vcpus} vCPUs run {want}"
    return None


def build_rows(source: Source, settings: Settings) -> list[dict[str, Any]]:
    """One row for this machine, then one per instance sorted by median hours, then the instances without an
    estimate (numbers None, ``reason`` says why). An instance without a price in the region keeps its time and
    speedup; its cost columns are None and ``price_missing`` says why. Plain dicts: the CSV and JSON rows, and
    what the plots read."""
    s = settings
    local_est = estimate_run(source.local, s.epochs, s.close_mosaic, systematic=source.local_systematic)
    local = _base_row("local", f"{source.local.device_name} ({source.local.device_type})", s, source.run_id)
    local_hours = _fill_time(local, local_est, source.local, None)
    local.update(hourly_usd=0.0, billable_hours=local["hours"], cost_usd=0.0, cost_low=0.0, cost_high=0.0,
                 spot_cost_usd=0.0, spot_low=0.0, spot_high=0.0, basis=source.local_basis,
                 bottleneck=local_bottleneck(source.local, s.scaling.data_bound_wait_fraction))
    local["notes"].append("this machine: no instance cost" + (" (time as given)" if source.kind == "estimate"
                                                              else f" ({source.run_id})"))

    measured_by_gpu: dict[str, tuple[dict[str, Any], Profile]] = {}
    for rec in source.measured:  # oldest first: the newest wins
        p = _profile(rec).with_dataset(source.scaled.train_images, source.scaled.val_images)
        key = accelerator_key(p.device_name, s.accelerators)
        if key is not None:
            measured_by_gpu[key] = (rec, p)

    done: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for inst in s.instances:
        acc = f"{inst.accelerator_count} x {inst.accelerator}" if inst.is_gpu else f"{inst.vcpus} vCPU"
        row = _base_row(inst.name, acc, s, source.run_id)
        m = measured_by_gpu.get(inst.accelerator or "")
        target: ScaledProfile | NoEstimate | None = None
        differs = measured_differs(m[1], inst, s.scaling) if m is not None else None
        if m is not None and differs is None:
            rec, prof = m
            est = estimate_run(prof, s.epochs, s.close_mosaic, systematic=SAME_DEVICE_SYSTEMATIC)
            row.update(basis="measured", bottleneck=local_bottleneck(prof, s.scaling.data_bound_wait_fraction),
                       measured_run_id=rec["run_id"])
            row["notes"].append(f"measured on {prof.device_name} ({rec['run_id']})")
            row["details"].append(f"measured: record {rec['run_id']} ({rec.get('kind')}, {prof.device_name}, "
                                  f"{prof.precision}, {prof.workers} workers); margin +-{pct(SAME_DEVICE_SYSTEMATIC)}")
        else:
            src_prof, src_note = source.scaled, None
            if m is not None:
                src_prof, src_note = m[1], (f"scaled from the {inst.accelerator} measurement {m[0]['run_id']} "
                                            f"({differs})")
            target = scale_profile(src_prof, inst, s.accelerators, s.scaling)
            if isinstance(target, NoEstimate):
                row.update(basis="n/a", reason=target.reason)
                missing.append(row)
                continue
            prof = target.profile
            est = estimate_run(prof, s.epochs, s.close_mosaic, systematic=target.systematic)
            row.update(basis="estimated", bottleneck=target.bottleneck)
            if src_note:
                row["notes"].append(src_note)
                row["measured_run_id"] = m[0]["run_id"] if m else None
            row["details"].extend(target.notes)
            if any("per-step floor" in n for n in target.notes):
                row["notes"].append("compute at the per-step floor")
        hours = _fill_time(row, est, prof, local_hours,
                           job=lambda h: billable_hours(h, source.dataset_bytes, s.cost))
        done.append(row)
        try:
            price = inst.price(s.region)
        except UsageError as e:  # the time is still worth showing; the cost columns stay empty
            row["price_missing"] = str(e)
            row["notes"].append(f"no price for {s.region} in the catalog (it has {', '.join(inst.prices)})")
            continue
        jc = job_cost(hours, est.seconds_per_epoch, inst, s.region, source.dataset_bytes, s.cost,
                      spot=s.catalog.spot_discount(inst, s.region))
        row["hourly_usd"] = price.usd_per_hour
        row["billable_hours"] = jc.billable_hours.median
        row["cost_usd"], row["cost_low"], row["cost_high"] = _r(jc.on_demand_usd)
        row["spot_cost_usd"], row["spot_low"], row["spot_high"] = _r(jc.spot_usd)
        disc = jc.parameters["spot_discount_used"]
        row.update(price_source=price.source, price_as_of=price.as_of, price_confidence=price.confidence,
                   price_derived=price.derived, spot_discount=disc["median"], spot_discount_range=disc,
                   spot_discount_source=jc.parameters["spot_discount_source"], storage_usd=jc.storage_usd,
                   transfer_usd=jc.transfer_usd, spot_hours=jc.spot_hours.median,
                   interruptions_expected=jc.interruptions_expected)
        if price.derived:
            row["notes"].append("price derived, not listed")
        if price.confidence not in {"high", "medium-high"}:
            row["notes"].append(f"price {price.as_of}, confidence {price.confidence}")
        if not inst.local_nvme:
            row["notes"].append("EBS volume billed")
    done.sort(key=lambda r: (r["hours"], math.inf if r["cost_usd"] is None else r["cost_usd"]))
    return [local, *done, *missing]


# =============================================================================================== recommendation


#: Two medians closer than this (relative) count as a tie: the cheaper or faster one wins it.
TIE = 0.01


def _beats(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """``a`` dominates ``b`` on (median hours, median on-demand USD), ties within :data:`TIE` counted as equal."""
    def le(x: float, y: float) -> bool:
        return x <= y * (1 + TIE)

    def lt(x: float, y: float) -> bool:
        return x < y * (1 - TIE)

    return (le(a["hours"], b["hours"]) and le(a["cost_usd"], b["cost_usd"])
            and (lt(a["hours"], b["hours"]) or lt(a["cost_usd"], b["cost_usd"])))


def _best(rows: Sequence[Mapping[str, Any]], key: str, then: str) -> Mapping[str, Any] | None:
    """The row with the lowest ``key``; among those within :data:`TIE` of it, the lowest ``then`` (None: no rows).
    "Fastest" is ``_best(rows, "hours", "cost_usd")``, "cheapest" ``_best(rows, "cost_usd", "hours")``."""
    if not rows:
        return None
    low = min(r[key] for r in rows)
    return min((r for r in rows if r[key] <= low * (1 + TIE)), key=lambda r: (r[then], r[key]))


def pareto_front(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Rows no other row beats on both median hours and median on-demand cost (a tie within 1% is no win),
    fastest first."""
    front = [r for r in rows if not any(_beats(o, r) for o in rows if o is not r)]
    return sorted(front, key=lambda r: (r["hours"], r["cost_usd"]))


def recommend(rows: Sequence[Mapping[str, Any]], deadline_hours: float | None = None,
              max_usd: float | None = None) -> dict[str, Any]:
    """Fastest, cheapest on-demand, cheapest spot, best value and the Pareto front among the instances that pass
    the filters (median hours <= deadline, median on-demand USD <= max_usd); what the filters removed, and why."""
    local = rows[0]
    priced = [r for r in rows[1:] if r["hours"] is not None and r["cost_usd"] is not None]
    kept, removed = [], []
    for r in priced:
        why = []
        if deadline_hours is not None and r["hours"] > deadline_hours:
            why.append(f"{_num(r['hours'])} h > {deadline_hours:g} h")
        if max_usd is not None and r["cost_usd"] > max_usd:
            why.append(f"{r['cost_usd']:.2f} USD > {max_usd:g} USD")
        if why:
            removed.append({"instance": r["instance"], "why": "; ".join(why)})
        else:
            kept.append(r)

    def name(r: Mapping[str, Any] | None) -> str | None:
        return None if r is None else str(r["instance"])

    fastest = _best(kept, "hours", "cost_usd")
    cheapest = _best(kept, "cost_usd", "hours")
    cheapest_spot = _best(kept, "spot_cost_usd", "hours")
    value_pool = [r for r in kept if r["speedup"] >= BEST_VALUE_MIN_SPEEDUP]
    best_value = min(value_pool, key=lambda r: (r["cost_usd"], r["hours"]), default=None)
    front = pareto_front(kept)

    def overlaps(best: Mapping[str, Any] | None, key: str, lo: str, hi: str) -> list[str]:
        if best is None:
            return []
        return [str(r["instance"]) for r in kept if r is not best and r[lo] <= best[hi] and best[lo] <= r[hi]
                and r[key] != best[key]]

    why_none = None
    if priced and not kept:
        parts, met = [], []
        for limit, key, then, what, extreme, needs in (
                (deadline_hours, "hours", "cost_usd", "the deadline of {:g} h", "fastest", "needs {:.3g} h"),
                (max_usd, "cost_usd", "hours", "the cost limit of {:g} USD", "cheapest", "costs {:.2f} USD")):
            if limit is None:
                continue
            what = what.format(limit)
            n = sum(r[key] <= limit for r in priced)
            top = _best(priced, key, then)  # the one the table would call fastest (cheapest): the same tie rule
            assert top is not None  # priced is not empty
            parts.append(f"{n} of {len(priced)} meet {what}" if n else
                         f"none meets {what}: the {extreme}, {top['instance']}, {needs.format(top[key])}")
            met.append(n)
        if len(met) == 2 and all(met):
            parts.append("but none meets both")
        why_none = "; ".join(parts)
    elif not priced:
        why_none = "no instance has both an estimate and a price in this region"
    local_ok = (deadline_hours is None or local["hours"] <= deadline_hours)
    return {
        "fastest": name(fastest), "cheapest_on_demand": name(cheapest), "cheapest_spot": name(cheapest_spot),
        "best_value": name(best_value), "best_value_min_speedup": BEST_VALUE_MIN_SPEEDUP,
        "pareto_front": [name(r) for r in front],
        "fastest_overlaps": overlaps(fastest, "hours", "hours_low", "hours_high"),
        "cheapest_overlaps": overlaps(cheapest, "cost_usd", "cost_low", "cost_high"),
        "deadline_hours": deadline_hours, "max_usd": max_usd, "removed": removed, "kept": [name(r) for r in kept],
        "nothing_qualifies": why_none, "local_meets_deadline": local_ok,
        "unpriced": [str(r["instance"]) for r in rows[1:] if r["hours"] is not None and r["cost_usd"] is None],
    }


# =============================================================================================== the report


@dataclass
class Report:
    """Everything a report shows: computed once, then formatted (markdown, CSV, JSON, terminal) and plotted."""

    source: Source
    settings: Settings
    rows: list[dict[str, Any]]
    recommendation: dict[str, Any]
    warnings: list[str]
    generated_at: str

    @property
    def title(self) -> str:
        p, s = self.source.local, self.settings
        what = "estimate from a given training time" if self.source.kind == "estimate" else self.source.run_id
        return (f"{p.model} {p.imgsz} px, batch {p.batch}, {s.epochs} epochs, {s.region} ({what})")

    def meta(self) -> dict[str, Any]:
        """What the plots need besides the rows (titles, labels)."""
        p = self.source.local
        return {"title": self.title, "model": p.model, "imgsz": p.imgsz, "batch": p.batch,
                "epochs": self.settings.epochs, "region": self.settings.region, "kind": self.source.kind,
                "local_name": f"this machine: {p.device_name}", "catalog_as_of": self.settings.catalog.as_of,
                "pareto_front": self.recommendation["pareto_front"],
                "unpriced": self.recommendation["unpriced"]}

    def parameters(self) -> dict[str, Any]:
        s = self.settings
        return {
            "epochs": s.epochs, "close_mosaic": s.close_mosaic, "region": s.region,
            "deadline_hours": s.deadline_hours, "max_usd": s.max_usd,
            "dataset_bytes": self.source.dataset_bytes,
            "catalog": {"path": str(s.catalog.path) if s.catalog.path else None, "as_of": s.catalog.as_of,
                        "sources": s.catalog.sources},
            "cost": s.cost.to_dict(), "cost_sources": {k: v for k, v in s.cost_notes.items()},
            "scaling": {f.name: (v.to_dict() if isinstance(v := getattr(s.scaling, f.name), Range) else v)
                        for f in fields(s.scaling)},
            "same_device_systematic": SAME_DEVICE_SYSTEMATIC,
            "best_value_min_speedup": BEST_VALUE_MIN_SPEEDUP,
        }

    def to_dict(self) -> dict[str, Any]:
        rec = self.source.record or {}
        return {
            "schema": REPORT_SCHEMA, "kind": self.source.kind, "generated_at": self.generated_at,
            "title": self.title, "run_id": self.source.run_id,
            "record": {k: rec.get(k) for k in ("run_id", "kind", "status", "created_at", "device", "device_name",
                                                "fingerprint", "warnings")} if rec else None,
            "profile": self.source.local.to_dict(),
            "scaled_profile": self.source.scaled.to_dict() if self.source.kind == "estimate" else None,
            "assumed": self.source.assumed, "parameters": self.parameters(), "rows": self.rows,
            "recommendation": self.recommendation, "warnings": self.warnings,
            "skipped": self.source.skipped, "excluded": self.source.excluded, "unused": self.source.unused,
        }


def _assemble(source: Source, settings: Settings, warnings: list[str]) -> Report:
    rows = build_rows(source, settings)
    here = rows[0].get("training_hours")
    if source.kind == "estimate" and source.local.device_type in {"cpu", "mps"} and here:  # a time from elsewhere
        slower = [r["instance"] for r in rows[1:] if r.get("training_hours") and r["training_hours"] > here
                  and r["instance"] in settings.catalog.instances
                  and settings.catalog.get(r["instance"]).accelerator is not None]
        if slower:
            warnings.append(f"{', '.join(slower[:3])}{' ...' if len(slower) > 3 else ''} would train slower than "
                            f"the {here:.3g} h given for this {source.local.device_type}, which no GPU of the catalog "
                            "should: is the time for this workload (--epochs, --model, --imgsz, --batch, the image "
                            "counts)?")
    rec = recommend(rows, settings.deadline_hours, settings.max_usd)
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Report(source, settings, rows, rec, warnings, now)


def build_report(*, results: Path = Path("results"), epochs: int | None = None, close_mosaic: int | None = None,
                 region: str = DEFAULT_REGION, instances: str | Sequence[str] | None = None, run: str | None = None,
                 sets: Sequence[str] = (), config: Path | None = None, deadline: float | None = None,
                 max_usd: float | None = None, catalog: Path | None = None) -> Report:
    """The report for a record in ``results`` (see the module docstring). Bad input -> UsageError."""
    results = Path(results)
    if results.exists() and not results.is_dir():
        raise UsageError(f"--results {results}: not a directory")
    if not results.is_dir():
        raise UsageError(f"no results directory {results}; run `python -m bench run` first")
    loaded = load_records(results)
    if not loaded.records and not loaded.skipped:
        raise UsageError(f"no records in {results}; run `python -m bench run` first")
    cat = resolve_catalog(results, catalog)
    accelerators = load_accelerators()
    source = select_source(results, loaded, run, cat, accelerators)
    rec = source.record or {}
    rec_close = rec.get("close_mosaic")  # a whole number >= 0 or None (_why_unusable)
    settings = make_settings(
        results=results, region=region, instances=instances, sets=sets, config=config, catalog_path=catalog,
        epochs=epochs if epochs is not None else int(rec.get("epochs") or DEFAULT_EPOCHS),
        close_mosaic=close_mosaic if close_mosaic is not None else
        int(rec_close if rec_close is not None else DEFAULT_CLOSE_MOSAIC),
        deadline=deadline, max_usd=max_usd, records=loaded.valid())
    warnings = [f"skipped {s}" for s in source.skipped]
    warnings += [f"excluded invalid run {x}" for x in source.excluded]
    used = (rec.get("config") or {}).get("optimizer")
    if used in {"AdamW", "MuSGD"} and settings.epochs != rec.get("epochs"):
        p = source.local
        wanted = auto_optimizer(p.train_images, p.batch, settings.epochs)
        if wanted != used:
            warnings.append(f"the probe trained with {used}, the optimizer ultralytics picks for {rec.get('epochs')} "
                            f"epochs; for {settings.epochs} it picks {wanted}, whose step time was not measured: run "
                            f"`python -m bench run --epochs {settings.epochs}` to measure it")
    return _assemble(source, settings, warnings)


def build_estimate(*, device: str, hours: float | None = None, seconds_per_epoch: float | None = None,
                   epochs: int = DEFAULT_EPOCHS, close_mosaic: int = DEFAULT_CLOSE_MOSAIC, chip: str | None = None,
                   gpu: str | None = None, model: str = "yolov8n", imgsz: int = 640, batch: int = 16,
                   train_images: int = 4195, val_images: int = 400, cpus: int | None = None,
                   results: Path = Path("results"), region: str = DEFAULT_REGION,
                   instances: str | Sequence[str] | None = None, sets: Sequence[str] = (),
                   config: Path | None = None, deadline: float | None = None, max_usd: float | None = None,
                   catalog: Path | None = None) -> Report:
    """The report for a training time known from elsewhere (see :func:`synthetic_profiles`). Records measured on
    a catalog GPU in ``results`` (if any, same workload) still replace estimates; resumed runs still give the
    restart time."""
    results = Path(results)
    if device not in {"cpu", "cuda", "mps"}:
        raise UsageError(f"--device {device}: use cpu, cuda or mps")
    if gpu is not None and device != "cuda":
        raise UsageError(f"--gpu names a CUDA GPU; with --device {device} use --chip")
    if chip is not None and device == "cuda":
        raise UsageError("--chip names a CPU or Apple chip; with --device cuda name the GPU with --gpu")
    accelerators = load_accelerators()
    if device == "cuda":
        if not gpu:
            raise UsageError("--device cuda needs --gpu NAME (for example --gpu \"Tesla T4\"); known: "
                             + ", ".join(k for k, a in accelerators.items() if a.kind == "cuda"))
        if accelerator_key(gpu, accelerators) is None:
            raise UsageError(f"--gpu {gpu!r}: not in accelerators.json, so nothing can be scaled from it; known: "
                             + ", ".join(k for k, a in accelerators.items() if a.kind == "cuda"))
        name = gpu
    else:
        name = chip or ("Apple silicon (unspecified)" if device == "mps" else "CPU (unspecified)")
    n_cpus = cpus if cpus is not None else (os.cpu_count() or 1)
    exact, wide, assumed = synthetic_profiles(
        device=device, device_name=name, model=model, imgsz=imgsz, batch=batch, train_images=train_images,
        val_images=val_images, epochs=epochs, hours=hours, seconds_per_epoch=seconds_per_epoch, cpus=n_cpus)
    if results.exists() and not results.is_dir():
        raise UsageError(f"--results {results}: not a directory")
    loaded = load_records(results) if results.is_dir() else Loaded()
    nbytes = (train_images + val_images) * ASSUMED_BYTES_PER_IMAGE
    source = Source(kind="estimate", local=exact, scaled=wide, local_basis="given", run_id="estimate",
                    dataset_bytes=nbytes, skipped=list(loaded.skipped), assumed=assumed)
    source.notes.append(f"dataset {train_images + val_images} images x {ASSUMED_BYTES_PER_IMAGE} bytes assumed "
                        f"({nbytes / BYTES_PER_GB:.2f} GB of 2^30 bytes, as storage is priced)")
    cat = resolve_catalog(results, catalog)
    for r in loaded.valid():
        if _why_unusable(r) is None and _catalog_gpu(r, accelerators, cat):
            p = _profile(r)
            if _workload(p) == _workload(exact):
                source.measured.append(r)
    settings = make_settings(results=results, region=region, instances=instances, sets=sets, config=config,
                             catalog_path=catalog, epochs=epochs, close_mosaic=close_mosaic, deadline=deadline,
                             max_usd=max_usd, records=loaded.valid())
    warnings = [f"skipped {s}" for s in source.skipped]
    return _assemble(source, settings, warnings)


# =============================================================================================== formatting


def _num(x: float | None) -> str:
    if x is None:
        return "n/a"
    if not math.isfinite(x):
        return "inf"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 0.1 or x == 0:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"{x:.0f}" if x >= 1000 else f"{x:.2f}"


def _x(x: float | None) -> str:
    return "n/a" if x is None else times(x)


def _span(row: Mapping[str, Any], key: str, lo: str, hi: str, fmt: Any) -> str:
    if row.get(key) is None:
        return "n/a"
    if row[lo] == row[hi] == row[key]:
        return fmt(row[key])
    return f"{fmt(row[key])} [{fmt(row[lo])}-{fmt(row[hi])}]"


def _cells(row: Mapping[str, Any]) -> list[str]:
    hourly = "0" if row["instance"] == "local" else ("n/a" if row["hourly_usd"] is None
                                                     else f"{row['hourly_usd']:.4g}")
    return [
        str(row["instance"]), str(row["accelerator"]), hourly,
        _span(row, "hours", "hours_low", "hours_high", _num),
        _span(row, "cost_usd", "cost_low", "cost_high", _usd),
        _span(row, "spot_cost_usd", "spot_low", "spot_high", _usd),
        _span(row, "speedup", "speedup_low", "speedup_high", _x),
        str(row["basis"]), str(row["bottleneck"] or "-"),
    ]


HEADER = ["instance", "accelerator", "USD/h", "hours [low-high]", "on-demand USD", "spot USD", "speedup",
          "basis", "bottleneck"]


def format_terminal(report: Report) -> str:
    """The compact table for stdout (notes and reasons shortened; the markdown has them whole)."""
    rows = [HEADER] + [_cells(r) for r in report.rows]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    out = [report.title]
    if report.source.kind == "estimate":
        out.append(f"note: {ESTIMATE_NOTE}")
    for i, r in enumerate(rows):
        line = "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        out.append(line)
        row = report.rows[i - 1] if i > 0 else {}
        why = f"n/a: {row['reason']}" if row.get("reason") else \
            "cost n/a: " + row["notes"][-1] if row.get("price_missing") else None
        if why:
            out.extend(textwrap.wrap(why, 116, initial_indent="    ", subsequent_indent="      ",
                                     break_on_hyphens=False))
    out += ["hours: to a trained model (on an instance with the job's start and the dataset's download); USD: the "
            "whole job (instance, storage, transfer)", ""]
    out.extend(_recommendation_lines(report, markdown=False))
    return "\n".join(out)


def _row_line(r: Mapping[str, Any]) -> str:
    return (f"{r['instance']}: {_num(r['hours'])} h [{_num(r['hours_low'])}-{_num(r['hours_high'])}], "
            f"{_usd(r['cost_usd'])} USD on-demand [{_usd(r['cost_low'])}-{_usd(r['cost_high'])}], "
            f"{_usd(r['spot_cost_usd'])} USD spot [{_usd(r['spot_low'])}-{_usd(r['spot_high'])}], "
            f"{_x(r['speedup'])} [{_x(r['speedup_low'])}-{_x(r['speedup_high'])}] this machine's speed")


def _recommendation_lines(report: Report, markdown: bool) -> list[str]:
    rec, by = report.recommendation, {r["instance"]: r for r in report.rows}
    b = "- " if markdown else "  "
    out = ["Recommendation" + (" (filters: " + ", ".join(
        x for x in (f"deadline {rec['deadline_hours']:g} h" if rec["deadline_hours"] else "",
                    f"at most {rec['max_usd']:g} USD on-demand" if rec["max_usd"] else "") if x) + ")"
                               if rec["deadline_hours"] or rec["max_usd"] else "") + ":"]
    if rec["unpriced"]:
        out.append(b + f"left out, no price in {report.settings.region}: {', '.join(rec['unpriced'])}")
    if rec["removed"]:
        out.append(b + "filters removed: " + "; ".join(f"{x['instance']} ({x['why']})" for x in rec["removed"]))
    elif rec["deadline_hours"] or rec["max_usd"]:
        out.append(b + "filters removed nothing")
    if rec["nothing_qualifies"]:
        out.append(b + f"nothing qualifies: {rec['nothing_qualifies']}")
    def names(xs: Sequence[str]) -> str:
        return ", ".join(xs[:4]) + (f" and {len(xs) - 4} more" if len(xs) > 4 else "")

    overlap = {"fastest": ("fastest_overlaps", "time"), "cheapest_on_demand": ("cheapest_overlaps", "cost")}
    for label, key in ((f"fastest (a tie within {TIE:.0%} goes to the cheaper)", "fastest"),
                       ("cheapest on-demand", "cheapest_on_demand"), ("cheapest spot", "cheapest_spot")):
        if not rec[key]:
            continue
        out.append(b + f"{label}: {_row_line(by[rec[key]])}")
        if key in overlap and rec[overlap[key][0]]:
            xs = rec[overlap[key][0]]
            out.append(("  " if markdown else "    ") + f"- its {overlap[key][1]} range overlaps {len(xs)} other "
                       f"instance(s) ({names(xs)}): the ranking among them is uncertain")
    if rec["best_value"]:
        out.append(b + f"best value (cheapest on-demand at least {rec['best_value_min_speedup']:g}x faster than "
                       f"this machine): {rec['best_value']}")
    elif rec["kept"]:
        out.append(b + f"best value: no instance is at least {rec['best_value_min_speedup']:g}x faster than "
                       f"this machine")
    if rec["pareto_front"]:
        out.append(b + "Pareto front (no other instance both faster and cheaper on-demand): " + " -> ".join(
            f"{n} ({_num(by[n]['hours'])} h, {by[n]['cost_usd']:.3f} USD)" for n in rec["pareto_front"]))
    local = report.rows[0]
    out.append(b + f"this machine: {_num(local['hours'])} h [{_num(local['hours_low'])}-"
                   f"{_num(local['hours_high'])}], no instance cost"
               + ("" if rec["local_meets_deadline"] else " (misses the deadline)"))
    return out


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def esc(c: str) -> str:
        return c.replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in r) + " |" for r in rows]
    return lines


def _fingerprint_summary(fp: Mapping[str, Any]) -> str:
    """One line on the machine; a field of the wrong kind (a record is input: it may have been edited) is left
    out rather than stopping the report."""
    def num(x: Any) -> bool:
        return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)

    parts = []
    if fp.get("cpu_model"):
        cores = fp.get("cpu_affinity") or fp.get("cpu_logical")
        parts.append(f"{fp['cpu_model']}" + (f", {cores} logical CPUs" if cores else ""))
    if num(fp.get("ram_bytes")) and fp["ram_bytes"]:
        parts.append(f"{fp['ram_bytes'] / 2**30:.0f} GiB RAM")
    gpus = fp.get("gpus")
    for g in gpus if isinstance(gpus, list) else []:
        if isinstance(g, Mapping):
            mem: Any = g.get("memory_bytes")
            parts.append(f"GPU {g.get('name')}" + (f" {mem / 2**30:.0f} GiB" if num(mem) else ""))
    if fp.get("apple_chip"):
        parts.append(str(fp["apple_chip"]))
    if fp.get("os"):
        parts.append(f"{fp['os']} {fp.get('os_release', '')}".strip())
    for k in ("python", "torch", "ultralytics"):
        if fp.get(k):
            parts.append(f"{k} {fp[k]}")
    if fp.get("machine_id"):
        parts.append(f"machine id {fp['machine_id']}")
    return "; ".join(parts) or "none recorded"


def _range_text(d: Mapping[str, float]) -> str:
    if d["low"] == d["high"]:
        return f"{d['median']:.3g}"
    return f"{d['median']:.3g} ({d['low']:.3g}-{d['high']:.3g})"


def format_markdown(report: Report) -> str:
    src, s, rows = report.source, report.settings, report.rows
    p = src.local
    out = [f"# Speedup and cost: {report.title}", ""]
    if src.kind == "estimate":
        out += [f"> **Note: {ESTIMATE_NOTE}.**", ""]
    command = "estimate" if src.kind == "estimate" else "report"
    out.append(f"Generated {report.generated_at} by `python -m bench {command}`.")
    out.append("")
    if src.record is not None:
        rec = src.record
        out += [
            f"- **Record used**: `{src.run_id}` ({rec.get('kind')}, {rec.get('status')}), "
            f"created {rec.get('created_at')}",
            f"- **Device**: {rec.get('device')}, {rec.get('device_name')} ({p.precision}, {p.workers} dataloader "
            f"workers, torch threads: {p.torch_threads or 'unknown'})",
            f"- **Machine**: {_fingerprint_summary(rec.get('fingerprint') or {})}",
        ]
    else:
        out += [f"- **This machine (given)**: {p.device_type}, {p.device_name}, {p.host_cpus} CPUs, "
                f"{p.precision}"]
    out += [
        f"- **Workload**: {p.model} at {p.imgsz} px, batch {p.batch}, {p.train_images} train / {p.val_images} val "
        f"images, {s.epochs} epochs (last {min(s.close_mosaic, s.epochs)} without mosaic), dataset "
        f"{src.dataset_bytes / BYTES_PER_GB:.3g} GB",
        f"- **Region**: {s.region}; **catalog**: {catalog_label(s.catalog)}",
    ]
    if src.measured:
        out.append("- **Measured on catalog GPUs** (replace the estimate for instances with that one GPU): "
                   + ", ".join(f"`{r['run_id']}` ({(r.get('profile') or {}).get('device_name')})"
                               for r in src.measured))
    out.append("- **Skipped files**: " + ("; ".join(src.skipped) if src.skipped else "none"))
    out.append("- **Invalid runs excluded**: " + ("; ".join(src.excluded) if src.excluded else "none"))
    if src.unused:
        out.append("- **Records not used**: " + "; ".join(src.unused))
    out += ["", "## Speedup and cost", ""]
    header = ["instance", "accelerator", "USD/h", "hours median [low-high]", "on-demand USD [range]",
              "spot USD [range]", "speedup vs this machine", "basis", "bottleneck", "notes"]
    body = []
    for r in rows:
        notes = "; ".join(r["notes"]) if not r["reason"] else f"n/a: {r['reason']}"
        body.append([*_cells(r), notes])
    out += _md_table(header, body)
    out += ["", "Hours are the time to a trained model: here the training's wall time; on an instance the job's "
            "start and dataset download too, which are also its billable hours (speedup = hours here / hours "
            "there; its range pairs the opposite bounds). Costs are whole jobs: billable hours x USD/h, plus S3 "
            "storage and transfer; spot adds the expected interruptions' lost work and restarts.", ""]
    out += ["## Recommendation", ""]
    out += _recommendation_lines(report, markdown=True)[1:]
    out += ["", "## Assumptions", ""]
    if src.assumed:
        out += ["### The split that was assumed (no measurement)", ""]
        out += [f"- {a}" for a in src.assumed]
        out += [f"- this machine's row uses the given time (margin +-{pct(SAME_DEVICE_SYSTEMATIC)}); the instances "
                "are scaled from the ranges of the assumed split, so their ranges are wide", ""]
    out += ["### Cost parameters", ""]
    cost_rows = []
    for name, value, unit, source in s.cost.describe():
        origin = s.cost_notes.get(name)
        cost_rows.append([name, value, unit, (f"**{origin}**; " if origin else "") + source])
    out += _md_table(["parameter", "value", "unit", "source"], cost_rows)
    out += ["", "### Scaling parameters", ""]
    sc_rows = []
    for f in fields(s.scaling):
        v = getattr(s.scaling, f.name)
        text = f"{v.median:.4g} ({v.low:.4g}-{v.high:.4g})" if isinstance(v, Range) else f"{v:g}"
        origin = s.cost_notes.get(f.name)
        sc_rows.append([f.name, text, (f"**{origin}**; " if origin else "") + SCALING_DOCS.get(f.name, "")])
    out += _md_table(["parameter", "value", "meaning"], sc_rows)
    out += ["", "### Prices used", ""]
    pr_rows, used_sources = [], []
    for r in rows[1:]:
        if r["hourly_usd"] is None:
            continue
        pr_rows.append([r["instance"], f"{r['hourly_usd']:.4f}", str(r["price_source"]), str(r["price_as_of"]),
                        str(r.get("price_confidence")) + (" (derived)" if r.get("price_derived") else ""),
                        f"{_range_text(r['spot_discount_range'])}: {r.get('spot_discount_source')}"])
        if r["price_source"] not in used_sources:
            used_sources.append(r["price_source"])
    out += _md_table(["instance", "on-demand USD/h", "source", "as of", "confidence", "spot discount (source)"],
                     pr_rows)
    out.append("")
    for sid in used_sources:
        info = s.catalog.sources.get(sid, {})
        out.append(f"- {sid}: {info.get('description', '?')} ({info.get('date') or 'undated'})")
    local_margin = (f"+-{pct(src.local_systematic)}, widened from the default by this machine's validations (see "
                    "the warnings)" if src.local_systematic > SAME_DEVICE_SYSTEMATIC else
                    f"+-{pct(src.local_systematic)}, the default (no `bench validate` on this machine has widened "
                    "it: 3 validations of its own set it from their errors)")
    out += ["", "### Margins", "",
            f"- this machine: {local_margin}",
            f"- instances measured on their own GPU: +-{pct(SAME_DEVICE_SYSTEMATIC)}",
            f"- scaled estimates: same GPU {pct(s.scaling.systematic_same)}, GPU to GPU "
            f"{pct(s.scaling.systematic_near)}, MPS to GPU {pct(s.scaling.systematic_far)}, CPU to GPU "
            f"{pct(s.scaling.systematic_farthest)}, CPU to CPU {pct(s.scaling.systematic_cpu)}, added to both bounds "
            "on top of the factor ranges", ""]
    if src.record is not None:
        rec, est = src.record, src.record.get("estimate") or {}
        try:  # the record's own epoch line and run-time margin give way to this report's
            recorded = describe_epochs(int(rec["epochs"]), int(rec["close_mosaic"]))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            recorded = None
        items = [x for x in est.get("extrapolated", []) if isinstance(x, str) and x != recorded
                 and not x.startswith("margin ")]
        out += ["### Measured and extrapolated", ""]
        out.append("- measured: " + (", ".join(est.get("measured", [])) or "not recorded"))
        out.append("- extrapolated: " + "; ".join([*items, describe_epochs(s.epochs, s.close_mosaic)]))
        out.append(f"- interval: 80% t-interval (p10-p90) of steady-state means, bounds added, widened by "
                   f"+-{pct(src.local_systematic)} systematic")
        out.append("")
    rec_warn = (src.record or {}).get("warnings") or []
    out += ["### Warnings", ""]
    out += [f"- record: {w}" for w in rec_warn]
    out += [f"- {w}" for w in [*src.notes, *report.warnings]]
    if not rec_warn and not src.notes and not report.warnings:
        out.append("- none")
    out += ["", "## Details per instance", ""]
    for r in rows[1:]:
        out.append(f"**{r['instance']}** ({r['accelerator']}, {r['basis']}"
                   + (f", margin +-{pct(r['systematic'])}" if r.get("systematic") is not None else "") + ")")
        if r["reason"]:
            out.append(f"- no estimate: {r['reason']}")
        if r["price_missing"]:
            out.append(f"- no cost: {r['price_missing']}")
        for d in r["details"]:
            out.append(f"- {d}")
        out.append("")
    out += ["## Files", "", "report.md, report.csv, report.json (rows and every parameter, prices included), "
            + ", ".join(PLOT_FILES), ""]
    return "\n".join(out)


def format_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.rows:
        cells = []
        for c in CSV_COLUMNS:
            v = r.get(c)
            if c == "notes":
                v = "; ".join(r["notes"]) if not r["reason"] else f"n/a: {r['reason']}"
            cells.append("" if v is None else (repr(v) if isinstance(v, float) else str(v)))
        w.writerow(cells)
    return buf.getvalue()


def _json_safe(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _json_safe(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [_json_safe(v) for v in o]
    if dataclasses.is_dataclass(o) and not isinstance(o, type):
        return _json_safe(dataclasses.asdict(o))
    if isinstance(o, Path):
        return str(o)
    return o


def format_json(report: Report) -> str:
    return json.dumps(_json_safe(report.to_dict()), indent=1, allow_nan=False) + "\n"


# =============================================================================================== writing


def output_dir(results: Path, kind: str) -> Path:
    d = Path(results) / "report"
    return d / "estimate" if kind == "estimate" else d


def write_report(report: Report, out_dir: Path, plots: bool = True) -> list[Path]:
    """Write report.md, report.csv, report.json and the PNG plots under ``out_dir``, all or none: everything is
    drawn in memory first, then the files replace the old set together (:func:`bench.record.replace_files`)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: a file is where the report's folder goes; move it, or give another --results")
    files: dict[Path, str | bytes] = {out_dir / "report.md": format_markdown(report),
                                      out_dir / "report.csv": format_csv(report),
                                      out_dir / "report.json": format_json(report)}
    if plots:
        try:
            from bench import plots as plotting  # the only module that imports matplotlib
        except ImportError as e:
            raise UsageError(f"cannot draw the plots: {e}; reinstall matplotlib (pip install matplotlib)") from None
        meta = report.meta()
        for name, draw in zip(PLOT_FILES, (plotting.cost_vs_time, plotting.speedup, plotting.breakdown),
                              strict=True):
            try:
                files[out_dir / name] = draw(report.rows, meta)
            except ValueError as e:  # matplotlib refused a text or a value (its messages span lines): one line
                why = " ".join(str(e).split()) or type(e).__name__
                raise BenchError(f"cannot draw {name}: {why[:300]}") from None
    try:
        return replace_files(files, lock=out_dir)  # two reports at once: one whole set, not a mix
    except OSError as e:  # the machine refused (a full disk, a permission): exit 1, as everywhere (bench.errors)
        raise BenchError(f"{out_dir}: cannot write the report ({e.strerror or e})") from None


def run_report(**kwargs: Any) -> tuple[Report, list[Path]]:
    """``bench report``: build (all checks first), then write. Returns the report and the paths written."""
    rep = build_report(**kwargs)
    return rep, write_report(rep, output_dir(Path(kwargs.get("results", "results")), "report"))


def run_estimate(**kwargs: Any) -> tuple[Report, list[Path]]:
    """``bench estimate``: as :func:`run_report`, written under ``<results>/report/estimate/``."""
    rep = build_estimate(**kwargs)
    return rep, write_report(rep, output_dir(Path(kwargs.get("results", "results")), "estimate"))
