"""Where Photoseek keeps its files.

``PHOTOSEEK_LIBRARY`` (or ``--library``) overrides the library directory;
``PHOTOSEEK_MODELS`` overrides the models directory.  Nothing here creates
directories: callers that write create what they need.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "photoseek"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_library_dir() -> Path:
    env = os.environ.get("PHOTOSEEK_LIBRARY")
    return Path(env).expanduser() if env else data_dir() / "library"


def models_dir() -> Path:
    """Installed model bundles, shared by every library of this user."""
    env = os.environ.get("PHOTOSEEK_MODELS")
    return Path(env).expanduser() if env else data_dir() / "models"


def cache_dir() -> Path:
    """What Photoseek can always compute again (facts about model bundles); safe to delete."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


# -- can we write there? ------------------------------------------------------------

_PROBE_PREFIX = ".photoseek-write-check-"


def _reason(exc: OSError) -> str:
    """A short, human reason for an OSError from creating a file or folder."""
    import errno

    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.EROFS:
        return "it is on a read-only disk"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return "the disk is full"
    if exc.errno == errno.ENOTDIR:
        return "part of the path is a file, not a folder"
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def check_writable(path: str | os.PathLike[str], what: str = "folder") -> str | None:
    """``None`` when Photoseek can create files in the folder ``path`` (creating it first
    if needed), else one readable sentence saying why not.

    Does not create ``path``: when it is missing, the nearest existing parent must
    be a folder in which a folder can be made.  Writability is probed by really
    creating (and removing) a small temporary folder and file, which catches what
    permission bits do not (read-only mounts, full disks, ACLs, running as root).
    ``what`` names the folder in the message ("library folder", "models folder").
    """
    target = Path(path).expanduser().absolute()
    probe_in = target
    missing = False
    try:
        while not probe_in.exists():
            if probe_in.is_symlink():
                return f"cannot create the {what} {target}: {probe_in} is a broken link"
            missing = True
            if probe_in.parent == probe_in:
                return f"cannot create the {what} {target}: its drive or mount point does not exist"
            probe_in = probe_in.parent
        if not probe_in.is_dir():
            if probe_in == target:
                return f"the {what} {target} is a file, not a folder"
            return f"cannot create the {what} {target}: {probe_in} is a file, not a folder"
    except OSError as exc:  # e.g. a parent folder that may not be looked into
        return f"cannot use the {what} {target}: {_reason(exc)}"

    import tempfile

    try:
        probe = Path(tempfile.mkdtemp(prefix=_PROBE_PREFIX, dir=probe_in))
    except OSError as exc:
        if missing:
            return f"cannot create the {what} {target}: {probe_in} is not writable ({_reason(exc)})"
        return f"cannot write to the {what} {target}: {_reason(exc)}"
    try:
        (probe / "probe").write_bytes(b"photoseek")
    except OSError as exc:
        return f"cannot write to the {what} {target}: {_reason(exc)}"
    finally:
        import shutil

        shutil.rmtree(probe, ignore_errors=True)
    return None


def writable_problems(library_dir: str | os.PathLike[str] | None = None, *, library: bool = True,
                      models: bool = True) -> list[str]:
    """Readable problems with the library and/or models folders (empty when all is well),
    each with what to do about it.  ``library_dir`` defaults to :func:`default_library_dir`.
    """
    problems = []
    if library:
        lib = Path(library_dir).expanduser() if library_dir else default_library_dir()
        problem = check_writable(lib, "library folder")
        if problem:
            problems.append(f"{problem}. Choose another library folder with --library DIR or "
                            "the PHOTOSEEK_LIBRARY environment variable.")
    if models:
        problem = check_writable(models_dir(), "models folder")
        if problem:
            problems.append(f"{problem}. Choose another models folder with the PHOTOSEEK_MODELS "
                            "environment variable.")
    return problems
