"""`photoseek duplicates`, `cleanups` and `undo` as real subprocesses (docs/cli.md), trashing into a temporary home."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import ROOT, cli_env, photoseek_cmd
from tests.support.template import copy_template


@pytest.fixture
def home_env(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True)
    return dict(os.environ, HOME=str(home), XDG_DATA_HOME=str(home / "data"))


def run(*args: str, library: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(photoseek_cmd(*args, library=library), capture_output=True, text=True, env=cli_env(env),
                          cwd=ROOT, timeout=300, stdin=subprocess.DEVNULL)


def test_duplicates_json_trash_and_undo(tmp_path, template_library, home_env):
    t = copy_template(template_library, tmp_path / "t")
    listed = run("duplicates", "--json", library=t.library, env=home_env)
    assert listed.returncode == 0, listed.stderr
    (group,) = json.loads(listed.stdout)
    assert set(group) == {"kind", "similarity", "keep", "photos"} and group["kind"] == "near"
    assert group["keep"] == str(t.paths[7]) and {p["path"] for p in group["photos"]} == {str(p) for p in
                                                                                          (t.paths[7], *t.copies)}
    assert all(set(p) == {"path", "width", "height", "bytes", "taken_at"} for p in group["photos"])
    assert json.loads(run("duplicates", "--kind", "exact", "--json", library=t.library, env=home_env).stdout) == []

    text = run("duplicates", library=t.library, env=home_env)
    assert "keep   (highest resolution" in text.stdout and "2 photo(s)" in text.stderr

    refused = run("duplicates", "--trash", library=t.library, env=home_env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert all(p.exists() for p in t.copies)

    trashed = run("duplicates", "--trash", "--yes", library=t.library, env=home_env)
    assert trashed.returncode == 0, trashed.stderr
    assert "moved 2 photo(s)" in trashed.stderr and "photoseek undo 1" in trashed.stderr
    assert not any(p.exists() for p in t.copies) and t.paths[7].exists()
    in_trash = Path(home_env["XDG_DATA_HOME"]) / "Trash" / "files"
    assert sorted(p.name for p in in_trash.iterdir()) == sorted(p.name for p in t.copies)
    hits = json.loads(run("search", "--image", str(t.paths[7]), "--json", library=t.library, env=home_env).stdout)
    assert not {str(p) for p in t.copies} & {h["path"] for h in hits}
    (action,) = json.loads(run("cleanups", "--json", library=t.library, env=home_env).stdout)
    assert action["id"] == 1 and not action["undone"] and len(action["photos"]) == 2

    undone = run("undo", library=t.library, env=home_env)
    assert undone.returncode == 0 and "restored 2 photo(s)" in undone.stderr
    assert all(p.exists() for p in t.copies) and not any(in_trash.iterdir())
    hits = json.loads(run("search", "--image", str(t.paths[7]), "--json", library=t.library, env=home_env).stdout)
    assert {str(p) for p in t.copies} <= {h["path"] for h in hits}
    assert json.loads(run("cleanups", "--json", library=t.library, env=home_env).stdout)[0]["undone"]
    again = run("undo", library=t.library, env=home_env)
    assert again.returncode == 2 and "no clean-up to undo" in again.stderr


def test_yes_without_trash_is_a_usage_error(tmp_path, template_library, home_env):
    t = copy_template(template_library, tmp_path / "t")
    proc = run("duplicates", "--yes", library=t.library, env=home_env)
    assert proc.returncode == 2 and "--trash" in proc.stderr


def _at_a_terminal(args: list[str], answer: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run with stdin on a pseudo-terminal (so the command asks) and type ``answer``."""
    import pty

    master, slave = pty.openpty()
    try:
        os.write(master, answer.encode())
        return subprocess.run(args, stdin=slave, capture_output=True, text=True, env=cli_env(env), cwd=ROOT,
                              timeout=300)
    finally:
        os.close(master)
        os.close(slave)


def test_trash_asks_at_a_terminal_and_no_means_nothing_moves(tmp_path, template_library, home_env):
    t = copy_template(template_library, tmp_path / "t")
    cmd = photoseek_cmd("duplicates", "--trash", library=t.library)
    declined = _at_a_terminal(cmd, "n\n", home_env)
    assert "Move 2 photo(s)" in declined.stderr and "[y/N]" in declined.stderr
    assert declined.returncode == 1 and "nothing moved" in declined.stderr
    assert all(p.exists() for p in t.copies)
    accepted = _at_a_terminal(cmd, "y\n", home_env)
    assert accepted.returncode == 0 and "moved 2 photo(s)" in accepted.stderr, accepted.stderr
    assert not any(p.exists() for p in t.copies)
