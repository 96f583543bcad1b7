"""Interruptions and concurrency: SIGINT/SIGTERM at random moments never corrupt results/; a killed full run
resumes to the right number of epochs and records what the interruption cost; concurrent runs and dataset
generations never clobber each other. Real processes, tiny trainings (slow)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench import record
from bench.dataset import SyntheticSpec, ensure_synthetic

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ds")
    return ensure_synthetic(SyntheticSpec(train=24, val=8, test=0, width=96, height=64), d, jobs=1).yaml_path


def bench(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bench", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def assert_consistent(results: Path) -> list[dict[str, object]]:
    """Every file in results/ is a whole, readable record; no temporary file is left."""
    assert not [p for p in results.rglob("*.tmp")], "temporary files left behind"
    recs = []
    for p in results.glob("*.json"):
        rec = record.read_record(p)  # raises on a truncated or foreign file
        assert rec["status"] in ("complete", "interrupted", "invalid")
        recs.append(rec)
    return recs


@pytest.mark.parametrize("seed", range(4))
def test_kill_at_a_random_moment(tiny: Path, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    sig = (signal.SIGINT, signal.SIGTERM)[seed % 2]
    delay = rng.uniform(0.5, 14.0)
    res = tmp_path / "results"
    p = bench("--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "10", "--data", str(tiny),
              "--results", str(res))
    time.sleep(delay)
    p.send_signal(sig)
    _, err = p.communicate(timeout=300)
    seen = f"signal {int(sig)} after {delay:.2f} s, exit {p.returncode}; stderr ends:\n{err[-2500:]}"
    assert p.returncode in (0, 128 + sig), seen
    assert "Traceback" not in err, seen
    recs = assert_consistent(res) if res.exists() else []
    assert len(recs) <= 1, seen
    if p.returncode != 0 and recs and recs[0]["status"] == "complete":
        # the signal came while the finished run's record was written: held until it was whole, then obeyed
        assert "interrupted" in err and f"after its record was written (complete): {res}" in err, seen
    elif p.returncode != 0 and recs:
        assert recs[0]["status"] == "interrupted", seen
        assert recs[0]["interruption"]["signal"] == sig, seen  # type: ignore[index]


# What a stop request that landed inside one of torch's lazy imports leaves behind: a KeyboardInterrupt raised in
# code run by exec() (dataclasses generate their methods so), caught, and the process ending as bench.cli.leave ends
# it. Run with -m, as `python -m bench` is: CPython then ends a caught-but-flagged interrupt by SIGINT (status -2).
_LEAVE = """
import atexit, pathlib, sys, threading, time
from bench.cli import leave

out = pathlib.Path(sys.argv[1])
try:
    exec("raise KeyboardInterrupt")
except KeyboardInterrupt:
    pass

def plot():  # as ultralytics draws its plots: a non-daemon thread, still writing when the run ends
    time.sleep(0.5)
    out.joinpath("plot.png").write_bytes(b"x" * 100_000)

threading.Thread(target=plot, daemon=False).start()
from concurrent.futures import ThreadPoolExecutor
ThreadPoolExecutor(2).submit(time.sleep, 0.1)  # an idle pool, never shut down: must not hold the exit
atexit.register(lambda: out.joinpath("atexit").write_text("ran"))
sys.stdout.write("the summary")  # buffered: a pipe is not a terminal
leave(int(sys.argv[2]))
"""


@pytest.mark.parametrize("code", [130, 143, 0, 2])
def test_the_exit_after_a_stop_that_landed_inside_an_import(tmp_path: Path, code: int) -> None:
    (tmp_path / "leave_check.py").write_text(_LEAVE)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as it is in a pipe
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "leave_check", str(tmp_path), str(code)], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60, env=env)
    assert time.perf_counter() - t < 15  # the idle pool did not hold it for EXIT_GRACE_SECONDS
    assert p.returncode == code, p.stderr  # not -2 (SIGINT) nor -6 (an aborted shutdown)
    assert p.stdout == "the summary"
    assert (tmp_path / "plot.png").stat().st_size == 100_000  # waited for, whole
    assert (tmp_path / "atexit").read_text() == "ran"
    assert "Traceback" not in p.stderr and "Fatal" not in p.stderr


def test_output_that_cannot_be_written_is_an_error_not_a_success(tmp_path: Path) -> None:
    """stdout on a full disk (/dev/full): one line and exit 1, where the interpreter's shutdown used to say it with
    a traceback-like "Exception ignored" and exit 120; a reader that stops early (`| head`) is no error."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            p = subprocess.run([sys.executable, "-m", "bench", "prices", "--results", str(tmp_path)], stdout=full,
                               stderr=subprocess.PIPE, text=True, timeout=120, env=env)
        assert p.returncode == 1
        assert p.stderr.strip() == "bench prices: error: the output could not be written: No space left on device"
    for unbuffered in ({}, {"PYTHONUNBUFFERED": "1"}):  # unbuffered, the closed pipe showed at once: exit 1, before
        head = subprocess.run(f"{sys.executable} -m bench prices --results {tmp_path} | head -1; "
                              "exit ${PIPESTATUS[0]}", shell=True, executable="/bin/bash", capture_output=True,
                              text=True, timeout=120, env=env | unbuffered)
        assert head.stdout.startswith("SageMaker") and head.stderr == "" and head.returncode == 0, head


def test_a_signal_while_the_record_is_written(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C after the training, while its record is being written: the write finishes, whole, then the stop is
    obeyed (exit 130), and the one line says where the complete record is."""
    import bench.run
    from bench.cli import main

    real = record.write_record

    def write_then_ctrl_c(results: Path, rec: dict[str, object]) -> Path:
        signal.raise_signal(signal.SIGINT)  # held: the handler only notes it inside the block
        return real(results, rec)

    monkeypatch.setattr(bench.run.record, "write_record", write_then_ctrl_c)
    res = tmp_path / "results"
    code = main(["run", "--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "5", "--data", str(tiny),
                 "--results", str(res)])
    err = capsys.readouterr().err.strip().splitlines()
    recs = assert_consistent(res)
    assert code == 130 and len(recs) == 1 and recs[0]["status"] == "complete"
    assert err[-1] == f"bench run: interrupted after its record was written (complete): {res.resolve()}/" \
                      f"{recs[0]['run_id']}.json", err[-3:]


def test_an_interrupted_probe_removes_its_disk_cache(tiny: Path, tmp_path: Path) -> None:
    """--cache disk: ultralytics' decoded .npy copies are removed when a probe is stopped, as when it ends (only a
    full run, which may be resumed, keeps them)."""
    res = tmp_path / "results"
    p = bench("--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "30", "--cache", "disk", "--data",
              str(tiny), "--results", str(res))
    deadline = time.monotonic() + 120
    while not list(res.rglob("*.npy")) and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert list(res.rglob("*.npy")), "the probe wrote no .npy cache to interrupt"
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=300)
    assert p.returncode == 130, err[-2000:]
    recs = assert_consistent(res)
    assert [r["status"] for r in recs] == ["interrupted"] and recs[0]["kind"] == "probe"
    assert not list(res.rglob("*.npy")), "the interrupted probe left its disk cache"


def test_kill_during_dataset_generation_leaves_no_half_dataset(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    spec = ["--train-images", "400", "--val-images", "40", "--test-images", "0"]
    p = bench("--device", "cpu", *spec, "--datasets", str(ds), "--results", str(tmp_path / "r"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(ds.glob(".tmp-synthetic-*/images/train/*.jpg")):
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 130, err[-1500:]
    assert "Traceback" not in err
    leftovers = list(ds.iterdir()) if ds.exists() else []
    assert not [x for x in leftovers if x.name.startswith(".tmp")], leftovers
    assert not [x for x in leftovers if not (x / "manifest.json").exists()]
    assert not (tmp_path / "r").exists() or not list((tmp_path / "r").glob("*.json"))
    info = ensure_synthetic(SyntheticSpec(train=400, val=40, test=0), ds)  # generated again, whole
    assert len(info.train_images) == 400


def test_killed_full_run_resumes_to_the_right_number_of_epochs(tiny: Path, tmp_path: Path) -> None:
    res = tmp_path / "results"
    args = ["--device", "cpu", "--imgsz", "64", "--batch", "4", "--data", str(tiny), "--results", str(res)]
    p = bench(*args, "--full", "--epochs", "5", "--close-mosaic", "2")
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # kill it in the middle of its third epoch
        rows = [len(f.read_text().splitlines()) for f in res.glob("runs/*/results.csv")]
        if rows and rows[0] >= 3:
            break
        time.sleep(0.1)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err[-1500:]
    (first,) = assert_consistent(res)
    assert first["status"] == "interrupted" and first["kind"] == "full"

    # a checkpoint cut off (a SIGKILL while ultralytics saved it; SIGINT and SIGTERM wait for the save) is refused
    # in one line, and the interrupted record stays as it was
    last = Path(first["measurements"]["save_dir"]) / "weights" / "last.pt"
    whole = last.read_bytes()
    last.write_bytes(whole[: len(whole) // 3])
    bad = subprocess.run([sys.executable, "-m", "bench", "run", *args, "--full", "--resume", str(first["run_id"])],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "is cut off or damaged" in bad.stderr, bad.stderr[-1500:]
    assert len(bad.stderr.strip().splitlines()) == 1 and "Traceback" not in bad.stderr
    assert record.read_record(res / f"{first['run_id']}.json") == first
    last.write_bytes(whole)
    # a flag asking for other settings than the run's would be ignored: refused in one line, naming both
    other = subprocess.run([sys.executable, "-m", "bench", "run", *args, "--full", "--resume", str(first["run_id"]),
                            "--epochs", "7", "--no-amp", "--model", "yolov8s"], capture_output=True, text=True,
                           timeout=300)
    assert other.returncode == 2 and len(other.stderr.strip().splitlines()) == 1, other.stderr[-1500:]
    assert ("leave out --model yolov8s (the run's: yolov8n), --epochs 7 (the run's: 5), --no-amp (the run's: --amp)"
            in other.stderr), other.stderr

    q = subprocess.run([sys.executable, "-m", "bench", "run", *args, "--full", "--resume", str(first["run_id"]),
                        "--json"], capture_output=True, text=True, timeout=300)
    assert q.returncode == 0, q.stderr[-1500:]
    rec = json.loads(q.stdout)
    csv = Path(rec["measurements"]["save_dir"]) / "results.csv"
    logged = [int(float(row.split(",")[0])) for row in csv.read_text().splitlines()[1:]]
    cost = rec["interruption_cost"]
    # this test failed once in 30-odd suite runs without its cause on record: every assertion below says what
    # the two runs saw, so the next failure tells why
    def epochs(r: dict) -> list[float]:  # type: ignore[type-arg]
        return [round(s, 2) for s in r["measurements"]["epoch_seconds"]]

    seen = (f"killed at {first['measurements']['wall_seconds']:.2f}s after complete epochs of {epochs(first)}s; "
            f"resumed run: epochs_before {cost['epochs_before']}, complete epochs of {epochs(rec)}s, log {logged}, "
            f"cost {cost}, warnings {rec['warnings']}")
    assert rec["status"] == "complete" and rec["resumed_from"] == first["run_id"], seen
    assert rec["measurements"]["epochs_trained_total"] == 5, seen
    # ultralytics' own log has a row for every epoch 1..5. It writes an epoch's row before its checkpoint, so a kill
    # landing between the two (seen in CI on a slow machine) leaves that epoch's row twice: the resumed run trains
    # it again.
    assert sorted(set(logged)) == [1, 2, 3, 4, 5] and len(logged) - len(set(logged)) <= 1, seen
    # killed in epoch 3 (or, rarely, just before epoch 2's or after epoch 3's checkpoint; on a faster machine the
    # 0.3 s can reach into epoch 4): the checkpoint ultralytics resumed from decides, and the log agrees with it
    assert cost["epochs_before"] in (1, 2, 3, 4), seen
    redone = [e for e in set(logged) if logged.count(e) > 1]
    if redone:
        assert cost["epochs_before"] == redone[0] - 1, seen
    assert cost["lost_seconds"] > 0 and cost["restart_seconds"] > cost["setup_seconds"] > 0, seen
    assert rec["full_run_seconds"]["median"] > first["measurements"]["wall_seconds"], seen  # type: ignore[index]
    # the interrupted record is untouched
    again = record.read_record(res / f"{first['run_id']}.json")
    assert again == first
    # resuming twice, or resuming a complete run, is refused in one line
    r2 = subprocess.run([sys.executable, "-m", "bench", "run", *args, "--full", "--resume", rec["run_id"]],
                        capture_output=True, text=True, timeout=120)
    assert r2.returncode == 2 and "only an interrupted --full run" in r2.stderr
    assert len(r2.stderr.strip().splitlines()) == 1


def test_two_runs_at_once_write_two_complete_records(tiny: Path, tmp_path: Path) -> None:
    res = tmp_path / "results"
    procs = [bench("--device", "cpu", "--imgsz", "64", "--batch", "4", "--budget", "4", "--data", str(tiny),
                   "--results", str(res)) for _ in range(2)]
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err[-1500:]
    recs = assert_consistent(res)
    assert len(recs) == 2 and recs[0]["run_id"] != recs[1]["run_id"]
    assert all(r["status"] == "complete" for r in recs)


def test_dataset_generation_racing_with_itself(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from bench.dataset import SyntheticSpec, ensure_synthetic; "
            "i = ensure_synthetic(SyntheticSpec(train=60, val=10, test=5, width=128, height=96), Path(sys.argv[1]),"
            " jobs=1); print(i.root, len(i.train_images))")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len({o[0] for o in outs}) == 1 and all(o[1] == "60" for o in outs)
    dirs = [x for x in tmp_path.iterdir()]
    assert len(dirs) == 1 and (dirs[0] / "manifest.json").exists()


def test_killed_validate_leaves_results_consistent(tmp_path: Path) -> None:
    res = tmp_path / "results"
    p = subprocess.Popen([sys.executable, "-m", "bench", "validate", "--device", "cpu", "--imgsz", "64", "--batch",
                          "4", "--epochs", "4", "--close-mosaic", "1", "--train-images", "24", "--val-images", "8",
                          "--image-size", "96x64", "--budget", "5", "--results", str(res), "--datasets",
                          str(tmp_path / "ds")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(res.glob("validation/records/*-full-*")):
        if list(res.glob("validation/records/runs/*-full-*/results.csv")):
            break
        time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 143, err[-1500:]
    assert "Traceback" not in err
    recs = assert_consistent(res / "validation" / "records")
    assert not list((res / "validation").glob("*.json"))  # no validation record for an unfinished validation
    assert [r["status"] for r in recs if r["kind"] == "full"] in (["interrupted"], [])
