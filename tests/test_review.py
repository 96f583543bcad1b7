"""bench.review against hand-edited records: a field of the wrong shape shows as missing (None / n/a) or the record
is listed as skipped with a reason; no table the notebook shows raises."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from bench import review

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL = "20261128T180143Z-cpu-probe-c84d97"
RERUN = "20261130T090000Z-cpu-probe-5105e5"
VALIDATION = "20261130T120000Z-cpu-validate-7a11d0"
OVERHEAD = "20261130T130000Z-cpu-overhead-0fe4ad"
GIB = 2**30
_BAD = (None, [1], "x", 10**400)  # what a hand edit may leave: null, a list, text, a number no float holds
_BAD_IDS = ["null", "list", "text", "huge"]


# --------------------------------------------------------------------------------------------- fixtures


def _base() -> dict[str, Any]:
    """The report fixture's probe record, on a machine that also has a GPU (so that the fingerprint's GPU list is
    there to be edited)."""
    rec = json.loads((FIXTURES / "results" / f"{REAL}.json").read_text(encoding="utf-8"))
    rec["fingerprint"]["gpus"] = [{"name": "Tesla T4", "memory_bytes": 16 * GIB}]
    return rec


def _validation(base: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": 1, "run_id": VALIDATION, "kind": "validation", "status": "complete",
        "created_at": "2026-11-30T12:00:00.000000Z", "device": "cpu", "device_name": "AMD EPYC",
        "fingerprint": copy.deepcopy(base["fingerprint"]),
        "config": {"model": "yolov8n", "imgsz": 320, "batch": 16, "close_mosaic": 3, "budget_seconds": 40.0,
                   "repeat": 1, "dataset": {"synthetic": {"key": "6fba682d2482"},
                                            "counts": {"train_images": 320, "val_images": 64}}},
        "epochs": 6, "probe_run_ids": ["p"], "full_run_id": "f",
        "predicted_seconds": 319.0, "predicted_low": 287.6, "predicted_high": 350.2, "actual_seconds": 316.7,
        "error_pct": 0.73, "within_range": True, "probe_seconds": 43.4, "probe_share": 0.137,
        "baselines": {"first_epoch_x_n": {"predicted_seconds": 292.0, "cost_seconds": 49.9, "error_pct": -7.8},
                      "mean_first_3_x_n": {"predicted_seconds": 305.7, "cost_seconds": 154.0, "error_pct": -3.5}},
        "terms": {"val_pass": {"predicted_seconds": 2.86, "actual_seconds": 2.87, "error_pct": -0.4},
                  "epoch_fixed": {"predicted_seconds": 0.54, "actual_seconds": 0.30, "error_pct": 84.3}},
        "repeat": {"n": 1, "predictions": [319.0], "median": 319.0, "iqr": 0.0},
        "targets": {"error_within_pct": 5.0, "error_met": True, "probe_share_max": 0.15, "probe_share_met": True,
                    "beats_baselines": True},
        "warnings": ["a warning"], "epoch_noise_pct": 2.0,
        "machine_load": {"probes": [{"seconds": 43.4, "own_pct": 50.2, "other_pct": 1.2, "steal_pct": 0.1}],
                         "full_run": {"seconds": 316.7, "own_pct": 49.8, "other_pct": 23.6, "steal_pct": 0.3},
                         "full_run_epochs": {}},
        "speed_drift": {"seconds_per_step": {"probe": 0.5, "full_run": 0.51}, "drift_pct": 1.0,
                        "adjusted_error_pct": {"probe": 0.5, "first_epoch_x_n": -7.0, "mean_first_3_x_n": -3.0}},
        "noise_floor": {"steps": 100, "step_seconds": 0.5,
                        "watched_seconds": {"probe": 40.0, "first_epoch_x_n": 50.0, "mean_first_3_x_n": 150.0},
                        "floor": {k: {"mae_pct": 1.0, "within_target": 0.9, "windows": 10, "window_seconds": 40.0}
                                  for k in ("probe", "first_epoch_x_n", "mean_first_3_x_n")}},
        "seconds_per_epoch": {"median": 51.9, "low": 48.7, "high": 53.7},
        "full_run_seconds": {"median": 316.7, "low": 316.7, "high": 316.7},
    }


def _overhead() -> dict[str, Any]:
    return {
        "schema_version": 1, "run_id": OVERHEAD, "kind": "overhead", "status": "complete",
        "created_at": "2026-11-30T13:00:00.000000Z", "device": "cpu", "device_name": "AMD EPYC", "pairs": 2,
        "wall_seconds": {"instrumented": [60.0, 61.0], "bare": [59.8, 60.9]}, "ratio_median": 1.0025,
        "ratio_min": 1.0016, "ratio_max": 1.0033, "ratios": [1.0033, 1.0016], "callback_share_median": 0.0012,
        "overhead_met": True}


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def make_results(root: Path) -> tuple[Path, dict[Path, dict[str, Any]]]:
    """A results directory: the fixture's probe, a rerun of it on the same machine (so that runs pair), a
    validation record and an overhead record. Returns it and each file's record."""
    results = root / "results"
    base = _base()
    rerun = copy.deepcopy(base)
    rerun.update(run_id=RERUN, created_at="2026-11-30T09:00:00.000000Z", finished_at="2026-11-30T09:02:00.000000Z")
    files = {results / f"{REAL}.json": base, results / f"{RERUN}.json": rerun,
             results / "validation" / f"{VALIDATION}.json": _validation(base),
             results / "validation" / f"{OVERHEAD}.json": _overhead()}
    for path, rec in files.items():
        _write(path, rec)
    return results, files


def notebook_tables(results: Path) -> review.Review:
    """Everything the notebook builds from ``bench.review`` (its cells, in order); raises what they raise."""
    R = review.load(results)
    R.summary()
    review.skipped_table(R.skipped)
    review.runs_table(R.runs)
    review.fingerprints_table(R.records)
    review.invalid_table(R.invalid)
    parts, epoch = review.probe_parts_table(R.runs), review.epoch_parts_table(R.runs)
    review.shares(parts, review.PROBE_PARTS)
    review.shares(epoch, review.EPOCH_PARTS)
    pairs = review.compare_pairs(R.runs)
    review.regression_pairs(pairs)
    review.cross_pairs(pairs)
    review.validation_table(R.validation)
    review.baselines_table(R.validation)
    review.validation_summary_table(R.validation)
    review.terms_table(R.validation)
    review.overhead_table(R.overhead)
    review.microbench_review(results, R.runs)
    return R


# --------------------------------------------------------------------------------------------- the findings


def test_gpu_memory_that_is_not_a_number_shows_as_missing(tmp_path: Path) -> None:
    results, files = make_results(tmp_path)
    path = results / f"{REAL}.json"
    rec = files[path]
    rec["fingerprint"]["gpus"] = [{"name": "Tesla T4", "memory_bytes": "16 GiB"},
                                  {"name": "A10G", "memory_bytes": [1]},
                                  {"name": "L4", "memory_bytes": 10**400},
                                  {"name": "H100", "memory_bytes": 80 * GIB}, "not a gpu"]
    _write(path, rec)
    fp = review.fingerprints_table(review.load(results).records).set_index("run_id")
    assert fp.loc[REAL, "GPU"] == "Tesla T4 n/a GiB; A10G n/a GiB; L4 n/a GiB; H100 80 GiB"
    assert fp.loc[RERUN, "GPU"] == "Tesla T4 16 GiB"
    rec["fingerprint"]["gpus"] = 10**400  # not a list
    _write(path, rec)
    fp = review.fingerprints_table(review.load(results).records).set_index("run_id")
    assert pd.isna(fp.loc[REAL, "GPU"]) and fp.loc[REAL, "machine_id"] == "51eeb48be65a"


def test_validation_warnings_noise_and_load_of_the_wrong_shape(tmp_path: Path) -> None:
    """Warnings that are not text are shown as text; an epoch noise no float holds and load counters whose probes
    are not a list read as missing in the summary; the record stays in every table."""
    results, files = make_results(tmp_path)
    path = results / "validation" / f"{VALIDATION}.json"
    files[path].update(warnings=["busy", 3, None], epoch_noise_pct=10**400)
    files[path]["machine_load"]["probes"] = 7
    _write(path, files[path])
    R = notebook_tables(results)
    assert [v["run_id"] for v in R.validation] == [VALIDATION] and not R.skipped
    row = review.validation_table(R.validation).iloc[0]
    assert row["warnings"] == "busy; 3; None"
    assert row["other CPU % probe/full"] is None
    assert row["error %"] == 0.73
    summary = review.validation_summary_table(R.validation).set_index("method")
    assert summary.loc["probe (bench)", "mean |error| %"] == 0.73
    assert summary.loc["first_epoch_x_n", "mean |error| %"] == 7.8
    assert summary["quiet runs"].isna().all()  # the load counters are unreadable: not known to be quiet


@pytest.mark.parametrize("bad", _BAD, ids=_BAD_IDS)
def test_baselines_that_are_not_mappings_show_as_missing(tmp_path: Path, bad: Any) -> None:
    results, files = make_results(tmp_path)
    path = results / "validation" / f"{VALIDATION}.json"
    files[path]["baselines"]["first_epoch_x_n"] = bad
    _write(path, files[path])
    R = notebook_tables(results)
    b = review.baselines_table(R.validation).set_index("method")
    assert list(b.index) == ["probe (bench)", "first_epoch_x_n", "mean_first_3_x_n"]
    assert b.loc["first_epoch_x_n", ["predicted s", "error %", "cost to observe s"]].isna().all()
    assert b.loc["mean_first_3_x_n", "predicted s"] == 305.7
    assert b.loc["probe (bench)", "error %"] == 0.73


@pytest.mark.parametrize("bad", _BAD, ids=_BAD_IDS)
def test_terms_that_are_not_mappings_show_as_missing(tmp_path: Path, bad: Any) -> None:
    results, files = make_results(tmp_path)
    path = results / "validation" / f"{VALIDATION}.json"
    files[path]["terms"]["val_pass"] = bad
    _write(path, files[path])
    R = notebook_tables(results)
    t = review.terms_table(R.validation).set_index("term")
    assert t.loc["val_pass", ["predicted s", "actual s", "error %"]].isna().all()
    assert t.loc["epoch_fixed", "error %"] == 84.3


def test_cpu_run_has_no_accelerator_memory_and_the_notebook_says_so(tmp_path: Path) -> None:
    results, _ = make_results(tmp_path)
    runs = review.runs_table(review.load(results).runs).set_index("run_id")
    assert runs.loc[REAL, "device"] == "cpu"
    assert pd.isna(runs.loc[REAL, "peak accel GiB"])  # the record says 0 bytes; a CPU has no accelerator memory
    assert runs.loc[REAL, "peak RSS GiB"] == 4.19
    nb = json.loads((Path(__file__).resolve().parent.parent / "results" / "review.ipynb").read_text(encoding="utf-8"))
    text = " ".join(" ".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").split()
    text = " ".join(text)
    assert "0 on cpu" not in text
    assert "`peak accel GiB`: peak GPU or MPS memory, n/a on cpu" in text


# --------------------------------------------------------------------------------------------- fuzz


def _paths(x: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every nested field of ``x`` (of a list, its first element only: the others have the same shape)."""
    items = x.items() if isinstance(x, dict) else enumerate(x[:1]) if isinstance(x, list) else ()
    for k, v in items:
        yield (*at, k)
        yield from _paths(v, (*at, k))


def _replaced(rec: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(rec)
    parent = out
    for k in path[:-1]:
        parent = parent[k]
    parent[path[-1]] = value
    return out


def test_every_field_of_the_wrong_shape_is_survived(tmp_path: Path) -> None:
    """Each nested field of each record in turn replaced by null, a list, a string and a number no float holds:
    every table the notebook shows is built; a record is kept or listed as skipped, never lost silently."""
    results, files = make_results(tmp_path)
    start, failures, tried = time.monotonic(), [], 0
    for path, rec in files.items():
        text = path.read_text(encoding="utf-8")
        for field_path in _paths(rec):
            for bad in _BAD:
                edited = _replaced(rec, field_path, bad)
                path.write_text(json.dumps(edited), encoding="utf-8")
                tried += 1
                try:
                    R = notebook_tables(results)
                except Exception as e:
                    failures.append(f"{path.name} {'.'.join(map(str, field_path))}={bad!r:.20}: "
                                    f"{type(e).__name__}: {e}")
                    continue
                kept = [r["run_id"] for r in [*R.records, *R.validation, *R.overhead]]
                if edited["run_id"] not in kept and not any(path.name in s or rec["run_id"] in s for s in R.skipped):
                    failures.append(f"{path.name} {'.'.join(map(str, field_path))}={bad!r:.20}: neither kept "
                                    f"nor skipped")
        path.write_text(text, encoding="utf-8")
    assert tried > 1000
    assert not failures, "\n".join(failures)
    assert time.monotonic() - start < 120


def test_the_notebook_s_imports_write_nothing_in_home(tmp_path: Path) -> None:
    """The notebook imports bench.review (its first cell) and matplotlib.pyplot later: matplotlib's config and font
    cache go to the private folder in the temporary directory, not the home directory (checked in a fresh process,
    as a kernel is)."""
    import os
    import subprocess
    import sys

    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}
    env |= {"HOME": str(home), "TMPDIR": str(tmp), "MPLBACKEND": "Agg"}
    code = ("import io, bench.review, matplotlib, matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(); ax.set_title('fonts'); fig.savefig(io.BytesIO(), format='png')\n"
            "print(matplotlib.get_configdir())")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(tmp / f"bench-matplotlib-{os.getuid()}")
    assert list(home.iterdir()) == []
