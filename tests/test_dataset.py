"""Tests of bench.dataset: the synthetic generator (tiny specs, a few seconds in all) and data.yaml checks."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image

import bench.dataset as ds
from bench.dataset import (
    IMG_SUFFIXES,
    DatasetInfo,
    SyntheticSpec,
    ensure_synthetic,
    image_bytes,
    label_path,
    load_dataset,
    render_image,
)
from bench.errors import UsageError

TINY = SyntheticSpec(train=6, val=3, test=2, width=96, height=64)


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every image and label file under ``root``, by relative path."""
    out = {}
    for kind in ("images", "labels"):
        for p in sorted((root / kind).rglob("*")):
            if p.is_file():
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> DatasetInfo:
    return ensure_synthetic(TINY, tmp_path_factory.mktemp("datasets"), jobs=1)


# --------------------------------------------------------------------------------------------------------
# Synthetic dataset
# --------------------------------------------------------------------------------------------------------


def test_layout_counts_and_yaml(tiny: DatasetInfo) -> None:
    root = tiny.root
    assert root.name == f"synthetic-{TINY.key()}"
    assert root.is_absolute()
    assert (len(tiny.train_images), len(tiny.val_images), len(tiny.test_images)) == (6, 3, 2)
    for split, images in (("train", tiny.train_images), ("val", tiny.val_images), ("test", tiny.test_images)):
        assert list(images) == sorted(images)
        assert all(p.parent == root / "images" / split and p.suffix == ".jpg" for p in images)
        assert len(list((root / "labels" / split).glob("*.txt"))) == len(images)
    data = yaml.safe_load(tiny.yaml_path.read_text())
    assert data == {
        "path": str(root),
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "names": {0: "class0", 1: "class1", 2: "class2"},
    }
    assert tiny.names == ("class0", "class1", "class2")
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["spec"] == dataclasses.asdict(TINY)
    assert manifest["generator_version"] == ds.GENERATOR_VERSION
    assert manifest["counts"] == {"train": 6, "val": 3, "test": 2}
    assert manifest["image_bytes"]["train"] == tiny.train_bytes == image_bytes(tiny.train_images)
    assert tiny.val_bytes == image_bytes(tiny.val_images)
    assert tiny.test_bytes == image_bytes(tiny.test_images)
    assert manifest["seconds"] >= 0
    assert not _temps(root.parent)


def test_images_and_labels(tiny: DatasetInfo) -> None:
    for image in (*tiny.train_images, *tiny.val_images, *tiny.test_images):
        with Image.open(image) as im:
            assert im.format == "JPEG"
            assert im.size == (96, 64)
            assert im.mode == "RGB"
            im.load()
        lines = label_path(image).read_text().splitlines()
        assert 1 <= len(lines) <= ds.MAX_BOXES_PER_IMAGE
        for line in lines:
            parts = line.split()
            assert len(parts) == 5
            assert parts[0] in {"0", "1", "2"}
            assert all(len(p.split(".")[1]) == 6 for p in parts[1:])  # six decimals
            cx, cy, w, h = map(float, parts[1:])
            assert 0 < w <= 0.5 + 1e-6 and 0 < h <= 0.5 + 1e-6
            assert 0 <= cx - w / 2 < cx + w / 2 <= 1  # fully inside the image
            assert 0 <= cy - h / 2 < cy + h / 2 <= 1


def test_to_record(tiny: DatasetInfo) -> None:
    rec = tiny.to_record()
    json.dumps(rec)  # JSON-able
    assert rec["yaml_path"] == str(tiny.yaml_path)
    assert rec["synthetic"]["key"] == TINY.key()
    assert rec["synthetic"]["spec"] == dataclasses.asdict(TINY)
    assert rec["counts"] == {"train_images": 6, "val_images": 3, "test_images": 2, "unlabeled_images": 0}
    assert rec["bytes"]["train_bytes"] == tiny.train_bytes
    labels = sum(p.stat().st_size for p in (tiny.root / "labels").rglob("*.txt"))
    assert rec["bytes"]["label_bytes"] == labels
    assert rec["total_bytes"] == tiny.train_bytes + tiny.val_bytes + tiny.test_bytes + labels
    assert rec["classes"] == 3


def test_deterministic_whatever_the_number_of_processes(tmp_path: Path) -> None:
    a = ensure_synthetic(TINY, tmp_path / "a", jobs=1)
    b = ensure_synthetic(TINY, tmp_path / "b", jobs=2)
    da, db = _digests(a.root), _digests(b.root)
    assert len(da) == 2 * TINY.total
    assert da == db
    other = ensure_synthetic(dataclasses.replace(TINY, seed=1), tmp_path / "a", jobs=1)
    assert _digests(other.root) != da


def test_reuse_does_not_regenerate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = ensure_synthetic(TINY, tmp_path, jobs=1)
    stamp = (first.root / "manifest.json").stat().st_mtime_ns

    def boom(*args: object) -> None:
        raise AssertionError("regenerated")

    monkeypatch.setattr(ds, "_generate_chunk", boom)
    again = ensure_synthetic(TINY, tmp_path, jobs=1)
    assert again == first
    assert (first.root / "manifest.json").stat().st_mtime_ns == stamp


def test_progress_reports_every_image(tmp_path: Path) -> None:
    calls: list[tuple[int, int]] = []
    ensure_synthetic(TINY, tmp_path, jobs=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, TINY.total)
    assert calls[-1] == (TINY.total, TINY.total)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_key_changes_with_every_field() -> None:
    base = SyntheticSpec()
    changed: dict[str, Any] = {
        "train": 10,
        "val": 10,
        "test": 10,
        "width": 320,
        "height": 320,
        "classes": 5,
        "boxes_per_image": 2.5,
        "jpeg_quality": 75,
        "seed": 7,
    }
    assert set(changed) == {f.name for f in dataclasses.fields(SyntheticSpec)}
    keys = {base.key()} | {dataclasses.replace(base, **{k: v}).key() for k, v in changed.items()}
    assert len(keys) == len(changed) + 1
    assert len(base.key()) == 12 and all(c in "0123456789abcdef" for c in base.key())
    assert SyntheticSpec(boxes_per_image=6).key() == base.key()  # 6 and 6.0 are the same spec


def test_key_changes_with_generator_version(monkeypatch: pytest.MonkeyPatch) -> None:
    before = SyntheticSpec().key()
    monkeypatch.setattr(ds, "GENERATOR_VERSION", ds.GENERATOR_VERSION + "x")
    assert SyntheticSpec().key() != before


def test_reference_job_defaults() -> None:
    spec = SyntheticSpec()
    assert (spec.train, spec.val, spec.test, spec.width, spec.height) == (4195, 400, 398, 640, 480)
    assert (spec.classes, spec.boxes_per_image, spec.jpeg_quality, spec.seed) == (3, 6.0, 90, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("train", 0),
        ("val", 0),
        ("test", -1),
        ("width", 31),
        ("height", 8),
        ("classes", 0),
        ("jpeg_quality", 0),
        ("jpeg_quality", 96),
        ("seed", -1),
        ("train", 2.5),
        ("val", True),
        ("boxes_per_image", 0),
        ("boxes_per_image", 31),
    ],
)
def test_spec_validation(field: str, value: object) -> None:
    with pytest.raises(UsageError) as err:
        SyntheticSpec(**{field: value})  # type: ignore[arg-type]
    msg = str(err.value)
    assert f"{field}={value!r}" in msg and "\n" not in msg


def test_bad_jobs(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="jobs"):
        ensure_synthetic(TINY, tmp_path, jobs=0)


def test_half_generated_directory_is_regenerated(tmp_path: Path) -> None:
    final = tmp_path / f"synthetic-{TINY.key()}"
    (final / "images" / "train").mkdir(parents=True)
    (final / "images" / "train" / "junk.jpg").write_bytes(b"half written")
    info = ensure_synthetic(TINY, tmp_path, jobs=1)
    assert info.root == final
    assert not (final / "images" / "train" / "junk.jpg").exists()
    assert (final / "manifest.json").exists() and len(info.train_images) == TINY.train


def test_missing_image_or_foreign_manifest_regenerates(tmp_path: Path) -> None:
    info = ensure_synthetic(TINY, tmp_path, jobs=1)
    info.val_images[0].unlink()
    again = ensure_synthetic(TINY, tmp_path, jobs=1)
    assert len(again.val_images) == TINY.val
    manifest = json.loads((info.root / "manifest.json").read_text())
    manifest["generator_version"] = "0"
    (info.root / "manifest.json").write_text(json.dumps(manifest))
    third = ensure_synthetic(TINY, tmp_path, jobs=1)
    assert json.loads((third.root / "manifest.json").read_text())["generator_version"] == ds.GENERATOR_VERSION


def test_moved_folder_gets_its_yaml_path_fixed(tmp_path: Path) -> None:
    info = ensure_synthetic(TINY, tmp_path / "a", jobs=1)
    (tmp_path / "a").rename(tmp_path / "b")
    moved = ensure_synthetic(TINY, tmp_path / "b", jobs=1)
    assert yaml.safe_load(moved.yaml_path.read_text())["path"] == str(tmp_path / "b" / info.root.name)


@pytest.mark.parametrize("jobs", [1, 2])
def test_temp_dir_removed_after_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("worker failed")

    monkeypatch.setattr(ds, "_generate_chunk", boom)
    if jobs == 1:
        with pytest.raises(RuntimeError, match="worker failed"):
            ensure_synthetic(TINY, tmp_path, jobs=1)
    else:
        # A worker process may not see the monkeypatch (spawn start method); interrupt from progress instead.
        monkeypatch.undo()

        def interrupt(done: int, total: int) -> None:
            if done:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            ensure_synthetic(TINY, tmp_path, jobs=jobs, progress=interrupt)
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_dirs_are_removed_live_ones_kept(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    dead = tmp_path / f".tmp-synthetic-{'a' * 12}-{proc.pid}-00000000"
    live = tmp_path / f".tmp-synthetic-{'b' * 12}-{os.getppid()}-00000000"
    old = tmp_path / f".tmp-synthetic-{'c' * 12}-{os.getppid()}-00000000"
    # the same, named with their host: this one's (as runs name them now), and another's, whose pids mean nothing
    # here (a container or machine sharing the folder: its live generation must not be removed)
    here, away = ds._host_tag(), "0" * 8 if ds._host_tag() != "0" * 8 else "1" * 8
    dead_here = tmp_path / f".tmp-synthetic-{'d' * 12}-h{here}-{proc.pid}-00000000"
    dead_pid_away = tmp_path / f".tmp-synthetic-{'e' * 12}-h{away}-{proc.pid}-00000000"
    old_away = tmp_path / f".tmp-synthetic-{'f' * 12}-h{away}-{proc.pid}-00000000"
    for d in (dead, live, old, dead_here, dead_pid_away, old_away):
        (d / "images").mkdir(parents=True, exist_ok=True)
    hours = time.time() - ds.STALE_TEMP_SECONDS - 60
    os.utime(old, (hours, hours))
    os.utime(old_away, (hours, hours))
    ensure_synthetic(TINY, tmp_path, jobs=1)
    assert live.exists() and dead_pid_away.exists()
    assert not dead.exists() and not old.exists() and not dead_here.exists() and not old_away.exists()


def test_lost_rename_race_uses_the_winners_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_rename = os.rename

    def other_process_wins(src: str | Path, dst: str | Path) -> None:
        real_rename(src, str(dst) + ".winner")  # stand-in for another process's complete copy
        real_rename(str(dst) + ".winner", dst)
        Path(src).mkdir()  # ours still exists, complete
        raise OSError(39, "Directory not empty")

    monkeypatch.setattr(os, "rename", other_process_wins)
    info = ensure_synthetic(TINY, tmp_path, jobs=1)
    assert info.root == tmp_path / f"synthetic-{TINY.key()}"
    assert len(info.train_images) == TINY.train
    assert not _temps(tmp_path)


def test_full_size_image_costs_what_a_photo_costs() -> None:
    spec = SyntheticSpec()
    sizes = []
    for i in range(3):
        jpeg, label = render_image(spec, "train", i)
        sizes.append(len(jpeg))
        assert label.strip()
    with Image.open(io.BytesIO(jpeg)) as im:
        assert im.size == (640, 480)
    assert all(40_000 < s < 200_000 for s in sizes), sizes
    assert render_image(spec, "train", 0) == render_image(spec, "train", 0)
    assert render_image(spec, "train", 0) != render_image(spec, "val", 0)


# --------------------------------------------------------------------------------------------------------
# label_path, IMG_SUFFIXES, image_bytes
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "label"),
    [
        ("/d/images/train/a.jpg", "/d/labels/train/a.txt"),
        ("/images/x/images/y/b.PNG", "/images/x/labels/y/b.txt"),  # only the last /images/
        ("/d/photos/c.jpeg", "/d/photos/c.txt"),  # no /images/: next to the image
        ("/d/images/e.tar.jpg", "/d/labels/e.tar.txt"),
    ],
)
def test_label_path(image: str, label: str) -> None:
    assert label_path(Path(image)) == Path(label)


def test_label_path_matches_ultralytics() -> None:
    utils = pytest.importorskip("ultralytics.data.utils")
    paths = ["/d/images/train/a.jpg", "/images/x/images/y/b.png", "/d/photos/c.jpeg", "/d/images/e.tar.jpg"]
    assert [str(label_path(Path(p))) for p in paths] == utils.img2label_paths(paths)


def test_img_suffixes_match_ultralytics() -> None:
    utils = pytest.importorskip("ultralytics.data.utils")
    assert {s[1:] for s in IMG_SUFFIXES} == set(utils.IMG_FORMATS)


def test_image_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "b").write_bytes(b"x" * 5)
    assert image_bytes([tmp_path / "a", tmp_path / "b"]) == 15
    assert image_bytes([]) == 0


def test_dataset_module_stays_light() -> None:
    code = "import sys, bench.dataset; sys.exit(int('torch' in sys.modules or 'ultralytics' in sys.modules))"
    repo = Path(ds.__file__).resolve().parents[1]
    assert subprocess.run([sys.executable, "-c", code], cwd=repo, check=False).returncode == 0


# --------------------------------------------------------------------------------------------------------
# load_dataset
# --------------------------------------------------------------------------------------------------------


def test_load_synthetic_yaml_gives_the_same_counts_and_bytes(tiny: DatasetInfo) -> None:
    loaded = load_dataset(tiny.yaml_path)
    assert loaded.names == tiny.names
    assert loaded.root == tiny.root
    assert (loaded.train_images, loaded.val_images, loaded.test_images) == (
        tiny.train_images,
        tiny.val_images,
        tiny.test_images,
    )
    assert (loaded.train_bytes, loaded.val_bytes, loaded.test_bytes) == (
        tiny.train_bytes,
        tiny.val_bytes,
        tiny.test_bytes,
    )
    assert loaded.label_bytes == tiny.label_bytes
    assert loaded.total_bytes == tiny.total_bytes
    assert loaded.synthetic is None and loaded.unlabeled_images == 0 and loaded.warnings == ()


def _make(root: Path, splits: dict[str, int] | None = None, label: str = "0 0.5 0.5 0.2 0.2\n") -> None:
    """A small user dataset: images/<split>/i.jpg (a few bytes; never decoded) and labels/<split>/i.txt."""
    for split, n in (splits or {"train": 3, "val": 2}).items():
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            (root / "images" / split / f"{i}.jpg").write_bytes(b"\xff\xd8 not decoded")
            (root / "labels" / split / f"{i}.txt").write_text(label)


def _yaml(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD = "path: .\ntrain: images/train\nval: images/val\nnames: [cat, dog]\n"


def test_load_good_dataset_relative_path_from_yaml_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _make(tmp_path / "ds")
    y = _yaml(tmp_path / "ds" / "data.yaml", GOOD + "download: https://example.com/ds.zip\n")
    monkeypatch.chdir("/")
    info = load_dataset(y)
    assert info.root == tmp_path / "ds"
    assert info.names == ("cat", "dog")
    assert len(info.train_images) == 3 and len(info.val_images) == 2 and info.test_images == ()
    assert info.train_bytes == 3 * len(b"\xff\xd8 not decoded")
    assert info.label_bytes == 5 * len("0 0.5 0.5 0.2 0.2\n")
    assert info.warnings == ()


def test_load_variants(tmp_path: Path) -> None:
    _make(tmp_path, {"train": 3, "val": 2, "extra": 1})
    (tmp_path / "labels" / "train" / "2.txt").unlink()  # background image: counted, fine
    (tmp_path / "labels" / "val" / "1.txt").write_text("1 0.1 0.1 0.3 0.1 0.2 0.3\n\n")  # polygon row
    (tmp_path / "val.txt").write_text("./images/val/0.jpg\n./images/val/1.jpg\n./images/val/notes.md\n")
    y = _yaml(
        tmp_path / "data.yaml",
        f"path: {tmp_path}\ntrain: [images/train, images/extra]\nvalidation: val.txt\n"
        "test: images/missing\nnc: 2\nnames: {0: cat, 1: dog}\n",
    )
    info = load_dataset(y)
    assert len(info.train_images) == 4 and len(info.val_images) == 2 and info.test_images == ()
    assert info.unlabeled_images == 1
    assert any("1 of 4 train images have no label file" in w for w in info.warnings)
    assert any("test split" in w for w in info.warnings)
    assert all(p.is_absolute() for p in info.train_images)


def test_load_nc_only_and_no_path(tmp_path: Path) -> None:
    _make(tmp_path)
    info = load_dataset(_yaml(tmp_path / "data.yaml", "train: images/train\nval: images/val\nnc: 3\n"))
    assert info.names == ("class_0", "class_1", "class_2")
    assert info.root == tmp_path


BAD_YAML = [
    ("invalid yaml", "train: [a, b\nval: x\n", "line"),
    ("not a mapping", "- a\n- b\n", "mapping"),
    ("missing train", "path: .\nval: images/val\nnames: [a]\n", "'train:'"),
    ("missing val", "path: .\ntrain: images/train\nnames: [a]\n", "'val:'"),
    ("no names", "path: .\ntrain: images/train\nval: images/val\n", "names"),
    ("empty names", "path: .\ntrain: images/train\nval: images/val\nnames: []\n", "names"),
    ("empty names, nc", "path: .\ntrain: images/train\nval: images/val\nnames: {}\nnc: 2\n", "empty"),
    ("names dict gap", "path: .\ntrain: images/train\nval: images/val\nnames: {0: a, 2: b}\n", "0-1"),
    ("nc mismatch", "path: .\ntrain: images/train\nval: images/val\nnames: [a, b]\nnc: 3\n", "nc: 3"),
    ("bad nc", "path: .\ntrain: images/train\nval: images/val\nnc: many\n", "nc: many"),
    ("huge nc", "path: .\ntrain: images/train\nval: images/val\nnc: 1e12\n", "from 1 to 100,000"),
    ("NUL in path", "path: \"a\\0b\"\ntrain: images/train\nval: images/val\nnames: [a]\n", "cannot be used"),
    ("name too long", f"path: .\ntrain: {'x' * 5000}\nval: images/val\nnames: [a]\n", "cannot be used"),
    ("missing path", "path: nowhere\ntrain: images/train\nval: images/val\nnames: [a]\n", "yaml's folder"),
    ("missing train dir", "path: .\ntrain: images/nope\nval: images/val\nnames: [a]\n", "images/nope"),
    ("bad train type", "path: .\ntrain: 3\nval: images/val\nnames: [a]\n", "'train'"),
    ("no images", "path: .\ntrain: labels/train\nval: images/val\nnames: [a]\n", "no images found for 'train'"),
    ("missing listed image", "path: .\ntrain: list.txt\nval: images/val\nnames: [a]\n", "gone.jpg"),
]


@pytest.mark.parametrize(("case", "text", "expected"), BAD_YAML, ids=[c[0] for c in BAD_YAML])
def test_bad_yaml(tmp_path: Path, case: str, text: str, expected: str) -> None:
    _make(tmp_path)
    (tmp_path / "list.txt").write_text("./images/train/0.jpg\n./images/train/gone.jpg\n")
    y = _yaml(tmp_path / "data.yaml", text)
    with pytest.raises(UsageError) as err:
        load_dataset(y)
    msg = str(err.value)
    assert str(y) in msg, msg
    assert expected in msg, msg
    assert "\n" not in msg


def test_missing_yaml_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist") as err:
        load_dataset(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(err.value)
    with pytest.raises(UsageError, match="not a file"):
        load_dataset(tmp_path)


def test_yaml_error_names_the_line(tmp_path: Path) -> None:
    y = _yaml(tmp_path / "data.yaml", "path: .\ntrain: images/train\nval: [unclosed\nnames: [a]\n")
    with pytest.raises(UsageError, match=r"not valid YAML at line \d"):
        load_dataset(y)


def test_no_label_files_at_all(tmp_path: Path) -> None:
    _make(tmp_path)
    for p in (tmp_path / "labels" / "val").iterdir():
        p.unlink()
    y = _yaml(tmp_path / "data.yaml", GOOD)
    with pytest.raises(UsageError, match="none of the 2 'val' images has a label file") as err:
        load_dataset(y)
    assert str(y) in str(err.value) and "labels/val/0.txt" in str(err.value)


def test_empty_image_file(tmp_path: Path) -> None:
    _make(tmp_path)
    (tmp_path / "images" / "train" / "1.jpg").write_bytes(b"")
    y = _yaml(tmp_path / "data.yaml", GOOD)
    with pytest.raises(UsageError, match="empty") as err:
        load_dataset(y)
    assert "1.jpg" in str(err.value)


BAD_LABELS = [
    ("four values", "0 0.5 0.5 0.2\n", "4 values"),
    ("six values", "0 0.5 0.5 0.2 0.2 0.1\n", "6 values"),
    ("class out of range", "2 0.5 0.5 0.2 0.2\n", "class id 2"),
    ("negative class", "-1 0.5 0.5 0.2 0.2\n", "class id -1"),
    ("fractional class", "0.5 0.5 0.5 0.2 0.2\n", "class id 0.5"),
    ("coordinate above 1", "1 0.5 1.5 0.2 0.2\n", "[0, 1]"),
    ("pixel coordinates", "1 320 240 64 48\n", "[0, 1]"),
    ("not a number", "1 0.5 abc 0.2 0.2\n", "'abc'"),
    ("nan", "1 0.5 nan 0.2 0.2\n", "[0, 1]"),
    ("mixed kinds", "0 0.1 0.1 0.3 0.1 0.2 0.3\n", "mixes"),
]


@pytest.mark.parametrize(("case", "second_line", "expected"), BAD_LABELS, ids=[c[0] for c in BAD_LABELS])
def test_bad_label_line(tmp_path: Path, case: str, second_line: str, expected: str) -> None:
    _make(tmp_path)
    bad = tmp_path / "labels" / "val" / "1.txt"
    bad.write_text("0 0.5 0.5 0.2 0.2\n" + second_line)
    with pytest.raises(UsageError) as err:
        load_dataset(_yaml(tmp_path / "data.yaml", GOOD))
    msg = str(err.value)
    assert f"{bad} line 2" in msg, msg
    assert expected in msg, msg
    assert "\n" not in msg


def test_label_slack_as_ultralytics(tmp_path: Path) -> None:
    _make(tmp_path, label="0 0.5 0.5 1.005 0.2\n1 -0.005 0.5 0.01 0.2\n")
    assert load_dataset(_yaml(tmp_path / "data.yaml", GOOD)).label_bytes > 0


def test_label_check_is_fast(tmp_path: Path) -> None:
    n = 5000
    _make(tmp_path, {"train": n - 500, "val": 500}, label="0 0.5 0.5 0.2 0.2\n" * 6)
    y = _yaml(tmp_path / "data.yaml", GOOD)
    start = time.perf_counter()
    info = load_dataset(y)
    seconds = time.perf_counter() - start
    assert len(info.train_images) + len(info.val_images) == n
    assert seconds < 3.0, f"{seconds:.2f} s to check {n} images"


def test_cache_warning_when_the_whole_dataset_would_not_fit(tmp_path: Path) -> None:
    """ultralytics checks the full dataset's cache at the start of the full run and trains without it when it does
    not fit: 10 images of 640x480 resized to 320 (320x240x3 = 230,400 bytes each) x 2 for its margin = 4.6 MB."""
    from bench.dataset import cache_warning

    root = tmp_path / "ds"
    for split, n in (("train", 8), ("val", 2)):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (640, 480)).save(root / "images" / split / f"{i}.jpg")
            (root / "labels" / split / f"{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    info = load_dataset(_yaml(root / "data.yaml", GOOD))
    need = 10 * 320 * 240 * 3 * 2
    assert cache_warning(info, 320, "ram", available_ram=need) is None
    w = cache_warning(info, 320, "ram", available_ram=need - 1)
    assert w is not None and "--cache ram" in w and "10 images" in w and "without the cache" in w
    # on disk: the decoded images at full size, x 1.1
    disk = 10 * 640 * 480 * 3 * 1.1
    assert cache_warning(info, 320, "disk", free_disk=int(disk) + 1) is None
    assert "disk free" in (cache_warning(info, 320, "disk", free_disk=int(disk) - 1) or "")
    assert cache_warning(info, 320, "false", available_ram=0) is None  # no cache asked: nothing to fit


def test_images_ultralytics_does_not_train_on_leave_the_counts(tmp_path: Path) -> None:
    """A GIF named .jpg passed the signature check, and a split of 8 good and 8 such files counted 16 images
    where ultralytics trains on 8: the extrapolation read twice too high. Now they are named and left out."""
    from bench.dataset import load_dataset

    _make(tmp_path, {"train": 4, "val": 2})
    for i in (1, 3):
        (tmp_path / "images" / "train" / f"{i}.jpg").write_bytes(b"GIF89a not a jpeg")
    info = load_dataset(_yaml(tmp_path / "data.yaml", GOOD))
    assert [p.name for p in info.train_images] == ["0.jpg", "2.jpg"]
    assert any("2 of 4 train images are not files ultralytics trains on" in w and "1.jpg" in w
               for w in info.warnings)


def test_files_ultralytics_skips_count_nowhere(tmp_path: Path) -> None:
    """Found by a review: a skipped non-image file still added its bytes and its (missing) label to the counts, so
    '2 of 2 train images have no label file' was said of 2 usable images that both had one."""
    from bench.dataset import load_dataset

    _make(tmp_path, {"train": 4, "val": 2})
    for i in (1, 3):
        (tmp_path / "images" / "train" / f"{i}.jpg").write_bytes(b"GIF89a not a jpeg")
        (tmp_path / "labels" / "train" / f"{i}.txt").unlink()
    info = load_dataset(_yaml(tmp_path / "data.yaml", GOOD))
    assert info.unlabeled_images == 0 and not any("no label file" in w for w in info.warnings)
    assert info.train_bytes == 2 * len(b"\xff\xd8 not decoded")  # the two JPEGs only
    # and when the usable images have no label between them, that is what is said
    for i in (0, 2):
        (tmp_path / "labels" / "train" / f"{i}.txt").unlink()
    with pytest.raises(UsageError, match="none of the 2 'train' images has a label file"):
        load_dataset(tmp_path / "data.yaml")


def test_an_unusable_test_split_is_a_warning(tmp_path: Path) -> None:
    """Found by a review: training never reads the test split, and many datasets ship it unlabeled; bench refused
    the whole dataset for it."""
    from bench.dataset import load_dataset

    _make(tmp_path, {"train": 3, "val": 2, "test": 2})
    for p in (tmp_path / "labels" / "test").iterdir():
        p.unlink()
    info = load_dataset(_yaml(tmp_path / "data.yaml", GOOD + "test: images/test\n"))
    assert len(info.test_images) == 2 and info.test_bytes == 2 * len(b"\xff\xd8 not decoded")
    assert any("none of the 2 'test' images has a label file" in w and "the test split is ignored" in w
               for w in info.warnings)
    (tmp_path / "labels" / "test" / "0.txt").write_text("7 0.5 0.5 0.2 0.2\n")  # a class the names lack
    info = load_dataset(tmp_path / "data.yaml")
    assert any("test split is ignored" in w for w in info.warnings)


@pytest.mark.parametrize(("text", "expected"), [
    ("path: ~nosuchuser_bench/ds\ntrain: images/train\nval: images/val\nnames: [a]\n",
     "no home folder for the user it names"),
    ("path: .\ntrain: 2024-13-45\nval: images/val\nnames: [a]\n", "is not valid YAML: month must be in 1..12"),
])
def test_yaml_values_python_refuses_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    """Found by a review: '~user' of no such user, and a date YAML reads but Python cannot make, were
    tracebacks."""
    from bench.dataset import load_dataset

    _make(tmp_path)
    with pytest.raises(UsageError, match=expected) as err:
        load_dataset(_yaml(tmp_path / "data.yaml", text))
    assert "\n" not in str(err.value)


def test_a_train_split_without_a_box_is_refused(tmp_path: Path) -> None:
    """Empty label files count as labelled, and ultralytics trains them as background: a train split of nothing
    else gave a probe whose box loss was 0 throughout, and a record blaming the device."""
    from bench.dataset import load_dataset

    _make(tmp_path, {"train": 3, "val": 2}, label="")
    with pytest.raises(UsageError, match=r"none of the 3 train images has a box .*label some images"):
        load_dataset(_yaml(tmp_path / "data.yaml", GOOD))
    (tmp_path / "labels" / "train" / "2.txt").write_text("0 0.5 0.5 0.2 0.2\n")  # one box is enough
    assert len(load_dataset(tmp_path / "data.yaml").train_images) == 3


def test_the_mirror_spreads_its_images_keeps_the_users_keys_and_short_names(tmp_path: Path) -> None:
    """A probe's mirror takes images spread over the split (background images sorted first gave a probe with no
    box), keeps keys such as kpt_shape that change how ultralytics reads the labels (a pose dataset's probe failed
    without it), and names its links by number (a 250-character name with a prefix passed the file system's
    limit)."""
    import yaml

    from bench.dataset import load_dataset
    from bench.probe import build_mirror, spread

    assert spread(list(range(10)), 4) == [0, 2, 5, 7] and spread(list(range(3)), 5) == [0, 1, 2]
    assert spread(list(range(3)), None) == [0, 1, 2]
    _make(tmp_path / "d", {"train": 8, "val": 2})
    long = tmp_path / "d" / "images" / "train" / ("x" * 250 + ".jpg")
    long.write_bytes(b"\xff\xd8 not decoded")
    (tmp_path / "d" / "labels" / "train" / ("x" * 250 + ".txt")).write_text("0 0.5 0.5 0.2 0.2\n")
    info = load_dataset(_yaml(tmp_path / "d" / "data.yaml", GOOD + "kpt_shape: [17, 3]\ndownload: echo no\n"))
    yml = build_mirror(info, tmp_path / "m", train_n=3, val_n=1)
    data = yaml.safe_load(yml.read_text())
    assert data["kpt_shape"] == [17, 3] and "download" not in data and data["path"] == str((tmp_path / "m").resolve())
    linked = sorted((tmp_path / "m" / "images" / "train").iterdir())
    assert [p.name for p in linked] == ["000000.jpg", "000001.jpg", "000002.jpg"]
    # 9 images (0-7 and the long name, sorted last): the 1st, 4th and 7th
    assert [p.resolve().name for p in linked] == ["0.jpg", "3.jpg", "6.jpg"]
    assert sorted(p.name for p in (tmp_path / "m" / "labels" / "train").iterdir()) == [
        "000000.txt", "000001.txt", "000002.txt"]
    full = build_mirror(info, tmp_path / "f")  # a full run's: every image, the long name too
    assert len(list((full.parent / "images" / "train").iterdir())) == 9
