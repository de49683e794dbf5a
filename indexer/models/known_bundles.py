"""What this user's Photoseek already learned about a set of bundle files: their fingerprint and
which towers passed the finite-output check.

Hashing a bundle's weights (``fingerprint``) reads every byte of them (0.8-1.6 s for ViT-B-32),
and checking a tower loads its ONNX Runtime session and runs it once (0.4-1 s each).  Both are
facts about the bundle's bytes, so they are worth the same for every library of the user: a
second library indexed with the same model, or ``index --model DIR`` run again, should not pay
them again.  A library also keeps the fingerprint in its catalog (``fingerprint_of_files``); this
cache serves the libraries that have not met the bundle yet.

Each set of files is remembered under its ``files_stamp`` (size, mtime, ctime, inode and device of
every file of the bundle: any rewrite or replacement changes it), in one small JSON file in the
user's cache folder.  A tower's check is remembered with the ONNX Runtime version and execution
providers it ran on: another runtime checks again.  The cache is hostile input like any file: an
entry that is not exactly what this module writes is ignored (and computed again), and a cache
that cannot be written only costs time.  Deleting the folder is always safe.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from indexer import paths

logger = logging.getLogger(__name__)

FOLDER = "model-facts"
MAX_BYTES = 4096  # an entry is ~300 bytes; anything larger is not one of ours
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TOWERS = ("visual", "textual")


@dataclass
class KnownBundle:
    fingerprint: str
    checked: set[str] = field(default_factory=set)  # "visual@<runtime>", "textual@<runtime>"


def runtime_label(providers: list[str]) -> str:
    """The ONNX Runtime version and providers a tower check holds for."""
    import onnxruntime

    return f"{onnxruntime.__version__}:{','.join(providers)}"


def _entry(stamp: str) -> Path | None:
    if not _HEX64.fullmatch(stamp):
        return None
    return paths.cache_dir() / FOLDER / f"{stamp}.json"


def recall(stamp: str) -> KnownBundle | None:
    """What is known about the bundle files with ``stamp``, or None."""
    entry = _entry(stamp)
    if entry is None:
        return None
    try:
        with open(entry, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        data = json.loads(raw) if len(raw) <= MAX_BYTES else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    print_ = data.get("fingerprint")
    checked = data.get("checked", [])
    if not isinstance(print_, str) or not _HEX64.fullmatch(print_) or not isinstance(checked, list):
        return None
    return KnownBundle(print_, {c for c in checked if isinstance(c, str) and c.split("@", 1)[0] in _TOWERS})


def remember(stamp: str, fingerprint: str, *, checked: str | None = None) -> None:
    """Record the fingerprint of the files with ``stamp`` (and that tower check ``checked`` passed).

    Written atomically (a temporary file renamed over the entry); never raises: a cache that cannot
    be written is only slower."""
    entry = _entry(stamp)
    if entry is None or not _HEX64.fullmatch(fingerprint):
        return
    known = recall(stamp)
    if known is not None and known.fingerprint == fingerprint and (checked is None or checked in known.checked):
        return  # nothing new: every process that loads a tower would otherwise rewrite the entry
    ticks = known.checked if known is not None and known.fingerprint == fingerprint else set()
    if checked is not None:
        ticks.add(checked)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".entry-", dir=entry.parent)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump({"fingerprint": fingerprint, "checked": sorted(ticks)}, f)
            os.replace(tmp, entry)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        logger.info("cannot remember model facts in %s: %s", entry.parent, exc)
