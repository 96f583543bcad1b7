"""The command line: thin adapters from parsed arguments to keyword calls (asv's style), plus the one place
that turns errors into one line on stderr and an exit code (bench.errors documents the codes).

    python -m bench run [--device auto|cpu|cuda|cuda:N|mps] [--full] [--json] ...
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import signal
import sys
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from bench.errors import BenchError, UsageError


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (no usage block) with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


#: The largest number any flag takes: beyond every plausible count, size, second or hour (10^9 hours is 114,000
#: years); the arithmetic and the plots stay finite below it.
MAX_FLAG_VALUE = 1e9


def _number(kind: type, low: float, strict: bool, high: float = MAX_FLAG_VALUE) -> Any:
    """An argparse type: a finite ``kind(s)`` that is > low (strict) or >= low, and at most ``high``
    (:data:`MAX_FLAG_VALUE` unless given), else one clear error."""
    noun = "a number" if kind is float else "an integer"

    def parse(s: str) -> Any:
        try:
            v = kind(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{s}' is not {noun}") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"'{s}' is not a finite number")
        if (v <= low) if strict else (v < low):
            raise argparse.ArgumentTypeError(f"{s} must be {'>' if strict else '>='} {low:g}")
        if v > high:
            raise argparse.ArgumentTypeError(f"{s} is beyond any plausible value (at most {high:g})")
        return v

    return parse


def _text(s: str) -> str:
    """An argparse type: a name (a run id, a chip, a region, a list of instances): not empty, and no control
    character (an escape sequence) or undecodable byte, which would end up in the report's files and plots."""
    if not s.strip():
        raise argparse.ArgumentTypeError("is empty; give a value, or leave the flag out for its default")
    if any(unicodedata.category(c) in ("Cc", "Cs") and c not in " \t\n\r" for c in s):
        raise argparse.ArgumentTypeError(f"{s!r} holds control characters or bytes that are not text")
    return s


def _path(s: str) -> Path:
    """An argparse type: a path, not empty (an empty one would silently mean the current directory), with a leading
    ``~`` expanded as a shell would (a quoted one reaches us as it is)."""
    if not s.strip():
        raise argparse.ArgumentTypeError("is empty; give a path, or leave the flag out for its default")
    try:
        return Path(s).expanduser()
    except RuntimeError:
        raise argparse.ArgumentTypeError(f"{s}: no home folder for the user it names; give the path without ~ or "
                                         "with an existing user") from None


def _utc_time(s: str) -> Any:
    """An argparse type: a UTC date or time (2026-11-29, 2026-11-29T06:00, or with its offset), as a datetime."""
    from bench.record import parse_utc

    t = parse_utc(s)
    if t is None:
        raise argparse.ArgumentTypeError(f"'{s}' is not a UTC date or time: use 2026-11-29 or 2026-11-29T06:00")
    return t


def _started_since(v: dict[str, Any], since: Any) -> bool:
    """Was validation record ``v`` started at or after ``since``? No (left out) when its time is unreadable."""
    from bench.record import parse_utc

    t = parse_utc(v.get("created_at"))
    return t is not None and t >= since


_positive_float = _number(float, 0, strict=True)
_positive_int = _number(int, 1, strict=False)
_nonneg_int = _number(int, 0, strict=False)
_seed = _number(int, 0, strict=False, high=math.inf)  # its range (numpy's) is checked with the other options


#: The flags of :func:`add_workload_args` that shape a training (their argparse dests).
WORKLOAD_FLAGS = ("device", "model", "imgsz", "batch", "workers", "cache", "amp", "epochs", "close_mosaic", "data",
                  "train_images", "val_images", "test_images", "classes", "image_size", "datasets", "seed")


def _given(args: argparse.Namespace, dests: Sequence[str]) -> list[str]:
    """The flags among ``dests`` the user typed (default value or not), as written: ``--close-mosaic``."""
    return ["--" + d.replace("_", "-") for d in dests if d in getattr(args, "typed", ())]


def _typed(argv: Sequence[str] | None) -> frozenset[str]:
    """The dests of the flags on the command line: the same parse with every default taken away."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                sub._defaults.clear()  # set_defaults values (func, validate's workload) are not typed
                for a in sub._actions:
                    a.default = argparse.SUPPRESS
    return frozenset(vars(parser.parse_args(argv))) - {"command"}


def add_workload_args(p: argparse.ArgumentParser) -> None:
    """Flags shared by `run` and `validate`: the training configuration and the synthetic dataset."""
    from bench.extrapolate import DEFAULT_CLOSE_MOSAIC, DEFAULT_EPOCHS

    p.add_argument("--device", default="auto",
                   help="auto (the default: cuda, then mps, then cpu), cpu, cuda, cuda:N or mps")
    p.add_argument("--model", default="yolov8n",
                   help="yolov8n (default), yolov8s, yolov8m, yolov8l or yolov8x, built from YAML with random weights")
    p.add_argument("--imgsz", type=_positive_int, default=640, help="training image size (default %(default)s)")
    p.add_argument("--batch", type=_positive_int, default=16, help="batch size (default %(default)s)")
    p.add_argument("--workers", type=_nonneg_int, default=8,
                   help="dataloader workers (ultralytics default 8; forced to 0 on cpu and mps)")
    p.add_argument("--cache", default="false", choices=("false", "ram", "disk"),
                   help="ultralytics image cache (default false)")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=True,
                   help="mixed precision on CUDA (ultralytics default; cpu and mps always train in FP32)")
    p.add_argument("--epochs", type=_positive_int, default=DEFAULT_EPOCHS, help="epochs of the full run (%(default)s)")
    p.add_argument("--close-mosaic", type=_nonneg_int, default=DEFAULT_CLOSE_MOSAIC,
                   help="last epochs without mosaic augmentation (%(default)s; ultralytics default 10)")
    p.add_argument("--data", type=_path, help="your YOLO data.yaml; default: a generated synthetic dataset")
    p.add_argument("--train-images", type=_positive_int, default=4195, help="synthetic train images (%(default)s)")
    p.add_argument("--val-images", type=_positive_int, default=400, help="synthetic val images (%(default)s)")
    p.add_argument("--test-images", type=_nonneg_int, default=398, help="synthetic test images (%(default)s)")
    p.add_argument("--classes", type=_positive_int, default=3, help="synthetic classes (3)")
    p.add_argument("--image-size", default="640x480", help="synthetic image WIDTHxHEIGHT in pixels (640x480)")
    p.add_argument("--results", type=_path, default=Path("results"), help="results directory (results/)")
    p.add_argument("--datasets", type=_path, default=Path("datasets"), help="where synthetic datasets live (datasets/)")
    p.add_argument("--seed", type=_seed, default=0, help="training and dataset seed (0)")


def _synthetic(args: argparse.Namespace) -> Any:
    from bench.dataset import SyntheticSpec
    from bench.errors import UsageError

    w, _, h = str(args.image_size).lower().partition("x")
    if not (w.isdigit() and h.isdigit()):
        raise UsageError(f"--image-size {args.image_size}: use WIDTHxHEIGHT in pixels, e.g. 640x480")
    try:
        return SyntheticSpec(train=args.train_images, val=args.val_images, test=args.test_images, width=int(w),
                             height=int(h), classes=args.classes, seed=args.seed)
    except UsageError as e:  # name the flag that set the field
        flags = {"train": "--train-images", "val": "--val-images", "test": "--test-images", "width": "--image-size",
                 "height": "--image-size", "classes": "--classes", "seed": "--seed"}
        field = str(e).removeprefix("synthetic dataset: ").partition("=")[0]
        if field not in flags:
            raise
        value = args.image_size if flags[field] == "--image-size" else getattr(args, flags[field][2:].replace("-", "_"))
        raise UsageError(f"{flags[field]} {value}: {str(e).removeprefix('synthetic dataset: ')}") from None


def run_options(args: argparse.Namespace, **over: Any) -> Any:
    from bench.run import RunOptions

    kw: dict[str, Any] = dict(
        device=args.device, model=args.model, imgsz=args.imgsz, batch=args.batch, workers=args.workers,
        cache=args.cache, amp=args.amp, epochs=args.epochs, close_mosaic=args.close_mosaic,
        budget=getattr(args, "budget", 90.0), full=getattr(args, "full", False), data=args.data,
        synthetic=_synthetic(args), results=args.results, datasets=args.datasets, seed=args.seed,
        resume=getattr(args, "resume", None), margin_from=getattr(args, "margin_from", None),
    )
    return RunOptions(**(kw | over))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="bench", description="Measure YOLOv8 training here; extrapolate to a full run and "
                                               "to cloud instances, with ranges and costs.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="time real YOLOv8 training on this machine (a short probe, or --full)")
    add_workload_args(run)
    run.add_argument("--budget", type=_positive_float, default=90.0,
                     help="probe time budget in seconds, setup included (default 90)")
    run.add_argument("--full", action="store_true", help="train the whole run of --epochs for real")
    run.add_argument("--resume", metavar="RUN_ID", type=_text,
                     help="finish an interrupted --full run from its last checkpoint (its run id or a prefix)")
    run.add_argument("--json", action="store_true", help="print the record as JSON on stdout")
    # plumbing for `bench validate`: its probes' records live under <results>/validation/records, its validations
    # (which set this machine's margin) under <results>/validation
    run.add_argument("--margin-from", type=_path, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)

    from bench.validate import DEFAULT_WORKLOAD as W

    val = sub.add_parser("validate", help="measure the probe's prediction error against a real full run")
    add_workload_args(val)
    val.set_defaults(imgsz=W["imgsz"], batch=W["batch"], epochs=W["epochs"], close_mosaic=W["close_mosaic"],
                     train_images=W["train_images"], val_images=W["val_images"], test_images=W["test_images"])
    val.add_argument("--budget", type=_positive_float, default=W["budget"],
                     help=f"probe time budget in seconds (default {W['budget']:.0f})")
    val.add_argument("--repeat", type=_positive_int, default=1, help="probe N times; report the spread (1)")
    val.add_argument("--overhead", action="store_true",
                     help="instead: measure the instrumentation's overhead (A/B interleaved full trainings of 1 epoch "
                          "on 96 train / 32 val images, unless the workload flags say otherwise)")
    val.add_argument("--pairs", type=_positive_int, default=2, help="A/B pairs for --overhead (2)")
    val.add_argument("--summary", action="store_true",
                     help="instead: rank the probe against the naive estimates over every validation in "
                          "<results>/validation/ (no training)")
    val.add_argument("--since", type=_utc_time, metavar="UTC",
                     help="with --summary: only the validations started at or after this UTC date or time, e.g. "
                          "after a change to the harness (2026-11-29T06:00)")
    val.add_argument("--json", action="store_true",
                     help="print the validation (or overhead) record as JSON on stdout; with --summary, its groups")
    val.set_defaults(func=cmd_validate)

    rep = sub.add_parser("report", help="speedup-and-cost table for this machine and every SageMaker instance, "
                                        "from the newest record in results/")
    _add_report_args(rep)
    rep.add_argument("--epochs", type=_positive_int, help="epochs of the full run (default: the record's)")
    rep.add_argument("--close-mosaic", type=_nonneg_int, help="last epochs without mosaic (default: the record's)")
    rep.add_argument("--run", type=_text,
                     help="the record to report on: its run id or a unique prefix (default: the newest complete record "
                          "not measured on a GPU of the catalog, else the newest)")
    rep.set_defaults(func=cmd_report)

    est = sub.add_parser("estimate", help="what-if: the same table from a training time you already know "
                                          "(the data/compute split is assumed)")
    when = est.add_mutually_exclusive_group(required=True)
    when.add_argument("--hours", type=_positive_float, help="hours the whole run took on the machine that trained")
    when.add_argument("--seconds-per-epoch", type=_positive_float,
                      help="seconds one epoch took on the machine that trained")
    est.add_argument("--epochs", type=_positive_int, default=50, help="epochs of that run (50)")
    est.add_argument("--close-mosaic", type=_nonneg_int, default=10, help="last epochs without mosaic (10)")
    est.add_argument("--device", required=True, choices=("cpu", "cuda", "mps"), help="what trained: cpu, cuda or mps")
    est.add_argument("--chip", type=_text, help="the chip, for mps or cpu (for example \"Apple M4 Pro\")")
    est.add_argument("--gpu", type=_text,
                     help="the GPU, for cuda (for example \"Tesla T4\"; must be in accelerators.json)")
    est.add_argument("--model", default="yolov8n", help="yolov8n (default), yolov8s, yolov8m, yolov8l or yolov8x")
    est.add_argument("--imgsz", type=_positive_int, default=640, help="training image size (640)")
    est.add_argument("--batch", type=_positive_int, default=16, help="batch size (16)")
    est.add_argument("--train-images", type=_positive_int, default=4195, help="train images per epoch (4195)")
    est.add_argument("--val-images", type=_positive_int, default=400, help="val images per pass (400)")
    est.add_argument("--cpus", type=_positive_int, help="logical CPUs of that machine (default: this one's)")
    _add_report_args(est)
    est.set_defaults(func=cmd_estimate)

    pr = sub.add_parser("prices", help="the instance catalog and its on-demand training prices; --refresh reads "
                                       "current prices from the AWS Price List API")
    pr.add_argument("--region", type=_text, default="us-east-1", help="AWS region (us-east-1)")
    pr.add_argument("--refresh", action="store_true",
                    help="read current prices (needs boto3 and AWS credentials) and save them to "
                         "<results>/catalog/instances.json, which report and estimate then use")
    pr.add_argument("--catalog", type=_path, help="catalog file to read (and, with --refresh, to write)")
    pr.add_argument("--results", type=_path, default=Path("results"), help="results directory (results/)")
    pr.set_defaults(func=cmd_prices)
    return parser


# --------------------------------------------------------------------------------------------- commands
def _overhead_target(out: dict[str, Any]) -> str:
    """The overhead record's verdict as one line of the summary."""
    from bench import validate

    head = f"  target: under {validate.TARGET_OVERHEAD:.0%}: "
    if out["overhead_met"] is None:
        return (head + f"not judged: one A/B pair has no interval (own code {out['callback_share_median']:.3%}; "
                f"use --pairs 2 or more)")
    return (head + f"{'met' if out['overhead_met'] else 'NOT met'} (own code {out['callback_share_median']:.3%}; "
            f"the A/B ratio's interval {'reaches' if out['ab_consistent'] else 'does NOT reach'} below "
            f"{1 + validate.TARGET_OVERHEAD:.2f})")


def _out(text: str) -> None:
    """Print a command's result on stdout. A reader that stopped reading (``| head``) is not an error: what it
    wanted was printed, the rest goes nowhere, and the command ends with its own exit code. Output the machine
    refuses (``--json > rec.json`` on a full disk) is: one line, exit 1."""
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as e:
        _discard_stdout()
        raise BenchError(f"the output could not be written: {e.strerror or e}") from None


def _discard_stdout() -> None:
    """Send what is still buffered for stdout, and anything written later, nowhere (``os.devnull``)."""
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def cmd_run(args: argparse.Namespace) -> int:
    from bench import run

    rec, path = run.execute(run_options(args, given=frozenset(_given(args, WORKLOAD_FLAGS))))
    print(format_summary(rec, path), file=sys.stderr)
    if args.json:
        _out(json.dumps(rec, indent=1))
    if rec["status"] == "interrupted":
        return 128 + int(rec.get("interruption", {}).get("signal", 2))
    if rec["status"] == "invalid":
        return 3
    return 0


def _hours(s: float) -> str:
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    if s >= 60:
        return f"{s / 60:.1f} min"
    return f"{s:.1f} s"


def _rng(d: dict[str, float] | None) -> str:
    if not d:
        return "n/a"
    return f"{_hours(d['median'])} ({_hours(d['low'])} - {_hours(d['high'])})"


def format_summary(rec: dict[str, Any], path: Path) -> str:
    """The one-screen summary at the end of `bench run`."""
    cfg, summ, prof = rec["config"], rec.get("summary") or {}, rec.get("profile") or {}
    meas = rec.get("measurements") or {}
    lines = [
        "",
        f"bench {rec['kind']} {rec['run_id']}: {rec['status'].upper()}"
        + (f" ({rec['invalid_reason']})" if rec.get("invalid_reason") else ""),
        f"  device      {rec['device']}: {rec['device_name']}, {'AMP' if cfg['amp'] else 'FP32'}, "
        f"dataloader workers: {cfg['workers']}, torch threads: {cfg['torch_threads']}",
        f"  workload    {cfg['model']} {cfg['imgsz']}px batch {cfg['batch']}, {_images(cfg['dataset'])}, "
        f"{rec['epochs']} epochs (last {rec['close_mosaic']} without mosaic)",
    ]
    if summ.get("images_per_second"):
        lines.append(f"  throughput  {summ['images_per_second']:.2f} images/s in steady state (data included)")
    if prof:
        m, p = prof["mosaic"], prof["plain"]
        mc, pc = m["compute_seconds_per_batch"]["median"], p["compute_seconds_per_batch"]["median"]
        lines.append(f"  per batch   mosaic {m['data_seconds_per_batch']['median']:.3f}s data + {mc:.3f}s compute; "
                     f"no mosaic {p['data_seconds_per_batch']['median']:.3f}s + {pc:.3f}s"
                     + (" (compute pooled over both phases: only the data pipeline differs)" if mc == pc else "")
                     + f"; data-wait share {summ.get('data_wait_share', 0):.1%}")
    lines.append(f"  epoch       {_rng(rec.get('seconds_per_epoch'))}  (train + val + boundary, whole dataset)")
    label = "full run" if rec["kind"] == "probe" else "full run (measured)"
    lines.append(f"  {label:<11} {_rng(rec.get('full_run_seconds'))}  for {rec['epochs']} epochs")
    host, acc = summ.get("peak_host_rss_bytes"), summ.get("peak_accelerator_bytes")
    on_cpu = rec.get("device") == "cpu"
    lines.append("  memory      peak host "
                 + (f"{host / 2**30:.2f} GiB (this process's RSS + its loader workers' own memory)"
                    if isinstance(host, int | float) else "not measured")
                 + ("; accelerator n/a (cpu)" if on_cpu else
                    f"; accelerator {acc / 2**30:.2f} GiB" if isinstance(acc, int | float) else
                    "; accelerator not measured"))
    if meas.get("wall_seconds") is not None:
        ext = meas.get("warmup_extension_seconds") or 0.0
        lines.append(f"  took        {meas['wall_seconds']:.0f}s of training"
                     + (f" (budget {cfg['budget_seconds']:.0f}s)" if cfg.get("budget_seconds") else "")
                     + (f"; the mosaic batches ran {ext:.0f}s past their share of it, until their compute per "
                        f"batch was steady (warm-up)" if ext > 0 else ""))
    if cpu := summ.get("cpu_load"):
        lines.append(f"  machine     this run used {cpu['own_pct']:.0f}% of the CPU, other processes "
                     f"{cpu['other_pct']:.0f}%, the hypervisor took {cpu['steal_pct']:.0f}% (steal)")
    est = rec.get("estimate") or {}
    if est:
        lines.append("  measured    " + ", ".join(est.get("measured", [])))
        lines.append("  assumed     " + "; ".join(est.get("extrapolated", [])))
    for w in rec.get("warnings") or []:
        lines.append(f"  warning     {w}")
    lines.append(f"  record      {path}")
    return "\n".join(lines)


def cmd_validate(args: argparse.Namespace) -> int:
    from bench import validate

    if args.summary and args.overhead:
        raise UsageError("--summary and --overhead: choose one (--summary trains nothing, --overhead trains)")
    if args.since is not None and not args.summary:
        raise UsageError("--since selects validations for --summary: add --summary, or leave --since out")
    if args.repeat != 1 and (args.summary or args.overhead):
        raise UsageError(f"--repeat repeats a validation's probe; --{'summary' if args.summary else 'overhead'} "
                         f"runs none: leave --repeat out")
    if args.pairs != 2 and not args.overhead:
        raise UsageError("--pairs sets the A/B pairs of --overhead: add --overhead, or leave --pairs out")
    if args.summary:
        given = _given(args, [*WORKLOAD_FLAGS, "budget"])
        if given:
            raise UsageError(f"--summary trains nothing and ranks every workload in <results>/validation/ apart: "
                             f"leave out {', '.join(given)}")
        return _validate_summary(args)
    if args.overhead:
        for k, v in validate.OVERHEAD_WORKLOAD.items():  # the validation's workload is too long to train 5 times
            if getattr(args, k) == validate.DEFAULT_WORKLOAD[k]:
                setattr(args, k, v)
        opts = run_options(args, full=True)
        out, path = validate.run_overhead(opts, pairs=args.pairs)
        print(f"\ninstrumentation overhead on {out['device']} ({out['device_name']}), {out['pairs']} A/B pairs:\n"
              f"  wall-time ratio instrumented/bare  median {out['ratio_median']:.4f} "
              f"(min {out['ratio_min']:.4f}, max {out['ratio_max']:.4f})"
              + (f"; mean {out['ratio_mean']:.4f} +- {out['ratio_ci95']:.4f} (95%)"
                 if out.get("ratio_ci95") is not None else "") + "\n"
              f"  time inside the harness's own code  {out['callback_share_median']:.3%} of the wall time "
              f"(its callbacks and its wrappers around ultralytics' code)\n"
              + _overhead_target(out) + "\n"
              f"  record {path}", file=sys.stderr)
    else:
        out, path = validate.run_validation(run_options(args), repeat=args.repeat)
        print(validate.format_validation(out) + f"\n  record       {path}", file=sys.stderr)
        vrecs, _ = validate.load_validations(args.results)
        mine = [g for g in validate.aggregate(vrecs) if out["run_id"] in g["run_ids"] and g["n"] > 1]
        if mine:
            print(validate.format_aggregate(mine), file=sys.stderr)
    if args.json:
        _out(json.dumps(out, indent=1))
    return 0


def _validate_summary(args: argparse.Namespace) -> int:
    from bench import record, validate

    if args.results.exists() and not args.results.is_dir():
        raise UsageError(f"--results {args.results}: not a directory; give the results directory that holds "
                         f"validation/")
    vrecs, skipped = validate.load_validations(args.results)
    for line in skipped:
        print(f"warning: skipped {line}", file=sys.stderr)
    for v in vrecs:
        why = validate.why_unusable(v)
        if why:
            print(f"warning: left out {v.get('run_id')}: {why}", file=sys.stderr)
    every = vrecs
    if args.since is not None:
        vrecs = [v for v in vrecs if _started_since(v, args.since)]
    groups = validate.aggregate(vrecs)
    if not groups and args.since is not None and validate.aggregate(every):
        newest = max((v for v in every if validate.usable(v)), key=record.when)
        raise UsageError(f"no validation in {args.results / 'validation'} started at or after "
                         f"{args.since.isoformat()}: the newest started at {newest.get('created_at')}; give an "
                         "earlier --since, or leave it out")
    if not groups:
        raise UsageError(f"no validation records in {args.results / 'validation'}: run `python -m bench "
                         "validate` first, or point --results at the directory that holds them")
    print(validate.format_aggregate(groups), file=sys.stderr)
    if args.json:
        _out(json.dumps(groups, indent=1))
    return 0


def _add_report_args(p: argparse.ArgumentParser) -> None:
    """Flags shared by `report` and `estimate`."""
    p.add_argument("--results", type=_path, default=Path("results"), help="results directory (results/)")
    p.add_argument("--region", type=_text, default="us-east-1", help="AWS region of the prices (us-east-1)")
    p.add_argument("--instances", type=_text, help="comma-separated instances (default: the whole catalog)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="a cost or scaling parameter (repeatable), e.g. --set interruptions_per_hour=0")
    p.add_argument("--config", type=_path,
                   help="parameters from a .json or .toml file (.toml needs Python 3.11+; --set wins)")
    p.add_argument("--deadline", type=_positive_float, help="hours: recommend only instances finishing in time")
    p.add_argument("--max-usd", type=_positive_float, help="USD: recommend only instances costing at most this")
    p.add_argument("--catalog", type=_path,
                   help="instance catalog file (default: <results>/catalog/instances.json if present, else the "
                        "packaged one)")


def _print_report(rep: Any, paths: Sequence[Path]) -> None:
    """Warnings, the catalog used and the paths written on stderr; the table on stdout."""
    from bench.report import catalog_label, format_terminal

    for w in rep.warnings:
        print(f"bench {rep.source.kind}: warning: {w}", file=sys.stderr)
    print(f"catalog: {catalog_label(rep.settings.catalog)}", file=sys.stderr)
    _out(format_terminal(rep))
    for p in paths:
        print(f"wrote {p}", file=sys.stderr)


def cmd_report(args: argparse.Namespace) -> int:
    from bench import report

    rep, paths = report.run_report(
        results=args.results, epochs=args.epochs, close_mosaic=args.close_mosaic, region=args.region,
        instances=args.instances, run=args.run, sets=args.sets, config=args.config, deadline=args.deadline,
        max_usd=args.max_usd, catalog=args.catalog)
    _print_report(rep, paths)
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from bench import report

    rep, paths = report.run_estimate(
        device=args.device, hours=args.hours, seconds_per_epoch=args.seconds_per_epoch, epochs=args.epochs,
        close_mosaic=args.close_mosaic, chip=args.chip, gpu=args.gpu, model=args.model, imgsz=args.imgsz,
        batch=args.batch, train_images=args.train_images, val_images=args.val_images, cpus=args.cpus,
        results=args.results, region=args.region, instances=args.instances, sets=args.sets, config=args.config,
        deadline=args.deadline, max_usd=args.max_usd, catalog=args.catalog)
    _print_report(rep, paths)
    return 0


def cmd_prices(args: argparse.Namespace) -> int:
    from bench import catalog
    from bench.report import resolve_catalog, user_catalog_path

    cat = resolve_catalog(args.results, args.catalog)
    if args.refresh:
        fresh = catalog.refresh_prices(cat, args.region)
        target = args.catalog if args.catalog is not None else user_catalog_path(args.results)
        catalog.save_catalog(fresh, target)
        cat = catalog.load_catalog(target)
        print(f"saved the refreshed catalog to {target}; report and estimate use it", file=sys.stderr)
    _out(catalog.format_catalog(cat, args.region))
    return 0


# --------------------------------------------------------------------------------------------- entry point
def _on_signal(signum: int, frame: object) -> None:
    from bench.errors import interruption, note_signal

    note_signal(signum)  # kept until acted on: the exception below can be swallowed (see bench.errors)
    raise interruption(signum)


def _quiet_interrupts(hook: Any) -> Any:
    """An unraisable hook that lets a stop request swallowed inside a finalizer pass silently (it is raised again
    at the next safe point) and reports everything else as before."""
    from bench.errors import Interrupted

    def hook_(u: Any) -> None:
        if isinstance(u.exc_value, (KeyboardInterrupt, Interrupted)):
            return
        hook(u)
    return hook_


def _images(dataset: dict[str, Any]) -> str:
    """"4195 train / 400 val images", less what ultralytics left out as corrupt (bench.run.left_out), if any."""
    n, gone = dataset["counts"], dataset.get("left_out") or {}
    text = (f"{n['train_images'] - gone.get('train_images', 0)} train / "
            f"{n['val_images'] - gone.get('val_images', 0)} val images")
    if gone:
        text += (f" ({n['train_images']} / {n['val_images']} found, {gone.get('train_images', 0)} / "
                 f"{gone.get('val_images', 0)} left out as corrupt)")
    return text


def _after_record(e: BaseException) -> str:
    """For a stop request that arrived while a finished run's record was being written (it is held until the
    write is done): where that record is, and its status, so the user knows nothing was lost."""
    rec = getattr(e, "record", None)
    return f" after its record was written ({rec[1]}): {rec[0]}" if rec else ""


class _StderrGuard:
    """``sys.stderr`` while a command runs: a reader that stopped reading it (``2>&1 | head``) is not an error,
    as on stdout (:func:`_out`). The first write or flush that finds the pipe closed points the stream's file
    descriptor at ``os.devnull``, so that this and every later message goes nowhere and the command finishes its
    work (a report, a record) and ends with its own exit code. Everything else is the wrapped stream's."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            self._discard()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._discard()

    def _discard(self) -> None:
        import os

        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            self._stream.flush()  # what was buffered for the closed pipe now goes to devnull

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    saved = sys.stderr
    sys.stderr = _StderrGuard(saved)
    try:
        return _main(argv)
    finally:
        sys.stderr = saved


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        args.typed = _typed(argv)
    except SystemExit as e:  # --help, or a bad argument (already reported in one line)
        return int(e.code) if isinstance(e.code, int) else 2
    old = signal.signal(signal.SIGTERM, _on_signal)
    old_int = signal.signal(signal.SIGINT, _on_signal)
    old_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_interrupts(old_hook)
    try:
        return int(args.func(args))
    except BenchError as e:
        print(f"bench {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt as e:
        print(f"bench {args.command}: interrupted{_after_record(e)}", file=sys.stderr)
        return 130
    except OSError as e:  # the machine refused (a full disk, a permission, a name too long): what and where
        where = f": {e.filename}" if e.filename else ""
        print(f"bench {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except BaseException as e:
        from bench.errors import Interrupted

        if isinstance(e, Interrupted):
            print(f"bench {args.command}: interrupted by signal {e.signum}{_after_record(e)}", file=sys.stderr)
            return 128 + e.signum
        raise
    finally:
        from bench.errors import clear_signal

        signal.signal(signal.SIGTERM, old)
        signal.signal(signal.SIGINT, old_int)
        sys.unraisablehook = old_hook
        clear_signal()


#: How long the process waits at most, as it ends, for threads still writing (ultralytics draws its plots in
#: non-daemon threads).
EXIT_GRACE_SECONDS = 30.0


def leave(code: int) -> NoReturn:
    """End the process with ``code``, what :func:`main` returned, without the interpreter's own shutdown.

    Signals are ignored from here on (the work is done and recorded: a late Ctrl-C must not turn the exit into a
    traceback); idle thread pools are shut down and the threads still writing waited for (at most
    :data:`EXIT_GRACE_SECONDS`), the ``atexit`` handlers run (multiprocessing's, which stops loader workers;
    ``weakref.finalize``'s), stdout and stderr are flushed (stdout that cannot be written, a full disk under
    ``--json > rec.json``, is said in one line and a success becomes exit 1; a closed pipe, ``| head``, is not an
    error), then ``os._exit``. bench's own files are closed and whole by then (records are written atomically).

    Measured why (Python 3.11, torch 2.14): torch imports modules lazily during a run's setup, and a stop that
    lands inside one of those imports leaves it half done.

    - A Ctrl-C inside the ``exec`` of dataclasses' generated code makes CPython flag the KeyboardInterrupt as
      unhandled although bench caught it, and a ``python -m`` process then ends by SIGINT (status -2), whatever
      its exit code: 6 of 60 Ctrl-Cs sent 2.2-3.8 s into a probe.
    - A SIGTERM 2.3 s into a probe once made the shutdown abort: "Fatal Python error: PyThreadState_Get ...
      Python runtime state: finalizing", status -6 (CI, 2026-12-03; not reproduced here in 70 SIGTERMs sent
      2.2-3.8 s in, 6 of which landed inside such an import). The shutdown is where that fails, so it is skipped."""
    import atexit
    import os
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    pools = sys.modules.get("concurrent.futures.thread")  # its idle workers wait for the shutdown to wake them
    if pools is not None:
        with contextlib.suppress(Exception):
            pools._python_exit()
    end = time.monotonic() + EXIT_GRACE_SECONDS
    for t in threading.enumerate():
        if t is not threading.current_thread() and not t.daemon:
            t.join(max(0.0, end - time.monotonic()))
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # `| head` stopped reading: nothing to say
        pass
    except (OSError, ValueError) as e:  # a full disk under `--json > rec.json`: the output is cut, say so
        with contextlib.suppress(Exception):
            sys.stderr.write(f"bench: error: the output could not be written: {getattr(e, 'strerror', None) or e}\n")
        code = code or 1
    with contextlib.suppress(Exception):
        sys.stderr.flush()
    os._exit(code)


def entry() -> NoReturn:
    """The process's entry point, ``python -m bench`` and the ``bench`` script: :func:`main`, then :func:`leave`
    (after a bug's traceback too, exit 1). Signals are ignored outside :func:`main` (it installs its handlers and
    puts these back): a stop between its end and :func:`leave` would otherwise end the process unflushed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        code = main()
    except Exception:
        import traceback

        traceback.print_exc()
        code = 1
    leave(code)
