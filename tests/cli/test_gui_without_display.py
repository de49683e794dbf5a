"""``photoseek gui`` where no display can be reached: one line and exit code 1, not a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.display import display_problem


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11 / Wayland check is Linux's")
def test_gui_without_a_display_exits_1_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.getcwd() + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-m", "app.cli", "--library", str(tmp_path / "lib"), "gui"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("photoseek: error: ") and "display" in lines[0]
    assert not (tmp_path / "lib").exists()      # nothing was created on the way out


@pytest.mark.parametrize(("env", "problem"), [
    ({}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "minimal"}, False),
    ({"QT_QPA_PLATFORM": "xcb"}, True),
    ({"QT_QPA_PLATFORM": "wayland"}, True),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":1"}, False),
])
def test_which_environments_have_no_display(env, problem):
    assert (display_problem(env, platform="linux") is not None) == problem
    assert display_problem(env, platform="win32") is None
    assert display_problem(env, platform="darwin") is None
