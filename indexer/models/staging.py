"""The staging folder of a model download: ``<models dir>/.download-<name>/``.

A download is written into its staging folder and only renamed into place
once it loads; what is inside::

    .lock         held by the one download (or discard) at work on the folder
    state.json    which repository and commit the files below belong to
    partial/      files being transferred (resumed from their size)
    bundle/       files complete and verified

A download that was cancelled or killed leaves its staging folder behind, so
running it again continues where it stopped.  This module reads and writes the
state record (``read_state``, ``write_state``), takes the lock
(``staging_lock``), checks that every path a download will write stays inside
the folder (``check_targets``), and lists (``partial_downloads``) and deletes
(``discard_staging``) interrupted downloads.  The transfer itself is
``transfer``'s, the choice of files and the install ``hub``'s.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import DownloadError
from indexer.models.transfer import RemoteFile

STATE_FILE = "state.json"  # in the staging dir: which commit the partial files belong to


def read_state(staging: Path) -> dict[str, Any] | None:
    """The staging folder's record of the download (``repo_id``, ``commit``), or None if none can be read."""
    try:
        state: dict[str, Any] = json.loads((staging / STATE_FILE).read_text(encoding="utf-8"))
        return state
    except (OSError, ValueError):
        return None


def write_state(staging: Path, repo_id: str, commit: str) -> None:
    """Record which repository and commit the files in ``staging`` belong to."""
    (staging / STATE_FILE).write_text(
        json.dumps({"repo_id": repo_id, "commit": commit}), encoding="utf-8"
    )


@dataclass(frozen=True)
class PartialDownload:
    """An interrupted download waiting in the models directory; ``download_model`` resumes it."""

    name: str
    path: Path  # the staging directory
    repo_id: str | None
    bytes_on_disk: int


def partial_downloads(models_dir: Path) -> list[PartialDownload]:
    """Interrupted downloads in ``models_dir`` (run the download again to resume, or discard them)."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    out = []
    for path in sorted(models_dir.glob(".download-*")):
        if path.is_symlink() or not path.is_dir():
            continue
        state = read_state(path) or {}
        out.append(PartialDownload(path.name[len(".download-") :], path, state.get("repo_id"), _bytes_under(path)))
    return out


def _bytes_under(staging: Path) -> int:
    """The bytes of the regular files below ``staging``'s subfolders (links are not followed)."""
    total = 0
    for dirpath, _dirnames, filenames in os.walk(staging):  # os.walk does not enter linked folders
        if Path(dirpath) == staging:
            continue
        for fn in filenames:
            with contextlib.suppress(OSError):
                st = os.lstat(os.path.join(dirpath, fn))
                if stat.S_ISREG(st.st_mode):
                    total += st.st_size
    return total


def discard_staging(path: Path, local_name: str) -> bool:
    """Delete the staging folder ``path`` of the download of ``local_name``; False if there was none.

    A link in its place is removed, never what it points to; a download that is
    running (holding the lock) makes it fail with ``DownloadError``.
    """
    if path.is_symlink():  # not ours: remove the link, never what it points to
        path.unlink()
        return True
    if not path.is_dir():
        return False
    with staging_lock(path, f"a download of {local_name} is running; cancel it first"):
        shutil.rmtree(path / "bundle", ignore_errors=True)
        shutil.rmtree(path / "partial", ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    return True


@contextlib.contextmanager
def staging_lock(staging: Path, busy_message: str) -> Iterator[None]:
    """Hold the staging folder's lock (one download or discard at a time), or fail at once."""
    import filelock  # a dependency of huggingface_hub; imported only when downloading

    lock = filelock.FileLock(str(staging / ".lock"), timeout=0)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise DownloadError(busy_message) from None
    try:
        yield
    finally:
        lock.release()


def check_targets(plan: list[RemoteFile], models_dir: Path, staging: Path) -> None:
    """Resolve every path the download will write and check it stays inside ``staging``, before any write."""
    real_staging = staging.resolve()
    if staging.is_symlink() or real_staging.parent != models_dir.resolve():
        raise DownloadError(f"the download folder {staging} is a link out of the models folder; remove it")
    for base in (real_staging / "bundle", real_staging / "partial"):
        for f in plan:
            target = base.joinpath(*f.path.split("/")).resolve()
            if real_staging not in target.parents:
                raise DownloadError(
                    f"the download of {f.path!r} would be written outside {staging} (to {target}); "
                    "nothing was written"
                )
