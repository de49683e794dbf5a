"""The local channel: a running Photoseek answers requests from the same user's commands.

While the desktop app or ``photoseek watch`` has a library open, it listens on
a Unix socket in the library folder (``serve.sock``) and answers small JSON
requests with its warm state (model sessions and vector index already
loaded); ``photoseek search`` and ``status`` ask it first and do the work
themselves when nobody answers.  This module is only the transport and its
guards; what is asked and answered is the caller's (a ``handler`` taking a
request dict and returning a response dict).

Everything that arrives is treated as hostile:

- the socket is created with mode 0600 inside a private 0700 folder and only
  then renamed into place, so it is never reachable by another user, not even
  for an instant; the server checks each caller's uid (``SO_PEERCRED`` where
  the platform has it) and drops any other user's connection unanswered;
- the client refuses a socket file that is not a socket, not owned by its own
  uid, or open to group or others, and checks the server's uid the same way;
- a message is one length-prefixed JSON object, with a size limit on both
  sides and a time limit on the whole message (not on each read, which a
  caller sending a byte now and then would renew); anything else -- too big,
  too slow, not JSON, nested too deeply -- ends that connection and no other;
- each connection is read on its own thread (a bounded number at once), so a
  slow or silent caller holds back nobody; requests are answered one at a
  time by one worker, and a server that fails takes its socket away (logged),
  so commands work cold at once rather than wait on a dead channel;
- each side says which library it means (``library_identity``: the resolved
  path and the catalog file's device and inode); a server answers only
  requests for its own library and a client accepts only answers from its own.

Windows named pipes are not implemented: there (and wherever ``AF_UNIX`` is
missing) nothing listens and commands always work cold.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import socket
import stat
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.errors import IndexerError

logger = logging.getLogger(__name__)

CHANNEL_FILE = "serve.sock"
CATALOG_FILE = "catalog.sqlite"  # the library's catalog (named here too: this module imports nothing heavy)
PROTOCOL = 1
MAX_REQUEST_BYTES = 1 << 20  # a request is an argument list: a megabyte is plenty
MAX_RESPONSE_BYTES = 64 << 20  # an answer holds the printed results: 64 MB is ~500,000 hits
CONNECT_TIMEOUT_S = 0.25
REQUEST_TIMEOUT_S = 2.0  # a caller has this long to send its whole request
SEND_TIMEOUT_S = 30.0  # and this long to take the whole answer
MAX_CONNECTIONS = 32  # callers served at once; one more is dropped (it works cold)
_HEADER = struct.Struct(">I")
_ACCEPT_POLL_S = 0.2  # how often the accept loop checks whether it was stopped

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ChannelUnavailable(IndexerError):
    """Nobody can answer on the local channel (none running, refused, died, or not to be trusted)."""


def channel_path(library: Path) -> Path:
    """Where the process that has ``library`` open listens."""
    return library / CHANNEL_FILE


def supported() -> bool:
    """Whether this platform has Unix sockets (Windows named pipes are not implemented)."""
    return hasattr(socket, "AF_UNIX")


def library_identity(library: Path) -> dict[str, Any]:
    """What names a library beyond doubt: its resolved path and its catalog file's device and inode."""
    resolved = library.resolve()
    try:
        st = os.stat(resolved / CATALOG_FILE)
        catalog: list[int] | None = [st.st_dev, st.st_ino]
    except OSError:
        catalog = None
    return {"path": os.fsdecode(resolved), "catalog": catalog}


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a Unix socket, or None where the platform cannot say."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return int(uid)


def check_socket_file(path: Path, uid: int) -> None:
    """Refuse ``path`` unless it is a socket owned by ``uid`` that no one else may open."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise ChannelUnavailable(f"nothing listens at {path}") from exc
    if not stat.S_ISSOCK(st.st_mode):
        raise ChannelUnavailable(f"{path} is not a socket")
    if st.st_uid != uid:
        raise ChannelUnavailable(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o077:
        raise ChannelUnavailable(f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o})")


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    sock.sendall(_HEADER.pack(len(data)) + data)


def receive_message(sock: socket.socket, limit: int, *, deadline: float | None = None) -> dict[str, Any]:
    """One length-prefixed JSON object of at most ``limit`` bytes, all of it received before the
    ``time.monotonic()`` ``deadline`` when one is given (``ChannelUnavailable`` otherwise)."""
    (size,) = _HEADER.unpack(_receive_exactly(sock, _HEADER.size, deadline))
    if size > limit:
        raise ChannelUnavailable(f"a message of {size} bytes is over the limit of {limit}")
    try:
        message = json.loads(_receive_exactly(sock, size, deadline).decode("ascii"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ChannelUnavailable("a message that is not JSON") from exc
    except RecursionError as exc:  # "[[[[...": nested deeper than the parser goes
        raise ChannelUnavailable("a message nested too deeply") from exc
    if not isinstance(message, dict):
        raise ChannelUnavailable("a message that is not a JSON object")
    return message


def _receive_exactly(sock: socket.socket, size: int, deadline: float | None = None) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:  # a caller sending a byte now and then is cut off all the same
                raise ChannelUnavailable("the other side took too long to send its message")
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(size - len(chunks), 1 << 20))
        except OSError as exc:  # a timeout or a reset
            raise ChannelUnavailable(f"the other side stopped answering: {exc}") from exc
        if not chunk:
            raise ChannelUnavailable("the other side closed the connection")
        chunks += chunk
    return bytes(chunks)


def ask(
    library: Path, request: dict[str, Any], *, timeout: float, uid: int | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_S,
) -> dict[str, Any]:
    """Send ``request`` to the process serving ``library`` and return its answer.

    ``timeout`` bounds the whole exchange (not each read).  Raises ``ChannelUnavailable`` when nobody
    answers, the socket or its owner is not to be trusted, the server dies or answers
    something malformed, or the answer comes from another library.
    """
    if not supported():
        raise ChannelUnavailable("this platform has no Unix sockets")
    uid = os.getuid() if uid is None else uid
    path = channel_path(library)
    check_socket_file(path, uid)
    identity = library_identity(library)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(connect_timeout)
        try:
            sock.connect(os.fspath(path))
        except OSError as exc:  # refused (a stale socket), timed out, path too long
            raise ChannelUnavailable(f"nobody answers at {path}: {exc}") from exc
        server = peer_uid(sock)
        if server is not None and server != uid:
            raise ChannelUnavailable(f"the process at {path} runs as another user (uid {server})")
        deadline = time.monotonic() + timeout
        sock.settimeout(timeout)
        try:
            send_message(sock, {**request, "v": PROTOCOL, "library": identity})
        except (OSError, ValueError, RecursionError) as exc:  # a request JSON cannot hold, or too deep
            raise ChannelUnavailable(f"the process at {path} stopped answering: {exc}") from exc
        answer = receive_message(sock, MAX_RESPONSE_BYTES, deadline=deadline)
    finally:
        sock.close()
    if answer.get("v") != PROTOCOL or answer.get("library") != identity:
        raise ChannelUnavailable(f"the process at {path} serves another library")
    if answer.get("refused"):
        raise ChannelUnavailable(f"the process at {path} declined: {answer.get('refused')}")
    return answer


class _Pending:
    """One request read in full, waiting for the worker's answer."""

    def __init__(self, request: dict[str, Any]):
        self.request = request
        self.answer: dict[str, Any] | None = None
        self.done = threading.Event()


class ChannelServer:
    """Answers requests for one library on its socket.

    Each connection is read on a thread of its own, within ``REQUEST_TIMEOUT_S`` for the whole
    request (a caller trickling bytes is cut off then), and at most ``MAX_CONNECTIONS`` at once:
    a slow or silent caller holds only its own connection.  The requests read are answered one
    at a time, in order, by one worker thread (the ``handler``'s thread, on which ``on_stop``
    runs last), and each answer is sent back on its connection's thread.

    ``handler`` gets each request that passed the checks (its ``v`` and ``library`` are the
    server's) and returns the answer; an exception from it is answered as a refusal (the
    client then does the work itself).  Whatever goes wrong with one request ends that request
    only; should the server itself fail, it logs why and takes its socket away, so commands
    work cold at once instead of waiting on a channel nobody answers.
    """

    def __init__(self, library: Path, handler: Handler, *, on_stop: Callable[[], None] | None = None):
        self.library = library
        self.path = channel_path(library)
        self._handler = handler
        self._on_stop = on_stop
        self._uid = os.getuid()
        self._identity = library_identity(library)
        self._stopped = threading.Event()
        self._sock: socket.socket | None = None
        self._inode: int | None = None
        self._thread: threading.Thread | None = None  # accepts connections
        self._worker: threading.Thread | None = None  # answers requests, one at a time
        self._queue: queue.Queue[_Pending] = queue.Queue()
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def start(self) -> None:
        """Listen (replacing a socket left by a dead server: the caller holds the library's writer lock)."""
        if not supported():
            raise ChannelUnavailable("this platform has no Unix sockets")
        import tempfile  # here: a command asking a server need not import it

        private = tempfile.mkdtemp(prefix=".serve-", dir=self.library)  # mode 0700
        staged = os.path.join(private, "s")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(staged)
            os.chmod(staged, 0o600)
            sock.listen(MAX_CONNECTIONS)
            sock.setblocking(False)  # accept() never waits on a caller that went away meanwhile
            self._inode = os.lstat(staged).st_ino
            os.replace(staged, self.path)
        except BaseException:
            sock.close()
            raise
        finally:
            _remove_quietly(staged)
            os.rmdir(private)
        self._sock = sock
        self._worker = threading.Thread(target=self._work, name="photoseek-channel-worker", daemon=True)
        self._worker.start()
        self._thread = threading.Thread(target=self._serve, name="photoseek-channel", daemon=True)
        self._thread.start()
        logger.info("answering commands at %s", self.path)

    def stop(self) -> None:
        """Stop listening and remove the socket (if it is still this server's)."""
        self._stopped.set()
        for thread in (self._thread, self._worker):
            if thread is not None and thread is not threading.current_thread():
                thread.join()
        self._thread = self._worker = None
        self._withdraw()

    def _withdraw(self) -> None:
        """Close the listening socket and remove its file (if it is still this server's)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        try:
            if os.lstat(self.path).st_ino == self._inode:
                os.unlink(self.path)
        except OSError:
            pass

    def _fail(self, where: str) -> None:
        """The server cannot go on: say why, and take the socket away so commands work cold."""
        logger.error("the local channel at %s stopped (%s); commands now work on their own", self.path, where,
                     exc_info=True)
        self._stopped.set()
        try:
            self._withdraw()
        except Exception:  # noqa: BLE001 - already failing: the log says why
            pass

    def _serve(self) -> None:
        try:
            while not self._stopped.is_set():
                sock = self._sock
                if sock is None:
                    return
                try:
                    ready, _, _ = select.select([sock], [], [], _ACCEPT_POLL_S)
                    if not ready:
                        continue
                    conn, _ = sock.accept()
                except OSError:  # a caller gone before it was accepted; too many open files
                    time.sleep(0.01)
                    continue
                try:
                    self._admit(conn)
                except BaseException:
                    conn.close()  # its caller is not left waiting
                    raise
        except BaseException:
            self._fail("accepting connections")

    def _admit(self, conn: socket.socket) -> None:
        """Check the caller and read its request on a thread of its own (or drop it: all slots taken)."""
        try:
            caller = peer_uid(conn)
            if caller is not None and caller != self._uid:
                logger.warning("refused a connection from uid %s on %s", caller, self.path)
                conn.close()
                return
            if not self._slots.acquire(blocking=False):
                logger.debug("dropped a connection on %s: %d already open", self.path, MAX_CONNECTIONS)
                conn.close()
                return
            threading.Thread(target=self._converse, args=(conn,), name="photoseek-channel-request",
                             daemon=True).start()
        except Exception:  # noqa: BLE001 - e.g. no thread could be started: this caller only
            logger.warning("dropped a connection on %s", self.path, exc_info=True)
            conn.close()

    def _converse(self, conn: socket.socket) -> None:
        """Read one request (all of it within ``REQUEST_TIMEOUT_S``), have it answered, send the answer."""
        try:
            with conn:
                request = receive_message(conn, MAX_REQUEST_BYTES, deadline=time.monotonic() + REQUEST_TIMEOUT_S)
                pending = _Pending(request)
                self._queue.put(pending)
                while not pending.done.wait(_ACCEPT_POLL_S):
                    if self._stopped.is_set() and not self._worker_alive():
                        return
                assert pending.answer is not None
                conn.settimeout(SEND_TIMEOUT_S)  # for the whole answer
                send_message(conn, {**pending.answer, "v": PROTOCOL, "library": self._identity})
        except Exception as exc:  # noqa: BLE001 - whatever it was, it ends this request only
            logger.debug("dropped a request on %s: %s", self.path, exc)
        finally:
            self._slots.release()

    def _worker_alive(self) -> bool:
        worker = self._worker
        return worker is not None and worker.is_alive()

    def _work(self) -> None:
        try:
            while not self._stopped.is_set():
                try:
                    pending = self._queue.get(timeout=_ACCEPT_POLL_S)
                except queue.Empty:
                    continue
                pending.answer = self._handle(pending.request)
                pending.done.set()
        except BaseException:
            self._fail("answering a request")
        finally:
            if self._on_stop is not None:
                try:
                    self._on_stop()
                except Exception:  # noqa: BLE001 - stopping anyway
                    logger.warning("could not close the channel's reader on %s", self.path, exc_info=True)

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            if request.get("v") != PROTOCOL:
                return {"refused": "another protocol version"}
            if request.get("library") != self._identity:
                return {"refused": "another library"}
            return self._handler(request)
        except Exception as exc:  # noqa: BLE001 - answered as a refusal: the client works cold instead
            logger.warning("could not answer a request on %s: %s", self.path, exc, exc_info=True)
            return {"refused": f"{type(exc).__name__}: {exc}"}


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
