"""What else the machine did while we measured: CPU time taken by other processes and by the hypervisor.

A timing is only as good as the machine is quiet (pyperf's ``system`` check and its "the system was busy"
warning make the same point). Another process takes cores, caches and memory bandwidth from the training, even
when a core looks free: ultralytics trains on ``cpu_count - 1`` threads, and the vCPUs of a small cloud VM
can be hyperthreads of one physical core. So a probe that ran beside a test suite reads slow, and a
full run that then had the machine to itself runs fast. The run records keep raw counters at the epochs' edges,
so a validation can tell a wrong model from a busy machine.

Counters (psutil, Linux and macOS; ``steal`` is 0 where the OS does not report it):

    busy   system-wide CPU seconds of all processes and the kernel (user + nice + system + irq + softirq)
    own    CPU seconds of this process and its children (dataloader workers)
    steal  CPU seconds the hypervisor gave to other guests while this VM wanted to run

Over an interval of ``w`` seconds on ``n`` logical CPUs: ``other = (busy - own) / (w * n)`` and
``steal = steal / (w * n)``, in percent of the machine. The kernel's own threads make ``other`` under 1% on
an idle machine.

What the counters cannot see: the host. A VM whose guest is idle (other 0.6%, steal 0.1%) still ran the same
training step 15% faster over a full run than during the probe a minute before (2026-11-29); neighbours on the
physical host share its caches, memory bandwidth and clock without taking our vCPU's time. ``bench validate``
measures that drift from the step times themselves (``bench.validate.speed_drift``).

Pure except :func:`sample` (psutil); no torch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

#: Other processes took more than this share of the machine's CPU time during a measurement: it reads slow.
#: Measured on a 2-vCPU VM (2026-11-29): a one-core busy loop beside a probe shows as 50%, and the probe's step
#: took 2.30 s against 2.10 s and 2.23 s in quiet probes just before and after; an idle machine shows under 1%.
OTHER_WARN_PCT = 10.0
#: The hypervisor gave away more than this share of our CPU time (a noisy neighbour on a shared host).
STEAL_WARN_PCT = 5.0
_BUSY_FIELDS = ("user", "nice", "system", "irq", "softirq")  # Linux folds guest time into user and nice


def sample(label: str, t: float) -> list[Any] | None:
    """``[label, t, busy, steal, own]`` now, or None where psutil cannot read the counters."""
    try:
        import psutil

        cpu = psutil.cpu_times()
        busy = sum(float(getattr(cpu, f, 0.0) or 0.0) for f in _BUSY_FIELDS)
        steal = float(getattr(cpu, "steal", 0.0) or 0.0)
        own = _tree_cpu_seconds(psutil.Process())
    except Exception:
        return None
    return [label, round(t, 6), round(busy, 3), round(steal, 3), round(own, 3)]


def _tree_cpu_seconds(proc: Any) -> float:
    """CPU seconds of a process, its reaped children and its live descendants."""
    ct = proc.cpu_times()
    total = ct.user + ct.system + getattr(ct, "children_user", 0.0) + getattr(ct, "children_system", 0.0)
    with contextlib.suppress(Exception):
        for child in proc.children(recursive=True):
            with contextlib.suppress(Exception):
                c = child.cpu_times()
                total += c.user + c.system
    return float(total)


def logical_cpus() -> int:
    try:
        import psutil

        return int(psutil.cpu_count(logical=True) or 1)
    except Exception:
        return 1


class Meter:
    """Counters at labelled moments of a run (a few per epoch: negligible cost, ~50 us each)."""

    def __init__(self) -> None:
        self.cpus = logical_cpus()
        self.samples: list[list[Any]] = []

    def mark(self, label: str, t: float) -> None:
        """Counters now, labelled, at ``t`` seconds on the run's own clock (the probe's Recorder)."""
        s = sample(label, t)
        if s is not None:
            self.samples.append(s)

    def to_dict(self) -> dict[str, Any]:
        return {"cpus": self.cpus, "samples": self.samples}


def interval(a: Sequence[Any], b: Sequence[Any], cpus: int) -> dict[str, float] | None:
    """Shares of the machine's CPU time between two samples, in percent; None for an empty interval."""
    wall = float(b[1]) - float(a[1])
    if wall <= 0 or cpus <= 0:
        return None
    span = wall * cpus
    busy, steal, own = (float(b[i]) - float(a[i]) for i in (2, 3, 4))
    return {
        "seconds": round(wall, 3),
        "own_pct": round(100.0 * own / span, 2),
        "other_pct": round(100.0 * max(0.0, busy - own) / span, 2),
        "steal_pct": round(100.0 * max(0.0, steal) / span, 2),
    }


def summarize(load: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{"whole": interval, "epochs": {epoch: interval}}`` from a record's ``measurements.cpu_load``.

    An epoch runs from its ``epoch_start:E`` sample to its ``epoch_end:E`` sample (training, validation and
    the boundary); the whole run from the first sample to the last."""
    if not load or len(load.get("samples") or []) < 2:
        return None
    cpus = int(load.get("cpus") or 0)
    samples = load["samples"]
    whole = interval(samples[0], samples[-1], cpus)
    if whole is None:
        return None
    starts = {s[0].split(":", 1)[1]: s for s in samples if str(s[0]).startswith("epoch_start:")}
    epochs: dict[str, dict[str, float]] = {}  # keyed by the epoch's index as a string, as JSON keeps it
    for s in samples:
        if str(s[0]).startswith("epoch_end:"):
            key = s[0].split(":", 1)[1]
            if key in starts and (iv := interval(starts[key], s, cpus)) is not None:
                epochs[key] = iv
    return {"whole": whole, "epochs": epochs}


def warning(whole: dict[str, float] | None, what: str) -> str | None:
    """One line when the machine was busy during ``what`` (e.g. "the probe"), naming by how much."""
    if not whole:
        return None
    parts = []
    if whole["other_pct"] > OTHER_WARN_PCT:
        parts.append(f"other processes took {whole['other_pct']:.1f}% of this machine's CPU time")
    if whole["steal_pct"] > STEAL_WARN_PCT:
        parts.append(f"the hypervisor gave {whole['steal_pct']:.1f}% of it to other virtual machines")
    if not parts:
        return None
    return (f"the machine was busy during {what}: {' and '.join(parts)} (bench warns when other processes take "
            f"over {OTHER_WARN_PCT:.0f}% or the hypervisor over {STEAL_WARN_PCT:.0f}%), so its times read slow; "
            "close other work and run again")
