"""`bench run` for real: tiny trainings on the CPU (a few images at 64 px), the record it writes, and the
one-line errors for bad input. Marked slow: each training takes seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from bench.cli import main
from bench.dataset import SyntheticSpec, ensure_synthetic

TINY = ["--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "6"]


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("datasets")
    info = ensure_synthetic(SyntheticSpec(train=24, val=8, test=0, width=96, height=64), d, jobs=1)
    return info.yaml_path


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def check_range(d: Any) -> None:
    assert set(d) == {"median", "low", "high"}
    assert 0 < d["low"] <= d["median"] <= d["high"]


@pytest.mark.slow
def test_probe_writes_a_complete_record(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    from bench import fingerprint
    from tests.test_validate import write_vrecs

    res = tmp_path / "results"
    # three validations of this machine erred by 1, -2 and 30%: the estimate's margin widens to what all 3 needed
    write_vrecs(res, [1.0, -2.0, 30.0], machine=fingerprint.collect(torch)["machine_id"])
    code, out, err = run_cli(["run", *TINY, "--data", str(tiny_data), "--results", str(res), "--json"], capsys)
    assert code == 0, err
    rec = json.loads(out)
    assert rec["estimate"]["systematic"] == pytest.approx(0.231)
    assert any("margin widened to ±23.1%" in x for x in rec["estimate"]["extrapolated"])
    # 24 images, all of them in ultralytics' image buffer after the first epoch: the probe counted its decodes (one
    # row per training batch, as the timeline has them), and the data part moves to the full run's far fewer decodes
    decodes = rec["measurements"]["image_decodes"]
    batches = [e for e in rec["measurements"]["events"] if e[0] == "batch_start"]
    assert [row[0] for row in decodes] == [e[2] for e in batches]
    assert all(0 <= row[1] <= 4 and row[2] >= 0 for row in decodes) and sum(row[1] for row in decodes) > 0
    dec = rec["summary"]["image_decodes"]
    assert dec["buffer_images"] == 24 and dec["seconds_per_decode"] > 0
    assert dec["full_run_decodes_per_image"]["first_epoch"] == 1.0
    assert dec["full_run_decodes_per_image"]["later_epochs"] < dec["probe_decodes_per_image"]["mosaic"]
    assert dec["data_seconds_per_batch_change"]["mosaic"] < 0
    assert any("image decodes at the full dataset's rate" in x for x in rec["estimate"]["extrapolated"])
    assert not any("decoded images in RAM" in x for x in rec["estimate"]["extrapolated"])  # the note is for workers
    # the optimizer's time, batch by batch; ultralytics stepped it at least on the first batch (ni - (-1) >= 1)
    opt = rec["measurements"]["optimizer_steps"]
    assert [row[0] for row in opt] == [e[2] for e in batches] and opt[0][1] > 0
    assert all(row[1] >= 0 for row in opt)
    # Python's full garbage collections during the run, timed on the probe's clock (a tiny run may have none)
    wall = rec["measurements"]["wall_seconds"]
    assert all(0 <= start <= wall and 0 < sec < wall for start, sec in rec["measurements"]["gc_pauses"])
    # the harness's own time (callbacks and wrappers): some, and far under the 1% overhead target
    assert 0 < rec["measurements"]["callback_seconds"] < 0.01 * wall
    assert "±23.1% systematic" in rec["estimate"]["interval"]
    files = list(res.glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text()) == rec
    for key in ("schema_version", "run_id", "status", "device", "fingerprint", "config", "epochs",
                "seconds_per_epoch", "full_run_seconds"):
        assert key in rec
    assert rec["status"] == "complete" and rec["device"] == "cpu" and rec["kind"] == "probe"
    assert rec["epochs"] == 50 and isinstance(rec["schema_version"], int)
    assert rec["config"]["optimizer"] == "AdamW"  # optimizer=auto for ceil(24 / 64) x 50 = 50 iterations
    check_range(rec["seconds_per_epoch"])
    check_range(rec["full_run_seconds"])
    # the record's estimate is its own profile extrapolated to 50 epochs (10 plain) with the widened margin
    from bench.extrapolate import estimate_run
    from bench.profile import Profile

    again = estimate_run(Profile.from_dict(rec["profile"]), 50, 10, systematic=rec["estimate"]["systematic"])
    assert rec["full_run_seconds"] == pytest.approx(again.full_run_seconds.to_dict(), rel=1e-9)
    assert rec["seconds_per_epoch"] == pytest.approx(again.seconds_per_epoch.to_dict(), rel=1e-9)
    epochs_alone = 40 * again.seconds_per_epoch_mosaic.median + 10 * again.seconds_per_epoch_plain.median
    assert rec["full_run_seconds"]["median"] > epochs_alone  # setup, warm-up and the final evaluation on top
    cfg = rec["config"]
    assert (cfg["model"], cfg["imgsz"], cfg["batch"], cfg["workers"], cfg["amp"]) == ("yolov8n", 64, 4, 0, False)
    assert cfg["dataset"]["counts"]["train_images"] == 24 and cfg["dataset"]["bytes"]["train_bytes"] > 0
    fp = rec["fingerprint"]
    assert fp["cpu_logical"] >= 1 and fp["ram_bytes"] > 2**28 and fp["torch"] and fp["ultralytics"]
    prof = rec["profile"]
    assert prof["mosaic"]["compute_seconds_per_batch"]["median"] > 0
    assert prof["mosaic"]["data_seconds_per_batch"]["median"] > 0  # workers=0: loading is in the loop
    assert (prof["workers"], prof["val_workers"]) == (0, 0)  # ultralytics forces workers=0 on cpu, validation too
    assert rec["summary"]["warmup_batches"]["mosaic"] >= 1  # the first batch is never steady state
    assert rec["summary"]["peak_host_rss_bytes"] > 2**26
    assert 0 < rec["summary"]["data_wait_share"] < 1
    # the parts partition the measured wall time
    parts = rec["summary"]["parts_seconds"]
    assert sum(parts.values()) == pytest.approx(rec["measurements"]["wall_seconds"], abs=0.05)
    assert "full run" in err and rec["run_id"] in err  # the summary went to stderr
    assert not (res / "runs" / rec["run_id"] / "weights").exists()  # probe weights are not kept
    # the probe draws one training-sample plot a phase, the first step of each (6 batches of 4 an epoch), and
    # flags both; ultralytics' own 3 at close_mosaic, added after on_train_start, are not drawn. The mosaic epoch
    # may run past its 6 batches while the warm-up settles: its 7th batch has the next epoch's global number (6)
    # and must not draw that epoch's plot
    ends = [e for e in rec["measurements"]["events"] if e[0] == "batch_end"]
    firsts = [i for i, e in enumerate(ends) if i == 0 or ends[i - 1][2] != e[2]]
    assert len(firsts) == 2 and [i for i, e in enumerate(ends) if e[3] == 1] == firsts
    drawn = sorted(p.name for p in Path(rec["measurements"]["save_dir"]).glob("train_batch*.jpg"))
    assert drawn == ["train_batch0.jpg", "train_batch6.jpg"]


@pytest.mark.slow
def test_parts_add_up_to_an_external_clock(tiny_data: Path, tmp_path: Path) -> None:
    from bench import probe, timeline
    from bench.dataset import load_dataset

    dev = probe.resolve_device("cpu")
    info = load_dataset(tiny_data)
    yml = probe.build_mirror(info, tmp_path / "mirror", 16, 8)
    from bench import offline

    offline.prepare(tmp_path / "cfg")
    import torch  # noqa: F401  the imports before the clock: run alone, this test would time them too (4 s here)
    import ultralytics  # noqa: F401

    t0 = time.perf_counter()
    res = probe.run_training(device=dev, config=probe.TrainConfig(imgsz=64, batch=4), data_yaml=yml,
                             save_dir=tmp_path / "runs" / "x", probe_budget_seconds=6.0,
                             config_dir=tmp_path / "cfg", log=lambda s: None)
    external = time.perf_counter() - t0
    parts = timeline.parse(res.events).parts()
    # the external clock also covers building the model before the probe's clock starts: allow 1 s + 5%
    assert sum(parts.values()) <= external
    assert sum(parts.values()) == pytest.approx(external, abs=1.0 + 0.05 * external)
    assert res.error is None and res.interrupted is None


@pytest.mark.slow
def test_full_run_trains_every_epoch(tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    res = tmp_path / "results"
    code, out, err = run_cli(["run", *TINY, "--data", str(tiny_data), "--results", str(res), "--full",
                              "--epochs", "3", "--close-mosaic", "1", "--json"], capsys)
    assert code == 0, err
    rec = json.loads(out)
    assert rec["kind"] == "full" and rec["status"] == "complete"
    assert len(rec["measurements"]["epoch_seconds"]) == 3
    # it trained on a mirror of links, so ultralytics' label cache went there, not into the user's dataset
    assert not list(tiny_data.parent.rglob("*.cache"))
    assert list((Path(rec["measurements"]["save_dir"]) / "data").rglob("*.cache"))
    # ultralytics' _clear_memory after each of the 3 epochs was timed, each between an epoch's end and the next
    from bench.timeline import _gap_calls, parse

    gaps = _gap_calls(parse(rec["measurements"]["events"]), rec["measurements"]["clear_memory"])
    assert sorted(gaps) == [0, 1, 2] and all(0 <= s < 1 for s in gaps.values())
    # ultralytics plots steps 0-2 and the first 3 of the no-mosaic epoch (6 batches an epoch: 12-14); all 6 flagged
    ends = [e for e in rec["measurements"]["events"] if e[0] == "batch_end"]
    assert [i for i, e in enumerate(ends) if e[3] == 1] == [0, 1, 2, 12, 13, 14]
    fr = rec["full_run_seconds"]
    assert fr["low"] == fr["median"] == fr["high"] == pytest.approx(rec["measurements"]["wall_seconds"])
    assert (res / "runs" / rec["run_id"] / "weights" / "last.pt").exists()


@pytest.mark.slow
def test_a_probe_for_a_long_run_trains_with_musgd(tiny_data: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A full run of more than 10,000 iterations gets MuSGD from optimizer=auto; the probe's own 3 short epochs
    would get AdamW, so the probe builds the full run's optimizer: 1 x 10,001 iterations here."""
    code, out, err = run_cli(["run", *TINY, "--data", str(tiny_data), "--results", str(tmp_path / "results"),
                              "--epochs", "10001", "--json"], capsys)
    assert code == 0, err
    rec = json.loads(out)
    assert rec["config"]["optimizer"] == "MuSGD" and rec["status"] == "complete"


@pytest.mark.slow
def test_no_network_is_attempted(tiny_data: Path, tmp_path: Path) -> None:
    """The whole run, imports included, in a fresh process whose sockets refuse and report every attempt; outside
    pytest as far as ultralytics can tell (it skips its integrations under pytest), with an Ultralytics API key in
    the environment (its Platform callback would upload the run) and an MLflow installed (a stub that notes its
    import: ultralytics' MLflow callback would log the run). With --cache disk: its decoded copies are removed."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "mlflow.py").write_text(f"open({str(tmp_path / 'mlflow-imported')!r}, 'w').close()\n"
                                     "__version__ = '9.9'\n")
    code = textwrap.dedent(f"""
        import socket, sys
        attempts = []
        def deny(*a, **k):
            attempts.append(repr(a)[:80])
            raise OSError("network blocked by test")
        socket.socket.connect = deny
        socket.socket.connect_ex = deny
        socket.create_connection = deny
        socket.getaddrinfo = deny
        socket.gethostbyname = deny
        from bench.cli import main
        rc = main(["run", "--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "4", "--cache", "disk",
                   "--data", {str(tiny_data)!r}, "--results", {str(tmp_path / "res")!r}])
        print("ATTEMPTS", len(attempts), attempts[:3], file=sys.stderr)
        import gc
        print("TRAINERS", sum(type(o).__name__ == "DetectionTrainer" for o in gc.get_objects()), file=sys.stderr)
        sys.exit(rc)
    """)
    env_home = tmp_path / "home"
    env_home.mkdir()
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                       env={"PATH": "/usr/bin:/bin", "HOME": str(env_home), "PYTHONPATH": f"{stubs}:{Path.cwd()}",
                            "ULTRALYTICS_API_KEY": "ul_" + "0" * 40})
    assert p.returncode == 0, p.stderr[-2000:]
    assert "ATTEMPTS 0 " in p.stderr, p.stderr[-2000:]
    assert not (tmp_path / "mlflow-imported").exists()  # the MLflow integration was never loaded
    assert not [q for q in env_home.rglob("*")]  # nothing in the home directory: no Ultralytics, no matplotlib
    assert not list((tmp_path / "res").rglob("*.npy")) and not list(tiny_data.parent.rglob("*.npy"))
    # the finished run's trainer did not outlive it in a reference cycle (found by a review: it held the model,
    # optimizer and datasets until the next full garbage collection)
    assert "TRAINERS 0" in p.stderr, p.stderr[-2000:]


def test_threads_are_set_as_ultralytics_sets_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.offline import threads_as_ultralytics

    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    threads_as_ultralytics()
    assert os.environ["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("OMP_NUM_THREADS", "6")  # the user's choice stands, as ultralytics leaves it
    threads_as_ultralytics()
    assert os.environ["OMP_NUM_THREADS"] == "6"


# ------------------------------------------------------------------------------------------- bad input
def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


BAD = [
    (["--device", "mps"], "MPS is not available"),
    (["--device", "cuda"], "CUDA is not available"),
    (["--device", "cuda:7"], "available: cpu"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--batch", "0"], "must be >= 1"),
    (["--batch", "-3"], "must be >= 1"),
    (["--imgsz", "100"], "multiple of 32"),
    (["--budget", "0"], "must be > 0"),
    (["--budget", "abc"], "is not a number"),
    (["--epochs", "0"], "must be >= 1"),
    (["--model", "yolov9q"], "unknown model"),
    (["--data", "/nonexistent/data.yaml"], "no such file"),
    (["--image-size", "640"], "WIDTHxHEIGHT"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_nothing_written(args: list[str], message: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    res = tmp_path / "results"
    code, out, err = run_cli(["run", "--device", "cpu", *args, "--results", str(res),
                              "--datasets", str(tmp_path / "ds")], capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0]
    assert "Traceback" not in err and out == ""
    assert not res.exists()
    assert not (tmp_path / "ds").exists()


BAD_YAML = [
    ("broken.yaml", "train: [images/train\nval: x\n", "not valid yaml"),
    ("list.yaml", "- a\n- b\n", "mapping"),
    ("noval.yaml", "path: .\ntrain: images/train\nnames: {0: a}\n", "val"),
    ("nonames.yaml", "path: .\ntrain: images/train\nval: images/val\n", "names"),
    ("noimages.yaml", "path: ROOT\ntrain: images/train\nval: images/val\nnames: {0: a}\n", "image"),
]


@pytest.mark.parametrize(("name", "text", "message"), BAD_YAML, ids=[b[0] for b in BAD_YAML])
def test_bad_data_yaml(name: str, text: str, message: str, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ds"
    (root / "images" / "train").mkdir(parents=True)
    (root / "images" / "val").mkdir(parents=True)
    y = write(tmp_path, name, text.replace("ROOT", str(root)))
    res = tmp_path / "results"
    code, _out, err = run_cli(["run", "--device", "cpu", "--data", str(y), "--results", str(res)], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0].lower(), err
    assert name in lines[0]
    assert "Traceback" not in err and not res.exists()


def test_dataset_without_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    root = tmp_path / "ds"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        Image.new("RGB", (64, 64)).save(root / "images" / split / "a.jpg")
    y = write(tmp_path, "data.yaml", f"path: {root}\ntrain: images/train\nval: images/val\nnames: [a]\n")
    code, _, err = run_cli(["run", "--device", "cpu", "--data", str(y), "--results", str(tmp_path / "r")], capsys)
    assert code == 2 and "label" in err and len(err.strip().splitlines()) == 1


def test_a_rescaling_that_rounds_to_nothing_says_so() -> None:
    from bench.run import _moves

    # the 4,195-image dataset: the buffer holds 3% of it, the decodes per sample do not change
    assert _moves("the data part", -0.0004) == "the data part stays as measured"
    assert _moves("compute", -0.0416) == "compute moves by -42 ms per batch"
    assert _moves("compute", 0.0006) == "compute moves by +1 ms per batch"


def test_summary_says_how_long_the_warm_up_held_the_probe() -> None:
    from pathlib import Path

    from bench.cli import format_summary

    rec = {"kind": "probe", "run_id": "r", "status": "complete", "device": "cpu", "device_name": "CPU", "epochs": 50,
           "close_mosaic": 10, "config": {"amp": False, "workers": 0, "torch_threads": 1, "model": "yolov8n",
                                          "imgsz": 640, "batch": 16, "budget_seconds": 90.0,
                                          "dataset": {"counts": {"train_images": 4195, "val_images": 400}}},
           "measurements": {"wall_seconds": 171.4, "warmup_extension_seconds": 42.2}}
    text = format_summary(rec, Path("r.json"))
    assert "took        171s of training (budget 90s); the mosaic batches ran 42s past their share" in text
    rec["measurements"]["warmup_extension_seconds"] = 0.0
    assert "took        171s of training (budget 90s)\n" in format_summary(rec, Path("r.json"))


def test_checkpoint_whole_tells_a_cut_off_or_damaged_file(tmp_path: Path) -> None:
    import torch

    from bench.run import checkpoint_whole

    p = tmp_path / "last.pt"
    torch.save({"epoch": 3, "w": torch.arange(5000.0)}, p)
    whole = p.read_bytes()
    assert checkpoint_whole(p)
    for broken in (whole[: len(whole) // 3], whole[:-10], whole[:200] + b"\0" * 64 + whole[264:], b""):
        p.write_bytes(broken)
        assert not checkpoint_whole(p)
    assert not checkpoint_whole(tmp_path / "missing.pt")


# ------------------------------------------------------------------ images ultralytics leaves out as corrupt
def test_usable_images_hand_worked() -> None:
    from bench.probe import usable

    assert usable(4195, 64, 56) == 3671  # 4195 x 56/64 = 3670.6
    assert usable(24, 24, 18) == 18  # the whole split read: exactly what was kept
    assert usable(24, 24, 24) == 24 and usable(24, 24, None) == 24 and usable(24, 0, 0) == 24


def _info(tmp_path: Path, train: int, val: int) -> Any:
    from bench.dataset import DatasetInfo

    return DatasetInfo(yaml_path=tmp_path / "d.yaml", root=tmp_path, names=("a",),
                       train_images=tuple(tmp_path / f"t{i}.jpg" for i in range(train)),
                       val_images=tuple(tmp_path / f"v{i}.jpg" for i in range(val)), test_images=(), train_bytes=1,
                       val_bytes=1, test_bytes=0)


def test_left_out_estimates_the_whole_split_from_the_probes_sample(tmp_path: Path) -> None:
    from bench.run import left_out

    files = {"train": [f"/d/bad{i}.jpg" for i in range(8)], "val": ["/d/v.jpg"]}
    # train: a sample of 64 of 200 read; val: all 32 read
    rec, warning = left_out(_info(tmp_path, 200, 32), (64, 32), (56, 31), "probe", files)
    assert rec is not None and warning is not None
    assert rec["train_images"] == 25 and rec["val_images"] == 1  # 200 - round(200 x 56/64); val exact
    assert rec["seen"] == {"train": [56, 64], "val": [31, 32]} and rec["files"] == files
    # one standard error of the sampled share, finite population: 200 x sqrt(.125 x .875 / 64 x 136/199) = 6.8
    assert ("left out 8 of the 64 train images this probe read (so train uses an estimated 175 ± 7 of 200, the "
            "same share) and 1 of the 32 val images (so val uses 31) as corrupt") in warning
    assert "/d/bad0.jpg, /d/bad1.jpg, /d/bad2.jpg and 6 more (in the record)" in warning
    rec, warning = left_out(_info(tmp_path, 24, 8), (24, 8), (18, 8), "run", {})
    assert rec is not None and warning is not None and (rec["train_images"], rec["val_images"]) == (6, 0)
    assert "left out 6 of the 24 train images (so train uses 18) as corrupt" in warning and "±" not in warning
    assert left_out(_info(tmp_path, 24, 8), (24, 8), (24, 8), "probe") == (None, None)
    assert left_out(_info(tmp_path, 24, 8), (24, 8), None, "probe") == (None, None)


def test_mirror_split_counts_and_names_the_users_files(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from bench import probe

    users = [tmp_path / "data" / f"img{i}.jpg" for i in range(4)]
    users[0].parent.mkdir()
    for f in users:
        f.write_bytes(b"x")
    mirror = tmp_path / "mirror" / "images" / "train"
    mirror.mkdir(parents=True)
    for i, f in enumerate(users):
        (mirror / f"{i:06d}.jpg").symlink_to(f)
    (mirror / "000001.npy").write_bytes(b"cache")  # ultralytics' cache=disk files live beside the images
    kept = SimpleNamespace(im_files=[str(mirror / "000000.jpg"), str(mirror / "000003.jpg")])
    assert probe.mirror_split(kept) == (2, 4, [str(users[1]), str(users[2])])
    assert probe.mirror_split(SimpleNamespace(im_files=[])) == (0, 0, [])
    # not a mirror (no numbered links): nothing is known to be left out
    assert probe.mirror_split(SimpleNamespace(im_files=[str(users[0])])) == (1, 1, [])


@pytest.mark.slow
def test_a_probe_leaves_out_truncated_images_from_its_estimate(tiny_data: Path, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """6 of 24 train JPEGs cut in half: ultralytics cannot restore them and trains on 18; the estimate is for 18,
    the record names the 6 files, and the summary says 18 train of 24 found."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(tiny_data.parent, data)
    yml = data / "data.yaml"
    yml.write_text("\n".join(f"path: {data}" if line.startswith("path:") else line
                             for line in tiny_data.read_text().splitlines()) + "\n")
    cut = sorted((data / "images" / "train").iterdir())[:6]
    for f in cut:
        f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])
    code, out, err = run_cli(["run", *TINY, "--data", str(yml), "--results", str(tmp_path / "r"), "--json"], capsys)
    assert code == 0, err
    rec = json.loads(out)
    gone = rec["config"]["dataset"]["left_out"]
    assert (gone["train_images"], gone["val_images"]) == (6, 0)
    assert gone["files"]["train"] == [str(f) for f in cut]
    assert rec["profile"]["train_images"] == 18 and rec["config"]["dataset"]["counts"]["train_images"] == 24
    assert "18 train / 8 val images (24 / 8 found, 6 / 0 left out as corrupt)" in err
