"""Component benchmarks beside the probe: read their pytest-benchmark JSON, compare them with a probe record.

The benchmarks themselves are in ``tests/microbench/`` (run them with ``nox -s microbench -- --device cpu``):
one training step (preprocess, forward, loss, backward, optimizer step, as ultralytics' trainer does them) and
one dataloader batch (mosaic on), each timed with device-synchronized clocks. pytest-benchmark writes one JSON
file per run to ``results/microbench/<timestamp>-<device>.json``; each benchmark in it carries the facts
needed here in its ``extra_info`` (:data:`EXTRA_INFO_KEYS`).

Why: the probe times whole training runs and splits each batch into data wait and compute. A microbenchmark
of the same model, image size, batch and device times each part alone, so their ratio checks the split
(about 1 when the probe measured what it says it did; see :func:`cross_check` for what else moves it).

Pure: no torch, no clock; files are read only by :func:`load_microbench`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

#: Component names (``extra_info["component"]``), and the part of a probe's profile each is compared with.
COMPONENTS: dict[str, str] = {
    "train_step": "compute_seconds_per_batch",
    "loader_batch": "data_seconds_per_batch",
}

#: What every benchmark's ``extra_info`` holds (the benchmark harness writes them, :func:`load_microbench`
#: checks them). ``device`` is the device type ("cpu", "cuda", "mps"), as in probe records;
#: ``seconds_per_image`` is the median time divided by ``images_per_batch``.
EXTRA_INFO_KEYS: tuple[str, ...] = (
    "component", "device", "device_name", "model", "imgsz", "batch", "workers", "images_per_batch",
    "torch_threads", "seconds_per_image",
)

#: Most timed rounds a budget may ask for (a 5 ms loader batch and a 60 s budget would ask for 12,000).
MAX_ROUNDS = 1000


def rounds_for_budget(budget_seconds: float, seconds_per_call: float, min_rounds: int = 3,
                      max_rounds: int = MAX_ROUNDS) -> int:
    """Timed rounds that fit ``budget_seconds`` when one call takes ``seconds_per_call`` (a warm-up call's time).

    At least ``min_rounds`` (a median of fewer says little), at most ``max_rounds``. A call time of 0 or less
    (a clock too coarse to see it) gives ``max_rounds``.
    """
    if min_rounds < 1 or max_rounds < min_rounds:
        raise ValueError(f"need 1 <= min_rounds <= max_rounds, got {min_rounds}, {max_rounds}")
    if budget_seconds < 0 or math.isnan(budget_seconds) or math.isnan(seconds_per_call):
        raise ValueError(f"budget and call time must be numbers, budget >= 0; got {budget_seconds}, "
                         f"{seconds_per_call}")
    if seconds_per_call <= 0:
        return max_rounds
    return max(min_rounds, min(max_rounds, math.floor(budget_seconds / seconds_per_call)))


# --------------------------------------------------------------------------------------------- reading
def _row(path: Path, stamp: str, bench: Any) -> dict[str, Any]:
    """One flat row from one pytest-benchmark entry. Raises ValueError saying what is wrong."""
    if not isinstance(bench, dict):
        raise ValueError("a benchmark entry is not an object")
    name = str(bench.get("name", "?"))
    extra, stats = bench.get("extra_info"), bench.get("stats")
    if not isinstance(extra, dict) or not isinstance(stats, dict):
        raise ValueError(f"benchmark {name} has no extra_info or stats")
    missing = [k for k in EXTRA_INFO_KEYS if k not in extra]
    if missing:
        raise ValueError(f"benchmark {name}: extra_info lacks {', '.join(missing)}")
    if extra["component"] not in COMPONENTS:
        raise ValueError(f"benchmark {name}: unknown component {extra['component']!r}")
    times = {}
    for key in ("median", "q1", "q3", "min", "max"):
        v = stats.get(key)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"benchmark {name}: stats.{key} is {v!r}, not a time in seconds")
        times[key] = float(v)
    if times["median"] <= 0:
        raise ValueError(f"benchmark {name}: median time {times['median']} is not positive")
    rounds = stats.get("rounds")
    return {
        "path": str(path), "datetime": stamp, "name": name,
        **{k: extra[k] for k in EXTRA_INFO_KEYS},
        "median_seconds": times["median"], "q1_seconds": times["q1"], "q3_seconds": times["q3"],
        "min_seconds": times["min"], "max_seconds": times["max"],
        "rounds": int(rounds) if isinstance(rounds, int) else None,
        "data_seconds": [float(x) for x in stats.get("data") or []],  # raw round times (--benchmark-json keeps them)
        "warmup_seconds": [float(x) for x in extra.get("warmup_seconds") or []],
        "extra_info": dict(extra),
    }


def load_microbench(results_dir: Path, *, skipped: list[str] | None = None) -> list[dict[str, Any]]:
    """Every benchmark in the pytest-benchmark JSON files of ``results_dir`` (not recursive), oldest first.

    One flat row per benchmark: ``path``, ``datetime`` (when pytest-benchmark ran it, ISO, UTC), ``name``,
    the :data:`EXTRA_INFO_KEYS`, ``median_seconds``, ``q1_seconds``, ``q3_seconds``, ``min_seconds``,
    ``max_seconds`` (per call), ``rounds``, ``data_seconds`` (raw round times), ``warmup_seconds`` and the whole
    ``extra_info``. A file that cannot be used is left out whole and, when ``skipped`` is given, one line
    ``"<file>: <why>"`` is appended to it. A missing directory holds no benchmarks.
    """
    rows: list[dict[str, Any]] = []
    directory = Path(results_dir)
    if not directory.is_dir():
        return rows
    for path in sorted(p for p in directory.glob("*.json") if not p.name.startswith(".")):
        try:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except OSError as e:
                raise ValueError(f"cannot read ({e.strerror})") from None
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                raise ValueError(f"not valid JSON ({e}); truncated or corrupt") from None
            except RecursionError:
                raise ValueError("not valid JSON (nested too deeply to read)") from None
            if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
                raise ValueError("not a pytest-benchmark JSON file (no 'benchmarks' list)")
            if not data["benchmarks"]:
                raise ValueError("holds no benchmarks (were they skipped or deselected?)")
            stamp = str(data.get("datetime", ""))
            rows_here = [_row(path, stamp, b) for b in data["benchmarks"]]
        except ValueError as e:
            if skipped is not None:
                skipped.append(f"{path}: {e}")
            continue
        rows += rows_here
    rows.sort(key=lambda r: (r["datetime"], r["path"], r["name"]))
    return rows


# --------------------------------------------------------------------------------------------- comparing
def _range(d: Any, what: str) -> dict[str, float]:
    if not isinstance(d, Mapping) or not all(isinstance(d.get(k), (int, float)) for k in ("median", "low", "high")):
        raise ValueError(f"probe record: {what} is not a {{median, low, high}} range")
    return {k: float(d[k]) for k in ("median", "low", "high")}


def _ratio(row: Mapping[str, Any], probe: Mapping[str, float]) -> dict[str, float | None]:
    """microbench / probe, with a conservative range: (q1 / probe high, q3 / probe low).

    Interval bounds are divided crosswise, as for any quotient of two uncertain positive numbers (hyperfine
    carries the error through its speed ratios the same way, to first order). A probe bound of 0 leaves that
    end of the ratio open (None)."""
    def div(a: float, b: float) -> float | None:
        return a / b if b > 0 else None

    return {"median": div(row["median_seconds"], probe["median"]), "low": div(row["q1_seconds"], probe["high"]),
            "high": div(row["q3_seconds"], probe["low"])}


def cross_check(microbench_rows: Sequence[Mapping[str, Any]], probe_record: Mapping[str, Any]) -> dict[str, Any]:
    """Ratios of microbenchmark times to a probe's steady per-batch times, for the same workload.

    A row matches the probe when its ``model``, ``imgsz``, ``batch`` and ``device`` (type) equal the probe
    profile's; of several matching rows of a component the newest is used. Returned keys: ``probe_run_id``,
    ``model``, ``imgsz``, ``batch``, ``device``, ``device_name`` (the probe's); ``train_step`` and
    ``loader_batch``, each None without a matching row, else ``{microbench_seconds, probe_seconds, ratio}``
    (each ``{median, low, high}``; microbench low/high are its quartiles, the probe's are its own range) plus
    ``source`` (``<file>::<benchmark>``), ``microbench_datetime`` and ``matching_rows``; and ``warnings``,
    one line each, about anything that makes a ratio other than 1 expected (another machine, thread count,
    workers, precision, a probe that is not complete).

    The training step is compared with ``profile.mosaic.compute_seconds_per_batch`` (it includes an
    optimizer step every call, which ultralytics does every ``accumulate`` batches, so a ratio a little
    above 1 is expected); the loader batch with ``profile.mosaic.data_seconds_per_batch`` (the probe's wait
    for data, which equals the loader's time only when the loader runs in the training process, workers=0).
    Raises ValueError when the record has no usable profile.
    """
    profile = probe_record.get("profile")
    if not isinstance(profile, Mapping) or not isinstance(profile.get("mosaic"), Mapping):
        raise ValueError(f"probe record {probe_record.get('run_id', '?')} has no profile with a mosaic phase "
                         f"(status {probe_record.get('status', '?')}); nothing to compare with")
    key = {"model": profile.get("model"), "imgsz": profile.get("imgsz"), "batch": profile.get("batch"),
           "device": profile.get("device_type", probe_record.get("device"))}
    out: dict[str, Any] = {"probe_run_id": probe_record.get("run_id"), **key,
                           "device_name": profile.get("device_name")}
    warnings: list[str] = []
    if probe_record.get("status") != "complete":
        warnings.append(f"the probe record's status is {probe_record.get('status')!r}, not 'complete': "
                        "its numbers may not be trustworthy")
    matching = [r for r in microbench_rows if all(r.get(k) == v for k, v in key.items())]
    for component, part in COMPONENTS.items():
        rows = sorted((r for r in matching if r.get("component") == component),
                      key=lambda r: (str(r.get("datetime", "")), str(r.get("path", ""))))
        if not rows:
            out[component] = None
            continue
        row = rows[-1]
        probe = _range(profile["mosaic"].get(part), f"profile.mosaic.{part}")
        out[component] = {
            "microbench_seconds": {"median": row["median_seconds"], "low": row["q1_seconds"],
                                   "high": row["q3_seconds"]},
            "probe_seconds": probe,
            "ratio": _ratio(row, probe),
            "source": f"{row.get('path', '?')}::{row.get('name', '?')}",
            "microbench_datetime": row.get("datetime"),
            "matching_rows": len(rows),
        }
        if probe["low"] <= 0:
            warnings.append(f"{component}: the probe's {part} range reaches 0; the ratio has no upper bound")
        if row.get("device_name") != profile.get("device_name"):
            warnings.append(f"{component}: measured on {row.get('device_name')!r}, the probe on "
                            f"{profile.get('device_name')!r}: the ratio compares two machines")
        if profile.get("torch_threads") is not None and row.get("torch_threads") != profile.get("torch_threads"):
            warnings.append(f"{component}: {row.get('torch_threads')} torch threads, the probe "
                            f"{profile.get('torch_threads')}")
        if component == "loader_batch":
            if profile.get("workers") is not None and row.get("workers") != profile.get("workers"):
                warnings.append(f"loader_batch: {row.get('workers')} dataloader workers, the probe "
                                f"{profile.get('workers')}")
            if (row.get("workers") or 0) > 0:
                warnings.append("loader_batch: with dataloader workers the probe's data time is the wait left "
                                "after overlap with compute, not the loader's cost: expect a ratio above 1")
        if component == "train_step":
            amp = row.get("extra_info", {}).get("amp")
            precision = profile.get("precision")
            if amp is not None and precision is not None and (precision == "amp") != bool(amp):
                warnings.append(f"train_step: amp={amp} in the microbenchmark, precision {precision!r} "
                                "in the probe")
    if not matching:
        seen = sorted({f"{r.get('model')} {r.get('imgsz')} px batch {r.get('batch')} on {r.get('device')}"
                       for r in microbench_rows})
        warnings.append(f"no microbenchmark of {key['model']} {key['imgsz']} px batch {key['batch']} on "
                        f"{key['device']}" + (f"; found: {', '.join(seen)}" if seen else
                                              "; run `nox -s microbench -- --device ...` first"))
    out["warnings"] = warnings
    return out


__all__ = ["COMPONENTS", "EXTRA_INFO_KEYS", "MAX_ROUNDS", "cross_check", "load_microbench", "rounds_for_budget"]
