"""Resumable, verified transfer of one file from a Hugging Face-compatible hub.

``fetch`` streams a file's URL through huggingface_hub's HTTP session into a
partial file, appending to whatever an earlier, interrupted transfer left
there (an HTTP ``Range`` request; a server that ignores it sends the file
whole and the partial file is rewritten).  A dropped connection or a
transient server error (408, 429, 5xx) is retried from the byte where it
stopped, with a growing pause; the retry budget is per stall, so a slow but
moving transfer is never given up.  Other HTTP errors (404, 401, ...) are
raised at once.  No more bytes are written than the hub's metadata says the
file has: a server that sends more cannot fill the disk.  ``verify`` then checks the finished file against the hub's
size and SHA-256 (LFS files) or git blob id (small files).

huggingface_hub 2.x itself deletes partial files when a download fails, so
this loop is built on its session, headers and errors rather than on its
download helpers.  What to download, and how the files become an installed
bundle, is :mod:`indexer.models.hub`'s business.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from indexer.cancel import CancelToken

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
#: transfer attempts per file without any new byte arriving, and the pause before each retry
MAX_ATTEMPTS = 5
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0)
_RETRY_STATUS = (408, 429, 500, 502, 503, 504)
#: seconds to wait for the hub's metadata (and for a connection), and for each read of a transfer
METADATA_TIMEOUT = 20.0
READ_TIMEOUT = 60.0


@dataclass(frozen=True)
class RemoteFile:
    """A file of the repository, as the hub describes it."""

    path: str  # relative to the repo root, with forward slashes
    size: int | None
    sha256: str | None  # LFS files
    git_sha1: str | None  # small files stored in git: sha1 of "blob <size>\0" + content


class TransferProgress(Protocol):
    """Where a transfer reports bytes and asks whether to go on."""

    @property
    def cancel(self) -> CancelToken | None:
        """The token whose ``sleep`` paces retries (plain ``time.sleep`` when None)."""
        ...

    def check(self) -> None:
        """Raise ``Cancelled`` to stop the transfer (waiting here while paused)."""
        ...

    def add(self, n: int) -> None:
        """Count ``n`` more bytes on disk (negative when a partial file is dropped)."""
        ...


def verify(path: Path, f: RemoteFile) -> str | None:
    """None if ``path`` matches the hub's metadata for ``f``, else what is wrong."""
    size = path.stat().st_size
    if f.size is not None and size != f.size:
        return f"size {size}, expected {f.size}"
    if f.sha256 is None and f.git_sha1 is None:
        return None
    sha256 = hashlib.sha256()
    sha1 = hashlib.sha1()
    sha1.update(b"blob %d\0" % size)
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            sha256.update(block)
            sha1.update(block)
    if f.sha256 is not None and sha256.hexdigest() != f.sha256.lower():
        return f"SHA-256 {sha256.hexdigest()}, expected {f.sha256}"
    if f.sha256 is None and f.git_sha1 is not None and sha1.hexdigest() != f.git_sha1.lower():
        return f"git blob id {sha1.hexdigest()}, expected {f.git_sha1}"
    return None


def _content_range_start(value: str | None) -> int | None:
    # "bytes 100-199/1000"
    if not value or not value.startswith("bytes "):
        return None
    try:
        return int(value[6:].split("-", 1)[0])
    except ValueError:
        return None


def fetch(url: str, part: Path, f: RemoteFile, progress: TransferProgress, headers: dict[str, str]) -> None:
    """Stream ``url`` into ``part``, resuming from its current length; retry dropped connections."""
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    # Public names (in huggingface_hub.utils.__all__), but that __all__ is computed, so mypy sees no re-export.
    from huggingface_hub.utils import get_session, hf_raise_for_status  # type: ignore[attr-defined]

    stalls = 0
    while True:
        progress.check()
        have = part.stat().st_size if part.exists() else 0
        if f.size is not None and have > f.size:
            logger.warning("partial %s is longer than the file on the hub; starting it again", f.path)
            progress.add(-have)
            part.unlink()
            have = 0
        if f.size is not None and have == f.size:
            return
        req_headers = dict(headers)
        req_headers["Accept-Encoding"] = "identity"  # sizes and ranges are of the stored bytes
        if have:
            req_headers["Range"] = f"bytes={have}-"
        got_bytes = False
        try:
            with get_session().stream(
                "GET", url, headers=req_headers, timeout=httpx2.Timeout(READ_TIMEOUT, connect=METADATA_TIMEOUT)
            ) as response:
                if have and response.status_code == 416:
                    # The range starts at or past the end: what we have cannot be trusted.
                    logger.warning("server refused to resume %s; starting it again", f.path)
                    progress.add(-have)
                    part.unlink()
                    continue
                hf_raise_for_status(response)
                mode = "ab"
                if have:
                    start = _content_range_start(response.headers.get("Content-Range"))
                    if response.status_code != 206 or start != have:
                        logger.info("server ignored the resume request for %s; downloading it whole", f.path)
                        progress.add(-have)
                        mode = "wb"
                        have = 0
                    else:
                        logger.info("resuming %s at byte %d", f.path, have)
                room = None if f.size is None else f.size - have
                with open(part, mode) as out:
                    for chunk in response.iter_bytes():  # as it arrives: a drop keeps what came
                        if not chunk:
                            continue
                        if room is not None:
                            chunk = chunk[:room]
                            room -= len(chunk)
                        out.write(chunk)
                        got_bytes = True
                        progress.add(len(chunk))
                        progress.check()
                        if room == 0:
                            break  # all the file's bytes are here; anything more is not part of it
                    out.flush()
                    os.fsync(out.fileno())
            if f.size is None or part.stat().st_size >= f.size:
                return
            # The server closed a response early without an error: treat it as a dropped connection.
            raise httpx2.RemoteProtocolError(
                f"connection closed after {part.stat().st_size} of {f.size} bytes"
            )
        except (httpx2.TransportError, HfHubHTTPError) as e:
            if isinstance(e, HfHubHTTPError) and (
                e.response is None or e.response.status_code not in _RETRY_STATUS
            ):
                raise  # 404, 401, ...: retrying will not help
            if got_bytes:
                stalls = 0  # progress was made: the retry budget is per stall, not per file
            stalls += 1
            if stalls >= MAX_ATTEMPTS:
                raise
            delay = RETRY_DELAYS[min(stalls - 1, len(RETRY_DELAYS) - 1)]
            logger.warning("transfer of %s interrupted (%s); retrying in %.1f s", f.path, e, delay)
            if progress.cancel is not None:
                progress.cancel.sleep(delay)
            else:
                time.sleep(delay)
