"""Errors the command line turns into one clear line and an exit code (never a traceback).

Exit codes (documented in README.md):

* 2   ``UsageError``: bad input (a flag, a path, a data.yaml, a results file, a region...).
* 1   the operating system refused (``OSError``: a full disk, a permission): one line naming the file.
* 3   ``RunFailed``: the measurement itself failed (training crashed, device error).
* 130 interrupted by SIGINT, 143 by SIGTERM (128 + signal number, the shell convention).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any


class BenchError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = 1


class UsageError(BenchError):
    """The user asked for something that cannot be done as asked; the message says what would be right."""

    exit_code = 2


class RunFailed(BenchError):
    """The measurement could not be completed (the device or the training failed)."""

    exit_code = 3


class Interrupted(BaseException):
    """Raised by the CLI's SIGTERM handler. A BaseException, like KeyboardInterrupt, so that library code catching
    ``Exception`` (ultralytics does, around plots and imports) cannot swallow it and carry on half-broken."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"interrupted by signal {signum}")
        self.signum = signum


# A stop request outlives the exception that carries it. CPython swallows an exception raised inside a weakref
# callback or a finalizer ("Exception ignored in ...", printed with a traceback) and carries on, so a Ctrl-C that
# lands there would be lost. The CLI's handler notes the signal before raising; the training's callbacks raise it
# again at their next event (bench.probe.Recorder.mark) until the run has acted on it (``clear_signal``).
_pending: list[int] = []


def note_signal(signum: int) -> None:
    _pending[:] = [signum]


def pending_signal() -> int | None:
    return _pending[0] if _pending else None


def clear_signal() -> None:
    _pending.clear()


def interruption(signum: int) -> BaseException:
    """The exception a stop request raises: KeyboardInterrupt for SIGINT (2), :class:`Interrupted` otherwise."""
    return KeyboardInterrupt() if signum == 2 else Interrupted(signum)


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is done (delivered right after it); no-op outside the main thread.
    For writes that must not be cut in half: a record, ultralytics' checkpoint.

    The handlers are swapped for ones that only note the signal, then restored, and each noted signal raised
    again. Blocking it with ``pthread_sigmask`` instead held it in the calling thread only: a signal sent to the
    process went to another thread (ultralytics' plot threads, torch's) and Python ran its handler mid-write."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    noted: list[int] = []
    old: dict[signal.Signals, Any] = {}
    try:
        for s in (signal.SIGINT, signal.SIGTERM):
            old[s] = signal.getsignal(s)
            signal.signal(s, lambda signum, frame: noted.append(signum))
    except (AttributeError, ValueError, OSError):  # not supported here: restore what was swapped, hold nothing
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        yield
        return
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)  # None: set outside Python; default then
        for n in dict.fromkeys(noted):
            signal.raise_signal(n)
