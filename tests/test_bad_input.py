"""Bad input everywhere: every command, driven through the CLI with wrong, missing and malformed values, answers
with one clear line on stderr and a documented exit code (2), no traceback, no partial file, and every other
record untouched. (`bench run`'s own cases, which need a training, are in test_run.py.)"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from bench.cli import main

FIXTURES = Path(__file__).parent / "fixtures"


def snapshot(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(d.rglob("*")) if p.is_file()} if d.exists() else {}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A results dir with one good record and every kind of bad file."""
    d = tmp_path / "results"
    shutil.copytree(FIXTURES / "results", d)
    for p in (FIXTURES / "bad").iterdir():
        shutil.copy(p, d / p.name)
    (d / "binary.json").write_bytes(b"\xff\xfe\x00 not text")  # not UTF-8: skipped like any corrupt file
    (d / "validation").mkdir()
    (d / "validation" / "binary.json").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "noval.yaml").write_text(f"path: {tmp_path}\ntrain: .\nnames: [a]\n")
    import json  # an interrupted full run whose record lost its measurements and config: not resumable

    good = json.loads((d / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    rid = "20261130T000000Z-cpu-full-broken"
    (d / f"{rid}.json").write_text(json.dumps({**good, "run_id": rid, "kind": "full", "status": "interrupted",
                                               "measurements": None, "config": {}}))
    return d


# (command line with {R} for the results dir, expected words in the one line)
CASES = [
    ("report --results {R} --region mars", "regions with prices"),
    ("report --results {R} --instances ml.x9.large", "known instances"),
    ("report --results {R} --run nosuchrun", "no such record"),
    ("report --results {R} --run 20261201T000000Z-cpu-probe-future", "newer bench"),
    ("report --results {R} --run corrupt", "not valid JSON"),
    ("report --results {R} --epochs 0", "must be"),
    ("report --results {R} --deadline -1", "must be"),
    ("report --results {R} --max-usd 0", "must be"),
    ("report --results {R} --set no_such_param=1", "no_such_param"),
    ("report --results {R} --set spot_discount=abc", "spot_discount"),
    ("report --results {R}/empty", "bench run"),
    ("report --results {R} --config {R}/missing.toml", "missing.toml"),
    ("estimate --hours 0 --device mps", "must be > 0"),
    ("estimate --hours -3 --device mps", "must be > 0"),
    ("estimate --hours ten --device mps", "not a number"),
    ("estimate --hours 10 --device tpu", "tpu"),
    ("estimate --hours 10 --device mps --region mars", "regions with prices"),
    ("estimate --hours 10 --device cuda --gpu 'Voodoo 2'", "Voodoo"),
    ("estimate --device mps", "--hours"),
    ("prices --region xx", "regions with prices"),
    ("prices --catalog {R}/corrupt.json", "corrupt.json"),
    ("prices --catalog {R}/binary.json", "not UTF-8"),
    ("report --results {R} --run binary", "not UTF-8"),
    ("estimate --hours inf --device mps", "not a finite number"),
    ("estimate --hours nan --device mps", "not a finite number"),
    ("run --device cpu --budget inf --results {R}", "not a finite number"),
    ("run --device cpu --seed 4294967296 --results {R}", "must be between 0 and 4294967295"),
    ("validate --device tpu --results {R}", "unknown device"),
    ("validate --repeat 0 --results {R}", "must be >= 1"),
    ("validate --device mps --results {R}", "MPS is not available"),
    ("validate --summary --results {R}", "no validation records"),
    ("validate --summary --overhead --results {R}", "choose one"),
    ("validate --summary --results {R}/corrupt.json", "not a directory"),
    ("validate --summary --repeat 3 --results {R}", "leave --repeat out"),
    ("validate --overhead --repeat 3 --results {R}", "leave --repeat out"),
    ("validate --pairs 4 --results {R}", "add --overhead"),
    ("run --device cpu --data {R} --results {R}", "a folder; give the path of the YOLO data.yaml file in it"),
    ("validate --summary --since yesterday --results {R}", "not a UTC date or time"),
    ("validate --since 2026-11-29 --results {R}", "add --summary"),
    ("run --device cpu --results {R}/corrupt.json", "not a directory"),
    # found by a review (2026-12-08): '~user' of no such user was a RuntimeError traceback
    ("run --device cpu --datasets '~nosuchuser_bench/ds' --results {R}", "no home folder for the user it names"),
    ("run --device cpu --data '~nosuchuser_bench/data.yaml' --results {R}", "no home folder for the user it names"),
    ("report --results '~nosuchuser_bench/r'", "no home folder for the user it names"),
    ("run --device cpu --datasets {R}/corrupt.json/x --results {R}", "not a directory"),
    ("run --device cpu --resume nosuchrun --results {R}", "--resume nosuchrun: no such record"),
    ("run --device cpu --resume 20261130T000000Z-cpu-full-broken --results {R}", "the record is damaged"),
    ("run --device cpu --resume 20261128T180143Z-cpu-probe-c84d97 --results {R}", "only an interrupted --full run"),
    ("run --device cpu --epochs=-1 --results {R}", "must be >= 1"),
    ("run --device cpu --close-mosaic -1 --results {R}", "must be >= 0"),
    ("run --device cpu --workers x --results {R}", "not an integer"),
    ("run --device cpu --cache gpu --results {R}", "invalid choice"),
    ("frobnicate", "invalid choice"),
    ("run --device cpu --imgsz 16384 --results {R}", "at most 8192"),
    ("estimate --hours 1e200 --device cpu", "at most 1e+09"),
    ("run --device cpu --classes 1000000 --results {R}", "classes must be an integer from 1 to 100,000"),
    ("run --device cpu --classes 1000000000000 --results {R}", "at most 1e+09"),
    ("run --device cpu --image-size 10000x480 --results {R}", "--image-size 10000x480: width=10000 is not allowed"),
    ("run --device cpu --train-images 100000000 --datasets {R}/../ds --results {R}", "GB free"),
    ("validate --device cpu --data {R}/../noval.yaml --results {R}", "no 'val:' entry"),
    # with --data nothing is generated: an unwritable --datasets is not what is wrong
    ("run --device cpu --data {R}/../noval.yaml --datasets /proc/bench-datasets --results {R}", "no 'val:' entry"),
    ("validate --overhead --device cpu --data {R}/../noval.yaml --results {R}", "no 'val:' entry"),
    # empty values would silently mean something else: a fresh probe, the newest record, the current directory
    ("run --device cpu --resume '' --results {R}", "argument --resume: is empty"),
    ("report --results {R} --run ' '", "argument --run: is empty"),
    ("report --results ''", "argument --results: is empty; give a path"),
    ("report --results {R} --instances ''", "argument --instances: is empty"),
    ("estimate --hours 1 --device mps --chip 'M4\x1b[2J'", "holds control characters"),  # an escape sequence
    ("run --device cpu --data /dev/null --results {R}", "--data /dev/null: not a regular file"),
    # permissions say yes to root everywhere; /proc still takes no file: found before the dataset is generated
    ("run --device cpu --results /proc/bench-results", "--results /proc/bench-results: cannot write in /proc"),
    # flags the command would ignore
    ("estimate --hours 1 --device cuda --gpu T4 --chip X", "with --device cuda name the GPU with --gpu"),
    ("validate --summary --model yolov8s --budget 30 --results {R}", "leave out --model, --budget"),
]


@pytest.mark.parametrize(("line", "expect"), CASES, ids=[c[0] for c in CASES])
def test_one_line_exit_2_nothing_written(line: str, expect: str, results: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    import shlex

    before = snapshot(results)
    code = main(shlex.split(line.replace("{R}", str(results))))
    out = capsys.readouterr()
    assert code == 2, out.err
    lines = [x for x in out.err.strip().splitlines() if not x.startswith("warning")]
    assert len(lines) == 1, out.err
    assert expect in lines[0], lines[0]
    assert "Traceback" not in out.err
    assert snapshot(results) == before  # nothing written, nothing touched
    assert not (results / "report").exists()


def test_bad_files_are_skipped_with_a_warning_each_and_the_report_still_builds(
        results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(results)
    code = main(["report", "--results", str(results)])
    err = capsys.readouterr().err
    assert code == 0, err
    for name in ("corrupt.json", "truncated.json", "foreign.json", "future.json", "binary.json"):
        assert name in err
    assert (results / "report" / "report.md").exists()
    after = snapshot(results)
    assert {k: v for k, v in after.items() if not k.startswith("report/")} == before  # records untouched


def test_read_only_results_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    if os.geteuid() == 0:  # root writes through permissions: have the check see what a user would
        import bench.run

        real = os.access
        monkeypatch.setattr(bench.run.os, "access", lambda p, mode: False if Path(p) == d else real(p, mode))
    try:
        assert main(["run", "--device", "cpu", "--results", str(d / "results")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"{d} is not writable" in err[0], err
        assert not (d / "results").exists()
    finally:
        d.chmod(0o755)


def test_dataset_of_garbage_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ds"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        for i in range(3):
            (root / "images" / split / f"{i}.jpg").write_bytes(b"this is not a jpeg at all")
            (root / "labels" / split / f"{i}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    y = tmp_path / "data.yaml"
    y.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames: [a]\n")
    code = main(["run", "--device", "cpu", "--data", str(y), "--results", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "readable image" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()


def test_impossible_sizes_and_restarts_in_a_record_are_not_used(results: Path) -> None:
    """A dataset size of Infinity and a restart of 1e308 s (JSON allows both) in the newest record: the report is
    built, with the assumed dataset size and the default restart, instead of a traceback or an axis of 1e308."""
    import json

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    rid = "20261130T000000Z-cpu-probe-zzzzzz"
    odd = {**good, "run_id": rid, "created_at": "2026-11-30T00:00:00Z",
           "config": {**good["config"], "dataset": {**good["config"]["dataset"], "total_bytes": float("inf")}},
           "interruption_cost": {"lost_seconds": 10 ** 400, "restart_seconds": 1e308}}
    (results / f"{rid}.json").write_text(json.dumps(odd))
    assert main(["report", "--results", str(results)]) == 0
    md = (results / "report" / "report.md").read_text()
    assert f"({rid})" in md and "the record has no dataset size" in md
    assert "median restart" not in md  # the default restart, not 1e308 s


def test_a_record_with_a_broken_profile_is_passed_over_not_fatal(results: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A newer complete record whose profile or epochs were edited into nonsense is named and left out; the
    report is built from the good record, and `--run` on the broken one is refused in one line."""
    import json

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    prof = good["profile"]
    neg = {**prof["mosaic"], "compute_seconds_per_batch": {"median": -1.0, "low": -2.0, "high": -0.5}}
    for rid, change in (("20261130T000000Z-cpu-probe-aaaaaa", {"profile": {"device_type": "cpu"}}),
                        ("20261130T000001Z-cpu-probe-bbbbbb", {"epochs": "fifty"}),
                        ("20261130T000002Z-cpu-probe-cccccc", {"profile": {**prof, "setup_seconds": float("nan")}}),
                        ("20261130T000003Z-cpu-probe-dddddd", {"profile": {**prof, "batch": 0}}),
                        ("20261130T000004Z-cpu-probe-eeeeee", {"profile": {**prof, "mosaic": neg}}),
                        ("20261130T000005Z-cpu-probe-ffffff", {"kind": [1]}),
                        ("20261130T000006Z-cpu-probe-gggggg", {"profile": {**prof, "setup_seconds": -1e5}}),
                        ("20261130T000007Z-cpu-probe-hhhhhh", {"profile": {**prof, "gflops": 1e308}}),
                        ("20261130T000008Z-cpu-probe-iiiiii", {"config": "x"}),
                        # JSON holds Infinity and integers of any length: int(inf) and float(10**400) overflow
                        ("20261130T000009Z-cpu-probe-jjjjjj", {"profile": {**prof, "imgsz": float("inf")}}),
                        ("20261130T000010Z-cpu-probe-kkkkkk", {"profile": {**prof, "setup_seconds": 10 ** 400}}),
                        ("20261130T000011Z-cpu-probe-llllll", {"profile": {**prof, "imgsz": 10 ** 30}}),
                        ("20261130T000012Z-cpu-probe-mmmmmm", {"profile": {**prof, "host_cpus": 0}}),
                        ("20261130T000013Z-cpu-probe-nnnnnn", {"profile": {**prof, "mosaic": {
                            **prof["mosaic"], "batches_observed": float("inf")}}}),
                        ("20261130T000014Z-cpu-probe-oooooo", {"epochs": 10 ** 30})):
        bad = {**good, "run_id": rid, "created_at": "2026-11-30T00:00:00Z", **change}
        (results / f"{rid}.json").write_text(json.dumps(bad))
    assert main(["report", "--results", str(results)]) == 0
    md = (results / "report" / "report.md").read_text()
    assert "20261128T180143Z-cpu-probe-c84d97" in md
    assert "aaaaaa: its profile is unreadable" in md and "bbbbbb: epochs 'fifty'" in md  # named, not hidden
    assert "ffffff.json: kind is a list, not text" in md and "iiiiii: config is a str, not a mapping" in md
    assert "oooooo: epochs 1000000000000000000000000000000 is not a whole number from 0 to 1,000,000" in md
    for rid, words in (("cccccc", "setup_seconds: nan is not a finite number"),
                       ("dddddd", "batch: 0 must be from 1 to 1,000,000,000"),
                       ("eeeeee", "mosaic.compute_seconds_per_batch"), ("gggggg", "setup_seconds: -100000.0"),
                       ("hhhhhh", "gflops: 1e+308"), ("jjjjjj", "a number too large"),
                       ("kkkkkk", "a number too large"), ("llllll", "imgsz: 1000000000000000000000000000000 must be"),
                       ("mmmmmm", "host_cpus: 0 must be from 1"), ("nnnnnn", "a number too large")):
        assert f"{rid}: its profile is unreadable" in md and words in md, rid
    capsys.readouterr()
    for rid, words in (("20261130T000000Z-cpu-probe-aaaaaa", "profile is unreadable"),
                       ("20261130T000001Z-cpu-probe-bbbbbb", "epochs 'fifty' is not a whole number")):
        assert main(["report", "--results", str(results), "--run", rid]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and words in err[0] and "Traceback" not in err[0], err


def test_image_folder_and_unreadable_files_in_a_dataset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "ds"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        (root / "images" / split / "0.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 60)
        (root / "labels" / split / "0.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (root / "images" / "train" / "odd.jpg").mkdir()  # a folder named like an image
    y = tmp_path / "data.yaml"
    y.write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames: [a]\n")
    code = main(["run", "--device", "cpu", "--data", str(y), "--results", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "odd.jpg, which is a folder" in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r").exists()


def test_a_file_where_the_report_folder_goes(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (results / "report").write_text("mine")
    before = snapshot(results)
    assert main(["report", "--results", str(results)]) == 2
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith("warning")]
    assert len(err) == 1 and "a file is where the report's folder goes" in err[0], err
    assert snapshot(results) == before  # the file is the user's: untouched


def test_odd_but_readable_newest_record_still_reports(results: Path) -> None:
    """Fields the report only describes (the machine's RAM, close_mosaic left null) are passed over, not fatal."""
    import json

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    rid = "20261130T000000Z-cpu-probe-oddodd"
    odd = {**good, "run_id": rid, "created_at": "2026-11-30T00:00:00Z", "close_mosaic": None,
           "fingerprint": {**good["fingerprint"], "ram_bytes": "x", "gpus": [1]}}
    (results / f"{rid}.json").write_text(json.dumps(odd))
    assert main(["report", "--results", str(results)]) == 0
    md = (results / "report" / "report.md").read_text()
    assert rid in md and "GiB RAM" not in md


def test_deeply_nested_files_are_named_not_a_traceback(results: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    (results / "deep.json").write_text(deep)
    (results / "validation" / "deep.json").write_text(deep)
    assert main(["report", "--results", str(results)]) == 0
    assert "deep.json: not a bench record (JSON nested too deeply to read)" in capsys.readouterr().err
    assert main(["validate", "--summary", "--results", str(results)]) == 2  # nothing else there to summarize
    err = capsys.readouterr().err
    assert "deep.json: not a bench record (JSON nested too deeply to read)" in err and "Traceback" not in err
    for name, text in (("deep.json", deep), ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000)):
        (tmp_path / name).write_text(text)
        assert main(["estimate", "--hours", "1", "--device", "cpu", "--results", str(results),
                     "--config", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "nested too deeply" in err[0], err
    (tmp_path / "deep.yaml").write_text("a: " + "[" * 100_000 + "]" * 100_000)
    assert main(["run", "--device", "cpu", "--data", str(tmp_path / "deep.yaml"), "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nested too deeply" in err[0], err


def test_a_refused_write_of_the_report_is_exit_1_and_keeps_the_old_report(results: Path,
                                                                           capsys: pytest.CaptureFixture[str],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The operating system refusing (a full disk) is exit 1, as README.md says, not bad input (2)."""
    import errno

    import bench.report

    assert main(["report", "--results", str(results)]) == 0
    before = snapshot(results / "report")

    def full(files: object, **_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bench.report, "replace_files", full)
    capsys.readouterr()
    assert main(["report", "--results", str(results)]) == 1
    err = [x for x in capsys.readouterr().err.strip().splitlines() if not x.startswith("warning")]
    assert len(err) == 1 and "cannot write the report (No space left on device)" in err[0], err
    assert snapshot(results / "report") == before



@pytest.mark.parametrize("extra", [[], ["--overhead"]])
def test_a_file_where_validate_keeps_its_records(tmp_path: Path, extra: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "validation").write_text("mine")
    assert main(["validate", "--device", "cpu", *extra, "--results", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bench validate: error: --results {tmp_path}: {tmp_path / 'validation'} is a file where validate "
                   f"keeps its records; move it, or give another --results"], err
    assert (tmp_path / "validation").read_text() == "mine" and sorted(tmp_path.iterdir()) == [tmp_path / "validation"]


def test_resume_when_the_runs_dataset_is_gone(results: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import json

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    rid = "20261130T000000Z-cpu-full-moved"
    cfg = {**good["config"], "dataset": {**good["config"]["dataset"], "yaml_path": str(tmp_path / "gone/data.yaml")}}
    m = {**good["measurements"], "save_dir": str(results / "runs" / rid)}
    (results / f"{rid}.json").write_text(json.dumps({**good, "run_id": rid, "kind": "full", "status": "interrupted",
                                                     "config": cfg, "measurements": m}))
    before = snapshot(results)
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"bench run: error: --resume {rid}: the run's dataset {tmp_path / 'gone/data.yaml'} is gone "
                   "(moved or deleted); put it back there to finish the run, or start it again"], err
    assert snapshot(results) == before


def test_a_record_with_a_lone_surrogate_is_skipped(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """JSON can escape half a UTF-16 pair (\\udcff); no file or plot can hold it: the record is named and skipped."""
    text = (results / "20261128T180143Z-cpu-probe-c84d97.json").read_text()
    rid = "20261130T000000Z-cpu-probe-surrog"
    (results / f"{rid}.json").write_text(text.replace("20261128T180143Z-cpu-probe-c84d97", rid)
                                         .replace('"device_name": "', '"device_name": "\\udcff', 1))
    assert main(["report", "--results", str(results)]) == 0
    err = capsys.readouterr().err
    assert f"{rid}.json: not a bench record (holds text that is not valid Unicode: a lone surrogate)" in err, err
    assert "Traceback" not in err


def test_resume_takes_the_original_command_line_and_refuses_other_settings(
        results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Repeating the run's own flags (defaults typed out included) passes; a flag the run would silently ignore is
    refused, even when it is the default: the record's 30 epochs against a typed --epochs 50."""
    import json
    import shlex

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    rid = "20261130T000000Z-cpu-full-resume"
    yaml_path = results / "data.yaml"
    yaml_path.write_text("names: [a]\n")
    syn = {**good["config"]["dataset"]["synthetic"],
           "spec": {**good["config"]["dataset"]["synthetic"]["spec"], "train": 800}}
    cfg = {**good["config"], "epochs": 30, "close_mosaic": 10, "model": "yolov8n", "seed": 0,
           "dataset": {**good["config"]["dataset"], "yaml_path": str(yaml_path), "synthetic": syn}}
    m = {**good["measurements"], "save_dir": str(results / "runs" / rid)}
    (results / f"{rid}.json").write_text(json.dumps({**good, "run_id": rid, "kind": "full", "status": "interrupted",
                                                     "config": cfg, "measurements": m}))
    base = f"run --device cpu --full --resume {rid} --results {results}"
    for same in ("", "--epochs 30 --train-images 800 --model yolov8n --workers 2", "--close-mosaic 10 --seed 0"):
        assert main(shlex.split(f"{base} {same}")) == 2
        err = capsys.readouterr().err
        assert "no checkpoint at" in err, (same, err)  # past the settings check, stopped where a real run would
    for other, words in (("--epochs 50", "--epochs 50 (the run's: 30)"),
                         ("--train-images 4195", "--train-images 4195 (the run's: 800)"),
                         ("--imgsz 320 --image-size 320x240", "--imgsz 320 (the run's: 640), --image-size 320x240 "
                                                               "(the run's: 640x480)")):
        assert main(shlex.split(f"{base} {other}")) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "(only --device and --workers may change): leave out " + words in err[0], err



def test_pipes_and_devices_are_not_read(results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A named pipe among the records would block report forever (opening it waits for a writer), a link to
    /dev/zero would read until memory ran out: each is named and passed over, and as --config or --catalog
    refused in one line."""
    import os

    os.mkfifo(results / "pipe.json")
    (results / "zero.json").symlink_to("/dev/zero")
    assert main(["report", "--results", str(results)]) == 0
    md = (results / "report" / "report.md").read_text()
    assert "pipe.json: cannot read (not a regular file)" in md and "zero.json: cannot read (not a regular file)" in md
    capsys.readouterr()
    assert main(["report", "--results", str(results), "--config", "/dev/zero"]) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("cannot read (not a regular file or a pipe)") and err.count("\n") == 1
    # a pipe named on purpose is read: --config <(echo ...)
    import threading

    os.mkfifo(tmp_path / "c.json")
    writer = threading.Thread(target=lambda: (tmp_path / "c.json").write_text('{"egress_gb": 3}'))
    writer.start()
    assert main(["report", "--results", str(results), "--config", str(tmp_path / "c.json")]) == 0
    writer.join(5)
    assert "| egress_gb | 3 | GB | **set by the user (--config" in (results / "report" / "report.md").read_text()
    capsys.readouterr()
    assert main(["prices", "--catalog", str(results / "pipe.json")]) == 2
    err = capsys.readouterr().err
    assert "not a regular file" in err and err.count("\n") == 1


def test_a_run_id_no_file_can_have_is_no_such_record(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A --run of 300 characters gave "File name too long" and exit 1; it is no such record (exit 2), and so is
    one that names a file outside the results directory."""
    import json

    capsys.readouterr()
    assert main(["report", "--results", str(results), "--run", "a" * 300]) == 2
    assert "no such record in" in capsys.readouterr().err
    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    (results.parent / "outside.json").write_text(json.dumps(good))
    assert main(["report", "--results", str(results), "--run", "../outside"]) == 2
    assert "../outside: no such record in" in capsys.readouterr().err


def _interrupted(results: Path, rid: str, config: dict[str, object] | None = None, **measurements: object) -> None:
    """An interrupted --full run's record, made from the fixture's probe, with its folder under runs/."""
    import json

    good = json.loads((results / "20261128T180143Z-cpu-probe-c84d97.json").read_text())
    save_dir = results / "runs" / rid
    save_dir.mkdir(parents=True)
    m = {**good["measurements"], "save_dir": str(save_dir), **measurements}
    (results / f"{rid}.json").write_text(json.dumps({**good, "run_id": rid, "kind": "full", "status": "interrupted",
                                                     "created_at": "2026-11-30T01:00:00Z", "measurements": m,
                                                     "config": {**good["config"], **(config or {})}}))


@pytest.mark.parametrize(("change", "words"), [
    ({"events": [["epoch_start", 1.0]]}, "its measurements.events is missing or wrong"),
    ({"events": "cut"}, "its measurements.events is missing or wrong"),
    ({"wall_seconds": "12.5s"}, "its measurements.wall_seconds is missing or wrong"),
    ({"wall_seconds": float("inf")}, "its measurements.wall_seconds is missing or wrong"),
    # found by a review (2026-12-08): the total over a chain of resumed runs, a folder outside the results (whose
    # cache files the run deletes), settings the flags would refuse
    ({"wall_seconds_total": "x"}, "its measurements.wall_seconds is missing or wrong"),
    ({"config": {"amp_requested": "false"}}, "its config is missing or wrong: amp_requested 'false' is not true"),
    ({"config": {"cache": "gpu"}}, "its config is missing or wrong: --cache gpu: use one of"),
])
def test_resume_refuses_a_damaged_record_before_it_trains(results: Path, capsys: pytest.CaptureFixture[str],
                                                          change: dict[str, object], words: str) -> None:
    """Found by a review: --resume read the interrupted run's events and wall time only after the training, so a
    damaged record cost the whole resumed run (a traceback at the end, no record). Now refused up front."""
    rid = "20261130T010000Z-cpu-full-damage"
    _interrupted(results, rid, **change)  # type: ignore[arg-type]
    before = snapshot(results)
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--resume {rid}: the record is damaged ({words}" in err[0], err
    assert err[0].endswith("and cannot be resumed; start the run again")
    assert snapshot(results) == before


def test_a_run_is_resumed_once(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run already resumed (its record names it in `resumed_from`) is not resumed again: the second would find
    ultralytics' finished checkpoint, or train into the same folder. The line names the run to resume instead."""
    import json

    rid, again = "20261130T010000Z-cpu-full-first", "20261130T020000Z-cpu-full-again"
    _interrupted(results, rid)
    _interrupted(results, again)
    rec = json.loads((results / f"{again}.json").read_text())
    (results / f"{again}.json").write_text(json.dumps(rec | {"resumed_from": rid}))
    before = snapshot(results)
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"bench run: error: --resume {rid}: that run was resumed already, as {again} (status interrupted); resume "
        f"that one: --resume {again}")
    (results / f"{again}.json").write_text(json.dumps(rec | {"resumed_from": rid, "status": "complete"}))
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    assert capsys.readouterr().err.strip().endswith("(status complete); its record is the run's result")
    assert set(snapshot(results)) == set(before)


def test_a_resume_meeting_another_says_so_before_reading_the_checkpoint(results: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Found by a review: the checkpoint was read before the run's folder was claimed, so a second --resume that
    met the first saving last.pt called it damaged. The folder is now claimed first."""
    from bench.run import claimed

    rid = "20261130T010000Z-cpu-full-busy"
    _interrupted(results, rid)  # no last.pt at all: unclaimed, that is the complaint
    with claimed(results / "runs" / rid, rid):
        assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    assert "another bench process is resuming that run now" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    err = capsys.readouterr().err  # released: on to the next check (no checkpoint, or no dataset, as it stands)
    assert f"--resume {rid}: " in err and "another bench process" not in err, err


def test_resume_trains_only_in_its_own_results_folder(results: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by a review: the training folder came from the record as it stood, and the run deletes cache files
    in it when it ends; a moved results folder, or an edited record, pointed it elsewhere."""
    rid = "20261130T010000Z-cpu-full-moved"
    _interrupted(results, rid, save_dir="/tmp")
    before = snapshot(results)
    assert main(["run", "--device", "cpu", "--resume", rid, "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--resume {rid}: its training folder /tmp is not under {results.resolve() / 'runs'}" \
        in err[0] and err[0].endswith("resume it with the --results it was made in"), err
    assert snapshot(results) == before


def test_the_training_time_of_a_run_resumed_twice_counts_every_process() -> None:
    """Found by a review: a run resumed twice (A interrupted, B resumes A and is interrupted, C resumes B) gave
    B + C as its measured time; A's was lost. Each full run now records its total over the chain."""
    from bench.run import _wall_total

    a = {"measurements": {"wall_seconds": 100.0, "wall_seconds_total": 100.0}}
    b = {"measurements": {"wall_seconds": 50.0, "wall_seconds_total": _wall_total(a, 50.0)}}
    assert _wall_total(b, 30.0) == 180.0
    assert _wall_total({"measurements": {"wall_seconds": 50.0}}, 30.0) == 80.0  # a record before the total
    assert _wall_total(None, 30.0) == 30.0


def test_one_process_at_a_time_resumes_a_run(tmp_path: Path) -> None:
    """Two --resume of one run at once would train into the same checkpoint: the second is refused while the
    first holds the run's folder, and may go once it is released."""
    from bench.errors import UsageError
    from bench.run import claimed

    busy = "--resume r1: another bench process is resuming that run now"
    with claimed(tmp_path, "r1"), pytest.raises(UsageError, match=busy), claimed(tmp_path, "r1"):
        pass
    with claimed(tmp_path, "r1"):
        pass
    assert list(tmp_path.iterdir()) == []  # no lock file left in the run's folder
