"""What a background operation hands the GUI besides its result: a typed failure, or what it changed.

Services never send the GUI a bare string.  A failed request arrives as an
:class:`OpFailure` -- which operation failed, what kind of failure it was and
a readable message -- so the window can react to the kind (a missing model
opens the welcome dialog) and dismiss a failure by its operation (a search
that succeeds clears the last search failure) without reading its text.  A
writer operation that succeeded arrives as a :class:`LibraryChange` saying
what it changed, so each view refreshes what changed and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import IndexerError, LibraryLocked, ModelNotFound


class Operation(enum.Enum):
    """What the GUI asked for, as the failure names it."""

    OPEN = "open the library"
    SEARCH = "search"
    BROWSE = "read the library"
    CHANGE = "change the library"      # folders, settings, the model, indexing
    DUPLICATES = "find duplicates"
    CLEANUP = "clean up duplicates"
    MODEL = "get a model"


class FailureKind(enum.Enum):
    """Why an operation failed, as far as the GUI needs to tell."""

    MODEL_MISSING = "model missing"    # no model installed or configured
    LOCKED = "locked"                  # another process writes the library
    REFUSED = "refused"                # the core refused the request (bad input, unreadable image, ...)
    FILE = "file"                      # a file was missing or could not be read or written
    NOT_READY = "not ready"            # the library is not open yet
    UNEXPECTED = "unexpected"          # a bug: logged with its traceback


@dataclass(frozen=True)
class OpFailure:
    """A failed background operation: which, why, and the one line a person reads."""

    operation: Operation
    kind: FailureKind
    message: str

    @classmethod
    def of(cls, operation: Operation, exc: BaseException) -> OpFailure:
        """The failure ``exc`` means for ``operation``."""
        if isinstance(exc, ModelNotFound):
            kind = FailureKind.MODEL_MISSING
        elif isinstance(exc, LibraryLocked):
            kind = FailureKind.LOCKED
        elif isinstance(exc, IndexerError):
            kind = FailureKind.REFUSED
        elif isinstance(exc, OSError):
            kind = FailureKind.FILE
        else:
            kind = FailureKind.UNEXPECTED
        return cls(operation, kind, describe_error(exc))

    @classmethod
    def not_ready(cls, operation: Operation) -> OpFailure:
        return cls(operation, FailureKind.NOT_READY, "The library is not open yet")


def describe_error(exc: BaseException) -> str:
    """A one-line, user-readable message for ``exc``."""
    if isinstance(exc, IndexerError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"File not found: {exc.filename or exc}"
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or exc}"
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return f"Unexpected error: {type(exc).__name__}: {exc}"


class Changed(enum.Flag):
    """The parts of the library a writer operation changed."""

    NOTHING = 0
    FOLDERS = enum.auto()    # folders added or removed (their photos come and go with the next run)
    PHOTOS = enum.auto()     # photos added or removed (a run, a clean-up, an undo)
    FAILURES = enum.auto()   # the list of unreadable files
    SETTINGS = enum.auto()   # the settings (and so perhaps the model)
    MODEL = enum.auto()      # the model that embeds and searches


@dataclass(frozen=True)
class LibraryChange:
    """What one writer operation changed (``folders``: the folders it added or removed, if any)."""

    what: Changed
    folders: tuple[Path, ...] = ()

    def touches(self, parts: Changed) -> bool:
        """Whether any of ``parts`` changed."""
        return bool(self.what & parts)
