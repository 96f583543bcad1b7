"""The component benchmarks run for real at a tiny size, in a subprocess as `nox -s microbench` runs them, and
write the JSON that bench.microbench reads (about 15 s on a 2-core CPU)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.microbench import EXTRA_INFO_KEYS, load_microbench

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.mark.slow
def test_benchmarks_write_their_json(tmp_path: Path) -> None:
    out = tmp_path / "results" / "20260101T000000Z-cpu.json"
    out.parent.mkdir()
    cmd = [sys.executable, "-m", "pytest", str(HERE / "bench_components.py"), "-q", "-p", "no:cacheprovider",
           "--basetemp", str(tmp_path / "tmp"), "--device", "cpu", "--imgsz", "64", "--batch", "2",
           "--mb-budget", "0", "--mb-min-rounds", "2", "--mb-warmup", "1", f"--benchmark-json={out}"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    data = json.loads(out.read_text())
    by_component = {b["extra_info"]["component"]: b for b in data["benchmarks"]}
    assert set(by_component) == {"train_step", "loader_batch"}
    for b in by_component.values():
        info, stats = b["extra_info"], b["stats"]
        assert set(EXTRA_INFO_KEYS) <= set(info)
        assert (info["device"], info["model"], info["imgsz"], info["batch"]) == ("cpu", "yolov8n", 64, 2)
        assert info["workers"] == 0  # ultralytics trains on the cpu without workers
        assert info["images_per_batch"] == 2 and info["torch_threads"] >= 1
        assert stats["rounds"] == 2 and len(stats["data"]) == 2 and all(t > 0 for t in stats["data"])
        assert len(info["warmup_seconds"]) >= 1 and info["warmup_seconds"][0] > 0
        assert info["seconds_per_image"] == pytest.approx(stats["median"] / 2)

    rows = load_microbench(out.parent)
    assert [r["component"] for r in sorted(rows, key=lambda r: r["name"])] == ["loader_batch", "train_step"]


def test_bad_option_is_a_usage_error(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "pytest", str(HERE / "bench_components.py"), "-q", "-p", "no:cacheprovider",
           "--basetemp", str(tmp_path / "tmp"), "--batch", "1", "--mb-min-rounds", "0"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--batch 1: must be at least 2" in proc.stderr and "--mb-min-rounds 0" in proc.stderr
