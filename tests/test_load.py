"""bench.load: the machine's other load while we measure, from CPU counters (hand-worked figures)."""

from __future__ import annotations

import time

import pytest

from bench import load


def test_interval_by_hand() -> None:
    # 10 s on 2 CPUs = 20 CPU-seconds; the machine was busy 18 of them, 14 of them ours, 1 s stolen
    a = ["start", 0.0, 100.0, 10.0, 50.0]
    b = ["end", 10.0, 118.0, 11.0, 64.0]
    assert load.interval(a, b, 2) == {"seconds": 10.0, "own_pct": 70.0, "other_pct": 20.0, "steal_pct": 5.0}
    # counters from two clocks: our own time may read a tick above the system's busy time; never negative
    c = ["end", 10.0, 113.9, 10.0, 64.0]
    assert load.interval(a, c, 2)["other_pct"] == 0.0  # type: ignore[index]
    assert load.interval(a, a, 2) is None and load.interval(a, b, 0) is None


def test_summarize_whole_run_and_epochs() -> None:
    samples = [["start", 0.0, 0.0, 0.0, 0.0],
               ["epoch_start:0", 5.0, 10.0, 0.0, 10.0],
               ["epoch_end:0", 15.0, 30.0, 0.0, 26.0],  # epoch 0: 20 CPU-s, 20 busy, 16 ours
               ["epoch_start:1", 15.0, 30.0, 0.0, 26.0],
               ["epoch_end:1", 25.0, 48.0, 2.0, 44.0],  # epoch 1: 18 busy, 18 ours, 2 stolen
               ["end", 30.0, 58.0, 2.0, 54.0]]
    s = load.summarize({"cpus": 2, "samples": samples})
    assert s is not None
    assert s["whole"] == {"seconds": 30.0, "own_pct": 90.0, "other_pct": pytest.approx(4 / 60 * 100, abs=0.01),
                          "steal_pct": pytest.approx(2 / 60 * 100, abs=0.01)}
    assert s["epochs"]["0"] == {"seconds": 10.0, "own_pct": 80.0, "other_pct": 20.0, "steal_pct": 0.0}
    assert s["epochs"]["1"] == {"seconds": 10.0, "own_pct": 90.0, "other_pct": 0.0, "steal_pct": 10.0}
    assert load.summarize(None) is None and load.summarize({"cpus": 2, "samples": samples[:1]}) is None
    assert load.summarize({}) is None


def test_warning_names_what_and_how_much() -> None:
    quiet = {"seconds": 30.0, "own_pct": 95.0, "other_pct": load.OTHER_WARN_PCT, "steal_pct": load.STEAL_WARN_PCT}
    assert load.warning(quiet, "the probe") is None and load.warning(None, "the probe") is None
    rule = "(bench warns when other processes take over 10% or the hypervisor over 5%)"
    assert load.warning(quiet | {"other_pct": 42.4}, "the probe") == (
        f"the machine was busy during the probe: other processes took 42.4% of this machine's CPU time {rule}, so "
        "its times read slow; close other work and run again")
    # one decimal: 10.01% over a 10% threshold no longer reads "took 10% (warn above 10%)"
    w = load.warning(quiet | {"other_pct": 10.01, "steal_pct": 7.0}, "the full run")
    assert w is not None and "took 10.0% of this machine's CPU time and the hypervisor gave 7.0% of it" in w


def test_meter_sees_its_own_cpu_work() -> None:
    m = load.Meter()
    m.mark("start", 0.0)
    t0 = time.perf_counter()
    x = 0
    while time.perf_counter() - t0 < 0.4:  # one core busy for 0.4 s
        x += 1
    m.mark("end", time.perf_counter() - t0)
    s = load.summarize(m.to_dict())
    assert s is not None
    whole = s["whole"]
    # one busy core of m.cpus: own share near 100 / cpus (scheduling and tick granularity aside)
    assert 60 / m.cpus <= whole["own_pct"] <= 100 / m.cpus + 10
    assert 0.0 <= whole["other_pct"] <= 100.0 and 0.0 <= whole["steal_pct"] <= 100.0


def test_sample_without_counters_is_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import psutil

    def broken() -> None:
        raise OSError("no /proc")

    monkeypatch.setattr(psutil, "cpu_times", broken)
    assert load.sample("start", 0.0) is None
    m = load.Meter()
    m.mark("start", 0.0)
    assert m.samples == [] and load.summarize(m.to_dict()) is None
