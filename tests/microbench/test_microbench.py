"""bench.microbench on hand-made pytest-benchmark files and probe records; numbers worked out in comments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.microbench import MAX_ROUNDS, cross_check, load_microbench, rounds_for_budget


@pytest.mark.parametrize(("budget", "per_call", "min_rounds", "expected"), [
    (30.0, 10.0, 3, 3),       # 30 / 10 = 3
    (30.0, 11.0, 3, 3),       # 2.7 rounds fit; the minimum wins
    (30.0, 1.3, 3, 23),       # floor(23.08)
    (0.0, 5.0, 2, 2),         # no budget: the minimum
    (30.0, 0.001, 3, MAX_ROUNDS),  # 30,000 would fit; capped
    (30.0, 0.0, 3, MAX_ROUNDS),    # a call the clock could not see
])
def test_rounds_for_budget(budget: float, per_call: float, min_rounds: int, expected: int) -> None:
    assert rounds_for_budget(budget, per_call, min_rounds) == expected


@pytest.mark.parametrize(("budget", "per_call", "min_rounds"), [(-1.0, 1.0, 3), (1.0, float("nan"), 3),
                                                                (1.0, 1.0, 0)])
def test_rounds_for_budget_rejects_nonsense(budget: float, per_call: float, min_rounds: int) -> None:
    with pytest.raises(ValueError):
        rounds_for_budget(budget, per_call, min_rounds)


def bench_entry(component: str, median: float, q1: float, q3: float, **extra: Any) -> dict[str, Any]:
    info = {"component": component, "device": "cpu", "device_name": "AMD EPYC", "model": "yolov8n",
            "imgsz": 640, "batch": 16, "workers": 0, "images_per_batch": 16, "torch_threads": 1,
            "seconds_per_image": median / 16, "amp": False, "warmup_seconds": [2 * median]}
    info.update(extra)
    return {"name": f"test_{component}", "extra_info": info,
            "stats": {"median": median, "q1": q1, "q3": q3, "min": q1, "max": q3, "rounds": 3,
                      "data": [q1, median, q3]}}


def write(path: Path, benchmarks: list[dict[str, Any]], stamp: str) -> Path:
    path.write_text(json.dumps({"machine_info": {}, "benchmarks": benchmarks, "datetime": stamp, "version": "5.2.3"}))
    return path


@pytest.fixture
def mb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "microbench"
    d.mkdir()
    # the newer run sorts first by file name: rows must come back in time order all the same
    write(d / "a-newer.json", [bench_entry("train_step", 11.0, 10.0, 12.5),
                               bench_entry("loader_batch", 0.4, 0.35, 0.5)], "2026-11-29T10:00:00+00:00")
    write(d / "b-older.json", [bench_entry("train_step", 20.0, 19.0, 21.0)], "2026-11-28T10:00:00+00:00")
    (d / "c-broken.json").write_text('{"benchmarks": [')
    (d / "d-probe-record.json").write_text(json.dumps({"schema_version": 1, "run_id": "x"}))
    write(d / "e-no-info.json", [{"name": "test_x", "extra_info": {}, "stats": {"median": 1.0}}], "2026")
    write(d / "f-empty.json", [], "2026")
    bad_time = bench_entry("train_step", 0.0, 0.0, 0.0)
    write(d / "g-zero.json", [bad_time], "2026")
    (d / "notes.txt").write_text("not json, not read")
    return d


def test_load_microbench_rows_and_reasons(mb_dir: Path) -> None:
    skipped: list[str] = []
    rows = load_microbench(mb_dir, skipped=skipped)
    assert [(Path(r["path"]).name, r["component"], r["median_seconds"]) for r in rows] == [
        ("b-older.json", "train_step", 20.0),
        ("a-newer.json", "loader_batch", 0.4),
        ("a-newer.json", "train_step", 11.0),
    ]
    row = rows[-1]
    assert (row["q1_seconds"], row["q3_seconds"], row["rounds"], row["seconds_per_image"]) == (10.0, 12.5, 3, 11 / 16)
    assert row["data_seconds"] == [10.0, 11.0, 12.5] and row["warmup_seconds"] == [22.0]
    reasons = {Path(s.split(": ", 1)[0]).name: s.split(": ", 1)[1] for s in skipped}
    assert set(reasons) == {"c-broken.json", "d-probe-record.json", "e-no-info.json", "f-empty.json", "g-zero.json"}
    assert "not valid JSON" in reasons["c-broken.json"]
    assert "not a pytest-benchmark JSON file" in reasons["d-probe-record.json"]
    assert "extra_info lacks component, device" in reasons["e-no-info.json"]
    assert "holds no benchmarks" in reasons["f-empty.json"]
    assert "median time 0.0 is not positive" in reasons["g-zero.json"]


def test_load_microbench_missing_dir(tmp_path: Path) -> None:
    assert load_microbench(tmp_path / "nothing") == []


def probe_record(**profile_over: Any) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "device_type": "cpu", "device_name": "AMD EPYC", "precision": "fp32", "model": "yolov8n", "imgsz": 640,
        "batch": 16, "workers": 0, "torch_threads": 1,
        "mosaic": {"compute_seconds_per_batch": {"median": 10.0, "low": 8.0, "high": 12.5},
                   "data_seconds_per_batch": {"median": 0.5, "low": 0.4, "high": 0.625}},
    }
    profile.update(profile_over)
    return {"run_id": "20261128T180143Z-cpu-probe-c84d97", "status": "complete", "device": "cpu",
            "profile": profile}


def test_cross_check_ratios(mb_dir: Path) -> None:
    out = cross_check(load_microbench(mb_dir), probe_record())
    assert (out["model"], out["imgsz"], out["batch"], out["device"]) == ("yolov8n", 640, 16, "cpu")
    step = out["train_step"]
    # the newer of the two train_step runs: 11 s (quartiles 10-12.5) against the probe's 10 s (8-12.5)
    assert Path(step["source"].split("::")[0]).name == "a-newer.json" and step["matching_rows"] == 2
    assert step["ratio"] == pytest.approx({"median": 1.1,     # 11 / 10
                                           "low": 0.8,        # 10 / 12.5
                                           "high": 1.5625})   # 12.5 / 8
    loader = out["loader_batch"]
    assert loader["probe_seconds"] == {"median": 0.5, "low": 0.4, "high": 0.625}
    assert loader["ratio"] == pytest.approx({"median": 0.8,   # 0.4 / 0.5
                                             "low": 0.56,     # 0.35 / 0.625
                                             "high": 1.25})   # 0.5 / 0.4
    assert out["warnings"] == []


def test_cross_check_warns_about_what_moves_the_ratio() -> None:
    rows = load_microbench(Path("/nonexistent"))  # nothing measured
    out = cross_check(rows, probe_record())
    assert out["train_step"] is None and out["loader_batch"] is None
    assert out["warnings"] == ["no microbenchmark of yolov8n 640 px batch 16 on cpu; "
                               "run `nox -s microbench -- --device ...` first"]

    gpu_rows = [
        {"path": "r.json", "name": "test_train_step", "datetime": "2026", "component": "train_step",
         "device": "cuda", "device_name": "NVIDIA H200", "model": "yolov8n", "imgsz": 640, "batch": 16,
         "workers": 8, "torch_threads": 16, "median_seconds": 0.1, "q1_seconds": 0.09, "q3_seconds": 0.11,
         "extra_info": {"amp": True}},
        {"path": "r.json", "name": "test_loader_batch", "datetime": "2026", "component": "loader_batch",
         "device": "cuda", "device_name": "NVIDIA H100", "model": "yolov8n", "imgsz": 640, "batch": 16,
         "workers": 8, "torch_threads": 16, "median_seconds": 0.05, "q1_seconds": 0.04, "q3_seconds": 0.06,
         "extra_info": {}},
    ]
    rec = probe_record(device_type="cuda", device_name="NVIDIA H100", precision="fp32", workers=4,
                       torch_threads=1)
    rec["profile"]["mosaic"]["data_seconds_per_batch"] = {"median": 0.01, "low": 0.0, "high": 0.02}
    rec["status"] = "interrupted"
    out = cross_check(gpu_rows, rec)
    assert out["train_step"]["ratio"]["median"] == pytest.approx(0.01)
    assert out["loader_batch"]["ratio"] == pytest.approx({"median": 5.0, "low": 2.0, "high": None})
    w = "\n".join(out["warnings"])
    for expected in ("status is 'interrupted'", "measured on 'NVIDIA H200', the probe on 'NVIDIA H100'",
                     "train_step: 16 torch threads, the probe 1", "amp=True in the microbenchmark",
                     "8 dataloader workers, the probe 4", "expect a ratio above 1", "range reaches 0"):
        assert expected in w
    assert "measured on" not in w.split("loader_batch", 1)[1]  # the loader ran on the probe's machine


def test_cross_check_needs_a_profile() -> None:
    with pytest.raises(ValueError, match="has no profile"):
        cross_check([], {"run_id": "r", "status": "invalid", "profile": None})
