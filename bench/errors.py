"""Errors the command line turns into one clear line and an exit code (never a traceback).

Exit codes (documented in README.md):

* 2   ``UsageError``: bad input (a flag, a path, a data.yaml, a results file, a region...).
* 3   ``RunFailed``: the measurement itself failed (training crashed, device error).
* 130 interrupted by SIGINT, 143 by SIGTERM (128 + signal number, the shell convention).
"""

from __future__ import annotations


class BenchError(Exception):
    """Base class: ``str(err)`` is the one line shown to the user."""

    exit_code = 1


class UsageError(BenchError):
    """The user asked for something that cannot be done as asked; the message says what would be right."""

    exit_code = 2


class RunFailed(BenchError):
    """The measurement could not be completed (the device or the training failed)."""

    exit_code = 3
