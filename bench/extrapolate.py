"""From a workload profile to the wall time of a whole training run. Pure: no clock, no files, no torch.

The model follows ultralytics' training loop (engine/trainer.py, 8.4):

    full run = setup + warm-up excess
             + max(0, epochs - close_mosaic) x [train epoch with mosaic + validation pass + epoch fixed]
             + min(close_mosaic, epochs) x [train epoch without mosaic + validation pass + epoch fixed]
             + final evaluation (ultralytics validates best.pt once more after the last epoch: one validation
               pass plus its fixed cost, loading and fusing the weights and the final plots)

    train epoch = (train images / batch) x (data wait + compute) per steady-state batch
    validation  = (val images / val batch) x (data + compute) per val batch + fixed cost of a pass

Ranges: each per-unit cost carries its 80% interval from the probe (Student's t); the bounds are added (errors assumed
to move together, which is conservative), then widened by a systematic margin m that the probe cannot see
(the machine's speed moving between the probe and the run, thermal state, other load), each bound in
proportion to itself: low x (1 - m), high x (1 + m). ``bench validate`` measures how far
the median lands from a real full run, and that measurement is what the margin is set from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.profile import Phase, Profile
from bench.stats import ZERO, Range

#: Relative margin added to both bounds of a same-device estimate, for what a short probe cannot observe. The
#: default until a machine has validations of its own: `bench run` and `bench report` widen it to what at least
#: 3 of this machine's `bench validate` runs measured (bench.validate.margin_for), e.g. on a VM whose speed drifts.
SAME_DEVICE_SYSTEMATIC = 0.05

#: The run `bench` estimates unless told otherwise: 50 epochs (ultralytics' cfg/default.yaml says 100; 50 is the
#: length of the reference job), with ultralytics' default close_mosaic of 10.
DEFAULT_EPOCHS = 50
DEFAULT_CLOSE_MOSAIC = 10


@dataclass(frozen=True)
class RunEstimate:
    """Estimated wall time of a full training run, with its parts (seconds)."""

    full_run_seconds: Range
    seconds_per_epoch: Range  # mean over the run's epochs (mosaic and no-mosaic), train + val + fixed
    seconds_per_epoch_mosaic: Range
    seconds_per_epoch_plain: Range
    epochs: int
    close_mosaic: int
    parts_seconds: dict[str, float] = field(default_factory=dict)  # medians, summing to full_run_seconds.median
    systematic: float = SAME_DEVICE_SYSTEMATIC

    def to_dict(self) -> dict[str, object]:
        return {
            "full_run_seconds": self.full_run_seconds.to_dict(),
            "seconds_per_epoch": self.seconds_per_epoch.to_dict(),
            "seconds_per_epoch_mosaic": self.seconds_per_epoch_mosaic.to_dict(),
            "seconds_per_epoch_plain": self.seconds_per_epoch_plain.to_dict(),
            "epochs": self.epochs,
            "close_mosaic": self.close_mosaic,
            "parts_seconds": dict(self.parts_seconds),
            "systematic": self.systematic,
        }


def epoch_split(epochs: int, close_mosaic: int) -> tuple[int, int]:
    """(epochs with mosaic, epochs without). ultralytics closes mosaic at epoch >= epochs - close_mosaic."""
    if epochs < 1:
        raise ValueError("epochs must be >= 1")
    if close_mosaic < 0:
        raise ValueError("close_mosaic must be >= 0")
    plain = min(close_mosaic, epochs) if close_mosaic else 0
    return epochs - plain, plain


def describe_epochs(epochs: int, close_mosaic: int) -> str:
    """``"50 epochs (40 with mosaic, 10 without)"``: the split :func:`epoch_split` makes."""
    n_mosaic, n_plain = epoch_split(epochs, close_mosaic)
    return f"{epochs} epochs ({n_mosaic} with mosaic, {n_plain} without)"


def train_epoch_seconds(profile: Profile, phase: Phase) -> Range:
    """One training epoch over the whole training set in one data-pipeline phase."""
    return phase.seconds_per_batch.scale(profile.train_batches_per_epoch)


def epoch_seconds(profile: Profile, phase: Phase) -> Range:
    """One whole epoch: training batches, the validation pass, the epoch's fixed work."""
    return train_epoch_seconds(profile, phase) + profile.val_seconds_per_pass() + profile.epoch_fixed_seconds


def estimate_run(profile: Profile, epochs: int = DEFAULT_EPOCHS, close_mosaic: int = DEFAULT_CLOSE_MOSAIC,
                 systematic: float = SAME_DEVICE_SYSTEMATIC) -> RunEstimate:
    """Full-run wall time for ``epochs`` epochs with ultralytics' ``close_mosaic`` (see module docstring)."""
    if systematic < 0:
        raise ValueError("systematic must be >= 0")
    n_mosaic, n_plain = epoch_split(epochs, close_mosaic)
    ep_m = epoch_seconds(profile, profile.mosaic)
    ep_p = epoch_seconds(profile, profile.plain)
    val = profile.val_seconds_per_pass()
    once = Range.exact(profile.setup_seconds + profile.warmup_excess_seconds + profile.final_fixed_seconds)
    full = once + ep_m.scale(n_mosaic) + ep_p.scale(n_plain) + val  # + val: final evaluation of best.pt
    per_epoch = (ep_m.scale(n_mosaic) + ep_p.scale(n_plain)).scale(1.0 / epochs)

    nb = profile.train_batches_per_epoch
    parts = {
        "setup": profile.setup_seconds,
        "warmup": profile.warmup_excess_seconds,
        "final": profile.final_fixed_seconds,
        "train_data": nb * (n_mosaic * profile.mosaic.data_seconds_per_batch.median
                            + n_plain * profile.plain.data_seconds_per_batch.median),
        "train_compute": nb * (n_mosaic * profile.mosaic.compute_seconds_per_batch.median
                               + n_plain * profile.plain.compute_seconds_per_batch.median),
        "val": (epochs + 1) * val.median,
        "epoch_fixed": epochs * profile.epoch_fixed_seconds.median,
    }
    return RunEstimate(
        full_run_seconds=full.widen(systematic),
        seconds_per_epoch=per_epoch.widen(systematic),
        seconds_per_epoch_mosaic=ep_m.widen(systematic) if n_mosaic else ZERO,
        seconds_per_epoch_plain=ep_p.widen(systematic) if n_plain else ZERO,
        epochs=epochs,
        close_mosaic=close_mosaic,
        parts_seconds=parts,
        systematic=systematic,
    )


#: ultralytics keeps the images it decoded last in RAM (data/base.py ``load_image``: ``max_buffer_length = min(ni,
#: batch x 8, 1000)`` while augmenting; ``cache=ram`` holds them all instead). An image still in that buffer when an
#: epoch asks for it again is not decoded again, and mosaic's three extra images are drawn from the buffer itself
#: (data/augment.py ``Mosaic.get_indexes``), so only each sample's own image can cost a decode.
BUFFER_PER_BATCH_IMAGE = 8
BUFFER_MAX = 1000
#: At or above this share of the training set in the buffer, the buffer changes the data cost noticeably.
BUFFER_NOTE_SHARE = 0.25
#: Epochs and shuffles simulated for :func:`decodes_per_image` (fixed seeds: the same answer every time).
BUFFER_SIM_EPOCHS = 8
BUFFER_SIM_SEEDS = (0, 1, 2)


def buffer_images(train_images: int, batch: int) -> int:
    """How many decoded training images ultralytics keeps in RAM while training with augmentation."""
    return min(train_images, batch * BUFFER_PER_BATCH_IMAGE, BUFFER_MAX)


def decodes_per_image(train_images: int, batch: int) -> tuple[float, float]:
    """Expected image decodes per training sample in a full run's first epoch and, on average, in each later one.

    Simulates ultralytics' buffer: each epoch visits every image once in a fresh random order (the sampler's
    shuffle); an image not in the buffer is decoded and appended, and once the buffer reaches its length the
    oldest is dropped (``if 1 < len(buffer) >= max_buffer_length: pop(0)``). Checked against counts of a real run
    (192 images, batch 16, buffer 128): 1.00 decodes per sample in epoch 1, 0.52 and 0.58 in epochs 2 and 3;
    simulated 1.00 and 0.57-0.66. A dataset 50 times the buffer or larger decodes every image: (1.0, 1.0)."""
    n = train_images
    if n <= 0 or batch <= 0:
        raise ValueError("train_images and batch must be > 0")
    cap = buffer_images(n, batch)
    if n > 50 * cap:
        return 1.0, 1.0
    import random

    first: list[float] = []
    later: list[float] = []
    for seed in BUFFER_SIM_SEEDS:
        rng = random.Random(seed)
        buf: list[int] = []
        held: set[int] = set()
        for epoch in range(BUFFER_SIM_EPOCHS):
            order = list(range(n))
            rng.shuffle(order)
            misses = 0
            for i in order:
                if i in held:
                    continue
                misses += 1
                buf.append(i)
                held.add(i)
                if 1 < len(buf) >= cap:
                    held.discard(buf.pop(0))
            (first if epoch == 0 else later).append(misses / n)
    return sum(first) / len(first), sum(later) / len(later)


def image_buffer_note(train_images: int, batch: int, cache: str) -> str | None:
    """A note when the probe's data cost could not be rescaled to the full dataset's decodes (the images were
    loaded in dataloader worker processes, where the harness cannot count them) and the buffer holds at least
    :data:`BUFFER_NOTE_SHARE` of the training set (4,195 images, batch 16: 3%: no note)."""
    if train_images <= 0 or cache == "ram":
        return None
    held = buffer_images(train_images, batch)
    share = held / train_images
    if share < BUFFER_NOTE_SHARE:
        return None
    return (f"data loading at the first epoch's rate: ultralytics keeps the last {held} decoded images in RAM "
            f"({share:.0%} of the {train_images} training images), so later epochs decode fewer and the data part "
            f"of this estimate reads high (decodes are counted, and the estimate corrected, only with 0 dataloader "
            f"workers)")


#: ultralytics' defaults (cfg/default.yaml): the nominal batch size gradients are accumulated to, and the warm-up.
NOMINAL_BATCH = 64
WARMUP_EPOCHS = 3.0


#: ultralytics' ``optimizer=auto`` trains with MuSGD when the run has more than this many iterations of
#: ``max(batch, nbs)`` images, else with AdamW (engine/trainer.py ``build_optimizer``, 8.4).
AUTO_OPTIMIZER_ITERATIONS = 10_000


def auto_optimizer(train_images: int, batch: int, epochs: int) -> str:
    """The optimizer ultralytics' ``optimizer=auto`` builds for a run (8.4): "MuSGD" or "AdamW"."""
    iterations = -(-train_images // max(batch, NOMINAL_BATCH)) * epochs
    return "MuSGD" if iterations > AUTO_OPTIMIZER_ITERATIONS else "AdamW"


def optimizer_steps_per_batch(epochs: int, batches_per_epoch: int, batch: int) -> float:
    """Optimizer steps per training batch over a whole run, as ultralytics schedules them (engine/trainer.py 8.4):
    ``accumulate = max(round(nbs / batch), 1)`` (capped at the run's batches); over the first ``nw =
    round(min(warmup_epochs, epochs - 1) x nb)`` iterations it ramps from 1 to that value
    (``max(1, int(np.interp(ni, [0, nw], [1, accumulate]).round()))``); a step runs when ``ni - last_step >=
    accumulate``. Batch 16: 4 batches a step once warm, so 50 epochs of 263 batches take 0.26 steps per batch and 12
    epochs of 12 batches 0.31; batch 64 or more steps every batch."""
    if epochs < 1 or batches_per_epoch < 1 or batch < 1:
        raise ValueError("epochs, batches_per_epoch and batch must be >= 1")
    total = epochs * batches_per_epoch
    acc0 = min(max(round(NOMINAL_BATCH / batch), 1), total)
    nw = round(min(WARMUP_EPOCHS, max(epochs - 1, 0)) * batches_per_epoch)
    acc, last, steps = acc0, -1, 0
    for ni in range(min(total, nw + 1)):  # the warm-up, batch by batch
        if nw:
            acc = max(1, round(1 + (acc0 - 1) * ni / nw))  # np.interp on [0, nw]; round() halves to even, as numpy
        if ni - last >= acc:
            steps += 1
            last = ni
    # after it every acc0-th batch steps (acc has reached acc0 at ni = nw): counted, not walked, so that a run of
    # 1e9 epochs costs no more than one of 50
    steps += max(0, (total - 1 - last) // acc0)
    return steps / total


def epoch_parts(profile: Profile, phase: Phase) -> dict[str, float]:
    """Median seconds of one epoch split into data, compute, validation and overhead (for the breakdown plot)."""
    nb = profile.train_batches_per_epoch
    return {
        "data": nb * phase.data_seconds_per_batch.median,
        "compute": nb * phase.compute_seconds_per_batch.median,
        "val": profile.val_seconds_per_pass().median,
        "overhead": profile.epoch_fixed_seconds.median,
    }
