"""The system trash: move a file there (``send2trash``), find where it went, and put it back.

On Linux and other freedesktop systems the trash is a folder: ``files/NAME``
holds the file and ``info/NAME.trashinfo`` its original path
(``Path=``, absolute or relative to the top of the volume it is on).  After
``send2trash`` moved a file, ``find_trashed`` reads those records to learn
where, so that an undo can move it back.  On macOS and Windows the system does
not say where a trashed file went: it is restored from the system's own trash
(``move_to_trash`` returns None there).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

from indexer.errors import TrashError

INFO_SUFFIX = ".trashinfo"
_MAX_INFO_BYTES = 64 << 10  # a .trashinfo file is a few lines; anything larger is not one
_MAX_SAME_NAME = 10_000  # trashed files of one name looked at, at most


def freedesktop() -> bool:
    return sys.platform not in ("darwin", "win32")


def move_to_trash(path: Path) -> Path | None:
    """Move ``path`` to the system trash; returns where it now is when the platform says (else None)."""
    from send2trash import send2trash  # loaded only when something is trashed
    from send2trash.exceptions import TrashPermissionError

    try:
        send2trash(os.fspath(path))
    except (OSError, TrashPermissionError) as exc:
        raise TrashError(f"could not move {path} to the trash: {exc}") from exc
    return find_trashed(path) if freedesktop() else None


def trash_dirs(path: Path) -> list[Path]:
    """The freedesktop trash folders ``path`` may have been moved to: the home trash, then its volume's."""
    data = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    dirs = [Path(data) / "Trash"]
    plat = sys.modules.get("send2trash.plat_other")
    home = getattr(plat, "HOMETRASH", None)  # fixed when send2trash was loaded
    if isinstance(home, str):
        dirs.append(Path(home))
    top = _mount_point(path.parent)
    uid = os.getuid() if hasattr(os, "getuid") else 0
    dirs += [top / ".Trash" / str(uid), top / f".Trash-{uid}"]
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def find_trashed(original: Path) -> Path | None:
    """Where a file that was at ``original`` is in the trash (the newest such record), or None.

    A trash names a file ``NAME``, or ``STEM N.EXT`` with the first N free when ``NAME`` is taken, so
    only those names are looked at (never a listing of the whole trash); of the records that name
    ``original``, the newest is taken."""
    name = original.name
    stem, suffix = original.stem, original.suffix
    for trash in trash_dirs(original):
        info = trash / "info"
        found: tuple[float, Path] | None = None
        for n in range(_MAX_SAME_NAME):  # the file just trashed took the first free name: it is before any gap
            candidate = name if n == 0 else f"{stem} {n}{suffix}"
            record = info / (candidate + INFO_SUFFIX)
            try:
                stamp = os.lstat(record).st_mtime
            except OSError:
                break
            if _recorded_path(record, trash) == original and (found is None or stamp >= found[0]):
                found = (stamp, trash / "files" / candidate)
        if found is not None:
            return found[1]
    return None


def restore(trashed: Path, original: Path) -> None:
    """Move ``trashed`` back to ``original`` and drop its trash record.  Never overwrites a file."""
    if os.path.lexists(original):
        raise TrashError(f"a file is already at {original}; {trashed} stays in the trash")
    if not os.path.lexists(trashed):
        raise TrashError(f"{original} is no longer in the trash (was the trash emptied?)")
    try:
        original.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(trashed, original)
        except OSError:
            shutil.move(os.fspath(trashed), os.fspath(original))  # the trash is on another device
    except OSError as exc:
        raise TrashError(f"could not restore {original}: {exc.strerror or exc}") from exc
    info = trashed.parent.parent / "info" / (trashed.name + INFO_SUFFIX)
    try:
        info.unlink()
    except OSError:
        pass  # a stale record only shows the file in the trash viewer as missing


def _recorded_path(info: Path, trash: Path) -> Path | None:
    try:
        with open(info, "rb") as f:
            text = f.read(_MAX_INFO_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("Path="):
            value = Path(os.fsdecode(unquote_to_bytes(line[5:].strip())))
            if not value.is_absolute():  # relative to the top of the volume the trash is on
                value = trash.parent.parent / value if trash.name.isdigit() else trash.parent / value
            return Path(os.path.abspath(value))
    return None


def _mount_point(path: Path) -> Path:
    path = Path(os.path.realpath(path))
    while not os.path.ismount(path) and path.parent != path:
        path = path.parent
    return path
