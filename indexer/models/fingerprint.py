"""What identifies the vectors a bundle makes: a fingerprint of its files, not its directory name.

Two bundles make comparable vectors only when their towers' weights and the
image preprocessing they apply are the same; a bundle's name says nothing
about that (``models import --force`` or ``--model /other/dir/NAME`` can put
another model under the same name).  ``fingerprint`` hashes, in full, every
weight file of both towers -- each ``model.onnx`` and any external-data file
beside it: every file under ``visual/`` and ``textual/`` except the JSON
configs, hidden files and other runtimes' files (``*.armnn``, ``*.rknn``) --
and the preprocessing the bundle applies (its ``PreprocessConfig``, written
canonically, so reformatting preprocess_cfg.json changes nothing).  The
tokenizer and config.json are left out: they do not change a photo's vector.

Hashing reads all the weights: SHA-256 runs at up to 1 GB/s on one core with
the CPU's SHA extensions; measured, 15 ms for the 8 MB toy model and 1.6 s for
a 600 MB bundle in the OS's cache on a busy two-core machine (more from a cold
disk; ONNX Runtime reads the same bytes when it loads the towers).  Callers
therefore cache a fingerprint by ``files_stamp`` (under 1 ms): the size, mtime,
ctime, inode and device of the same files and of the bundle's configs -- one
``stat`` per file.  A stamp that matches still describes the same bytes:
whatever rewrites a file in place moves its ctime (which programs cannot set
back), and whatever replaces it (a copy, a download, a rename) gives it a new
inode or a new ctime.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from indexer.errors import ModelError
from indexer.models.bundle import CONFIG_FILE, PREPROCESS_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE, ModelBundle

TOWER_DIRS = ("visual", "textual")
FINGERPRINT_VERSION = b"photoseek-vector-space-1\0"
_NOT_WEIGHTS = (".json", ".armnn", ".rknn")
_CHUNK = 1 << 20
_CONFIGS = [os.path.normpath(rel) for rel in (CONFIG_FILE, PREPROCESS_FILE, TOKENIZER_FILE, TOKENIZER_CONFIG_FILE)]


def weight_files(root: Path) -> list[Path]:
    """The files of ``root``'s towers that hold weights (the graphs and their external data), sorted."""
    return [Path(root, rel) for rel in _weight_files(os.fspath(root))]


def _weight_files(root: str) -> list[str]:
    """``weight_files`` as paths relative to ``root`` (plain strings: this runs before every search)."""
    found: list[str] = []
    for tower in TOWER_DIRS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, tower)):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            rel_dir = os.path.relpath(dirpath, root)
            for name in sorted(filenames):
                if not name.startswith(".") and not name.lower().endswith(_NOT_WEIGHTS):
                    found.append(os.path.join(rel_dir, name))
    return found


def files_stamp(root: Path) -> str:
    """A cheap digest of the metadata (size, mtime, ctime, inode, device) of every file that makes
    ``root``'s bundle: it changes whenever one of them is rewritten or replaced."""
    base = os.fspath(root)
    lines = []
    for rel in _weight_files(base) + _CONFIGS:
        try:
            st = os.stat(os.path.join(base, rel))
            lines.append(f"{rel}\0{st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino} {st.st_dev}")
        except FileNotFoundError:
            lines.append(f"{rel}\0-")
        except OSError as exc:
            raise ModelError(f"model bundle {root}: cannot read {rel}: {exc.strerror}") from exc
    return hashlib.sha256("\n".join(lines).encode("utf-8", "surrogateescape")).hexdigest()


def fingerprint(bundle: ModelBundle) -> str:
    """The SHA-256 (hex) of the bundle's weight files and its preprocessing: equal fingerprints, equal vectors."""
    digest = hashlib.sha256(FINGERPRINT_VERSION)
    preprocess = json.dumps(bundle.preprocess.to_dict(), sort_keys=True, separators=(",", ":"))
    digest.update(preprocess.encode() + b"\0")
    files = weight_files(bundle.path)
    if not files:
        raise ModelError(f"model bundle {bundle.path} has no weight files under visual/ and textual/")
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    for path in files:
        rel = path.relative_to(bundle.path).as_posix()
        try:
            with open(path, "rb") as f:
                digest.update(f"{rel}\0{os.fstat(f.fileno()).st_size}\0".encode("utf-8", "surrogateescape"))
                while n := f.readinto(buffer):
                    digest.update(view[:n])
        except OSError as exc:
            raise ModelError(f"model bundle {bundle.path}: cannot read {rel}: {exc.strerror}") from exc
    return digest.hexdigest()
