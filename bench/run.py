"""`bench run`: check the input, prepare the dataset, train (probe or full), derive, estimate, write the record.

Everything the user can get wrong is checked before anything is written: numbers and names first, then the
device (which needs torch), then the dataset. Only then is a run directory created.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from bench import extrapolate, fingerprint, load, record, timeline
from bench.dataset import DatasetInfo, SyntheticSpec, cache_warning, ensure_synthetic, load_dataset, user_path
from bench.errors import Interrupted, RunFailed, UsageError, deferred_signals
from bench.stats import Range, pct

MODELS = ("yolov8n", "yolov8s", "yolov8m", "yolov8l", "yolov8x")
CACHE_CHOICES = ("false", "ram", "disk")
#: Default probe budget (seconds of training, setup included). Enough for a minimal sample on a slow 2-core CPU;
#: on a laptop GPU it buys dozens of batches per phase.
DEFAULT_BUDGET = 90.0

#: Largest --imgsz accepted: far above what YOLOv8 is trained at (640; 1280 for small objects).
MAX_IMGSZ = 8192


@dataclass(frozen=True)
class RunOptions:
    device: str = "auto"
    model: str = "yolov8n"
    imgsz: int = 640
    batch: int = 16
    workers: int = 8
    cache: str = "false"
    amp: bool = True
    epochs: int = extrapolate.DEFAULT_EPOCHS
    close_mosaic: int = extrapolate.DEFAULT_CLOSE_MOSAIC
    budget: float = DEFAULT_BUDGET
    full: bool = False
    data: Path | None = None
    synthetic: SyntheticSpec = field(default_factory=SyntheticSpec)
    results: Path = Path("results")
    datasets: Path = Path("datasets")
    seed: int = 0
    resume: str | None = None
    #: the results directory whose validation/ holds this machine's `bench validate` records, which set the
    #: margin (default: ``results``); `bench validate` points its probes, whose records live elsewhere, at its own
    margin_from: Path | None = None
    #: the flags the user gave (``--epochs``, ...): ``--resume`` refuses any that differ from the run's own settings
    given: frozenset[str] = frozenset()


def check_options(o: RunOptions) -> None:
    """Reject impossible values before any work, each with one line naming the flag and what is allowed."""
    model = o.model.removesuffix(".yaml")
    if model not in MODELS:
        raise UsageError(f"--model {o.model}: unknown model; use one of {', '.join(MODELS)}")
    for flag, value in (("--imgsz", o.imgsz), ("--batch", o.batch), ("--epochs", o.epochs)):
        if value < 1:
            raise UsageError(f"{flag} {value}: must be a positive integer")
    if o.imgsz > MAX_IMGSZ:
        raise UsageError(f"--imgsz {o.imgsz}: at most {MAX_IMGSZ} pixels (YOLOv8 trains at 640, at times 1280)")
    if o.imgsz % 32:
        raise UsageError(f"--imgsz {o.imgsz}: must be a multiple of 32 (the model's largest stride), e.g. "
                         f"{max(32, round(o.imgsz / 32) * 32)}")
    if o.workers < 0:
        raise UsageError(f"--workers {o.workers}: must be 0 or more")
    if o.close_mosaic < 0:
        raise UsageError(f"--close-mosaic {o.close_mosaic}: must be 0 or more")
    if not (o.budget > 0 and math.isfinite(o.budget)):
        raise UsageError(f"--budget {o.budget}: must be a positive, finite number of seconds")
    if not 0 <= o.seed <= 2**32 - 1:
        raise UsageError(f"--seed {o.seed}: must be between 0 and {2**32 - 1} (numpy's seed range)")
    if o.cache not in CACHE_CHOICES:
        raise UsageError(f"--cache {o.cache}: use one of {', '.join(CACHE_CHOICES)}")
    if o.data is not None and o.data.is_dir():
        raise UsageError(f"--data {o.data}: a folder; give the path of the YOLO data.yaml file in it")
    if o.data is not None and not o.data.exists():
        raise UsageError(f"--data {o.data}: no such file; give the path of a YOLO data.yaml")
    if o.data is not None and not o.data.is_file():
        raise UsageError(f"--data {o.data}: not a regular file (a device or a pipe); give the path of a YOLO data.yaml")
    check_writable(o.results, "--results")


def check_writable(path: Path, flag: str) -> None:
    """``path`` is, or can be created as, a directory we may write in (checked before any work is done)."""
    p = path = user_path(path, flag)
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir():
        raise UsageError(f"{flag} {path}: {p} is not a directory; give a directory path")
    if not os.access(p, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: {p} is not writable; give a directory you can write to")
    try:  # permissions are not all (root passes os.access everywhere; /proc, a read-only mount): try for real
        with tempfile.TemporaryFile(dir=p):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path}: cannot write in {p} ({e.strerror or e}); give a directory you can "
                         "write to") from None


def prepare_dataset(o: RunOptions, log: Callable[[str], None]) -> DatasetInfo:
    if o.data is not None:
        return load_dataset(o.data)
    spec = o.synthetic
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] > 2.0:
            last[0] = now
            log(f"generating synthetic dataset {spec.key()}: {done}/{total} images")

    t = time.monotonic()
    info = ensure_synthetic(spec, o.datasets, progress=progress)
    if time.monotonic() - t > 1:
        log(f"dataset ready in {time.monotonic() - t:.0f}s: {info.root}")
    return info


def train_config(o: RunOptions) -> Any:
    """The :class:`bench.probe.TrainConfig` of ``o`` (imports torch)."""
    from bench import probe

    return probe.TrainConfig(model=o.model.removesuffix(".yaml"), imgsz=o.imgsz, batch=o.batch, workers=o.workers,
                             cache=False if o.cache == "false" else o.cache, amp=o.amp, epochs=o.epochs,
                             close_mosaic=o.close_mosaic, seed=o.seed)


def execute(o: RunOptions, log: Callable[[str], None] = lambda s: print(s, file=sys.stderr)
            ) -> tuple[dict[str, Any], Path]:
    """Run the whole `bench run` and return (record, path written). Raises UsageError for bad input."""
    check_options(o)
    with contextlib.ExitStack() as held:
        prev = None
        if o.resume:
            prev, o = resumable(o, held)
        return _execute(o, prev, log)


def _execute(o: RunOptions, prev: dict[str, Any] | None, log: Callable[[str], None]) -> tuple[dict[str, Any], Path]:
    from bench import probe  # imports torch: only now

    device = probe.resolve_device(o.device)
    if o.data is None:  # only a generated dataset is written there
        check_writable(o.datasets, "--datasets")
    info = prepare_dataset(o, log)
    if not o.full and (cw := cache_warning(info, o.imgsz, o.cache)) is not None:
        info = replace(info, warnings=(*info.warnings, cw))
    for w in info.warnings:
        log(f"warning: {w}")
    kind = "full" if o.full else "probe"
    run_id = record.new_run_id(device.type, kind)
    results = o.results.resolve()
    save_dir = results / "runs" / run_id if prev is None else Path(prev["measurements"]["save_dir"])
    created = record.utc_now()
    cfg = train_config(o)
    if prev is not None:
        data_yaml = save_dir / "data" / "data.yaml"
    elif o.full:
        data_yaml = probe.build_mirror(info, save_dir / "data")  # all of it, so that its caches stay out of it
    else:
        data_yaml = probe.build_mirror(info, save_dir / "data", train_n=o.batch * probe.MIRROR_TRAIN_BATCHES,
                                       val_n=o.batch * 2 * probe.MIRROR_VAL_BATCHES)
    log(f"{kind} run {run_id} on {device.name} ({device.type})"
        + (f", budget {o.budget:.0f}s" if not o.full else f", {o.epochs} epochs"))
    res = probe.run_training(device=device, config=cfg, data_yaml=data_yaml, save_dir=save_dir,
                             probe_budget_seconds=None if o.full else o.budget,
                             config_dir=results / "runs" / ".config", log=log,
                             resume=save_dir / "weights" / "last.pt" if prev is not None else None,
                             full_train_images=len(info.train_images))
    import torch

    path = None
    try:
        with deferred_signals():  # a second Ctrl-C must not cut the record in half
            rec = assemble(o, device_type=device.type, device_name=device.name, run_id=run_id, created=created,
                           info=info, res=res, fp=fingerprint.collect(torch), kind=kind, prev=prev)
            if not o.full:
                with contextlib.suppress(OSError):
                    shutil.rmtree(save_dir / "weights")  # a probe's random-init weights are of no use to anyone
            # a probe is never resumed; an interrupted full run that may be resumed still reads them
            if o.cache == "disk" and (kind == "probe" or rec["status"] != "interrupted"):
                remove_disk_cache(save_dir / "data")
            path = record.write_record(results, rec)
    except (KeyboardInterrupt, Interrupted) as e:  # a stop held while the record was written: say where it is
        if path is not None:
            e.record = (path, rec["status"])  # type: ignore[union-attr]
        raise
    return rec, path


def remove_disk_cache(mirror: Path) -> int:
    """Remove what ``--cache disk`` left in a run's dataset mirror: ultralytics writes each image it decodes as
    ``<image>.npy`` beside it, here beside the mirror's links (a decoded copy of every image trained on, 350 MB
    for a default probe's 384 images), which no later run reads: each run mirrors anew. Returns the bytes freed."""
    freed = 0
    for p in mirror.rglob("*.npy"):  # the mirror's folders are real ones (its links are to files)
        with contextlib.suppress(OSError):
            size = p.lstat().st_size
            p.unlink()
            freed += size
    return freed


def checkpoint_whole(path: Path) -> bool:
    """Is ``path`` a whole torch checkpoint? torch saves a zip archive: a cut-off file has no central directory,
    and a damaged one fails a member's CRC (reads the file once; no torch needed)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as z:
            return z.testzip() is None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False


def resumable(o: RunOptions, held: contextlib.ExitStack) -> tuple[dict[str, Any], RunOptions]:
    """The interrupted full run that ``--resume`` names, and the options to finish it with (its own config). Its
    folder is claimed for this process in ``held`` (:func:`claimed`) before its checkpoint is read, so that a
    second ``--resume`` of it says another process has it, not that a checkpoint being saved is damaged."""
    assert o.resume is not None
    asked = o
    prev = record.find_record(o.results, o.resume, "--resume")
    if prev.get("kind") != "full" or prev.get("status") != "interrupted":
        raise UsageError(f"--resume {o.resume}: that record is a {prev.get('kind')} run with status "
                         f"'{prev.get('status')}'; only an interrupted --full run can be resumed")
    part = "measurements.save_dir"
    try:  # everything the finished run will read of it, so that a damaged record cannot cost the training
        save_dir = Path(prev["measurements"]["save_dir"])
        part, c = "config", prev["config"]
        if not isinstance(c["amp_requested"], bool):  # bool("false") is True
            raise ValueError(f"amp_requested {c['amp_requested']!r} is not true or false")
        o = replace(o, model=str(c["model"]), imgsz=int(c["imgsz"]), batch=int(c["batch"]),
                    epochs=int(c["epochs"]), close_mosaic=int(c["close_mosaic"]), amp=c["amp_requested"],
                    cache=str(c["cache"]), seed=int(c["seed"]), full=True, data=Path(c["dataset"]["yaml_path"]),
                    workers=int(c["workers_requested"]))
        check_options(replace(o, data=None))  # its values as the flags would be checked (the dataset: below)
        part = "measurements.events"
        timeline.parse(prev["measurements"]["events"])
        part = "measurements.wall_seconds"
        if not 0 <= _wall_total(prev, 0.0) < math.inf:
            raise ValueError("not a number of seconds")
    except (LookupError, TypeError, ValueError, ArithmeticError, AttributeError, UsageError) as e:
        raise UsageError(f"--resume {prev.get('run_id')}: the record is damaged (its {part} is missing or wrong: "
                         f"{e}) and cannot be resumed; start the run again") from None
    runs = o.results.resolve() / "runs"
    if not save_dir.resolve().is_relative_to(runs):  # the run trains there and cleans it up: never elsewhere
        raise UsageError(f"--resume {prev['run_id']}: its training folder {save_dir} is not under {runs} (the results "
                         "folder was moved, or the record edited); resume it with the --results it was made in")
    held.enter_context(claimed(save_dir, str(prev["run_id"])))
    later = [r for r in record.load_records(o.results).records if r.get("resumed_from") == prev["run_id"]]
    if later:
        r = later[-1]
        raise UsageError(f"--resume {prev['run_id']}: that run was resumed already, as {r['run_id']} (status "
                         f"{r['status']}); " + (f"resume that one: --resume {r['run_id']}" if r["status"] ==
                                                "interrupted" else "its record is the run's result"))
    # the run goes on with its own settings: a flag that asks for another one would be silently ignored. The
    # device and the dataloader workers may change (ultralytics takes both anew on resume: other hardware)
    if "--workers" in asked.given:
        o = replace(o, workers=asked.workers)
    differ = [f"{flag} {getattr(asked, name)} (the run's: {getattr(o, name)})"
              for flag, name in (("--model", "model"), ("--imgsz", "imgsz"), ("--batch", "batch"),
                                 ("--epochs", "epochs"), ("--close-mosaic", "close_mosaic"), ("--cache", "cache"),
                                 ("--seed", "seed"), ("--data", "data"))
              if flag in asked.given and not _same(getattr(asked, name), getattr(o, name))]
    if "--amp" in asked.given and asked.amp != o.amp:
        differ.append(f"{'--amp' if asked.amp else '--no-amp'} (the run's: {'--amp' if o.amp else '--no-amp'})")
    syn = ((prev.get("config") or {}).get("dataset") or {}).get("synthetic")
    spec: dict[str, Any] = syn["spec"] if isinstance(syn, dict) and isinstance(syn.get("spec"), dict) else {}
    a = asked.synthetic
    mine = {"--train-images": a.train, "--val-images": a.val, "--test-images": a.test, "--classes": a.classes,
            "--image-size": f"{a.width}x{a.height}"}
    theirs = {"--train-images": spec.get("train"), "--val-images": spec.get("val"), "--test-images": spec.get("test"),
              "--classes": spec.get("classes"), "--image-size": f"{spec.get('width')}x{spec.get('height')}"}
    differ += [f"{flag} {mine[flag]} (the run's: {theirs[flag] if spec else 'its own --data'})"
               for flag in mine if flag in asked.given and (not spec or mine[flag] != theirs[flag])]
    if differ:
        raise UsageError(f"--resume {prev.get('run_id')} finishes the run with the settings in its record (only "
                         f"--device and --workers may change): leave out {', '.join(differ)}")
    if o.data is not None and not o.data.is_file():
        raise UsageError(f"--resume {prev.get('run_id')}: the run's dataset {o.data} is gone (moved or deleted); "
                         "put it back there to finish the run, or start it again")
    last = save_dir / "weights" / "last.pt"
    if not last.exists():
        raise UsageError(f"--resume {o.resume}: no checkpoint at {last}: the run stopped before its first epoch "
                         f"ended (ultralytics saves last.pt after each epoch); start it again")
    if not checkpoint_whole(last):
        raise UsageError(f"--resume {o.resume}: the checkpoint {last} is cut off or damaged (a kill while "
                         "ultralytics saved it, or a full disk); start the run again")
    return prev, o


@contextlib.contextmanager
def claimed(save_dir: Path, run_id: str) -> Iterator[None]:
    """Hold the interrupted run's folder for this process (``fcntl.flock`` on the folder, released when the
    process ends, however it ends): two ``--resume`` of one run at once would train into the same checkpoint. No
    lock where the platform or the file system has none."""
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(record.locked(save_dir, wait=False))
        except BlockingIOError:
            raise UsageError(f"--resume {run_id}: another bench process is resuming that run now; wait for it to "
                             "end") from None
        yield


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Path) and isinstance(b, Path):
        return a.expanduser().resolve() == b.expanduser().resolve()
    return bool(a == b)


def _wall_total(prev: dict[str, Any] | None, wall: float) -> float:
    """Training wall time of a full run over all its processes: ``wall`` plus the interrupted run it resumes, whose
    own total covers the runs before it (a record before 2026-12-08 has only its own ``wall_seconds``)."""
    if prev is None:
        return wall
    m = prev["measurements"]
    return float(m.get("wall_seconds_total", m["wall_seconds"])) + wall


def interruption_cost(prev: dict[str, Any], res: Any, derived: Any) -> dict[str, Any]:
    """What the interruption cost: the work lost since the last checkpoint, and the restart (process start,
    checkpoint load, setup, warm-up) until training ran at full speed again. The spot cost model uses it."""
    tl_prev = timeline.parse(prev["measurements"]["events"])
    # the checkpoint ultralytics resumed from holds epochs [0, start_epoch): the work after it was lost. A kill can
    # land between the checkpoint's save and the epoch's last callback, so go by the checkpoint, not the callbacks.
    before = res.start_epoch
    saved = [e for e in tl_prev.epochs if e.index == before - 1]
    last_ckpt = 0.0
    if saved:
        e = saved[0]
        last_ckpt = e.fit_end if e.fit_end is not None else max([e.train_end or e.start, *(v.end for v in e.vals)])
    lost = max(0.0, float(prev["measurements"]["wall_seconds"]) - last_ckpt)
    tl = timeline.parse(res.events)
    setup = tl.epochs[0].start if tl.epochs else tl.setup_end
    # the one-offs of the restarted training, but not its full garbage collections: any run has those
    warm = max(0.0, derived.profile.warmup_excess_seconds - derived.gc_one_off_seconds) if derived is not None else 0.0
    startup = res.startup_seconds or 0.0
    return {
        "interrupted_run_id": prev["run_id"],
        "signal": (prev.get("interruption") or {}).get("signal"),
        "epochs_before": before,
        "lost_seconds": lost,
        "restart_seconds": startup + setup + warm,
        "startup_seconds": startup,
        "setup_seconds": setup,
        "warmup_seconds": warm,
        "note": "lost = work after the last checkpoint (last.pt is saved every epoch); restart = process start, "
                "imports and checkpoint load, trainer setup, warm-up. A cloud restart adds instance start and data "
                "download (bench.cost's job_start_seconds and download time).",
    }


#: How many left-out image paths a record keeps per split, and a warning names.
LEFT_OUT_KEPT, LEFT_OUT_NAMED = 100, 3


def left_out(info: DatasetInfo, mirrored: tuple[int, int] | None, loaded: tuple[int, int] | None, kind: str,
             files: dict[str, list[str]] | None = None) -> tuple[dict[str, Any] | None, str | None]:
    """What ultralytics left out of the dataset as corrupt (probe.mirror_split), for the record (the images left
    out of each split, estimated for the whole split where the run read part of it, and the files it named), and
    the warning that says so; (None, None) when it kept every image."""
    from bench.probe import usable

    if mirrored is None or loaded is None:
        return None, None
    found = (len(info.train_images), len(info.val_images))
    splits = list(zip(("train", "val"), found, mirrored, loaded, strict=True))
    use = tuple(usable(f, m, n) for _, f, m, n in splits)
    if use == found:
        return None, None
    files = files or {}
    run = "probe" if kind == "probe" else "run"
    parts = []
    for split, f, m, n in splits:
        if n >= m:
            continue
        if m >= f:
            parts.append(f"{m - n} of the {f} {split} images (so {split} uses {n})")
        else:  # a sample of the split: the same share of the rest, give or take the sample's error
            parts.append(f"{m - n} of the {m} {split} images this {run} read (so {split} uses an estimated "
                         f"{usable(f, m, n)}{_sampling_error(f, m, n)} of {f}, the same share)")
    named = [f for split in ("train", "val") for f in files.get(split, [])]
    more = len(named) - LEFT_OUT_NAMED
    which = (": " + ", ".join(named[:LEFT_OUT_NAMED]) + (f" and {more} more (in the record)" if more > 0 else "")
             if named else "")
    rec = {"train_images": found[0] - use[0], "val_images": found[1] - use[1],
           "seen": {"train": [loaded[0], mirrored[0]], "val": [loaded[1], mirrored[1]]},
           "files": {split: files.get(split, [])[:LEFT_OUT_KEPT] for split in ("train", "val")}}
    return rec, (f"ultralytics left out {' and '.join(parts)} as corrupt (an image it cannot read or restore, "
                 f"smaller than 10 px or of a format it does not take, or a malformed label){which}; the estimate "
                 f"counts only the images it uses")


def _sampling_error(found: int, read: int, kept: int) -> str:
    """" ± 8" for a split's usable images estimated from ``kept`` of ``read`` sampled images: one standard error
    of the sampled share (binomial, finite population); "" when the whole split was read or nothing was left out."""
    if read >= found or read <= 0 or kept >= read:
        return ""
    share = kept / read
    se = found * math.sqrt(share * (1 - share) / read * (found - read) / max(1, found - 1))
    return f" ± {se:.0f}"


def assemble(o: RunOptions, *, device_type: str, device_name: str, run_id: str, created: str, info: DatasetInfo,
             res: Any, fp: dict[str, Any], kind: str, prev: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of one run (see bench.record for the schema)."""
    from bench import probe

    warnings: list[str] = list(info.warnings)
    dropped, dropped_warning = left_out(info, getattr(res, "mirrored_images", None),
                                        getattr(res, "loaded_images", None), kind,
                                        getattr(res, "left_out_images", None))
    if dropped_warning:
        warnings.append(dropped_warning)
    n_train = len(info.train_images) - (dropped["train_images"] if dropped else 0)
    n_val = len(info.val_images) - (dropped["val_images"] if dropped else 0)
    invalid = probe.check_losses(res.losses)
    if res.error:
        invalid = invalid or f"training failed: {res.error}"
    status = "interrupted" if res.interrupted is not None else ("invalid" if invalid else "complete")
    w = timeline.Workload(
        device_type=device_type, device_name=device_name, precision="amp" if res.amp_used else "fp32",
        model=o.model.removesuffix(".yaml"), imgsz=o.imgsz, batch=o.batch, val_batch=res.val_batch,
        workers=res.workers_used, host_cpus=int(fp.get("cpu_logical") or 0), torch_threads=res.torch_threads,
        gflops=res.gflops, plain_from_epoch=res.plain_from_epoch,
        # a probe draws 2 of the full run's training-sample plots and extrapolates the rest; a full run measures all
        full_run_plots=(3 if (o.close_mosaic == 0 or o.close_mosaic >= o.epochs) else 6) if kind == "probe" else 0,
        full_train_images=n_train, full_val_images=n_val, full_epochs=o.epochs,
        val_workers=getattr(res, "val_workers_used", None),
    )
    derived = None
    try:
        derived = timeline.derive(res.events, w, res.image_decodes, res.optimizer_steps, res.gc_pauses,
                                  res.clear_memory)
        warnings.extend(derived.warnings)
    except ValueError as e:
        warnings.append(f"nothing to estimate from: {e}")
    if res.error_detail:
        warnings.append(res.error_detail)
    cpu = load.summarize(res.cpu_load)
    if cpu and (busy := load.warning(cpu["whole"], "the probe" if kind == "probe" else "the run")):
        warnings.append(busy)
    if device_type == "mps" and fp.get("mps_fallback") not in (None, "", "0"):
        warnings.append("PYTORCH_ENABLE_MPS_FALLBACK is set: any operator MPS lacks runs on the CPU instead of "
                        "failing, so these times may not be MPS alone (torch printed 'will fall back to run on the "
                        "CPU' above if one did); unset it to see whether the training needs it")
    estimate, margin_note = None, None
    if derived is not None:
        from bench.validate import margin_for

        margin, margin_note = margin_for(o.margin_from or o.results, fp.get("machine_id"), device_type,
                                         extrapolate.SAME_DEVICE_SYSTEMATIC)
        estimate = extrapolate.estimate_run(derived.profile, o.epochs, o.close_mosaic, systematic=margin)
    tl = timeline.parse(res.events)
    per_epoch: Range | None = estimate.seconds_per_epoch if estimate else None
    full_run: Range | None = estimate.full_run_seconds if estimate else None
    if kind == "full" and status == "complete" and tl.end is not None:
        epochs_s = tl.epoch_seconds()
        full_run = Range.exact(_wall_total(prev, res.wall_seconds))
        if epochs_s:
            per_epoch = Range.spread(epochs_s)  # the median epoch [fastest-slowest]
    if status == "invalid":
        warnings.insert(0, f"INVALID: {invalid}")
    ext = res.warmup_extension_seconds  # time spent waiting out the warm-up: the probe at work, not a slow machine
    if kind == "probe" and tl.end is not None and tl.end > o.budget * 1.1 + ext:
        warnings.append(f"the probe took {tl.end:.0f}s, over its {o.budget:.0f}s budget: each phase needs a minimum "
                        f"number of batches and this machine is slow for this configuration")
    measured = ["setup", "train batches (mosaic)", "train batches (no mosaic)", "validation batches",
                "epoch boundary", "warm-up", "training-sample plots"]
    if not any(x.startswith("final") for x in res.skipped):
        measured.append("final evaluation")
    for x in res.skipped:
        warnings.append(f"not measured: {x}")
    extrapolated = [f"{n_train} train images per epoch from the observed batches",
                    f"{n_val} val images per pass from the observed val batches",
                    extrapolate.describe_epochs(o.epochs, o.close_mosaic)] + ([margin_note] if margin_note else [])
    dec = derived.image_decodes if derived is not None else None
    if kind == "probe" and dec:
        full_rate = dec["full_run_decodes_per_image"]
        probe_rate = dec["probe_decodes_per_image"].get("mosaic", 0.0)
        extrapolated.append(
            f"image decodes at the full dataset's rate: the probe decoded {probe_rate:.2f} images per sample "
            f"({1000 * dec['seconds_per_decode']:.1f} ms each); with ultralytics' {dec['buffer_images']}-image RAM "
            f"buffer the full run decodes {full_rate['first_epoch']:.2f} per sample in its first epoch and "
            f"{full_rate['later_epochs']:.2f} after (simulated), so "
            + _moves("the data part", dec["data_seconds_per_batch_change"].get("mosaic", 0.0)))
    elif kind == "probe" and (note := extrapolate.image_buffer_note(n_train, o.batch, o.cache)):
        extrapolated.append(note)
    opt = derived.optimizer_steps if derived is not None else None
    if kind == "probe" and opt:
        extrapolated.append(
            f"optimizer steps at the full run's cadence: ultralytics steps once every nbs/batch batches after its "
            f"warm-up; the probe stepped {opt['probe_steps_per_batch']:.2f} times per batch "
            f"({1000 * opt['seconds_per_step']:.0f} ms each), the full run {opt['full_run_steps_per_batch']:.2f} "
            f"(simulated), so " + _moves("compute", opt["compute_seconds_per_batch_change"]))
    if kind == "probe" and derived is not None and derived.gc_one_off_seconds > 0:
        extrapolated.append(
            f"Python's full garbage collections during training ({derived.gc_one_off_seconds:.2f} s in the probe) "
            f"counted once, not in every epoch: a training process runs one every several epochs")
    rec: dict[str, Any] = {
        "schema_version": record.SCHEMA_VERSION,
        "run_id": run_id,
        "kind": kind,
        "status": status,
        "invalid_reason": invalid if status == "invalid" else None,
        "created_at": created,
        "finished_at": record.utc_now(),
        "device": device_type,
        "device_name": device_name,
        "fingerprint": fp,
        "config": {
            "model": o.model.removesuffix(".yaml"), "imgsz": o.imgsz, "batch": o.batch, "val_batch": res.val_batch,
            "workers_requested": o.workers, "workers": res.workers_used, "amp_requested": o.amp,
            "amp": res.amp_used, "cache": o.cache, "epochs": o.epochs, "close_mosaic": o.close_mosaic,
            "budget_seconds": None if kind == "full" else o.budget, "seed": o.seed,
            "torch_threads": res.torch_threads, "gflops": res.gflops, "optimizer": res.optimizer,
            "dataset": {**info.to_record(), **({"left_out": dropped} if dropped else {})},
        },
        "epochs": o.epochs,
        "close_mosaic": o.close_mosaic,
        "seconds_per_epoch": per_epoch.to_dict() if per_epoch else None,
        "full_run_seconds": full_run.to_dict() if full_run else None,
        "estimate": ({**estimate.to_dict(), "measured": measured, "extrapolated": extrapolated,
                      "interval": "80% t-interval (p10-p90) of steady-state means, bounds added, widened by "
                                  f"±{pct(estimate.systematic)} systematic (see bench validate)"}
                     if estimate else None),
        "profile": derived.profile.to_dict() if derived else None,
        "summary": {
            "images_per_second": derived.images_per_second if derived else None,
            "data_wait_share": derived.data_wait_share if derived else None,
            "image_decodes": derived.image_decodes if derived else None,
            "optimizer_steps": derived.optimizer_steps if derived else None,
            "parts_seconds": derived.parts_seconds if derived else None,
            "warmup_batches": derived.warmup_batches if derived else None,
            "cpu_load": cpu["whole"] if cpu else None,
            **res.memory,
        },
        "measurements": {
            "wall_seconds": res.wall_seconds,
            # this process's and those of the interrupted runs it resumes, chain and all
            "wall_seconds_total": _wall_total(prev, res.wall_seconds) if kind == "full" else res.wall_seconds,
            "callback_seconds": res.callback_seconds,
            "skipped": res.skipped,
            "trainer_epochs": res.trainer_epochs,
            "plain_from_epoch": res.plain_from_epoch,
            "events": res.events,
            "losses": res.losses,
            "epoch_seconds": tl.epoch_seconds(),
            "cpu_load": res.cpu_load,
            "image_decodes": res.image_decodes,
            "optimizer_steps": res.optimizer_steps,
            "gc_pauses": res.gc_pauses,
            "clear_memory": res.clear_memory,
            "warmup_extension_seconds": round(ext, 3),
            "save_dir": res.save_dir,
        },
        "warnings": warnings,
    }
    if res.interrupted is not None:
        rec["interruption"] = {"signal": getattr(res.interrupted, "signum", 2), "at_seconds": res.wall_seconds}
    if prev is not None:
        cost = interruption_cost(prev, res, derived)
        rec["resumed_from"] = prev["run_id"]
        rec["interruption_cost"] = cost
        trained = cost["epochs_before"] + sum(1 for e in tl.epochs if e.complete)
        rec["measurements"]["epochs_trained_total"] = trained
        if status == "complete" and trained != o.epochs:
            warnings.append(f"the resumed run trained {trained} epochs in all, not {o.epochs}")
    return rec


def _moves(what: str, seconds: float) -> str:
    """"compute moves by -42 ms per batch", or that it stays as measured when the change rounds to nothing."""
    ms = 1000 * seconds
    return f"{what} stays as measured" if round(ms) == 0 else f"{what} moves by {ms:+.0f} ms per batch"


def options_dict(o: RunOptions) -> dict[str, Any]:
    d = asdict(o)
    d["synthetic"] = asdict(o.synthetic)
    return d


__all__ = ["RunFailed", "RunOptions", "check_options", "execute"]
