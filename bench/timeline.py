"""Turn the probe's event timeline into a :class:`~bench.profile.Profile`. Pure: no torch, no clock.

The probe records ``(name, seconds since start, a, b)`` events, each read after synchronizing the device:

    setup_end                       the trainer is built (model, dataset scan, dataloaders)
    epoch_start e / epoch_end e     around the training batches of epoch e
    batch_start e n / batch_end e p around one step on n images (forward, loss, backward, optimizer, logging);
                                    p = 1 when ultralytics also drew its training-sample plot in that step,
                                    p = 2 when a plot drawn earlier was still running beside it (a thread)
    val_start / val_end             around a validation pass (during training, or the final evaluation)
    val_batch_start i / val_batch_end i n   around validation batch i of n images
    fit_epoch_end e                 after validation, metrics and checkpoint of epoch e
    end                             train() returned

The gap before a ``batch_start`` (since the previous ``batch_end``, or the epoch start) is the time the loop
waited for data. Together the parts partition the whole timeline, so they add up to the wall time:

    setup + sum over epochs (data + compute + val + epoch fixed) + final = end
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from bench.extrapolate import buffer_images, decodes_per_image, optimizer_steps_per_batch
from bench.profile import Phase, Profile
from bench.stats import Range, mean_interval, median, noise_warning

Event = tuple[str, float, int, int]

#: A leading batch stands out as warm-up when it costs more than this times the median of the batches after it
#: (:func:`split_warmup`). A gradual
#: warm-up keeps its tail above 1.15x but below 1.25x (a 2-core CPU at 640 px, batch compute in seconds: 22.3,
#: 16.7, 14.9, 12.6, 12.4, then 10.0-11.6 over 10 more batches); steady batches there vary by 5-8% (CV), so 1.15
#: is about two of their standard deviations.
WARMUP_FACTOR = 1.15
#: ... and more than this many robust standard deviations of the batches after it (a noisy machine's spread).
WARMUP_SPREADS = 3.0
#: Warm-up is looked for among this many leading batches of a phase (after the run's first ones).
WARMUP_MAX_BATCHES = 5
#: The first batches of a run are warm-up whatever they cost. 32 validation probes (2-core CPU, 320 px): the
#: second step cost 1.056 +- 0.016 x the median of the steady ones, the third to fifth 0.98-0.99 (in a full run
#: ultralytics plots the first three batches, so its steady state starts later still).
RUN_WARMUP_BATCHES = 2
#: Fewer steady batches than this in a phase and the summary warns.
MIN_STEADY_BATCHES = 3
#: The phases' names in what the user reads.
PHASE_LABELS = {"mosaic": "mosaic", "plain": "no mosaic"}
#: A phase whose own steady batches are too few, but whose compute is pooled over both phases, is warned about only
#: when its data wait (the part that rests on its own batches) is more than this share of a step.
FEW_SAMPLES_DATA_SHARE = 0.05
#: The probe's mosaic phase goes on past its deadline until it has this many steady batches (:func:`warming_up`):
#: with 3, one noisy batch inside a gradual warm-up (12.0, 13.9, then 10.8 s on a 2-core CPU at 640 px) passed
#: for a steady state that the next batches would have shown was still settling.
SETTLED_BATCHES = 4


@dataclass
class ValPass:
    start: float
    end: float
    batches: list[tuple[float, float, int]] = field(default_factory=list)  # (data wait, compute, images)

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def fixed_seconds(self) -> float:
        return self.seconds - sum(d + c for d, c, _ in self.batches)


@dataclass
class Epoch:
    index: int
    start: float
    batches: list[tuple[float, float, int, int]] = field(default_factory=list)  # (data, compute, images, plot)
    train_end: float | None = None
    fit_end: float | None = None
    next_start: float | None = None
    vals: list[ValPass] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.train_end is not None and self.fit_end is not None

    @property
    def fixed_seconds(self) -> float:
        """Epoch work outside train batches and validation: the tail after the last batch, metrics, checkpoint."""
        assert self.train_end is not None and self.fit_end is not None
        last_batch_end = self.start + sum(b[0] + b[1] for b in self.batches)
        tail = self.train_end - last_batch_end
        after = (self.next_start - self.fit_end) if self.next_start is not None else 0.0
        return tail + (self.fit_end - self.train_end - sum(v.seconds for v in self.vals)) + after


@dataclass
class Timeline:
    """The parsed events of one probe or full run."""

    setup_end: float
    epochs: list[Epoch]
    final_vals: list[ValPass]
    end: float | None

    @property
    def last_fit_end(self) -> float | None:
        done = [e for e in self.epochs if e.fit_end is not None]
        return done[-1].fit_end if done else None

    def parts(self) -> dict[str, float]:
        """Partition of the wall time [0, end] into setup, data, compute, val, epoch fixed and final. A run cut off
        (interrupted, failed) inside an epoch ends there: that epoch's validation counts as val, the rest of it
        besides batches (a batch in flight, the epoch's end) as epoch fixed, and there is no final section; one
        cut off before its first epoch is all setup."""
        out = {"setup": self.setup_end, "data": 0.0, "compute": 0.0, "val": 0.0, "epoch_fixed": 0.0, "final": 0.0}
        if self.epochs:
            out["setup"] = self.epochs[0].start
        elif self.end is not None:
            out["setup"] = max(self.setup_end, self.end)
        for e in self.epochs:
            data, compute = sum(b[0] for b in e.batches), sum(b[1] for b in e.batches)
            out["data"] += data
            out["compute"] += compute
            if e.complete:
                out["val"] += sum(v.seconds for v in e.vals)
                out["epoch_fixed"] += e.fixed_seconds
            elif self.end is not None:  # the epoch the run stopped in (only the last one can be incomplete)
                val = sum(v.seconds for v in e.vals)
                out["val"] += val
                out["epoch_fixed"] += max(0.0, self.end - e.start - data - compute - val)
        last = self.epochs[-1] if self.epochs else None
        if self.end is not None and last is not None and last.fit_end is not None and last.train_end is not None:
            out["final"] = self.end - last.fit_end
        return out

    def epoch_seconds(self) -> list[float]:
        """Wall time of each complete epoch, from its start to the next one's (or to its fit end)."""
        return [((e.next_start if e.next_start is not None else e.fit_end) or 0.0) - e.start
                for e in self.epochs if e.complete]


def parse(events: Sequence[Sequence[object]]) -> Timeline:
    """Parse raw events (as stored in a record) into epochs, batches and validation passes."""
    setup_end = 0.0
    epochs: list[Epoch] = []
    final_vals: list[ValPass] = []
    end: float | None = None
    cur: Epoch | None = None
    val: ValPass | None = None
    mark = 0.0  # end of the previous batch (train or val): the data wait starts there
    start_t, start_n = 0.0, 0
    for raw in events:
        name, t, a, b = str(raw[0]), float(raw[1]), int(raw[2]), int(raw[3])  # type: ignore[call-overload,arg-type]
        if name == "setup_end":
            setup_end = t
        elif name == "epoch_start":
            if epochs and epochs[-1].fit_end is not None and epochs[-1].next_start is None:
                epochs[-1].next_start = t
            cur = Epoch(index=a, start=t)
            epochs.append(cur)
            mark = t
        elif name == "batch_start":
            start_t, start_n = t, b
        elif name == "batch_end" and cur is not None:
            cur.batches.append((start_t - mark, t - start_t, start_n, b))
            mark = t
        elif name == "epoch_end" and cur is not None:
            cur.train_end = t
        elif name == "val_start":
            val = ValPass(start=t, end=t)
            mark = t
        elif name == "val_batch_start":
            start_t = t
        elif name == "val_batch_end" and val is not None:
            val.batches.append((start_t - mark, t - start_t, b))
            mark = t
        elif name == "val_end" and val is not None:
            val.end = t
            if cur is not None and cur.fit_end is None:
                cur.vals.append(val)
            else:
                final_vals.append(val)
            val = None
        elif name == "fit_epoch_end" and cur is not None and cur.fit_end is None:
            cur.fit_end = t  # ultralytics fires it once more after the final evaluation: that one is not an epoch
        elif name == "end":
            end = t
    return Timeline(setup_end=setup_end, epochs=epochs, final_vals=final_vals, end=end)


def without_pauses(events: Sequence[Sequence[object]], pauses: Sequence[Sequence[float]] | None,
                   after: float = 0.0) -> tuple[list[list[object]], float]:
    """The events as if the full garbage collections ``pauses`` (``[start, seconds]``, ``bench.probe.GcPauses``)
    that began at or after ``after`` had not happened: each event moves back by the pause time before it. Returns
    the moved events and the pause seconds taken out (those before the last event).

    A full collection is a one-off of a training process, not a steady cost (see ``GcPauses``): left inside the
    probe's epoch boundary it would be paid again in every epoch of the estimate."""
    ps = sorted((float(a), float(d)) for a, d in (pauses or ()) if float(a) >= after and float(d) > 0)
    rows = [list(ev) for ev in events]
    if not ps:
        return rows, 0.0

    def before(t: float) -> float:
        return sum(min(d, max(0.0, t - a)) for a, d in ps)

    for row in rows:
        row[1] = round(float(row[1]) - before(float(row[1])), 6)  # type: ignore[arg-type]
    last = max((float(ev[1]) for ev in events), default=0.0)  # type: ignore[arg-type]
    return rows, before(last)


def split_warmup(times: Sequence[float], *, first_is_warmup: bool) -> int:
    """Number of leading entries of ``times`` that are warm-up: the first one when ``first_is_warmup``, and up to
    the last entry that stands out above the entries after it, among the next ``WARMUP_MAX_BATCHES`` (at least two
    entries always remain as steady state; a longer stretch of slow steps is the machine's drift, which the
    warm-up rule must not hide: a full run that starts 14% slow keeps its slow start). An entry stands out when it
    costs more than ``WARMUP_FACTOR`` x their median and more than ``WARMUP_SPREADS`` robust standard deviations
    (1.4826 x the median absolute deviation) above it, so that noise is not taken for warm-up. The last such
    entry, not the first that is not: a gradual warm-up seen through noise need not fall at every step (12.0,
    13.9, 10.8, 10.6, 10.9 s: the warm-up ends after 13.9)."""
    lead = 1 if first_is_warmup and len(times) > 1 else 0
    cut = lead
    for i in range(lead, min(lead + WARMUP_MAX_BATCHES, len(times) - 2)):
        rest = times[i + 1:]
        level = median(rest)
        spread = 1.4826 * median([abs(x - level) for x in rest])
        if times[i] > level + max((WARMUP_FACTOR - 1) * level, WARMUP_SPREADS * spread):
            cut = i + 1
    return cut


@dataclass(frozen=True)
class PhaseStats:
    phase: Phase
    warmup_batches: int  # leading batches left out of the steady state
    warmup_excess_seconds: float  # what the left-out batches cost above steady state (plots excluded)
    plot_excess_seconds: tuple[float, ...]  # per plotted batch: its compute above steady state
    warnings: tuple[str, ...]
    compute_samples: tuple[float, ...] = ()  # steady-state compute per full batch
    warmup_compute_seconds: float = 0.0  # of warmup_excess_seconds, the device's: the left-out batches' compute


def _per_full_batch(batches: Sequence[tuple[float, float, int, int]], batch: int) -> list[tuple[float, float, bool]]:
    """(data, compute, plotted) of each batch, a partial batch counted per image."""
    return [(d * batch / n, c * batch / n, p == 1) if n > 0 else (d, c, p == 1) for d, c, n, p in batches]


def _steady(norm: Sequence[tuple[float, float, bool]], batches: Sequence[tuple[float, float, int, int]],
            first_is_warmup: bool) -> list[int]:
    """Indices of the steady-state batches: not the run's first ``RUN_WARMUP_BATCHES``, not plotted, no plot
    thread beside them (flag 2), and past the leading warm-up (:func:`split_warmup`)."""
    lead = min(RUN_WARMUP_BATCHES, len(norm) - 1) if first_is_warmup else 0
    rest = [i for i in range(lead, len(norm)) if not norm[i][2] and batches[i][3] != 2]
    if not rest:  # every batch plotted: use them all rather than nothing
        rest = list(range(lead, len(norm))) or list(range(len(norm)))
    return rest[split_warmup([norm[i][0] + norm[i][1] for i in rest], first_is_warmup=False):]


def steady_indices(batches: Sequence[tuple[float, float, int, int]], *, batch: int, first_is_warmup: bool
                   ) -> list[int]:
    """Indices of one phase's steady-state batches (:func:`parse`'s tuples, in order), exactly as the probe's
    estimate takes them (:func:`phase_stats`): ``bench validate`` compares the machine's speed over the same
    selection in a probe and in a full run."""
    return _steady(_per_full_batch(batches, batch), batches, first_is_warmup) if batches else []


def warming_up(batches: Sequence[tuple[float, float, int, int]], *, batch: int, first_is_warmup: bool) -> bool:
    """Whether a phase's batches so far (:func:`parse`'s tuples, in order) are too few to show its steady state:
    fewer than ``SETTLED_BATCHES`` steady batches once the warm-up is left out, or their compute still falling
    (:func:`falling_trend`). The probe's mosaic phase goes on while this holds (``bench.probe``)."""
    norm = _per_full_batch(batches, batch)
    steady = [norm[i][1] for i in _steady(norm, batches, first_is_warmup)] if norm else []
    return len(steady) < SETTLED_BATCHES or falling_trend(steady) is not None


def phase_stats(batches: Sequence[tuple[float, float, int, int]], *, batch: int, first_is_warmup: bool,
                what: str) -> PhaseStats:
    """Steady-state cost of one full batch of ``batch`` images in one phase (80% t-interval of the mean).

    Kept out of the steady state: the run's first batch (``first_is_warmup``), leading batches that cost more
    than ``WARMUP_FACTOR`` x the rest, batches in which ultralytics drew a plot (compute only: plotting
    runs inside the step; the data wait of those batches is clean), and batches that a plot thread still ran
    beside (flag 2: their excess is a one-off, like the warm-up; a full run has as many such episodes as the
    probe, one after its first plots and one after close_mosaic's). A first batch whose data wait is slow
    (a rebuilt loader) is kept out of the data sample. A partial batch (fewer images) counts per image."""
    if not batches:
        raise ValueError(f"no {what} batches were observed")

    norm = _per_full_batch(batches, batch)
    steady_idx = _steady(norm, batches, first_is_warmup)
    warm_idx = sorted(set(range(len(norm))) - set(steady_idx) - {i for i in range(len(norm)) if norm[i][2]})
    compute = mean_interval([norm[i][1] for i in steady_idx])
    # data: every batch but a slow first one
    data_idx = list(range(len(norm)))
    if len(norm) > 2 and norm[0][0] > WARMUP_FACTOR * median([d for d, _, _ in norm[1:]]):
        data_idx = data_idx[1:]
    data = mean_interval([norm[i][0] for i in data_idx])
    plots = tuple(max(0.0, norm[i][1] - compute.median) for i in range(len(norm))
                  if norm[i][2] and i not in warm_idx and not (i == 0 and first_is_warmup))
    compute_excess = sum(norm[i][1] - compute.median for i in warm_idx)
    if first_is_warmup and norm and norm[0][2] and 0 not in warm_idx:
        compute_excess += norm[0][1] - compute.median  # the run's first batch: warm-up and plot together
    excess = compute_excess + sum(norm[i][0] - data.median for i in range(len(norm)) if i not in data_idx)
    warnings = []  # too few steady batches: said by derive, which knows whether the compute is pooled
    w = noise_warning([norm[i][0] + norm[i][1] for i in steady_idx], f"{what} batch times")
    if w:
        warnings.append(w)
    n_warm = len(norm) - len(steady_idx)
    return PhaseStats(Phase(data, compute, len(steady_idx)), n_warm, max(0.0, excess), plots, tuple(warnings),
                      tuple(norm[i][1] for i in steady_idx), min(max(0.0, compute_excess), max(0.0, excess)))


#: Steady compute samples whose last is below this share of the first, with no sample rising again above the
#: first, mean warm-up was still going on when the probe ended.
TREND_FACTOR = 0.85


def falling_trend(samples: Sequence[float]) -> str | None:
    """A warning when the steady-state samples, in time order, were still falling at the end (seen on a 2-core
    CPU at 640 px: 17.4, 15.5, 13.1, 11.4 s while a 300 s probe settled at 10 s): the estimate is then high."""
    if len(samples) < 3:
        return None
    first, last = samples[0], samples[-1]
    if last < TREND_FACTOR * first and max(samples[1:]) <= first:
        return (f"compute per batch was still falling when the probe ended ({first:.3g} s to {last:.3g} s): "
                f"warm-up was not over, so the estimate is probably high; run again with a larger --budget "
                f"(e.g. 3 times as long)")
    return None


@dataclass(frozen=True)
class Derived:
    """Everything the probe's timeline says, ready for the record."""

    profile: Profile
    parts_seconds: dict[str, float]
    warmup_batches: dict[str, int]
    warnings: tuple[str, ...]
    images_per_second: float  # steady-state training throughput, data included
    data_wait_share: float  # data wait / (data wait + compute), steady state, mosaic phase
    image_decodes: dict[str, Any] | None = None  # the rescaling of the data cost (see rescale_decodes)
    optimizer_steps: dict[str, Any] | None = None  # the rescaling of the compute (see rescale_optimizer)
    gc_one_off_seconds: float = 0.0  # full garbage collections during training, counted once (without_pauses)


@dataclass(frozen=True)
class Workload:
    """What the probe ran, and the dataset a full run would train on (the profile is scaled to it)."""

    device_type: str
    device_name: str
    precision: str
    model: str
    imgsz: int
    batch: int
    val_batch: int
    workers: int
    host_cpus: int
    torch_threads: int
    gflops: float | None
    plain_from_epoch: int  # first epoch index without mosaic in the probe's own schedule
    full_train_images: int
    full_val_images: int
    full_run_plots: int = 6  # training-sample plots of a full run (ultralytics: 3 at the start, 3 at close_mosaic)
    full_epochs: int = 0  # epochs of the full run (its optimizer-step cadence); 0: unknown, compute not rescaled
    val_workers: int | None = None  # the validation loader's worker processes; None: unknown


@dataclass(frozen=True)
class DecodeRescale:
    """How the probe's data cost moves to the full dataset's image decodes (:func:`rescale_decodes`)."""

    seconds_per_batch: dict[str, float]  # change of the data cost of one steady batch, per phase (negative: less)
    first_epoch_extra_seconds: float  # the full run's first epoch decodes every image once: a one-off
    info: dict[str, Any]


def rescale_decodes(tl: Timeline, w: Workload, decodes: Sequence[Sequence[Any]] | None) -> DecodeRescale | None:
    """The probe decodes nearly every training image it loads (its buffer starts empty, and a probe is short);
    a full run on a dataset that ultralytics' RAM buffer largely holds decodes far fewer after its first epoch.

    From the probe's counts (``decodes``: ``[epoch, decodes, seconds]`` per training batch, as the batches come;
    the run's first batch left out as warm-up): decodes per image in each phase and the seconds one decode takes.
    From :func:`bench.extrapolate.decodes_per_image`: what the full dataset needs, in the first epoch and after.
    Each phase's steady data cost per batch moves by (full-run rate after the first epoch - probe rate) x batch x
    seconds per decode, and the first epoch's extra decodes become a one-off. None without counts (dataloader
    workers), when they do not match the timeline's batches, or when nothing was decoded (``cache=ram``)."""
    sizes = [(e.index, n) for e in tl.epochs for _, _, n, _ in e.batches]
    if not decodes or len(decodes) != len(sizes) or len(sizes) < 2 or w.full_train_images <= 0:
        return None
    pairs = list(zip(sizes, decodes, strict=True))
    if any(int(c[0]) != ep for (ep, _), c in pairs):
        return None  # counted batches out of step with the timed ones: trust neither
    rows = [(ep, n, int(c[1]), float(c[2])) for (ep, n), c in pairs[1:]]
    total = sum(d for _, _, d, _ in rows)
    if total <= 0:
        return None
    per_decode = sum(sec for *_, sec in rows) / total
    first, later = decodes_per_image(w.full_train_images, w.batch)
    change: dict[str, float] = {}
    rates: dict[str, float] = {}
    for name, want in (("mosaic", True), ("plain", False)):
        sel = [(n, d) for ep, n, d, _ in rows if (ep < w.plain_from_epoch) == want and n > 0]
        if sel:
            rates[name] = sum(d for _, d in sel) / sum(n for n, _ in sel)
            change[name] = (later - rates[name]) * w.batch * per_decode
    extra = max(0.0, first - later) * w.full_train_images * per_decode
    info: dict[str, Any] = {
        "buffer_images": buffer_images(w.full_train_images, w.batch),
        "seconds_per_decode": per_decode,
        "probe_decodes_per_image": rates,
        "full_run_decodes_per_image": {"first_epoch": first, "later_epochs": later},
        "data_seconds_per_batch_change": change,
        "first_epoch_extra_seconds": extra,
    }
    return DecodeRescale(change, extra, info)


def rescale_optimizer(tl: Timeline, w: Workload, steps: Sequence[Sequence[Any]] | None,
                      steady: Sequence[int] | None = None) -> tuple[float, dict[str, Any]] | None:
    """The change of the compute per batch once the optimizer steps at the full run's cadence.

    ultralytics steps the optimizer once every ``accumulate`` batches, and ramps ``accumulate`` up over its
    warm-up iterations, so a probe (all warm-up) steps more often per batch than a whole run
    (:func:`bench.extrapolate.optimizer_steps_per_batch`). From the probe's ``steps`` (``[epoch, seconds in
    optimizer_step]`` per training batch): the seconds of one step (over every batch but the run's first and the
    plotted ones), and the optimizer seconds the batches whose compute is corrected held: ``steady``, their indices
    among the run's training batches (the steady-state batches the compute was measured on), else the same
    batches as for the step. The change is (full-run steps per batch x seconds per step) - the optimizer seconds
    per corrected batch. None without timings, when they do not match the timeline's batches, or without the full
    run's epochs."""
    rows = [(e.index, plot) for e in tl.epochs for _, _, _, plot in e.batches]
    if not steps or len(steps) != len(rows) or len(rows) < 2 or w.full_epochs < 1 or w.full_train_images < 1:
        return None
    if any(int(s[0]) != ep for (ep, _), s in zip(rows, steps, strict=True)):
        return None
    kept = [float(s[1]) for (_, plot), s in list(zip(rows, steps, strict=True))[1:] if not plot]
    stepped = [x for x in kept if x > 0]
    if not stepped:
        return None
    per_step = sum(stepped) / len(stepped)
    corrected = [float(steps[i][1]) for i in steady if 0 <= i < len(steps)] if steady else kept
    corrected = corrected or kept
    nb = -(-w.full_train_images // w.batch)
    rate = optimizer_steps_per_batch(w.full_epochs, nb, w.batch)
    change = rate * per_step - sum(corrected) / len(corrected)
    return change, {"seconds_per_step": per_step,
                    "probe_steps_per_batch": sum(x > 0 for x in corrected) / len(corrected),
                    "full_run_steps_per_batch": rate, "compute_seconds_per_batch_change": change}


def _shift(r: Range, delta: float) -> Range:
    return Range(median=max(0.0, r.median + delta), low=max(0.0, r.low + delta), high=max(0.0, r.high + delta))


def _move_phases(stats: dict[str, PhaseStats], data: dict[str, float] | None = None, compute: float = 0.0) -> None:
    """Shift each phase's data cost per batch by ``data[phase]`` (the mosaic change for a phase without its own)
    and its compute by ``compute``, in place; a phase standing in for an unobserved one moves once."""
    same = stats["plain"] is stats["mosaic"]
    for name in ("mosaic",) if same else ("mosaic", "plain"):
        ph = stats[name].phase
        dd = (data or {}).get(name, (data or {}).get("mosaic", 0.0))
        stats[name] = replace(stats[name], phase=Phase(_shift(ph.data_seconds_per_batch, dd),
                                                       _shift(ph.compute_seconds_per_batch, compute),
                                                       ph.batches_observed))
    if same:
        stats["plain"] = stats["mosaic"]


def _gap_calls(tl: Timeline, calls: Sequence[Sequence[float]] | None) -> dict[int, float]:
    """Epoch index -> seconds of the ``_clear_memory`` call that followed its end: the first call (``[start,
    seconds]`` on ``tl``'s clock) at or after its fit end and before the next epoch's start. ultralytics also calls
    it before each validation (inside the epoch, measured there every epoch) and once after the final evaluation
    (a one-off of the final section): those are not gap calls."""
    out: dict[int, float] = {}
    ordered = sorted((float(a), float(d)) for a, d in (calls or ()) if float(d) >= 0)
    for e in tl.epochs:
        if e.fit_end is None:
            continue
        # the gap ends where the next epoch, or the final evaluation, starts (a run that stopped: at its end)
        until = e.next_start if e.next_start is not None else (
            tl.final_vals[0].start if tl.final_vals and tl.final_vals[0].start >= e.fit_end else tl.end)
        hit = next((d for a, d in ordered if a >= e.fit_end and (until is None or a < until)), None)
        if hit is not None:
            out[e.index] = hit
    return out


def _pre_val_calls(tl: Timeline, calls: Sequence[Sequence[float]] | None) -> list[float]:
    """Seconds of each ``_clear_memory`` call ultralytics made before an epoch's validation (between the epoch's
    end and its first validation pass, on ``tl``'s clock)."""
    ordered = sorted((float(a), float(d)) for a, d in (calls or ()) if float(d) >= 0)
    return [d for e in tl.epochs if e.train_end is not None and e.vals
            for a, d in ordered if e.train_end <= a < e.vals[0].start]


def derive(events: Sequence[Sequence[object]], w: Workload, decodes: Sequence[Sequence[Any]] | None = None,
           optimizer: Sequence[Sequence[Any]] | None = None, gc_pauses: Sequence[Sequence[float]] | None = None,
           clear_memory: Sequence[Sequence[float]] | None = None) -> Derived:
    """Profile of the workload from a probe's (or full run's) events, with its image-decode counts and optimizer
    step times when it has them (:func:`rescale_decodes`, :func:`rescale_optimizer`). The full garbage
    collections of the training (``gc_pauses``; those of the setup stay in it) are taken out of the steady costs
    and counted once, as one-offs (:func:`without_pauses`); ``parts_seconds`` is the wall time as it went.

    ``clear_memory``: ``[start, seconds]`` of each call of ultralytics' ``_clear_memory``, which follows every
    epoch's end (``gc.collect()`` and emptying the cache: every epoch on MPS, on CUDA above half the memory). It
    falls between one epoch's end and the next one's start, a gap the probe sees only once, after its first epoch
    (a one-off there), and its last epoch's call lands in the final section: a call's median is added to each
    epoch whose gap was not seen and taken out of the final section, so the estimate pays it in every epoch.
    ultralytics also calls it before each validation, inside the epoch: a probe epoch whose validation was skipped
    (budget spent) did not pay that call, and its median is added to that epoch's boundary."""
    measured = parse(events)
    train_start = measured.epochs[0].start if measured.epochs else 0.0
    events, gc_seconds = without_pauses(events, gc_pauses, after=train_start)
    tl = parse(events)
    mosaic_b = [b for e in tl.epochs if e.index < w.plain_from_epoch for b in e.batches]
    plain_b = [b for e in tl.epochs if e.index >= w.plain_from_epoch for b in e.batches]
    if not mosaic_b and not plain_b:
        raise ValueError("no training batch was observed")
    warnings: list[str] = []
    stats: dict[str, PhaseStats] = {}
    for name, batches in (("mosaic", mosaic_b), ("plain", plain_b)):
        if batches:
            first = name == "mosaic" or not mosaic_b  # the run's very first batch
            stats[name] = phase_stats(batches, batch=w.batch, first_is_warmup=first, what=PHASE_LABELS[name])
    if "plain" not in stats:
        warnings.append("no epoch without mosaic was observed: its cost is taken from the mosaic phase")
        stats["plain"] = stats["mosaic"]
    if "mosaic" not in stats:
        stats["mosaic"] = stats["plain"]
    trend = falling_trend([*stats["mosaic"].compute_samples,
                           *(stats["plain"].compute_samples if stats["plain"] is not stats["mosaic"] else ())])
    if trend:
        warnings.append(trend)
    phases_seen = ("mosaic", "plain") if stats["plain"] is not stats["mosaic"] else ("mosaic",)
    samples = [x for name in phases_seen for x in stats[name].compute_samples]
    if len(phases_seen) == 2:
        # Compute does not depend on the augmentation pipeline (same model, same image size; measured in a
        # full run on CPU: 53.3 vs 53.5 s of training per epoch with and without mosaic), only the data wait
        # does. Pooling both phases' steady batches halves the sampling noise of a short probe.
        pooled = mean_interval(samples)
        for name in phases_seen:
            ph = stats[name].phase
            stats[name] = replace(stats[name], phase=Phase(ph.data_seconds_per_batch, pooled, ph.batches_observed))
    few: list[str] = []
    for name in phases_seen:
        st, label = stats[name], PHASE_LABELS[name]
        n = len(st.compute_samples)
        if n >= MIN_STEADY_BATCHES:
            continue
        if len(samples) < MIN_STEADY_BATCHES:
            few.append(f"{label}: only {n} steady-state batch(es) observed; "
                       + ("the range is that one batch, narrow for lack of samples, not for lack of noise"
                          if len(samples) < 2 else "the range is wide for lack of samples")
                       + ". Raise --budget for more.")
            continue
        # its compute has enough samples pooled; what rests on this phase's few is its data wait
        d = st.phase.data_seconds_per_batch.median
        step = d + st.phase.compute_seconds_per_batch.median
        share = d / step if step > 0 else 0.0
        if share > FEW_SAMPLES_DATA_SHARE:
            few.append(f"{label}: its data wait ({share:.0%} of a step) rests on {n} steady-state batch(es); compute "
                       f"is pooled over both phases ({len(samples)} batches). Raise --budget for more.")
    warnings[:0] = few + [x for name in phases_seen for x in stats[name].warnings]  # the phases' own first

    vals = [v for e in tl.epochs for v in e.vals]
    val_batches = [b for v in vals for b in v.batches if b[2] > 0]
    val_start_excess = 0.0
    if val_batches:
        # per image, then back to a full validation batch (the last batch of a pass is often partial). The run's
        # first validation batch waits for the validation loader's workers to start (ultralytics forks them on
        # its first iteration, up to 16 on CUDA): when its wait is slow, that is a one-off, as a train loader's is
        waits = [d / n for d, _, n in val_batches]  # per image
        if len(waits) > 2 and waits[0] > WARMUP_FACTOR * median(waits[1:]):
            val_start_excess = val_batches[0][0] - median(waits[1:]) * val_batches[0][2]
            waits = waits[1:]
        vd = mean_interval(waits).scale(w.val_batch)
        # and the run's first validation batch may compute slowly once: on cuda the first half-precision inference
        # loads its kernels, on mps the first graphs are built; that, too, is counted once, not in every pass
        computes = [c / n for _, c, n in val_batches]  # per image
        if len(computes) > 2 and computes[0] > WARMUP_FACTOR * median(computes[1:]):
            val_start_excess += val_batches[0][1] - median(computes[1:]) * val_batches[0][2]
            computes = computes[1:]
        vc = mean_interval(computes).scale(w.val_batch)
        vfix = mean_interval([v.fixed_seconds for v in vals])
    else:
        vd = vc = vfix = Range.exact(0.0)
        warnings.append("no validation batch was observed: validation time is unknown and counted as 0")
    gaps = _gap_calls(measured, clear_memory)
    per_call = median(list(gaps.values())) if gaps else 0.0
    pre_val = _pre_val_calls(measured, clear_memory)
    pre_val_call = median(pre_val) if pre_val else 0.0
    fixed = [e.fixed_seconds + (per_call if e.next_start is None else 0.0) + (0.0 if e.vals else pre_val_call)
             for e in tl.epochs if e.complete]
    efix = mean_interval(fixed[1:] or fixed) if fixed else Range.exact(0.0)
    # the first epoch boundary is a one-off too: ultralytics' first checkpoint save imports polars and creates
    # last.pt and best.pt (measured on a 2-core CPU: 0.41-0.53 s against 0.21-0.29 s for the next boundary)
    first_boundary_excess = max(0.0, fixed[0] - efix.median) if len(fixed) >= 2 else 0.0

    parts = measured.parts()
    final_fixed = 0.0
    if tl.final_vals and tl.end is not None and tl.last_fit_end is not None:
        # the final section minus what its batches would cost at the steady validation rate: loading and fusing
        # best.pt, the plots of the final evaluation, the results plots
        per_image = (vd.median + vc.median) / w.val_batch
        # (the estimate adds the final evaluation as one whole validation pass, its fixed cost included)
        steady_pass = per_image * sum(n for v in tl.final_vals for _, _, n in v.batches) + vfix.median
        done = [e for e in measured.epochs if e.complete]
        in_final = gaps.get(done[-1].index, 0.0) if done and done[-1].next_start is None else 0.0
        final_fixed = max(0.0, (tl.end - tl.last_fit_end) - steady_pass - in_final)

    phases = [stats["mosaic"]] + ([stats["plain"]] if stats["plain"] is not stats["mosaic"] else [])
    warmup = sum(ph.warmup_excess_seconds for ph in phases) + first_boundary_excess + gc_seconds + val_start_excess
    rescale = rescale_decodes(tl, w, decodes)
    if rescale is not None:
        _move_phases(stats, data=rescale.seconds_per_batch)
        warmup += rescale.first_epoch_extra_seconds
    # the batches the pooled compute was measured on, as indices among the run's training batches
    steady = steady_indices(mosaic_b, batch=w.batch, first_is_warmup=True) if mosaic_b else []
    if plain_b:
        steady += [len(mosaic_b) + j for j in steady_indices(plain_b, batch=w.batch, first_is_warmup=not mosaic_b)]
    opt = rescale_optimizer(tl, w, optimizer, steady)
    if opt is not None:
        _move_phases(stats, compute=opt[0])
    plot_costs = [x for ph in phases for x in ph.plot_excess_seconds]
    plotted = sum(1 for e in tl.epochs for b in e.batches if b[3] == 1)
    missing_plots = max(0, w.full_run_plots - plotted)
    if plot_costs:
        # the probe draws one plot per phase; a full run draws more, each costing about the same
        warmup += sum(plot_costs) + missing_plots * (sum(plot_costs) / len(plot_costs))
    elif missing_plots:
        warnings.append(f"the cost of {missing_plots} training-sample plots was not measured apart (counted as 0)")
    profile = Profile(
        device_type=w.device_type, device_name=w.device_name, precision=w.precision, model=w.model,
        imgsz=w.imgsz, batch=w.batch, val_batch=w.val_batch, workers=w.workers, host_cpus=w.host_cpus,
        train_images=w.full_train_images, val_images=w.full_val_images,
        mosaic=stats["mosaic"].phase, plain=stats["plain"].phase,
        val_data_seconds_per_batch=vd, val_compute_seconds_per_batch=vc, val_fixed_seconds=vfix,
        epoch_fixed_seconds=efix, setup_seconds=parts["setup"], warmup_excess_seconds=warmup,
        final_fixed_seconds=final_fixed, torch_threads=w.torch_threads, gflops=w.gflops, val_workers=w.val_workers,
        warmup_device_seconds=min(warmup, sum(ph.warmup_compute_seconds for ph in phases)),
    )
    m = stats["mosaic"].phase
    per_batch = m.data_seconds_per_batch.median + m.compute_seconds_per_batch.median
    return Derived(
        profile=profile,
        parts_seconds=parts,
        warmup_batches={k: v.warmup_batches for k, v in stats.items()},
        warnings=tuple(dict.fromkeys(warnings)),
        images_per_second=w.batch / per_batch if per_batch > 0 else 0.0,
        data_wait_share=m.data_seconds_per_batch.median / per_batch if per_batch > 0 else 0.0,
        image_decodes=rescale.info if rescale is not None else None,
        optimizer_steps=opt[1] if opt is not None else None,
        gc_one_off_seconds=gc_seconds,
    )
