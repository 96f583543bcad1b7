"""Sessions: tests, lint, report, accuracy, microbench.

Each session gets its own virtualenv that sees the system site-packages, so torch (several GB) is installed
once on the machine rather than once per session; the project itself is installed into each session.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

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


#: What `bench report` imports beyond the standard library (checked with `python -X importtime`): the report
#: reads JSON records and never needs torch or ultralytics, so this session does not install them.
REPORT_DEPS = ["matplotlib>=3.7", "numpy>=1.24"]


@nox.session(venv_params=VENV)
def report(session: nox.Session) -> None:
    """Speedup-and-cost table and plots from results/ (run `python -m bench run` first). Installs the project
    without its training dependencies: a machine that only reads records needs no torch."""
    session.install(*REPORT_DEPS)
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "bench", "report", *session.posargs)


@nox.session(venv_params=VENV)
def accuracy(session: nox.Session) -> None:
    """Prediction error of the probe against a real full run (6.6-7.5 min on the 2-core reference VM on 2026-12-03,
    7.9-8.3 min on 12-07; the default workload is sized for at most 12)."""
    session.install("-e", ".")
    session.run("python", "-m", "bench", "validate", *session.posargs)


@nox.session(venv_params=VENV)
def microbench(session: nox.Session) -> None:
    """Component benchmarks (one training step, one dataloader batch) with pytest-benchmark.

    Usage: nox -s microbench -- --device cpu [--model yolov8n --imgsz 640 --batch 16 --mb-budget 30]
    (options: tests/microbench/conftest.py). Writes results/microbench/<timestamp>-<device>.json."""
    session.install("-e", ".[dev]")
    device = _option_value(session.posargs, "--device", "cpu")
    out = Path("results") / "microbench"
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    json_path = out / f"{stamp}-{re.sub(r'[^A-Za-z0-9]+', '', device) or 'device'}.json"
    session.run("python", "-m", "pytest", "tests/microbench/bench_components.py", f"--benchmark-json={json_path}",
                *session.posargs)
    session.log(f"benchmark JSON: {json_path}")


def _option_value(args: list[str], name: str, default: str) -> str:
    """The value of ``name VALUE`` or ``name=VALUE`` in ``args`` (the last one wins, as in argparse)."""
    value = default
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith(name + "="):
            value = arg.partition("=")[2]
    return value
