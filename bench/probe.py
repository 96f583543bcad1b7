"""The measurement: real ultralytics training, timed with device-synchronized clocks.

This is the module that trains (besides it, only ``run`` imports torch, after training, to fingerprint it, and
``offline`` patches ultralytics' AMP check). It runs ``YOLO(model.yaml).train(...)`` with
callbacks that record an event timeline (:mod:`bench.timeline` turns it into numbers) and proxies around the
dataloaders that (in probe mode) end each phase when its share of the time budget is spent.

Probe schedule (the default): ultralytics trains ``epochs=3, close_mosaic=2`` on a mirror of a subset of the
dataset, and the probe stops after the second epoch, so it observes, each once:

    epoch 0: mosaic batches (the first ones are warm-up) until 45% of the budget, then a validation pass,
             checkpoint and metrics (the epoch boundary)
    epoch 1: mosaic closed (ultralytics rebuilds the loader), batches until 80%, validation, boundary
    final:   ultralytics' final evaluation of best.pt, as every run ends

Each phase also takes a minimum number of batches, so a very slow machine overruns the budget rather than
measure nothing (the summary says so), and the mosaic phase goes on until its warm-up is over (:class:`Deadlines`).
Batches come from the loader's persistent, endless iterator, so a phase is not limited by the subset's size, only
by its time.
"""

from __future__ import annotations

import contextlib
import gc
import math
import os
import re
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import load
from bench.dataset import IMG_SUFFIXES, DatasetInfo, label_path
from bench.errors import Interrupted, UsageError, clear_signal, deferred_signals, interruption, pending_signal

#: Deadlines of the probe's phases, as fractions of the budget measured from the start of the run.
PHASE_DEADLINES = {"train0": 0.45, "val0": 0.55, "train1": 0.80, "val1": 0.90, "final": 1.0}
#: Minimum batches per phase: warm-up plus at least a few steady batches to time.
MIN_BATCHES = {"train0": 4, "val0": 1, "train1": 2, "val1": 1, "final": 1}
#: While the mosaic phase's compute is still warming up at its deadline (:func:`bench.timeline.warming_up`), the
#: phase goes on for at most this share of the budget more (a 2-core CPU at 640 px needs about 75 s of a 90 s budget).
WARMUP_EXTENSION = 1.0
#: Probe mirror: at most this many training batches' worth of images (mosaic needs variety, not volume).
MIRROR_TRAIN_BATCHES = 16
MIRROR_VAL_BATCHES = 4


# --------------------------------------------------------------------------------------------- devices
@dataclass(frozen=True)
class Device:
    """A resolved training device."""

    spec: str  # what ultralytics gets: "cpu", "0", "1", "mps"
    type: str  # "cpu" | "cuda" | "mps"
    index: int | None
    name: str  # human name: GPU name, Apple chip, CPU model


def _cpu_name() -> str:
    from bench.fingerprint import cpu_model

    return cpu_model() or "unknown CPU"


def resolve_device(requested: str) -> Device:
    """Check ``--device`` against what this machine has. Raises UsageError naming what is available."""
    from bench.offline import threads_as_ultralytics

    threads_as_ultralytics()  # before torch first loads
    import torch

    req = requested.strip().lower()
    cuda_n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    mps_ok = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    available = ["cpu"] + (["cuda"] + [f"cuda:{i}" for i in range(cuda_n)] if cuda_n else []) + (
        ["mps"] if mps_ok else [])
    avail = ", ".join(available)
    if req == "auto":
        req = "cuda" if cuda_n else ("mps" if mps_ok else "cpu")
    if req == "cpu":
        return Device("cpu", "cpu", None, _cpu_name())
    if req == "mps":
        if not mps_ok:
            why = ("this torch build has no MPS support" if not getattr(torch.backends.mps, "is_built", lambda: 0)()
                   else "MPS needs Apple silicon and macOS 12.3 or newer")
            raise UsageError(f"--device mps: MPS is not available here ({why}); available: {avail}")
        from bench.fingerprint import apple_chip

        return Device("mps", "mps", None, apple_chip() or "Apple GPU (MPS)")
    if req == "cuda" or req.startswith("cuda:"):
        idx_s = req.partition(":")[2] or "0"
        if not idx_s.isdigit():
            raise UsageError(f"--device {requested}: the CUDA index must be a whole number >= 0, as in cuda:0; "
                             f"available: {avail}")
        idx = int(idx_s)
        if not cuda_n:
            raise UsageError(f"--device {requested}: CUDA is not available here (torch {torch.__version__}, "
                             f"no NVIDIA GPU visible); available: {avail}")
        if idx >= cuda_n:
            raise UsageError(f"--device {requested}: there are {cuda_n} CUDA device(s); available: {avail}")
        return Device(str(idx), "cuda", idx, torch.cuda.get_device_name(idx))
    raise UsageError(f"unknown device '{requested}': use auto, cpu, cuda, cuda:N or mps (available here: {avail})")


def make_sync(device: Device) -> Callable[[], None]:
    """A function that waits until the device has finished all queued work (no-op on cpu).

    GPU kernels run asynchronously: a clock read without it times the launch, not the work."""
    import torch

    if device.type == "cuda":
        idx = device.index or 0
        return lambda: torch.cuda.synchronize(idx)
    if device.type == "mps":
        return torch.mps.synchronize
    return lambda: None


# --------------------------------------------------------------------------------------------- recording
class _ProbeDone(Exception):
    """Raised from a callback to end a probe that has measured enough (skips ultralytics' remaining work)."""


@dataclass
class Recorder:
    """Collects ``(name, t, a, b)`` events; ``t`` in seconds since ``t0``, read after ``sync()``.

    The clock and the synchronization are injected (tests pass fakes). ``sync_seconds``: the time spent waiting in
    ``sync()``, for the device to finish the work queued before it (0 on a CPU, where it returns at once)."""

    sync: Callable[[], None]
    clock: Callable[[], float] = time.perf_counter
    t0: float = 0.0
    events: list[list[Any]] = field(default_factory=list)
    losses: list[dict[str, float]] = field(default_factory=list)
    sync_seconds: float = 0.0

    def start(self) -> None:
        self.sync()
        self.t0 = self.clock()

    def now(self) -> float:
        w = time.perf_counter()
        self.sync()
        self.sync_seconds += time.perf_counter() - w
        return self.clock() - self.t0

    def mark(self, name: str, a: int = 0, b: int = 0) -> float:
        sig = pending_signal()
        if sig is not None:  # a stop request whose exception was swallowed (see bench.errors): act on it now
            raise interruption(sig)
        t = self.now()
        self.events.append([name, round(t, 6), a, b])
        return t


class OwnTime:
    """Seconds spent inside the harness's own code: its callbacks, and its wrappers around ultralytics' code (the
    batch sources with the probe's phase deadlines, the timers around the optimizer step and the memory clearing,
    the image-decode counter, the garbage-collection callback). It is what ``callback_seconds`` reports: the
    instrumentation's overhead, measured from inside (``bench validate --overhead``).

    Not counted: the time the recorder's device synchronizations wait (``Recorder.sync_seconds``) inside those
    spans. On cuda and mps that wait is the training's own queued work (the backward pass before the optimizer
    step, a whole batch before ``batch_end``), which would run just as long without the harness; counting it
    made the own-code share a share of the GPU's compute. What synchronizing does cost (kernels no longer
    launched ahead of the device) slows the training itself, which the A/B ratio of ``--overhead`` measures."""

    def __init__(self, rec: Recorder | None = None) -> None:
        self.seconds = 0.0
        self.rec = rec

    def _waited(self) -> float:
        return self.rec.sync_seconds if self.rec is not None else 0.0

    @contextlib.contextmanager
    def span(self) -> Iterator[None]:
        """Count the time inside as own, less what the recorder's synchronizations waited in it."""
        t0, w0 = time.perf_counter(), self._waited()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - t0 - (self._waited() - w0)

    def now(self, rec: Recorder) -> float:
        """``rec.now()`` (a device synchronization on cuda and mps, then the clock), its own time counted: the
        clock read and the call, not the wait for the device."""
        t0, w0 = time.perf_counter(), rec.sync_seconds
        try:
            return rec.now()
        finally:
            self.seconds += time.perf_counter() - t0 - (rec.sync_seconds - w0)


class GcPauses:
    """Times Python's full garbage collections (generation 2) on the recorder's clock, as ``[start, seconds]``.

    A full collection stops the training loop while it walks every object the process tracks: 0.17-0.23 s in a
    YOLOv8 training process on a 2-core CPU (ultralytics, torch and polars loaded). It comes where the survivors
    of younger collections have piled up, which in training is mostly at an epoch boundary (the checkpoint's deep
    copies): a probe's second boundary took 0.42-0.67 s where the full run's took 0.20-0.40 s, and in 31 full runs
    of 12 epochs 0.7 boundaries a run stood out so. :func:`bench.timeline.derive` takes them out of the steady
    costs it extrapolates and counts each once. Host-side only: no device synchronization in a collector
    callback.

    Not the collections ultralytics asks for itself: its trainer's ``_clear_memory`` runs ``gc.collect()`` at every
    epoch boundary on MPS (twice), and on CUDA whenever over half the memory is reserved. Those recur every epoch,
    so they belong to the steady boundary cost; :meth:`scheduled` wraps that method so they are not recorded."""

    def __init__(self, rec: Recorder, own: OwnTime | None = None) -> None:
        self.rec = rec
        self.own = own if own is not None else OwnTime()
        self.pauses: list[list[float]] = []
        self._start: float | None = None
        self._scheduled = 0

    def scheduled(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` with the full collections it runs left out of :attr:`pauses` (they recur: steady cost)."""
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._scheduled += 1
            try:
                return fn(*args, **kwargs)
            finally:
                self._scheduled -= 1

        return wrapper

    def _callback(self, phase: str, info: dict[str, Any]) -> None:
        t0 = time.perf_counter()  # called for every collection of every generation: its own time counts
        try:
            if info.get("generation") != 2 or self._scheduled:
                return
            t = self.rec.clock() - self.rec.t0
            if phase == "start":
                self._start = t
            elif self._start is not None:
                self.pauses.append([round(self._start, 6), round(t - self._start, 6)])
                self._start = None
        finally:
            self.own.seconds += time.perf_counter() - t0

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._callback)


class DecodeCounter:
    """Counts the training images ultralytics decodes from disk, and the time that takes, batch by batch.

    ultralytics keeps recently decoded training images in a RAM buffer (``BaseDataset.load_image``); an image still
    there costs nothing to load again. How often that happens depends on the dataset's size, so the probe, which
    decodes nearly every image it sees once, counts its decodes for :func:`bench.timeline.derive` to rescale the
    data cost to the full dataset's. Only where the dataset lives in this process (0 dataloader workers: cpu and
    mps); with workers each process has its own copy and the counts stay there."""

    def __init__(self, own: OwnTime | None = None) -> None:
        self.own = own if own is not None else OwnTime()
        self.misses = 0
        self.seconds = 0.0
        self._last = (0, 0.0)
        self.per_batch: list[list[Any]] = []  # [epoch, decodes, seconds] for each training batch, in order

    def attach(self, dataset: Any) -> bool:
        orig = getattr(dataset, "load_image", None)
        if orig is None or not isinstance(getattr(dataset, "ims", None), list):
            return False

        def load_image(i: int, *args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                cached = dataset.ims[i] is not None
            except Exception:
                cached = True  # let ultralytics raise its own error
            t = time.perf_counter()
            self.own.seconds += t - t0
            if cached:
                return orig(i, *args, **kwargs)
            try:
                return orig(i, *args, **kwargs)
            finally:
                t1 = time.perf_counter()
                self.misses += 1
                self.seconds += t1 - t
                self.own.seconds += time.perf_counter() - t1

        dataset.load_image = load_image  # the instance attribute shadows the method for the mosaic transform too
        return True

    def batch(self, epoch: int) -> None:
        """Call when a training batch has been fetched: what it took to load it."""
        m, s = self.misses - self._last[0], self.seconds - self._last[1]
        self._last = (self.misses, self.seconds)
        self.per_batch.append([epoch, m, round(s, 6)])


@dataclass
class MemoryPeak:
    """Peak host memory (this process's RSS plus its dataloader workers' private memory) and accelerator memory,
    sampled at training-batch ends, after each validation pass (whose batch is twice as large) and once when
    training ends, however it ends (a run that fails at its first batch, out of memory, still has its figures).

    A worker is a fork of this process: its RSS counts every page it still shares with this process (287 MB of
    RSS for 1 MB of its own, measured on a fork of a torch process), so eight workers' RSS would add gigabytes
    that do not exist. Their private memory (USS) is counted instead; reading it walks each worker's page tables
    (about 10 ms a worker), so it is read once, when training ends (ultralytics' ``on_train_end``, before it closes
    its loaders, or when the run stops otherwise), and not between timed steps. A sample between steps reads only
    this process's RSS and the device counters."""

    device: Device
    host_rss_bytes: int = 0
    accelerator_bytes: int = 0
    accelerator_kind: str = ""
    _proc: Any = field(default=None, repr=False)
    _children_private: int = 0
    _samples: int = 0

    def reset(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device.index or 0)

    def sample(self, children: bool = False) -> None:
        """Read the counters; ``children``: the workers' private memory too (slow: only when training ends)."""
        import psutil
        import torch

        if self._proc is None:
            self._proc = psutil.Process()
        if children:
            with contextlib.suppress(Exception):
                self._children_private = sum(c.memory_full_info().uss for c in self._proc.children(recursive=True))
        self._samples += 1
        rss = self._proc.memory_info().rss + self._children_private
        self.host_rss_bytes = max(self.host_rss_bytes, rss)
        if self.device.type == "cuda":
            idx = self.device.index or 0
            self.accelerator_bytes = max(self.accelerator_bytes, int(torch.cuda.max_memory_reserved(idx)))
            self.accelerator_kind = "cuda max_memory_reserved"
        elif self.device.type == "mps":
            # MPS has no peak counter: sample what the Metal driver holds for this process
            self.accelerator_bytes = max(self.accelerator_bytes, int(torch.mps.driver_allocated_memory()))
            self.accelerator_kind = "mps driver_allocated_memory (sampled at batch ends)"

    def to_dict(self) -> dict[str, Any]:
        """The peaks; None for what was never read (no sample at all, or no accelerator counter)."""
        return {"peak_host_rss_bytes": self.host_rss_bytes if self._samples else None,
                "peak_accelerator_bytes": self.accelerator_bytes if self.accelerator_kind else None,
                "accelerator_measure": self.accelerator_kind or None}


class BatchSource:
    """Wraps a dataloader so the harness sees each batch's image count, and (probe mode) can end a phase early.

    In probe mode batches come from the loader's persistent endless iterator (ultralytics' InfiniteDataLoader),
    so a phase is bounded by ``stop()``, not by the length of the subset."""

    def __init__(self, loader: Any, stop: Callable[[int], bool] | None = None, endless: bool = False,
                 own: OwnTime | None = None) -> None:
        self._loader = loader
        self._stop = stop
        self.own = own if own is not None else OwnTime()  # the deadline checks and the image counts
        self._endless = endless  # training: pull from the persistent iterator; validation: one pass at most
        self.last_images = 0

    def __len__(self) -> int:
        return len(self._loader)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def _images(self, batch: Any) -> int:
        try:
            return int(batch["img"].shape[0])
        except Exception:
            return 0

    def __iter__(self) -> Iterator[Any]:
        source: Iterator[Any] | None = None
        if self._endless and self._stop is not None:
            if getattr(self._loader, "iterator", "absent") is None:  # InfiniteDataLoader starts it lazily
                self._loader.iterator = self._loader._get_iterator()
            source = getattr(self._loader, "iterator", None)
        if source is None:  # one pass of the loader
            source = iter(self._loader)
        n = 0
        while True:
            with self.own.span():  # the deadline check reads the synchronized clock
                stop = self._stop is not None and self._stop(n)  # asked before fetching: no batch loaded in vain
            if stop:
                return
            try:
                batch = next(source)
            except StopIteration:
                return
            t = time.perf_counter()
            self.last_images = self._images(batch)
            n += 1
            self.own.seconds += time.perf_counter() - t
            yield batch


class Deadlines:
    """When each phase of a probe ends: once it has its minimum of batches (``MIN_BATCHES``) and its share of the
    budget (``PHASE_DEADLINES``) is spent. The mosaic phase, where the run's warm-up is, goes on past that while
    its batches do not yet show a steady state (:func:`bench.timeline.warming_up`: fewer than 4 steady batches,
    or compute still falling), for at most ``WARMUP_EXTENSION`` x the budget; the later phases' deadlines move by
    the time that took (``extension``), so they are measured as they would have been."""

    def __init__(self, budget: float, batch: int) -> None:
        self.budget = budget
        self.batch = batch
        self.extended_from: float | None = None  # when the mosaic phase would have ended but for its warm-up
        self.extension = 0.0  # seconds the mosaic phase ran past that
        self.judged_at = 0  # batches when the warm-up was last judged

    def at(self, phase: str) -> float:
        return PHASE_DEADLINES[phase] * self.budget + (0.0 if phase == "train0" else self.extension)

    def done(self, phase: str, n: int, now: float,
             batches: Callable[[], Sequence[tuple[float, float, int, int]]]) -> bool:
        """Whether ``phase`` ends after ``n`` batches at ``now``; ``batches`` gives the phase's batches so far (as
        :func:`bench.timeline.parse` does), read only when the warm-up decides. Once the warm-up has held the phase,
        it is judged again when the batches have grown by a sixteenth (every batch while there are fewer than 32):
        reading them costs time in proportion to their number, and it falls between two batches, in the measured
        data wait, so judging at every batch would grow with the square of a fast GPU's thousands of batches."""
        if n < MIN_BATCHES[phase] or now < self.at(phase):
            return False
        if phase == "train0":
            from bench.timeline import warming_up

            if now < self.at("train0") + WARMUP_EXTENSION * self.budget:
                if self.extended_from is not None and n < self.judged_at + max(1, self.judged_at // 16):
                    return False  # still warming up when last judged
                self.judged_at = n
                if warming_up(batches(), batch=self.batch, first_is_warmup=True):
                    if self.extended_from is None:
                        self.extended_from = now
                    return False
            if self.extended_from is not None:
                self.extension = now - self.extended_from
        return True


# --------------------------------------------------------------------------------------------- the run
@dataclass(frozen=True)
class TrainConfig:
    model: str = "yolov8n"
    imgsz: int = 640
    batch: int = 16
    workers: int = 8
    cache: str | bool = False
    amp: bool = True
    epochs: int = 50
    close_mosaic: int = 10
    seed: int = 0


@dataclass
class RunResult:
    """What one training run produced: raw events and losses, memory, facts about the trainer."""

    events: list[list[Any]]
    losses: list[dict[str, float]]
    memory: dict[str, Any]
    wall_seconds: float
    trainer_epochs: int
    plain_from_epoch: int
    workers_used: int
    amp_used: bool
    torch_threads: int
    gflops: float | None
    val_batch: int
    save_dir: str
    interrupted: Interrupted | KeyboardInterrupt | None = None
    error: str | None = None
    error_detail: str | None = None  # where in the code the training failed (last frames of the traceback)
    phase_log: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # parts of a full run the probe left out, and why
    callback_seconds: float = 0.0  # time inside the harness's own code: its callbacks and its wrappers (OwnTime)
    startup_seconds: float | None = None  # process start to the probe's clock start: imports, model build/load
    start_epoch: int = 0  # first epoch this process trained (> 0 when resumed)
    cpu_load: dict[str, Any] = field(default_factory=dict)  # bench.load counters at the epochs' edges
    image_decodes: list[list[Any]] | None = None  # DecodeCounter.per_batch; None where not counted (workers)
    optimizer_steps: list[list[Any]] | None = None  # [epoch, seconds in optimizer_step] per training batch
    warmup_extension_seconds: float = 0.0  # how long the probe's mosaic phase ran past its deadline (Deadlines)
    gc_pauses: list[list[float]] | None = None  # GcPauses.pauses: [start, seconds] of each full collection
    optimizer: str | None = None  # the optimizer the trainer built ("auto" resolved: AdamW, MuSGD, ...)
    clear_memory: list[list[float]] | None = None  # [start, seconds] of each call of ultralytics' _clear_memory
    loaded_images: tuple[int, int] | None = None  # (train, val) images ultralytics kept of the mirror's (not corrupt)
    mirrored_images: tuple[int, int] | None = None  # (train, val) images of the mirror the run read
    left_out_images: dict[str, list[str]] | None = None  # {"train": [...], "val": [...]}: the user's files it left out
    val_workers_used: int | None = None  # the validation loader's worker processes; None where no loader was built


def _workers(loader: Any) -> int | None:
    """A dataloader's worker processes, None when there is no loader (or it has no such attribute)."""
    n = getattr(loader, "num_workers", None)
    return int(n) if isinstance(n, int) else None


def build_mirror(info: DatasetInfo, dest: Path, train_n: int | None = None, val_n: int | None = None) -> Path:
    """A private YOLO dataset of symbolic links to ``train_n`` and ``val_n`` images of each split (all when None)
    and their labels; returns its data.yaml.

    Every run trains on one, the probe on a few batches' worth, a full run on all: ultralytics writes its label
    cache (``labels/*.cache``) beside the labels it reads, so here, never into the user's dataset; and for a
    probe, scanning it takes a moment, not a minute. A probe's images are spread evenly over the split, not its
    first ones, so that a split sorted by scene or class (or with its background images first) is seen as it is.
    The links are named by number (``000012.jpg``): a long file name with a prefix could pass the file system's
    limit. The mirror's yaml keeps the user's other keys (``kpt_shape``, ``channels``...), which change how
    ultralytics reads the labels; ``path`` is the mirror and ``download`` is left out (this benchmark never
    downloads)."""
    import yaml

    extra: dict[str, Any] = {}
    if info.synthetic is None:
        user = yaml.safe_load(info.yaml_path.read_text(encoding="utf-8-sig"))
        if isinstance(user, dict):
            extra = {k: v for k, v in user.items()
                     if k not in {"path", "train", "val", "validation", "test", "download", "names", "nc"}}
    for split, files in (("train", spread(info.train_images, train_n)), ("val", spread(info.val_images, val_n))):
        (dest / "images" / split).mkdir(parents=True, exist_ok=True)
        (dest / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i, img in enumerate(files):
            name = f"{i:06d}{img.suffix}"
            _link(img.resolve(), dest / "images" / split / name)
            lab = label_path(img)
            if lab.exists():
                _link(lab.resolve(), dest / "labels" / split / f"{i:06d}.txt")
    data = {**extra, "path": str(dest.resolve()), "train": "images/train", "val": "images/val",
            "names": dict(enumerate(info.names))}
    yml = dest / "data.yaml"
    yml.write_text(yaml.safe_dump(data, sort_keys=False))
    return yml


def mirror_split(dataset: Any) -> tuple[int, int, list[str]]:
    """(kept, read, left out) for one split of a mirror (:func:`build_mirror`) that ultralytics loaded into
    ``dataset``: the images it kept, the images the mirror holds (its numbered links), and the user's files it
    left out (it verifies each image and label, and leaves out the corrupt ones: a truncated JPEG it cannot
    restore, an image PIL cannot read, smaller than 10 px or of a format it does not take, a malformed label).
    Where the file system had no symbolic links the mirror holds copies, and those are named instead."""
    files = [Path(f) for f in getattr(dataset, "im_files", None) or []]
    kept = len(files)
    if not files:
        return kept, kept, []
    try:
        links = [p for p in files[0].parent.iterdir()
                 if _MIRROR_NAME.fullmatch(p.name) and p.suffix.lower() in IMG_SUFFIXES]
    except OSError:
        return kept, kept, []
    names = {f.name for f in files}
    gone = sorted(str(p.resolve()) if p.is_symlink() else str(p) for p in links if p.name not in names)
    return kept, max(len(links), kept), gone


_MIRROR_NAME = re.compile(r"\d{6,}\.[^.]+")  # build_mirror's link names ("000012.jpg"); .npy caches lie beside


def usable(found: int, read: int, kept: int | None) -> int:
    """How many of a split's ``found`` images the training uses, when ultralytics kept ``kept`` of the ``read``
    ones a run read (:func:`mirror_split`) and left the rest out as corrupt: all when it left none out, else the
    same share of the split (exact when the run read the whole split)."""
    if kept is None or read <= 0 or kept >= read:
        return found
    return round(found * kept / read)


def spread(files: Sequence[Path], n: int | None) -> Sequence[Path]:
    """``n`` of ``files`` spread evenly over them, in order (the first always among them); all when ``n`` is None
    or not smaller."""
    if n is None or n >= len(files):
        return files
    return [files[i * len(files) // n] for i in range(max(0, n))]


def _link(src: Path, dst: Path) -> None:
    try:
        os.symlink(src, dst)
    except OSError:  # no symlinks (Windows without privilege): copy
        shutil.copyfile(src, dst)


def run_training(
    *,
    device: Device,
    config: TrainConfig,
    data_yaml: Path,
    save_dir: Path,
    probe_budget_seconds: float | None,
    config_dir: Path,
    instrument: bool = True,
    resume: Path | None = None,
    full_train_images: int | None = None,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
    clock: Callable[[], float] = time.perf_counter,
) -> RunResult:
    """Train for real and time it. Probe mode when ``probe_budget_seconds`` is set, else the full ``epochs``.
    ``full_train_images``: in probe mode, the full dataset's training images, so that the probe trains with the
    optimizer the full run would get (:func:`_optimizer_as_full_run`).

    Never raises for an interruption: the partial result comes back with ``interrupted`` set."""
    from bench.offline import patch_amp_check, prepare, quiet_integrations

    prepare(config_dir)
    import torch
    from ultralytics import YOLO

    quiet_integrations()
    patch_amp_check()
    _logs_to_stderr()
    sync = make_sync(device)
    rec = Recorder(sync=sync, clock=clock)
    mem = MemoryPeak(device)
    meter = load.Meter()
    own = OwnTime(rec)  # the harness's own time: its callbacks and its wrappers around ultralytics' code
    decodes = DecodeCounter(own)
    probe = probe_budget_seconds is not None
    trainer_epochs = 3 if probe else config.epochs
    close_mosaic = 2 if probe else config.close_mosaic
    plain_from = trainer_epochs - close_mosaic if close_mosaic else trainer_epochs
    phase_log: list[str] = []
    state: dict[str, Any] = {"trainer": None, "train_src": None, "val_src": None, "val_seen": 0,
                             "val_passes": 0, "skipped": [], "nbatch": 0, "clear_memory": []}

    deadlines = Deadlines(probe_budget_seconds, config.batch) if probe_budget_seconds is not None else None

    def deadline(phase: str) -> float:
        assert deadlines is not None
        return deadlines.at(phase)

    def say(msg: str) -> None:
        t = rec.clock() - rec.t0
        left = ""
        if deadlines is not None:
            left = f" (~{max(0.0, deadlines.budget + deadlines.extension - t):.0f}s left)"
        line = f"[{t:6.1f}s] {msg}{left}"
        phase_log.append(line)
        log(line)

    def train_phase() -> str:
        tr = state["trainer"]
        return "train0" if tr.epoch < plain_from else "train1"

    def val_phase() -> str:
        tr = state["trainer"]
        if state.get("in_final"):
            return "final"
        return "val0" if tr.epoch < plain_from else "val1"

    def phase_batches() -> list[tuple[float, float, int, int]]:
        from bench.timeline import parse

        return parse(rec.events).epochs[-1].batches

    def stop_train(n: int) -> bool:
        assert deadlines is not None
        ph = train_phase()
        waiting = deadlines.extended_from is not None
        done = deadlines.done(ph, n, rec.now(), phase_batches)
        if ph == "train0" and not waiting and deadlines.extended_from is not None:
            say(f"  compute per batch not steady yet (warm-up): mosaic batches go on, for at most "
                f"{WARMUP_EXTENSION * deadlines.budget:.0f}s more")
        if ph == "train0" and done and waiting:
            say(f"  mosaic batches ran {deadlines.extension:.0f}s past their share of the budget for the warm-up; "
                f"the later phases move with them")
        return done

    def stop_val(n: int) -> bool:
        assert deadlines is not None
        return deadlines.done(val_phase(), n, rec.now(), list)

    # ---- callbacks (trainer events get the trainer, on_val_* the validator)
    def on_pretrain_routine_end(tr: Any) -> None:
        rec.mark("setup_end")
        state["trainer"] = tr
        (tk, tn, tgone), (vk, vn, vgone) = (mirror_split(tr.train_loader.dataset),
                                            mirror_split(tr.test_loader.dataset))
        state["loaded"], state["mirrored"], state["left_out"] = (tk, vk), (tn, vn), {"train": tgone, "val": vgone}
        say(f"setup done: {config.model} on {device.name}, {len(tr.train_loader.dataset)} train / "
            f"{len(tr.test_loader.dataset)} val images, batch {tr.batch_size}, "
            f"{tr.train_loader.num_workers} dataloader workers")

    def set_plots(tr: Any) -> None:
        """Which steps draw a training-sample plot. ultralytics plots the first 3 batches of the run and adds the
        first 3 of the first no-mosaic epoch after on_train_start (engine/trainer.py ``_do_train``), so this runs at
        the first epoch start. The probe pays for one plot of each and extrapolates the rest (bench.timeline)."""
        if probe:  # set at every epoch's start: a mosaic epoch that runs past its batches (waiting out the warm-up)
            # reaches the global batch numbers of the next epoch, and would draw that epoch's plot too
            tr.plot_idx = [0] if tr.epoch < plain_from else [plain_from * state["nb"]]
        state["plot_idx"] = set(tr.plot_idx) if tr.args.plots else set()

    def on_train_start(tr: Any) -> None:
        state["nb"] = len(tr.train_loader)
        if hasattr(tr, "_clear_memory"):  # its gc.collect() recurs every epoch on MPS: steady cost (GcPauses)
            tr._clear_memory = _timed_calls(pauses.scheduled(tr._clear_memory), rec, state["clear_memory"], own)
        if hasattr(tr, "save_model"):  # a stop request waits for last.pt to be whole: --resume loads it
            tr.save_model = _whole(tr.save_model)
        if int(getattr(tr.train_loader, "num_workers", 0) or 0) == 0:
            state["decodes"] = decodes.attach(tr.train_loader.dataset)
        _time_optimizer_steps(tr, rec, state, own)
        src = BatchSource(tr.train_loader, stop_train if probe else None, endless=True, own=own)
        tr.train_loader = src
        state["train_src"] = src
        vsrc = BatchSource(tr.validator.dataloader, stop_val if probe else None, own=own)
        tr.validator.dataloader = vsrc
        state["val_src"] = vsrc

    def on_train_epoch_start(tr: Any) -> None:
        # ultralytics halves the batch and rebuilds the loaders after an out-of-memory error in the first epoch
        # (engine/trainer.py, up to 3 times). Here that would time another workload than the one asked for, past
        # the probe's own loaders (and their deadlines): the error ends the run instead, with a clear line.
        tr._oom_retries = 3
        if probe or "plot_idx" not in state:
            set_plots(tr)
        meter.mark(f"epoch_start:{tr.epoch}", rec.mark("epoch_start", tr.epoch))
        state["nbatch"] = 0
        state["log_t"] = (rec.now(), 0)
        kind = "mosaic" if tr.epoch < plain_from else "no mosaic"
        eta = ""
        done = tr.epoch - (state.get("first_epoch") if state.get("first_epoch") is not None else tr.epoch)
        state.setdefault("first_epoch", tr.epoch)
        state.setdefault("first_epoch_t", rec.now())
        if not probe and done > 0:  # the mean epoch so far, as ultralytics' own ETA does
            per = (rec.now() - state["first_epoch_t"]) / done
            eta = f", about {per * (trainer_epochs - tr.epoch) / 60:.1f} min left"
        say(f"epoch {tr.epoch + 1}/{trainer_epochs if not probe else 2}: training ({kind}){eta}")

    def on_train_batch_start(tr: Any) -> None:
        rec.mark("batch_start", tr.epoch, state["train_src"].last_images if state["train_src"] else 0)
        state["spill"] = _plot_running()
        if state.get("decodes"):
            decodes.batch(tr.epoch)

    def on_train_batch_end(tr: Any) -> None:
        ni = state["nbatch"] + state["nb"] * tr.epoch  # ultralytics' global batch index
        # 1: this step drew a plot; 2: a plot drawn earlier was still running beside it (bench.timeline)
        t = rec.mark("batch_end", tr.epoch, 1 if ni in state["plot_idx"] else (2 if state.get("spill") else 0))
        if "opt_steps" in state:
            state["opt_steps"].append([tr.epoch, round(state["opt_seconds"], 6)])
            state["opt_seconds"] = 0.0
        state["nbatch"] += 1
        try:
            items = tr.loss_items
            losses = ({k: float(v) for k, v in items.items()} if isinstance(items, dict)
                      else {f"loss{i}": float(v) for i, v in enumerate(items)})
        except Exception:
            losses = {}
        rec.losses.append(losses)
        mem.sample()
        n = state["nbatch"]
        if n == 1 or n % 10 == 0 or (probe and n <= 10):
            since = state.get("log_t")
            per = f"{(t - since[0]) / (n - since[1]):.2f}s/batch" if since and n > since[1] else "first"
            say(f"  batch {n}: {per}")
            state["log_t"] = (t, n)

    def on_train_epoch_end(tr: Any) -> None:
        t = rec.mark("epoch_end", tr.epoch)
        if probe and tr.epoch >= plain_from and t >= deadline("val1") and state["val_passes"] > 0:
            # out of budget: one validation pass was already timed, and validation does not depend on mosaic
            tr.args.val = False
            state["skipped"].append("second validation pass (budget spent)")

    def on_val_start(v: Any) -> None:
        rec.mark("val_start")
        state["val_passes"] += 1
        state["val_seen"] = 0
        state["val_batches"] = 0
        say("validation" if not state.get("in_final") else "final evaluation of best.pt")

    def on_val_batch_start(v: Any) -> None:
        rec.mark("val_batch_start", state["val_batches"])

    def on_val_batch_end(v: Any) -> None:
        seen = int(getattr(v, "seen", 0) or 0)
        n = max(0, seen - state["val_seen"])
        state["val_seen"] = seen
        rec.mark("val_batch_end", state["val_batches"], n)
        state["val_batches"] += 1

    def on_val_end(v: Any) -> None:
        rec.mark("val_end")
        mem.sample()  # after the clock read: its cost falls between the pass and the boundary's next event

    def on_train_end(tr: Any) -> None:
        # the workers' own memory, while they live: ultralytics closes its loaders right after this callback (a run
        # that stops otherwise reads it when training ends, below). Its cost falls in the final section, a one-off
        mem.sample(children=True)

    def on_fit_epoch_end(tr: Any) -> None:
        t = rec.mark("fit_epoch_end", tr.epoch)
        if state.get("in_final"):
            return  # ultralytics fires it again after the final evaluation
        meter.mark(f"epoch_end:{tr.epoch}", t)
        if probe and tr.epoch >= plain_from:
            if t >= deadline("final"):
                state["skipped"].append("final evaluation (budget spent; estimated as one validation pass)")
                raise _ProbeDone
            tr.stop = True  # the probe has seen both phases: go on to ultralytics' final evaluation
            state["in_final"] = True
        elif tr.epoch == trainer_epochs - 1:
            state["in_final"] = True

    try:
        model = YOLO(f"{config.model}.yaml" if not resume else str(resume))
    except Exception as e:
        if resume is None:
            raise
        raise UsageError(f"--resume: ultralytics cannot load the checkpoint {resume} ({type(e).__name__}); start "
                         "the run again") from None
    gflops = _gflops(model, config.imgsz)
    if instrument:
        for name, fn in (
            ("on_pretrain_routine_end", on_pretrain_routine_end), ("on_train_start", on_train_start),
            ("on_train_epoch_start", on_train_epoch_start), ("on_train_batch_start", on_train_batch_start),
            ("on_train_batch_end", on_train_batch_end), ("on_train_epoch_end", on_train_epoch_end),
            ("on_val_start", on_val_start), ("on_val_batch_start", on_val_batch_start),
            ("on_val_batch_end", on_val_batch_end), ("on_val_end", on_val_end),
            ("on_fit_epoch_end", on_fit_epoch_end), ("on_train_end", on_train_end),
        ):
            model.add_callback(name, _self_timed(fn, own))
    else:
        model.add_callback("on_pretrain_routine_end", lambda tr: state.__setitem__("trainer", tr))
    if probe and full_train_images:
        model.add_callback("on_pretrain_routine_start",
                           lambda tr: _optimizer_as_full_run(tr, full_train_images, config.epochs))

    save_dir.parent.mkdir(parents=True, exist_ok=True)
    args: dict[str, Any] = dict(
        data=str(data_yaml), epochs=trainer_epochs, close_mosaic=close_mosaic, imgsz=config.imgsz,
        batch=config.batch, workers=config.workers, cache=config.cache, amp=config.amp, device=device.spec,
        project=str(save_dir.parent), name=save_dir.name, exist_ok=True, pretrained=False, seed=config.seed,
        verbose=False,
    )
    if resume:  # ultralytics takes the run's own arguments from the checkpoint; device and workers may change
        args = {"resume": str(resume), "device": device.spec, "workers": config.workers}
    interrupted: Interrupted | KeyboardInterrupt | None = None
    error: str | None = None
    error_detail: str | None = None
    mem.reset()
    rec.start()
    meter.mark("start", 0.0)
    startup = _seconds_since_process_start()
    pauses = GcPauses(rec, own)
    wall: float | None = None
    try:
        with contextlib.redirect_stdout(sys.stderr), (pauses if instrument else contextlib.nullcontext()):
            model.train(**args)  # stdout is for --json alone
    except _ProbeDone:
        pass
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = e
        clear_signal()
    except UsageError:
        raise
    except Exception as e:  # training itself failed: keep what was measured, say why
        import traceback

        error = failure_message(e, device.type, config)
        frames = traceback.extract_tb(e.__traceback__)[-3:]
        error_detail = "failed at " + " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}"
                                                  for f in reversed(frames))
    finally:
        try:
            # a stop request while the run winds up (last clock read, counters, loader workers) is recorded with
            # the run, not raised out of it: that would lose everything measured
            with deferred_signals():
                try:
                    if instrument:
                        rec.mark("end")
                    wall = rec.now()
                except Exception as e:  # a sticky device error (illegal access, assert) fails every later sync too
                    wall = rec.clock() - rec.t0  # the host clock, unsynchronized: the device can no longer be waited
                    if error is None:
                        error = f"{type(e).__name__} at the end of training: {e}".splitlines()[0][:300]
                meter.mark("end", wall)
                with contextlib.suppress(Exception):  # a broken device fails its counters too: keep what was read
                    mem.sample(children=True)  # a run stopped early still has its workers here (and its peaks)
                tr = state["trainer"]
                if tr is not None:
                    for loader in (getattr(tr, "train_loader", None), getattr(tr, "test_loader", None)):
                        with contextlib.suppress(Exception):
                            loader.close()  # type: ignore[union-attr]
        except (KeyboardInterrupt, Interrupted) as e:  # held above, or pending from a swallowed one (Recorder.mark)
            interrupted = interrupted or e
            clear_signal()
            if wall is None:
                wall = rec.clock() - rec.t0
                meter.mark("end", wall)
    tr = state["trainer"]
    result = RunResult(
        events=rec.events, losses=rec.losses, memory=mem.to_dict(), wall_seconds=wall,
        trainer_epochs=trainer_epochs, plain_from_epoch=plain_from,
        workers_used=int(getattr(getattr(tr, "train_loader", None), "num_workers", 0) or 0) if tr else 0,
        val_workers_used=_workers(getattr(tr, "test_loader", None)) if tr else None,
        amp_used=bool(getattr(tr, "amp", False)) if tr else False,
        torch_threads=torch.get_num_threads(), gflops=gflops,
        val_batch=int(getattr(getattr(tr, "test_loader", None), "batch_size", 0) or config.batch * 2) if tr
        else config.batch * 2,
        save_dir=str(getattr(tr, "save_dir", save_dir)) if tr else str(save_dir),
        interrupted=interrupted, error=error, error_detail=error_detail, phase_log=phase_log,
        skipped=state["skipped"], callback_seconds=own.seconds,
        startup_seconds=startup, start_epoch=int(getattr(tr, "start_epoch", 0) or 0) if tr else 0,
        cpu_load=meter.to_dict(),
        image_decodes=decodes.per_batch if state.get("decodes") else None,
        optimizer_steps=state.get("opt_steps"),
        warmup_extension_seconds=deadlines.extension if deadlines is not None else 0.0,
        gc_pauses=pauses.pauses if instrument else None,
        optimizer=str(getattr(getattr(tr, "args", None), "optimizer", "")) or None if tr else None,
        clear_memory=state["clear_memory"] if instrument else None,
        loaded_images=state.get("loaded"),
        mirrored_images=state.get("mirrored"),
        left_out_images=state.get("left_out"),
    )
    # The trainer (model, optimizer, EMA, datasets, a RAM cache, CUDA memory) sits in reference cycles: bench's
    # wrappers of its methods hold it, and so does ultralytics' own scheduler lambda. Left to the next full garbage
    # collection, it would be freed inside the next run of this process (`validate --overhead` trains several), as
    # a pause there. Freed here, after the run's clock stopped.
    state.clear()
    del tr
    with contextlib.suppress(NameError):  # the YOLO object holds its trainer too (unbound if building it failed)
        del model
    gc.collect()
    return result


def _timed_calls(fn: Callable[..., Any], rec: Recorder, out: list[list[float]], own: OwnTime | None = None
                 ) -> Callable[..., Any]:
    """``fn`` that appends ``[start, seconds]`` of each call to ``out``, on the recorder's (synchronized) clock;
    the time of its own clock reads (device synchronizations included) goes to ``own``."""
    own = own if own is not None else OwnTime()

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = own.now(rec)
        try:
            return fn(*args, **kwargs)
        finally:
            out.append([round(start, 6), round(own.now(rec) - start, 6)])

    return timed


def _optimizer_as_full_run(tr: Any, train_images: int, epochs: int) -> None:
    """With ``optimizer=auto`` (the default) ultralytics picks the optimizer from the run's length: MuSGD above
    10,000 iterations of ``max(batch, nbs)`` images, else AdamW (engine/trainer.py ``build_optimizer``). The
    probe's mirror and 3 epochs would always give AdamW; this makes the trainer choose for the full run's
    ``ceil(train_images / max(batch, nbs)) x epochs`` iterations instead, so the probe times the same optimizer
    step (MuSGD adds Newton-Schulz iterations on every conv weight). ``train_images``: the images found; the
    share of them ultralytics left out of the probe's mirror as corrupt is left out of the full run's too."""
    build = tr.build_optimizer

    def build_for_full_run(*args: Any, **kwargs: Any) -> Any:
        kept, read, _ = mirror_split(getattr(getattr(tr, "train_loader", None), "dataset", None))  # built by now
        n = usable(train_images, read, kept)
        kwargs["iterations"] = math.ceil(n / max(int(tr.batch_size), int(tr.args.nbs))) * epochs
        return build(*args[:5], **kwargs)  # iterations is the 6th parameter; ultralytics passes keywords

    tr.build_optimizer = build_for_full_run


def _whole(save: Callable[[], Any]) -> Callable[[], Any]:
    """ultralytics' ``save_model`` with SIGINT and SIGTERM held until it returns: it writes last.pt (and best.pt)
    in place, and a stop landing mid-write left a truncated last.pt that --resume could not load."""
    def save_whole() -> Any:
        with deferred_signals():
            return save()

    return save_whole


def failure_message(e: BaseException, device_type: str, config: TrainConfig) -> str:
    """One line for a training that failed: the exception's first line, or for running out of device memory
    (CUDA's OutOfMemoryError, MPS's "MPS backend out of memory", cuBLAS failing to allocate its workspace, which
    ultralytics treats as out of memory too) what to change; for an operator MPS lacks, what to do instead."""
    text = str(e)
    if "out of memory" in text.lower() or "CUBLAS_STATUS_ALLOC_FAILED" in text:
        b = config.batch
        return (f"{device_type} out of memory at batch {b} ({config.model} {config.imgsz}px): this workload does not "
                f"fit this device; try --batch {max(1, b // 2)}" + (" or a smaller --imgsz" if b == 1 else ""))
    if "No valid images found" in text:  # ultralytics decoded every image of a split and kept none
        return ("ultralytics found no usable image in a split of the dataset: each one it decoded was corrupt, "
                "truncated, smaller than 10 pixels or of a format it does not train on (its log above names each); "
                "replace those images")
    if "PYTORCH_ENABLE_MPS_FALLBACK" in text:  # torch's message for a missing MPS operator: long, hint at the end
        op = text.split("'")[1] if text.count("'") >= 2 else "an operator"
        return (f"mps cannot run {op} (not implemented for MPS in torch {_torch_version()}): use --device cpu, or set "
                "PYTORCH_ENABLE_MPS_FALLBACK=1 to run that operator on the CPU (the record then says so: "
                "fingerprint.mps_fallback)")
    return f"{type(e).__name__}: {e}".splitlines()[0][:300] if text else type(e).__name__


def _torch_version() -> str:
    torch = sys.modules.get("torch")
    return str(getattr(torch, "__version__", "?"))


def _plot_running() -> bool:
    """Is one of ultralytics' training-sample plots still being drawn? ``plot_images`` runs in a thread of its own
    (utils/plotting.py ``@threaded``; Python names it "Thread-N (plot_images)") that competes with the training
    loop for the interpreter and the cores. A plot takes about 0.07 s, the first of a process 0.4 s (measured on a
    2-core CPU, 16 images at 320 px), so on a CPU it ends within the step that started it; on a GPU, whose steps
    take a tenth of a second, it runs beside the next steps, which then do not show the steady speed."""
    import threading

    return any(t.name.endswith("(plot_images)") and t.is_alive() for t in threading.enumerate())


def _time_optimizer_steps(tr: Any, rec: Recorder, state: dict[str, Any], own: OwnTime | None = None) -> None:
    """Time ultralytics' ``optimizer_step`` (gradient clipping, the optimizer, zero_grad, the EMA update) between
    device synchronizations. It runs once every ``accumulate`` batches, and ``accumulate`` ramps from 1 to
    nbs / batch over the warm-up iterations, so a short probe steps more often per batch than a whole run does
    (:func:`bench.extrapolate.optimizer_steps_per_batch`); :mod:`bench.timeline` rescales with these times.

    On cuda and mps the synchronization before the step waits for the backward pass, so the host no longer
    launches the step's kernels while backward still runs, as it does untimed: the step reads a little slower
    than in a bare run (by the launch time of the unscaling and clipping kernels with AMP on CUDA, where
    GradScaler's inf check synchronizes inside the step anyway; of the optimizer's kernels on mps). Device
    events (``torch.cuda.Event(enable_timing=True)``) would avoid that; not done while no GPU was at hand to check
    them on."""
    orig = getattr(tr, "optimizer_step", None)
    if orig is None:
        return
    state["opt_steps"] = []
    state["opt_seconds"] = 0.0

    own = own if own is not None else OwnTime()

    def optimizer_step(*args: Any, **kwargs: Any) -> Any:
        t = own.now(rec)
        try:
            return orig(*args, **kwargs)
        finally:
            state["opt_seconds"] += own.now(rec) - t

    tr.optimizer_step = optimizer_step


def _seconds_since_process_start() -> float | None:
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:
        return None


def _self_timed(fn: Callable[[Any], None], own: OwnTime) -> Callable[[Any], None]:
    """Wrap a callback so the time spent inside the harness's own code is known (its overhead; not the wait for the
    device in its synchronizations, :class:`OwnTime`)."""

    def timed(obj: Any) -> None:
        with own.span():
            fn(obj)

    return timed


def _logs_to_stderr() -> None:
    """ultralytics logs to the stdout it saw at import; send its handlers to stderr (stdout is for --json)."""
    import logging

    from ultralytics.utils import LOGGER

    for h in LOGGER.handlers:
        if isinstance(h, logging.StreamHandler) and getattr(h, "stream", None) in (sys.stdout, sys.__stdout__):
            h.setStream(sys.stderr)


def _gflops(model: Any, imgsz: int) -> float | None:
    """Forward GFLOPs of one image at ``imgsz`` (ultralytics' thop-based figure), or None."""
    try:
        from ultralytics.utils.torch_utils import get_flops

        g = float(get_flops(model.model, imgsz))
        return g if g > 0 and math.isfinite(g) else None
    except Exception:
        return None


def check_losses(losses: list[dict[str, float]]) -> str | None:
    """Why a run is invalid, or None. NaN/inf losses, or a loss stuck at exactly 0 in every batch, are known
    YOLOv8-on-MPS failures (ultralytics issues 9933, 7554): such a run may be fast because it computes nothing."""
    for i, row in enumerate(losses):
        for k, v in row.items():
            if not math.isfinite(v):
                return f"loss '{k}' was {v} at training batch {i + 1}: the device computed garbage"
    if losses:
        keys = set().union(*losses)
        for k in sorted(keys):
            vals = [row[k] for row in losses if k in row]
            if vals and all(v == 0.0 for v in vals):
                return f"loss '{k}' was exactly 0 in all {len(vals)} batches: the device computed nothing"
    return None
