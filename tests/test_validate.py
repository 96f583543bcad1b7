"""The validation arithmetic on hand-worked timing series, and one small real validate run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.validate import actual_terms, error_pct, naive_baselines, predicted_terms, summarize
from tests.conftest import make_profile
from tests.test_timeline import Clock, epoch


def test_error_pct_is_signed() -> None:
    assert error_pct(110.0, 100.0) == pytest.approx(10.0)
    assert error_pct(95.0, 100.0) == pytest.approx(-5.0)
    with pytest.raises(ValueError):
        error_pct(1.0, 0.0)


def test_naive_baselines_by_hand() -> None:
    # epochs of 120, 100, 110, 100 s; N = 10: first x N = 1200; mean of first 3 = 110 -> 1100
    b = naive_baselines([120.0, 100.0, 110.0, 100.0], 10, k=3, setup_seconds=5.0)
    assert b["first_epoch_x_n"] == {"predicted_seconds": 1200.0, "cost_seconds": 125.0}
    assert b["mean_first_3_x_n"]["predicted_seconds"] == pytest.approx(1100.0)
    assert b["mean_first_3_x_n"]["cost_seconds"] == pytest.approx(335.0)
    # k capped at the epochs observed: the mean of 1 and 2 s x 5 epochs, watched for 3 s
    assert naive_baselines([1.0, 2.0], 5, k=3)["mean_first_2_x_n"] == {"predicted_seconds": 7.5, "cost_seconds": 3.0}


def full_run_events() -> list[list[object]]:
    """4 epochs, close_mosaic 2 (plain from epoch 2): epochs of 10.5, 10.5, 8.5, 8.5 s plus one-offs."""
    c = Clock()
    c.wait(2.0)
    c.mark("setup_end")
    epoch(c, 0, [(0.5, 6.0), (0.5, 4.0)], 0.0, 0.95, [(0.25, 1.5, 32)])  # first epoch: warm-up
    epoch(c, 1, [(0.5, 4.0), (0.5, 4.0)], 0.0, 0.95, [(0.25, 1.5, 32)])
    epoch(c, 2, [(0.5, 5.0), (0.5, 3.0)], 0.0, 0.95, [(0.25, 1.5, 32)])  # first plain epoch: plots
    epoch(c, 3, [(0.5, 3.0), (0.5, 3.0)], 0.0, 0.95, [(0.25, 1.5, 32)])
    c.mark("end")
    return c.events


def test_actual_terms_leave_out_each_phase_first_epoch() -> None:
    t = actual_terms(full_run_events(), plain_from_epoch=2)
    # epoch 1: 9 s training + val (1.75 + 0.05) + 0.95 boundary = 11.75; epoch 3: 7 + 1.8 + 0.95 = 9.75
    assert t["train_mosaic"] == pytest.approx(9.0)
    assert t["train_plain"] == pytest.approx(7.0)
    assert t["val_pass"] == pytest.approx(1.8)
    assert t["epoch_fixed"] == pytest.approx(0.95)
    assert t["epoch_mosaic"] == pytest.approx(11.75)
    assert t["epoch_plain"] == pytest.approx(9.75)
    assert t["setup"] == pytest.approx(2.0)


def test_predicted_terms_match_the_profile(profile: object) -> None:
    p = make_profile()
    t = predicted_terms(p)
    assert t["train_mosaic"] == pytest.approx(100.0)  # 10 batches x 10 s
    assert t["val_pass"] == pytest.approx(9.0)
    assert t["epoch_mosaic"] == pytest.approx(111.0)


def test_summarize_by_hand() -> None:
    p = make_profile()
    probe = {"full_run_seconds": {"median": 44.0, "low": 40.0, "high": 48.0},
             "measurements": {"wall_seconds": 4.0}, "profile": p.to_dict()}
    probe2 = {**probe, "full_run_seconds": {"median": 46.0, "low": 42.0, "high": 50.0}}
    ev = full_run_events()
    full = {"epochs": 4, "config": {"batch": 16},
            "measurements": {"wall_seconds": 42.0, "epoch_seconds": [13.0, 11.75, 11.75, 9.75], "events": ev,
                             "plain_from_epoch": 2}}
    pc = Clock()
    epoch(pc, 0, [(0.5, 9.0), (0.5, 4.0), (0.5, 4.0)], 0.0, 0.5, [(0.25, 1.5, 32)])
    probe["config"] = {"batch": 16}
    probe["measurements"] = {"wall_seconds": 4.0, "events": pc.events}
    probe2["config"], probe2["measurements"] = probe["config"], probe["measurements"]
    s = summarize([probe, probe2], full, k=3)
    assert s["predicted_seconds"] == pytest.approx(45.0)  # median of 44 and 46
    assert s["error_pct"] == pytest.approx((45 - 42) / 42 * 100)
    assert s["probe_share"] == pytest.approx(4 / 42)  # without process times: the training alone
    assert s["probe_cost_basis"] == "training" and s["probes_total_seconds"] == pytest.approx(8.0)
    # with the processes' times, as the user waits for them (imports, mirror, estimate): 5 and 7 s, median 6 s
    sp = summarize([probe, probe2], full, k=3, process_seconds=[5.0, 7.0])
    assert sp["probe_seconds"] == pytest.approx(6.0) and sp["probe_share"] == pytest.approx(6 / 42)
    assert sp["probe_training_seconds"] == pytest.approx(4.0) and sp["probes_total_seconds"] == pytest.approx(12.0)
    assert sp["probe_cost_basis"] == "process"
    assert s["baselines"]["first_epoch_x_n"]["predicted_seconds"] == pytest.approx(52.0)
    assert s["baselines"]["first_epoch_x_n"]["error_pct"] == pytest.approx((52 - 42) / 42 * 100)
    assert s["baselines"]["mean_first_3_x_n"]["predicted_seconds"] == pytest.approx(4 * 36.5 / 3)
    assert s["targets"]["beats_baselines"] is True
    assert s["repeat"]["n"] == 2 and s["repeat"]["iqr"] == pytest.approx(1.0)
    # terms of the probe closest to the median (44 s, the first of a tie): its profile's val pass of 9 s against
    # the full run's 1.8 s, its 10 x 10 s of mosaic training against 9 s; the range is the median of the probes'
    # bounds, 41-49 s
    assert s["terms"]["val_pass"]["error_pct"] == pytest.approx(400.0)
    assert s["terms"]["train_mosaic"]["error_pct"] == pytest.approx((100 - 9) / 9 * 100)
    assert (s["predicted_low"], s["predicted_high"], s["within_range"]) == (41.0, 49.0, True)
    # two probes whose ranges both miss the median of their points: 300 [285-315] and 340 [323-357] have median
    # 320 and median bounds 304-336; a range always holds its own point
    lo = {**probe, "full_run_seconds": {"median": 300.0, "low": 285.0, "high": 315.0}}
    hi = {**probe, "full_run_seconds": {"median": 340.0, "low": 323.0, "high": 357.0}}
    r = summarize([lo, hi], full, k=3)
    assert (r["predicted_seconds"], r["predicted_low"], r["predicted_high"]) == (320.0, 304.0, 336.0)
    assert not r["within_range"]  # the actual 42 s
    # steps: the probe's 4 s (after its first two) against the full run's 3.4 s, each phase judged on its own: the
    # mosaic phase's 4 and 4 s after its first two (6 and 4 s), the no-mosaic phase's 3, 3 and 3 s after its
    # first, 5 s, which costs over 1.15 x the steps after it (warm-up)
    assert s["speed_drift"]["seconds_per_step"]["probe"] == pytest.approx(4.0)
    assert s["speed_drift"]["seconds_per_step"]["full_run"] == pytest.approx(3.4)
    assert s["speed_drift"]["drift_pct"] == pytest.approx((3.4 / 4.0 - 1) * 100)
    assert s["warnings"] and "15% faster over the full run" in s["warnings"][0]
    # the floor: the probe watched one steady step of 4 s; 4 s windows of the full run's steady steps (4 4 3 3 3,
    # mean 3.4) are 4 | 4 | 3 3 | 3 3: 17.6, 17.6, 11.8, 11.8% off, none within 5%
    f = s["noise_floor"]["floor"]["probe"]
    assert s["noise_floor"]["watched_seconds"]["probe"] == pytest.approx(4.0)
    assert f["windows"] == 4 and f["mae_pct"] == pytest.approx((0.6 / 3.4 + 0.4 / 3.4) * 50) and f["within_target"] == 0
    # the table `bench validate` prints says all of it in its lines
    from bench.validate import format_validation

    text = format_validation(s | {"run_id": "v1", "device": "cpu", "device_name": "X", "epochs": 4, "config": {
        "model": "yolov8n", "imgsz": 320, "batch": 16, "dataset": {"counts": {"train_images": 64, "val_images": 32}}}})
    assert "error +7.1%  (actual inside the range)" in text and "probe cost   4 s = 9.5% of the full run" in text
    assert "noise floor  windows of the full run as long as each method watched stray from its mean step by: probe " \
           "(4 s) 14.7%, 0% within 5%; " in text
    assert "one training step took 4 s in the probe, 3.4 s over the full run (-15.0%)" in text
    assert "targets      |error| <= 5%: NOT met; probe <= 15%: met; beats both baselines: yes" in text


def drift_events(epochs: list[list[float]], plotted: tuple[int, ...] = ()) -> list[list[object]]:
    c = Clock()
    c.wait(1.0)
    c.mark("setup_end")
    for i, steps in enumerate(epochs):
        epoch(c, i, [(0.1, x) for x in steps], 0.0, 0.3, [(0.1, 1.0, 32)], plotted=plotted if i == 0 else ())
    c.mark("end")
    return c.events


def test_step_seconds_leave_out_warm_up_and_plots() -> None:
    from bench.validate import step_seconds

    # the run's first two steps (4.0, and 9.0, plotted too) are warm-up; so is 3.5, over 1.15 x the rest
    ev = drift_events([[4.0, 9.0, 3.5, 2.2, 2.2], [2.0, 2.0], [1.6, 1.6], [2.0, 2.0]], plotted=(1,))
    assert step_seconds(ev, 16) == pytest.approx(1.95)  # 2.2 2.2 2.0 2.0 1.6 1.6 2.0 2.0
    assert step_seconds(ev, 16, range(1)) == pytest.approx(2.2)
    assert step_seconds(ev, 16, [1, 2]) == pytest.approx(1.8)
    assert step_seconds(ev, 16, [7]) is None
    assert step_seconds(ev, 32) == pytest.approx(3.9)  # each step held 16 images: per image, then 32 of them
    assert step_seconds([], 16) is None
    # each step's optimizer time taken out (a probe steps more often per batch than a whole run)
    opt = [[0, 0.0], [0, 0.0], [0, 0.0], [0, 0.4], [0, 0.0], [1, 0.4], [1, 0.0], [2, 0.0], [2, 0.0], [3, 0.0],
           [3, 0.0]]
    assert step_seconds(ev, 16, optimizer=opt) == pytest.approx(1.85)  # 1.8 2.2 1.6 2.0 1.6 1.6 2.0 2.0
    assert step_seconds(ev, 16, optimizer=opt[:-1]) == pytest.approx(1.95)  # not one row a step: not used
    # a full garbage collection inside a step (0.8 s of its 2.8) is taken out, as the probe's estimate does
    gc_ev = drift_events([[4.0, 9.0, 3.5, 2.2, 2.2], [2.0, 2.0], [1.6, 1.6], [2.8, 2.0]], plotted=(1,))
    end = [e[1] for e in gc_ev if e[0] == "batch_end"][9]
    assert step_seconds(gc_ev, 16) == pytest.approx(1.95 + 0.8 / 8)
    assert step_seconds(gc_ev, 16, gc_pauses=[[float(end) - 1.0, 0.8]]) == pytest.approx(1.95)
    # a step a plot thread ran beside (flag 2) is left out like a plotted one
    ends = [i for i, e in enumerate(ev) if e[0] == "batch_end"]
    spilled = [[*e[:3], 2] if i == ends[3] else e for i, e in enumerate(ev)]  # the first 2.2 step
    assert step_seconds(spilled, 16) == pytest.approx(13.4 / 7)  # 2.2 2.0 2.0 1.6 1.6 2.0 2.0
    # a full run that starts slow (the machine's drift) keeps its slow start: warm-up is looked for among 5 steps
    slow_start = drift_events([[4.0, 4.0, *[2.4] * 8], [2.0] * 8, [2.0] * 8])
    assert step_seconds(slow_start, 16, range(1)) == pytest.approx(2.4)
    assert step_seconds(slow_start, 16) == pytest.approx((3 * 2.4 + 16 * 2.0) / 19)
    # a gradual warm-up is left out too (a 2-core CPU at 640 px)
    slow = drift_events([[22.3, 16.7, 14.9, 12.6, 12.4, 10.0, 10.1, 11.1, 10.5, 10.8]])
    assert step_seconds(slow, 16) == pytest.approx((10.0 + 10.1 + 11.1 + 10.5 + 10.8) / 5)


def test_step_seconds_judge_each_phase_on_its_own() -> None:
    from bench.validate import step_seconds

    # a probe in which the machine sped up at close_mosaic: its mosaic steps are not warm-up, whatever the
    # no-mosaic steps cost (seen: a 40 s probe that read 2.10 s a step instead of the 2.35 s it took)
    sped_up = drift_events([[4.0, 3.0, 2.5, 2.5, 2.5, 2.5], [2.0, 2.0, 2.0, 2.0]])
    assert step_seconds(sped_up, 16, plain_from=1) == pytest.approx(2.25)  # 2.5 x 4 and 2.0 x 4
    assert step_seconds(sped_up, 16) == pytest.approx(2.0)  # one phase: the 2.5 s steps stand out as warm-up
    # the no-mosaic phase's own leading warm-up (the rebuilt loader) is left out; the run's first two steps are not
    # looked at again there
    rebuilt = drift_events([[4.0, 3.0, 2.0, 2.0, 2.0], [3.0, 2.0, 2.0, 2.0, 2.0], [2.0, 2.0]])
    assert step_seconds(rebuilt, 16, plain_from=1) == pytest.approx(2.0)
    assert step_seconds(rebuilt, 16, [1], plain_from=1) == pytest.approx(2.0)
    # a run of the no-mosaic phase alone: its first steps are the run's warm-up
    assert step_seconds(drift_events([[4.0, 3.0, 2.0, 2.0, 2.0]]), 16, plain_from=0) == pytest.approx(2.0)


def test_speed_drift_by_hand() -> None:
    from bench.validate import drift_warning, observed_epochs, speed_drift

    assert observed_epochs("first_epoch_x_n") == range(1) and observed_epochs("mean_first_3_x_n") == range(3)
    assert observed_epochs("mean_first_x_x_n") is None and observed_epochs("other") is None
    probe = {"config": {"batch": 16}, "measurements": {"events": drift_events([[5.0, 2.5, 2.5, 2.5]])}}
    full = {"config": {"batch": 16}, "measurements": {"wall_seconds": 100.0, "events": drift_events(
        [[4.0, 6.0, 2.2, 2.2], [2.0, 2.0], [1.8, 1.8], [2.0, 2.0]])}}  # the first two steps: warm-up
    base = {"first_epoch_x_n": {"predicted_seconds": 110.0}, "mean_first_3_x_n": {"predicted_seconds": 90.0}}
    d = speed_drift([probe], full, 125.0, base)
    assert d is not None
    assert d["seconds_per_step"] == pytest.approx({"probe": 2.5, "full_run": 2.0, "first_epoch_x_n": 2.2,
                                                   "mean_first_3_x_n": 2.0})
    assert d["drift_pct"] == pytest.approx(-20.0)  # the machine ran the step 20% faster in the full run
    # 125 s predicted at 2.5 s a step, rescaled to 2.0: 100 s, no error left; 110 x 2.0 / 2.2 = 100; 90 x 1 = 90
    assert d["adjusted_error_pct"] == pytest.approx({"probe": 0.0, "first_epoch_x_n": 0.0, "mean_first_3_x_n": -10.0})
    w = drift_warning(d)
    assert w is not None and "20% faster" in w and "2.5 s vs 2 s" in w and "+0.0%" in w
    assert drift_warning({**d, "drift_pct": 5.0}) is None  # at the threshold: no warning
    assert drift_warning(None) is None
    no_steps = {"config": {"batch": 16}, "measurements": {"events": []}}
    assert speed_drift([no_steps], full, 125.0, base) is None


def test_window_floor_by_hand() -> None:
    from bench.validate import window_floor

    # steps of 1 and 3 s (mean 2): 2 s windows are [1, 3], [3], [1, 3], [3]: errors 0, 50, 0, 50%
    f = window_floor([1.0, 3.0, 1.0, 3.0], 2.0)
    assert f == {"window_seconds": 2.0, "windows": 4, "mae_pct": pytest.approx(25.0), "p90_pct": pytest.approx(50.0),
                 "within_target": 0.5}
    # 4 s windows: [1, 3], [3, 1], [1, 3]; the last step alone is too short and no step follows it
    f4 = window_floor([1.0, 3.0, 1.0, 3.0], 4.0)
    assert f4 is not None and f4["windows"] == 3 and f4["mae_pct"] == pytest.approx(0.0) and f4["within_target"] == 1
    assert window_floor([1.0, 3.0, 1.0, 3.0], 8.0) == {"window_seconds": 8.0, "windows": 1, "mae_pct": 0.0,
                                                        "p90_pct": 0.0, "within_target": 1.0}  # the whole run
    assert window_floor([1.0, 3.0, 1.0, 3.0], 8.5) is None  # longer than the run
    # a window that adds up to exactly its length, which floating point rounds below it (0.1 + 0.7 is
    # 0.7999999999999999): [0.1, 0.7] is the window of 0.8 s (mean 0.4, a third over 0.3), not [0.1, 0.7, 0.1]
    tie = window_floor([0.1, 0.7, 0.1], 0.8)
    assert tie is not None and tie["windows"] == 2 and tie["mae_pct"] == pytest.approx(100 / 3)  # [0.7, 0.1] too
    assert window_floor([1.0, 3.0], 0.0) is None and window_floor([], 1.0) is None
    assert window_floor([0.0, 0.0], 0.0) is None and window_floor([1.0, -1.0], 0.5) is None  # no mean to compare
    # the target is a parameter: 50% errors are within a 50% target
    assert window_floor([1.0, 3.0, 1.0, 3.0], 2.0, target_pct=50.0)["within_target"] == 1.0  # type: ignore[index]


def test_noise_floor_by_hand() -> None:
    from bench.validate import noise_floor

    probe = {"config": {"batch": 16}, "measurements": {"events": drift_events([[5.0, 2.5, 2.5, 2.5]])}}
    full = {"config": {"batch": 16}, "measurements": {"wall_seconds": 100.0, "events": drift_events(
        [[4.0, 6.0, 2.2, 2.2], [2.0, 2.0], [1.8, 1.8], [2.0, 2.0]])}}  # steady: 2.2 2.2 2.0 2.0 1.8 1.8 2.0 2.0
    base = {"first_epoch_x_n": {"predicted_seconds": 110.0}, "mean_first_3_x_n": {"predicted_seconds": 90.0}}
    f = noise_floor([probe], full, base)
    assert f is not None and f["steps"] == 8 and f["step_seconds"] == pytest.approx(2.0)
    # the probe watched its 2 steady steps of 2.5 s; the first epoch 2 x 2.2; the first three 12 s
    assert f["watched_seconds"] == pytest.approx({"probe": 5.0, "first_epoch_x_n": 4.4, "mean_first_3_x_n": 12.0})
    # 5 s windows: 2.2 2.2 2.0 | 2.2 2.0 2.0 | 2.0 2.0 1.8 | 2.0 1.8 1.8 | 1.8 1.8 2.0 | 1.8 2.0 2.0: means 2.133,
    # 2.067, 1.933, 1.867, 1.867, 1.933 against 2.0: 6.7, 3.3, 3.3, 6.7, 6.7, 3.3%
    pf = f["floor"]["probe"]
    assert pf["windows"] == 6 and pf["mae_pct"] == pytest.approx(5.0) and pf["within_target"] == pytest.approx(0.5)
    # 12 s windows: the first six steps (mean 2.0, 0%), then seven steps from the second (13.8 / 7: 1.43%)
    m3 = f["floor"]["mean_first_3_x_n"]
    assert m3["windows"] == 2 and m3["mae_pct"] == pytest.approx((13.8 / 7 / 2 - 1) * -100 / 2)
    assert m3["within_target"] == 1.0
    # a probe that watched more than the whole full run: no window fits, so no floor
    long_probe = {"config": {"batch": 16}, "measurements": {"events": drift_events([[5.0, 2.5] + [2.5] * 10])}}
    assert noise_floor([long_probe], full, base) is None
    assert noise_floor([{"config": {"batch": 16}, "measurements": {"events": []}}], full, base) is None


def test_aggregate_noise_floor() -> None:
    from bench.validate import aggregate, format_aggregate

    def floor(probe: tuple[float, float, float, int], first: tuple[float, float, float, int],
              mean3: tuple[float, float, float, int]) -> dict[str, object]:
        def one(w: float, mae: float, within: float, n: int) -> dict[str, float]:
            return {"window_seconds": w, "windows": n, "mae_pct": mae, "p90_pct": 2 * mae, "within_target": within}
        return {"noise_floor": {"steps": 100, "step_seconds": 2.0, "watched_seconds": {"probe": probe[0]},
                                "floor": {"probe": one(*probe), "first_epoch_x_n": one(*first),
                                          "mean_first_3_x_n": one(*mean3)}}}

    runs = [vrec("a", 1.0, -5.0, -2.0, created="2026-11-28T19:00:00Z")
            | floor((20.0, 4.0, 0.5, 100), (15.0, 5.0, 0.4, 100), (60.0, 2.0, 1.0, 80)),
            vrec("b", -2.0, 6.0, -1.0, created="2026-11-28T19:10:00Z")
            | floor((30.0, 3.0, 1.0, 300), (15.0, 4.0, 0.6, 100), (50.0, 1.0, 1.0, 60)),
            vrec("c", 0.5, -4.0, -3.0, created="2026-11-28T19:20:00Z") | {"noise_floor": None},  # no steps
            vrec("d", 0.5, -4.0, -3.0, created="2026-11-28T19:30:00Z")
            | floor((30.0, float("nan"), 1.0, 300), (15.0, 4.0, 0.6, 100), (50.0, 1.0, 1.0, 60))]  # damaged
    fl = aggregate(runs)[0]["noise_floor"]
    assert fl["n"] == 2
    assert fl["probe"] == pytest.approx({"watched_seconds": 25.0, "mae_pct": 3.5, "within_target": 350 / 400})
    assert fl["first_epoch_x_n"] == pytest.approx({"watched_seconds": 15.0, "mae_pct": 4.5, "within_target": 0.5})
    assert fl["mean_first_3_x_n"]["within_target"] == 1.0
    text = format_aggregate(aggregate(runs))
    assert "the machine's floor" in text and "2 runs" in text
    assert "watches  25 s of steady steps: 3.5% mean |err|, within 5% in 88% of windows" in text
    assert aggregate(runs[2:3])[0]["noise_floor"] is None
    # the notebook's summary table carries it, method by method
    from bench.review import validation_summary_table

    t = validation_summary_table(runs).set_index("method")
    assert t.loc["probe (bench)", "floor: watched s"] == 25.0 and t.loc["probe (bench)", "floor: mean |error| %"] == 3.5
    assert t.loc["first_epoch_x_n", "floor: share within target"] == 0.5
    assert "the machine's floor" not in format_aggregate(aggregate(runs[2:3]))


def step_seconds_from(rec: dict[str, object], *, with_optimizer: bool) -> float | None:
    from bench.validate import step_seconds

    m = rec["measurements"]
    assert isinstance(m, dict)
    return step_seconds(m["events"], 4, optimizer=m["optimizer_steps"] if with_optimizer else None,
                        plain_from=m["plain_from_epoch"])


@pytest.mark.slow
def test_small_real_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    res = tmp_path / "results"
    code = main(["validate", "--device", "cpu", "--imgsz", "64", "--batch", "4", "--epochs", "3",
                 "--close-mosaic", "1", "--train-images", "24", "--val-images", "8", "--image-size", "96x64",
                 "--budget", "5", "--results", str(res), "--datasets", str(tmp_path / "ds"), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    v = json.loads(out.out)
    for key in ("predicted_seconds", "actual_seconds", "error_pct", "probe_seconds", "probe_share", "baselines"):
        assert key in v
    assert v["error_pct"] == pytest.approx((v["predicted_seconds"] - v["actual_seconds"]) / v["actual_seconds"] * 100)
    assert v["probe_share"] == pytest.approx(v["probe_seconds"] / v["actual_seconds"])
    # the probe's cost is its whole `bench run` process, as its user waits for it: more than its training
    assert v["probe_cost_basis"] == "process" and v["probe_seconds"] > v["probe_training_seconds"] > 0
    for b in v["baselines"].values():
        assert b["error_pct"] == pytest.approx((b["predicted_seconds"] - v["actual_seconds"]) / v["actual_seconds"]
                                               * 100)
    assert v["predicted_low"] <= v["predicted_seconds"] <= v["predicted_high"]
    # the machine's drift, from the steps the probe and the full run timed: consistent with the errors
    d = v["speed_drift"]
    steps = d["seconds_per_step"]
    assert steps["probe"] > 0 and steps["full_run"] > 0 and "mean_first_3_x_n" in steps
    # the first epoch's step, unless every one of its steady-looking steps was warm-up (tiny epochs: 3 steps)
    assert set(steps) <= {"probe", "full_run", "first_epoch_x_n", "mean_first_3_x_n"}
    assert set(d["adjusted_error_pct"]) == set(steps) - {"full_run"}
    assert d["drift_pct"] == pytest.approx((steps["full_run"] / steps["probe"] - 1) * 100)
    assert d["adjusted_error_pct"]["probe"] == pytest.approx(
        (v["predicted_seconds"] * steps["full_run"] / steps["probe"] - v["actual_seconds"]) / v["actual_seconds"] * 100)
    assert "machine speed" in out.err
    # what else the machine did: counters from both runs, as shares of its CPU time
    cpu = v["machine_load"]
    assert len(cpu["probes"]) == 1 and set(cpu["full_run_epochs"]) == {"0", "1", "2"}
    for part in [*cpu["probes"], cpu["full_run"]]:
        assert 0 < part["own_pct"] <= 100 and 0 <= part["other_pct"] <= 100 and part["seconds"] > 0
    assert "machine load" in out.err
    # like with like: the step times behind the drift leave out each run's optimizer steps
    rec = json.loads(next((res / "validation" / "records").glob("*full*.json")).read_text())
    assert step_seconds_from(rec, with_optimizer=True) == pytest.approx(steps["full_run"])
    assert step_seconds_from(rec, with_optimizer=True) < step_seconds_from(rec, with_optimizer=False)
    # the machine's floor: what the record holds is what the runs' own steps give, and a share is a share
    from bench.validate import noise_floor

    kept = {r["run_id"]: r for r in (json.loads(f.read_text())
                                     for f in (res / "validation" / "records").glob("*.json"))}
    assert v["noise_floor"] == noise_floor([kept[i] for i in v["probe_run_ids"]], kept[v["full_run_id"]],
                                           v["baselines"])
    for f in (v["noise_floor"] or {"floor": {}})["floor"].values():
        assert f["windows"] >= 1 and f["mae_pct"] >= 0 and 0 <= f["within_target"] <= 1 and f["window_seconds"] > 0
    # the validation record is on disk, and its probe and full-run records sit apart from the user's records
    assert len(list((res / "validation").glob("*.json"))) == 1
    assert len(list((res / "validation" / "records").glob("*.json"))) == 2
    assert not list(res.glob("*.json"))
    assert "baselines" in out.err


@pytest.mark.slow
def test_overhead_ab(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    res = tmp_path / "results"
    code = main(["validate", "--overhead", "--pairs", "1", "--device", "cpu", "--imgsz", "64", "--batch", "4",
                 "--epochs", "1", "--close-mosaic", "0", "--train-images", "16", "--val-images", "8",
                 "--image-size", "96x64", "--results", str(res), "--datasets", str(tmp_path / "ds"), "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    o = json.loads(out.out)
    assert o["kind"] == "overhead" and o["pairs"] == 1
    assert o["overhead_met"] is None and o["ab_consistent"] is None  # one pair: no interval, not judged
    assert "not judged: one A/B pair has no interval" in out.err
    assert len(o["wall_seconds"]["instrumented"]) == len(o["wall_seconds"]["bare"]) == 1
    assert o["ratio_median"] == pytest.approx(o["wall_seconds"]["instrumented"][0] / o["wall_seconds"]["bare"][0])
    assert 0 < o["callback_share_median"] < 0.2
    assert len(list((res / "validation").glob("*.json"))) == 1
    runs = res / "validation" / "overhead-runs"
    assert len([d for d in runs.iterdir() if d.name.startswith(("warmup-", "instrumented-", "bare-"))]) == 3
    assert not list(runs.rglob("*.pt"))  # the A/B runs' weights are deleted: no one wants them


def test_overhead_verdict_by_hand() -> None:
    from bench.validate import overhead_verdict

    # ratios 1.00 and 1.02: mean 1.01, se 0.01, t(1 df) 12.706: 1.01 +- 0.127 reaches below 1.01
    v = overhead_verdict([1.00, 1.02], [0.001, 0.003])
    assert v["ratio_mean"] == pytest.approx(1.01) and v["ratio_ci95"] == pytest.approx(0.12706)
    assert v["callback_share_median"] == pytest.approx(0.002) and v["ab_consistent"] and v["overhead_met"]
    # three pairs 5% apart, tightly: 1.05 +- 0.0025 refutes a 0.1% own-code share
    v = overhead_verdict([1.049, 1.05, 1.051], [0.001] * 3)
    assert v["ratio_ci95"] == pytest.approx(4.303 * 0.001 / 3 ** 0.5)
    assert not v["ab_consistent"] and not v["overhead_met"]
    # one pair has no interval: not judged, whatever its ratio (a 30% slower instrumented run is not "met")
    for share in (0.02, 0.001):
        assert overhead_verdict([1.3], [share]) == {"ratio_mean": 1.3, "ratio_ci95": None,
                                                    "callback_share_median": share, "ab_consistent": None,
                                                    "overhead_met": None}


# ------------------------------------------------------------------------------- over many validations
def test_epoch_noise_pct_by_hand() -> None:
    from bench.validate import epoch_noise_pct

    # the first epoch (warm-up) is left out; 10, 12, 14: mean 12, sample sd 2 -> 16.67%
    assert epoch_noise_pct([30.0, 10.0, 12.0, 14.0]) == pytest.approx(200 / 12)
    assert epoch_noise_pct([30.0, 10.0, 12.0]) is None  # too few epochs to speak of a spread
    # two phases, each about its own mean, each one's first epoch left out: mosaic 10, 12, 14 (mean 12, squares
    # 8), no mosaic (from epoch 4) 20 (plots, loader rebuilt), then 7, 9 (mean 8, squares 2); pooled sd
    # sqrt(10 / 3) over the mean of the five, 10.4
    ep = [30.0, 10.0, 12.0, 14.0, 20.0, 7.0, 9.0]
    assert epoch_noise_pct(ep, plain_from=4) == pytest.approx((10 / 3) ** 0.5 / 10.4 * 100)
    assert epoch_noise_pct(ep, plain_from=4) < epoch_noise_pct(ep)  # the phases' difference is not noise
    # a phase of one epoch adds to the mean, not to the spread: 10, 12 about 11 (squares 2), 8 alone; 1 dof
    assert epoch_noise_pct([30.0, 10.0, 12.0, 20.0, 8.0], plain_from=3) == pytest.approx(2 ** 0.5 / 10 * 100)
    assert epoch_noise_pct([30.0, 10.0, 20.0, 8.0], plain_from=2) is None  # 2 epochs are too few


def test_baseline_verdicts_by_hand() -> None:
    from bench.validate import baseline_verdicts

    base = {"a": {"error_pct": -5.0}, "b": {"error_pct": 2.5}, "c": {"error_pct": 1.0}}
    assert baseline_verdicts(2.0, base, 1.0) == {"a": "better", "b": "within noise", "c": "worse"}
    assert baseline_verdicts(2.0, base, None) == {"a": "better", "b": "better", "c": "worse"}


def test_paired_gain_by_hand() -> None:
    from bench.validate import paired_gain

    g = paired_gain([1.0, 2.0, 3.0])  # mean 2, sd 1, se 1/sqrt(3) = 0.577; t(2 df) = 4.303: +-2.48 spans 0
    assert g["mean_pct"] == pytest.approx(2.0) and g["se_pct"] == pytest.approx(3 ** -0.5)
    assert g["ci95_pct"] == pytest.approx(4.303 * 3 ** -0.5)
    assert g["verdict"] == "within noise"
    assert paired_gain([1.8, 2.0, 2.2])["verdict"] == "better"  # se 0.115: +-0.50
    assert paired_gain([-3.0, -3.2, -2.8])["verdict"] == "worse"
    assert paired_gain([2.0, -1.0, 0.5])["verdict"] == "within noise"
    one = paired_gain([4.0])
    assert one["se_pct"] is None and one["verdict"] == "within noise"  # one run ranks nothing


def test_error_stats_by_hand() -> None:
    from bench.validate import error_stats

    s = error_stats([3.0, -4.0])
    assert s == {"n": 2, "mean_pct": -0.5, "mae_pct": 3.5, "rms_pct": pytest.approx(12.5 ** 0.5), "max_abs_pct": 4.0}
    with pytest.raises(ValueError):
        error_stats([])


def vrec(run_id: str, err: float, first: float, mean3: float, *, epochs: int = 12, share: float = 0.1,
         created: str = "2026-11-28T19:00:00Z") -> dict[str, object]:
    return {"kind": "validation", "run_id": run_id, "created_at": created, "device": "cpu", "device_name": "X",
            "fingerprint": {"machine_id": "m1"}, "epochs": epochs,
            "config": {"model": "yolov8n", "imgsz": 320, "batch": 16, "close_mosaic": 3, "budget_seconds": 40.0,
                       "repeat": 1, "dataset": {"synthetic": {"key": "k"},
                                                "counts": {"train_images": 192, "val_images": 32}}},
            "error_pct": err, "probe_share": share, "probe_seconds": 40.0, "within_range": abs(err) < 4,
            "epoch_noise_pct": 4.0,
            "baselines": {"first_epoch_x_n": {"error_pct": first, "cost_seconds": 36.0},
                          "mean_first_3_x_n": {"error_pct": mean3, "cost_seconds": 100.0}}}


def test_aggregate_groups_by_workload_and_ranks_over_runs() -> None:
    from bench.validate import aggregate, format_aggregate

    runs = [vrec("a", 1.0, -5.0, -2.0, created="2026-11-28T19:00:00Z"),
            vrec("b", -2.0, 6.0, -1.0, created="2026-11-28T19:10:00Z"),
            vrec("c", 0.5, -4.0, -3.0, created="2026-11-28T19:20:00Z"),
            vrec("other", 9.0, 1.0, 1.0, epochs=6),  # another workload: its own group
            {"kind": "validation", "run_id": "broken", "error_pct": None},  # unusable: left out
            vrec("odd", 1.0, 1.0, 1.0) | {"fingerprint": "not an object"},  # malformed: left out, no crash
            vrec("odd2", 1.0, 1.0, 1.0) | {"config": {"dataset": ["x"]}},
            vrec("odd3", 1.0, 1.0, 1.0) | {"probe_seconds": "forty"},
            vrec("odd4", 1.0, 1.0, 1.0, epochs=7) | {"config": {"model": "yolov8n", "budget_seconds": "40 s"}}]
    groups = aggregate(runs)
    assert [g["n"] for g in groups] == [3, 1]
    g = groups[0]
    assert g["run_ids"] == ["a", "b", "c"]
    assert g["probe"]["mean_pct"] == pytest.approx(-0.5 / 3) and g["probe"]["mae_pct"] == pytest.approx(3.5 / 3)
    assert g["baselines"]["first_epoch_x_n"]["mae_pct"] == pytest.approx(5.0)
    assert g["probe_closer"] == {"first_epoch_x_n": 3, "mean_first_3_x_n": 2}
    # paired gains over first epoch: 4, 4, 3.5 -> clearly better; over mean of 3: 1, -1, 2.5 -> noise
    assert g["verdicts"] == {"first_epoch_x_n": "better", "mean_first_3_x_n": "within noise"}
    assert g["beats_baselines_on_mae"] == {"first_epoch_x_n": True, "mean_first_3_x_n": True}
    assert g["within_range"] == 3 and g["probe_share_max"] == pytest.approx(0.1)
    assert groups[1]["enough_runs"] is False and groups[1]["verdicts"]["first_epoch_x_n"] == "too few runs"
    text = format_aggregate(groups)
    assert "3/3 runs" in text and "better" in text and "too few runs to rank" in text
    # a hand-made record without the probe budget still counts; the summary says the budget is not recorded
    bare = vrec("bare", 1.0, 2.0, 3.0) | {"config": {"model": "yolov8n"}}
    assert "probe budget not recorded" in format_aggregate(aggregate([bare]))


def test_aggregate_leaves_out_what_a_record_lacks_instead_of_counting_it_as_zero() -> None:
    """A record without probe_seconds, a baseline's cost or within_range (an older bench's, or hand-made) is left
    out of that mean or count; within_range is worked out from the predicted range where the record has it."""
    from bench.validate import aggregate, format_aggregate, inside_range

    a = vrec("a", 1.0, -5.0, -2.0)  # probe 40 s, within_range True
    b = vrec("b", -2.0, 6.0, -1.0)
    del b["probe_seconds"], b["within_range"]
    b["baselines"]["first_epoch_x_n"].pop("cost_seconds")
    b |= {"predicted_low": 90.0, "predicted_high": 99.0, "actual_seconds": 100.0}  # outside, worked out
    c = vrec("c", 0.5, -4.0, -3.0) | {"probe_seconds": 20.0}
    del c["within_range"]  # and no range to work it out from: unknown
    g = aggregate([a, b, c])[0]
    assert g["probe_seconds"] == pytest.approx(30.0)  # (40 + 20) / 2, not (40 + 0 + 20) / 3
    assert g["baseline_cost_seconds"] == {"first_epoch_x_n": pytest.approx(36.0), "mean_first_3_x_n": 100.0}
    assert (g["within_range"], g["within_range_n"]) == (1, 2)
    assert "inside the predicted range in 1/2 (1 record(s) without a range)" in format_aggregate([g])
    assert inside_range({"predicted_low": 1.0, "predicted_high": 3.0, "actual_seconds": 2.0}) is True
    assert inside_range({"within_range": False, "predicted_low": 1.0, "predicted_high": 3.0,
                         "actual_seconds": 2.0}) is False  # the record's own verdict stands
    assert inside_range({"predicted_low": "1", "predicted_high": 3.0, "actual_seconds": 2.0}) is None
    for v in (a, b, c):
        v["probe_seconds"] = None
    assert aggregate([a, b, c])[0]["probe_seconds"] is None
    assert "n/a" in format_aggregate(aggregate([a, b, c]))


def test_aggregate_at_one_machine_speed() -> None:
    from bench.validate import aggregate, format_aggregate

    def drift(d: float, probe: float, first: float, mean3: float) -> dict[str, object]:
        return {"speed_drift": {"drift_pct": d, "adjusted_error_pct": {
            "probe": probe, "first_epoch_x_n": first, "mean_first_3_x_n": mean3}}}

    runs = [vrec("a", 20.0, -5.0, -2.0, created="2026-11-28T19:00:00Z") | drift(-16.0, 1.0, 3.0, -2.0),
            vrec("b", -8.0, 6.0, -1.0, created="2026-11-28T19:10:00Z") | drift(10.0, 2.0, 4.0, -1.0),
            vrec("c", 0.5, -4.0, -3.0, created="2026-11-28T19:20:00Z") | drift(1.0, -1.0, 3.5, 2.5),
            vrec("d", 0.5, -4.0, -3.0, created="2026-11-28T19:30:00Z") | {"speed_drift": None}]  # not known
    adj = aggregate(runs)[0]["speed_adjusted"]
    assert adj["n"] == 3
    assert adj["drift"] == pytest.approx({"mean_abs_pct": 9.0, "max_abs_pct": 16.0, "over_threshold": 2})
    assert adj["probe"]["mae_pct"] == pytest.approx(4 / 3) and adj["probe"]["mean_pct"] == pytest.approx(2 / 3)
    assert adj["baselines"]["first_epoch_x_n"]["mean_pct"] == pytest.approx(3.5)
    assert adj["probe_closer"] == {"first_epoch_x_n": 3, "mean_first_3_x_n": 2}
    # paired gains over first epoch: 2, 2, 2.5 -> better; over mean of 3: 1, -1, 1.5 -> noise
    assert adj["verdicts"] == {"first_epoch_x_n": "better", "mean_first_3_x_n": "within noise"}
    text = format_aggregate(aggregate(runs))
    assert "at one machine speed" in text and "worst 16.0%" in text and "over 5% in 2/3 runs" in text
    assert aggregate(runs[3:])[0]["speed_adjusted"] is None


def cpu_load(probe_other: float, full_other: float, steal: float = 0.0) -> dict[str, object]:
    def part(other: float) -> dict[str, float]:
        return {"seconds": 40.0, "own_pct": 50.0, "other_pct": other, "steal_pct": steal}

    return {"machine_load": {"probes": [part(probe_other)], "full_run": part(full_other), "full_run_epochs": {}}}


def test_machine_load_from_the_runs_counters() -> None:
    from bench.validate import machine_load, quiet

    def rec(busy: float, own: float) -> dict[str, object]:  # 10 s on 2 CPUs
        return {"measurements": {"cpu_load": {"cpus": 2, "samples": [
            ["start", 0.0, 0.0, 0.0, 0.0], ["epoch_start:0", 1.0, 2.0, 0.0, 1.0],
            ["epoch_end:0", 9.0, busy - 1.0, 0.0, own - 1.0], ["end", 10.0, busy, 0.0, own]]}}}

    cpu = machine_load([rec(12.0, 10.0)], rec(16.0, 10.0))
    assert cpu is not None
    assert cpu["probes"][0]["other_pct"] == 10.0 and cpu["full_run"]["other_pct"] == 30.0
    assert cpu["full_run_epochs"]["0"]["seconds"] == 8.0
    assert quiet({"machine_load": cpu}) is False  # the full run shared the machine
    assert quiet({"machine_load": machine_load([rec(12.0, 10.0)], rec(11.0, 10.0))}) is True
    assert machine_load([{"measurements": {}}], rec(16.0, 10.0)) is None  # an older probe record: unknown
    assert quiet({}) is None and quiet({"machine_load": {"full_run": "x"}}) is None


def test_aggregate_over_quiet_runs() -> None:
    from bench.validate import aggregate, format_aggregate

    runs = [vrec("a", 20.0, -5.0, -2.0, created="2026-11-28T19:00:00Z") | cpu_load(45.0, 1.0),  # busy probe
            vrec("b", -2.0, 6.0, -1.0, created="2026-11-28T19:10:00Z") | cpu_load(1.0, 1.0),
            vrec("c", 1.0, -4.0, -3.0, created="2026-11-28T19:20:00Z") | cpu_load(1.0, 2.0),
            vrec("d", 3.0, 5.0, 4.0, created="2026-11-28T19:30:00Z") | cpu_load(1.0, 1.0, steal=8.0),  # stolen
            vrec("e", 0.5, -4.0, -3.0, created="2026-11-28T19:40:00Z") | cpu_load(2.0, 1.5),
            vrec("f", 0.5, -4.0, -3.0, created="2026-11-28T19:50:00Z")]  # older: no counters
    g = aggregate(runs)[0]
    assert g["load_measured"] == 5
    q = g["quiet"]
    assert q["n"] == 3 and q["run_ids"] == ["b", "c", "e"]
    assert q["probe"]["mae_pct"] == pytest.approx(3.5 / 3) and q["within_target"] == 3
    assert q["baselines"]["mean_first_3_x_n"]["mae_pct"] == pytest.approx(7 / 3)
    assert q["probe_closer"] == {"first_epoch_x_n": 3, "mean_first_3_x_n": 2}
    # paired gains over first epoch: 4, 3, 3.5 -> better; over mean of 3: -1, 2, 2.5 -> within noise
    assert q["verdicts"] == {"first_epoch_x_n": "better", "mean_first_3_x_n": "within noise"}
    text = format_aggregate([g])
    assert "machine load measured in 5/6 runs; quiet throughout" in text and "raw errors of the quiet runs (3" in text
    assert aggregate(runs[-1:])[0]["quiet"] is None


def test_summaries_pass_over_numbers_no_float_can_hold(tmp_path: Path) -> None:
    """JSON holds Infinity and integers of any length; float() of a 400-digit integer overflows. A validation record
    with such numbers is left out of what it spoils, and the summary is still printed (no traceback)."""
    from bench.validate import aggregate, format_aggregate, load_validations, quiet

    big = 10 ** 400
    good = [vrec(f"v{i}", 1.0, 2.0, 3.0, created=f"2026-11-28T19:0{i}:00Z") for i in range(3)]
    odd = [vrec("e", 1.0, 2.0, 3.0) | {"error_pct": big},
           vrec("d", 1.0, 2.0, 3.0, created="2026-11-28T19:05:00Z") | {"speed_drift": {
               "drift_pct": float("inf"), "adjusted_error_pct": {"probe": 1.0, "first_epoch_x_n": 1.0,
                                                                 "mean_first_3_x_n": 1.0}}},
           vrec("q", 1.0, 2.0, 3.0, created="2026-11-28T19:06:00Z") | {"machine_load": {
               "probes": [{"other_pct": big, "steal_pct": 0.0}], "full_run": {"other_pct": 0.0, "steal_pct": 0.0}}}]
    groups = aggregate([*good, *odd])
    assert [g["n"] for g in groups] == [5]  # the 400-digit error is left out; the others count for their errors
    assert groups[0]["speed_adjusted"] is None  # an infinite drift is not averaged
    assert quiet(odd[2]) is None and "machine load" not in format_aggregate(groups)
    # a kept full run whose epochs are 400-digit numbers: the record keeps its own figure, and no traceback
    runs = tmp_path / "validation" / "records"
    runs.mkdir(parents=True)
    (runs / "f1.json").write_text(json.dumps(kept("f1", {"config": {"batch": 16}, "measurements": {
        "wall_seconds": 100.0, "epoch_seconds": [30.0, big, 12.0, 14.0], "events": []}})))
    rec = vrec("20261128T190000Z-cpu-validate-a", 1.0, 2.0, 3.0) | {
        "schema_version": 1, "status": "complete", "seconds_per_epoch": {"median": 30.0},
        "full_run_seconds": {"median": 125.0}, "predicted_seconds": 125.0, "probe_run_ids": ["f1"],
        "full_run_id": "f1"}
    (tmp_path / "validation" / f"{rec['run_id']}.json").write_text(json.dumps(rec))
    vrecs, _ = load_validations(tmp_path)
    assert len(vrecs) == 1 and vrecs[0]["epoch_noise_pct"] == 4.0


def kept(run_id: str, rec: dict[str, Any]) -> dict[str, Any]:
    """A run record kept under validation/records/ with the header every record has, around ``rec``'s parts."""
    return {"schema_version": 1, "run_id": run_id, "kind": "full", "status": "complete",
            "created_at": "2026-11-28T18:00:00Z", "device": "cpu", "fingerprint": {}, "epochs": 4,
            "seconds_per_epoch": None, "full_run_seconds": None, **rec}


def test_older_records_get_their_figures_from_the_runs_records(tmp_path: Path) -> None:
    from bench.review import load
    from bench.validate import load_validations

    runs = tmp_path / "validation" / "records"
    runs.mkdir(parents=True)
    probe = {"config": {"batch": 16}, "measurements": {"events": drift_events([[5.0, 2.5, 2.5, 2.5]])}}
    full = {"config": {"batch": 16}, "measurements": {"wall_seconds": 100.0, "epoch_seconds": [30.0, 10.0, 12.0, 14.0],
                                                      "events": drift_events([[4.0, 2.0], [2.0, 2.0], [2.0]])}}
    (runs / "p1.json").write_text(json.dumps(kept("p1", probe)))
    (runs / "f1.json").write_text(json.dumps(kept("f1", full)))
    old = vrec("20261128T190000Z-cpu-validate-a", 25.0, 0.0, 0.0) | {
        "schema_version": 1, "status": "complete", "seconds_per_epoch": {"median": 30.0},
        "full_run_seconds": {"median": 125.0}, "predicted_seconds": 125.0, "probe_run_ids": ["p1"],
        "full_run_id": "f1", "epoch_noise_pct": None,
        "baselines": {"first_epoch_x_n": {"error_pct": 0.0, "predicted_seconds": 100.0},
                      "mean_first_3_x_n": {"error_pct": 0.0, "predicted_seconds": 100.0}}}
    old["speed_drift"] = {"drift_pct": 7.0, "adjusted_error_pct": {"probe": 7.0}}  # from older rules: derived again
    gone = old | {"run_id": "20261128T191000Z-cpu-validate-b", "probe_run_ids": ["p-gone"], "full_run_id": "f-gone"}
    for r in (old, gone):
        (tmp_path / "validation" / f"{r['run_id']}.json").write_text(json.dumps(r))
    before = (tmp_path / "validation" / f"{old['run_id']}.json").read_bytes()
    vrecs, skipped = load_validations(tmp_path)
    assert skipped == [] and [v["run_id"] for v in vrecs] == [old["run_id"], gone["run_id"]]
    assert vrecs[0]["epoch_noise_pct"] == pytest.approx(200 / 12)
    assert vrecs[0]["speed_drift"]["drift_pct"] == pytest.approx(-20.0)  # 2.5 s a step in the probe, 2.0 after
    assert vrecs[0]["speed_drift"]["adjusted_error_pct"]["probe"] == pytest.approx(0.0)
    # the floor too: the probe watched 2 steady steps of 2.5 s; the full run's steady steps are 2.0 s throughout
    assert vrecs[0]["noise_floor"]["watched_seconds"]["probe"] == pytest.approx(5.0)
    assert vrecs[0]["noise_floor"]["floor"]["probe"]["mae_pct"] == pytest.approx(0.0)
    assert "noise_floor" not in vrecs[1]
    assert vrecs[1]["speed_drift"]["drift_pct"] == 7.0 and vrecs[1]["epoch_noise_pct"] is None  # runs gone: as is
    assert load_validations(tmp_path, backfill=False)[0][0]["speed_drift"]["drift_pct"] == 7.0
    assert (tmp_path / "validation" / f"{old['run_id']}.json").read_bytes() == before  # files are not rewritten
    assert load(tmp_path).validation[0]["speed_drift"]["drift_pct"] == pytest.approx(-20.0)  # the notebook too


def test_validate_summary_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    vdir = tmp_path / "validation"
    vdir.mkdir()
    for i, (e, f, m) in enumerate([(1.0, -5.0, -2.0), (-2.0, 6.0, -1.0), (0.5, -4.0, -3.0)]):
        r = vrec(f"2026112{i}T000000Z-cpu-validate-{i}", e, f, m, created=f"2026-11-2{i}T00:00:00.000001Z") | {
            "schema_version": 1, "status": "complete", "seconds_per_epoch": {"median": 30.0},
            "full_run_seconds": {"median": 380.0}}
        (vdir / f"{r['run_id']}.json").write_text(json.dumps(r))
    (vdir / "oh.json").write_text(json.dumps({"schema_version": 1, "kind": "overhead", "run_id": "oh",
                                              "created_at": "2026-11-20T00:00:00Z"}))  # not a validation: ignored
    nan = json.loads((vdir / f"{r['run_id']}.json").read_text()) | {"run_id": "nan-error", "error_pct": float("nan")}
    (vdir / "nan-error.json").write_text(json.dumps(nan))  # an edited record: left out, and said so
    assert main(["validate", "--summary", "--results", str(tmp_path), "--json"]) == 0
    out = capsys.readouterr()
    groups = json.loads(out.out)
    assert len(groups) == 1 and groups[0]["n"] == 3
    warnings = [x for x in out.err.splitlines() if x.startswith("warning")]
    assert "vs first_epoch_x_n" in out.err and len(warnings) == 1 and "left out nan-error" in warnings[0]
    # --since: the validations started at or after a UTC time (the records' created_at: 2026-11-2{i}T00:00)
    assert main(["validate", "--summary", "--since", "2026-11-21", "--results", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["n"] == 2
    assert main(["validate", "--summary", "--since", "2026-11-21T01:00+01:00", "--results", str(tmp_path),
                 "--json"]) == 0  # 00:00 UTC
    assert json.loads(capsys.readouterr().out)[0]["run_ids"] == ["20261121T000000Z-cpu-validate-1",
                                                                 "20261122T000000Z-cpu-validate-2"]
    assert main(["validate", "--summary", "--since", "2030-01-01", "--results", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"bench validate: error: no validation in {vdir} started at or after 2030-01-01T00:00:00+00:00: the newest "
        "started at 2026-11-22T00:00:00.000001Z; give an earlier --since, or leave it out")


# ------------------------------------------------------------------------------ margin from a machine's history
def write_vrecs(results: Path, errors: list[float], machine: str = "m1", device: str = "cpu") -> None:
    vdir = results / "validation"
    vdir.mkdir(parents=True, exist_ok=True)
    for i, e in enumerate(errors):
        r = vrec(f"20261128T0{i}0000Z-{device}-validate-{machine}{i}", e, 0.0, 0.0) | {
            "schema_version": 1, "status": "complete", "device": device, "fingerprint": {"machine_id": machine},
            "seconds_per_epoch": {"median": 30.0}, "full_run_seconds": {"median": 380.0}}
        (vdir / f"{r['run_id']}.json").write_text(json.dumps(r))


def test_margin_needed_brings_the_actual_inside_the_widened_prediction() -> None:
    from bench.stats import Range
    from bench.validate import margin_needed, validated_margin

    assert margin_needed(-0.2) == pytest.approx(0.25) and margin_needed(0.2) == pytest.approx(0.2 / 1.2)
    assert margin_needed(0.0) == 0.0
    # five validations that each under-predicted by 20% (P = 80 for A = 100): the margin they give holds A = 100
    recs = [vrec(f"r{i}", -20.0, 0.0, 0.0) for i in range(5)]
    m = validated_margin(recs, "m1", "cpu")
    assert m is not None and m["margin"] == pytest.approx(0.25) and m["max_abs_pct"] == pytest.approx(20.0)
    widened = Range.exact(80.0).widen(m["margin"])
    assert widened.low <= 100.0 <= widened.high
    # an error at or below -100% (a prediction of zero or less) is no measurement: left out
    assert validated_margin([vrec(f"r{i}", -100.0, 0.0, 0.0) for i in range(5)], "m1", "cpu") is None


def test_margin_from_this_machines_validations(tmp_path: Path) -> None:
    from bench.validate import margin_for, validated_margin

    # errors 1, -2, 30%: margins needed 1/101, 2/98, 30/130 = 0.0099, 0.0204, 0.2308; at least 80% of 3 is all 3:
    # the largest, 0.2308, rounded up to 0.231 (an interpolated quantile, 0.1466, held in 2 of the 3)
    write_vrecs(tmp_path, [1.0, -2.0, 30.0])
    write_vrecs(tmp_path, [50.0, 50.0, 50.0], machine="other")  # another machine: not counted
    write_vrecs(tmp_path, [60.0, 60.0, 60.0], device="mps")  # another device on this machine: not counted
    margin, note = margin_for(tmp_path, "m1", "cpu", 0.05)
    assert margin == 0.231
    assert note is not None and "widened to ±23.1%" in note and "in 3 of the 3 validations" in note
    assert "within 23.1% of the prediction" in note and "worst error 30.0%" in note
    five = tmp_path / "five"  # needed 0.0099, 0.0196, 0.0291, 0.0909, 0.2857: the 4th of 5 (80%) is 10/110
    write_vrecs(five, [1.0, 2.0, 3.0, 10.0, 40.0])
    margin, note = margin_for(five, "m1", "cpu", 0.05)
    assert margin == 0.091 and note is not None and "in 4 of the 5 validations" in note
    assert margin_for(tmp_path, "nobody", "cpu", 0.05) == (0.05, None)  # no history: the default, no note
    assert margin_for(tmp_path, None, "cpu", 0.05) == (0.05, None)
    quiet = tmp_path / "quiet"
    write_vrecs(quiet, [1.0, 2.0, -3.0])
    margin, note = margin_for(quiet, "m1", "cpu", 0.05)
    assert margin == 0.05 and note is not None and "kept" in note  # history supports the default: never narrower
    two = tmp_path / "two"
    write_vrecs(two, [40.0, 40.0])
    assert margin_for(two, "m1", "cpu", 0.05) == (0.05, None)  # too few validations to say anything
    assert validated_margin([], "m1", "cpu") is None
    assert validated_margin([vrec("x", 1.0, 1.0, 1.0) | {"fingerprint": 3}] * 3, "m1", "cpu") is None
    # JSON allows 1e308 and Infinity: such an error is an edit, not a measurement; it would make the margin
    # (and the record the probe writes with it) infinite
    for huge in (1e308, float("inf")):
        assert validated_margin([vrec("x", huge, 1.0, 1.0)] * 3, "m1", "cpu") is None
    huge = tmp_path / "huge"
    write_vrecs(huge, [1.0, 2.0, 1e308, float("inf")])
    assert margin_for(huge, "m1", "cpu", 0.05) == (0.05, None)  # two usable: too few
    # validations that erred by +120% and -60%: margins needed 1.2 / 2.2 and 0.6 / 0.4 = 0.545 and 1.5; the
    # margin follows them, 1.5 for all 3 (the low bound stops at zero), and says so
    wild = tmp_path / "wild"
    write_vrecs(wild, [120.0, -60.0, 120.0])
    margin, note = margin_for(wild, "m1", "cpu", 0.05)
    assert margin == 1.5 and note is not None
    assert "stops at zero" in note
    assert "not to be trusted" in note and "not to be trusted" not in (margin_for(tmp_path, "m1", "cpu", 0.05)[1] or "")


def test_summary_leaves_out_records_it_cannot_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main

    write_vrecs(tmp_path, [1.0, 2.0, 3.0])
    vdir = tmp_path / "validation"
    base = json.loads(next(vdir.glob("*.json")).read_text())
    for i, change in enumerate(({"config": {"model": [1]}}, {"device": [1]}, {"epochs": {"n": 16}},
                                {"fingerprint": {"machine_id": [1]}}, {"error_pct": 1e308})):
        r = base | change | {"run_id": f"odd{i}"}
        (vdir / f"odd{i}.json").write_text(json.dumps(r))
    assert main(["validate", "--summary", "--results", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "3 validation(s)" in err and "Traceback" not in err
    assert "left out odd0: a list or a mapping where its machine, device or workload names a value" in err
    assert "left out odd4: its error, probe share or baselines are not finite numbers" in err


def test_probes_are_started_with_the_options_they_were_given(tmp_path: Path) -> None:
    import dataclasses

    from bench.cli import build_parser, run_options
    from bench.validate import cli_args

    given = ["--device", "cpu", "--model", "yolov8s", "--imgsz", "96", "--batch", "3", "--workers", "2", "--cache",
             "ram", "--no-amp", "--epochs", "7", "--close-mosaic", "2", "--budget", "12.5", "--train-images", "33",
             "--val-images", "9", "--test-images", "4", "--classes", "5", "--image-size", "160x96", "--seed", "9",
             "--results", str(tmp_path / "r"), "--datasets", str(tmp_path / "d")]
    opts = run_options(build_parser().parse_args(["run", *given]))
    # a validation's probe: its records apart, its margin from the validations beside them
    inner = dataclasses.replace(opts, results=tmp_path / "r" / "validation" / "records", margin_from=tmp_path / "r")
    for o in (opts, inner):
        assert run_options(build_parser().parse_args(["run", *cli_args(o)])) == o
    assert opts.margin_from is None and "--margin-from" not in cli_args(opts)


def test_report_widens_this_machines_row_from_its_validations(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    from bench.cli import main

    fixture = Path(__file__).parent / "fixtures" / "results"
    plain, noisy = tmp_path / "plain", tmp_path / "noisy"
    shutil.copytree(fixture, plain)
    shutil.copytree(fixture, noisy)
    machine = json.loads(next(fixture.glob("*.json")).read_text())["fingerprint"]["machine_id"]
    write_vrecs(noisy, [1.0, -2.0, 30.0], machine=machine)
    rows = {}
    for d in (plain, noisy):
        assert main(["report", "--results", str(d)]) == 0, capsys.readouterr().err
        rows[d.name] = json.loads((d / "report" / "report.json").read_text())["rows"][0]
    capsys.readouterr()
    a, b = rows["plain"], rows["noisy"]
    assert a["instance"] == b["instance"] == "local" and a["hours"] == pytest.approx(b["hours"])  # same median
    assert b["hours_low"] < a["hours_low"] and b["hours_high"] > a["hours_high"]  # a wider range
    assert a["systematic"] == pytest.approx(0.05) and b["systematic"] == pytest.approx(0.231)
    md = (noisy / "report" / "report.md").read_text()
    assert "margin widened to ±23.1%" in md
    # every place that states this machine's margin states the one its row used
    assert "- this machine: +-23.1%, widened from the default" in md and "widened by +-23.1% systematic" in md
    assert "±5%" not in md.split("### Measured and extrapolated")[1].split("###")[0]
    assert ("- this machine: +-5%, the default (no `bench validate` on this machine has widened it: 3 validations of "
            "its own set it from their errors)") in (plain / "report" / "report.md").read_text()


def test_since_reads_the_records_utc_z_on_every_python() -> None:
    """Records write UTC times with a trailing Z, which Python 3.10's fromisoformat rejects: --since spells it
    +00:00 first, so no record is left out for its spelling."""
    import datetime as dt

    from bench.cli import _started_since, _utc_time
    from bench.record import parse_utc

    utc = dt.timezone.utc
    assert parse_utc("2026-11-29T06:21:00.5Z") == dt.datetime(2026, 11, 29, 6, 21, 0, 500000, tzinfo=utc)
    assert parse_utc("2026-11-29") == dt.datetime(2026, 11, 29, tzinfo=utc)  # no offset: UTC
    assert parse_utc("2026-11-29T11:00:00+02:00") < parse_utc("2026-11-29T10:00:00Z")  # the instant, not the text
    assert parse_utc("soon") is None and parse_utc(12345) is None and parse_utc(None) is None
    since = _utc_time("2026-11-29T06:20")
    assert since == dt.datetime(2026, 11, 29, 6, 20, tzinfo=dt.timezone.utc)
    assert _started_since({"created_at": "2026-11-29T06:21:00.123456Z"}, since)
    assert not _started_since({"created_at": "2026-11-29T06:19:59Z"}, since)
    assert not _started_since({"created_at": "soon"}, since)


def test_help_shows_each_commands_own_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """`validate` trains a smaller workload than `run`: each command's --help states its own defaults."""
    import re

    from bench.cli import main
    from bench.validate import DEFAULT_WORKLOAD as W

    def defaults(cmd: str) -> dict[str, str]:
        assert main([cmd, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        return {flag: m.group(1) for flag in ("imgsz", "epochs", "close-mosaic", "train-images", "val-images")
                if (m := re.search(rf"--{flag} \S+ [^()]*\((?:default )?(\d+)", text))}

    assert defaults("validate") == {"imgsz": str(W["imgsz"]), "epochs": str(W["epochs"]),
                                    "close-mosaic": str(W["close_mosaic"]), "train-images": str(W["train_images"]),
                                    "val-images": str(W["val_images"])}
    assert defaults("run") == {"imgsz": "640", "epochs": "50", "close-mosaic": "10", "train-images": "4195",
                               "val-images": "400"}


def _probe_rec(median: float, low: float, high: float, wall: float = 4.0) -> dict[str, Any]:
    pc = Clock()
    epoch(pc, 0, [(0.5, 9.0), (0.5, 4.0), (0.5, 4.0)], 0.0, 0.5, [(0.25, 1.5, 32)])
    return {"full_run_seconds": {"median": median, "low": low, "high": high}, "config": {"batch": 16},
            "measurements": {"wall_seconds": wall, "events": pc.events}, "profile": make_profile().to_dict()}


def _full_rec(wall: float = 42.0) -> dict[str, Any]:
    return {"epochs": 4, "config": {"batch": 16},
            "measurements": {"wall_seconds": wall, "epoch_seconds": [13.0, 11.75, 11.75, 9.75],
                             "events": full_run_events(), "plain_from_epoch": 2}}


def test_repeats_are_summarized_by_their_median() -> None:
    # three probes: the estimate and the probe cost are medians (46, 7), not means (50, 9) or the first (44, 5)
    s = summarize([_probe_rec(44, 40, 48), _probe_rec(46, 42, 50), _probe_rec(60, 55, 65)], _full_rec(),
                  process_seconds=[5, 7, 15])
    assert s["predicted_seconds"] == 46.0 and s["probe_seconds"] == 7.0


def test_speed_drift_takes_the_median_probe() -> None:
    from bench.validate import speed_drift

    probes = [{"config": {"batch": 16}, "measurements": {"events": drift_events([[5.0, x, x, x, x]])}}
              for x in (4.0, 2.5, 2.0)]
    full = {"config": {"batch": 16}, "measurements": {"wall_seconds": 100.0, "events": drift_events(
        [[4.0, 6.0, 2.2, 2.2], [2.0, 2.0], [1.8, 1.8], [2.0, 2.0]])}}
    d = speed_drift(probes, full, 125.0, {})
    assert d is not None
    assert d["seconds_per_step"]["probe"] == pytest.approx(2.5) and d["drift_pct"] == pytest.approx(-20.0)


def test_targets_by_hand() -> None:
    # predicted 35 s against 42 s: -16.7%, outside 5%; first epoch x N +23.8%, mean of 3 x N +15.9%: the probe is
    # closer than the first but not the mean of 3; each target is its own: within 5%, probe share <= 15%, closer
    # than every baseline
    s = summarize([_probe_rec(35, 30, 40)], _full_rec())
    assert s["error_pct"] == pytest.approx(-16.667, abs=1e-3)
    assert s["targets"]["error_met"] is False
    assert s["targets"]["beats_baselines"] is False  # 16.7% beats first x N's 23.8%, not mean of 3's 15.9%
    assert s["targets"]["probe_share_met"] is True  # 4 / 42 = 9.5%
    assert summarize([_probe_rec(35, 30, 40, wall=6.0)], _full_rec())["targets"]["probe_share_met"] is True  # 14.3%
    assert summarize([_probe_rec(35, 30, 40, wall=6.5)], _full_rec())["targets"]["probe_share_met"] is False  # 15.5%
    near = summarize([_probe_rec(43, 40, 46)], _full_rec())  # +2.4%: within 5% and closer than both baselines
    assert near["targets"]["error_met"] is True and near["targets"]["beats_baselines"] is True


def test_repeat_warns_when_the_probe_spread_is_over_the_threshold() -> None:
    def warned(medians: list[float]) -> list[str]:
        s = summarize([_probe_rec(m, 0.95 * m, 1.05 * m) for m in medians], _full_rec())
        return [w for w in s["warnings"] if "varied by" in w]

    # quantiles of 300, 340, 380: IQR 360 - 320 = 40 over median 340 = 11.8% > 10%
    assert len(warned([300, 340, 380])) == 1 and "varied by 12%" in warned([300, 340, 380])[0]
    assert warned([300, 320, 340]) == []  # 20 / 320 = 6.25%
    assert warned([300, 340]) == []  # two probes: IQR 20 / 320 = 6.25%
    assert "varied by 12%" in warned([300, 380])[0]  # 40 / 340 = 11.8%


def test_predicted_plain_epoch_includes_validation() -> None:
    t = predicted_terms(make_profile())
    assert t["epoch_plain"] == pytest.approx(95 + 9 + 2) and t["train_plain"] == pytest.approx(95.0)


def test_val_pass_is_the_median_pass() -> None:
    c = Clock()
    c.wait(2.0)
    c.mark("setup_end")
    for i, v in enumerate([1.5, 1.5, 1.5, 4.5]):
        epoch(c, i, [(0.5, 4.0), (0.5, 4.0)], 0.0, 0.95, [(0.25, v, 32)])
    c.mark("end")
    assert actual_terms(c.events, plain_from_epoch=2)["val_pass"] == pytest.approx(1.8)  # passes 1.8 x 3, 4.8


def test_aggregate_epoch_noise_is_the_mean() -> None:
    from bench.validate import aggregate

    runs = [vrec(x, 1.0, 2.0, 3.0) | {"epoch_noise_pct": n} for x, n in (("a", 2.0), ("b", 4.0), ("c", 9.0))]
    assert aggregate(runs)[0]["epoch_noise_pct"] == pytest.approx(5.0)


def test_validations_are_ordered_by_the_instant_not_the_text(tmp_path: Path) -> None:
    """A record written with an offset (11:00+02:00 is 09:00 UTC) sorts by when it was, as run records do: the
    group's first and last, and the workload it is shown under, follow time."""
    from bench.validate import aggregate, load_validation_dir

    vdir = tmp_path / "validation"
    vdir.mkdir()
    times = {"a": "2026-11-30T10:00:00Z", "b": "2026-11-30T11:00:00+02:00", "c": "2026-11-30T09:30:00Z"}
    for name, t in times.items():
        r = vrec(f"20261130T000000Z-cpu-validate-{name}", 1.0, 2.0, 3.0, created=t) | {
            "schema_version": 1, "status": "complete", "seconds_per_epoch": None, "full_run_seconds": None}
        (vdir / f"{name}.json").write_text(json.dumps(r))
    vrecs, _, skipped = load_validation_dir(tmp_path)
    assert skipped == [] and [v["run_id"][-1] for v in vrecs] == ["b", "c", "a"]
    g = aggregate(vrecs, min_runs=1)[0]
    assert (g["first"], g["last"]) == (times["b"], times["a"])


def test_a_repeat_that_is_not_a_count_leaves_the_record_out(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from bench.cli import main
    from bench.validate import why_unusable

    assert why_unusable(vrec("v", 1.0, 2.0, 3.0)) is None
    for bad in ("2", 0, True, 2.5):
        r = vrec("v", 1.0, 2.0, 3.0)
        r["config"]["repeat"] = bad  # type: ignore[index]
        assert why_unusable(r) == f"its config.repeat {bad!r} is not a whole number of at least 1"
    vdir = tmp_path / "validation"
    vdir.mkdir()
    for i in range(2):
        r = vrec(f"2026112{i}T000000Z-cpu-validate-{i}", 1.0, 2.0, 3.0) | {
            "schema_version": 1, "status": "complete", "seconds_per_epoch": None, "full_run_seconds": None}
        r["config"]["repeat"] = "2" if i else 1  # type: ignore[index]
        (vdir / f"{i}.json").write_text(json.dumps(r))
    assert main(["validate", "--summary", "--results", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "left out 20261121T000000Z-cpu-validate-1: its config.repeat '2' is not a whole number" in err
    assert "1 validation(s) of yolov8n" in err and "Traceback" not in err


def test_kept_runs_with_broken_events_cost_only_their_figures(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A probe or full run kept under validation/records/ whose events are cut rows (or of a newer schema): the
    summary prints without the figures derived from them, exit 0; the notebook's loader the same."""
    from bench.cli import main
    from bench.review import load

    runs = tmp_path / "validation" / "records"
    runs.mkdir(parents=True)
    broken = {"config": {"batch": 16}, "measurements": {"wall_seconds": 100.0, "epoch_seconds": [30.0, 10.0, 12.0],
                                                        "events": [["batch_start"]]}}
    (runs / "p.json").write_text(json.dumps(kept("p", broken)))
    (runs / "f.json").write_text(json.dumps(kept("f", broken) | {"schema_version": 99}))
    (runs / "f2.json").write_text(json.dumps(kept("f2", broken)))
    for i, full in enumerate(("f", "f2")):
        r = vrec(f"2026112{i}T000000Z-cpu-validate-{i}", 1.0, 2.0, 3.0) | {
            "schema_version": 1, "status": "complete", "seconds_per_epoch": None, "full_run_seconds": None,
            "probe_run_ids": ["p"], "full_run_id": full}
        (tmp_path / "validation" / f"{i}.json").write_text(json.dumps(r))
    assert main(["validate", "--summary", "--results", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert "2 validation(s) of yolov8n" in err and "Traceback" not in err
    R = load(tmp_path)
    assert len(R.validation) == 2 and all("speed_drift" not in v for v in R.validation)


def test_a_child_run_whose_record_is_cut_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`bench validate` reads each `bench run --json` it starts: a child killed while printing its record is a
    failed run (exit 3) with one line, not a JSON traceback."""
    from bench.errors import RunFailed
    from bench.validate import run_bench

    child = tmp_path / "child"
    child.write_text('#!/bin/sh\nprintf \'{"run_id": "x", "status": "comp\'\nexit 137\n')
    child.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(child))
    with pytest.raises(RunFailed, match=r"exited 137 and the record it printed is cut or not JSON"):
        run_bench(["--device", "cpu"])
