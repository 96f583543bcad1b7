"""Component benchmarks: one training step and one dataloader batch of ultralytics YOLOv8 training.

Not collected by a plain ``python -m pytest`` (the name does not match ``test_*.py``); run with
``nox -s microbench -- --device cpu``. conftest.py has the options, the trainer the pieces come from, and the
timing (device-synchronized, rounds fitted to ``--mb-budget``). Each benchmark's extra_info holds what
bench.microbench needs to set it beside a probe record.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from bench.probe import check_losses

if TYPE_CHECKING:
    from conftest import Components


def test_train_step(benchmark: Any, components: Components) -> None:
    """Preprocess a real batch to the device, forward, loss, backward, optimizer step (with clipping and EMA).

    Each round gets a fresh shallow copy of one of a few batches drawn from the loader beforehand, so the
    loader's cost stays out. ultralytics steps the optimizer once every ``accumulate`` batches (in
    extra_info); this steps it every round, a small overestimate (one AdamW step and EMA update of the model)."""
    cycle = itertools.cycle(components.batches)
    losses: list[dict[str, float]] = []

    def setup() -> tuple[Any, ...]:
        return (dict(next(cycle)),)  # preprocess_batch replaces tensors in the dict it gets, not in ours

    def step(batch: dict[str, Any]) -> None:
        losses.append(components.train_step(batch))

    timed = components.measure(benchmark, step, setup)
    images = {int(b["img"].shape[0]) for b in components.batches}
    assert len(images) == 1, f"batches of different sizes {images}"
    components.describe(benchmark, "train_step", timed, images.pop())
    assert check_losses(losses) is None, check_losses(losses)


def test_loader_batch(benchmark: Any, components: Components) -> None:
    """One batch from ultralytics' training dataloader (build_yolo_dataset + build_dataloader, mosaic on, its
    worker rule), as the training loop receives it: decoded, augmented, collated, on the host.

    With workers (cuda), the warm-up first drains the batches they prefetched, so the rounds time the loader's
    throughput: the time per batch a training loop would wait if the data side were the bottleneck."""
    loader = components.trainer.train_loader
    prefetched = loader.num_workers * (loader.prefetch_factor or 0)
    images: list[int] = []

    def fetch() -> None:
        images.append(int(next(components.endless)["img"].shape[0]))

    timed = components.measure(benchmark, fetch, tuple, device_sync=False,
                               warmup=max(components.options.warmup, prefetched + 1))
    assert len(set(images)) == 1, f"batches of different sizes {sorted(set(images))}"
    components.describe(benchmark, "loader_batch", timed, images[0])
