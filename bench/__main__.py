"""``python -m bench``: the command line (bench.cli), and an exit that a stop request cannot spoil."""

from bench.cli import entry

entry()
