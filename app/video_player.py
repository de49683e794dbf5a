"""Open a video at a given time, where the platform allows it.

The system's default application (``QDesktopServices``) cannot be told where
to start, so a video is opened at its best frame with a player installed on
this computer that takes a start time on its command line (mpv, VLC, IINA,
Celluloid, SMPlayer), found on ``PATH`` or at its usual place; without one,
the caller opens the video from its start with the default application.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)

# (program, the arguments that start it at SECONDS on FILE)
PLAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mpv", ("--start={seconds}", "{file}")),
    ("vlc", ("--start-time={seconds}", "{file}")),
    ("iina", ("--mpv-start={seconds}", "{file}")),
    ("celluloid", ("--mpv-start={seconds}", "{file}")),
    ("smplayer", ("-ss", "{seconds}", "{file}")),
)
# Where players live when they are not on PATH (macOS and Windows installers do not add them)
KNOWN_PLACES: dict[str, tuple[str, ...]] = {
    "vlc": ("/Applications/VLC.app/Contents/MacOS/VLC",
            os.path.join(os.environ.get("PROGRAMFILES", r"C:\Program Files"), "VideoLAN", "VLC", "vlc.exe")),
    "iina": ("/Applications/IINA.app/Contents/MacOS/iina-cli",),
    "mpv": ("/Applications/mpv.app/Contents/MacOS/mpv",),
}


def player_command(path: Path, seconds: float, which: Callable[[str], str | None] = shutil.which,
                   exists: Callable[[str], bool] = os.path.isfile) -> list[str] | None:
    """The command that plays ``path`` from ``seconds`` with the first player found; None when there is none."""
    start = f"{max(0.0, seconds):.2f}"
    for program, arguments in PLAYERS:
        found = which(program) or next((p for p in KNOWN_PLACES.get(program, ()) if exists(p)), None)
        if found:
            return [found, *(a.format(seconds=start, file=os.fspath(path)) for a in arguments)]
    return None


def open_video_at(path: Path, seconds: float) -> bool:
    """Start a player on ``path`` at ``seconds``; False when no player that can is installed, or it failed."""
    command = player_command(path, seconds)
    if command is None:
        return False
    try:  # a player found above, the file as one argument (never through a shell)
        subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=sys.platform != "win32")
    except OSError as exc:
        logger.warning("could not start %s: %s", command[0], exc)
        return False
    return True
