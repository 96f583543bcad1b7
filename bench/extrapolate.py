"""From a workload profile to the wall time of a whole training run. Pure: no clock, no files, no torch.

The model follows ultralytics' training loop (engine/trainer.py, 8.4):

    full run = setup + warm-up excess
             + (epochs - close_mosaic) x [train epoch with mosaic    + validation pass + epoch fixed]
             + min(close_mosaic, epochs) x [train epoch without mosaic + validation pass + epoch fixed]
             + final evaluation (ultralytics validates best.pt once more after the last epoch: one validation
               pass plus its fixed cost, loading and fusing the weights and the final plots)

    train epoch = (train images / batch) x (data wait + compute) per steady-state batch
    validation  = (val images / val batch) x (data + compute) per val batch + fixed cost of a pass

Ranges: each per-unit cost carries its bootstrap range from the probe; the bounds are added (errors assumed
to move together, which is conservative), then widened by a systematic margin that the probe cannot see
(validation time drifts as the model learns, thermal state, other load). ``bench validate`` measures how far
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

#: ultralytics' defaults (cfg/default.yaml).
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


#: ultralytics keeps the images it decoded last in RAM for mosaic (data/base.py: ``max_buffer_length = min(ni,
#: batch x 8, 1000)`` while augmenting, unless ``cache=ram`` holds them all); an image still in that buffer when an
#: epoch asks for it again is not decoded again.
BUFFER_PER_BATCH_IMAGE = 8
BUFFER_MAX = 1000
#: At or above this share of the training set in the buffer, the probe's first-epoch data cost reads high.
BUFFER_NOTE_SHARE = 0.25


def image_buffer_note(train_images: int, batch: int, cache: str) -> str | None:
    """A note for a small dataset: the probe times data loading in the first epoch, when every image is decoded;
    later epochs find part of them in ultralytics' image buffer. None when the buffer holds under
    :data:`BUFFER_NOTE_SHARE` of the training set (4,195 images, batch 16: 3%) or ``cache=ram`` holds everything."""
    if train_images <= 0 or cache == "ram":
        return None
    held = min(train_images, batch * BUFFER_PER_BATCH_IMAGE, BUFFER_MAX)
    share = held / train_images
    if share < BUFFER_NOTE_SHARE:
        return None
    return (f"data loading at the first epoch's rate: ultralytics keeps the last {held} decoded images in RAM "
            f"({share:.0%} of the {train_images} training images), so later epochs decode fewer and the data part "
            f"of this estimate reads high (by about 1% of the run on a 2-core CPU with 192 images, where the buffer "
            f"holds 67%)")


def epoch_parts(profile: Profile, phase: Phase) -> dict[str, float]:
    """Median seconds of one epoch split into data, compute, validation and overhead (for the breakdown plot)."""
    nb = profile.train_batches_per_epoch
    return {
        "data": nb * phase.data_seconds_per_batch.median,
        "compute": nb * phase.compute_seconds_per_batch.median,
        "val": profile.val_seconds_per_pass().median,
        "overhead": profile.epoch_fixed_seconds.median,
    }
