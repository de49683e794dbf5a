"""The local channel's transport and guards: who may connect, what may arrive, which library answers."""

from __future__ import annotations

import os
import socket
import struct
import threading
from pathlib import Path

import pytest

from indexer import local_channel
from indexer.local_channel import ChannelServer, ChannelUnavailable, ask, channel_path

pytestmark = pytest.mark.skipif(not local_channel.supported(), reason="no Unix sockets on this platform")


@pytest.fixture
def library(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "catalog.sqlite").write_bytes(b"")
    return lib


class Recorder:
    """A handler that answers with what it was asked, and remembers every request."""

    def __init__(self):
        self.requests: list[dict] = []

    def __call__(self, request: dict) -> dict:
        self.requests.append(request)
        return {"echo": request["argv"]}


@pytest.fixture
def served(library):
    handler = Recorder()
    server = ChannelServer(library, handler)
    server.start()
    yield server, handler
    server.stop()


def test_answers_its_library_and_the_socket_is_private(library, served):
    _, handler = served
    assert ask(library, {"argv": ["status"]}, timeout=5)["echo"] == ["status"]
    mode = os.lstat(channel_path(library)).st_mode
    assert mode & 0o777 == 0o600
    assert [r["argv"] for r in handler.requests] == [["status"]]
    assert not [p for p in library.iterdir() if p.name.startswith(".serve-")]  # the private folder is gone


def test_stop_removes_the_socket_and_then_nobody_answers(library, served):
    server, _ = served
    server.stop()
    assert not channel_path(library).exists()
    with pytest.raises(ChannelUnavailable):
        ask(library, {"argv": []}, timeout=5)


def test_refuses_a_socket_open_to_other_users(library, served):
    _, handler = served
    os.chmod(channel_path(library), 0o666)
    with pytest.raises(ChannelUnavailable, match="open to other users"):
        ask(library, {"argv": ["status"]}, timeout=5)
    assert handler.requests == []


def test_refuses_a_socket_owned_by_another_user(library, served):
    _, handler = served
    with pytest.raises(ChannelUnavailable, match="another user"):
        ask(library, {"argv": ["status"]}, timeout=5, uid=os.getuid() + 1)  # as if the file were not ours
    assert handler.requests == []


def test_refuses_what_is_not_a_socket(library):
    channel_path(library).write_text("not a socket")
    os.chmod(channel_path(library), 0o600)
    with pytest.raises(ChannelUnavailable, match="not a socket"):
        ask(library, {"argv": []}, timeout=5)


def test_a_stale_socket_is_nobody_and_a_new_server_replaces_it(library):
    first = ChannelServer(library, Recorder())
    first.start()
    first._stopped.set()  # dies without cleaning up: the file stays, nobody listens
    first._thread.join()
    first._sock.close()
    with pytest.raises(ChannelUnavailable, match="nobody answers"):
        ask(library, {"argv": []}, timeout=5)
    second = ChannelServer(library, Recorder())
    second.start()
    try:
        assert ask(library, {"argv": ["x"]}, timeout=5)["echo"] == ["x"]
    finally:
        second.stop()


def test_the_server_drops_a_caller_of_another_uid(library, served, monkeypatch):
    server, handler = served
    monkeypatch.setattr(local_channel, "peer_uid", lambda sock: os.getuid() + 1)
    with pytest.raises(ChannelUnavailable):
        ask(library, {"argv": ["status"]}, timeout=5)
    assert handler.requests == []


def test_never_answers_for_another_library(tmp_path, library, served):
    _, handler = served
    moved = tmp_path / "other"
    os.rename(library, moved)  # the socket travels with the folder; the server still means the old path
    (library).mkdir()
    with pytest.raises(ChannelUnavailable, match="another library"):
        ask(moved, {"argv": ["status"]}, timeout=5)
    assert handler.requests == []


def test_a_client_refuses_an_answer_about_another_library(library, tmp_path):
    """A server that names another library in its answer (whatever it was asked) is not believed."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "catalog.sqlite").write_bytes(b"")
    liar = ChannelServer(library, Recorder())
    liar._identity = local_channel.library_identity(other)
    liar.start()
    try:
        with pytest.raises(ChannelUnavailable, match="another library"):
            ask(library, {"argv": ["status"]}, timeout=5)
    finally:
        liar.stop()


def test_survives_a_server_that_dies_mid_query(library):
    """A server that reads the request and then goes away: the client gets ChannelUnavailable, not a hang."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(channel_path(library)))
    os.chmod(channel_path(library), 0o600)
    listener.listen(1)

    def die_after_reading():
        conn, _ = listener.accept()
        conn.recv(1 << 16)
        conn.close()

    thread = threading.Thread(target=die_after_reading)
    thread.start()
    try:
        with pytest.raises(ChannelUnavailable, match="closed"):
            ask(library, {"argv": ["search", "x"]}, timeout=5)
    finally:
        thread.join()
        listener.close()


def _raw(library: Path, payload: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(channel_path(library)))
        sock.sendall(payload)
        try:
            return sock.recv(1 << 16)
        except OSError:
            return b""


@pytest.mark.parametrize("payload", [
    struct.pack(">I", local_channel.MAX_REQUEST_BYTES + 1) + b"{}",  # over the size limit
    struct.pack(">I", 5) + b"nope!",  # not JSON
    struct.pack(">I", 2) + b"[]",  # not an object
    b"\x00\x00",  # a truncated header, then silence: the request timeout ends it
])
def test_hostile_requests_get_nothing_and_the_server_keeps_serving(library, served, payload, monkeypatch):
    monkeypatch.setattr(local_channel, "REQUEST_TIMEOUT_S", 0.3)
    _, handler = served
    assert _raw(library, payload) == b""
    assert handler.requests == []
    assert ask(library, {"argv": ["after"]}, timeout=5)["echo"] == ["after"]


def test_a_handler_failure_is_a_refusal(library):
    def broken(request):
        raise RuntimeError("boom")

    server = ChannelServer(library, broken)
    server.start()
    try:
        with pytest.raises(ChannelUnavailable, match="declined"):
            ask(library, {"argv": []}, timeout=5)
    finally:
        server.stop()
