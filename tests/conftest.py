"""Shared fixtures: hand-built profiles and event timelines whose numbers are worked out in the tests."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest

from bench import offline
from bench.profile import Phase, Profile
from bench.stats import Range

# ultralytics, imported in this process by some tests before any run's own offline.prepare(), reads its settings
# directory and online flag at import: set them first, as bench does, so that it stays offline and out of the home
# directory, and finds its font without trying to download it
_ULTRALYTICS_DIR = Path(tempfile.mkdtemp(prefix="bench-tests-ultralytics-"))
atexit.register(shutil.rmtree, _ULTRALYTICS_DIR, True)
offline.prepare(_ULTRALYTICS_DIR)


def r(x: float, rel: float = 0.0) -> Range:
    return Range(x, x * (1 - rel), x * (1 + rel))


def make_profile(**over: object) -> Profile:
    """A CPU profile with round numbers: 1 s data + 9 s compute per batch of 16, val 4 s per batch of 32."""
    base: dict[str, object] = dict(
        device_type="cpu", device_name="Test CPU", precision="fp32", model="yolov8n", imgsz=640, batch=16,
        val_batch=32, workers=0, host_cpus=2, train_images=160, val_images=64,
        mosaic=Phase(r(1.0), r(9.0), 10), plain=Phase(r(0.5), r(9.0), 10),
        val_data_seconds_per_batch=r(0.5), val_compute_seconds_per_batch=r(3.5), val_fixed_seconds=r(1.0),
        epoch_fixed_seconds=r(2.0), setup_seconds=5.0, warmup_excess_seconds=7.0, final_fixed_seconds=3.0,
        torch_threads=1, gflops=8.7,
    )
    base.update(over)
    return Profile(**base)  # type: ignore[arg-type]


@pytest.fixture
def profile() -> Profile:
    return make_profile()


@pytest.fixture
def results_dir(tmp_path: Path) -> Path:
    d = tmp_path / "results"
    d.mkdir()
    return d
