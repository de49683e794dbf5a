"""A model bundle, a hub repository or a model name is someone else's data.

Issue 11, items 13-16 and the model-name part of 17: whatever a bundle, a
download or a name holds, loading, listing, importing and downloading stay
bounded, inside their folder, and never put control characters on a terminal.

- 13: a malformed bundle is listed as broken (never a crash of the listing);
  every size read from a bundle is bounded; tokenizer options are checked at
  load, not at the first search.
- 14: hub file names that would escape the models folder (backslashes, ``:``,
  control characters, devices, drives) refuse the download before anything is
  written; every target is resolved inside the staging folder.
- 15: symbolic links and special files in a bundle are refused, at import and
  at load (no ``/dev/zero`` read, no private key copied in).
- 16: every external-data location of every tensor in an ONNX graph must be
  a plain file inside the bundle.
- 17: control characters are refused in model names.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from indexer.errors import DownloadError, ModelError, ModelNotFound
from indexer.models import bundle as bundle_module
from indexer.models import hub, transfer
from indexer.models.bundle import ModelBundle
from indexer.models.onnx_graph import read_signature
from indexer.models.registry import (
    broken_models,
    import_bundle,
    installed_models,
    resolve_model,
    scan_models,
    validate_model_name,
)
from indexer.models.tokenizer import ClipTokenizer
from tests.indexer.models.test_hub import COMMIT, FakeHub
from tests.support.bundles import TOYCLIP
from tests.support.cli import run_photoseek

REPO = "immich-app/Trust-Test__model"
NAME = "Trust-Test__model"
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")


def _copy(dest: Path) -> Path:
    shutil.copytree(TOYCLIP, dest)
    return dest


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        section, _, sub = key.partition("__")
        if sub:
            data.setdefault(section, {})[sub] = value
        else:
            data[key] = value
    path.write_text(json.dumps(data), encoding="utf-8")


def _deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


# --- 13: malformed bundles are listed as broken; sizes are bounded ------------


@pytest.mark.parametrize(
    "rel", ["textual/tokenizer.json", "config.json", "visual/preprocess_cfg.json", "textual/tokenizer_config.json"]
)
def test_a_deeply_nested_json_file_makes_one_broken_model_not_a_failed_listing(tmp_path: Path, rel: str) -> None:
    models = tmp_path / "models"
    _copy(models / "good")
    deep = _copy(models / "deep")
    (deep / rel).write_text(_deep_json(), encoding="utf-8")

    with pytest.raises(ModelError, match="nested too deeply"):
        ModelBundle.load(deep)
    assert [b.name for b in installed_models(models)] == ["good"]
    [broken] = broken_models(models)
    assert broken.name == "deep" and rel in broken.error and "nested too deeply" in broken.error
    assert [(e.name, e.ok) for e in scan_models(models)] == [("deep", False), ("good", True)]


def test_models_list_shows_a_broken_model_as_broken(tmp_path: Path) -> None:
    models = tmp_path / "models"
    _copy(models / "good")
    deep = _copy(models / "deep")
    (deep / "textual" / "tokenizer.json").write_text(_deep_json(), encoding="utf-8")
    env = dict(os.environ, PHOTOSEEK_MODELS=str(models))

    listed = run_photoseek("models", "list", "--json", library=tmp_path / "lib", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = {row["name"]: row for row in json.loads(listed.stdout)}
    assert rows["good"]["installed"] is True
    assert rows["deep"]["installed"] is False and "nested too deeply" in rows["deep"]["broken"]

    human = run_photoseek("models", "list", library=tmp_path / "lib", env=env)
    assert human.returncode == 0, human.stderr
    assert any(line.startswith("! deep") and "broken" in line for line in human.stdout.splitlines())


def test_an_oversized_json_file_is_refused_without_reading_it_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _copy(tmp_path / "big")
    monkeypatch.setattr(bundle_module, "MAX_JSON_BYTES", 1 << 10)
    (root / "textual" / "tokenizer_config.json").write_text(json.dumps({"pad": "x" * 4096}), encoding="utf-8")
    with pytest.raises(ModelError, match="tokenizer_config.json is larger than"):
        ModelBundle.load(root)


@pytest.mark.parametrize(
    ("file", "key", "value", "match"),
    [
        ("config.json", "text_cfg__context_length", 1_000_000_000, "context_length 1000000000"),
        ("config.json", "text_cfg__context_length", 1e9, "context_length 1000000000.0"),
        ("config.json", "text_cfg__context_length", True, "context_length True"),
        ("config.json", "embed_dim", 1_000_000_000, "embed_dim 1000000000"),
        ("config.json", "embed_dim", 0, "embed_dim 0"),
        ("visual/preprocess_cfg.json", "size", 1_000_000_000, "preprocess size"),
        ("visual/preprocess_cfg.json", "size", [64, 1_000_000], "preprocess size"),
        ("visual/preprocess_cfg.json", "size", 1e400, "preprocess config is malformed"),  # json: Infinity
        ("visual/preprocess_cfg.json", "fill_color", 10**30, "fill_color"),
    ],
    ids=["context-1e9", "context-float", "context-bool", "embed-1e9", "embed-0", "size-1e9", "width-1e6",
         "size-inf", "fill-huge"],
)
def test_every_size_read_from_a_bundle_is_bounded(
    tmp_path: Path, file: str, key: str, value: object, match: str
) -> None:
    root = _copy(tmp_path / "sizes")
    if isinstance(value, float) and value == float("inf"):
        (root / file).write_text('{"size": Infinity}', encoding="utf-8")
    else:
        _edit_json(root / file, **{key: value})
    with pytest.raises(ModelError, match=match):
        ModelBundle.load(root)


def test_a_graph_with_a_huge_fixed_batch_is_refused(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    root = _copy(tmp_path / "batch")
    path = root / "visual" / "model.onnx"
    model = onnx.load(str(path))
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_value = 1_000_000
    path.write_bytes(model.SerializeToString())
    with pytest.raises(ModelError, match="fixed batch of 1000000"):
        ModelBundle.load(root)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"clean": "bogus"}, "clean 'bogus' is not one of lower, whitespace, canonicalize"),
        ({"clean": ["lower"]}, r"clean \['lower'\] is not one of"),
        ("lower", "tokenizer_kwargs in config.json must be an object"),
    ],
    ids=["unknown-cleaner", "list", "not-an-object"],
)
def test_bad_tokenizer_options_fail_at_load_not_at_the_first_search(
    tmp_path: Path, kwargs: object, match: str
) -> None:
    root = _copy(tmp_path / "kwargs")
    _edit_json(root / "config.json", text_cfg__tokenizer_kwargs=kwargs)
    with pytest.raises(ModelError, match=match):
        ModelBundle.load(root)
    good = _copy(tmp_path / "good")
    _edit_json(good / "config.json", text_cfg__tokenizer_kwargs={"clean": "whitespace"})
    assert ModelBundle.load(good).name == "good"


def test_the_tokenizer_itself_refuses_bad_options_with_a_model_error() -> None:
    tokenizer_file = TOYCLIP / "textual" / "tokenizer.json"
    with pytest.raises(ModelError, match="unknown text cleaning"):
        ClipTokenizer(tokenizer_file, 32, clean=["lower"])  # type: ignore[arg-type]
    with pytest.raises(ModelError, match="longer than the 1024 supported"):
        ClipTokenizer(tokenizer_file, 1_000_000_000)


# --- 15: symbolic links and special files -------------------------------------


@pytest.mark.timeout(60)
def test_import_refuses_a_link_to_dev_zero_without_reading_it(tmp_path: Path) -> None:
    src = _copy(tmp_path / "src" / "zeros")
    (src / "visual" / "weights.bin").symlink_to("/dev/zero")
    models = tmp_path / "models"
    with pytest.raises(ModelError, match=r"visual/weights.bin, which is a symbolic link"):
        import_bundle(src, models)
    assert not models.exists() or list(models.iterdir()) == []


def test_import_refuses_a_link_to_a_private_file(tmp_path: Path) -> None:
    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n", encoding="utf-8")
    src = _copy(tmp_path / "src" / "keys")
    (src / "textual" / "notes.txt").symlink_to(secret)
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="symbolic link"):
        import_bundle(src, models)
    copied = [p for p in models.rglob("*") if p.is_file()] if models.exists() else []
    assert not any(b"PRIVATE KEY" in p.read_bytes() for p in copied)


def test_import_refuses_a_linked_folder(tmp_path: Path) -> None:
    elsewhere = _copy(tmp_path / "elsewhere")
    src = _copy(tmp_path / "src" / "linked")
    shutil.rmtree(src / "textual")
    (src / "textual").symlink_to(elsewhere / "textual", target_is_directory=True)
    with pytest.raises(ModelError, match="textual, which is a symbolic link"):
        import_bundle(src, tmp_path / "models")


@needs_fifo
@pytest.mark.timeout(60)
def test_import_refuses_a_named_pipe_without_blocking(tmp_path: Path) -> None:
    src = _copy(tmp_path / "src" / "piped")
    os.mkfifo(src / "visual" / "extra.bin")
    with pytest.raises(ModelError, match="named pipe"):
        import_bundle(src, tmp_path / "models")


def test_an_ordinary_import_still_works_and_copies_no_ignored_files(tmp_path: Path) -> None:
    src = _copy(tmp_path / "src" / "plain")
    (src / "visual" / "model.armnn").symlink_to("/dev/zero")  # another runtime's file: never read or copied
    bundle = import_bundle(src, tmp_path / "models")
    assert bundle.path == (tmp_path / "models" / "plain").resolve()
    assert not (bundle.path / "visual" / "model.armnn").exists()
    assert (bundle.path / "visual" / "model.onnx").read_bytes() == (TOYCLIP / "visual" / "model.onnx").read_bytes()


@pytest.mark.parametrize("rel", ["visual/model.onnx", "textual/tokenizer.json", "textual/tokenizer_config.json"])
def test_load_refuses_a_bundle_file_that_is_a_link(tmp_path: Path, rel: str) -> None:
    outside = tmp_path / "outside" / Path(rel).name
    outside.parent.mkdir()
    shutil.copy(TOYCLIP / rel, outside)  # a valid file: only the link is wrong
    root = _copy(tmp_path / "models" / "linked")
    (root / rel).unlink()
    (root / rel).symlink_to(outside)
    with pytest.raises(ModelError, match=f"{rel} is a symbolic link"):
        ModelBundle.load(root)
    [broken] = broken_models(tmp_path / "models")
    assert "symbolic link" in broken.error


@pytest.mark.timeout(60)
def test_load_refuses_any_link_among_the_tower_files(tmp_path: Path) -> None:
    """Whatever sits beside the graphs may be read (external data) or hashed (the model's fingerprint)."""
    root = _copy(tmp_path / "models" / "extra")
    (root / "visual" / "weights.bin").symlink_to("/dev/zero")
    with pytest.raises(ModelError, match="visual/weights.bin is a symbolic link"):
        ModelBundle.load(root)
    assert "symbolic link" in broken_models(tmp_path / "models")[0].error


def test_load_refuses_a_linked_tower_folder(tmp_path: Path) -> None:
    elsewhere = _copy(tmp_path / "elsewhere")
    root = _copy(tmp_path / "linked")
    shutil.rmtree(root / "visual")
    (root / "visual").symlink_to(elsewhere / "visual", target_is_directory=True)
    with pytest.raises(ModelError, match="is inside visual, a link"):
        ModelBundle.load(root)


@needs_fifo
@pytest.mark.timeout(60)
def test_load_refuses_special_files_without_blocking(tmp_path: Path) -> None:
    root = _copy(tmp_path / "fifo")
    (root / "textual" / "tokenizer_config.json").unlink()
    os.mkfifo(root / "textual" / "tokenizer_config.json")
    with pytest.raises(ModelError, match="tokenizer_config.json is a named pipe"):
        ModelBundle.load(root)


def test_the_bundle_directory_itself_may_be_a_link(tmp_path: Path) -> None:
    real = _copy(tmp_path / "disk" / "toy")
    models = tmp_path / "models"
    models.mkdir()
    (models / "toy").symlink_to(real, target_is_directory=True)
    assert [b.name for b in installed_models(models)] == ["toy"]


# --- 16: external-data locations ----------------------------------------------


def _external(tensor, location: str, length: int) -> None:  # an onnx TensorProto
    from onnx import TensorProto

    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    del tensor.external_data[:]
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key, entry.value = key, value


def _with_external_data(root: Path, location: str, where: str = "initializer") -> bytes:
    """Give the bundle's visual graph a tensor whose bytes live in ``location``; return those bytes."""
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import helper, numpy_helper

    path = root / "visual" / "model.onnx"
    model = onnx.load(str(path))
    graph = model.graph
    extra = numpy_helper.from_array(np.arange(16, dtype=np.float32), "trust_extra")
    data = extra.raw_data
    if where == "initializer":  # a real weight of the graph
        weight = max(graph.initializer, key=lambda t: len(t.raw_data))
        data = weight.raw_data
        _external(weight, location, len(data))
    elif where == "constant":
        _external(extra, location, len(data))
        graph.node.append(helper.make_node("Constant", [], ["trust_const"], value=extra))
    elif where == "sparse":
        _external(extra, location, len(data))
        indices = numpy_helper.from_array(np.arange(16, dtype=np.int64), "trust_idx")
        graph.sparse_initializer.append(helper.make_sparse_tensor(extra, indices, [16]))
    elif where == "subgraph":
        _external(extra, location, len(data))
        out = helper.make_tensor_value_info("trust_out", onnx.TensorProto.FLOAT, [16])
        branch = helper.make_graph([helper.make_node("Identity", ["trust_extra"], ["trust_out"])], "b", [], [out],
                                   [extra])
        graph.node.append(helper.make_node("If", ["trust_cond"], ["trust_if"], then_branch=branch,
                                           else_branch=branch))
    elif where == "function":
        _external(extra, location, len(data))
        body = helper.make_node("Constant", [], ["y"], value=extra)
        model.functions.append(helper.make_function("trust", "f", [], ["y"], [body],
                                                    [helper.make_opsetid("", 17)]))
    path.write_bytes(model.SerializeToString())
    return data


@pytest.mark.parametrize(
    "location",
    ["../../secret.bin", "ABSOLUTE", "sub\\..\\..\\secret.bin", "C:secret.bin", "linked.bin", "missing.bin",
     "*/_ORT_MEM_ADDR_/*", "nested/../../../secret.bin", "bad\x1bname.bin"],
    ids=["dotdot", "absolute", "backslash", "drive", "link", "missing", "ort-memory-marker", "nested-dotdot",
         "control"],
)
def test_external_data_outside_the_bundle_is_refused_at_load(tmp_path: Path, location: str) -> None:
    root = _copy(tmp_path / "models" / "ext")
    secret = tmp_path / "secret.bin"
    if location == "ABSOLUTE":
        location = str(secret)
    data = _with_external_data(root, location)
    secret.write_bytes(data)  # what a graph could read if nothing checked: valid weights
    if location == "linked.bin":
        (root / "visual" / "linked.bin").symlink_to(secret)
    # A link beside the graph is refused as such before the graph is read.
    expected = "visual/linked.bin is a symbolic link" if location == "linked.bin" else "names the external data file"
    with pytest.raises(ModelError, match=expected):
        ModelBundle.load(root)
    assert expected in broken_models(tmp_path / "models")[0].error


@pytest.mark.parametrize("where", ["constant", "sparse", "subgraph", "function"])
def test_external_data_is_checked_wherever_a_tensor_sits(tmp_path: Path, where: str) -> None:
    root = _copy(tmp_path / "ext")
    secret = tmp_path / "secret.bin"
    secret.write_bytes(_with_external_data(root, "../../secret.bin", where))
    assert set(read_signature(root / "visual" / "model.onnx").external_data) == {"../../secret.bin"}
    with pytest.raises(ModelError, match="'../../secret.bin', which has a component that refers to a folder"):
        ModelBundle.load(root)


def test_external_data_inside_the_bundle_loads_and_runs(tmp_path: Path) -> None:
    from indexer.models.encoder import Encoder
    from tests.support.photos import photo

    root = _copy(tmp_path / "ext")
    expected = Encoder(TOYCLIP, providers=["cpu"], threads=1).encode_images([photo(1, (96, 80))])
    data = _with_external_data(root, "weights.bin")
    (root / "visual" / "weights.bin").write_bytes(data)
    bundle = ModelBundle.load(root)
    assert read_signature(bundle.visual.model_path).external_data == ("weights.bin",)
    with Encoder(bundle, providers=["cpu"], threads=1) as encoder:
        got = encoder.encode_images([photo(1, (96, 80))])
    assert float((got * expected).sum()) > 0.9999


# --- 17: control characters in model names -------------------------------------


@pytest.mark.parametrize(
    "name",
    ["\x1b]0;pwned\x07", "evil\rname", "bell\x07", "rtl\u202eexe.gnp", "nul\0", "line\u2028break", "C:evil",
     "CON", "nul.txt", "trailing.", "a<b", "back\\slash", "../up", ".hidden", " spaced", "x" * 300],
)
def test_model_names_refuse_control_characters_and_what_windows_misreads(name: str) -> None:
    with pytest.raises(ModelError, match="cannot be a model name"):
        validate_model_name(name)


def test_ordinary_model_names_are_accepted() -> None:
    for name in ("ViT-B-32__laion2b-s34b-b79k", "nllb-clip-base-siglip__v1", "my.model_2", "Modèle-été"):
        assert validate_model_name(name) == name


def test_import_download_and_use_refuse_control_characters(tmp_path: Path) -> None:
    models = tmp_path / "models"
    with pytest.raises(ModelError, match="control character"):
        import_bundle(TOYCLIP, models, name="toy\x1b[2J")
    assert not models.exists()
    for name in ("evil\x1b]0;title\x07", "owner/evil\x1b[2J"):
        with pytest.raises(ModelError, match="control character"):
            hub.repo_for(name)
    for name in ("own#er/repo", "owner/re?po", "owner/re%2Fpo", "own er/repo"):
        with pytest.raises(ModelError, match="cannot be a model name|not a model name or an owner/repo id"):
            hub.repo_for(name)
    with pytest.raises(ModelNotFound, match="control character"):
        resolve_model("toy\x1b[31m", models)
    assert hub.repo_for("immich-app/ViT-B-32__openai") == ("immich-app/ViT-B-32__openai", "ViT-B-32__openai")


def test_a_bundle_directory_named_with_control_characters_is_refused(tmp_path: Path) -> None:
    root = _copy(tmp_path / "evil\x1b]0;x\x07")
    with pytest.raises(ModelError, match=r"holds the control character \\x1b; rename the directory"):
        ModelBundle.load(root)


def test_the_command_line_refuses_control_characters_in_model_names(tmp_path: Path) -> None:
    env = dict(os.environ, PHOTOSEEK_MODELS=str(tmp_path / "models"))
    for args in (("models", "use", "toy\x1b]0;pwned\x07"), ("models", "download", "toy\x1b]0;pwned\x07"),
                 ("models", "import", str(TOYCLIP), "--name", "toy\x1b]0;pwned\x07")):
        proc = run_photoseek(*args, library=tmp_path / "lib", env=env)
        assert proc.returncode != 0, args
        assert "control character" in proc.stderr, (args, proc.stderr)
        assert "\x1b" not in proc.stderr and "\x07" not in proc.stderr, args


# --- 14: hub file names --------------------------------------------------------


@pytest.fixture(autouse=True)
def hub_online(monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo the test environment's HF_HUB_OFFLINE=1 (see tests/indexer/models/test_hub.py)."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.fixture()
def fake_hub(monkeypatch: pytest.MonkeyPatch):
    server = FakeHub()
    server.add_bundle(REPO, TOYCLIP)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setattr(transfer, "RETRY_DELAYS", (0.05,) * 5)
    try:
        yield server
    finally:
        server.close()


@pytest.mark.parametrize(
    "evil",
    [
        "visual/..\\..\\..\\AppData\\Roaming\\Microsoft\\Windows\\Start Menu\\Programs\\Startup\\evil.bat",
        "visual/C:evil.bat",
        "textual/model.onnx:stream",
        "visual/evil\x1b]0;pwned\x07.json",
        "visual/CON",
        "visual/aux.json",
        "visual/..",
        "textual/trailing.",
        "visual/MODEL.onnx",  # the same file as visual/model.onnx on Windows and macOS
    ],
    ids=["backslashes", "drive", "stream", "control", "device", "device-ext", "dotdot", "trailing-dot",
         "case-collision"],
)
def test_unsafe_hub_file_names_refuse_the_download_before_anything_is_written(
    tmp_path: Path, fake_hub: FakeHub, evil: str
) -> None:
    fake_hub.repos[REPO][evil] = b"@echo pwned\r\n"
    models = tmp_path / "models"
    with pytest.raises(DownloadError, match="nothing was downloaded"):
        hub.download_model(NAME, models)
    assert not models.exists() or list(models.rglob("*")) == []
    assert fake_hub.file_requests(evil) == []
    assert not any(method == "GET" and "/resolve/" in url for method, url, _ in fake_hub.requests)


def test_every_download_target_is_resolved_inside_the_staging_folder(tmp_path: Path, fake_hub: FakeHub) -> None:
    models = tmp_path / "models"
    outside = tmp_path / "outside"
    outside.mkdir()
    staging = models / f".download-{NAME}"
    staging.mkdir(parents=True)
    (staging / "partial").symlink_to(outside, target_is_directory=True)  # left there by someone else
    with pytest.raises(DownloadError, match="would be written outside"):
        hub.download_model(NAME, models)
    assert list(outside.iterdir()) == []
    assert not any("/resolve/" in url for _, url, _ in fake_hub.requests)


def test_a_linked_staging_folder_is_refused(tmp_path: Path, fake_hub: FakeHub) -> None:
    models = tmp_path / "models"
    models.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (models / f".download-{NAME}").symlink_to(outside, target_is_directory=True)
    with pytest.raises(DownloadError, match="link out of the models folder"):
        hub.download_model(NAME, models)
    assert list(outside.iterdir()) == []
    (outside / "partial").mkdir()  # discarding removes the link, never what it points to
    assert hub.discard_partial_download(NAME, models) is True
    assert not (models / f".download-{NAME}").exists() and (outside / "partial").is_dir()


def test_a_clean_repository_still_downloads(tmp_path: Path, fake_hub: FakeHub) -> None:
    bundle = hub.download_model(NAME, tmp_path / "models")
    assert bundle.name == NAME
    assert json.loads((bundle.path / hub.SOURCE_FILE).read_text())["revision"] == COMMIT


def test_a_server_sending_more_than_the_file_holds_cannot_fill_the_disk(tmp_path: Path) -> None:
    class Endless(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()  # no length: the body ends when the connection closes
            try:
                for _ in range(64):
                    self.wfile.write(b"z" * 65536)
            except OSError:
                pass
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        part = tmp_path / "file.part"
        f = transfer.RemoteFile(path="visual/model.onnx", size=1000, sha256=None, git_sha1=None)

        class Progress:
            cancel = None

            def check(self) -> None:
                pass

            def add(self, n: int) -> None:
                pass

        url = f"http://127.0.0.1:{server.server_address[1]}/file"
        transfer.fetch(url, part, f, Progress(), {})
        assert part.stat().st_size == 1000
    finally:
        server.shutdown()
        server.server_close()
