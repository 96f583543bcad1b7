"""The dataset layer: a deterministic synthetic YOLO dataset, and up-front checks of a user's data.yaml.

Two ways to get a :class:`DatasetInfo`:

* :func:`ensure_synthetic` generates (once, then reuses) a YOLO-format detection dataset whose images cost
  what real photos cost to decode: 640x480 JPEGs at quality 90 of about 86 KB each (camera photos of that
  size are 60-120 KB), textured backgrounds with sensor noise and textured shapes whose boxes are the
  labels. About 11 ms of CPU per image: the reference job takes about 30 s on two cores. The reference job has
  4,195 train, 400 val and 398 test images; the defaults of :class:`SyntheticSpec` reproduce it.
* :func:`load_dataset` checks a user's own data.yaml before any training starts, so that a typo costs one
  clear line (a :class:`~bench.errors.UsageError`) instead of a traceback minutes into a run. It never
  downloads anything.

Why synthetic data is enough for a timing benchmark: training time depends on the number of images, their
pixel size, the JPEG bytes to decode and the number of boxes per image (loss and assignment cost), not on
what the pictures show. The generator controls exactly those.

Determinism: each image depends only on ``(seed, split, index)`` (its own random generator), so the same
spec gives byte-identical files whatever the number of worker processes and the order they run in (with
the same numpy and Pillow versions; both are recorded in the manifest).

This module imports neither torch nor ultralytics (it must stay light); it mirrors the two ultralytics rules
it needs (:data:`IMG_SUFFIXES` and :func:`label_path`).
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from PIL import Image, ImageDraw

from bench.errors import UsageError

#: Bump when the generator's output changes for the same spec: the dataset key changes with it, so an old
#: directory is never mistaken for a new one.
GENERATOR_VERSION = "1"

#: Image suffixes ultralytics reads (``ultralytics.data.utils.IMG_FORMATS`` of ultralytics 8.4, with a dot,
#: lower case); other files in an image folder are ignored, as ultralytics ignores them.
IMG_SUFFIXES: frozenset[str] = frozenset(
    f".{s}" for s in ("avif", "bmp", "dng", "heic", "heif", "jp2", "jpeg", "jpg", "mpo", "png", "tif", "tiff", "webp")
)

_IMG_EXTENSIONS = frozenset(s[1:] for s in IMG_SUFFIXES)

SPLITS: tuple[str, ...] = ("train", "val", "test")

#: Seed component of each split (fixed numbers: ``hash()`` of a string changes between processes).
_SPLIT_IDS = {"train": 0, "val": 1, "test": 2}

#: Most boxes drawn in one image, whatever the mean (a Poisson draw has a long tail).
MAX_BOXES_PER_IMAGE = 30
#: At most this many classes (LVIS, among the largest detection datasets, has 1,203): a class count beyond it is a
#: typo, and naming 10^12 classes would exhaust memory before anything else could say so.
MAX_CLASSES = 100_000
#: Synthetic images at most this wide or tall (pixels).
MAX_IMAGE_SIDE = 8192
#: Bytes a synthetic image takes on disk per pixel, labels included: 0.281 measured (4,993 images of 640x480,
#: 432 MB, 2026-12-03); the free-space check asks for 0.35, plus 20%.
DISK_BYTES_PER_PIXEL = 0.35

#: Smallest and largest box side, as a fraction of the image side (see :func:`_boxes` for the distribution).
BOX_SIDE_RANGE = (0.03, 0.5)

#: A temporary directory whose owner is gone, or older than this (seconds), is removed by the next run. Its name
#: holds its host (a hash of the host name) and pid: the owner is looked for only when it is on this host; the
#: age rule covers owners we cannot see (another machine or container writing to a shared folder): generation
#: takes under a minute, so a six-hour-old temporary directory is abandoned.
STALE_TEMP_SECONDS = 6 * 3600

#: Most images one worker task generates: small enough for smooth progress and load balance, large enough
#: that the per-task overhead (about a millisecond) is lost in ~10 ms of work per image.
_MAX_CHUNK = 32

#: Sensor noise on luminance (Y), per output pixel: uniform over 0.._NOISE_LEVELS-1 (a power of two). The
#: scene's luminance is kept within 0.._MAX_LEVEL so that adding it to uint8 pixels cannot overflow.
_NOISE_LEVELS = 16
_MAX_LEVEL = 256 - _NOISE_LEVELS
#: Chroma noise, on Cb and Cr at half resolution; they are kept within 0..256-_CHROMA_NOISE_LEVELS.
_CHROMA_NOISE_LEVELS = 8

#: ``.tmp-synthetic-<key>-h<host>-<pid>-<random>`` (``-h<host>`` since 2026-12-03: without it, the pid is taken as
#: this host's, as before).
_TEMP_RE = re.compile(r"^\.tmp-synthetic-[0-9a-f]+-(?:h([0-9a-f]{8})-)?(\d+)-[0-9a-f]+$")


def _host_tag() -> str:
    """This host, as temporary directories name it: 8 hex digits of the host name's hash (a container has its own)."""
    import hashlib
    import socket

    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


# --------------------------------------------------------------------------------------------------------
# Specification
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticSpec:
    """What to generate. Defaults reproduce the reference job (4,195 / 400 / 398 images of 640x480).

    Units: counts are images; ``width`` and ``height`` are pixels; ``boxes_per_image`` is the mean number
    of labelled objects per image (drawn per image from a Poisson distribution, at least 1 and at most
    :data:`MAX_BOXES_PER_IMAGE`); ``jpeg_quality`` is Pillow's 1-95 scale.
    """

    train: int = 4195
    val: int = 400
    test: int = 398
    width: int = 640
    height: int = 480
    classes: int = 3
    boxes_per_image: float = 6.0
    jpeg_quality: int = 90
    seed: int = 0

    def __post_init__(self) -> None:
        ints = {
            "train": (1, "an integer >= 1"),
            "val": (1, "an integer >= 1"),
            "test": (0, "an integer >= 0"),
            "width": (32, f"an integer from 32 to {MAX_IMAGE_SIDE} (pixels)"),
            "height": (32, f"an integer from 32 to {MAX_IMAGE_SIDE} (pixels)"),
            "classes": (1, f"an integer from 1 to {MAX_CLASSES:,}"),
            "jpeg_quality": (1, "an integer from 1 to 95"),
            "seed": (0, "an integer >= 0"),
        }
        for name, (low, allowed) in ints.items():
            value = getattr(self, name)
            bad_type = isinstance(value, bool) or not isinstance(value, int)
            high = {"jpeg_quality": 95, "width": MAX_IMAGE_SIDE, "height": MAX_IMAGE_SIDE, "classes": MAX_CLASSES}
            if bad_type or value < low or value > high.get(name, value):
                raise UsageError(f"synthetic dataset: {name}={value!r} is not allowed; {name} must be {allowed}")
        mean = self.boxes_per_image
        if isinstance(mean, bool) or not isinstance(mean, (int, float)) or not 0 < mean <= MAX_BOXES_PER_IMAGE:
            raise UsageError(
                f"synthetic dataset: boxes_per_image={mean!r} is not allowed; "
                f"boxes_per_image must be a number > 0 and <= {MAX_BOXES_PER_IMAGE}"
            )
        # 6 and 6.0 are the same spec: store a float so that key() does not tell them apart.
        object.__setattr__(self, "boxes_per_image", float(mean))

    def count(self, split: str) -> int:
        """Number of images in ``split`` ("train", "val" or "test")."""
        return int(getattr(self, split))

    @property
    def total(self) -> int:
        """Images in all splits."""
        return self.train + self.val + self.test

    def key(self) -> str:
        """Short stable hash (12 hex digits) of every field and :data:`GENERATOR_VERSION`.

        It names the dataset directory, so a changed parameter or generator gives a new directory.
        """
        blob = json.dumps({"generator_version": GENERATOR_VERSION, **asdict(self)}, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------------------------------------
# What a dataset is, for the rest of the harness
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetInfo:
    """A checked dataset: where its data.yaml is, its images per split and their size on disk.

    ``*_bytes`` are image bytes on disk (what the data loader reads and decodes); ``label_bytes`` are the
    label files' bytes. ``unlabeled_images`` counts images without a label file (ultralytics trains them as
    background). ``warnings`` are one-line notes for the user (the CLI shows them; this module never prints).
    """

    yaml_path: Path
    root: Path
    names: tuple[str, ...]
    train_images: tuple[Path, ...]
    val_images: tuple[Path, ...]
    test_images: tuple[Path, ...]
    train_bytes: int
    val_bytes: int
    test_bytes: int
    synthetic: SyntheticSpec | None = None
    label_bytes: int = 0
    unlabeled_images: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        """Image and label bytes of all splits."""
        return self.train_bytes + self.val_bytes + self.test_bytes + self.label_bytes

    def to_record(self) -> dict[str, Any]:
        """JSON-able summary for a results record.

        Keys: ``yaml_path``, ``root`` (str); ``synthetic`` (``{"key", "generator_version", "spec"}`` or
        None); ``classes`` (int) and ``names``; ``counts`` (``train_images``, ``val_images``,
        ``test_images``, ``unlabeled_images``); ``bytes`` (``train_bytes``, ``val_bytes``, ``test_bytes``
        of images, ``label_bytes``); ``total_bytes`` (all image and label bytes); ``warnings``.
        """
        synthetic = None
        if self.synthetic is not None:
            synthetic = {
                "key": self.synthetic.key(),
                "generator_version": GENERATOR_VERSION,
                "spec": asdict(self.synthetic),
            }
        return {
            "yaml_path": str(self.yaml_path),
            "root": str(self.root),
            "synthetic": synthetic,
            "classes": len(self.names),
            "names": list(self.names),
            "counts": {
                "train_images": len(self.train_images),
                "val_images": len(self.val_images),
                "test_images": len(self.test_images),
                "unlabeled_images": self.unlabeled_images,
            },
            "bytes": {
                "train_bytes": self.train_bytes,
                "val_bytes": self.val_bytes,
                "test_bytes": self.test_bytes,
                "label_bytes": self.label_bytes,
            },
            "total_bytes": self.total_bytes,
            "warnings": list(self.warnings),
        }


def label_path(image: Path) -> Path:
    """The label file ultralytics reads for ``image``.

    Same rule as ``ultralytics.data.utils.img2label_paths``: replace the last ``/images/`` path component
    with ``/labels/`` and everything after the last dot with ``txt``
    (``.../images/train/a.jpg`` -> ``.../labels/train/a.txt``).
    """
    return Path(_label_str(os.fspath(image)))


def _label_str(image: str) -> str:
    """:func:`label_path` on strings (no Path objects: the data.yaml check calls it for every image)."""
    return _LABELS_SEP.join(image.rsplit(_IMAGES_SEP, 1)).rsplit(".", 1)[0] + ".txt"


_IMAGES_SEP, _LABELS_SEP = f"{os.sep}images{os.sep}", f"{os.sep}labels{os.sep}"


def image_bytes(paths: Iterable[Path]) -> int:
    """Total size on disk of ``paths`` in bytes."""
    return sum(os.stat(p).st_size for p in paths)


# --------------------------------------------------------------------------------------------------------
# Synthetic images
# --------------------------------------------------------------------------------------------------------


def _octave_noise(rng: np.random.Generator, width: int, height: int, levels: int, decay: float) -> np.ndarray:
    """Smooth 1-channel noise of shape (height, width), float32, standard deviation about 1.

    A pyramid: random values on a coarse grid, upsampled (bicubic) to twice the size, plus new random
    values ``decay`` times weaker, and so on for ``levels`` levels. Only small arrays are resized, so it is
    cheap; ``decay`` near 0.6 gives the 1/f-like spectrum of natural images (large soft shapes, finer detail).
    """
    sizes = [(max(2, math.ceil(width / 2**k)), max(2, math.ceil(height / 2**k))) for k in range(levels - 1, -1, -1)]
    a = rng.standard_normal((sizes[0][1], sizes[0][0]), dtype=np.float32)
    amp = 1.0
    for w, h in sizes[1:]:
        amp *= decay
        a = np.asarray(Image.fromarray(a).resize((w, h), Image.Resampling.BICUBIC))
        a = a + amp * rng.standard_normal((h, w), dtype=np.float32)
    return a * np.float32(1.0 / math.sqrt(sum(decay ** (2 * k) for k in range(levels))))


def _background(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """A photo-like background of ``width`` x ``height``: an "RGB" image whose bands hold Y, Cb, Cr (see below).

    Luminance: base level, lighting gradient and multi-octave texture, kept within 0.._MAX_LEVEL. Colour:
    a base tint plus soft blotches at 1/8 of the size (real colour varies more slowly than brightness).
    """
    # Built at half this size and upsampled once (bilinear: no overshoot past _MAX_LEVEL); finer luminance
    # detail comes from the sensor noise added at full resolution. The gradient is linear, so adding it
    # before the upsampling is the same as after.
    qw, qh = max(2, width // 2), max(2, height // 2)
    levels = max(2, int(math.log2(max(qw, qh))) - 1)
    y = _octave_noise(rng, qw, qh, levels, 0.62) * np.float32(rng.uniform(25, 45))
    y += np.linspace(-1, 1, qw, dtype=np.float32)[None, :] * np.float32(rng.uniform(-35, 35))
    y += np.linspace(-1, 1, qh, dtype=np.float32)[:, None] * np.float32(rng.uniform(-35, 35))
    y += np.float32(rng.uniform(40, 180))
    small = Image.fromarray(np.clip(y, 0, _MAX_LEVEL).astype(np.uint8))
    bands = [small.resize((width, height), Image.Resampling.BILINEAR)]
    sw, sh = max(2, width // 8), max(2, height // 8)
    for _ in range(2):  # Cb, Cr
        c = 128 + rng.uniform(-40, 40) + _octave_noise(rng, sw, sh, 3, 0.6) * np.float32(rng.uniform(6, 15))
        small = Image.fromarray(np.clip(c, 0, 256 - _CHROMA_NOISE_LEVELS).astype(np.uint8))
        bands.append(small.resize((width, height), Image.Resampling.BILINEAR))
    return Image.merge("RGB", bands)


def _draw_object(
    img: Image.Image, draw: ImageDraw.ImageDraw, rng: np.random.Generator, cls: int, box: tuple[int, int, int, int]
) -> None:
    """Paste one textured shape filling ``box`` = (x0, y0, w, h) pixels, so that its bounding box is the label.

    The shape follows the class (``cls % 3``: rectangle, ellipse, polygon) so a model could learn it; colour,
    texture and stripes are random. Edges get a darker outline, as real objects have. Colours are (Y, Cb, Cr)
    triples and luminance stays within 0.._MAX_LEVEL so that the sensor noise added later cannot overflow.
    """
    x0, y0, w, h = box
    # Texture: coarse random field upsampled to the box (luminance varies more than colour), with luminance
    # stripes half of the time.
    colour = np.array([rng.uniform(15, _MAX_LEVEL - 15), rng.uniform(68, 188), rng.uniform(68, 188)], dtype=np.float32)
    spread = np.array([rng.uniform(10, 35), rng.uniform(3, 10), rng.uniform(3, 10)], dtype=np.float32)
    tw, th = max(2, w // 6), max(2, h // 6)
    tex = rng.standard_normal((th, tw, 3), dtype=np.float32) * spread + colour
    patch = Image.fromarray(np.clip(tex, 0, _MAX_LEVEL).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        period = rng.uniform(2.5, 8)  # pixels at the drawing scale (half the output resolution)
        angle = rng.uniform(0, math.pi)
        xs = np.arange(w, dtype=np.float32)[None, :] * np.float32(math.cos(angle))
        ys = np.arange(h, dtype=np.float32)[:, None] * np.float32(math.sin(angle))
        stripes = np.sin((xs + ys) * np.float32(2 * math.pi / period)) * np.float32(rng.uniform(10, 30))
        arr = np.array(patch)
        arr[..., 0] = np.clip(arr[..., 0] + stripes, 0, _MAX_LEVEL)
        patch = Image.fromarray(arr)

    mask = Image.new("L", (w, h), 0)
    mdraw = ImageDraw.Draw(mask)
    kind = cls % 3
    edge = (int(colour[0] * rng.uniform(0.3, 0.7)), int(colour[1]), int(colour[2]))
    width = max(1, min(w, h) // 40)
    if kind == 0:
        mdraw.rectangle((0, 0, w - 1, h - 1), fill=255)
        img.paste(patch, (x0, y0), mask)
        draw.rectangle((x0, y0, x0 + w - 1, y0 + h - 1), outline=edge, width=width)
    elif kind == 1:
        mdraw.ellipse((0, 0, w - 1, h - 1), fill=255)
        img.paste(patch, (x0, y0), mask)
        draw.ellipse((x0, y0, x0 + w - 1, y0 + h - 1), outline=edge, width=width)
    else:
        # A star-shaped polygon around the centre, stretched so that its extreme vertices touch the box.
        n = int(rng.integers(5, 10))
        angles = np.sort(rng.uniform(0, 2 * math.pi, n))
        radii = rng.uniform(0.45, 1.0, n)
        px, py = radii * np.cos(angles), radii * np.sin(angles)
        px = (px - px.min()) / max(float(np.ptp(px)), 1e-9) * (w - 1)
        py = (py - py.min()) / max(float(np.ptp(py)), 1e-9) * (h - 1)
        local = [(float(a), float(b)) for a, b in zip(px, py, strict=True)]
        mdraw.polygon(local, fill=255)
        img.paste(patch, (x0, y0), mask)
        draw.polygon([(a + x0, b + y0) for a, b in local], outline=edge, width=width)


def _boxes(
    rng: np.random.Generator, spec: SyntheticSpec, width: int, height: int
) -> list[tuple[int, tuple[int, int, int, int]]]:
    """Random (class, (x0, y0, w, h)) boxes on a ``width`` x ``height`` canvas, at least 1 px from its edges.

    Size log-uniform (small objects are common, as in real data), aspect ratio between 1:3 and 3:1, each
    side clipped to :data:`BOX_SIDE_RANGE` of the canvas side; the class is uniform. Sorted largest first,
    so that small objects are drawn last and stay visible.
    """
    n = int(min(MAX_BOXES_PER_IMAGE, max(1, rng.poisson(spec.boxes_per_image))))
    lo, hi = BOX_SIDE_RANGE
    out = []
    for _ in range(n):
        cls = int(rng.integers(spec.classes))
        size = math.exp(rng.uniform(math.log(lo * 1.5), math.log(hi * 0.8)))  # geometric-mean side, fraction
        aspect = math.exp(rng.uniform(-1.1, 1.1))  # width/height between 1:3 and 3:1
        w = round(min(max(size * math.sqrt(aspect), lo), hi) * width)
        h = round(min(max(size / math.sqrt(aspect), lo), hi) * height)
        w, h = min(max(w, 2), width - 2), min(max(h, 2), height - 2)
        x0 = int(rng.integers(1, width - w))  # 1 .. width-1-w: the box ends at least 1 px before the edge
        y0 = int(rng.integers(1, height - h))
        out.append((cls, (x0, y0, w, h)))
    out.sort(key=lambda b: -b[1][2] * b[1][3])
    return out


def _uniform_bytes(rng: np.random.Generator, shape: tuple[int, ...], levels: int) -> np.ndarray:
    """uint8 noise uniform over 0..levels-1 (``levels`` a power of two), straight from the bit generator.

    ``random_raw`` is several times faster than ``Generator.bytes`` or ``Generator.integers`` for this.
    """
    n = math.prod(shape)
    raw = rng.bit_generator.random_raw(-(-n // 8)).view(np.uint8)[:n]
    return (raw & np.uint8(levels - 1)).reshape(shape)


def render_image(spec: SyntheticSpec, split: str, index: int) -> tuple[bytes, str]:
    """JPEG bytes and YOLO label text of image ``index`` of ``split``; depends only on (seed, split, index).

    How it stays fast (about 10 ms per 640x480 image on one core):

    * The scene (background and objects) is drawn at half the output resolution: four times fewer pixels,
      and edges as soft as a real lens and demosaicing make them.
    * It is drawn directly in JPEG's own colour space, Y (luminance), Cb and Cr, held in the three bands of
      a Pillow "RGB" image (Pillow draws on bands without caring what they mean). Only Y is upsampled
      (bilinear) to full resolution; Cb and Cr are upsampled by pixel repetition, which the encoder's 4:2:0
      subsampling (2x2 averaging) undoes exactly, so the file is as if the chroma had been drawn at full
      size. The encoder then has no colour conversion to do.
    * Sensor noise (uniform over 16 levels on Y at full resolution, 8 on Cb and Cr at half) is what, with
      the textures, makes the JPEG as large as a photo's: 80-95 KB at 640x480 and quality 90 (camera
      photos of that size are 60-120 KB), so decoding costs what decoding real data costs.

    Label lines are ``cls cx cy w h``, normalized to (0, 1], six decimals, boxes fully inside the image
    (normalized coordinates are the same on the half-size canvas and in the output).
    """
    rng = np.random.default_rng([spec.seed, _SPLIT_IDS[split], index])
    W, H = spec.width, spec.height
    cw, ch = (W + 1) // 2, (H + 1) // 2
    canvas = _background(rng, cw, ch)
    draw = ImageDraw.Draw(canvas)
    lines = []
    for cls, (x0, y0, w, h) in _boxes(rng, spec, cw, ch):
        _draw_object(canvas, draw, rng, cls, (x0, y0, w, h))
        lines.append(f"{cls} {(x0 + w / 2) / cw:.6f} {(y0 + h / 2) / ch:.6f} {w / cw:.6f} {h / ch:.6f}\n")
    y_half, cb_half, cr_half = canvas.split()
    y = np.array(y_half.resize((W, H), Image.Resampling.BILINEAR))
    y += _uniform_bytes(rng, (H, W), _NOISE_LEVELS)  # at most _MAX_LEVEL + 15 = 255: no overflow
    chroma = []
    for band in (cb_half, cr_half):
        c = np.array(band)
        c += _uniform_bytes(rng, (ch, cw), _CHROMA_NOISE_LEVELS)  # at most 248 + 7 = 255: no overflow
        chroma.append(Image.fromarray(c).resize((W, H), Image.Resampling.NEAREST))
    out = Image.merge("YCbCr", [Image.fromarray(y), *chroma])
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=spec.jpeg_quality, subsampling="4:2:0")
    return buf.getvalue(), "".join(lines)


def _stem(split: str, index: int) -> str:
    return f"{split}_{index:06d}"


def _generate_chunk(spec: SyntheticSpec, root: str, split: str, start: int, stop: int) -> tuple[int, int, int]:
    """Write images ``start..stop-1`` of ``split`` under ``root``; return (images, image bytes, label bytes).

    Runs in a worker process (or in-process with one job); the directories exist already.
    """
    image_total = label_total = 0
    for i in range(start, stop):
        jpeg, label = render_image(spec, split, i)
        stem = _stem(split, i)
        Path(root, "images", split, stem + ".jpg").write_bytes(jpeg)
        data = label.encode()
        Path(root, "labels", split, stem + ".txt").write_bytes(data)
        image_total += len(jpeg)
        label_total += len(data)
    return stop - start, image_total, label_total


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it cancels the work and cleans up)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _run_chunks(
    spec: SyntheticSpec, root: Path, jobs: int, progress: Callable[[int, int], None] | None
) -> dict[str, dict[str, int]]:
    """Generate every image into ``root``; return per-split {"images", "image_bytes", "label_bytes"}."""
    total = spec.total
    chunk = max(1, min(_MAX_CHUNK, math.ceil(total / (jobs * 8))))
    tasks = [
        (split, start, min(start + chunk, spec.count(split)))
        for split in SPLITS
        for start in range(0, spec.count(split), chunk)
    ]
    totals = {s: {"images": 0, "image_bytes": 0, "label_bytes": 0} for s in SPLITS}
    done = 0

    def account(split: str, result: tuple[int, int, int]) -> None:
        nonlocal done
        n, ib, lb = result
        totals[split]["images"] += n
        totals[split]["image_bytes"] += ib
        totals[split]["label_bytes"] += lb
        done += n
        with contextlib.suppress(OSError):  # the folder's age says the generation is alive (_remove_stale_temps)
            os.utime(root)
        if progress is not None:
            progress(done, total)

    if progress is not None:
        progress(0, total)
    jobs = min(jobs, len(tasks))
    if jobs <= 1:
        for split, start, stop in tasks:
            account(split, _generate_chunk(spec, str(root), split, start, stop))
        return totals

    executor = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_sigint)
    try:
        pending: dict[Future[tuple[int, int, int]], str] = {
            executor.submit(_generate_chunk, spec, str(root), split, start, stop): split for split, start, stop in tasks
        }
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                account(pending.pop(fut), fut.result())
    finally:
        # On an error or Ctrl-C: drop queued chunks, let running ones finish (under a second), then return so
        # that the caller can remove the temporary directory without a worker still writing into it.
        executor.shutdown(wait=True, cancel_futures=True)
    return totals


# --------------------------------------------------------------------------------------------------------
# The synthetic dataset directory: reuse, generate, publish atomically
# --------------------------------------------------------------------------------------------------------


def _class_names(n: int) -> tuple[str, ...]:
    return tuple(f"class{i}" for i in range(n))


def _write_data_yaml(root: Path, final_root: Path, classes: int) -> None:
    """data.yaml for ultralytics: absolute ``path`` (of the final directory), relative splits, no download."""
    data = {
        "path": str(final_root),
        "train": "images/train",
        "val": "images/val",
        "test": "images/test",
        "names": dict(enumerate(_class_names(classes))),
    }
    tmp = root / f".data.yaml.{os.getpid()}.tmp"
    tmp.write_text(yaml.safe_dump(data, sort_keys=False))
    os.replace(tmp, root / "data.yaml")


def _list_images(folder: Path) -> tuple[Path, ...]:
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name for e in it if e.name.endswith(".jpg"))
    except FileNotFoundError:
        return ()
    return tuple(folder / n for n in names)


def _load_complete(root: Path, spec: SyntheticSpec) -> DatasetInfo | None:
    """The dataset at ``root`` if it is complete and made from ``spec``, else None.

    Complete means: manifest.json (written last) names this spec and generator version, and every split
    holds the expected number of images. Byte counts come from the manifest (no stat of every file).
    """
    try:
        manifest = json.loads((root / "manifest.json").read_text())
    except (OSError, ValueError, RecursionError):
        return None
    if (
        not isinstance(manifest, dict)
        or manifest.get("generator_version") != GENERATOR_VERSION
        or manifest.get("spec") != asdict(spec)
    ):
        return None
    images = {s: _list_images(root / "images" / s) for s in SPLITS}
    try:
        counts = manifest["counts"]
        nbytes = manifest["image_bytes"]
        label_bytes = sum(int(v) for v in manifest["label_bytes"].values())
        if any(len(images[s]) != spec.count(s) or counts[s] != spec.count(s) for s in SPLITS):
            return None
        split_bytes = {s: int(nbytes[s]) for s in SPLITS}
    except (KeyError, TypeError, ValueError, ArithmeticError, AttributeError):
        return None
    yaml_path = root / "data.yaml"
    try:
        current = yaml.safe_load(yaml_path.read_text())
    except (OSError, yaml.YAMLError, RecursionError):
        current = None
    if not isinstance(current, dict) or current.get("path") != str(root):
        try:  # the datasets folder was moved or renamed: fix the path
            _write_data_yaml(root, root, spec.classes)
        except OSError as err:
            raise UsageError(f"cannot update {yaml_path} to the dataset's new place {root}: {err.strerror}") from err
    return DatasetInfo(
        yaml_path=yaml_path,
        root=root,
        names=_class_names(spec.classes),
        train_images=images["train"],
        val_images=images["val"],
        test_images=images["test"],
        train_bytes=split_bytes["train"],
        val_bytes=split_bytes["val"],
        test_bytes=split_bytes["test"],
        synthetic=spec,
        label_bytes=label_bytes,
    )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, belongs to someone else
        return True
    return True


def _remove_stale_temps(datasets_dir: Path) -> None:
    """Remove temporary directories left by killed runs: owner pid dead, or untouched for STALE_TEMP_SECONDS (a
    generation touches its folder as each chunk of images is written, so a long one stays young; the age rule
    catches another host's folders and a dead owner whose pid was taken again).

    A live owner's directory (this process included) is never touched.
    """
    now = time.time()
    try:
        entries = list(os.scandir(datasets_dir))
    except FileNotFoundError:
        return
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if not m or not entry.is_dir(follow_symlinks=False):
            continue
        host, pid = m.group(1), int(m.group(2))
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        here = host is None or host == _host_tag()  # another host's pid says nothing here
        if (here and pid != os.getpid() and not _pid_alive(pid)) or age > STALE_TEMP_SECONDS:
            shutil.rmtree(entry.path, ignore_errors=True)


def ensure_synthetic(
    spec: SyntheticSpec,
    datasets_dir: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
    jobs: int | None = None,
) -> DatasetInfo:
    """The synthetic dataset for ``spec`` under ``datasets_dir``, generated first if needed.

    Layout: ``<datasets_dir>/synthetic-<key>/`` with ``images/{train,val,test}/*.jpg``,
    ``labels/{train,val,test}/*.txt``, ``data.yaml`` (absolute ``path``, no download key) and
    ``manifest.json`` (spec, counts, bytes per split, generator version, seconds taken), written last.

    A complete directory is reused at once. Otherwise the images are generated with ``jobs`` processes
    (default: every CPU this process may use) into a temporary sibling directory, which is renamed into place
    when complete: the final directory only ever appears whole, and concurrent runs cannot mix their files
    (if another run renamed first, its directory is used and ours discarded). A final directory without a
    valid manifest (not made by this code, or by an older version of it) is removed and regenerated. On any
    error or Ctrl-C the temporary directory is removed and the exception re-raised.

    ``progress(done, total)`` is called with image counts: once with 0 before work starts, then as each
    chunk of images is written (from this process, never from a worker).
    """
    if jobs is None:
        jobs = _cpu_count()
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise UsageError(f"synthetic dataset: jobs={jobs!r} is not allowed; jobs must be an integer >= 1")
    datasets_dir = user_path(datasets_dir, "--datasets").resolve()
    try:
        datasets_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UsageError(f"cannot create the datasets folder {datasets_dir}: {err.strerror}") from err
    key = spec.key()
    final = datasets_dir / f"synthetic-{key}"
    info = _load_complete(final, spec)
    if info is not None:
        return info
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)  # incomplete or foreign: never used
    _remove_stale_temps(datasets_dir)
    need = spec.total * spec.width * spec.height * DISK_BYTES_PER_PIXEL * 1.2
    free = shutil.disk_usage(datasets_dir).free
    if free < need:
        raise UsageError(f"datasets folder {datasets_dir}: {free / 1e9:.1f} GB free, but the synthetic dataset of "
                         f"{spec.total:,} images of {spec.width}x{spec.height} needs about {need / 1e9:.1f} GB; free "
                         f"space, give another --datasets, or ask for fewer images")

    tmp = datasets_dir / f".tmp-synthetic-{key}-h{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"
    tmp.mkdir()
    try:
        started = time.perf_counter()
        for kind in ("images", "labels"):
            for split in SPLITS:
                (tmp / kind / split).mkdir(parents=True)
        totals = _run_chunks(spec, tmp, jobs, progress)
        _write_data_yaml(tmp, final, spec.classes)
        manifest = {
            "generator_version": GENERATOR_VERSION,
            "key": key,
            "spec": asdict(spec),
            "counts": {s: totals[s]["images"] for s in SPLITS},
            "image_bytes": {s: totals[s]["image_bytes"] for s in SPLITS},
            "label_bytes": {s: totals[s]["label_bytes"] for s in SPLITS},
            "seconds": round(time.perf_counter() - started, 3),
            "jobs": min(jobs, spec.total),
            "numpy": np.__version__,
            "pillow": Image.__version__,
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for attempt in range(2):
            try:
                os.rename(tmp, final)
                break
            except OSError:
                theirs = _load_complete(final, spec)
                if theirs is not None:  # another run finished first: use its directory, drop ours
                    shutil.rmtree(tmp, ignore_errors=True)
                    return theirs
                if attempt == 1:
                    raise
                shutil.rmtree(final, ignore_errors=True)  # something incomplete is in the way: remove, retry
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    info = _load_complete(final, spec)
    if info is None:  # cannot happen short of someone deleting files under us
        raise OSError(f"synthetic dataset {final} is incomplete right after it was generated")
    return info


# --------------------------------------------------------------------------------------------------------
# A user's own data.yaml
# --------------------------------------------------------------------------------------------------------


def _read_yaml(yaml_path: Path) -> dict[str, Any]:
    if not yaml_path.exists():
        raise UsageError(f"dataset file {yaml_path} does not exist; give the path of a YOLO data.yaml")
    if not yaml_path.is_file():
        raise UsageError(f"dataset file {yaml_path} is not a file; give the path of a YOLO data.yaml, not a folder")
    try:
        text = yaml_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"dataset file {yaml_path} cannot be read as UTF-8 text: {err}") from err
    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise UsageError(f"dataset file {yaml_path} is not valid YAML: nested too deeply to read") from None
    except (ValueError, TypeError, OverflowError) as err:  # a value YAML parses but Python refuses: 2024-13-45
        raise UsageError(f"dataset file {yaml_path} is not valid YAML: {' '.join(str(err).split())}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(err, "problem", None) or err).split())
        raise UsageError(f"dataset file {yaml_path} is not valid YAML{where}: {problem}") from err
    if not isinstance(data, dict):
        raise UsageError(
            f"dataset file {yaml_path} must be a YAML mapping with keys path, train, val, names; "
            f"it holds a {type(data).__name__}"
        )
    return data


def _names(data: dict[str, Any], yaml_path: Path) -> tuple[str, ...]:
    """Class names from ``names`` (list or {index: name}) or ``nc`` (names class_0...), as ultralytics does."""
    names, nc = data.get("names"), data.get("nc")
    if nc is not None:
        try:
            ok = not isinstance(nc, bool) and float(nc) == int(float(nc)) and 1 <= int(float(nc)) <= MAX_CLASSES
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise UsageError(f"dataset file {yaml_path}: 'nc: {nc}' must be a whole number of classes from 1 to "
                             f"{MAX_CLASSES:,}")
        nc = int(float(nc))
    if names is None and nc is not None:
        return tuple(f"class_{i}" for i in range(nc))
    if names is None or names == [] or names == {}:
        raise UsageError(
            f"dataset file {yaml_path} has no class names ('names' is missing or empty); "
            "add 'names: [name0, name1, ...]' or 'names: {0: name0, ...}'"
        )
    if isinstance(names, list):
        out = tuple(str(n) for n in names)
    elif isinstance(names, dict):
        try:
            by_index = {int(k): str(v) for k, v in names.items()}
        except (TypeError, ValueError, ArithmeticError):
            raise UsageError(
                f"dataset file {yaml_path}: 'names' keys must be class indices 0, 1, 2...; got {list(names)}"
            ) from None
        if sorted(by_index) != list(range(len(by_index))):
            raise UsageError(
                f"dataset file {yaml_path}: 'names' keys must be the indices 0-{len(by_index) - 1} "
                f"without gaps; got {sorted(by_index)}"
            )
        out = tuple(by_index[i] for i in range(len(by_index)))
    else:
        raise UsageError(
            f"dataset file {yaml_path}: 'names' must be a list or an {{index: name}} mapping, "
            f"not a {type(names).__name__}"
        )
    if nc is not None and nc != len(out):
        raise UsageError(f"dataset file {yaml_path}: 'names' has {len(out)} classes but 'nc: {nc}'; make them agree")
    return out


def _root(data: dict[str, Any], yaml_path: Path) -> Path:
    """The dataset root: ``path:`` (relative to the yaml's folder when relative), or the yaml's folder."""
    path = data.get("path")
    if path is None or path == "":
        return yaml_path.parent.resolve()
    if not isinstance(path, str):
        raise UsageError(f"dataset file {yaml_path}: 'path' must be a folder name, not a {type(path).__name__}")
    root = user_path(path, f"dataset file {yaml_path}: 'path:'")
    if not root.is_absolute():
        root = yaml_path.parent / root
    root = root.resolve()
    if not root.is_dir():
        why = (
            "relative paths are taken from the yaml's folder, not from ultralytics' datasets_dir; "
            if not user_path(path, "'path:'").is_absolute()
            else ""
        )
        ignored = " ('download:' is ignored: this benchmark never downloads)" if data.get("download") else ""
        raise UsageError(
            f"dataset file {yaml_path}: 'path: {path}' is {root}, which is not an existing folder; "
            f"{why}point 'path' at a dataset on disk{ignored}"
        )
    return root


def _split_entries(data: dict[str, Any], key: str, yaml_path: Path) -> list[str]:
    value = data[key]
    entries = value if isinstance(value, list) else [value]
    if not entries or not all(isinstance(e, str) and e for e in entries):
        raise UsageError(
            f"dataset file {yaml_path}: '{key}' must be a folder, a .txt list of images, or a list of those; "
            f"got {value!r}"
        )
    return entries


def _resolve_entry(root: Path, entry: str, single: bool) -> Path:
    """ultralytics' rule: ``root / entry``; a lone entry starting with ../ that is missing is retried without it."""
    p = (root / entry).resolve()
    if single and not p.exists() and entry.startswith("../"):
        p = (root / entry[3:]).resolve()
    return p


def _images_of(path: Path, key: str, yaml_path: Path) -> list[str]:
    """Image files of one split entry, as ultralytics lists them: a folder (searched recursively) or a text
    file listing images.

    In a list file, lines starting with ``./`` are relative to the list file's folder; other lines are used
    as written (absolute, or relative to the current directory), exactly as ultralytics reads them. Paths stay
    strings as written, because the label file ultralytics looks for depends on the spelling.
    """
    if path.is_dir():
        found = glob.glob(os.path.join(glob.escape(str(path)), "**", "*.*"), recursive=True)
    else:
        if path.suffix.lower() in IMG_SUFFIXES:
            raise UsageError(
                f"dataset file {yaml_path}: '{key}' points at the single image {path}; "
                "give a folder of images or a .txt file listing them"
            )
        try:
            lines = path.read_text(encoding="utf-8-sig").strip().splitlines()
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"dataset file {yaml_path}: '{key}' list {path} cannot be read as text: {err}") from err
        parent = str(path.parent) + os.sep
        found = [x.replace("./", parent, 1) if x.startswith("./") else x for x in (ln.strip() for ln in lines) if x]
    return [x for x in found if x.rpartition(".")[-1].lower() in _IMG_EXTENSIONS]


def _check_labels(label: str, text: str, nc: int, pose_columns: int) -> None:
    """Raise UsageError at the first malformed line of one label file.

    Accepted, as ultralytics accepts them for detection: box rows ``class cx cy w h``; polygon rows
    ``class x1 y1 ... xn yn`` (n >= 3; ultralytics turns them into boxes) but not mixed with box rows; pose
    rows of ``pose_columns`` values when the yaml has ``kpt_shape`` (the box is kept). Coordinates must be in
    [0, 1], with ultralytics' 1 % slack (-0.01 to 1.01) for converter rounding.
    """
    kinds = set()
    for lineno, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) == pose_columns:
            parts = parts[:5]
        n = len(parts)
        if n == 5:
            kinds.add("box")
        elif n >= 7 and n % 2 == 1:
            kinds.add("polygon")
        else:
            raise UsageError(
                f"label file {label} line {lineno}: {n} values; expected 5 numbers 'class x_center y_center "
                "width height' (or a polygon 'class x1 y1 x2 y2 x3 y3 ...')"
            )
        try:
            values = [float(p) for p in parts]
        except ValueError:
            bad = next(p for p in parts if not _is_float(p))
            raise UsageError(f"label file {label} line {lineno}: {bad!r} is not a number") from None
        cls = values[0]
        if not (0 <= cls < nc and cls == int(cls)):
            raise UsageError(
                f"label file {label} line {lineno}: class id {parts[0]} is not one of the dataset's "
                f"class ids 0-{nc - 1}"
            )
        if not all(-0.01 <= v <= 1.01 for v in values[1:]):
            raise UsageError(
                f"label file {label} line {lineno}: coordinates {' '.join(parts[1:])} are not all in [0, 1]; "
                "they must be fractions of the image width and height"
            )
        if n == 5 and min(values[3], values[4]) < 0:
            raise UsageError(f"label file {label} line {lineno}: negative width or height {parts[3]} {parts[4]}")
        if len(kinds) > 1:
            raise UsageError(
                f"label file {label} line {lineno}: mixes box rows (5 values) and polygon rows; use one kind per file"
            )


def _is_float(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def user_path(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` with a leading ``~`` or ``~user`` expanded; a user without a home folder is a UsageError naming
    ``what`` (the flag or key it came from), not a RuntimeError."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        raise UsageError(f"{what} {path}: no home folder for the user it names; give the path without ~ or with "
                         "an existing user") from None


def _size(path: str) -> int:
    """A file's size in bytes, 0 when it cannot be read."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _looks_like_image(head: bytes) -> bool:
    """True when the first bytes carry the signature of a format ultralytics 8.4 trains on (JPEG/MPO, PNG, BMP,
    TIFF/DNG, WebP, HEIC/HEIF/AVIF, JPEG 2000; not GIF or PFM, which its ``IMG_FORMATS`` leave out, whatever the
    file's suffix). Cheap: it catches garbage and truncated-to-nothing files, not every corrupt image
    (ultralytics' own check decodes and skips those)."""
    return (
        head.startswith((b"\xff\xd8", b"\x89PNG", b"BM", b"II*\x00", b"MM\x00*", b"\xffO\xffQ",
                         b"\x00\x00\x00\x0cjP  "))
        or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
        or head[4:8] == b"ftyp"
    )


def _check_split(
    images: Sequence[str], key: str, yaml_path: Path, nc: int, pose_columns: int
) -> tuple[int, int, int, list[str], int]:
    """Check one split's images (exist, non-empty, an image signature) and labels; return (image bytes, label
    bytes, unlabeled, the files that are not images, images with at least one box).

    Cost: one stat and two small reads per image; 5,000 images in well under a second on a local disk.
    """
    img_total = lbl_total = missing = boxed = 0
    not_images: list[str] = []
    for image in images:
        try:
            size = os.stat(image).st_size
        except OSError:
            hint = ""
            if not os.path.isabs(image):
                hint = (
                    f" (relative to the current folder {os.getcwd()}, as ultralytics reads list lines that do not "
                    "start with ./; start them with ./ to make them relative to the list file)"
                )
            raise UsageError(f"dataset file {yaml_path}: '{key}' lists {image}, which does not exist{hint}") from None
        if size == 0:
            raise UsageError(f"dataset file {yaml_path}: image {image} is empty (0 bytes); remove or replace it")
        try:
            with open(image, "rb") as f:
                head = f.read(16)
        except IsADirectoryError:
            raise UsageError(f"dataset file {yaml_path}: '{key}' lists {image}, which is a folder, not an image "
                             "file; rename or move it") from None
        except OSError as err:
            raise UsageError(f"dataset file {yaml_path}: cannot read image {image} ({err.strerror}); "
                             "check its permissions") from None
        if not _looks_like_image(head):
            not_images.append(image)  # ultralytics skips it: neither its bytes nor its label count
            continue
        img_total += size
        label = _label_str(image)
        try:
            with open(label, "rb") as f:
                raw = f.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            missing += 1
            continue
        except OSError as err:
            raise UsageError(f"cannot read label file {label} ({err.strerror}); check its permissions") from None
        lbl_total += len(raw)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UsageError(f"label file {label} is not UTF-8 text") from None
        _check_labels(label, text, nc, pose_columns)
        boxed += bool(text.strip())
    if not_images and len(not_images) == len(images):
        raise UsageError(f"dataset file {yaml_path}: none of the {len(images)} '{key}' images is a readable image "
                         f"file (e.g. {not_images[0]}); check the files, or the suffixes of what '{key}' points to")
    if missing == len(images) - len(not_images):
        raise UsageError(
            f"dataset file {yaml_path}: none of the {missing} '{key}' images has a label file; "
            f"for {images[0]} ultralytics reads {label_path(Path(images[0]))} (last /images/ -> /labels/, .txt)"
        )
    return img_total, lbl_total, missing, not_images, boxed


def load_dataset(yaml_path: Path) -> DatasetInfo:
    """Check a user's YOLO detection data.yaml and its files up front; return what it holds.

    Checks, each failure a :class:`~bench.errors.UsageError` with one line naming the file: the yaml exists
    and parses to a mapping; ``train`` and ``val`` are present (``validation`` is accepted for ``val``, as
    ultralytics does); class names come from ``names`` (list or mapping) or ``nc``; ``path`` (relative to the
    yaml's folder) exists; every split entry (folder, .txt list, or a list of those) exists and yields
    images with a suffix in :data:`IMG_SUFFIXES`; every image is a non-empty file; at least one image per
    split has a label file (images without one are counted: ultralytics trains them as background); every
    label line is well formed (5 numbers, a known class id, coordinates in [0, 1] with ultralytics' 1 %
    slack; polygon rows are accepted, as ultralytics turns them into boxes). Images are not decoded: that is
    ultralytics' job. A ``download`` key is ignored (this benchmark never downloads). A ``test`` split is
    checked like the others when it exists on disk; a missing or unusable one (unlabeled, a bad file) only gives
    a warning (training does not use it). About 5,000 labelled images check in well under a second. A path the
    system cannot take (a NUL byte, a name too long, ``~`` of a user without a home) is a UsageError too.
    """
    yaml_path = user_path(yaml_path, "--data").absolute()
    try:
        return _load_dataset(yaml_path)
    except (OSError, ValueError) as e:
        if isinstance(e, ValueError) and "null byte" not in str(e):
            raise  # a bug of ours, not a path
        why = f"{e.strerror}: {e.filename}" if isinstance(e, OSError) and e.strerror else str(e)
        raise UsageError(f"dataset file {yaml_path}: a path in it cannot be used ({why}); fix 'path', 'train' "
                         f"and 'val'") from None


def _load_dataset(yaml_path: Path) -> DatasetInfo:
    data = _read_yaml(yaml_path)
    if "val" not in data and "validation" in data:
        data["val"] = data.pop("validation")
    for key in ("train", "val"):
        if not data.get(key):
            raise UsageError(
                f"dataset file {yaml_path} has no '{key}:' entry (missing or empty); 'train' and 'val' are required "
                "(a folder of images, a .txt list of images, or a list of those, relative to 'path')"
            )
    names = _names(data, yaml_path)
    root = _root(data, yaml_path)
    pose_columns = 5
    kpt = data.get("kpt_shape")
    if isinstance(kpt, list) and len(kpt) == 2 and all(isinstance(k, int) for k in kpt):
        pose_columns = 5 + kpt[0] * kpt[1]  # pose labels: ultralytics keeps the box for a detection task

    warnings: list[str] = []
    found: dict[str, list[str]] = {}
    for key in SPLITS:
        found[key] = []
        if not data.get(key):
            continue
        single = not isinstance(data[key], list)
        for entry in _split_entries(data, key, yaml_path):
            path = _resolve_entry(root, entry, single)
            if not path.exists():
                if key == "test":
                    warnings.append(f"{yaml_path}: test split {path} not found; ignored (training does not use it)")
                    continue
                raise UsageError(f"dataset file {yaml_path}: '{key}: {entry}' is {path}, which does not exist")
            found[key] += _images_of(path, key, yaml_path)
        if not found[key] and key != "test":
            suffixes = " ".join(sorted(_IMG_EXTENSIONS))
            raise UsageError(f"dataset file {yaml_path}: no images found for '{key}' (image suffixes: {suffixes})")
        found[key].sort()

    sizes = dict.fromkeys(SPLITS, 0)
    label_total = unlabeled = 0
    for key in SPLITS:
        if not found[key]:
            continue
        try:
            sizes[key], lbl_bytes, missing, bad, boxed = _check_split(found[key], key, yaml_path, len(names),
                                                                      pose_columns)
        except UsageError as e:
            if key != "test":
                raise
            # training never reads the test split, and many datasets ship it without labels: a warning, its size
            # counted as the files stand
            warnings.append(f"{e}; the test split is ignored (training does not use it)")
            sizes[key] = sum(_size(f) for f in found[key])
            continue
        if bad:
            warnings.append(f"{yaml_path}: {len(bad)} of {len(found[key])} {key} images are not files ultralytics "
                            f"trains on (e.g. {bad[0]}: no JPEG, PNG, BMP, TIFF, WebP, HEIC or JPEG 2000 signature); "
                            "ultralytics skips them, and so do the counts here")
            skip = set(bad)
            found[key] = [f for f in found[key] if f not in skip]
        if key == "train" and not boxed:
            raise UsageError(f"dataset file {yaml_path}: none of the {len(found[key])} train images has a box (every "
                             "label file is empty or missing): a detector learns nothing from background alone; "
                             "label some images")
        label_total += lbl_bytes
        unlabeled += missing
        if missing:
            warnings.append(
                f"{yaml_path}: {missing} of {len(found[key])} {key} images have no label file "
                "(ultralytics trains them as background)"
            )
    splits = {key: tuple(Path(p).absolute() for p in found[key]) for key in SPLITS}
    return DatasetInfo(
        yaml_path=yaml_path,
        root=root,
        names=names,
        train_images=splits["train"],
        val_images=splits["val"],
        test_images=splits["test"],
        train_bytes=sizes["train"],
        val_bytes=sizes["val"],
        test_bytes=sizes["test"],
        synthetic=None,
        label_bytes=label_total,
        unlabeled_images=unlabeled,
        warnings=tuple(warnings),
    )


__all__ = [
    "GENERATOR_VERSION",
    "IMG_SUFFIXES",
    "SPLITS",
    "DatasetInfo",
    "SyntheticSpec",
    "ensure_synthetic",
    "image_bytes",
    "label_path",
    "load_dataset",
    "render_image",
]


def cache_warning(info: DatasetInfo, imgsz: int, cache: str, *, available_ram: int | None = None,
                  free_disk: int | None = None, sample: int = 30) -> str | None:
    """Whether ultralytics could cache the *whole* dataset as ``--cache`` asks, or a warning saying it could not.

    A probe trains on a small subset, whose cache always fits; ultralytics checks the full dataset's at the start
    of the full run (``data/base.py`` ``check_cache_ram``: the decoded images, resized to ``imgsz`` on the long
    side, estimated from 30 of them, x 2 for its safety margin, against the available RAM; ``check_cache_disk``:
    x 1.1 against the free disk) and, when it does not fit, trains without a cache, silently slower than probed.
    Image sizes come from the files' headers (no decoding)."""
    if cache not in ("ram", "disk"):
        return None
    imgs = [*info.train_images, *info.val_images]
    if not imgs:
        return None
    step = max(1, len(imgs) // sample)
    sizes = []
    for p in imgs[::step][:sample]:
        try:
            with Image.open(p) as im:
                w, h = im.size
        except (OSError, ValueError, Image.DecompressionBombError):  # over 179 MP: PIL refuses even the header
            continue
        r = imgsz / max(w, h)
        sizes.append((round(w * r) if cache == "ram" else w) * (round(h * r) if cache == "ram" else h) * 3)
    if not sizes:
        return None
    need = sum(sizes) / len(sizes) * len(imgs) * (2.0 if cache == "ram" else 1.1)
    if cache == "ram":
        import psutil

        have = available_ram if available_ram is not None else int(psutil.virtual_memory().available)
        where = "RAM available"
    else:
        have = free_disk if free_disk is not None else shutil.disk_usage(info.root).free
        where = f"disk free at {info.root}"
    if need <= have:
        return None
    return (f"--cache {cache}: caching the whole dataset ({len(imgs):,} images) needs about {need / 2**30:.1f} GiB "
            f"with ultralytics' safety margin, but {have / 2**30:.1f} GiB {where}: the full run would train "
            f"without the cache, slower than this probe (which cached its small subset); measure with "
            f"--cache false to see that time")
