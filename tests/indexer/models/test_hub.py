"""Downloads against a local HTTP server that answers like the Hugging Face hub.

The server (``FakeHub``) implements the parts of the hub API that
huggingface_hub uses for a model repository:

- ``GET /api/models/<repo>[/revision/<rev>]`` (``?blobs=true``): model info
  with ``sha`` and ``siblings`` (size, blobId, and lfs {size, sha256,
  pointerSize} for large files); a missing repo answers 404 with
  ``X-Error-Code: RepoNotFound``.
- ``HEAD``/``GET /<repo>/resolve/<rev>/<file>``: ``X-Repo-Commit``, ``ETag``,
  ``Content-Length``, ``Accept-Ranges``; LFS files redirect (302) to a
  content-addressed ``/cdn/<sha256>`` URL with ``X-Linked-Size`` and
  ``X-Linked-Etag``, as the hub does.  ``Range: bytes=N-`` answers 206 with
  ``Content-Range``.
- Faults per file: ``cut-once`` (the first transfer drops the connection
  halfway), ``cut-always`` (every transfer drops at the middle of the file,
  so retries make no progress), ``corrupt`` (right length, wrong bytes),
  ``busy-once`` (the first transfer answers 503).

``HF_ENDPOINT`` points huggingface_hub at it.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from indexer.cancel import CancelToken
from indexer.errors import Cancelled, DownloadError, ModelError
from indexer.models import hub, transfer
from indexer.models.bundle import ModelBundle
from indexer.models.registry import installed_models

COMMIT = "0123456789abcdef0123456789abcdef01234567"
REPO = "immich-app/Tiny-Test__model"
NAME = "Tiny-Test__model"


def _git_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _is_lfs(path: str) -> bool:
    return path.endswith((".onnx", ".armnn", ".onnx_data", ".data"))


class FakeHub:
    def __init__(self) -> None:
        self.repos: dict[str, dict[str, bytes]] = {}
        self.faults: dict[str, str] = {}  # file path -> fault
        self.hashes = True  # include blobId / lfs.sha256 in the model info
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._transfers: dict[str, int] = {}
        self._lock = threading.Lock()
        hubself = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                hubself._handle(self, head=False)

            def do_HEAD(self) -> None:
                hubself._handle(self, head=True)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:  # dropped connections are the point
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- helpers for tests -------------------------------------------------

    def add_repo(self, repo_id: str, files: dict[str, bytes]) -> None:
        self.repos[repo_id] = files

    def add_bundle(self, repo_id: str, bundle_dir: Path, extra: dict[str, bytes] | None = None) -> None:
        files = {p.relative_to(bundle_dir).as_posix(): p.read_bytes() for p in bundle_dir.rglob("*") if p.is_file()}
        files.update(extra or {})
        self.add_repo(repo_id, files)

    def file_requests(self, path: str) -> list[dict[str, str]]:
        """Headers of every GET that transferred ``path`` (directly or through the CDN redirect)."""
        out = []
        for method, _url, headers in self.requests:
            if method == "GET" and headers.get("x-served-file") == path:
                out.append(headers)
        return out

    # -- the server --------------------------------------------------------

    def _send(self, h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes, head: bool) -> None:
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if not head:
            h.wfile.write(body)

    def _error(self, h: BaseHTTPRequestHandler, status: int, code: str, head: bool) -> None:
        body = json.dumps({"error": code}).encode()
        self._send(h, status, {"X-Error-Code": code, "Content-Type": "application/json"}, body, head)

    def _sibling(self, path: str, data: bytes) -> dict:
        s: dict = {"rfilename": path}
        if self.hashes:
            s["size"] = len(data)
            s["blobId"] = _git_sha1(data)
            if _is_lfs(path):
                s["lfs"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "pointerSize": 134}
        return s

    def _handle(self, h: BaseHTTPRequestHandler, head: bool) -> None:
        path, _, _query = h.path.partition("?")
        record = {k.lower(): v for k, v in h.headers.items()}
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
        if m:
            with self._lock:
                self.requests.append((h.command, path, record))
            files = self.repos.get(m.group(1))
            if files is None:
                return self._error(h, 404, "RepoNotFound", head)
            info = {
                "id": m.group(1),
                "modelId": m.group(1),
                "sha": COMMIT,
                "private": False,
                "tags": ["onnx", "immich", "clip"],
                "siblings": [self._sibling(p, d) for p, d in sorted(files.items())],
            }
            return self._send(h, 200, {"Content-Type": "application/json"}, json.dumps(info).encode(), head)

        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        cdn = re.fullmatch(r"/cdn/([^/]+)/(.+)", path)
        if m:
            repo_id, _rev, file_path = m.group(1), m.group(2), m.group(3)
            files = self.repos.get(repo_id)
            if files is None:
                with self._lock:
                    self.requests.append((h.command, path, record))
                return self._error(h, 404, "RepoNotFound", head)
            if file_path not in files:
                with self._lock:
                    self.requests.append((h.command, path, record))
                return self._error(h, 404, "EntryNotFound", head)
            data = files[file_path]
            if _is_lfs(file_path):
                # Large files: the hub answers with a redirect to the CDN, metadata in X-Linked-*.
                with self._lock:
                    self.requests.append((h.command, path, record))
                sha = hashlib.sha256(data).hexdigest()
                h.send_response(302)
                h.send_header("Location", f"/cdn/{repo_id.replace('/', '--')}/{file_path}")
                h.send_header("X-Repo-Commit", COMMIT)
                h.send_header("X-Linked-Etag", f'"{sha}"')
                h.send_header("X-Linked-Size", str(len(data)))
                h.send_header("ETag", f'"{_git_sha1(data)}"')
                h.send_header("Content-Length", "0")
                h.end_headers()
                return
            return self._serve_file(h, file_path, data, head, record, path)
        if cdn:
            repo_id = cdn.group(1).replace("--", "/", 1)
            file_path = cdn.group(2)
            data = self.repos.get(repo_id, {}).get(file_path)
            if data is None:
                return self._error(h, 404, "EntryNotFound", head)
            return self._serve_file(h, file_path, data, head, record, path)
        return self._error(h, 404, "NotFound", head)

    def _serve_file(
        self, h: BaseHTTPRequestHandler, file_path: str, data: bytes, head: bool, record: dict, url: str
    ) -> None:
        record = dict(record, **{"x-served-file": file_path})
        with self._lock:
            self.requests.append((h.command, url, record))
            n = self._transfers.get(file_path, 0)
            if not head:
                self._transfers[file_path] = n + 1
        fault = self.faults.get(file_path)
        if fault == "busy-once" and n == 0 and not head:
            return self._error(h, 503, "ServiceUnavailable", head)
        if fault == "corrupt":
            data = bytes(b ^ 0x5A for b in data)
        etag = hashlib.sha256(data).hexdigest() if _is_lfs(file_path) else _git_sha1(data)
        headers = {
            "X-Repo-Commit": COMMIT,
            "ETag": f'"{etag}"',
            "Accept-Ranges": "bytes",
            "Content-Type": "application/octet-stream",
        }
        start = 0
        rng = h.headers.get("Range")
        status = 200
        if rng:
            rm = re.fullmatch(r"bytes=(\d+)-", rng.strip())
            assert rm, rng
            start = int(rm.group(1))
            if start >= len(data):
                headers["Content-Range"] = f"bytes */{len(data)}"
                return self._send(h, 416, headers, b"", head)
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        body = data[start:]
        cut = (fault == "cut-once" and n == 0) or fault == "cut-always"
        if head or not cut:
            return self._send(h, status, headers, body, head)
        # Promise the whole body, send part of it, then drop the connection.
        h.send_response(status)
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if fault == "cut-once":
            sent = body[: len(body) // 2]
        else:  # cut-always: the connection always drops at the middle of the file
            sent = data[start : max(start, len(data) // 2)]
        h.wfile.write(sent)
        h.wfile.flush()
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@pytest.fixture()
def bundle_dir(tiny_bundle: Path) -> Path:
    """The session's tiny exported bundle (tests/conftest.py); only read here."""
    return tiny_bundle


@pytest.fixture(autouse=True)
def hub_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the test environment's HF_HUB_OFFLINE=1 for these tests.

    huggingface_hub reads HF_HUB_OFFLINE once, at import; when it was first
    imported with the variable set (tests/conftest.py sets it for every test)
    its HTTP session refuses every request, so reset its flag too.
    """
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture()
def fake_hub(monkeypatch: pytest.MonkeyPatch, bundle_dir: Path):
    server = FakeHub()
    # An Immich repo also holds files for other runtimes, which a download must skip.
    server.add_bundle(REPO, bundle_dir, extra={"visual/fp16/model.armnn": b"armnn" * 100, "README.md": b"# tiny\n"})
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(transfer, "RETRY_DELAYS", (0.05,) * 5)
    monkeypatch.setattr(hub, "PROGRESS_INTERVAL", 0.0)  # every chunk reported: cancel points are exact
    try:
        yield server
    finally:
        server.close()


def _bundle_files(root: Path) -> list[str]:
    """The files of a bundle directory that a download fetches (config.json, visual/*, textual/*)."""
    return sorted(
        rel for rel in (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) if hub.wanted_file(rel)
    )


def _same_tree(src: Path, installed: Path) -> None:
    wanted = _bundle_files(src)
    assert {"config.json", "visual/model.onnx", "textual/model.onnx", "textual/tokenizer.json"} <= set(wanted)
    assert _bundle_files(installed) == wanted
    for rel in wanted:
        assert (installed / rel).read_bytes() == (src / rel).read_bytes(), rel


def test_full_download_installs_a_verified_bundle(tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path) -> None:
    models = tmp_path / "models"
    seen: list[tuple[int, int]] = []
    bundle = hub.download_model(NAME, models, progress=lambda done, total: seen.append((done, total)))

    assert isinstance(bundle, ModelBundle)
    assert bundle.path == models / NAME and bundle.name == NAME
    _same_tree(bundle_dir, bundle.path)
    # Only what the bundle needs: no other runtimes' files, no README.
    assert not (bundle.path / "visual" / "fp16").exists()
    assert not (bundle.path / "README.md").exists()
    assert fake_hub.file_requests("visual/fp16/model.armnn") == []
    # Progress ends at the total of the files fetched, never goes past it.
    expected_total = sum((bundle_dir / rel).stat().st_size for rel in _bundle_files(bundle_dir))
    assert seen[-1] == (expected_total, expected_total)
    assert all(done <= total for done, total in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    # Where it came from is recorded; the staging area is gone.
    source = json.loads((bundle.path / hub.SOURCE_FILE).read_text())
    assert source["repo_id"] == REPO and source["revision"] == COMMIT
    assert [p.name for p in models.iterdir()] == [NAME]
    assert [b.name for b in installed_models(models)] == [NAME]

    # Installed: a second call uses no network at all.
    before = len(fake_hub.requests)
    assert hub.download_model(NAME, models).path == bundle.path
    assert len(fake_hub.requests) == before


def test_interrupted_transfer_resumes_with_a_range_request(
    tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path
) -> None:
    fake_hub.faults["visual/model.onnx"] = "cut-once"
    bundle = hub.download_model(NAME, tmp_path / "models")

    gets = fake_hub.file_requests("visual/model.onnx")
    assert len(gets) == 2
    assert "range" not in gets[0]
    size = (bundle_dir / "visual" / "model.onnx").stat().st_size
    resumed_at = int(re.fullmatch(r"bytes=(\d+)-", gets[1]["range"]).group(1))
    assert 0 < resumed_at < size
    assert (bundle.path / "visual" / "model.onnx").read_bytes() == (bundle_dir / "visual" / "model.onnx").read_bytes()


def test_a_busy_server_is_retried(tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path) -> None:
    fake_hub.faults["textual/tokenizer.json"] = "busy-once"
    bundle = hub.download_model(NAME, tmp_path / "models")
    assert len(fake_hub.file_requests("textual/tokenizer.json")) == 2
    _same_tree(bundle_dir, bundle.path)


def test_cancelled_download_keeps_its_bytes_and_resumes_on_the_next_run(
    tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path
) -> None:
    models = tmp_path / "models"
    files = _bundle_files(bundle_dir)  # the order the download fetches them in
    sizes = {rel: (bundle_dir / rel).stat().st_size for rel in files}
    big = max(files, key=sizes.__getitem__)
    halfway = sum(sizes[rel] for rel in files[: files.index(big)]) + sizes[big] // 2
    token = CancelToken()

    def cancel_midway(done: int, total: int) -> None:
        if done >= halfway:
            token.cancel()

    with pytest.raises(Cancelled, match="run it again"):
        hub.download_model(NAME, models, progress=cancel_midway, cancel=token)
    assert not (models / NAME).exists()
    assert installed_models(models) == []
    [partial] = hub.partial_downloads(models)
    assert partial.name == NAME and partial.repo_id == REPO and partial.bytes_on_disk >= halfway

    seen: list[tuple[int, int]] = []
    bundle = hub.download_model(NAME, models, progress=lambda d, t: seen.append((d, t)))
    gets = fake_hub.file_requests(big)
    assert len(gets) == 2
    resumed_at = int(re.fullmatch(r"bytes=(\d+)-", gets[-1]["range"]).group(1))
    assert 0 < resumed_at < sizes[big]
    assert seen[0][0] >= halfway - sum(sizes[rel] for rel in files[: files.index(big)])  # kept bytes count as done
    _same_tree(bundle_dir, bundle.path)
    assert [p.name for p in models.iterdir()] == [NAME]
    assert hub.partial_downloads(models) == []


def test_a_partial_download_can_be_discarded(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.faults["textual/model.onnx"] = "cut-always"
    models = tmp_path / "models"
    with pytest.raises(DownloadError):
        hub.download_model(NAME, models)
    assert [p.name for p in hub.partial_downloads(models)] == [NAME]
    assert hub.discard_partial_download(NAME, models) is True
    assert hub.partial_downloads(models) == [] and list(models.iterdir()) == []
    assert hub.discard_partial_download(NAME, models) is False


def test_corrupt_download_is_refused(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.faults["textual/model.onnx"] = "corrupt"
    models = tmp_path / "models"
    with pytest.raises(DownloadError, match=r"corrupt \(textual/model.onnx: SHA-256"):
        hub.download_model(NAME, models)
    assert not (models / NAME).exists()
    assert installed_models(models) == []

    # The bad file is not kept: once the server is healthy a new run succeeds.
    del fake_hub.faults["textual/model.onnx"]
    assert hub.download_model(NAME, models).name == NAME


def test_incomplete_download_is_refused(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.faults["visual/model.onnx"] = "cut-always"
    models = tmp_path / "models"
    with pytest.raises(DownloadError, match="run the download again"):
        hub.download_model(NAME, models)
    assert len(fake_hub.file_requests("visual/model.onnx")) >= 2
    assert not (models / NAME).exists()
    assert installed_models(models) == []


def test_files_that_do_not_form_a_bundle_are_refused(tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path) -> None:
    # A mirror without hashes in its metadata, serving a truncated model: the bundle check catches it.
    fake_hub.hashes = False
    files = dict(fake_hub.repos[REPO])
    files["textual/model.onnx"] = files["textual/model.onnx"][:100]
    fake_hub.add_repo(REPO, files)
    models = tmp_path / "models"
    with pytest.raises(DownloadError, match="usable model bundle"):
        hub.download_model(NAME, models)
    assert not (models / NAME).exists()


def test_offline_gives_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    with pytest.raises(DownloadError, match=re.escape("cannot reach the model hub (offline?)")):
        hub.download_model(NAME, tmp_path / "models")
    assert not (tmp_path / "models" / NAME).exists()


def test_hf_hub_offline_refuses_without_touching_the_network(
    tmp_path: Path, fake_hub: FakeHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match=r"offline\?\).*HF_HUB_OFFLINE"):
        hub.download_model(NAME, tmp_path / "models")
    assert fake_hub.requests == []


def test_unknown_repository_gives_a_clear_error(tmp_path: Path, fake_hub: FakeHub) -> None:
    with pytest.raises(DownloadError, match="no model repository immich-app/No-Such-Model on the hub"):
        hub.download_model("No-Such-Model", tmp_path / "models")
    assert not (tmp_path / "models" / "No-Such-Model").exists()


def test_repository_that_is_not_a_bundle_is_refused(tmp_path: Path, fake_hub: FakeHub) -> None:
    fake_hub.add_repo("immich-app/buffalo_l", {"README.md": b"faces\n", "detection/model.onnx": b"x" * 10})
    with pytest.raises(DownloadError, match=r"does not hold a CLIP model bundle \(missing config.json"):
        hub.download_model("buffalo_l", tmp_path / "models")


def test_owner_repo_names_and_unsafe_names(tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path) -> None:
    fake_hub.add_bundle("someone/My-CLIP", bundle_dir)
    assert hub.download_model("someone/My-CLIP", tmp_path / "models").path == tmp_path / "models" / "My-CLIP"
    with pytest.raises(ModelError, match="cannot be a model name"):
        hub.download_model("..", tmp_path / "models")


def test_fake_hub_speaks_the_protocol_huggingface_hub_expects(tmp_path: Path, fake_hub: FakeHub, bundle_dir: Path) -> None:
    # Sanity check of the fake itself: huggingface_hub's own downloader (HEAD for metadata,
    # redirects for LFS files, ETag/commit headers) accepts it.
    from huggingface_hub import hf_hub_download

    for rel in ("config.json", "visual/model.onnx"):
        local = hf_hub_download(REPO, rel, local_dir=tmp_path / "hf", endpoint=fake_hub.url)
        assert Path(local).read_bytes() == (bundle_dir / rel).read_bytes()
