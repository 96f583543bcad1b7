"""The timeline parser and the derivation of a profile, on event series built by hand (numbers in comments)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench.profile import Profile
from bench.timeline import Workload, derive, parse, split_warmup


class Clock:
    def __init__(self) -> None:
        self.t = 0.0
        self.events: list[list[object]] = []

    def wait(self, s: float) -> None:
        self.t += s

    def mark(self, name: str, a: int = 0, b: int = 0) -> None:
        self.events.append([name, round(self.t, 9), a, b])


def val_pass(c: Clock, batches: list[tuple[float, float, int]], fixed: float) -> None:
    c.mark("val_start")
    for i, (d, comp, n) in enumerate(batches):
        c.wait(d)
        c.mark("val_batch_start", i)
        c.wait(comp)
        c.mark("val_batch_end", i, n)
    c.wait(fixed)
    c.mark("val_end")


def epoch(c: Clock, e: int, batches: list[tuple[float, float]], tail: float, boundary: float,
          val: list[tuple[float, float, int]], plotted: tuple[int, ...] = (), spilled: tuple[int, ...] = (),
          pre_val: float = 0.0) -> None:
    c.mark("epoch_start", e)
    for i, (d, comp) in enumerate(batches):
        c.wait(d)
        c.mark("batch_start", e, 16)
        c.wait(comp)
        c.mark("batch_end", e, 1 if i in plotted else (2 if i in spilled else 0))
    c.wait(tail)
    c.mark("epoch_end", e)
    c.wait(pre_val)  # ultralytics' _clear_memory before the validation
    val_pass(c, val, 0.05)
    c.wait(boundary)
    c.mark("fit_epoch_end", e)


def probe_events(clear: float = 0.0) -> list[list[object]]:
    """A probe's events; ``clear`` seconds of ultralytics' _clear_memory after each epoch's fit end."""
    c = Clock()
    c.wait(3.0)
    c.mark("setup_end")
    # epoch 0 (mosaic): a warm-up batch of 0.2 + 5.0 s, then steady 0.2 + 2.0 on average
    epoch(c, 0, [(0.2, 5.0), (0.2, 2.0), (0.2, 2.1), (0.2, 1.9), (0.2, 2.0)], tail=0.01, boundary=0.49,
          val=[(0.1, 1.0, 32), (0.1, 1.0, 32)])
    c.wait(clear)
    # epoch 1 (no mosaic): 0.1 + 2.0
    epoch(c, 1, [(0.1, 2.0), (0.1, 2.0), (0.1, 2.0)], tail=0.01, boundary=0.49, val=[(0.1, 1.0, 32)])
    c.wait(clear)
    # final evaluation: one val batch, then 1.5 s of loading, plots
    val_pass(c, [(0.1, 1.0, 32)], 1.0)
    c.mark("fit_epoch_end", 2)  # ultralytics fires it again after final_eval
    c.wait(0.45)
    c.mark("end")
    return c.events


WORKLOAD = Workload(device_type="cpu", device_name="Test CPU", precision="fp32", model="yolov8n", imgsz=640,
                    batch=16, val_batch=32, workers=0, host_cpus=2, torch_threads=1, gflops=8.7,
                    plain_from_epoch=1, full_train_images=1600, full_val_images=320)


def test_parts_partition_the_wall_time_exactly() -> None:
    ev = probe_events()
    tl = parse(ev)
    parts = tl.parts()
    assert tl.end is not None
    assert sum(parts.values()) == pytest.approx(tl.end, abs=1e-9)
    assert parts["setup"] == pytest.approx(3.0)
    assert parts["data"] == pytest.approx(5 * 0.2 + 3 * 0.1)
    assert parts["compute"] == pytest.approx(5.0 + 2.0 + 2.1 + 1.9 + 2.0 + 3 * 2.0)
    # val: epoch 0 = 2 x 1.1 + 0.05; epoch 1 = 1.1 + 0.05
    assert parts["val"] == pytest.approx(2.25 + 1.15)
    # epoch fixed: tail 0.01 + boundary 0.49 per epoch
    assert parts["epoch_fixed"] == pytest.approx(1.0)
    # final: 1.1 + 1.0 + 0.45 after the last training epoch's fit end
    assert parts["final"] == pytest.approx(2.55)


def test_the_parts_of_a_run_cut_off_anywhere_add_up_to_its_end() -> None:
    """Found by a review: a run stopped inside its second epoch counted that epoch's batches twice (in data and
    compute, and again in the final section), 27.55 s of parts for 23.35 s; one stopped in its first lost time."""
    ev = probe_events()
    for k in range(len(ev)):
        stop = float(ev[k - 1][1]) + 0.05 if k else 0.05  # stopped 50 ms after the k-th event
        tl = parse([*ev[:k], ["end", stop, 0, 0]])
        parts = tl.parts()
        assert sum(parts.values()) == pytest.approx(stop, abs=1e-9), (k, ev[k - 1] if k else None, parts)
        assert min(parts.values()) >= 0, (k, parts)
    # stopped during epoch 1's third batch (after its 2nd batch_end): epoch 0 whole, epoch 1's two batches, the rest
    # of epoch 1 (the wait and compute in flight) as epoch fixed, no final section
    k = next(i for i, e in enumerate(ev) if e[0] == "batch_end" and e[2] == 1) + 4
    assert ev[k - 1][0] == "batch_start"
    parts = parse([*ev[:k], ["end", float(ev[k - 1][1]) + 1.0, 0, 0]]).parts()
    assert parts["final"] == 0.0
    assert parts["data"] == pytest.approx(5 * 0.2 + 2 * 0.1) and parts["compute"] == pytest.approx(13.0 + 2 * 2.0)
    assert parts["epoch_fixed"] == pytest.approx(0.5 + 0.1 + 1.0)  # epoch 0's boundary; epoch 1's wait + 1 s


def test_final_fit_epoch_end_does_not_overwrite_the_epoch() -> None:
    tl = parse(probe_events())
    assert len(tl.epochs) == 2
    assert len(tl.final_vals) == 1
    assert tl.epochs[1].fixed_seconds == pytest.approx(0.5)


def test_warmup_is_kept_out_of_steady_state() -> None:
    d = derive(probe_events(), WORKLOAD)
    p = d.profile
    assert d.warmup_batches == {"mosaic": 2, "plain": 0}  # a run's first two batches are warm-up
    assert p.mosaic.compute_seconds_per_batch.median == pytest.approx(2.0)  # (2.1 + 1.9 + 2.0) / 3
    assert p.mosaic.data_seconds_per_batch.median == pytest.approx(0.2)
    assert p.mosaic.batches_observed == 3
    assert p.plain.compute_seconds_per_batch.median == pytest.approx(2.0)
    # warm-up excess: 5.2 - 2.2 = 3.0, all of it the first batch's compute (the device's part)
    assert p.warmup_excess_seconds == pytest.approx(3.0) and p.warmup_device_seconds == pytest.approx(3.0)
    assert p.setup_seconds == pytest.approx(3.0)
    assert p.val_compute_seconds_per_batch.median == pytest.approx(1.0)
    assert p.val_data_seconds_per_batch.median == pytest.approx(0.1)
    assert p.val_fixed_seconds.median == pytest.approx(0.05)
    assert p.epoch_fixed_seconds.median == pytest.approx(0.5)
    # final: 2.55 s minus one validation pass at the steady rate (a batch of 1.1 s and the pass's 0.05 s), which
    # the estimate adds as a whole = 1.40 s
    assert p.final_fixed_seconds == pytest.approx(1.40)
    assert p.train_images == 1600 and p.val_images == 320
    assert d.images_per_second == pytest.approx(16 / 2.2)
    assert d.data_wait_share == pytest.approx(0.2 / 2.2)


def test_partial_batches_count_per_image() -> None:
    c = Clock()
    c.mark("setup_end")
    c.mark("epoch_start", 0)
    for _i, (n, comp) in enumerate([(16, 2.0), (16, 2.0), (16, 2.0), (8, 1.0)]):
        c.mark("batch_start", 0, n)
        c.wait(comp)
        c.mark("batch_end", 0, 0)
    c.mark("epoch_end", 0)
    c.mark("fit_epoch_end", 0)
    c.mark("end")
    d = derive(c.events, WORKLOAD)
    assert d.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(2.0)  # 1.0 s for 8 images -> 2.0


def test_split_warmup() -> None:
    assert split_warmup([9.0, 5.0, 2.0, 2.0, 2.0], first_is_warmup=False) == 2
    assert split_warmup([2.0, 2.0, 2.0], first_is_warmup=True) == 1
    assert split_warmup([2.0, 2.1, 1.9, 2.0], first_is_warmup=False) == 0
    assert split_warmup([9.0, 2.0], first_is_warmup=False) == 0  # never leaves fewer than two steady batches
    # up to the last batch that stands out, not the first that does not: a gradual warm-up seen through noise
    assert split_warmup([12.0, 13.9, 10.8, 10.6, 10.9, 10.7], first_is_warmup=False) == 2
    # on a noisy machine a batch 15% above the rest is noise, not warm-up: it must stand 3 robust sd above them
    noisy = [0.086, 0.076, 0.063, 0.092, 0.086, 0.066, 0.067, 0.062, 0.071, 0.06, 0.064, 0.088, 0.077, 0.09, 0.069]
    assert split_warmup(noisy, first_is_warmup=False) == 0
    assert split_warmup([0.3, *noisy], first_is_warmup=False) == 1


def test_no_batches_is_an_error() -> None:
    with pytest.raises(ValueError):
        derive([["setup_end", 1.0, 0, 0], ["end", 2.0, 0, 0]], WORKLOAD)


def test_interrupted_timeline_still_parses() -> None:
    ev = probe_events()[:12]  # cut in the middle of epoch 0
    tl = parse(ev)
    assert tl.end is None and len(tl.epochs) == 1 and not tl.epochs[0].complete
    d = derive(ev, WORKLOAD)
    # the warm-up batch left out, the 3 steady ones kept: 2.1, 1.9, 2.0 s
    assert d.profile.mosaic.batches_observed == 3
    assert d.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(2.0)


def test_epoch_seconds_by_hand() -> None:
    # epoch 0: batches 5.2 + 2.2 + 2.3 + 2.1 + 2.2 = 14.0 s, tail 0.01, validation 2.25, boundary 0.49 -> 16.75 s;
    # epoch 1: 6.3 + 0.01 + 1.15 + 0.49 = 7.95 s (from each epoch's start to the next one's, or to its fit end)
    assert parse(probe_events()).epoch_seconds() == pytest.approx([16.75, 7.95])


def test_plotted_batches_are_one_offs_extrapolated_to_the_full_run() -> None:
    c = Clock()
    c.mark("setup_end")
    # epoch 0: the first batch warms up and plots (6 s), then steady 2 s; epoch 1: its first batch plots (+1.5 s)
    epoch(c, 0, [(0.1, 6.0), (0.1, 2.0), (0.1, 2.0), (0.1, 2.0)], 0.0, 0.0, [(0.1, 1.0, 32)], plotted=(0,))
    epoch(c, 1, [(0.1, 3.5), (0.1, 2.0), (0.1, 2.0)], 0.0, 0.0, [(0.1, 1.0, 32)], plotted=(0,))
    c.mark("end")
    d = derive(c.events, WORKLOAD)
    assert d.profile.plain.compute_seconds_per_batch.median == pytest.approx(2.0)
    # one-offs: first batch 6 - 2 = 4 s; plain plot 1.5 s measured; 4 more plots of a full run at 1.5 s each
    assert d.profile.warmup_excess_seconds == pytest.approx(4.0 + 1.5 + 4 * 1.5)


def test_compute_is_pooled_across_phases_but_data_is_not() -> None:
    c = Clock()
    c.mark("setup_end")
    epoch(c, 0, [(0.3, 5.0), (0.3, 2.0), (0.3, 2.0), (0.3, 2.0)], 0.0, 0.0, [(0.1, 1.0, 32)])
    epoch(c, 1, [(0.1, 3.0), (0.1, 3.0)], 0.0, 0.0, [(0.1, 1.0, 32)])
    c.mark("end")
    d = derive(c.events, WORKLOAD)
    p = d.profile
    # steady compute: 2, 2 (mosaic, after the run's first two) and 3, 3 (no mosaic) -> 10 / 4 = 2.5 for both phases
    assert p.mosaic.compute_seconds_per_batch.median == pytest.approx(2.5)
    assert p.plain.compute_seconds_per_batch == p.mosaic.compute_seconds_per_batch
    assert p.mosaic.data_seconds_per_batch.median == pytest.approx(0.3)
    assert p.plain.data_seconds_per_batch.median == pytest.approx(0.1)
    # 2 steady batches a phase, 4 pooled: the compute has enough; only the mosaic's data wait (0.3 of 2.8 s, 11%)
    # weighs enough to warn about its 2 batches, not the no-mosaic's (0.1 of 2.6 s, 4%)
    few = [w for w in d.warnings if "steady-state batch(es)" in w]
    assert few == ["mosaic: its data wait (11% of a step) rests on 2 steady-state batch(es); compute is pooled over "
                   "both phases (4 batches). Raise --budget for more."]
    c = Clock()  # one steady batch a phase: 2 pooled are too few, and each phase says so
    c.mark("setup_end")
    epoch(c, 0, [(0.3, 5.0), (0.3, 2.0), (0.3, 2.0)], 0.0, 0.0, [(0.1, 1.0, 32)])
    epoch(c, 1, [(0.1, 3.0)], 0.0, 0.0, [(0.1, 1.0, 32)])
    c.mark("end")
    few = [w for w in derive(c.events, WORKLOAD).warnings if "steady-state" in w]
    assert [w.split(";")[0] for w in few] == [
        "mosaic: only 1 steady-state batch(es) observed", "no mosaic: only 1 steady-state batch(es) observed"]
    # the compute's range is pooled from the 2 (a wide 2-sample interval), not that one batch's
    assert all("the range is wide for lack of samples" in w for w in few)


def test_falling_compute_at_the_end_of_the_probe_is_flagged() -> None:
    from bench.timeline import falling_trend

    assert falling_trend([17.4, 15.5, 13.1, 11.4]) is not None  # seen on a 2-core CPU at 640 px
    assert falling_trend([10.2, 9.9, 10.4, 10.0]) is None  # noise, not a trend
    assert falling_trend([12.0, 13.0, 9.0]) is None  # rose again: not a warm-up curve
    assert falling_trend([12.0, 9.0]) is None  # too few to tell
    c = Clock()
    c.mark("setup_end")
    epoch(c, 0, [(0.1, 30.0), (0.1, 17.4), (0.1, 15.5), (0.1, 13.1)], 0.0, 0.0, [(0.1, 1.0, 32)])
    epoch(c, 1, [(0.1, 11.4), (0.1, 11.0)], 0.0, 0.0, [(0.1, 1.0, 32)])
    c.mark("end")
    assert any("still falling" in w for w in derive(c.events, WORKLOAD).warnings)


def test_the_first_epoch_boundary_is_a_one_off() -> None:
    def run(boundaries: list[float]) -> Profile:
        c = Clock()
        c.mark("setup_end")
        for i, b in enumerate(boundaries):
            epoch(c, i, [(0.1, 2.0), (0.1, 2.0), (0.1, 2.0)], 0.0, b, [(0.1, 1.0, 32)])
        c.mark("end")
        return derive(c.events, replace(WORKLOAD, plain_from_epoch=9)).profile

    base = run([0.4, 0.4, 0.4]).warmup_excess_seconds
    p = run([0.9, 0.4, 0.5])  # the first checkpoint save: 0.45 s over the later boundaries' 0.45 s
    assert p.epoch_fixed_seconds.median == pytest.approx(0.45)
    assert p.warmup_excess_seconds - base == pytest.approx(0.45)
    assert p.warmup_device_seconds == pytest.approx(run([0.4, 0.4, 0.4]).warmup_device_seconds)  # CPU-side work
    p = run([0.3, 0.5])  # a first boundary cheaper than the next: no negative one-off
    assert p.epoch_fixed_seconds.median == pytest.approx(0.5) and p.warmup_excess_seconds == pytest.approx(base)
    p = run([0.9])  # one boundary: it is all there is
    assert p.epoch_fixed_seconds.median == pytest.approx(0.9) and p.warmup_excess_seconds == pytest.approx(base)



def test_the_validation_loaders_start_is_a_one_off() -> None:
    """ultralytics forks the validation loader's workers on its first iteration: the run's first validation batch
    waits for them (1.6 s here), once; later batches wait 0.1 s."""
    def run(first_wait: float) -> Profile:
        c = Clock()
        c.mark("setup_end")
        epoch(c, 0, [(0.1, 2.0)] * 3, 0.0, 0.4, [(first_wait, 1.0, 32), (0.1, 1.0, 32)])
        epoch(c, 1, [(0.1, 2.0)] * 3, 0.0, 0.4, [(0.1, 1.0, 32), (0.05, 0.5, 16)])  # a partial batch: per image
        c.mark("end")
        return derive(c.events, replace(WORKLOAD, plain_from_epoch=9)).profile

    base, slow = run(0.1), run(1.6)
    assert slow.val_data_seconds_per_batch.median == pytest.approx(0.1)  # per full batch of 32, as without it
    assert slow.warmup_excess_seconds - base.warmup_excess_seconds == pytest.approx(1.5)  # counted once
    # a first wait within 1.15 x the others' is noise, kept in the sample
    assert run(0.11).val_data_seconds_per_batch.median == pytest.approx((0.11 + 0.1 + 0.1 + 0.1) / 4)


def test_the_first_validation_compute_is_a_one_off() -> None:
    """On a GPU the run's first validation batch computes slowly once (kernels loaded, graphs built): 3.0 s here
    against 1.0 s for the later full batches. It is counted once, as warm-up, not in every pass."""
    def run(first: float) -> Profile:
        c = Clock()
        c.mark("setup_end")
        epoch(c, 0, [(0.1, 2.0)] * 3, 0.0, 0.4, [(0.1, first, 32), (0.1, 1.0, 32)])
        epoch(c, 1, [(0.1, 2.0)] * 3, 0.0, 0.4, [(0.1, 1.0, 32), (0.05, 0.5, 16)])  # a partial batch: per image
        c.mark("end")
        return derive(c.events, replace(WORKLOAD, plain_from_epoch=9)).profile

    base, slow = run(1.0), run(3.0)
    assert base.val_compute_seconds_per_batch.median == pytest.approx(1.0)
    assert slow.val_compute_seconds_per_batch.median == pytest.approx(1.0)  # per full batch of 32, as without it
    assert slow.warmup_excess_seconds - base.warmup_excess_seconds == pytest.approx(2.0)  # counted once
    # within 1.15 x the others' it is noise, kept in the sample: (1.1 + 1 + 1 + 1) / 4 per full batch
    assert run(1.1).val_compute_seconds_per_batch.median == pytest.approx(1.025)
    assert run(1.1).warmup_excess_seconds == pytest.approx(base.warmup_excess_seconds)


def test_without_pauses_moves_each_event_back_by_the_pauses_before_it() -> None:
    from bench.timeline import without_pauses

    ev = [["setup_end", 1.0, 0, 0], ["epoch_start", 1.5, 0, 0], ["batch_end", 2.5, 0, 0], ["epoch_end", 3.1, 0, 0],
          ["end", 4.0, 0, 0]]
    # a pause before `after` stays; 0.2 s from 2.0; 0.1 s from 3.05 (an event 0.05 s into it moves back 0.05)
    out, removed = without_pauses(ev, [[0.5, 0.1], [2.0, 0.2], [3.05, 0.1], [9.0, 0.3]], after=1.5)
    assert [e[1] for e in out] == pytest.approx([1.0, 1.5, 2.3, 2.85, 3.7])
    assert [e[0] for e in out] == [e[0] for e in ev] and ev[2][1] == 2.5  # the input is not changed
    assert removed == pytest.approx(0.3)  # the pause after the last event was not in the run
    assert without_pauses(ev, None) == (ev, 0.0) and without_pauses(ev, [])[1] == 0.0


def test_a_full_garbage_collection_is_a_one_off() -> None:
    """A probe's second boundary held a 0.2 s full collection: without its pauses the profile extrapolates the
    0.4 s boundary and counts the 0.2 s once; the measured parts keep the wall time as it went."""

    def events(second_boundary: float) -> list[list[object]]:
        c = Clock()
        c.wait(1.0)
        c.mark("setup_end")
        epoch(c, 0, [(0.1, 2.0), (0.1, 2.0), (0.1, 2.0)], 0.0, 0.4, [(0.1, 1.0, 32)])
        epoch(c, 1, [(0.1, 2.0), (0.1, 2.0), (0.1, 2.0)], 0.0, second_boundary, [(0.1, 1.0, 32)])
        c.mark("end")
        return c.events

    w = replace(WORKLOAD, plain_from_epoch=9)
    clean = derive(events(0.4), w)
    ev = events(0.6)
    fit_end_1 = [e[1] for e in ev if e[0] == "fit_epoch_end"][1]
    d = derive(ev, w, gc_pauses=[[0.2, 0.15], [float(fit_end_1) - 0.3, 0.2]])  # the first: in the setup, kept
    assert d.profile.epoch_fixed_seconds.median == pytest.approx(0.4)
    assert d.gc_one_off_seconds == pytest.approx(0.2)
    assert d.profile.warmup_excess_seconds - clean.profile.warmup_excess_seconds == pytest.approx(0.2)
    assert d.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(2.0)
    assert sum(d.parts_seconds.values()) == pytest.approx(float(ev[-1][1]))  # as it went: 0.2 s more than clean
    assert d.parts_seconds["epoch_fixed"] - clean.parts_seconds["epoch_fixed"] == pytest.approx(0.2)
    without = derive(ev, w)  # no pauses recorded (older records): the boundary is what it measured
    assert without.profile.epoch_fixed_seconds.median == pytest.approx(0.6) and without.gc_one_off_seconds == 0.0


#: Decodes per training batch of probe_events(): the mosaic batches decode each of their 16 images (the first one,
#: warm-up, is left out), the no-mosaic batches half of them (their images are still in the buffer); 2 ms each.
DECODES = [[0, 16, 0.05], [0, 16, 0.032], [0, 16, 0.032], [0, 16, 0.032], [0, 16, 0.032],
           [1, 8, 0.016], [1, 8, 0.016], [1, 8, 0.016]]


def test_data_cost_moves_to_the_full_datasets_decodes() -> None:
    from bench.extrapolate import decodes_per_image
    from bench.timeline import rescale_decodes

    w = replace(WORKLOAD, full_train_images=192)  # ultralytics' buffer holds 128 of them
    first, later = decodes_per_image(192, 16)
    r = rescale_decodes(parse(probe_events()), w, DECODES)
    assert r is not None
    assert r.info["seconds_per_decode"] == pytest.approx(0.002)  # 0.176 s / 88 decodes
    assert r.info["probe_decodes_per_image"] == pytest.approx({"mosaic": 1.0, "plain": 0.5})
    assert r.info["buffer_images"] == 128
    assert r.seconds_per_batch == pytest.approx({"mosaic": (later - 1.0) * 16 * 0.002,
                                                 "plain": (later - 0.5) * 16 * 0.002})
    assert r.first_epoch_extra_seconds == pytest.approx((first - later) * 192 * 0.002)
    # the profile: each phase's data cost moves by its change, the first epoch's extra decodes become a one-off
    plain = derive(probe_events(), w)
    scaled = derive(probe_events(), w, DECODES)
    for name in ("mosaic", "plain"):
        before = getattr(plain.profile, name).data_seconds_per_batch
        after = getattr(scaled.profile, name).data_seconds_per_batch
        assert after.median == pytest.approx(before.median + r.seconds_per_batch[name])
        assert after.high - after.low == pytest.approx(before.high - before.low)
        assert getattr(scaled.profile, name).compute_seconds_per_batch == getattr(plain.profile, name) \
            .compute_seconds_per_batch
    assert scaled.profile.warmup_excess_seconds == pytest.approx(plain.profile.warmup_excess_seconds
                                                                 + r.first_epoch_extra_seconds)
    assert scaled.image_decodes == r.info and plain.image_decodes is None
    # a dataset 50 times the buffer decodes every image in every epoch: the mosaic phase keeps its cost
    big = rescale_decodes(parse(probe_events()), replace(WORKLOAD, full_train_images=10_000), DECODES)
    assert big is not None and big.seconds_per_batch["mosaic"] == 0.0 and big.first_epoch_extra_seconds == 0.0


def test_decode_counts_that_do_not_fit_are_not_used() -> None:
    from bench.timeline import rescale_decodes

    tl = parse(probe_events())
    assert rescale_decodes(tl, WORKLOAD, None) is None  # dataloader workers: not counted
    assert rescale_decodes(tl, WORKLOAD, DECODES[:-1]) is None  # one batch short
    assert rescale_decodes(tl, WORKLOAD, [[1, *row[1:]] for row in DECODES]) is None  # epochs out of step
    assert rescale_decodes(tl, WORKLOAD, [[row[0], 0, 0.0] for row in DECODES]) is None  # cache=ram: none decoded


def test_a_step_beside_a_running_plot_is_a_one_off() -> None:
    # a plot still running in its thread slows the next step: 2.3 s instead of 2.0 (too little for the warm-up
    # rule to catch)
    def events(flag_spill: bool) -> list[list[object]]:
        c = Clock()
        c.wait(3.0)
        c.mark("setup_end")
        epoch(c, 0, [(0.2, 5.0), (0.2, 2.0), (0.2, 2.3), (0.2, 2.0), (0.2, 2.1), (0.2, 1.9)], tail=0.01,
              boundary=0.49, val=[(0.1, 1.0, 32)], plotted=(0,), spilled=(2,) if flag_spill else ())
        c.mark("end")
        return c.events

    w = replace(WORKLOAD, plain_from_epoch=5)
    flagged, unflagged = derive(events(True), w), derive(events(False), w)
    assert flagged.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(2.0)  # (2.0 + 2.1 + 1.9) / 3
    assert unflagged.profile.mosaic.compute_seconds_per_batch.median == pytest.approx(2.075)  # the spill as steady
    # its 0.3 s excess is counted once, as the warm-up is (the first two batches), not in every step of the run
    assert flagged.profile.warmup_excess_seconds == pytest.approx((5.0 - 2.0) + (2.0 - 2.0) + (2.3 - 2.0))
    assert unflagged.profile.warmup_excess_seconds == pytest.approx((5.0 - 2.075) + (2.0 - 2.075))
    assert flagged.warmup_batches["mosaic"] == 3


def test_compute_moves_to_the_full_runs_optimizer_cadence() -> None:
    from bench.extrapolate import optimizer_steps_per_batch
    from bench.timeline import rescale_optimizer

    # seconds inside optimizer_step per batch of probe_events(): the first batch (warm-up) is left out, then 3
    # of the 7 steady batches stepped, 0.05 s each
    steps = [[0, 0.1], [0, 0.05], [0, 0.0], [0, 0.05], [0, 0.0], [1, 0.05], [1, 0.0], [1, 0.0]]
    w = replace(WORKLOAD, full_epochs=50)  # 1,600 images at batch 16: 100 batches an epoch
    rate = optimizer_steps_per_batch(50, 100, 16)
    got = rescale_optimizer(parse(probe_events()), w, steps)
    assert got is not None
    change, info = got
    assert info["seconds_per_step"] == pytest.approx(0.05) and info["probe_steps_per_batch"] == pytest.approx(3 / 7)
    assert info["full_run_steps_per_batch"] == pytest.approx(rate)
    assert change == pytest.approx(rate * 0.05 - 0.15 / 7)
    # derive corrects the compute of the steady batches it measured (the run's first two are warm-up: batches 2-7),
    # which held 2 of the steps in 6 batches, not the 3 in 7 of every batch but the first
    got = rescale_optimizer(parse(probe_events()), w, steps, steady=[2, 3, 4, 5, 6, 7])
    assert got is not None
    change, info = got
    assert info["seconds_per_step"] == pytest.approx(0.05) and info["probe_steps_per_batch"] == pytest.approx(2 / 6)
    assert change == pytest.approx(rate * 0.05 - 0.10 / 6)
    before, after = derive(probe_events(), w), derive(probe_events(), w, optimizer=steps)
    for name in ("mosaic", "plain"):
        b, a = (getattr(x.profile, name).compute_seconds_per_batch for x in (before, after))
        assert a.median == pytest.approx(b.median + change) and a.high - a.low == pytest.approx(b.high - b.low)
    assert after.optimizer_steps == info and before.optimizer_steps is None
    # unknown epochs, misaligned rows, or no step at all: no change
    tl = parse(probe_events())
    assert rescale_optimizer(tl, WORKLOAD, steps) is None  # full_epochs unknown
    assert rescale_optimizer(tl, w, steps[:-1]) is None
    assert rescale_optimizer(tl, w, [[0, 0.0]] * 5 + [[1, 0.0]] * 3) is None


# the mosaic batches of a 640 px probe on a 2-core CPU (compute seconds, batch 16): the first also drew a plot
CPU_640 = [22.3, 16.7, 14.9, 12.6, 12.4, 10.0, 10.1, 11.1, 10.5, 10.8, 10.0, 10.1, 10.5, 11.6, 10.1]


def test_warming_up_until_the_steady_state_shows() -> None:
    from bench.timeline import phase_stats, warming_up

    batches = [(0.2, c, 16, 1 if i == 0 else 0) for i, c in enumerate(CPU_640)]
    # a default probe stops at 4 batches (or would: it reads 14.7 s a batch, 40% high)
    said = [warming_up(batches[:k], batch=16, first_is_warmup=True) for k in range(2, 16)]
    assert said[:7] == [True] * 7 and not any(said[7:])  # settled at 9 batches: 10.0, 10.1, 11.1, 10.5 after 5 cut
    s = phase_stats(batches[:9], batch=16, first_is_warmup=True, what="mosaic")
    assert s.warmup_batches == 5 and s.phase.compute_seconds_per_batch.median == pytest.approx(41.7 / 4)
    whole = phase_stats(batches, batch=16, first_is_warmup=True, what="mosaic")
    assert whole.phase.compute_seconds_per_batch.median == pytest.approx(sum(CPU_640[5:]) / 10)
    # noise around a level is not a warm-up; a plotted batch and one beside a plot thread are not steady ones
    flat = [(0.2, c, 16, 0) for c in (5.0, 2.1, 2.0, 1.9, 2.2, 2.0)]  # the run's first two, then four steady
    assert not warming_up(flat, batch=16, first_is_warmup=True)
    assert warming_up(flat[:5], batch=16, first_is_warmup=True)  # three steady batches are not enough
    assert warming_up([*flat[:2], (0.2, 2.0, 16, 1), (0.2, 1.9, 16, 2), *flat[4:]], batch=16, first_is_warmup=True)
    assert warming_up([], batch=16, first_is_warmup=True)
    # a partial batch counts per image: 1.0 s for 8 images is 2.0 s a batch of 16, level with the rest
    assert not warming_up([*flat[:5], (0.1, 1.0, 8, 0)], batch=16, first_is_warmup=True)


def test_memory_clearing_after_every_epoch_is_paid_in_every_epoch() -> None:
    """ultralytics' _clear_memory (gc.collect and empty_cache, every epoch on MPS) runs between an epoch's end and
    the next one's start: the probe sees that gap once, after its first epoch, and its second epoch's call lands in
    the final section. Timed, it moves into every epoch's boundary and out of the one-offs."""
    ev = probe_events(clear=0.3)
    fit_ends = [float(e[1]) for e in ev if e[0] == "fit_epoch_end"]
    # the gap calls, and ultralytics' other two kinds: before each validation (inside the epoch) and after the
    # final evaluation (a one-off of the final section), which stay where they were measured
    val_starts = [float(e[1]) for e in ev if e[0] == "val_start"]
    calls = [[val_starts[0] - 0.005, 0.001], [fit_ends[0], 0.3], [val_starts[1] - 0.005, 0.001], [fit_ends[1], 0.3],
             [float(ev[-1][1]) - 0.1, 0.05]]
    plain, blind = derive(probe_events(), WORKLOAD), derive(ev, WORKLOAD)
    seen = derive(ev, WORKLOAD, clear_memory=calls)
    # without the timings: the first gap is a one-off and the second sits in the final section (paid once each)
    assert blind.profile.epoch_fixed_seconds.median == pytest.approx(0.5)
    assert blind.profile.warmup_excess_seconds == pytest.approx(plain.profile.warmup_excess_seconds + 0.3)
    assert blind.profile.final_fixed_seconds == pytest.approx(plain.profile.final_fixed_seconds + 0.3)
    # with them: 0.5 + 0.3 s at every epoch boundary, nothing left in the one-offs
    assert seen.profile.epoch_fixed_seconds.median == pytest.approx(0.8)
    assert seen.profile.warmup_excess_seconds == pytest.approx(plain.profile.warmup_excess_seconds)
    assert seen.profile.final_fixed_seconds == pytest.approx(plain.profile.final_fixed_seconds)


def test_an_epoch_whose_validation_was_skipped_pays_the_clearing_before_it() -> None:
    """Found by a review: ultralytics clears memory before each validation (gc.collect and empty_cache: every epoch
    on MPS). A probe that skips its second validation (budget spent) skips that call too, and its only steady
    boundary read 0.2 s short of what every full-run epoch pays."""
    c = Clock()
    c.wait(3.0)
    c.mark("setup_end")
    epoch(c, 0, [(0.2, 5.0), (0.2, 2.0), (0.2, 2.1), (0.2, 1.9), (0.2, 2.0)], tail=0.01, boundary=0.49,
          val=[(0.1, 1.0, 32), (0.1, 1.0, 32)], pre_val=0.2)
    # epoch 1 without validation: its boundary 0.5 s, no clearing before a validation
    c.mark("epoch_start", 1)
    for _ in range(3):
        c.wait(0.1)
        c.mark("batch_start", 1, 16)
        c.wait(2.0)
        c.mark("batch_end", 1, 0)
    c.wait(0.01)
    c.mark("epoch_end", 1)
    c.wait(0.49)
    c.mark("fit_epoch_end", 1)
    val_pass(c, [(0.1, 1.0, 32)], 1.0)
    c.mark("fit_epoch_end", 2)
    c.wait(0.45)
    c.mark("end")
    ev = c.events
    val_start = next(float(e[1]) for e in ev if e[0] == "val_start")
    calls = [[val_start - 0.2, 0.2]]  # epoch 0's clearing before its validation: 0.2 s
    plain, seen = derive(ev, WORKLOAD), derive(ev, WORKLOAD, clear_memory=calls)
    assert plain.profile.epoch_fixed_seconds.median == pytest.approx(0.5)
    assert seen.profile.epoch_fixed_seconds.median == pytest.approx(0.5 + 0.2)
    # an epoch that validated paid it already: probe_events' epochs both validate, so nothing is added
    both = probe_events()
    vs = [float(e[1]) for e in both if e[0] == "val_start"]
    assert derive(both, WORKLOAD, clear_memory=[[vs[0] - 0.005, 0.2], [vs[1] - 0.005, 0.2]]
                  ).profile.epoch_fixed_seconds.median == pytest.approx(0.5)


def test_a_run_without_memory_clearing_between_epochs_pays_none() -> None:
    """ultralytics 8.3 called _clear_memory between epochs only above half the memory, and always once after the
    final evaluation: that last call is the final section's own one-off, not the last epoch's gap."""
    ev = probe_events()
    calls = [[float(ev[-1][1]) - 0.1, 0.2]]  # after the final evaluation, before the end
    plain, seen = derive(ev, WORKLOAD), derive(ev, WORKLOAD, clear_memory=calls)
    assert seen.profile.epoch_fixed_seconds.median == pytest.approx(plain.profile.epoch_fixed_seconds.median)
    assert seen.profile.final_fixed_seconds == pytest.approx(plain.profile.final_fixed_seconds)


def test_plotted_batches_are_not_steady_state() -> None:
    from bench.timeline import phase_stats

    # the three plotted batches (last field 1) sit under the 1.15x warm-up cut: only the plot exclusion drops them
    b = [(0.1, 2.2, 16, 1), (0.1, 2.2, 16, 1), (0.1, 2.2, 16, 1), (0.1, 2.0, 16, 0), (0.1, 2.0, 16, 0),
         (0.1, 2.0, 16, 0)]
    st = phase_stats(b, batch=16, first_is_warmup=False, what="plain")
    assert st.phase.compute_seconds_per_batch.median == pytest.approx(2.0)


def test_setup_runs_to_the_first_epoch_start() -> None:
    c = Clock()
    c.wait(2.0)
    c.mark("setup_end")
    c.wait(0.5)
    epoch(c, 0, [(0.5, 4.0), (0.5, 4.0)], 0.0, 0.95, [(0.25, 1.5, 32)])
    c.mark("end")
    parts = parse(c.events).parts()
    assert parts["setup"] == pytest.approx(2.5) and sum(parts.values()) == pytest.approx(float(c.events[-1][1]))


def test_optimizer_rescale_counts_the_partial_last_batch() -> None:
    from bench.timeline import rescale_optimizer

    steps = [[0, 0.1], [0, 0.05], [0, 0.0], [0, 0.05], [0, 0.0], [1, 0.05], [1, 0.0], [1, 0.0]]
    w = replace(WORKLOAD, full_train_images=200, full_epochs=2)  # 12.5 -> 13 batches an epoch
    got = rescale_optimizer(parse(probe_events()), w, steps)
    assert got[1]["full_run_steps_per_batch"] == pytest.approx(5 / 13)  # 10 steps in 26 batches
