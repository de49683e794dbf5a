"""The ``photoseek`` command line: a thin adapter over the core (docs/cli.md is its contract).

parser.py (arguments), commands.py (one function per command), terminal.py
(what it prints), entry.py (``main``: errors become one line and an exit code).
Importing this package loads no Qt, numpy or ONNX Runtime (``photoseek --version`` stays fast).
"""

from app.cli.commands import COMMANDS
from app.cli.entry import main
from app.cli.parser import build_parser

__all__ = ["COMMANDS", "build_parser", "main"]
