"""Sessions: tests, lint, report, accuracy, microbench.

Each session gets its own virtualenv that sees the system site-packages, so torch (several GB) is installed
once on the machine rather than once per session; the project itself is installed into each session.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
VENV = ["--system-site-packages"]


@nox.session(venv_params=VENV)
def tests(session: nox.Session) -> None:
    """The whole test suite (slow tests train tiny models on the CPU). Pass pytest options after --."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(venv_params=VENV)
def lint(session: nox.Session) -> None:
    """ruff and mypy."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", "bench", "tests", "noxfile.py")
    session.run("mypy")


@nox.session(venv_params=VENV)
def report(session: nox.Session) -> None:
    """Speedup-and-cost table and plots from results/ (run `python -m bench run` first)."""
    session.install("-e", ".")
    session.run("python", "-m", "bench", "report", *session.posargs)


@nox.session(venv_params=VENV)
def accuracy(session: nox.Session) -> None:
    """Prediction error of the probe against a real full run (about 10 minutes on a 2-core CPU)."""
    session.install("-e", ".")
    session.run("python", "-m", "bench", "validate", *session.posargs)


@nox.session(venv_params=VENV)
def microbench(session: nox.Session) -> None:
    """Component benchmarks (one training step, one dataloader batch) with pytest-benchmark.

    Usage: nox -s microbench -- --device cpu"""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", "microbench", *session.posargs)
