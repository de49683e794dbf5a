"""The local channel against hostile and slow callers (issue 26, classes 10-11).

One request that goes wrong in any way (nested too deeply for the parser, an
answer JSON cannot hold, a handler that fails) ends that request only; a
server that cannot go on takes its socket away, so commands work cold at once.
A caller sending a byte now and then is cut off when its whole request is
late (not each byte), and holds nobody back meanwhile: other callers are
answered while it trickles, and a caller that never reads its answer blocks
no one either.  Timing bounds are generous and waits are on events, so a
loaded machine cannot fail them.
"""

from __future__ import annotations

import json
import logging
import os
import select
import socket
import struct
import threading
import time
from pathlib import Path

import pytest

from indexer import local_channel
from indexer.local_channel import ChannelServer, ChannelUnavailable, ask, channel_path

pytestmark = pytest.mark.skipif(not local_channel.supported(), reason="no Unix sockets on this platform")


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir(mode=0o700)
    (lib / "catalog.sqlite").write_bytes(b"")
    return lib


def _echo(request: dict) -> dict:
    return {"echo": request["argv"]}


@pytest.fixture
def served(library):
    server = ChannelServer(library, _echo)
    server.start()
    yield server
    server.stop()


def _connect(library: Path) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect(str(channel_path(library)))  # blocking: waits while the listen backlog is full
    sock.settimeout(30)
    return sock


def _send_raw(library: Path, body: bytes) -> bytes:
    with _connect(library) as sock:
        sock.sendall(struct.pack(">I", len(body)) + body)
        try:
            return sock.recv(1 << 16)
        except OSError:
            return b""


def _alive(server: ChannelServer) -> bool:
    return all(t is not None and t.is_alive() for t in (server._thread, server._worker))


# -- 10. one hostile request ends that request only ---------------------------------------

@pytest.mark.parametrize("depth", [1_000, 150_000])
@pytest.mark.parametrize("shape", ["[", '{"a":'])
def test_deeply_nested_json_ends_its_request_and_the_server_keeps_serving(library, served, depth, shape):
    close = "]" if shape == "[" else "}"
    body = (b'{"argv":' + shape.encode() * depth + b"1" + close.encode() * depth + b"}")
    assert len(body) < local_channel.MAX_REQUEST_BYTES
    assert _send_raw(library, body) == b""
    assert _alive(served)
    assert ask(library, {"argv": ["after"]}, timeout=30)["echo"] == ["after"]


def test_nesting_the_parser_accepts_is_answered_or_refused_never_fatal(library, served):
    body = json.dumps({"argv": ["x"], "v": 1, "deep": [[[[[[[[["y"]]]]]]]]]}).encode()
    _send_raw(library, body)
    assert _alive(served)
    assert ask(library, {"argv": ["after"]}, timeout=30)["echo"] == ["after"]


def test_a_deeply_nested_request_through_ask_is_refused_cleanly_on_both_sides(library, served):
    nested: list = []
    for _ in range(50_000):
        nested = [nested]
    with pytest.raises(ChannelUnavailable):
        ask(library, {"argv": ["x"], "deep": nested}, timeout=30)  # the client cannot even encode it
    assert ask(library, {"argv": ["after"]}, timeout=30)["echo"] == ["after"]


@pytest.mark.parametrize("answer", [
    lambda: {"bad": {1, 2}},  # not JSON
    lambda: {"deep": _nested(100_000)},  # JSON too deep to encode
    lambda: (_ for _ in ()).throw(RecursionError("handler")),  # the handler itself fails
    lambda: (_ for _ in ()).throw(MemoryError()),
])
def test_an_answer_that_cannot_be_sent_ends_that_request_only(library, answer):
    calls = []

    def handler(request: dict) -> dict:
        calls.append(request["argv"])
        if request["argv"] == ["bad"]:
            return answer()
        return {"echo": request["argv"]}

    server = ChannelServer(library, handler)
    server.start()
    try:
        with pytest.raises(ChannelUnavailable):
            ask(library, {"argv": ["bad"]}, timeout=30)
        assert _alive(server)
        assert ask(library, {"argv": ["good"]}, timeout=30)["echo"] == ["good"]
    finally:
        server.stop()


def _nested(depth: int) -> list:
    out: list = []
    for _ in range(depth):
        out = [out]
    return out


def test_a_server_that_dies_takes_its_socket_away_and_says_why(library, monkeypatch, caplog):
    stopped = threading.Event()

    def broken_admit(conn):
        raise SystemExit("the accept loop is gone")  # not an Exception: nothing on the way catches it

    server = ChannelServer(library, _echo, on_stop=stopped.set)
    server.start()
    try:
        monkeypatch.setattr(server, "_admit", broken_admit)
        with caplog.at_level(logging.ERROR, logger="indexer.local_channel"):
            with pytest.raises(ChannelUnavailable):
                ask(library, {"argv": ["x"]}, timeout=30)
            assert stopped.wait(30)  # the worker stopped too, and closed what it held
        assert not os.path.lexists(channel_path(library))  # so the next command works cold at once
        with pytest.raises(ChannelUnavailable, match="nothing listens"):
            ask(library, {"argv": ["x"]}, timeout=30)
        assert "stopped" in caplog.text
    finally:
        server.stop()


def test_a_worker_that_dies_takes_the_socket_away(library, caplog):
    def fatal(request: dict) -> dict:
        raise KeyboardInterrupt  # a BaseException from the handler: the worker cannot go on

    server = ChannelServer(library, fatal)
    server.start()
    try:
        with caplog.at_level(logging.ERROR, logger="indexer.local_channel"):
            with pytest.raises(ChannelUnavailable):
                ask(library, {"argv": ["x"]}, timeout=30)
            server._thread.join(30)
        assert not server._thread.is_alive()
        assert not os.path.lexists(channel_path(library))
    finally:
        server.stop()


# -- 11. one slow caller holds back nobody -------------------------------------------------

class Trickler(threading.Thread):
    """A caller that sends a request's header and then one byte every ``pause`` seconds."""

    def __init__(self, library: Path, *, size: int = 10_000, pause: float = 0.2):
        super().__init__(daemon=True)
        self.sock = _connect(library)
        self.size, self.pause = size, pause
        self.sending = threading.Event()
        self.cut_off = threading.Event()
        self.quit = threading.Event()
        self.sent = 0

    def run(self) -> None:
        try:
            self.sock.sendall(struct.pack(">I", self.size) + b"{")
            self.sending.set()
            while not self.quit.is_set() and self.sent < self.size:
                readable, _, _ = select.select([self.sock], [], [], self.pause)
                if readable and not self.sock.recv(1):  # the server closed the connection
                    self.cut_off.set()
                    return
                self.sock.sendall(b" ")
                self.sent += 1
        except OSError:
            self.cut_off.set()
        finally:
            self.sock.close()


def test_a_trickling_caller_is_cut_off_when_its_whole_request_is_late(library, served, monkeypatch):
    monkeypatch.setattr(local_channel, "REQUEST_TIMEOUT_S", 1.0)
    slow = Trickler(library, pause=0.1)  # each byte well within any per-read timeout
    start = time.monotonic()
    slow.start()
    assert slow.cut_off.wait(60), "a caller sending a byte now and then was never cut off"
    assert time.monotonic() - start < 60 and slow.sent < slow.size
    assert ask(library, {"argv": ["after"]}, timeout=30)["echo"] == ["after"]


def test_others_are_answered_while_a_slow_caller_trickles(library, served, monkeypatch):
    monkeypatch.setattr(local_channel, "REQUEST_TIMEOUT_S", 600.0)  # it would hold the channel for minutes
    slows = [Trickler(library, pause=0.5) for _ in range(3)]
    for slow in slows:
        slow.start()
    try:
        assert all(slow.sending.wait(30) for slow in slows)
        for i in range(5):
            assert ask(library, {"argv": [f"q{i}"]}, timeout=30)["echo"] == [f"q{i}"]
        assert not any(slow.cut_off.is_set() for slow in slows)  # still connected, still sending
    finally:
        for slow in slows:
            slow.quit.set()
            slow.join(30)


def test_silent_callers_hold_back_nobody(library, served, monkeypatch):
    monkeypatch.setattr(local_channel, "REQUEST_TIMEOUT_S", 600.0)
    silent = [_connect(library) for _ in range(8)]  # connected, and never a byte
    try:
        assert ask(library, {"argv": ["now"]}, timeout=30)["echo"] == ["now"]
    finally:
        for sock in silent:
            sock.close()


def test_a_caller_that_never_reads_its_answer_holds_back_nobody(library):
    big = "x" * (8 << 20)  # far more than a socket buffer holds

    def handler(request: dict) -> dict:
        return {"echo": request["argv"], "pad": big if request["argv"] == ["big"] else ""}

    server = ChannelServer(library, handler)
    server.start()
    stuck = _connect(library)
    try:
        local_channel.send_message(stuck, {"argv": ["big"], "v": local_channel.PROTOCOL,
                                           "library": local_channel.library_identity(library)})
        # it never reads: the answer's sender waits on it, and nobody else does
        for i in range(3):
            assert ask(library, {"argv": [f"q{i}"]}, timeout=30)["echo"] == [f"q{i}"]
    finally:
        stuck.close()
        server.stop()


def test_too_many_callers_at_once_are_dropped_and_work_cold(library, served, monkeypatch):
    monkeypatch.setattr(local_channel, "REQUEST_TIMEOUT_S", 600.0)
    silent = [_connect(library) for _ in range(local_channel.MAX_CONNECTIONS + 4)]
    try:
        for sock in silent[-4:]:  # over the limit: closed at once, unanswered
            sock.settimeout(30)
            assert sock.recv(1) == b""
    finally:
        for sock in silent:
            sock.close()
    deadline = time.monotonic() + 60
    while True:  # the slots come back as the silent callers' connections end
        try:
            assert ask(library, {"argv": ["after"]}, timeout=30)["echo"] == ["after"]
            break
        except ChannelUnavailable:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def test_the_client_bounds_a_trickled_answer_as_a_whole(library):
    """A server sending its answer a byte at a time cannot hold a command past its timeout."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(channel_path(library)))
    os.chmod(channel_path(library), 0o600)
    listener.listen(1)
    done = threading.Event()

    def trickle():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(struct.pack(">I", 100_000) + b"{")
            while not done.is_set():
                try:
                    conn.sendall(b" ")
                except OSError:
                    return
                time.sleep(0.05)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    start = time.monotonic()
    try:
        with pytest.raises(ChannelUnavailable):
            ask(library, {"argv": ["x"]}, timeout=1.0)
        assert time.monotonic() - start < 60  # 100,000 bytes at 20 a second would take 80 minutes
    finally:
        done.set()
        thread.join(30)
        listener.close()
