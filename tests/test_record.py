from __future__ import annotations

import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from bench import record
from bench.errors import UsageError


def minimal(run_id: str = "r1", **over: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "schema_version": record.SCHEMA_VERSION, "run_id": run_id, "status": "complete", "device": "cpu",
        "fingerprint": {}, "config": {}, "epochs": 50, "seconds_per_epoch": {"median": 1, "low": 1, "high": 1},
        "full_run_seconds": {"median": 50, "low": 50, "high": 50}, "created_at": "2026-11-28T00:00:00Z",
    }
    rec.update(over)
    return rec


def test_write_is_atomic_and_never_overwrites(results_dir: Path) -> None:
    p = record.write_record(results_dir, minimal())
    assert json.loads(p.read_text())["run_id"] == "r1"
    before = p.read_bytes()
    with pytest.raises(FileExistsError):
        record.write_record(results_dir, minimal(status="invalid"))
    assert p.read_bytes() == before
    assert [x.name for x in results_dir.iterdir()] == ["r1.json"]  # no temporary file left behind


def test_a_run_whose_loss_went_nan_keeps_its_record(results_dir: Path) -> None:
    """Found by a review: NaN losses (the very case that marks a run invalid) made the standard-JSON write raise,
    and the run ended in a traceback with no record."""
    rec = minimal(status="invalid", measurements={"losses": [{"box": 1.5, "cls": float("nan")},
                                                             {"box": float("inf"), "cls": -float("inf")}]})
    p = record.write_record(results_dir, rec)

    def strict(name: str) -> None:
        raise ValueError(f"non-standard JSON number {name}")

    data = json.loads(p.read_text(), parse_constant=strict)  # standard JSON: no NaN or Infinity tokens
    assert data["measurements"]["losses"] == [{"box": 1.5, "cls": "nan"}, {"box": "inf", "cls": "-inf"}]
    assert data["status"] == "invalid"
    assert rec["measurements"]["losses"][0]["box"] == 1.5  # the caller's record is left as it was


def test_failed_write_leaves_nothing(results_dir: Path) -> None:
    with pytest.raises(TypeError):
        record.write_record(results_dir, minimal(fingerprint={"x": object()}))  # not JSON, failed mid-write
    assert list(results_dir.iterdir()) == []


def test_without_hard_links_the_write_is_whole_or_absent(results_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the file system has no hard links, the record is created exclusively and then replaced; a failure
    between the two leaves neither an empty placeholder nor the temporary file."""
    def no_link(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    p = record.write_record(results_dir, minimal())
    assert json.loads(p.read_text())["run_id"] == "r1"
    with pytest.raises(FileExistsError):  # still never overwrites
        record.write_record(results_dir, minimal(status="invalid"))
    assert json.loads(p.read_text())["status"] == "complete"

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        record.atomic_write_json(results_dir / "r2.json", minimal("r2"))
    assert sorted(x.name for x in results_dir.iterdir()) == ["r1.json"]


def test_a_record_the_machine_refuses_is_kept_elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A full disk (or a permission) when a finished run writes its record: the measurement goes to the temporary
    directory, and the one-line error names both places; when that fails too, the record is printed on stderr,
    whole. Nothing is left under results/."""
    results, spare = tmp_path / "results", tmp_path / "spare"
    results.mkdir()
    spare.mkdir()
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(spare))
    real_fsync, refused = os.fsync, [1]  # how many flushes the disk refuses: the record's own, here
    target = results / "r1.json"

    def fsync(fd: int) -> None:
        if refused[0] > 0:
            refused[0] -= 1
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(record.RecordNotWritten) as e:
        record.write_record(results, minimal())
    kept = spare / "bench-unsaved-r1.json"
    assert str(e.value) == (f"cannot write the record {target} (No space left on device); it was saved to {kept} "
                            f"instead: move it there when it can be written")
    assert e.value.exit_code == 1
    assert json.loads(kept.read_text()) == minimal()
    assert list(results.iterdir()) == []  # no temporary file, no empty record

    refused[0] = 2  # the spare place is full too
    with pytest.raises(record.RecordNotWritten, match="it is printed above instead"):
        record.write_record(results, minimal("r2"))
    assert json.loads(capsys.readouterr().err) == minimal("r2")
    assert list(results.iterdir()) == [] and [p.name for p in spare.iterdir()] == [kept.name]


def test_write_rejects_incomplete_records(results_dir: Path) -> None:
    rec = minimal()
    del rec["fingerprint"]
    with pytest.raises(ValueError):
        record.write_record(results_dir, rec)
    with pytest.raises(ValueError):
        record.write_record(results_dir, minimal(status="done"))


def test_load_skips_bad_files_with_a_reason_each(results_dir: Path) -> None:
    record.write_record(results_dir, minimal("good"))
    (results_dir / "truncated.json").write_text(json.dumps(minimal("t"))[:40])
    (results_dir / "foreign.json").write_text('{"hello": 1}')
    (results_dir / "newer.json").write_text(json.dumps(minimal("n", schema_version=record.SCHEMA_VERSION + 1)))
    (results_dir / "list.json").write_text("[1, 2]")
    (results_dir / "when.json").write_text(json.dumps(minimal("w", created_at=None)))
    loaded = record.load_records(results_dir)
    assert [r["run_id"] for r in loaded.records] == ["good"]
    assert len(loaded.skipped) == 5 and "created_at None is not an ISO time" in " ".join(loaded.skipped)
    reasons = " ".join(loaded.skipped)
    assert "truncated.json" in reasons and "not valid JSON" in reasons
    assert "foreign.json" in reasons and "not a bench record" in reasons
    assert "newer bench" in reasons


def test_records_in_time_order_whatever_their_offset(results_dir: Path) -> None:
    record.write_record(results_dir, minimal("a-ten-utc", created_at="2026-11-29T10:00:00Z"))
    record.write_record(results_dir, minimal("b-nine-utc", created_at="2026-11-29T11:00:00+02:00"))
    assert [r["run_id"] for r in record.load_records(results_dir).records] == ["b-nine-utc", "a-ten-utc"]


def test_find_record_by_prefix_and_errors(results_dir: Path) -> None:
    record.write_record(results_dir, minimal("20261128-cpu-a"))
    record.write_record(results_dir, minimal("20261128-cpu-b"))
    assert record.find_record(results_dir, "20261128-cpu-a")["run_id"] == "20261128-cpu-a"
    with pytest.raises(UsageError, match="ambiguous"):
        record.find_record(results_dir, "20261128")
    with pytest.raises(UsageError, match=r"^--run zzz: no such record"):
        record.find_record(results_dir, "zzz")
    with pytest.raises(UsageError, match=r"^--resume zzz: no such record"):
        record.find_record(results_dir, "zzz", "--resume")


def test_run_ids_are_unique_and_sortable(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = {record.new_run_id("cpu") for _ in range(200)}
    assert len(ids) == 200
    assert all(i[:8].isdigit() and "-cpu-probe-" in i for i in ids)
    # the random suffix repeats within a second: drawn again, never issued twice
    draws = iter(["aaaaaa", "aaaaaa", "aaaaaa", "bbbbbb"])
    monkeypatch.setattr(record.secrets, "token_hex", lambda n: next(draws))
    first, second = record.new_run_id("cpu", "x"), record.new_run_id("cpu", "x")
    assert first.endswith("-aaaaaa") and second != first
    assert second.endswith("-bbbbbb") or second[:16] != first[:16]  # (or the clock passed a second in between)


def test_concurrent_writers_never_clobber(results_dir: Path) -> None:
    # two processes writing records at the same moment: both land, complete
    pids = []
    for i in range(2):
        pid = os.fork()
        if pid == 0:  # child
            try:
                for k in range(20):
                    record.write_record(results_dir, minimal(f"p{i}-{k}"))
            finally:
                os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
    loaded = record.load_records(results_dir)
    assert len(loaded.records) == 40 and not loaded.skipped


def test_two_writers_of_one_report_take_turns(tmp_path: Path) -> None:
    """Found by a review: two `bench report` at once could leave report.md of one next to report.json of the other.
    The renames of a set now hold a lock on its folder: a writer waits while another holds it, then leaves its
    own whole set; no lock file is left behind."""
    import fcntl
    import threading
    import time

    out = tmp_path / "report"
    files = {out / "report.md": "A", out / "report.json": "A"}
    record.replace_files(files, lock=out)
    fd = os.open(out, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process in the middle of its renames
    t = threading.Thread(target=record.replace_files, args=({p: "B" for p in files},), kwargs={"lock": out})
    t.start()
    time.sleep(0.5)
    assert t.is_alive() and {p.read_text() for p in files} == {"A"}  # waiting, nothing renamed yet
    os.close(fd)
    t.join(10)
    assert not t.is_alive() and {p.read_text() for p in files} == {"B"}
    assert sorted(p.name for p in out.iterdir()) == ["report.json", "report.md"]
