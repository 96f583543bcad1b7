"""Helpers for ``results/review.ipynb``: the records of a results directory as pandas tables.

The notebook stays short by calling these; they load nothing but JSON and import neither torch nor matplotlib
(the notebook draws its own charts, and the report's PNGs come from :mod:`bench.plots`).

Where the notebook looks (:func:`results_dir`): ``$BENCH_RESULTS`` if set, else the kernel's working directory
(Jupyter starts the kernel in the notebook's folder, ``results/``), else ``./results``.

What it reads (:func:`load`), each file through :func:`bench.record.load_records`:

* ``<results>/*.json``: probe and full-run records;
* ``<results>/validation/records/*.json``: the probe and full-run records ``bench validate`` made;
* ``<results>/validation/*.json``: validation records (kind ``validation``) and overhead records (kind
  ``overhead``; these lack the run fields the loader requires, so they are read as plain JSON);
* ``<results>/microbench/*.json`` via :mod:`bench.microbench` when that module exists.

Ranges are shown as ``median [low-high]``: for a run, the 80% t-interval (p10-p90) of the steady-state means widened by
the systematic margin (see README "What the numbers mean"); for a ratio of two ranges, the opposite bounds
paired (low = low / high, high = high / low), so that it holds whatever the two runs' true values are.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

from bench.offline import private_matplotlib_dir

private_matplotlib_dir()  # the notebook imports this first, pyplot later: matplotlib's cache stays out of home

import pandas as pd  # noqa: E402

from bench.extrapolate import epoch_parts  # noqa: E402
from bench.profile import Profile  # noqa: E402
from bench.record import iter_record_files, load_records, when  # noqa: E402
from bench.stats import as_number  # noqa: E402

RESULTS_ENV = "BENCH_RESULTS"
VALIDATION_DIR = Path("validation")
VALIDATION_RUNS_DIR = VALIDATION_DIR / "records"
MICROBENCH_DIR = Path("microbench")
GIB = 2**30

Record = dict[str, Any]


# =============================================================================================== loading


def results_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """``$BENCH_RESULTS``; else the working directory if it holds records; else ``<cwd>/results`` if that exists;
    else the working directory (empty sections then say so)."""
    env = os.environ if env is None else env
    if env.get(RESULTS_ENV):
        return Path(env[RESULTS_ENV]).expanduser().resolve()
    here = (cwd or Path.cwd()).resolve()
    if not any(iter_record_files(here)) and (here / "results").is_dir():
        return here / "results"
    return here


@dataclass
class Review:
    """Everything the notebook shows, loaded once."""

    results: Path
    records: list[Record] = field(default_factory=list)  # probe and full runs, oldest first; "_where" added
    skipped: list[str] = field(default_factory=list)  # "<file>: <why>"
    validation: list[Record] = field(default_factory=list)
    overhead: list[Record] = field(default_factory=list)

    @property
    def runs(self) -> list[Record]:
        """Runs that are not invalid (complete, interrupted)."""
        return [r for r in self.records if r.get("status") != "invalid"]

    @property
    def invalid(self) -> list[Record]:
        return [r for r in self.records if r.get("status") == "invalid"]

    @property
    def valid(self) -> list[Record]:
        return [r for r in self.records if r.get("status") == "complete"]

    def summary(self) -> str:
        return (f"{self.results}: {len(self.records)} run record(s) ({len(self.valid)} complete, "
                f"{len(self.invalid)} invalid), {len(self.validation)} validation, {len(self.overhead)} overhead, "
                f"{len(self.skipped)} file(s) skipped")


def load(results: Path) -> Review:
    """Read every record under ``results`` (see the module docstring); bad files are listed, never fatal."""
    results = Path(results)
    out = Review(results=results)
    for where in (Path("."), VALIDATION_RUNS_DIR):
        loaded = load_records(results / where)
        out.skipped += loaded.skipped
        label = "results" if where == Path(".") else f"results/{where.as_posix()}"
        out.records += [dict(r, _where=label) for r in loaded.records]
    out.records.sort(key=when)

    from bench.validate import backfill_figures, load_validation_dir

    out.validation, out.overhead, skipped = load_validation_dir(results)
    out.skipped += skipped
    for name in ("records", "validation", "overhead"):  # the tables read these shapes without asking again
        kept = []
        for r in getattr(out, name):
            if (why := shape_problem(r)) is None:
                kept.append(r)
            else:
                out.skipped.append(f"{r.get('run_id')}: {why}; left out of the review")
        setattr(out, name, kept)
    backfill_figures(results, out.validation)
    return out


#: The parts of a record the tables read as mappings, and those they read as lists.
_MAPPINGS = ("fingerprint", "summary", "config", "profile", "estimate", "measurements", "seconds_per_epoch",
             "full_run_seconds", "terms", "repeat", "baselines", "speed_drift", "noise_floor", "machine_load",
             "targets", "wall_seconds")
_LISTS = ("warnings", "probe_run_ids")


def shape_problem(rec: Mapping[str, Any]) -> str | None:
    """Why the review's tables cannot read record ``rec`` (a part that should be a mapping or a list is not, a
    name that should be text is a list), or None. The records pass bench's own checks; a hand edit can still
    give them shapes no table expects."""
    for key in _MAPPINGS:
        v = rec.get(key)
        if v is not None and not isinstance(v, Mapping) and not (key == "wall_seconds" and _num(v) is not None):
            return f"{key} is a {type(v).__name__}, not a mapping"
    for key in _LISTS:
        v = rec.get(key)
        if v is not None and not isinstance(v, list):
            return f"{key} is a {type(v).__name__}, not a list"
    cfg = rec.get("config") or {}
    ds = cfg.get("dataset")
    if ds is not None and not isinstance(ds, Mapping):
        return f"config.dataset is a {type(ds).__name__}, not a mapping"
    counts = (ds or {}).get("counts")
    if counts is not None and not isinstance(counts, Mapping):
        return f"config.dataset.counts is a {type(counts).__name__}, not a mapping"
    for part, v in zip(("model", "imgsz", "batch", "train images", "val images"), config_key(rec), strict=True):
        if v is not None and not isinstance(v, str | int | float):
            return f"its {part} is a {type(v).__name__}"
    return None


def skipped_table(skipped: Sequence[str]) -> pd.DataFrame:
    rows = []
    for line in skipped:
        path, _, why = line.partition(": ")
        rows.append({"file": path, "why skipped": why})
    return pd.DataFrame(rows, columns=["file", "why skipped"])


# =============================================================================================== formatting


def _num(x: Any) -> float | None:
    return as_number(x)


def _mapping(x: Any) -> Mapping[str, Any]:
    """``x`` if it is a mapping, else an empty one: a part of a record a hand edit left null, a list or a number
    reads as missing."""
    return x if isinstance(x, Mapping) else {}


def _list(x: Any) -> list[Any]:
    """``x`` if it is a list, else an empty one."""
    return x if isinstance(x, list) else []


def _gib(x: Any) -> str:
    """Bytes as whole GiB ("16"), or "n/a" when ``x`` is not a number."""
    v = _num(x)
    return "n/a" if v is None else f"{v / GIB:.0f}"


def _round(x: Any, digits: int) -> float | None:
    v = _num(x)
    return None if v is None else round(v, digits)


def _rng(d: Any) -> tuple[float, float, float] | None:
    """(median, low, high) of a ``{median, low, high}`` dict, or None."""
    if not isinstance(d, Mapping):
        return None
    vals = [_num(d.get(k)) for k in ("median", "low", "high")]
    if any(v is None for v in vals):
        return None
    m, lo, hi = (float(v) for v in vals if v is not None)
    return m, lo, hi


def _g(x: float) -> str:
    """Three significant digits, no exponent for everyday sizes: 3279, 51.9, 0.683."""
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def range_text(d: Any, scale: float = 1.0, fmt: Callable[[float], str] = _g) -> str:
    """``median [low-high]`` (one number when the range is a point), or ``n/a``."""
    r = _rng(d)
    if r is None:
        return "n/a"
    m, lo, hi = (v * scale for v in r)
    return fmt(m) if lo == hi == m else f"{fmt(m)} [{fmt(lo)}-{fmt(hi)}]"


def _short_time(s: Any) -> str:
    return str(s or "")[:19].replace("T", " ")


def config_key(rec: Mapping[str, Any]) -> tuple[Any, ...]:
    """(model, imgsz, batch, train images, val images): what makes two runs comparable."""
    cfg = rec.get("config") or {}
    prof = rec.get("profile") or {}
    counts = ((cfg.get("dataset") or {}).get("counts")) or {}
    return (cfg.get("model", prof.get("model")), cfg.get("imgsz", prof.get("imgsz")),
            cfg.get("batch", prof.get("batch")), counts.get("train_images", prof.get("train_images")),
            counts.get("val_images", prof.get("val_images")))


def config_text(key: Sequence[Any]) -> str:
    model, imgsz, batch, train, val = key
    return f"{model} {imgsz}px b{batch} {train}/{val} img"


def machine_id(rec: Mapping[str, Any]) -> str | None:
    mid = (rec.get("fingerprint") or {}).get("machine_id")
    return str(mid) if mid else None


# =============================================================================================== runs


def runs_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One row per run: what ran where, its time per epoch and full run (median [low-high]), throughput, memory."""
    rows = []
    for r in records:
        model, imgsz, batch, train, val = config_key(r)
        s = r.get("summary") or {}
        share, ips = _num(s.get("data_wait_share")), _num(s.get("images_per_second"))
        rss, acc = _num(s.get("peak_host_rss_bytes")), _num(s.get("peak_accelerator_bytes"))
        rows.append({
            "run_id": r["run_id"], "where": r.get("_where", ""), "kind": r.get("kind"), "status": r.get("status"),
            "created": _short_time(r.get("created_at")), "device": r.get("device"),
            "device_name": r.get("device_name"), "machine_id": machine_id(r), "model": model, "imgsz": imgsz,
            "batch": batch, "train_images": train, "val_images": val, "epochs": r.get("epochs"),
            "s/epoch [range]": range_text(r.get("seconds_per_epoch")),
            "full run h [range]": range_text(r.get("full_run_seconds"), 1 / 3600),
            "images/s": None if ips is None else round(ips, 3),
            "data wait %": None if share is None else round(100 * share, 1),
            "peak RSS GiB": None if rss is None else round(rss / GIB, 2),
            "peak accel GiB": None if acc is None or r.get("device") == "cpu" else round(acc / GIB, 2),  # cpu: n/a
            "warnings": len(r.get("warnings") or []),
        })
    return pd.DataFrame(rows)


def fingerprints_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The machine behind each run: CPU, RAM, GPU or Apple chip, OS, versions, git commit, machine id."""
    rows = []
    for r in records:
        fp = r.get("fingerprint") or {}
        gpus = "; ".join(f"{g.get('name')} {_gib(g.get('memory_bytes'))} GiB"
                         for g in _list(fp.get("gpus")) if isinstance(g, Mapping))
        ram = _num(fp.get("ram_bytes"))
        commit = str(fp.get("git_commit") or "")[:10]
        rows.append({
            "run_id": r["run_id"], "machine_id": fp.get("machine_id"), "cpu": fp.get("cpu_model"),
            "logical CPUs": fp.get("cpu_affinity") or fp.get("cpu_logical"),
            "RAM GiB": None if ram is None else round(ram / GIB, 1), "GPU": gpus or None,
            "Apple chip": fp.get("apple_chip"), "OS": f"{fp.get('os') or ''} {fp.get('os_release') or ''}".strip(),
            "python": fp.get("python"), "torch": fp.get("torch"), "ultralytics": fp.get("ultralytics"),
            "git commit": (commit + (" (dirty)" if fp.get("git_dirty") else "")) or None,
        })
    return pd.DataFrame(rows)


def invalid_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{"run_id": r["run_id"], "where": r.get("_where", ""), "kind": r.get("kind"),
                          "created": _short_time(r.get("created_at")), "device": r.get("device"),
                          "config": config_text(config_key(r)), "why invalid": r.get("invalid_reason")}
                         for r in records],
                        columns=["run_id", "where", "kind", "created", "device", "config", "why invalid"])


# =============================================================================================== time breakdown

PROBE_PARTS = ("setup", "data", "compute", "val", "epoch_fixed", "final")
EPOCH_PARTS = ("data", "compute", "val", "overhead")
#: Colours of the parts in the notebook's charts (those of bench.plots.COLORS where the part is the same).
PART_COLORS = {"setup": "#7f7f7f", "data": "#ff7f0e", "compute": "#1f77b4", "val": "#2ca02c",
               "epoch_fixed": "#9467bd", "overhead": "#9467bd", "final": "#8c564b"}


def probe_parts_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """``summary.parts_seconds``: where the measured run's own wall time went, in seconds (index: run_id)."""
    rows = {}
    for r in records:
        parts = (r.get("summary") or {}).get("parts_seconds")
        if isinstance(parts, Mapping):
            rows[str(r["run_id"])] = {k: _num(parts.get(k)) or 0.0 for k in PROBE_PARTS}
    df = pd.DataFrame.from_dict(rows, orient="index", columns=list(PROBE_PARTS))
    df["total"] = df.sum(axis=1)
    df.index.name = "run_id"
    return df


def epoch_parts_table(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One extrapolated epoch from each record's profile, per phase (mosaic on, then off): data wait, compute,
    validation pass, epoch overhead, in median seconds (index: run_id, phase). Records without a readable profile
    are left out."""
    rows = []
    for r in records:
        if not isinstance(r.get("profile"), Mapping):
            continue
        try:
            prof = Profile.from_dict(dict(r["profile"]))
            phases = [(name, epoch_parts(prof, phase)) for name, phase in (("mosaic", prof.mosaic),
                                                                           ("no mosaic", prof.plain))]
        except (KeyError, TypeError, ValueError, ArithmeticError):
            continue
        for name, parts in phases:
            rows.append({"run_id": str(r["run_id"]), "phase": name, **parts})
    df = pd.DataFrame(rows, columns=["run_id", "phase", *EPOCH_PARTS]).set_index(["run_id", "phase"])
    df["total"] = df.sum(axis=1)
    return df


def shares(df: pd.DataFrame, parts: Sequence[str]) -> pd.DataFrame:
    """Each part as a percentage of the row's total (for 100%-stacked bars)."""
    sub = df[list(parts)]
    total = sub.sum(axis=1).where(lambda s: s > 0)
    return sub.div(total, axis=0).mul(100).fillna(0.0)


# =============================================================================================== report


def report_table(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The report's rows (``bench.report.build_rows``) with their ranges, one line per instance."""
    def span(r: Mapping[str, Any], key: str, lo: str, hi: str, scale: float = 1.0) -> str:
        return range_text({"median": r.get(key), "low": r.get(lo), "high": r.get(hi)}, scale)

    out = []
    for r in rows:
        out.append({
            "instance": r["instance"], "accelerator": r.get("accelerator"), "USD/h": r.get("hourly_usd"),
            "hours [range]": span(r, "hours", "hours_low", "hours_high"),
            "on-demand USD [range]": span(r, "cost_usd", "cost_low", "cost_high"),
            "spot USD [range]": span(r, "spot_cost_usd", "spot_low", "spot_high"),
            "speedup [range]": span(r, "speedup", "speedup_low", "speedup_high"),
            "basis": r.get("basis"), "bottleneck": r.get("bottleneck"),
            "notes": f"n/a: {r['reason']}" if r.get("reason") else "; ".join(r.get("notes") or []),
        })
    return pd.DataFrame(out)


def recommendation_lines(rec: Mapping[str, Any]) -> list[str]:
    """The report's recommendation (``bench.report.recommend``) in a few lines."""
    out = []
    for label, key in (("fastest", "fastest"), ("cheapest on-demand", "cheapest_on_demand"),
                       ("cheapest spot", "cheapest_spot"), ("best value", "best_value")):
        out.append(f"{label}: {rec.get(key) or 'none'}")
    if rec.get("pareto_front"):
        out.append("Pareto front (nothing else both faster and cheaper): " + " -> ".join(rec["pareto_front"]))
    if rec.get("fastest_overlaps"):
        out.append(f"the fastest's time range overlaps {', '.join(rec['fastest_overlaps'])}: ranking uncertain")
    if rec.get("nothing_qualifies"):
        out.append(f"nothing qualifies: {rec['nothing_qualifies']}")
    if rec.get("unpriced"):
        out.append(f"no price in this region: {', '.join(rec['unpriced'])}")
    return out


# =============================================================================================== comparisons


def ratio_range(newer: tuple[float, float, float], older: tuple[float, float, float]
                ) -> tuple[float, float, float]:
    """newer / older with the opposite bounds paired: (median, low / high, high / low)."""
    def div(a: float, b: float) -> float:
        return a / b if b > 0 else math.inf

    return div(newer[0], older[0]), div(newer[1], older[2]), div(newer[2], older[1])


def verdict(newer: tuple[float, float, float], older: tuple[float, float, float]) -> str:
    """'regression?' when the newer run's whole range lies above the older run's, 'faster?' when below it, else
    'within ranges'. Ranges that do not overlap, not a median past a bound: a probe's range is its own sampling
    noise plus a margin, and a machine drifts by about that much between runs (the validations measure it), so
    a median past a bound flagged 33 of 114 consecutive pairs on the reference machine (17 of them between runs
    of the same code and libraries); non-overlapping ranges flag 4."""
    if newer[1] > older[2]:
        return "regression?"
    if newer[2] < older[1]:
        return "faster?"
    return "within ranges"


def changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """What differs between two runs' software: git commit, torch, ultralytics, Python ("none" if nothing)."""
    fo, fn = old.get("fingerprint") or {}, new.get("fingerprint") or {}
    out = []
    for k in ("git_commit", "torch", "ultralytics", "python"):
        a, b = fo.get(k), fn.get(k)
        if a != b:
            if k == "git_commit":
                a, b = str(a or "?")[:8], str(b or "?")[:8]
            out.append(f"{k} {a} -> {b}")
    return "; ".join(out) or "none"


def compare_pairs(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Pairs (older, newer) of complete runs of one configuration (:func:`config_key`) and one kind, with the
    ratio of seconds per epoch (newer / older) and its range. Not every pair, which would grow with the square of
    the runs and mostly repeat the machine's noise, but:

    * the regression check: each run against the one just before it on the same machine and device (a chain);
    * across machines or devices: the newest run of each machine and device against the newest of each other.

    ``check``: for one machine and device, :func:`verdict`; otherwise what the pair mixes ("mixes machines ...",
    "mixes devices ..."), since the difference is the hardware, not a regression. A probe against a full run is the
    probe's prediction error, left to the validation. ``same_machine`` is True only for a known, equal machine id.
    """
    sites: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for r in records:
        if r.get("status") == "complete" and _rng(r.get("seconds_per_epoch")) is not None:
            key = (config_key(r), r.get("kind"), machine_id(r), r.get("device"), r.get("device_name"))
            sites.setdefault(key, []).append(r)
    chains: list[tuple[Mapping[str, Any], Mapping[str, Any]]] = []
    newest: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for key, rs in sites.items():
        rs = sorted(rs, key=when)
        chains += list(pairwise(rs))
        newest.setdefault(key[:2], []).append(rs[-1])
    across = [pair for rs in newest.values() for pair in combinations(sorted(rs, key=when), 2)]
    rows = []
    for old, new in sorted(chains + across, key=lambda p: (config_text(config_key(p[0])), when(p[1]))):
        o, n = _rng(old["seconds_per_epoch"]), _rng(new["seconds_per_epoch"])
        assert o is not None and n is not None
        mo, mn = machine_id(old), machine_id(new)
        same_machine = mo is not None and mo == mn
        same_device = old.get("device") == new.get("device") and old.get("device_name") == new.get("device_name")
        if not same_machine:
            check = f"mixes machines ({mo or 'unknown'} vs {mn or 'unknown'}): not a regression check"
        elif not same_device:
            check = (f"mixes devices ({old.get('device')} {old.get('device_name')} vs {new.get('device')} "
                     f"{new.get('device_name')}): not a regression check")
        else:
            check = verdict(n, o)
        m, lo, hi = ratio_range(n, o)
        rows.append({
            "config": config_text(config_key(old)), "older": old["run_id"], "newer": new["run_id"],
            "machines": mo if same_machine else f"{mo} -> {mn}",
            "devices": (f"{old.get('device_name')}" if old.get("device_name") == new.get("device_name")
                        else f"{old.get('device_name')} -> {new.get('device_name')}"),
            "kind": old.get("kind"),
            "older s/epoch": range_text(old["seconds_per_epoch"]),
            "newer s/epoch": range_text(new["seconds_per_epoch"]),
            "ratio newer/older [range]": f"{m:.3f} [{lo:.3f}-{hi:.3f}]",
            "check": check, "software changed": changes(old, new), "same_machine": same_machine,
            "same_device": same_device,
        })
    cols = ["config", "older", "newer", "machines", "devices", "kind", "older s/epoch", "newer s/epoch",
            "ratio newer/older [range]", "check", "software changed", "same_machine", "same_device"]
    return pd.DataFrame(rows, columns=cols)


def regression_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs of one machine and one device (the regression check)."""
    keep = pairs["same_machine"] & pairs["same_device"]
    return pairs[keep].drop(columns=["same_machine", "same_device"]).reset_index(drop=True)


def cross_pairs(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs across machines or devices."""
    keep = ~(pairs["same_machine"] & pairs["same_device"])
    return pairs[keep].drop(columns=["same_machine", "same_device"]).reset_index(drop=True)


# =============================================================================================== validation


def validation_table(vrecs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Predicted vs actual full-run time, the signed error, whether actual fell in the range, the probe's cost."""
    from bench.validate import inside_range

    rows = []
    for v in vrecs:
        cfg = v.get("config") or {}
        tg = v.get("targets") or {}
        counts = (cfg.get("dataset") or {}).get("counts") or {}
        err, share = _num(v.get("error_pct")), _num(v.get("probe_share"))
        rows.append({
            "run_id": v["run_id"], "device": f"{v.get('device')} ({v.get('device_name')})",
            "machine_id": machine_id(v),
            "workload": f"{cfg.get('model')} {cfg.get('imgsz')}px b{cfg.get('batch')} "
                        f"{counts.get('train_images')}/{counts.get('val_images')} img, {v.get('epochs')} epochs",
            "predicted s [range]": range_text({"median": v.get("predicted_seconds"), "low": v.get("predicted_low"),
                                               "high": v.get("predicted_high")}),
            "actual s": _g(float(v["actual_seconds"])) if _num(v.get("actual_seconds")) is not None else "n/a",
            "error %": None if err is None else round(err, 2),
            "actual in range": inside_range(v),
            "probe s": _round(v.get("probe_seconds"), 1),
            "probe share %": None if share is None else round(100 * share, 1),
            "repeats": (v.get("repeat") or {}).get("n"),
            "other CPU % probe/full": _load_text(v.get("machine_load")),
            "targets": ", ".join(f"{k}={'yes' if tg.get(k) else 'NO'}"
                                 for k in ("error_met", "probe_share_met", "beats_baselines") if k in tg),
            "warnings": "; ".join(str(w) for w in v.get("warnings") or []),
        })
    return pd.DataFrame(rows)


def _load_text(cpu: Any) -> str | None:
    """Other processes' share of the CPU during the probe(s) and the full run (``bench.load``), e.g. "1/45"."""
    try:
        return "/".join(f"{float(p['other_pct']):.0f}" for p in [*cpu["probes"], cpu["full_run"]])
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def baselines_table(vrecs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The probe and the naive estimates side by side: predicted seconds, error %, seconds it cost to observe."""
    rows = []
    for v in vrecs:
        if _num(v.get("error_pct")) is not None:
            rows.append({"run_id": v["run_id"], "method": "probe (bench)",
                         "predicted s": _round(v.get("predicted_seconds"), 1), "error %": _round(v["error_pct"], 2),
                         "cost to observe s": _round(v.get("probe_seconds"), 1)})
        for name, b in (v.get("baselines") or {}).items():
            b = _mapping(b)
            err = _num(b.get("error_pct"))
            rows.append({"run_id": v["run_id"], "method": name, "predicted s": _round(b.get("predicted_seconds"), 1),
                         "error %": None if err is None else round(err, 2),
                         "cost to observe s": _round(b.get("cost_seconds"), 1)})
    return pd.DataFrame(rows, columns=["run_id", "method", "predicted s", "error %", "cost to observe s"])


def validation_summary_table(vrecs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Over every validation of one workload: each method's bias, mean |error| and worst error, how often the probe
    came closer, and the paired verdict; then the same at one machine speed (each prediction rescaled by the full
    run's step time over the one it watched, ``bench.validate.speed_drift``) and how far the machine drifted
    (``bench validate --summary``), the machine's floor for what each method watched
    (``bench.validate.noise_floor``), and the raw errors over the runs whose machine was measured quiet
    (``bench.load``)."""
    from bench.validate import aggregate

    rows = []
    for g in aggregate([dict(v) for v in vrecs]):
        w = g["workload"]
        wl = (f"{w['model']} {w['imgsz']}px b{w['batch']} {w['train_images']}/{w['val_images']} img, "
              f"{w['epochs']} epochs, budget {w['budget_seconds']} s"
              + (f" x {w['repeat']} probes" if (w.get("repeat") or 1) > 1 else ""))
        adj = g.get("speed_adjusted") or {}
        q = g.get("quiet") or {}
        fl = g.get("noise_floor") or {}
        methods: list[tuple[str, dict[str, float], float, str | None, str | None, Any, Any, Any, Any]] = [
            ("probe (bench)", g["probe"], g["probe_seconds"], None, None, adj.get("probe"), None, q.get("probe"),
             None)]
        methods += [(n, st, g["baseline_cost_seconds"][n], f"{g['probe_closer'][n]}/{g['n']}", g["verdicts"][n],
                     (adj.get("baselines") or {}).get(n), (adj.get("verdicts") or {}).get(n),
                     (q.get("baselines") or {}).get(n), (q.get("verdicts") or {}).get(n))
                    for n, st in g["baselines"].items()]
        for name, st, cost, closer, verdict, one, one_verdict, calm, calm_verdict in methods:
            floor = fl.get("probe" if name == "probe (bench)" else name) or {}
            rows.append({"workload": wl, "runs": g["n"], "method": name, "bias %": round(st["mean_pct"], 2),
                         "mean |error| %": round(st["mae_pct"], 2), "worst %": round(st["max_abs_pct"], 2),
                         "observes s": _round(cost, 1), "probe closer": closer, "verdict (paired)": verdict,
                         "one speed: bias %": _round(one and one["mean_pct"], 2),
                         "one speed: mean |error| %": _round(one and one["mae_pct"], 2),
                         "one speed: verdict": one_verdict,
                         "machine drift, mean |%|": _round(adj.get("drift", {}).get("mean_abs_pct"), 1),
                         "floor: watched s": _round(floor.get("watched_seconds"), 1),
                         "floor: mean |error| %": _round(floor.get("mae_pct"), 2),
                         "floor: share within target": _round(floor.get("within_target"), 3),
                         "quiet runs": q.get("n"),
                         "quiet: mean |error| %": _round(calm and calm["mae_pct"], 2),
                         "quiet: verdict": calm_verdict})
    return pd.DataFrame(rows, columns=["workload", "runs", "method", "bias %", "mean |error| %", "worst %",
                                       "observes s", "probe closer", "verdict (paired)", "one speed: bias %",
                                       "one speed: mean |error| %", "one speed: verdict",
                                       "machine drift, mean |%|", "floor: watched s", "floor: mean |error| %",
                                       "floor: share within target", "quiet runs", "quiet: mean |error| %",
                                       "quiet: verdict"])


def terms_table(vrecs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Each term of an epoch, predicted by the probe vs measured in the full run (median seconds)."""
    rows = []
    for v in vrecs:
        for name, t in (v.get("terms") or {}).items():
            t = _mapping(t)
            rows.append({"run_id": v["run_id"], "term": name, "predicted s": _round(t.get("predicted_seconds"), 3),
                         "actual s": _round(t.get("actual_seconds"), 3), "error %": _round(t.get("error_pct"), 1)})
    return pd.DataFrame(rows, columns=["run_id", "term", "predicted s", "actual s", "error %"])


def overhead_table(orecs: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The harness's own cost: wall-time ratio instrumented / bare (median [min-max]) and the callback share."""
    rows = []
    for o in orecs:
        share = _num(o.get("callback_share_median"))
        rows.append({
            "run_id": o["run_id"], "device": f"{o.get('device')} ({o.get('device_name')})", "pairs": o.get("pairs"),
            "wall ratio A/B [min-max]": range_text({"median": o.get("ratio_median"), "low": o.get("ratio_min"),
                                                    "high": o.get("ratio_max")}, fmt=lambda x: f"{x:.4f}"),
            "callback share %": None if share is None else round(100 * share, 3),
            "target met (< 1%)": o.get("overhead_met"),
        })
    return pd.DataFrame(rows)


# =============================================================================================== microbench


@dataclass
class MicrobenchReview:
    message: str  # what was found, or why there is nothing to show
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    checks: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)


def microbench_review(results: Path, records: Sequence[Mapping[str, Any]]) -> MicrobenchReview:
    """Microbenchmarks of ``<results>/microbench/`` and their cross-check against the newest complete run of each
    configuration (:func:`bench.microbench.cross_check`). Degrades to a message when the module or the data are
    missing, or when the module's interface is not what this helper expects."""
    try:
        from bench import microbench
    except ImportError:
        return MicrobenchReview("bench.microbench is not part of this version of bench: no cross-check")
    d = Path(results) / MICROBENCH_DIR
    if not d.is_dir() or not any(iter_record_files(d)):
        return MicrobenchReview(f"no microbenchmark data in {d} yet (run `nox -s microbench -- --device cpu`)")
    try:
        skipped: list[str] = []
        rows = microbench.load_microbench(d, skipped=skipped)
        out = MicrobenchReview(f"{len(rows)} benchmark(s) in {d}", warnings=[f"skipped {s}" for s in skipped])
        if not rows:
            out.message = f"no usable microbenchmark in {d}"
            return out
        keep = ["datetime", "name", "component", "device", "device_name", "model", "imgsz", "batch", "workers",
                "torch_threads", "median_seconds", "q1_seconds", "q3_seconds", "rounds", "seconds_per_image"]
        out.rows = pd.DataFrame([{k: r.get(k) for k in keep} for r in rows])
        newest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
        for r in records:
            if r.get("status") == "complete" and isinstance(r.get("profile"), Mapping):
                newest[(*config_key(r), r.get("device"), machine_id(r))] = r
        checks: list[dict[str, Any]] = []
        unmatched: list[str] = []
        for rec in newest.values():
            cc = microbench.cross_check(rows, rec)
            found = [(comp, cc[comp]) for comp in microbench.COMPONENTS if cc.get(comp) is not None]
            warns = [f"{cc.get('probe_run_id')}: {w}" for w in cc.get("warnings") or []]
            if not found:  # a run no benchmark matches: one line at most, below
                unmatched += warns
                continue
            for comp, c in found:
                checks.append({"probe run": cc.get("probe_run_id"), "component": comp,
                               "microbench s [q1-q3]": range_text(c["microbench_seconds"]),
                               "probe s [range]": range_text(c["probe_seconds"]),
                               "ratio microbench/probe [range]": range_text(c["ratio"]), "source": c.get("source")})
            out.warnings += warns
        if not checks:
            out.message += "; none matches the configuration and device of a complete run"
            out.warnings += unmatched[-1:]
        out.checks = pd.DataFrame(checks)
        return out
    except Exception as e:  # an interface still in progress must not stop the rest of the review
        return MicrobenchReview(f"microbench cross-check failed: {type(e).__name__}: {e}")
