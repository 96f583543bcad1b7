"""Harness of the component benchmarks: options, the ultralytics trainer they take their pieces from, timing.

The benchmarks are in ``bench_components.py``. A plain ``python -m pytest`` does not collect that file
(pytest collects ``test_*.py`` unless a file is named on its command line), so CI never runs them at full
size; ``test_smoke.py`` runs them in a subprocess at a tiny size and checks the JSON they write. Run them:

    nox -s microbench -- --device cpu                  # writes results/microbench/<timestamp>-cpu.json
    python -m pytest tests/microbench/bench_components.py --device cuda --benchmark-json=out.json

What is timed comes from a real ultralytics ``DetectionTrainer`` set up as for training (``_setup_train``:
model, optimizer, GradScaler, EMA, dataloaders with ultralytics' worker rule, torch threads as
``select_device`` sets them) on a small synthetic dataset of full-size JPEGs, so the work is the trainer's own.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bench.microbench import rounds_for_budget

#: Synthetic training images: this many batches' worth (as the probe's mirror), so that ultralytics' worker rule
#: (never more workers than batches) is not what limits the loader.
TRAIN_BATCHES = 16


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("microbench", "component benchmarks (tests/microbench/bench_components.py)")
    g.addoption("--device", default="cpu", help="cpu (default), cuda, cuda:N or mps, as `bench run --device`")
    g.addoption("--model", default="yolov8n", help="model yaml stem, built with random weights (default yolov8n)")
    g.addoption("--imgsz", type=int, default=640, help="training image size in pixels (default 640)")
    g.addoption("--batch", type=int, default=16, help="images per batch (default 16)")
    g.addoption("--workers", type=int, default=8,
                help="dataloader workers asked for (default 8, ultralytics' default; it uses 0 on cpu and mps)")
    g.addoption("--mb-budget", type=float, default=30.0,
                help="seconds of timed rounds per benchmark (default 30); rounds = budget / warm-up call time")
    g.addoption("--mb-min-rounds", type=int, default=3, help="fewest timed rounds per benchmark (default 3)")
    g.addoption("--mb-warmup", type=int, default=1,
                help="untimed warm-up calls before the rounds (default 1; the last one sets the round count)")


@dataclass(frozen=True)
class Options:
    device: str
    model: str
    imgsz: int
    batch: int
    workers: int
    budget_seconds: float
    min_rounds: int
    warmup: int

    @classmethod
    def from_config(cls, config: pytest.Config) -> Options:
        o = cls(
            device=str(config.getoption("--device", "cpu")), model=str(config.getoption("--model", "yolov8n")),
            imgsz=int(config.getoption("--imgsz", 640)), batch=int(config.getoption("--batch", 16)),
            workers=int(config.getoption("--workers", 8)),
            budget_seconds=float(config.getoption("--mb-budget", 30.0)),
            min_rounds=int(config.getoption("--mb-min-rounds", 3)), warmup=int(config.getoption("--mb-warmup", 1)),
        )
        problems = [msg for bad, msg in (
            (o.imgsz < 32, f"--imgsz {o.imgsz}: must be at least 32 pixels"),
            (o.batch < 2, f"--batch {o.batch}: must be at least 2 (BatchNorm needs two values per channel)"),
            (o.workers < 0, f"--workers {o.workers}: must be >= 0"),
            (not (math.isfinite(o.budget_seconds) and o.budget_seconds >= 0),
             f"--mb-budget {o.budget_seconds}: must be a number of seconds >= 0"),
            (o.min_rounds < 1, f"--mb-min-rounds {o.min_rounds}: must be >= 1"),
            (o.warmup < 1, f"--mb-warmup {o.warmup}: must be >= 1 (the last warm-up call sets the round count)"),
        ) if bad]
        if problems:
            raise pytest.UsageError("; ".join(problems))
        return o


def pytest_configure(config: pytest.Config) -> None:
    Options.from_config(config)  # a bad option is a usage error before anything is built


# --------------------------------------------------------------------------------------------- timing
@dataclass
class Timed:
    """What :meth:`Components.measure` adds to a benchmark's extra_info (the rounds' times are
    pytest-benchmark's)."""

    warmup_seconds: list[float]
    rounds: int
    budget_seconds: float


# --------------------------------------------------------------------------------------------- the trainer
@dataclass
class Components:
    """An ultralytics DetectionTrainer set up for training, with what the benchmarks need from it."""

    trainer: Any
    options: Options
    sync: Callable[[], None]
    facts: dict[str, Any]  # extra_info shared by both benchmarks
    batches: list[dict[str, Any]]  # a few real batches from the loader, on the host, for the training step
    endless: Iterator[dict[str, Any]]  # the trainer's train loader, epoch after epoch

    def train_step(self, batch: dict[str, Any]) -> dict[str, float]:
        """One batch of ultralytics' training loop (BaseTrainer._do_train): preprocess (to the device, /255),
        forward with the loss, backward through the GradScaler, then ``optimizer_step`` (unscale, clip,
        step, zero_grad, EMA update). Returns the loss items."""
        import torch
        from ultralytics.utils.torch_utils import autocast

        tr = self.trainer
        with autocast(torch.bfloat16 if tr.args.amp == "bf16" else tr.amp, device=tr.device.type):
            batch = tr.preprocess_batch(batch)
            loss, tr.loss_items = tr.model(batch)
            tr.loss = loss.sum()
        tr.scaler.scale(tr.loss).backward()
        tr.optimizer_step()
        items = tr.loss_items
        return ({k: float(v) for k, v in items.items()} if isinstance(items, dict)
                else {f"loss{i}": float(v) for i, v in enumerate(items)})

    def measure(self, benchmark: Any, target: Callable[..., Any], setup: Callable[[], tuple[Any, ...]], *,
                device_sync: bool = True, warmup: int | None = None) -> Timed:
        """Time ``target(*setup())`` with pytest-benchmark, the device synchronized before each clock read.

        ``warmup`` calls (default ``--mb-warmup``; timed here, kept apart from the rounds) come first; the last
        one's time sets the number of rounds that fit ``--mb-budget`` (:func:`bench.microbench.rounds_for_budget`).
        ``setup`` runs outside the clock and ends with a sync, so a round starts on an idle device; ``target``
        ends with one, so the clock stops when the device has finished, not when the work was queued.
        ``device_sync=False`` for host-only work (the loader)."""
        o = self.options
        sync = self.sync if device_sync else (lambda: None)
        warm: list[float] = []
        for _ in range(warmup or o.warmup):
            args = setup()
            sync()
            t0 = time.perf_counter()
            target(*args)
            sync()
            warm.append(time.perf_counter() - t0)
        rounds = rounds_for_budget(o.budget_seconds, warm[-1], o.min_rounds)

        def synced_setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
            args = setup()
            sync()
            return args, {}

        def synced_target(*args: Any) -> None:
            target(*args)
            sync()

        benchmark.group = f"{o.model} {o.imgsz}px batch {o.batch} on {o.device}"
        benchmark.pedantic(synced_target, setup=synced_setup, rounds=rounds, warmup_rounds=0, iterations=1)
        return Timed(warm, rounds, o.budget_seconds)

    def describe(self, benchmark: Any, component: str, timed: Timed, images_per_batch: int) -> None:
        """Fill ``benchmark.extra_info`` (bench.microbench.EXTRA_INFO_KEYS and more) after the rounds."""
        stats = getattr(benchmark, "stats", None)  # None under --benchmark-disable
        median = float(stats.stats.median) if stats is not None else float("nan")
        benchmark.extra_info.update(component=component, **self.facts)
        benchmark.extra_info.update(
            images_per_batch=images_per_batch, seconds_per_image=median / images_per_batch,
            warmup_seconds=[round(t, 6) for t in timed.warmup_seconds], rounds_planned=timed.rounds,
            budget_seconds=timed.budget_seconds,
        )


def _endless(loader: Any) -> Iterator[dict[str, Any]]:
    while True:
        yield from loader


@pytest.fixture(scope="session")
def mb_options(pytestconfig: pytest.Config) -> Options:
    return Options.from_config(pytestconfig)


@pytest.fixture(scope="session")
def components(mb_options: Options, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Components]:
    """The trainer on a synthetic dataset (generated under pytest's temp dir), offline, on ``--device``."""
    from bench.errors import UsageError
    from bench.offline import patch_amp_check, prepare

    o = mb_options
    prepare(tmp_path_factory.mktemp("ultralytics-config"))  # before ultralytics is imported
    from bench.dataset import SyntheticSpec, ensure_synthetic
    from bench.probe import make_sync, resolve_device

    try:
        device = resolve_device(o.device)
    except UsageError as e:
        pytest.exit(str(e), returncode=pytest.ExitCode.USAGE_ERROR)
    import torch
    import ultralytics
    from ultralytics.models.yolo.detect import DetectionTrainer

    patch_amp_check()
    spec = SyntheticSpec(train=o.batch * TRAIN_BATCHES, val=4, test=0)
    info = ensure_synthetic(spec, tmp_path_factory.mktemp("datasets"))
    runs = tmp_path_factory.mktemp("runs")
    tr: Any = DetectionTrainer(overrides=dict(
        model=f"{o.model}.yaml", data=str(info.yaml_path), imgsz=o.imgsz, batch=o.batch, workers=o.workers,
        device=device.spec, epochs=3, pretrained=False, plots=False, val=False, amp=True, cache=False,
        seed=0, project=str(runs), name="train", exist_ok=True, verbose=False,
    ))
    tr._setup_train()
    tr._model_train()  # train mode, as each epoch of _do_train starts
    loader = tr.train_loader
    endless = _endless(loader)
    batches = [next(endless) for _ in range(min(4, TRAIN_BATCHES))]
    facts = {
        "device": device.type, "device_spec": o.device, "device_name": device.name, "model": o.model,
        "imgsz": int(tr.args.imgsz), "batch": o.batch, "workers": int(loader.num_workers),
        "workers_requested": o.workers, "torch_threads": torch.get_num_threads(), "amp": bool(tr.amp),
        "accumulate": int(tr.accumulate), "optimizer": type(tr.optimizer).__name__, "mosaic": True,
        "dataset": f"synthetic-{spec.key()}", "train_images": spec.train,
        "ultralytics": ultralytics.__version__, "torch": torch.__version__,
    }
    try:
        yield Components(tr, o, make_sync(device), facts, batches, endless)
    finally:
        for ld in (getattr(tr, "train_loader", None), getattr(tr, "test_loader", None)):
            with contextlib.suppress(Exception):
                ld.close()  # type: ignore[union-attr]

