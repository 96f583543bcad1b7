"""The workload profile: what one training configuration costs per unit of work on one device.

A probe (``bench.probe``) measures it; ``bench.extrapolate`` turns it into a full-run time;
``bench.scaling`` maps it onto another accelerator. It is plain data (no torch), stored in every record
under ``"profile"``.

Units are in the names. Per-batch figures are for one *training* batch of ``batch`` images; validation runs
with batches of ``val_batch`` images (ultralytics uses twice the training batch for detection).

Data versus compute (the split every cross-hardware estimate depends on):

* ``data_seconds_per_batch``: the time the training loop *waited* for its next batch. On cpu and mps
  ultralytics forces ``workers=0``, so this is the whole cost of loading, decoding and augmenting a batch,
  paid in series with compute. On CUDA, worker processes prepare batches while the GPU computes: the wait is
  only the part that compute did not hide, and ``data_load_seconds_per_batch`` (when known) is the full
  loading cost per batch measured apart.
* ``compute_seconds_per_batch``: from the start of a step to its end, device synchronized at both ends:
  host-to-device copy, forward, loss, backward, optimizer step (every ``accumulate`` batches) and logging.

From a probe these are the steady-state batches' means, moved to what the full run will do where the probe
cannot: the data wait to the full dataset's image-decode rate, compute to the full run's optimizer-step cadence
(``bench.timeline.derive``, which says by how much in the record's notes). A Range's ``median`` field holds that
mean; ``low``/``high`` its 80% Student-t interval.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bench.stats import Range


@dataclass(frozen=True)
class Phase:
    """Steady-state cost of one training batch in one data-pipeline phase (mosaic on, or off)."""

    data_seconds_per_batch: Range
    compute_seconds_per_batch: Range
    batches_observed: int

    @property
    def seconds_per_batch(self) -> Range:
        """Wall time per batch (data wait + compute)."""
        return self.data_seconds_per_batch + self.compute_seconds_per_batch


@dataclass(frozen=True)
class Profile:
    """Per-unit costs of one workload on one device. See the module docstring for the meaning of each part."""

    device_type: str  # "cpu" | "cuda" | "mps"
    device_name: str  # "NVIDIA Tesla T4", "Apple M4 Pro", "AMD EPYC 7B13", ...
    precision: str  # "amp" (CUDA mixed precision) | "fp32"
    model: str  # "yolov8n" ...
    imgsz: int
    batch: int
    val_batch: int
    workers: int  # dataloader worker processes actually used; 0 = loading in the training process
    host_cpus: int  # logical CPUs of the host that fed the device
    train_images: int  # images in one full training epoch
    val_images: int  # images in one validation pass
    mosaic: Phase  # batches while mosaic augmentation is on (all epochs but the last close_mosaic)
    plain: Phase  # batches after close_mosaic turned mosaic off
    val_data_seconds_per_batch: Range
    val_compute_seconds_per_batch: Range
    val_fixed_seconds: Range  # per validation pass: metrics, NMS bookkeeping, start and end of the pass
    epoch_fixed_seconds: Range  # per epoch, outside train batches and validation: checkpoint save, metrics, csv
    setup_seconds: float  # once: model build, dataset scan, dataloaders (measured on the probe's subset)
    warmup_excess_seconds: float  # once: what the first batches, plots and epoch boundary cost above steady state
    final_fixed_seconds: float = 0.0  # once, after the last epoch: final evaluation's cost beyond one val pass
    #: of warmup_excess_seconds, the device's part: the first batches' compute above its steady state (the rest,
    #: the first boundary, garbage collections, plots, first decodes, is CPU-side work). 0 in records before
    #: 2026-12-03, which scale their whole warm-up as CPU-side work.
    warmup_device_seconds: float = 0.0
    data_load_seconds_per_batch: Range | None = None  # full loading cost when workers overlap it (CUDA)
    torch_threads: int = 0  # intra-op threads torch used (cpu training); 0 = unknown
    #: the validation loader's worker processes actually used (ultralytics asks for 2 x workers, capped by CPUs and
    #: by the batches of the set it loads: a probe's small validation subset gets fewer); None = unknown (records
    #: before 2026-12-08)
    val_workers: int | None = None
    gflops: float | None = None  # forward GFLOPs of the model for one image at imgsz (ultralytics' figure)
    notes: tuple[str, ...] = field(default=())

    @property
    def train_batches_per_epoch(self) -> float:
        """Batches per epoch, fractional: the last, partial batch costs its share of images."""
        return self.train_images / self.batch

    @property
    def val_batches_per_pass(self) -> float:
        return self.val_images / self.val_batch

    def val_seconds_per_pass(self) -> Range:
        per_batch = self.val_data_seconds_per_batch + self.val_compute_seconds_per_batch
        return per_batch.scale(self.val_batches_per_pass) + self.val_fixed_seconds

    def with_dataset(self, train_images: int, val_images: int) -> Profile:
        """The same per-unit costs for a dataset of another size."""
        return replace(self, train_images=train_images, val_images=val_images)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Profile:
        def rng(x: Any) -> Range:
            return Range.from_dict(x)

        def phase(x: dict[str, Any]) -> Phase:
            return Phase(rng(x["data_seconds_per_batch"]), rng(x["compute_seconds_per_batch"]),
                         int(x["batches_observed"]))

        dl = d.get("data_load_seconds_per_batch")
        try:
            return _checked(cls(
                device_type=str(d["device_type"]), device_name=str(d["device_name"]), precision=str(d["precision"]),
                model=str(d["model"]), imgsz=int(d["imgsz"]), batch=int(d["batch"]), val_batch=int(d["val_batch"]),
                workers=int(d["workers"]), host_cpus=int(d["host_cpus"]),
                train_images=int(d["train_images"]), val_images=int(d["val_images"]),
                mosaic=phase(d["mosaic"]), plain=phase(d["plain"]),
                val_data_seconds_per_batch=rng(d["val_data_seconds_per_batch"]),
                val_compute_seconds_per_batch=rng(d["val_compute_seconds_per_batch"]),
                val_fixed_seconds=rng(d["val_fixed_seconds"]), epoch_fixed_seconds=rng(d["epoch_fixed_seconds"]),
                setup_seconds=float(d["setup_seconds"]), warmup_excess_seconds=float(d["warmup_excess_seconds"]),
                final_fixed_seconds=float(d.get("final_fixed_seconds", 0.0)),
                warmup_device_seconds=float(d.get("warmup_device_seconds", 0.0)),
                data_load_seconds_per_batch=rng(dl) if dl else None,
                torch_threads=int(d.get("torch_threads", 0)),
                val_workers=int(d["val_workers"]) if d.get("val_workers") is not None else None,
                gflops=float(d["gflops"]) if d.get("gflops") is not None else None,
                notes=tuple(d.get("notes", ())),
            ))
        except OverflowError as e:  # int(Infinity), float(a 400-digit int): JSON holds both
            raise ValueError(f"profile: a number too large ({e})") from None


#: Bounds on what a record's profile can hold: a year in seconds, a thousand times yolov8x's 258 GFLOPs. A larger
#: number is an edit or a broken writer, and would overflow the arithmetic of the estimate and its plots.
MAX_SECONDS = 3.2e7
MAX_GFLOPS = 3e5
#: ... an image side, a count of images or batches, host CPUs: far above any real run (ImageNet has 1.3e6 images)
MAX_IMGSZ = 100_000
MAX_COUNT = 1_000_000_000
MAX_CPUS = 100_000


def _checked(p: Profile) -> Profile:
    """``p`` if its numbers can be a measurement (a record is input: it may have been edited, or written by a
    broken version), else ValueError naming the first field that cannot: every number finite, counts >= 1,
    per-batch seconds >= 0."""
    def bad(name: str, why: str) -> ValueError:
        return ValueError(f"profile {name}: {why}")

    for name, most in (("imgsz", MAX_IMGSZ), ("batch", MAX_COUNT), ("val_batch", MAX_COUNT),
                       ("train_images", MAX_COUNT), ("val_images", MAX_COUNT), ("host_cpus", MAX_CPUS)):
        if not 1 <= getattr(p, name) <= most:
            raise bad(name, f"{getattr(p, name)} must be from 1 to {most:,}")
    for name in ("workers", "torch_threads", "val_workers"):
        if getattr(p, name) is not None and not 0 <= getattr(p, name) <= MAX_CPUS:
            raise bad(name, f"{getattr(p, name)} must be from 0 to {MAX_CPUS:,}")
    for ph in ("mosaic", "plain"):
        if not 0 <= getattr(p, ph).batches_observed <= MAX_COUNT:
            raise bad(f"{ph}.batches_observed", f"{getattr(p, ph).batches_observed} must be from 0 to {MAX_COUNT:,}")
    per_batch = {f"{ph}.{k}": getattr(getattr(p, ph), k) for ph in ("mosaic", "plain")
                 for k in ("data_seconds_per_batch", "compute_seconds_per_batch")}
    per_batch |= {k: getattr(p, k) for k in ("val_data_seconds_per_batch", "val_compute_seconds_per_batch",
                                             "data_load_seconds_per_batch") if getattr(p, k) is not None}
    others = {k: getattr(p, k) for k in ("val_fixed_seconds", "epoch_fixed_seconds")}
    for name, r in (per_batch | others).items():
        if not all(math.isfinite(x) for x in (r.low, r.median, r.high)):
            raise bad(name, f"{r} is not a finite number of seconds")
        if r.high >= MAX_SECONDS:
            raise bad(name, f"{r} is over {MAX_SECONDS:.0e} seconds")
        if r.low < 0:
            raise bad(name, f"{r} is negative; these seconds are >= 0")
    for name in ("setup_seconds", "warmup_excess_seconds", "final_fixed_seconds", "warmup_device_seconds"):
        x = getattr(p, name)
        if not math.isfinite(x):
            raise bad(name, f"{x} is not a finite number of seconds")
        if not 0 <= x < MAX_SECONDS:
            raise bad(name, f"{x} is not a number of seconds from 0 to {MAX_SECONDS:.0e}")
    if p.warmup_device_seconds > p.warmup_excess_seconds:
        raise bad("warmup_device_seconds", f"{p.warmup_device_seconds} is more than the whole warm-up, "
                                           f"{p.warmup_excess_seconds}")
    if p.gflops is not None and not (math.isfinite(p.gflops) and 0 < p.gflops < MAX_GFLOPS):
        raise bad("gflops", f"{p.gflops} is not a model size in GFLOPs (above 0, under {MAX_GFLOPS:.0e})")
    return p
