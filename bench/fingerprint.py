"""Describe this machine, MLPerf-style: accelerator model, count and memory; host CPU model and cores;
host memory; OS; Python and framework versions; the project's git commit.

Each probe fills a flat dict and skips quietly what it cannot read (pyperf's collect_*_metadata). Nothing
here imports torch: :func:`collect` takes the torch module from the caller when one is loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any


def _run(cmd: list[str], cwd: Path | None = None) -> str | None:
    try:
        out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=5, check=True)
        return out.stdout.strip() or None
    except Exception:
        return None


def cpu_model() -> str | None:
    """The CPU's marketing name ("AMD EPYC 7B13", "Apple M4 Pro", "Intel(R) Xeon(R) ...")."""
    if sys.platform == "darwin":
        return _run(["sysctl", "-n", "machdep.cpu.brand_string"])
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "processor\t: ")) and ":" in line:
                value = line.split(":", 1)[1].strip()
                if value and not value.isdigit():
                    return value
    return platform.processor() or None


def apple_chip() -> str | None:
    """"Apple M4 Pro" on Apple silicon, else None."""
    if sys.platform != "darwin":
        return None
    name = cpu_model()
    return name if name and name.startswith("Apple") else None


def collect_cpu() -> dict[str, Any]:
    d: dict[str, Any] = {"cpu_model": cpu_model(), "cpu_logical": os.cpu_count()}
    with contextlib.suppress(Exception):
        import psutil

        d["cpu_physical"] = psutil.cpu_count(logical=False)
        freq = psutil.cpu_freq()
        if freq and freq.max:
            d["cpu_max_mhz"] = round(freq.max)
    with contextlib.suppress(Exception):
        d["cpu_affinity"] = len(os.sched_getaffinity(0))
    return d


def collect_memory() -> dict[str, Any]:
    with contextlib.suppress(Exception):
        import psutil

        return {"ram_bytes": int(psutil.virtual_memory().total)}
    return {}


def collect_container(root: Path = Path("/sys/fs/cgroup")) -> dict[str, Any]:
    """The container's limits, where a cgroup sets them: ``cgroup_cpus`` (CPU quota over period: 1.5 means one and
    a half CPUs' time, whatever ``cpu_logical`` says) and ``cgroup_memory_bytes``. cgroup v2 (``cpu.max``,
    ``memory.max``), else v1 (``cpu/cpu.cfs_quota_us`` and ``cpu.cfs_period_us``, ``memory/memory.limit_in_bytes``,
    where a huge number means no limit). Absent when unlimited or unreadable."""
    d: dict[str, Any] = {}

    def read(name: str) -> list[str]:
        try:
            return (root / name).read_text().split()
        except OSError:
            return []

    quota = read("cpu.max")
    if len(quota) == 2 and quota[0] != "max":
        with contextlib.suppress(ValueError, ZeroDivisionError):
            d["cgroup_cpus"] = round(int(quota[0]) / int(quota[1]), 3)
    elif not quota and (q := read("cpu/cpu.cfs_quota_us")) and (p := read("cpu/cpu.cfs_period_us")):
        with contextlib.suppress(ValueError, ZeroDivisionError):
            if int(q[0]) > 0:
                d["cgroup_cpus"] = round(int(q[0]) / int(p[0]), 3)
    mem = read("memory.max") or read("memory/memory.limit_in_bytes")
    if mem and mem[0].isdigit() and int(mem[0]) < 2**60:  # v1 writes 2^63 rounded to a page for "no limit"
        d["cgroup_memory_bytes"] = int(mem[0])
    return d


def collect_os() -> dict[str, Any]:
    return {
        "os": platform.system(),
        "os_release": platform.release(),
        "os_version": platform.mac_ver()[0] or platform.version(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "apple_chip": apple_chip(),
    }


def collect_packages() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("torch", "torchvision", "ultralytics", "numpy", "opencv-python", "pillow", "bench"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def collect_git() -> dict[str, Any]:
    root = Path(__file__).resolve().parent.parent
    commit = _run(["git", "rev-parse", "HEAD"], cwd=root)
    if not commit:
        return {"git_commit": None}
    dirty = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return {"git_commit": commit, "git_dirty": bool(dirty)}


def collect_torch(torch: Any) -> dict[str, Any]:
    """Accelerators as torch sees them (called only where torch is already imported)."""
    d: dict[str, Any] = {"torch_threads": torch.get_num_threads(), "torch_cuda_build": torch.version.cuda}
    with contextlib.suppress(Exception):
        if torch.cuda.is_available():
            gpus = []
            for i in range(torch.cuda.device_count()):
                p = torch.cuda.get_device_properties(i)
                gpus.append({"name": p.name, "memory_bytes": int(p.total_memory),
                             "capability": f"{p.major}.{p.minor}", "multiprocessors": p.multi_processor_count})
            d["gpus"] = gpus
            d["cudnn"] = torch.backends.cudnn.version()
            with contextlib.suppress(Exception):  # e.g. 12040 for a 12.4 driver (a private call; absent if gone)
                v = int(torch._C._cuda_getDriverVersion())
                d["cuda_driver"] = f"{v // 1000}.{v % 1000 // 10}"
    with contextlib.suppress(Exception):
        d["mps_available"] = bool(torch.backends.mps.is_available())
    # with it set, an operator MPS lacks runs on the CPU instead of failing: the run is then not MPS alone
    d["mps_fallback"] = os.environ.get("PYTORCH_ENABLE_MPS_FALLBACK") or None
    return d


def machine_id(fp: dict[str, Any]) -> str:
    """A short stable id of this machine (hostname, CPU, RAM, GPUs): records with the same id came from the
    same machine. The hostname is hashed, never stored."""
    gpus = ",".join(g.get("name", "") for g in fp.get("gpus", []) or [])
    key = f"{platform.node()}|{fp.get('cpu_model')}|{fp.get('ram_bytes')}|{gpus}|{fp.get('apple_chip')}"
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def collect(torch: Any | None = None) -> dict[str, Any]:
    """The whole fingerprint, flat."""
    fp: dict[str, Any] = {}
    for part in (collect_cpu, collect_memory, collect_container, collect_os, collect_packages, collect_git):
        with contextlib.suppress(Exception):
            fp.update(part())
    if torch is not None:
        with contextlib.suppress(Exception):
            fp.update(collect_torch(torch))
    fp["machine_id"] = machine_id(fp)
    return fp
