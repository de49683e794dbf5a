"""The command line checks that it can write its folders before a command that writes them.

Tests run as root, where permission bits stop nothing; an unwritable folder is
made by putting it under a regular *file* (creating it fails with ENOTDIR).
The check itself is tested in tests/indexer/test_paths.py.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from app.cli import build_parser
from app.cli.entry import _folders_written
from tests.support.cli import run_photoseek


@pytest.mark.parametrize(
    ("argv", "library", "models"),
    [
        (["index", "x"], True, False),
        (["index"], True, False),
        (["watch"], True, False),
        (["rebuild"], True, False),
        (["folders", "add", "x"], True, False),
        (["folders", "remove", "x"], True, False),
        (["folders", "list"], False, False),
        (["models", "use", "m"], True, False),
        (["models", "download", "m"], False, True),
        (["models", "import", "d"], False, True),
        (["models", "quantize", "m"], False, True),
        (["models", "list"], False, False),
        (["search", "cat"], False, False),
        (["status"], False, False),
        (["failures"], False, False),
        (["gui"], False, False),
    ],
)
def test_which_commands_write_which_folder(argv, library, models):
    args = build_parser().parse_args(argv)
    assert _folders_written(args, args.command) == (library, models)


def _photoseek(*args: str, env_extra: dict[str, str]) -> subprocess.CompletedProcess:
    return run_photoseek(*args, env=dict(os.environ, **env_extra), timeout=120)


def test_cli_index_into_an_unwritable_library_says_why_and_exits_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    photos = tmp_path / "photos"
    photos.mkdir()
    proc = _photoseek("--library", str(blocker / "lib"), "index", str(photos), env_extra={})
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"photoseek: error: cannot create the library folder {blocker / 'lib'}: "
                               f"{blocker} is a file, not a folder.")
    assert "Traceback" not in proc.stderr


def test_cli_models_import_into_an_unwritable_models_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _photoseek("models", "import", str(tmp_path), env_extra={"PHOTOSEEK_MODELS": str(blocker / "models")})
    assert proc.returncode == 1
    assert "cannot create the models folder" in proc.stderr and "PHOTOSEEK_MODELS" in proc.stderr


def test_cli_read_only_commands_are_not_blocked(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = _photoseek("--library", str(blocker / "lib"), "status", "--json",
                      env_extra={"PHOTOSEEK_MODELS": str(blocker / "models")})
    assert proc.returncode == 0, proc.stderr
    assert "cannot create" not in proc.stderr
