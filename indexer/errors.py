"""Typed errors raised by the headless core.

The core never prints or exits; it raises one of these.  The command line
prints ``str(error)`` as one line (exit code 1); the GUI shows it in a
message.  Every message is written for the user: it says what went wrong and,
where there is one, what to do about it.
"""

from __future__ import annotations


class IndexerError(Exception):
    """Base class of every error the core raises on purpose."""


class UsageError(IndexerError):
    """The request itself is wrong (bad argument, unknown option value)."""


class UnreadableImage(IndexerError):
    """An image file (or query image) could not be decoded."""

    def __init__(self, source: object, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"cannot read image {source}: {reason}")


class ModelError(IndexerError):
    """A model bundle is missing, malformed or fails to run."""


class ModelNotFound(ModelError):
    """No model of that name is installed or known."""


class DownloadError(ModelError):
    """A model download failed (offline, interrupted, or incomplete)."""


class LibraryError(IndexerError):
    """The library directory cannot be used."""


class LibraryLocked(LibraryError):
    """Another live process has the library open for writing."""

    def __init__(self, path: object, pid: int):
        self.path = path
        self.pid = pid
        super().__init__(f"library {path} is in use by pid {pid}")


class LibraryUnsafe(LibraryError):
    """The library folder, or a file in it, could be read or changed by another user (its owner, its
    mode, a link or hard link in a file's place): refused before anything is written."""


class LibraryReadOnly(LibraryError):
    """The library cannot be written (a read-only disk or share, or no permission): it can only be read."""


class CatalogOutdated(LibraryError):
    """The catalog was written by an older Photoseek: a writer brings it up to date (a reader cannot)."""

    def __init__(self, path: object, version: int | str, current: int | str):
        self.path = path
        self.version = version
        super().__init__(
            f"the library {path} was last opened by an older Photoseek (catalog schema {version}; this version "
            f"uses {current}); run `photoseek index` or open the app once to bring it up to date"
        )


class CatalogCorrupt(LibraryError):
    """The SQLite catalog failed its integrity check."""


class Cancelled(IndexerError):
    """A long operation was cancelled through its cancel token."""


class TrashError(IndexerError):
    """A file could not be moved to the system trash, or back from it."""
