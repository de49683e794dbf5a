"""Whether the desktop app can reach a display, checked before Qt is asked to (Qt aborts the process
when its platform plugin finds no display, with a stack dump instead of a reason)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

# platforms that draw without a window system (tests, screenshots, kiosks); Qt may try them as they are
_NO_WINDOW_SYSTEM = ("offscreen", "minimal", "eglfs", "linuxfb", "vnc", "vkkhrdisplay")


def display_problem(env: Mapping[str, str] | None = None, *, platform: str | None = None) -> str | None:
    """One sentence saying why no window can be shown, or None when one can (or Qt must decide).

    On Linux and the other X11 / Wayland systems a window needs ``DISPLAY`` or ``WAYLAND_DISPLAY``
    unless ``QT_QPA_PLATFORM`` names a platform that draws without a window system.  Windows and macOS
    always have one."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return None
    chosen = [p.split(":", 1)[0].strip() for p in env.get("QT_QPA_PLATFORM", "").split(";") if p.strip()]
    if any(p in _NO_WINDOW_SYSTEM for p in chosen):
        return None
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"):
        return None
    return ("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "run it in a desktop session, or set QT_QPA_PLATFORM=offscreen to run without one")
