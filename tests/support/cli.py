"""Running the real `photoseek` command (app/cli.py) as a subprocess of the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHOTOSEEK = [sys.executable, "-m", "app.cli"]  # what the `photoseek` console script runs


def cli_env(env: dict[str, str] | None = None, **extra: str) -> dict[str, str]:
    """``env`` (default: this process's) plus ``extra``, with the checkout first on PYTHONPATH."""
    out = dict(os.environ if env is None else env, **extra)
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    return out


def photoseek_cmd(*args: str, library: Path | None = None) -> list[str]:
    """The command line of ``photoseek [--library LIBRARY] ARGS``."""
    return [*PHOTOSEEK, *(["--library", str(library)] if library is not None else []), *args]


def run_photoseek(
    *args: str, library: Path | None = None, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess:
    """Run ``photoseek`` to completion (text output captured; the exit code is not checked)."""
    return subprocess.run(photoseek_cmd(*args, library=library), capture_output=True, text=True,
                          env=cli_env(env), cwd=ROOT, timeout=timeout)
