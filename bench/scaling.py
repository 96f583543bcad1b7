"""Hardware scaling: a :class:`~bench.profile.Profile` measured here -> an estimated Profile on a SageMaker instance.

Pure: numbers in, an estimate out (the accelerator table is passed in; :func:`accelerator_key` loads the packaged
one only when none is given). The result is an ordinary Profile, so ``extrapolate.estimate_run`` works on it
unchanged, with the systematic margin that :class:`ScaledProfile` carries.

The model, per training batch (validation batches alike, with ``val_batch`` images):

* **Compute** on a CUDA target (per GPU, AMP, which ultralytics uses on CUDA by default), in T4-with-AMP units
  from ``accelerators.json`` (bench/data/reference/gpu-throughput.md):
  ``compute_target = compute_source x speed_source / speed_target``.

  - CUDA source: ratio of the table's ranges (1 exactly when source and target are the same accelerator);
    a source that trained in FP32 (amp off) is first divided by ``amp_speedup``.
  - MPS source: Apple M-series via MPS in ultralytics runs at about 0.15-0.5 x T4 (weak evidence).
  - CPU source: no relative factor exists (CPU is "far below 0.1 x T4"), so the measured compute is not used.
    The estimate is anchored on FLOPs instead: ``compute_T4 = 3 x gflops x batch / t4_effective_tflops``
    (training ~ 3 x forward FLOPs), then divided by the target's T4 ratio. Largest uncertainty.
  - Several GPUs (DDP): ``compute / (count x multi_gpu_efficiency)``; each GPU gets ``batch / count`` images.

* **Data** on a CUDA target: ultralytics' loader runs ``workers = min(cpu_count // max(gpus, 1), 8)`` worker
  processes per GPU (``ultralytics/data/build.py`` ``build_dataloader``; ``cfg/default.yaml`` workers=8; the
  validation loader asks for ``2 x workers``, ``models/yolo/detect/train.py``) that overlap compute. From the
  source's serial cost per batch: ``data_term = cost x cpu_speed_ratio / (gpus x workers x worker_efficiency)``.
  Step time = ``max(compute, data_term)``; the target Profile stores compute in ``compute_seconds_per_batch``,
  the part compute does not hide (``max(0, data_term - compute)``) in ``data_seconds_per_batch``, and the whole
  data term (mosaic phase) in ``data_load_seconds_per_batch``.

  Serial cost per batch on the source: on cpu and mps ultralytics forces ``workers=0`` (engine/trainer.py), so it
  is the measured ``data_seconds_per_batch`` (likewise on a CUDA source run with ``workers=0``). Otherwise, on a
  CUDA source, ``data_load_seconds_per_batch`` is read as the time per batch the source's loader
  (``profile.workers`` processes) needs when nothing else runs, so the serial cost is that x ``workers`` (worker
  efficiency taken equal on both hosts, so it cancels). Without it, the data wait tells: a source that waited
  (wait > ``data_bound_wait_fraction`` x compute) was data-bound and its loader needed compute + wait per batch;
  one that waited less gives only bounds, the wait (low) to compute + wait (high), and a median that moves from
  the wait (no wait) to compute + wait (a wait at the threshold), so that a noise-level change of the wait does not
  make the estimate jump. The validation loader's workers are the record's ``val_workers`` (a probe's small
  validation subset gets fewer than the full set's would).

* **CPU-only targets** (m5, c5) only from a CPU source: compute scales with the torch threads ultralytics uses
  (``NUM_THREADS = min(8, max(1, cpu_count - 1))``, ``ultralytics/utils/__init__.py``, applied by
  ``torch.set_num_threads`` in ``utils/torch_utils.py``) with a parallel efficiency; data stays serial.
  From an MPS or CUDA source there is no estimate (the reference: extrapolate CPU targets from CPU measurements
  only): :class:`NoEstimate` says why.

* Setup, the warm-up's host part, the per-epoch and per-validation fixed work are CPU-side: kept from the source,
  scaled by the per-core speed ratio (its range for the Range fields; its median for the single numbers). The
  warm-up's device part (the first batches' compute above the steady state) scales as the compute does.

Ranges: each factor is a :class:`~bench.stats.Range`; they are combined conservatively (low with low, high with
high), so the estimate widens with every uncertain factor, and ``systematic`` grows with the hardware distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from bench.catalog import Accelerator, Instance, load_accelerators
from bench.profile import Phase, Profile
from bench.stats import Range

# --- the FLOPs anchor for CPU sources (derivation of the default t4_effective_tflops) -------------------------

#: Forward GFLOPs of YOLOv3-SPP at 608 px: 141.5 (AlexeyAB/darknet README, yolov3-spp.cfg "width=608: 141.5 BFlops";
#: darknet counts a multiply-add as 2 FLOPs, as ultralytics' GFLOPs figure does). This figure and the 3 x rule
#: below are the anchor's only inputs not in bench/data/reference: outside sources, named here.
YOLOV3_SPP_GFLOPS_608 = 141.5
#: The same at 416 px (convolution FLOPs scale with the pixel count): 141.5 x (416/608)^2 = 66.24 GFLOPs.
YOLOV3_SPP_GFLOPS_416 = YOLOV3_SPP_GFLOPS_608 * (416 / 608) ** 2
#: T4 training throughput on YOLOv3-SPP at 416 px with mixed precision: 41 img/s
#: (bench/data/reference/gpu-throughput.md, from the ultralytics/yolov3 README speed table).
T4_YOLOV3_SPP_IMAGES_PER_SECOND = 41.0
#: Training FLOPs per image ~ 3 x forward (backward ~ 2 x forward; the usual rule, e.g. Kaplan et al. 2020).
TRAIN_FLOPS_PER_FORWARD = 3.0
#: Effective T4 training rate on a large convnet: 41 x 3 x 66.24 / 1000 = 8.15 TFLOPS.
T4_EFFECTIVE_TFLOPS = T4_YOLOV3_SPP_IMAGES_PER_SECOND * TRAIN_FLOPS_PER_FORWARD * YOLOV3_SPP_GFLOPS_416 / 1000

#: ultralytics defaults: cfg/default.yaml ``workers: 8``; NUM_THREADS cap of 8 (ultralytics/utils/__init__.py).
ULTRALYTICS_WORKERS = 8
ULTRALYTICS_MAX_THREADS = 8

DISTANCES = ("same", "near", "far", "farthest", "cpu", "none")

# Defaults of ScalingParams (documented there).
_CPU_SPEED_RATIO = Range(1.0, 0.7, 1.3)
_WORKER_EFFICIENCY = Range(0.7, 0.5, 0.9)
_MULTI_GPU_EFFICIENCY = Range(0.75, 0.5, 0.9)
_CPU_THREAD_EFFICIENCY = Range(0.7, 0.5, 0.9)
_T4_EFFECTIVE_TFLOPS_RANGE = Range(0.55 * T4_EFFECTIVE_TFLOPS, 0.3 * T4_EFFECTIVE_TFLOPS, T4_EFFECTIVE_TFLOPS)
_AMP_SPEEDUP = Range(1.7, 1.2, 3.0)
_MIN_STEP_SECONDS = Range(0.015, 0.008, 0.03)


@dataclass(frozen=True)
class ScalingParams:
    """Every factor of the scaling model, with a default Range and where it comes from.

    * ``cpu_speed_ratio`` 1.0 (0.7-1.3): per-core *time* on the instance's Xeon divided by the source CPU's
      (> 1: the instance's core is slower). Unknown without a measurement on the instance; assumption.
    * ``worker_efficiency`` 0.7 (0.5-0.9): throughput of one dataloader worker relative to one full core; the
      instance's vCPUs are hyperthreads and the training process needs CPU too. Assumption.
    * ``multi_gpu_efficiency`` 0.75 (0.5-0.9): DDP speed-up per GPU. Lambda (bench/data/reference/gpu-throughput.md):
      8 x A100 = 7.2 x one GPU (0.9) for ResNet-50; small YOLO datasets scale worse (assumption for the low end).
    * ``cpu_thread_efficiency`` 0.7 (0.5-0.9): what each torch thread beyond the first adds, as a fraction of a
      core (linear model ``1 + (threads - 1) x e``); vCPUs are hyperthreads. Assumption.
    * ``t4_effective_tflops`` 4.48 (2.44-8.15): T4 training rate with AMP, in TFLOPS of ultralytics' GFLOPs
      figure. High = :data:`T4_EFFECTIVE_TFLOPS` (YOLOv3-SPP, a large model that keeps the GPU busy); small
      models use a GPU less well: low x0.3, median x0.55 (geometric middle). Assumption on top of the derivation.
    * ``amp_speedup`` 1.7 (1.2-3.0): AMP over FP32 training on one CUDA GPU, to bring an FP32 CUDA source onto the
      table's AMP figures. Not in the reference; assumption (tensor cores: T4 65 vs 8.1 TFLOPS peak, but small
      convnets gain far less than peak).
    * ``min_step_seconds`` 0.015 (0.008-0.03): the least a training step takes on one GPU whatever its speed.
      A YOLOv8 step launches hundreds of CUDA kernels (forward, backward, and every ``accumulate`` batches the
      optimizer and EMA update) from Python; a small model on a fast GPU is bound by that, not by FLOPs, so
      dividing by the table's ratio alone would be optimistic for p4d/p5. Not in the reference; assumption, to
      be replaced by a measurement on a large GPU.
    * ``train_flops_per_forward`` 3.0: see :data:`TRAIN_FLOPS_PER_FORWARD`.
    * ``data_bound_wait_fraction`` 0.05: a CUDA source waiting more than this fraction of compute per batch is
      called data-bound (assumption; below it the wait is noise).
    * ``max_workers`` 8, ``max_torch_threads`` 8: ultralytics defaults (see module docstring).
    * ``systematic_*``: relative margin added by ``extrapolate.estimate_run`` for what the factors above miss
      (software versions, the host, drift); the factor ranges already carry most of the spread. Same
      accelerator 0.10 (the same-device 0.05 plus another host); GPU to GPU 0.15 (Habitat reaches 11.8% with
      per-operation profiles, our per-model table is cruder); MPS to GPU 0.20 and CPU to GPU 0.25 (weak or
      indirect evidence, on top of already wide ranges); CPU to CPU 0.15. Assumptions.
    """

    cpu_speed_ratio: Range = _CPU_SPEED_RATIO
    worker_efficiency: Range = _WORKER_EFFICIENCY
    multi_gpu_efficiency: Range = _MULTI_GPU_EFFICIENCY
    cpu_thread_efficiency: Range = _CPU_THREAD_EFFICIENCY
    t4_effective_tflops: Range = _T4_EFFECTIVE_TFLOPS_RANGE
    amp_speedup: Range = _AMP_SPEEDUP
    min_step_seconds: Range = _MIN_STEP_SECONDS
    train_flops_per_forward: float = TRAIN_FLOPS_PER_FORWARD
    data_bound_wait_fraction: float = 0.05
    max_workers: int = ULTRALYTICS_WORKERS
    max_torch_threads: int = ULTRALYTICS_MAX_THREADS
    systematic_same: float = 0.10
    systematic_near: float = 0.15
    systematic_far: float = 0.20
    systematic_farthest: float = 0.25
    systematic_cpu: float = 0.15

    def systematic(self, distance: str) -> float:
        return {"same": self.systematic_same, "near": self.systematic_near, "far": self.systematic_far,
                "farthest": self.systematic_farthest, "cpu": self.systematic_cpu}[distance]


@dataclass(frozen=True)
class ScaledProfile:
    """An estimated profile on ``instance``; pass ``systematic`` to ``extrapolate.estimate_run``.

    ``bottleneck``: "data" when the loader's time per (mosaic) batch exceeds compute, "compute" when compute
    exceeds it, "balanced" when they are within 10% (GPU targets, where the loader overlaps compute).
    ``distance``: see :func:`hardware_distance`. ``notes``: every assumption that shaped the estimate.
    """

    profile: Profile
    instance: str
    basis: str  # "estimated"
    bottleneck: str  # "compute" | "data" | "balanced"
    systematic: float
    notes: tuple[str, ...] = field(default=())
    distance: str = "near"


@dataclass(frozen=True)
class NoEstimate:
    """No estimate is possible for ``instance`` from this profile; ``reason`` says why (one line)."""

    instance: str
    reason: str


# ------------------------------------------------------------------------------------------- range helpers


def _div(a: Range, b: Range) -> Range:
    """a / b for positive ranges, conservatively: low = a.low / b.high, high = a.high / b.low."""
    return Range(a.median / b.median, a.low / b.high, a.high / b.low)


def _max(a: Range, b: Range) -> Range:
    return Range(max(a.median, b.median), max(a.low, b.low), max(a.high, b.high))


#: Loader and GPU within this fraction of each other (medians) are called "balanced": either could limit.
BALANCED = 0.10


def _bottleneck(loader: float, compute: float) -> str:
    """What limits a step where the loader overlaps compute: "data", "compute", or "balanced" when the two medians
    are within :data:`BALANCED` of each other (the estimate cannot tell which limits, and speeding up one alone
    would gain little)."""
    if loader > compute * (1 + BALANCED):
        return "data"
    if compute > loader * (1 + BALANCED):
        return "compute"
    return "balanced"


def _split_step(compute: Range, data: Range) -> tuple[Range, Range]:
    """(compute part, wait part) of a step whose time is ``max(compute, data)`` (the loader overlaps compute).

    Medians are exact: compute, and ``max(0, data - compute)``. Bound by bound the parts sum to the step's
    bounds; where the wait's bounds would not bracket its median, the excess is moved into the compute part
    (so each part stays a valid Range and their sum, which ``estimate_run`` uses, is unchanged)."""
    step = _max(compute, data)
    w_med = step.median - compute.median
    w_low, c_low = step.low - compute.low, compute.low
    if w_low > w_med:
        w_low, c_low = w_med, step.low - w_med
    w_high, c_high = step.high - compute.high, compute.high
    if w_high < w_med:
        w_high, c_high = w_med, step.high - w_med
    return Range(compute.median, c_low, c_high), Range(w_med, w_low, w_high)


# ------------------------------------------------------------------------------------------- recognition


def accelerator_key(device_name: str, accelerators: dict[str, Accelerator] | None = None) -> str | None:
    """The ``accelerators.json`` key for a torch device name ("Tesla T4" -> "T4", "NVIDIA A100-SXM4-40GB" ->
    "A100-40GB", "NVIDIA H100 80GB HBM3" -> "H100"), or None when the table has no such accelerator."""
    table = accelerators if accelerators is not None else load_accelerators()
    for key, acc in table.items():
        if acc.matches(device_name):
            return key
    return None


def hardware_distance(profile: Profile, instance: Instance,
                      accelerators: dict[str, Accelerator] | None = None) -> str:
    """How far the target is from the measured device: "same" (the same CUDA accelerator), "near" (another
    CUDA GPU), "far" (MPS -> CUDA), "farthest" (CPU -> CUDA), "cpu" (CPU -> CPU), "none" (no estimate:
    MPS or CUDA -> CPU)."""
    if instance.is_gpu:
        if profile.device_type == "cuda":
            src = accelerator_key(profile.device_name, accelerators)
            return "same" if src is not None and src == instance.accelerator else "near"
        return {"mps": "far", "cpu": "farthest"}.get(profile.device_type, "none")
    return "cpu" if profile.device_type == "cpu" else "none"


def local_bottleneck(profile: Profile, data_bound_wait_fraction: float | None = None) -> str:
    """"data" or "compute" for the measured device itself (mosaic phase, medians).

    cpu and mps load data in series (workers=0): "data" when loading takes longer than compute. CUDA: with the
    loader's own time per batch (``data_load_seconds_per_batch``), "data" when it exceeds compute; without it,
    "data" when the GPU waited for data more than ``data_bound_wait_fraction`` of compute per batch (the
    scaling's own threshold, :class:`ScalingParams`: 0.05 by default)."""
    fraction = ScalingParams().data_bound_wait_fraction if data_bound_wait_fraction is None \
        else data_bound_wait_fraction
    ph = profile.mosaic
    compute = ph.compute_seconds_per_batch.median
    if profile.device_type == "cuda":
        if profile.data_load_seconds_per_batch is not None:
            return "data" if profile.data_load_seconds_per_batch.median > compute else "compute"
        return "data" if ph.data_seconds_per_batch.median > fraction * compute else "compute"
    return "data" if ph.data_seconds_per_batch.median > compute else "compute"


# ------------------------------------------------------------------------------------------- scaling


def loader_workers(vcpus: int, gpus: int, requested: int, batches: float) -> int:
    """ultralytics' worker count per GPU: ``min(cpu_count // max(gpus, 1), requested, 0 if batches <= 1 else
    batches)`` (ultralytics/data/build.py, build_dataloader)."""
    nb = math.ceil(batches)
    return max(0, min(vcpus // max(gpus, 1), requested, 0 if nb <= 1 else nb))


def ultralytics_threads(cpu_count: int, cap: int = ULTRALYTICS_MAX_THREADS) -> int:
    """``NUM_THREADS = min(8, max(1, cpu_count - 1))`` (ultralytics/utils/__init__.py)."""
    return min(cap, max(1, cpu_count - 1))


def _cuda_loader_time(wait: Range, compute: Range, measured: Range | None, fraction: float) -> tuple[Range, str]:
    """Time per batch a CUDA source's loader needed (its workers together), and how it was found."""
    if measured is not None:
        return measured, "measured loader time"
    whole = compute + wait
    threshold = fraction * compute.median
    if wait.median > threshold:
        return whole, "data-bound source: loader time = compute + wait"
    # below the threshold the loader kept up, and its time lies between the wait and compute + wait; the median
    # moves from the wait toward compute + wait as the wait nears the threshold, so that the estimate does not
    # jump when a noise-level change of the wait crosses it
    share = wait.median / threshold if threshold > 0 else 1.0
    return Range(wait.median + share * compute.median, wait.low, max(whole.high, wait.high)), \
        (f"source loader kept up (waited {share * fraction:.1%} of compute): its time lies between the wait and "
         f"compute + wait, the median {share:.0%} of the way")


def _data_terms(profile: Profile, instance: Instance, params: ScalingParams,
                notes: list[str]) -> tuple[dict[str, Range], int, int]:
    """Data term per batch on the target (train mosaic, train plain, val), and the train and val worker counts."""
    gpus = instance.accelerator_count
    per_rank_train = profile.train_images / profile.batch  # batches per rank: images and batch both split by gpus
    per_rank_val = profile.val_images / profile.val_batch
    nw = loader_workers(instance.vcpus, gpus, params.max_workers, per_rank_train)
    nw_val = loader_workers(instance.vcpus, gpus, 2 * params.max_workers, per_rank_val)
    notes.append(f"data: {nw} loader workers per GPU for training, {nw_val} for validation (ultralytics: "
                 f"min(vCPU // GPUs = {instance.vcpus // max(gpus, 1)}, workers={params.max_workers}, "
                 f"x2 for validation, batches per epoch))")

    # serial cost per batch on the source, in seconds of one process
    costs: dict[str, Range] = {}
    efficiency: Range
    if profile.device_type in {"cpu", "mps"} or profile.workers == 0:
        costs = {"mosaic": profile.mosaic.data_seconds_per_batch, "plain": profile.plain.data_seconds_per_batch,
                 "val": profile.val_data_seconds_per_batch}
        efficiency = params.worker_efficiency
        notes.append(f"data: the source loaded in series (workers=0 on {profile.device_type}), so its data wait is "
                     f"the whole loading cost; on the instance a "
                     f"worker does {params.worker_efficiency.median:g} ({params.worker_efficiency.low:g}-"
                     f"{params.worker_efficiency.high:g}) of a source core's work")
    else:
        src_workers = max(profile.workers, 1)
        # the source's validation loader as the record says (a probe validates a subset of a few batches, so its
        # loader had fewer workers than the full set's would), else by the rule the target's follows (2 x workers,
        # capped by vCPUs and the full set's batches: records before 2026-12-08)
        src_val_workers = max(profile.val_workers if profile.val_workers is not None else
                              loader_workers(profile.host_cpus, 1, 2 * profile.workers, per_rank_val), 1)
        for key, phase_wait, phase_compute, measured, n in (
            ("mosaic", profile.mosaic.data_seconds_per_batch, profile.mosaic.compute_seconds_per_batch,
             profile.data_load_seconds_per_batch, src_workers),
            ("plain", profile.plain.data_seconds_per_batch, profile.plain.compute_seconds_per_batch,
             profile.data_load_seconds_per_batch, src_workers),
            ("val", profile.val_data_seconds_per_batch, profile.val_compute_seconds_per_batch, None, src_val_workers),
        ):
            if key == "val" and profile.val_workers == 0:  # a one-batch set: that loader ran in series
                costs[key] = phase_wait
                notes.append("data (val): the source's validation loader had no workers, so its wait is the whole "
                             "loading cost")
                continue
            t, how = _cuda_loader_time(phase_wait, phase_compute, measured, params.data_bound_wait_fraction)
            costs[key] = t.scale(n)
            if key != "plain":
                notes.append(f"data ({key}): {how}, x {n} source workers")
        if profile.data_load_seconds_per_batch is not None:
            notes.append("data: one measured loader time serves both phases (conservative after close_mosaic)")
        efficiency = Range.exact(1.0)  # worker efficiency taken equal on source and target: it cancels

    terms: dict[str, Range] = {}
    for key, cost in costs.items():
        workers = nw_val if key == "val" else nw
        scaled = cost * params.cpu_speed_ratio
        # each of the ``gpus`` ranks loads batch / gpus images: with workers, ``workers`` processes per rank
        terms[key] = scaled.scale(1 / gpus) if workers == 0 else _div(scaled, efficiency.scale(workers * gpus))
    return terms, nw, nw_val


def _cuda_compute(profile: Profile, target: Accelerator, accelerators: dict[str, Accelerator],
                  params: ScalingParams, notes: list[str]) -> dict[str, Range] | str:
    """Compute per batch on one target GPU holding the whole batch (train mosaic, plain, val), or why not."""
    train_m = profile.mosaic.compute_seconds_per_batch
    train_p = profile.plain.compute_seconds_per_batch
    val = profile.val_compute_seconds_per_batch
    if profile.device_type == "cuda":
        src = accelerator_key(profile.device_name, accelerators)
        if src is None or accelerators[src].kind != "cuda":
            return (f"the measured GPU {profile.device_name!r} is not in accelerators.json; known: "
                    f"{', '.join(k for k, a in accelerators.items() if a.kind == 'cuda')}")
        if src == target.key:
            factor = Range.exact(1.0)
            notes.append(f"compute: same accelerator ({src}), unchanged")
        else:
            factor = _div(accelerators[src].t4_amp_ratio, target.t4_amp_ratio)
            notes.append(f"compute: x {factor.median:.3g} ({factor.low:.3g}-{factor.high:.3g}) = {src} / "
                         f"{target.key} in T4-AMP units ({accelerators[src].t4_amp_ratio.median:g} / "
                         f"{target.t4_amp_ratio.median:g}, bench/data/reference/gpu-throughput.md)")
        if profile.precision != "amp":
            factor = _div(factor, params.amp_speedup)
            notes.append(f"compute: the source trained in {profile.precision}; the target uses AMP: / "
                         f"{params.amp_speedup.median:g} ({params.amp_speedup.low:g}-{params.amp_speedup.high:g}), "
                         f"an assumption")
        return {"mosaic": train_m * factor, "plain": train_p * factor, "val": val * factor}
    if profile.device_type == "mps":
        mps = next((a for a in accelerators.values() if a.kind == "mps"), None)
        if mps is None:
            return "accelerators.json has no MPS row"
        factor = _div(mps.t4_amp_ratio, target.t4_amp_ratio)
        notes.append(f"compute: MPS (FP32) -> {target.key} (AMP) x {factor.median:.3g} ({factor.low:.3g}-"
                     f"{factor.high:.3g}): Apple via MPS is about {mps.t4_amp_ratio.low:g}-{mps.t4_amp_ratio.high:g}"
                     f" x T4, weak evidence (bench/data/reference/gpu-throughput.md)")
        return {"mosaic": train_m * factor, "plain": train_p * factor, "val": val * factor}
    if profile.device_type == "cpu":
        if profile.gflops is None or profile.gflops <= 0:
            return ("CPU -> GPU needs the model's GFLOPs (the FLOPs anchor); the profile has none. Measure on a GPU, "
                    "or record gflops")
        rate_gflops = params.t4_effective_tflops.scale(1000.0)
        t4_per_image_train = _div(Range.exact(params.train_flops_per_forward * profile.gflops), rate_gflops)
        t4_per_image_val = _div(Range.exact(profile.gflops), rate_gflops)
        train = _div(t4_per_image_train.scale(profile.batch), target.t4_amp_ratio)
        val_c = _div(t4_per_image_val.scale(profile.val_batch), target.t4_amp_ratio)
        eff = params.t4_effective_tflops
        notes.append(f"compute: CPU source, measured compute not used (no CPU-to-GPU factor exists); FLOPs anchor "
                     f"{params.train_flops_per_forward:g} x {profile.gflops:g} GFLOPs x {profile.batch} images / "
                     f"T4 {eff.median:.2f} ({eff.low:.2f}-{eff.high:.2f}) effective TFLOPS, then / "
                     f"{target.t4_amp_ratio.median:g} ({target.t4_amp_ratio.low:g}-{target.t4_amp_ratio.high:g}) "
                     f"for {target.key} against a T4; largest uncertainty")
        return {"mosaic": train, "plain": train, "val": val_c}
    return f"unknown device type {profile.device_type!r}"


def _with_fixed(profile: Profile, ratio: Range, device_factor: float | None = None) -> Profile:
    """CPU-side fixed costs scaled by the per-core speed ratio (Ranges conservatively; floats by the median).
    ``device_factor``: the target's compute per batch over the source's, for the warm-up's device part (the first
    batches' compute above the steady state); None keeps it with the CPU-side work."""
    device = profile.warmup_device_seconds
    host = (profile.warmup_excess_seconds - device) * ratio.median
    device_after = device * (ratio.median if device_factor is None else device_factor)
    return replace(profile, val_fixed_seconds=profile.val_fixed_seconds * ratio,
                   epoch_fixed_seconds=profile.epoch_fixed_seconds * ratio,
                   setup_seconds=profile.setup_seconds * ratio.median,
                   warmup_excess_seconds=host + device_after, warmup_device_seconds=device_after,
                   final_fixed_seconds=profile.final_fixed_seconds * ratio.median)


def _scale_to_cuda(profile: Profile, instance: Instance, accelerators: dict[str, Accelerator],
                   params: ScalingParams, distance: str) -> ScaledProfile | NoEstimate:
    assert instance.accelerator is not None
    target = accelerators.get(instance.accelerator)
    if target is None:
        return NoEstimate(instance.name, f"accelerator {instance.accelerator!r} of {instance.name} is not in "
                                         f"accelerators.json")
    notes: list[str] = []
    compute = _cuda_compute(profile, target, accelerators, params, notes)
    if isinstance(compute, str):
        return NoEstimate(instance.name, compute)
    gpus = instance.accelerator_count
    if gpus > 1:
        eff = params.multi_gpu_efficiency
        per_step = eff.scale(gpus)
        compute = {k: _div(v, per_step) for k, v in compute.items()}
        notes.append(f"compute: DDP on {gpus} GPUs, {profile.batch / gpus:g} images per GPU per batch, efficiency "
                     f"{eff.median:g} ({eff.low:g}-{eff.high:g}); validation split across GPUs too")
    floor = params.min_step_seconds
    for key in ("mosaic", "plain"):
        if compute[key].median < floor.median:
            notes.append(f"compute ({key}): {compute[key].median * 1000:.1f} ms per step is below the per-step floor "
                         f"of {floor.median * 1000:g} ms ({floor.low * 1000:g}-{floor.high * 1000:g}, kernel launch "
                         f"and Python overhead, an assumption): the floor is used")
        compute[key] = _max(compute[key], floor)
    data, nw, nw_val = _data_terms(profile, instance, params, notes)

    def phase(key: str, source: Phase) -> Phase:
        c, w = _split_step(compute[key], data[key]) if nw else (compute[key], data[key])
        return Phase(data_seconds_per_batch=w, compute_seconds_per_batch=c, batches_observed=source.batches_observed)

    if nw_val:
        val_c, val_w = _split_step(compute["val"], data["val"])
    else:
        val_c, val_w = compute["val"], data["val"]
    bottleneck = _bottleneck(data["mosaic"].median, compute["mosaic"].median)
    r = params.cpu_speed_ratio
    notes.append(f"CPU-side work (setup, warm-up, epoch and validation fixed costs) kept from the source x per-core "
                 f"speed ratio {r.median:g} ({r.low:g}-{r.high:g})")
    src_compute = profile.mosaic.compute_seconds_per_batch.median
    device_factor = compute["mosaic"].median / src_compute if src_compute > 0 else 1.0
    if profile.warmup_device_seconds > 0:
        notes.append(f"warm-up: the first batches' compute above the steady state "
                     f"({profile.warmup_device_seconds:.3g} s measured) x {device_factor:.3g}, as the compute "
                     f"scales (the target's own one-offs, CUDA context and kernel loading, are not measured)")
    target_profile = replace(
        _with_fixed(profile, r, device_factor),
        device_type="cuda",
        device_name=f"{target.key} x{gpus} ({instance.name}, estimated)",
        precision="amp",
        workers=nw,
        host_cpus=instance.vcpus,
        mosaic=phase("mosaic", profile.mosaic),
        plain=phase("plain", profile.plain),
        val_data_seconds_per_batch=val_w,
        val_compute_seconds_per_batch=val_c,
        data_load_seconds_per_batch=data["mosaic"],
        torch_threads=0,
        notes=tuple(notes),
    )
    return ScaledProfile(target_profile, instance.name, "estimated", bottleneck, params.systematic(distance),
                         tuple(notes), distance)


def _thread_factor(threads_source: int, threads_target: int, efficiency: Range) -> Range:
    """Time multiplier from ``threads_source`` to ``threads_target`` torch threads, parallelism ``1 + (n-1) e``."""
    def ratio(e: float) -> float:
        return (1 + (threads_source - 1) * e) / (1 + (threads_target - 1) * e)

    values = [ratio(efficiency.low), ratio(efficiency.median), ratio(efficiency.high)]
    return Range(values[1], min(values), max(values))


def _scale_to_cpu(profile: Profile, instance: Instance, params: ScalingParams) -> ScaledProfile:
    notes: list[str] = []
    threads_t = ultralytics_threads(instance.vcpus, params.max_torch_threads)
    threads_s = profile.torch_threads
    if threads_s <= 0:
        threads_s = ultralytics_threads(profile.host_cpus, params.max_torch_threads)
        notes.append(f"compute: source torch threads unknown; assumed ultralytics' default {threads_s}")
    threads = _thread_factor(threads_s, threads_t, params.cpu_thread_efficiency)
    r = params.cpu_speed_ratio
    factor = threads * r
    e = params.cpu_thread_efficiency
    notes.append(f"compute: {threads_s} -> {threads_t} torch threads (min(8, vCPU - 1)), each extra thread worth "
                 f"{e.median:g} ({e.low:g}-{e.high:g}) of a core, per-core speed ratio {r.median:g} "
                 f"({r.low:g}-{r.high:g}): x {factor.median:.3g} ({factor.low:.3g}-{factor.high:.3g})")
    notes.append("data: loaded in series in the training process (workers=0 on cpu), x per-core speed ratio")

    def phase(src: Phase) -> Phase:
        return Phase(src.data_seconds_per_batch * r, src.compute_seconds_per_batch * factor, src.batches_observed)

    mosaic = phase(profile.mosaic)
    target_profile = replace(
        _with_fixed(profile, r, factor.median),  # the warm-up's compute part moves with the threads too
        device_type="cpu",
        device_name=f"{instance.name} ({instance.vcpus} vCPU, estimated)",
        precision="fp32",
        workers=0,
        host_cpus=instance.vcpus,
        mosaic=mosaic,
        plain=phase(profile.plain),
        val_data_seconds_per_batch=profile.val_data_seconds_per_batch * r,
        val_compute_seconds_per_batch=profile.val_compute_seconds_per_batch * factor,
        data_load_seconds_per_batch=None,
        torch_threads=threads_t,
        notes=tuple(notes),
    )
    bottleneck = "data" if mosaic.data_seconds_per_batch.median > mosaic.compute_seconds_per_batch.median \
        else "compute"
    return ScaledProfile(target_profile, instance.name, "estimated", bottleneck, params.systematic("cpu"),
                         tuple(notes), "cpu")


def scale_profile(profile: Profile, instance: Instance, accelerators: dict[str, Accelerator],
                  params: ScalingParams = ScalingParams()) -> ScaledProfile | NoEstimate:
    """The estimated profile of ``profile``'s workload on ``instance`` (see the module docstring for the model),
    or :class:`NoEstimate` with the reason when none is possible (an MPS or CUDA source for a CPU-only target,
    a CPU source without GFLOPs for a GPU target, an accelerator missing from the table)."""
    distance = hardware_distance(profile, instance, accelerators)
    if distance == "none":
        if not instance.is_gpu:
            return NoEstimate(instance.name, f"no estimate for the CPU-only {instance.name} from a "
                                             f"{profile.device_type} measurement: CPU targets are extrapolated from "
                                             f"CPU measurements only (run the probe with device=cpu)")
        return NoEstimate(instance.name, f"unknown device type {profile.device_type!r}")
    if instance.is_gpu:
        return _scale_to_cuda(profile, instance, accelerators, params, distance)
    return _scale_to_cpu(profile, instance, params)
