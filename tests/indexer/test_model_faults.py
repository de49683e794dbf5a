"""Model faults: switching model never mixes vectors; a damaged model fails clearly.

Both test models are the committed toy CLIP: as committed, and with other
weights (tests/support/bundles.py ``toyclip_variant``), so both have the same
embedding size (64) and vectors of one could be compared with the other's
without any error: the tests compute every expected score from one model's
own text/image vector and that model's stored vectors, and check the served
scores against them (and that the other model would have given different ones).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from indexer import paths
from indexer.cancel import CancelToken
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.models.encoder import Encoder
from indexer.models.registry import import_bundle
from indexer.progress import Phase
from indexer.search import Query
from tests.support.bundles import TOYCLIP_DIM, TOYCLIP_NAME, toyclip_variant
from tests.support.cli import run_photoseek
from tests.support.photos import write_library

B_NAME = "toyclip-b"
N = 40


@pytest.fixture(scope="session")
def bundle_b(tmp_path_factory) -> Path:
    return toyclip_variant(tmp_path_factory.mktemp("bundle-b"), name=B_NAME)


def photoseek(*args: str, library: Path) -> subprocess.CompletedProcess:
    return run_photoseek(*args, library=library)


def stored(lib: Library | LibraryReader, model: str) -> dict[Path, np.ndarray]:
    rows = lib.catalog.conn.execute(
        "SELECT p.path, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id WHERE e.model=?", (model,)
    ).fetchall()
    return {Path(os.fsdecode(bytes(p))): np.frombuffer(v, dtype=np.float32) for p, v in rows}


def expected_scores(encoder: Encoder, vectors: dict[Path, np.ndarray], text: str) -> dict[Path, float]:
    q = encoder.encode_texts([text])[0]
    return {p: float(v @ q) for p, v in vectors.items()}


def assert_served_by(hits, own: dict[Path, float], other: dict[Path, float]) -> None:
    assert hits, "no results"
    for h in hits:
        assert h.score == pytest.approx(own[h.path], abs=1e-4), h.path
    # ... and the other model's vectors would have scored them differently
    assert max(abs(h.score - other.get(h.path, 9.0)) for h in hits) > 1e-2


def _index(lib: Library, *, stop_after: int | None = None) -> None:
    cancel = CancelToken()
    for p in lib.index(cancel=cancel):
        if stop_after is not None and p.phase is Phase.INDEXING and p.done >= stop_after:
            cancel.cancel()


def test_switching_model_serves_the_old_one_until_the_new_one_covers_the_library(
    tmp_path, toyclip_bundle, bundle_b
):
    folder = tmp_path / "photos"
    paths_ = write_library(folder, N)
    enc_a, enc_b = Encoder(toyclip_bundle, providers=["cpu"]), Encoder(bundle_b, providers=["cpu"])
    text = "a red circle on a beach"
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.settings.batch_size = 8
        lib.add_folder(folder)
        lib.use_model(str(toyclip_bundle))
        _index(lib)
        vec_a = stored(lib, TOYCLIP_NAME)
        assert len(vec_a) == N

        lib.use_model(str(bundle_b))
        _index(lib, stop_after=8)  # the switch is interrupted: B covers part of the library
        vec_b_partial = stored(lib, B_NAME)
        assert 0 < len(vec_b_partial) < N
        assert lib.status().model == B_NAME and lib.status().pending == N - len(vec_b_partial)
        hits = lib.reader().search(Query(text=text, limit=100))
        assert len(hits) == N  # every photo is still found, through A
        assert_served_by(hits, expected_scores(enc_a, vec_a, text), expected_scores(enc_b, vec_b_partial, text))
        image_hits = lib.reader().search(Query(image=paths_[5], limit=3, exclude_self=False))
        assert image_hits[0].path == paths_[5] and image_hits[0].score == pytest.approx(1.0, abs=1e-4)

    # A reader in another process (the CLI) makes the same choice.
    proc = photoseek("search", text, "--json", "--limit", "100", library=library)
    assert proc.returncode == 0, proc.stderr
    cli_hits = json.loads(proc.stdout)
    own = expected_scores(enc_a, vec_a, text)
    assert len(cli_hits) == N
    assert all(h["score"] == pytest.approx(own[Path(h["path"])], abs=1e-4) for h in cli_hits)

    with Library.open(library) as lib:
        _index(lib)  # B now covers the library and takes over
        vec_b = stored(lib, B_NAME)
        assert len(vec_b) == N and stored(lib, TOYCLIP_NAME).keys() == vec_a.keys()  # A's vectors are kept
        for p, v in vec_b.items():
            assert not np.allclose(v, vec_a[p], atol=1e-3)  # really another model's vectors
        hits = lib.reader().search(Query(text=text, limit=100))
        assert len(hits) == N
        assert_served_by(hits, expected_scores(enc_b, vec_b, text), expected_scores(enc_a, vec_a, text))
        # Asking explicitly for the old model still searches the old model's vectors only.
        old = lib.reader().search(Query(text=text, limit=100), model=str(toyclip_bundle))
        assert_served_by(old, expected_scores(enc_a, vec_a, text), expected_scores(enc_b, vec_b, text))
        ids = {p: pid for pid, p in ((r.id, r.path) for r in lib.catalog.photos_by_id(
            [r[0] for r in lib.catalog.conn.execute("SELECT id FROM photos")]).values())}
    # Each model's HNSW file holds only that model's vectors.
    for name, vecs in ((TOYCLIP_NAME, vec_a), (B_NAME, vec_b)):
        store = VectorStore.load(library / "vectors", name, TOYCLIP_DIM)
        assert store is not None and len(store) == N and store.labels() == {ids[p] for p in vecs}
        got = np.asarray(store._index.get_items([ids[p] for p in vecs]), dtype=np.float32)
        assert np.allclose(got, np.stack(list(vecs.values())), atol=1e-5)


@pytest.mark.parametrize("damage", ["truncated-visual", pytest.param("garbage-textual", marks=pytest.mark.slow)])
def test_damaged_model_fails_clearly_and_the_previous_model_keeps_serving(
    tmp_path, toyclip_bundle, bundle_b, damage
):
    folder = tmp_path / "photos"
    write_library(folder, 10)
    library = tmp_path / "lib"
    proc = photoseek("index", str(folder), "--model", str(toyclip_bundle), library=library)
    assert proc.returncode == 0, proc.stderr
    installed = import_bundle(bundle_b, paths.models_dir()).path
    if damage == "truncated-visual":
        onnx = installed / "visual" / "model.onnx"
        onnx.write_bytes(onnx.read_bytes()[: onnx.stat().st_size // 2])
    else:
        (installed / "textual" / "model.onnx").write_bytes(b"\x08\x07garbage" * 100)

    for args in (["index", str(folder), "--model", B_NAME], ["models", "use", B_NAME]):
        proc = photoseek(*args, library=library)
        assert proc.returncode == 1, (args, proc.stderr)
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("photoseek: error: "), proc.stderr
        assert B_NAME in lines[0] and "model.onnx" in lines[0], lines[0]
        assert "Traceback" not in proc.stderr

    status = json.loads(photoseek("status", "--json", library=library).stdout)
    assert (status["model"], status["indexed"], status["pending"]) == (TOYCLIP_NAME, 10, 0)  # not switched
    proc = photoseek("search", "a photo", "--json", library=library)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) == 10
    proc = photoseek("index", str(folder), library=library)  # indexing goes on with the previous model
    assert proc.returncode == 0 and "indexed 0 photo(s)" in proc.stderr, proc.stderr
    with LibraryReader.open(library) as reader:
        assert set(VectorTables(reader.catalog).models_with_vectors()) == {TOYCLIP_NAME}  # nothing was written for the broken one

    # Repairing the model (re-import) makes the switch work.
    shutil.rmtree(installed)
    import_bundle(bundle_b, paths.models_dir())
    proc = photoseek("index", str(folder), "--model", B_NAME, library=library)
    assert proc.returncode == 0 and "indexed 10 photo(s)" in proc.stderr, proc.stderr
    assert json.loads(photoseek("status", "--json", library=library).stdout)["model"] == B_NAME
