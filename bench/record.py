"""Versioned JSON records: one file per run, written atomically, never overwriting another.

Layout of a results directory::

    results/<run_id>.json              one record per `bench run` (probe or --full)
    results/validation/<run_id>.json   one record per `bench validate`
    results/runs/<run_id>/             ultralytics' own outputs (weights, results.csv); generated, ignored
    results/report/                    what `bench report` writes

Schema history (``SCHEMA_VERSION``; asv-style: loading upgrades old records step by step, refuses newer ones):

* 1 (2026-11-28): first version.

Top-level keys every record has (other tools and the notebook read them):
``schema_version, run_id, kind, status, created_at, finished_at, device, device_name, fingerprint, config,
epochs, close_mosaic, seconds_per_epoch, full_run_seconds`` (the last two: ``{median, low, high}`` in seconds,
or null when nothing could be estimated), plus ``profile``, ``estimate``, ``measurements``, ``summary``,
``warnings``, ``invalid_reason``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import math
import os
import secrets
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.errors import BenchError, UsageError, deferred_signals

SCHEMA_VERSION = 1
STATUSES = ("complete", "interrupted", "invalid")
REQUIRED_KEYS = ("schema_version", "run_id", "status", "device", "fingerprint", "config", "epochs",
                 "seconds_per_epoch", "full_run_seconds")


def parse_utc(s: Any) -> dt.datetime | None:
    """A record's ISO time (``2026-11-28T18:15:00.123456Z``, or with an offset; a time without one is UTC) as an
    aware datetime, or None when it is not one. A trailing Z is spelled +00:00, which Python 3.10 also reads."""
    if not isinstance(s, str):
        return None
    try:
        t = dt.datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
    except ValueError:
        return None
    return t.replace(tzinfo=dt.timezone.utc) if t.tzinfo is None else t


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id(device_type: str, kind: str = "probe") -> str:
    """``20261128T181500Z-cpu-probe-3f9a1c``: sortable by time, unique (random suffix, drawn again if this process
    issued it before: 24 random bits meet by chance once in about 1,000 sets of 200 ids), safe as a file name."""
    while True:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        run_id = f"{stamp}-{device_type}-{kind}-{secrets.token_hex(3)}"
        if run_id not in _issued:
            _issued.add(run_id)
            return run_id


_issued: set[str] = set()


def _stage(path: Path, data: bytes) -> Path:
    """A new temporary file beside ``path`` holding ``data``, flushed to disk; its mode is a new file's (umask)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return tmp


def replace_files(files: dict[Path, str | bytes], lock: Path | None = None) -> list[Path]:
    """Replace a set of files together (a report and its plots, a catalog): each is written to a temporary file
    beside it first, and only when all are on disk are they renamed into place, back to back with SIGINT and
    SIGTERM held. A failure or an interruption while writing leaves every old file as it was and no temporary
    file behind. A target that is a directory is refused before anything is written. ``lock``: a file or folder whose
    lock (:func:`locked`) is held during the renames, so that two processes writing the same set leave one whole set,
    never a mix. A rename the file system refuses once the first has been made (a disk pulled out) would leave the
    set mixed; renames within one folder do not otherwise fail. Returns the paths."""
    for path in files:
        if path.is_dir():
            raise UsageError(f"{path} is a directory; remove it or write elsewhere")
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            staged[path] = _stage(path, data.encode("utf-8") if isinstance(data, str) else data)
        with deferred_signals(), locked(lock):
            for path, tmp in staged.items():
                os.replace(tmp, path)
        for directory in {path.parent for path in staged}:
            _sync_dir(directory)
    finally:
        for tmp in staged.values():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
    return list(files)


def atomic_write_json(path: Path, data: Any, *, overwrite: bool = False) -> Path:
    """Write JSON to ``path`` through a temporary file in the same directory, then link/rename it into place.

    Readers never see a half-written file. With ``overwrite=False`` an existing file is never replaced
    (``os.link`` fails if the target exists), so two runs cannot clobber each other's records."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, allow_nan=False, default=_json_default)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError:  # no hard links here: exclusive create, then replace (a reader may see the empty
                # placeholder for that moment, and skips it as not valid JSON; never a half-written record)
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                os.close(fd)
                try:
                    os.replace(tmp, path)
                except BaseException:  # never leave the empty placeholder behind under this run's id
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                    raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    _sync_dir(path.parent)
    return path


def _sync_dir(directory: Path) -> None:
    """Flush a directory's entries to disk (a new name, a rename), so that a file reported as written survives a
    power cut; best effort (some file systems cannot open a directory)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def locked(lock: Path | None, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock on ``lock``, an existing file or folder (``fcntl.flock``: no file is created, and the
    lock goes when the process ends, however it ends), for the block, so that two processes take turns; no lock
    where the platform or the file system has none. ``wait=False``: BlockingIOError when another process holds it."""
    if lock is None:
        yield
        return
    try:
        import fcntl

        fd = os.open(lock, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise
        except OSError:
            pass  # a file system without locks: go on unlocked
        yield
    finally:
        os.close(fd)


def _json_default(o: Any) -> Any:
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON serializable: {type(o).__name__}")


def json_safe(x: Any) -> Any:
    """``x`` with every NaN or infinite float written as the text ``"nan"``, ``"inf"`` or ``"-inf"``: standard JSON
    has no such numbers, and a run whose loss went NaN (an ``invalid`` run) must still keep its record. A reader
    that wants a number finds text there and treats it as missing."""
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    if isinstance(x, dict):
        return {k: json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    return x


def write_record(results_dir: Path, record: dict[str, Any], subdir: str | None = None) -> Path:
    """Validate and write one record as ``<results_dir>[/subdir]/<run_id>.json``; refuses to overwrite. A
    non-finite float is written as text (:func:`json_safe`)."""
    missing = [k for k in REQUIRED_KEYS if k not in record]
    if missing:
        raise ValueError(f"record lacks {missing}")
    if record["status"] not in STATUSES:
        raise ValueError(f"record status {record['status']!r} not in {STATUSES}")
    d = results_dir / subdir if subdir else results_dir
    return keep(d / f"{record['run_id']}.json", json_safe(record))


class RecordNotWritten(BenchError):
    """A finished run's record could not be written where it belongs (exit 1); the message says where it went."""


def keep(path: Path, data: dict[str, Any]) -> Path:
    """:func:`atomic_write_json` of a new record; when the machine refuses it (a full disk, a permission, a folder
    removed meanwhile), the measurement is not lost: it is written to the temporary directory instead, or, when
    that fails too, printed on stderr, and RecordNotWritten (exit 1) says where it is and where it belongs."""
    try:
        return atomic_write_json(path, data)
    except FileExistsError:
        raise
    except OSError as e:
        why = e.strerror or str(e)
    spare = Path(tempfile.gettempdir()) / f"bench-unsaved-{path.name}"
    try:
        atomic_write_json(spare, data)
        where = f"it was saved to {spare} instead: move it there when it can be written"
    except OSError:
        sys.stderr.write(json.dumps(data, indent=1, allow_nan=False, default=_json_default) + "\n")
        where = "it is printed above instead: save that text as the file"
    raise RecordNotWritten(f"cannot write the record {path} ({why}); {where}")


# --------------------------------------------------------------------------------------------- reading
def _upgrade(rec: dict[str, Any]) -> dict[str, Any]:
    """Bring an older record up to SCHEMA_VERSION, one step at a time (no older versions exist yet)."""
    return rec


@dataclass
class Loaded:
    """Records found in a results directory, and what was skipped with the reason for each."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per file: "<file>: <why>"

    def valid(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") == "complete"]

    def invalid(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("status") == "invalid"]


def _lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


#: Records, catalogs and configs are read whole; a larger file is not one of them.
MAX_INPUT_BYTES = 256 * 2 ** 20


def read_input(path: Path, limit: int = MAX_INPUT_BYTES, *, pipes: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file (a link to one counts) of at most ``limit`` bytes, else
    OSError with a ``strerror`` saying why: opening a named pipe would wait for a writer, and a device such as
    /dev/zero never ends. ``pipes``: a pipe is read too (a file the user names on purpose, such as
    ``--config <(...)``), up to ``limit`` bytes."""
    st = path.stat()
    if not (stat.S_ISREG(st.st_mode) or (pipes and stat.S_ISFIFO(st.st_mode))):
        raise OSError(errno.EINVAL, "not a regular file" + (" or a pipe" if pipes else ""))
    if st.st_size > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // 2 ** 20} MiB")
    with path.open("rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise OSError(errno.EFBIG, f"larger than {limit // 2 ** 20} MiB")
    return data


def read_record(path: Path) -> dict[str, Any]:
    """Read and check one record. Raises UsageError with one line saying what is wrong with the file."""
    try:
        text = read_input(path).decode("utf-8")
    except OSError as e:
        raise UsageError(f"{path}: cannot read ({e.strerror})") from None
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 text (byte {e.start}); truncated or corrupt") from None
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}); truncated or corrupt") from None
    except RecursionError:
        raise UsageError(f"{path}: not a bench record (JSON nested too deeply to read)") from None
    if "\\ud" in text.lower() and _lone_surrogate(rec):  # JSON may escape half a UTF-16 pair; no writer accepts it
        raise UsageError(f"{path}: not a bench record (holds text that is not valid Unicode: a lone surrogate)")
    return check_record(path, rec)


def check_record(path: Path, rec: Any, required: tuple[str, ...] = REQUIRED_KEYS) -> dict[str, Any]:
    """``rec``, read from ``path``, upgraded to this schema, or UsageError with one line saying what is wrong: not
    a bench record, a newer schema, a key of ``required`` missing, no ISO ``created_at``, a name that should be text
    (``run_id``, ``kind``, ``status``, ``device``, ``device_name``) that is not (tables group and sort by them)."""
    if not isinstance(rec, dict) or "schema_version" not in rec or "run_id" not in rec:
        raise UsageError(f"{path}: not a bench record (no schema_version/run_id)")
    v = rec["schema_version"]
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise UsageError(f"{path}: schema_version {v!r} is not a positive integer")
    if v > SCHEMA_VERSION:
        raise UsageError(f"{path}: written by a newer bench (schema {v}, this bench reads up to {SCHEMA_VERSION});"
                         f" upgrade bench to read it")
    rec = _upgrade(rec)
    missing = [k for k in required if k not in rec]
    if missing:
        raise UsageError(f"{path}: record lacks {', '.join(missing)}")
    if parse_utc(rec.get("created_at")) is None:
        raise UsageError(f"{path}: created_at {rec.get('created_at')!r} is not an ISO time (2026-11-28T18:15:00Z)")
    for key in ("run_id", "kind", "status", "device", "device_name"):
        if not (isinstance(rec.get(key), str) or (key != "run_id" and rec.get(key) is None)):
            raise UsageError(f"{path}: {key} is a {type(rec[key]).__name__}, not text")
    if "status" in required and rec["status"] not in STATUSES:
        raise UsageError(f"{path}: status {rec['status']!r} is not one of {', '.join(STATUSES)}")
    return rec


def when(rec: Mapping[str, Any]) -> tuple[dt.datetime, str]:
    """Sort key of a record: the instant it was created (any offset; a record without a readable time first),
    then its run id."""
    return parse_utc(rec.get("created_at")) or _LONG_AGO, str(rec.get("run_id"))


_LONG_AGO = dt.datetime.min.replace(tzinfo=dt.timezone.utc)


def iter_record_files(directory: Path) -> Iterable[Path]:
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.json") if not p.name.startswith("."))


def load_records(directory: Path) -> Loaded:
    """Every record in ``directory`` (not recursive), oldest first; bad files skipped with a reason each."""
    out = Loaded()
    for p in iter_record_files(directory):
        try:
            out.records.append(read_record(p))
        except UsageError as e:
            out.skipped.append(str(e))
    out.records.sort(key=when)  # by the instant, any offset
    return out


def find_record(directory: Path, run_id: str, flag: str = "--run") -> dict[str, Any]:
    """The record whose run_id is ``run_id`` (or a unique prefix of it); errors name ``flag``."""
    p = directory / f"{run_id}.json"
    try:  # a name too long for the file system, or one that leaves the directory, is no record of it
        here = "/" not in run_id and "\\" not in run_id and p.exists()
    except OSError:
        here = False
    if here:
        return read_record(p)
    matches = [q for q in iter_record_files(directory) if q.stem.startswith(run_id)]
    if len(matches) == 1:
        return read_record(matches[0])
    if not matches:
        known = [q.stem for q in iter_record_files(directory)][-5:]
        raise UsageError(f"{flag} {run_id}: no such record in {directory}"
                         + (f"; newest: {', '.join(known)}" if known else "; run `python -m bench run` first"))
    raise UsageError(f"{flag} {run_id}: ambiguous, matches {', '.join(q.stem for q in matches[:5])}")
