from __future__ import annotations

import pytest

from bench.extrapolate import epoch_parts, epoch_split, estimate_run
from bench.profile import Profile
from bench.stats import Range
from tests.conftest import make_profile, r


def test_epoch_split_follows_ultralytics_close_mosaic() -> None:
    assert epoch_split(50, 10) == (40, 10)
    assert epoch_split(5, 10) == (0, 5)  # close_mosaic >= epochs: mosaic off from the start
    assert epoch_split(50, 0) == (50, 0)


def test_full_run_worked_by_hand(profile: Profile) -> None:
    # train: 160/16 = 10 batches; mosaic 10 s/batch -> 100 s, plain 9.5 s/batch -> 95 s
    # val pass: 64/32 = 2 batches x 4 s + 1 s fixed = 9 s; epoch fixed 2 s
    # epoch mosaic = 100 + 9 + 2 = 111 s; plain = 95 + 9 + 2 = 106 s
    # run of 5 epochs, close_mosaic 2: 3 x 111 + 2 x 106 = 545; + setup 5 + warm-up 7 + final 3 + final val 9
    est = estimate_run(profile, epochs=5, close_mosaic=2, systematic=0.0)
    assert est.seconds_per_epoch_mosaic.median == pytest.approx(111.0)
    assert est.seconds_per_epoch_plain.median == pytest.approx(106.0)
    assert est.full_run_seconds.median == pytest.approx(545 + 5 + 7 + 3 + 9)
    assert est.seconds_per_epoch.median == pytest.approx(545 / 5)
    assert sum(est.parts_seconds.values()) == pytest.approx(est.full_run_seconds.median)


def test_systematic_margin_widens_symmetrically(profile: Profile) -> None:
    est = estimate_run(profile, epochs=5, close_mosaic=2, systematic=0.05)
    m = est.full_run_seconds.median
    assert est.full_run_seconds.low == pytest.approx(m * 0.95)
    assert est.full_run_seconds.high == pytest.approx(m * 1.05)


def test_ranges_propagate_from_batches() -> None:
    p = make_profile(mosaic=make_profile().mosaic.__class__(r(1.0, 0.1), r(9.0, 0.1), 5))
    est = estimate_run(p, epochs=1, close_mosaic=0, systematic=0.0)
    # only the mosaic batches carry +-10%: 10 batches x 10 s x 10% = +-10 s
    assert est.full_run_seconds.high - est.full_run_seconds.median == pytest.approx(10.0)
    assert est.full_run_seconds.median - est.full_run_seconds.low == pytest.approx(10.0)


@pytest.mark.parametrize("epochs", [1, 2, 10, 11, 50, 300])
def test_more_epochs_never_shorter(profile: Profile, epochs: int) -> None:
    a = estimate_run(profile, epochs=epochs, close_mosaic=10)
    b = estimate_run(profile, epochs=epochs + 1, close_mosaic=10)
    assert b.full_run_seconds.median > a.full_run_seconds.median
    assert b.full_run_seconds.low >= a.full_run_seconds.low


def test_bigger_dataset_scales_train_and_val(profile: Profile) -> None:
    big = profile.with_dataset(train_images=1600, val_images=640)
    small = epoch_parts(profile, profile.mosaic)["compute"]
    assert epoch_parts(big, big.mosaic)["compute"] == pytest.approx(10 * small)
    assert big.val_seconds_per_pass().median == pytest.approx(20 * 4.0 + 1.0)


def test_invalid_arguments(profile: Profile) -> None:
    with pytest.raises(ValueError):
        estimate_run(profile, epochs=0)
    with pytest.raises(ValueError):
        estimate_run(profile, systematic=-1)


def test_default_estimate_by_hand() -> None:
    # 50 epochs, the last 10 plain: 5524 s (see the conftest profile's hand computation), widened by the 5%
    # same-device margin in proportion: 5524 x 0.95 and 5524 x 1.05
    full = estimate_run(make_profile()).full_run_seconds
    assert isinstance(full, Range)
    assert (full.median, full.low, full.high) == pytest.approx((5524.0, 5247.8, 5800.2))


def test_image_buffer_note_for_small_datasets_only() -> None:
    from bench.extrapolate import image_buffer_note

    note = image_buffer_note(192, 16, "false")
    assert note is not None and "last 128 decoded images" in note and "67% of the 192" in note
    assert image_buffer_note(512, 16, "false") is not None  # 128 of 512: 25%, at the threshold
    assert image_buffer_note(513, 16, "false") is None
    assert image_buffer_note(4195, 16, "false") is None  # the real dataset: 3% in the buffer
    assert image_buffer_note(192, 16, "ram") is None  # cache=ram holds every image anyway
    assert "last 50 decoded" in (image_buffer_note(50, 16, "disk") or "")  # never more than the dataset
    assert "last 1000 decoded" in (image_buffer_note(3000, 256, "false") or "")  # ultralytics' cap
    assert image_buffer_note(0, 16, "false") is None


def test_decodes_per_image_follow_ultralytics_buffer() -> None:
    from bench.extrapolate import buffer_images, decodes_per_image

    assert buffer_images(192, 16) == 128 and buffer_images(4195, 16) == 128 and buffer_images(50_000, 256) == 1000
    first, later = decodes_per_image(192, 16)
    # counted in a real run (192 images, batch 16): 1.00 per sample in the first epoch, 0.52 and 0.58 after
    assert first == 1.0 and 0.5 <= later <= 0.7
    assert decodes_per_image(192, 16) == (first, later)  # fixed seeds: the same answer every time
    # a buffer as large as the dataset keeps all but one image: almost nothing is decoded again
    assert 0 < decodes_per_image(100, 16)[1] < 0.1
    # the larger the dataset against the buffer, the more of it each epoch decodes again
    assert later < decodes_per_image(256, 16)[1] < decodes_per_image(1000, 16)[1] <= 1.0
    assert decodes_per_image(10_000, 16) == (1.0, 1.0)
    with pytest.raises(ValueError):
        decodes_per_image(0, 16)


def test_optimizer_steps_follow_ultralytics_accumulate_schedule() -> None:
    from bench.extrapolate import optimizer_steps_per_batch

    # by hand, 2 epochs of 4 batches at batch 16: accumulate 4, warm-up nw = round(min(3, 1) x 4) = 4 iterations;
    # accumulate at ni 0..4 = 1, 2 (1.75), 2 (2.5 rounds to even), 3 (3.25), 4; steps at ni 0, 2, 6: 3 of 8
    assert optimizer_steps_per_batch(2, 4, 16) == pytest.approx(3 / 8)
    assert optimizer_steps_per_batch(50, 263, 16) == pytest.approx(0.264, abs=0.001)  # the reference job
    assert optimizer_steps_per_batch(12, 12, 16) == pytest.approx(0.306, abs=0.001)  # the validation workload
    assert optimizer_steps_per_batch(50, 263, 64) == 1.0  # batch >= nbs (64): a step every batch
    assert optimizer_steps_per_batch(1, 1, 16) == 1.0  # accumulate is capped at the run's batches
    with pytest.raises(ValueError):
        optimizer_steps_per_batch(0, 4, 16)


def test_epoch_ranges_are_widened_by_the_systematic_margin() -> None:
    est = estimate_run(make_profile(), epochs=5, close_mosaic=2, systematic=0.05)
    m, pe = est.seconds_per_epoch_mosaic, est.seconds_per_epoch
    assert (m.median, m.low, m.high) == pytest.approx((111.0, 111 * 0.95, 111 * 1.05))
    assert (pe.median, pe.low, pe.high) == pytest.approx((109.0, 109 * 0.95, 109 * 1.05))


def test_optimizer_steps_in_a_warm_up_shorter_than_the_run() -> None:
    from bench.extrapolate import optimizer_steps_per_batch

    # 3 epochs of 2 batches at batch 16: accumulate = 4 (64 / 16) and nw = 4 warm-up iterations; ultralytics'
    # accumulate at ni 0..4 = 1, 2, 2, 3, 4: a step at ni 0 and 2 (ni - last >= accumulate), none after: 2 of 6
    assert optimizer_steps_per_batch(3, 2, 16) == pytest.approx(2 / 6)
