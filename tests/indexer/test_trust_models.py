"""Trust: a model's vectors are identified by its files, and no vector is ever non-finite.

Item 2: a different model under the same name -- ``models import NEW --force`` or
``--model /other/dir/NAME`` -- is a different vector space (its own key, re-embedded
in the background while the old vectors serve if their bundle is still at hand), so
new-model queries never meet old-model photos.  The "other model" is the toy CLIP
with other weights (``toyclip_variant``): same name, same file sizes, same
embedding size, so nothing but the fingerprint tells them apart.

Item 5: a bundle whose preprocessing or outputs are not finite is refused when it
loads; a photo the model turns into NaN (or an all-zero vector) is recorded as
failed, never stored; vectors stored by earlier versions with NaN are removed by
the catalog's migration, so ``search --json`` only ever prints finite scores.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer import paths
from indexer.cancel import CancelToken
from indexer.clip.model_choice import ModelChoice
from indexer.clip.pipeline import NON_FINITE_VECTOR, ZERO_VECTOR
from indexer.clip.vector_tables import VectorTables
from indexer.config import Settings
from indexer.errors import ModelError
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.models import fingerprint as fingerprint_module
from indexer.models.bundle import ModelBundle
from indexer.models.encoder import Encoder
from indexer.models.fingerprint import files_stamp, fingerprint
from indexer.models.registry import broken_models, import_bundle
from indexer.progress import Phase
from indexer.search import Query
from tests.support.bundles import TOYCLIP, TOYCLIP_NAME, toyclip_variant
from tests.support.cli import run_photoseek
from tests.support.old_catalogs import as_schema_2
from tests.support.photos import photo

N = 8
TEXT = "a red circle on a beach"


@pytest.fixture(scope="session")
def same_name_variant(tmp_path_factory) -> Path:
    """Another model named ``toyclip`` (other weights, same file sizes). Read-only."""
    return toyclip_variant(tmp_path_factory.mktemp("other-dir"), name=TOYCLIP_NAME)


@pytest.fixture(scope="session")
def encoders(same_name_variant):
    """CPU encoders of the committed toy CLIP (A) and of its same-named variant (B)."""
    a = Encoder(TOYCLIP, providers=["cpu"], threads=1)
    b = Encoder(same_name_variant, providers=["cpu"], threads=1)
    yield a, b
    a.close()
    b.close()


def _photos(folder: Path, n: int = N) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        path = folder / f"p{i:02d}.jpg"
        photo(i, (160, 120)).save(path, quality=85)
        out.append(path)
    return out


def _index(lib: Library, *, stop_after: int | None = None) -> None:
    cancel = CancelToken()
    for p in lib.index(cancel=cancel, workers=0):
        if stop_after is not None and p.phase is Phase.INDEXING and p.done >= stop_after:
            cancel.cancel()


def stored(lib: Library | LibraryReader, key: str) -> dict[Path, np.ndarray]:
    rows = lib.catalog.conn.execute(
        "SELECT p.path, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id WHERE e.model=?", (key,)
    ).fetchall()
    return {Path(os.fsdecode(bytes(p))): np.frombuffer(v, dtype=np.float32) for p, v in rows}


def assert_scored_by(hits, encoder: Encoder, vectors: dict[Path, np.ndarray]) -> None:
    """Every hit's score is the cosine of ``encoder``'s query with that photo's vector in ``vectors``."""
    q = encoder.encode_texts([TEXT])[0]
    for h in hits:
        assert h.path in vectors, h.path
        assert h.score == pytest.approx(float(vectors[h.path] @ q), abs=1e-4), h.path


def assert_vectors_of(encoder: Encoder, vectors: dict[Path, np.ndarray]) -> None:
    paths_ = sorted(vectors)
    fresh = encoder.encode_images(paths_)
    np.testing.assert_allclose(np.stack([vectors[p] for p in paths_]), fresh, atol=2e-5)


def _sizes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_size for p in root.rglob("*") if p.is_file()}


# -- item 2: a model's vectors are those of its files ------------------------------------------------


def test_models_import_force_of_another_model_under_the_same_name_re_embeds_everything(
    tmp_path, same_name_variant, encoders
):
    enc_a, enc_b = encoders
    models = paths.models_dir()
    installed = import_bundle(TOYCLIP, models).path
    folder = tmp_path / "photos"
    _photos(folder)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.add_folder(folder)
        lib.use_model(TOYCLIP_NAME)
        _index(lib)
        old = stored(lib, TOYCLIP_NAME)
        assert len(old) == N

    # The same name and the same sizes: only the bytes differ.
    assert _sizes(same_name_variant) == _sizes(installed)
    import_bundle(same_name_variant, models, force=True)

    # Before anything is re-embedded, a reader neither counts nor searches the old model's photos.
    with LibraryReader.open(library) as reader:
        status = reader.status()
        assert (status.model, status.indexed, status.pending) == (TOYCLIP_NAME, 0, N)
        assert reader.search(Query(text=TEXT, limit=50)) == []  # the old bundle is gone: nothing can serve A

    with Library.open(library) as lib:
        _index(lib)
        key = lib.encoder().model_id
        assert key.startswith(f"{TOYCLIP_NAME}@") and len(key) == len(TOYCLIP_NAME) + 13
        new = stored(lib, key)
        assert new.keys() == old.keys() and lib.status().pending == 0
        assert all(not np.allclose(new[p], old[p], atol=1e-3) for p in new)  # really the new model's
        assert_vectors_of(enc_b, new)
        hits = lib.reader().search(Query(text=TEXT, limit=50))
        assert len(hits) == N
        assert_scored_by(hits, enc_b, new)
        # No bundle makes the old vectors any more: once the new ones cover the library, they go.
        assert VectorTables(lib.catalog).vector_count(TOYCLIP_NAME) == 0
        assert not (library / "vectors" / f"{TOYCLIP_NAME}.hnsw").exists()

    # Importing the first model again is one more switch (its vectors were dropped): re-embedded, as A.
    import_bundle(TOYCLIP, models, force=True)
    with Library.open(library) as lib:
        assert lib.status().pending == N
        _index(lib)
        assert lib.encoder().model_id == TOYCLIP_NAME
        assert_vectors_of(enc_a, stored(lib, TOYCLIP_NAME))
        assert_scored_by(lib.reader().search(Query(text=TEXT, limit=50)), enc_a, stored(lib, TOYCLIP_NAME))


def test_a_same_named_model_from_another_folder_is_its_own_vector_space(tmp_path, same_name_variant, encoders):
    enc_a, enc_b = encoders
    folder = tmp_path / "photos"
    _photos(folder)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.add_folder(folder)
        lib.use_model(str(TOYCLIP))
        _index(lib)
        old = stored(lib, TOYCLIP_NAME)
        assert len(old) == N

    # `photoseek index --model /other/dir/toyclip`, interrupted after a batch.
    with Library.open(library, model=str(same_name_variant)) as lib:
        lib.settings.batch_size = 4
        lib.use_model(str(same_name_variant))
        assert lib.status().pending == N  # a new vector space, not the old one's vectors
        _index(lib, stop_after=4)
        key = lib.encoder().model_id
        assert key != TOYCLIP_NAME and key.startswith(f"{TOYCLIP_NAME}@")
        partial = stored(lib, key)
        assert 0 < len(partial) < N
        assert_vectors_of(enc_b, partial)
        hits = lib.reader().search(Query(text=TEXT, limit=50))  # the session's model: its own vectors only
        assert len(hits) == len(partial)
        assert_scored_by(hits, enc_b, partial)

    # Meanwhile another process searches with the old model, whose bundle is still where it was.
    with LibraryReader.open(library) as reader:
        hits = reader.search(Query(text=TEXT, limit=50))
        assert len(hits) == N
        assert_scored_by(hits, enc_a, old)

    with Library.open(library) as lib:
        _index(lib)
        new = stored(lib, key)
        assert len(new) == N and lib.status().pending == 0
        assert_vectors_of(enc_b, new)
        assert_scored_by(lib.reader().search(Query(text=TEXT, limit=50)), enc_b, new)
        assert stored(lib, TOYCLIP_NAME).keys() == old.keys()  # its bundle is still there: kept, as in a switch
        lib.use_model(str(TOYCLIP))  # so switching back is immediate
        assert lib.status().pending == 0
        assert_scored_by(lib.reader().search(Query(text=TEXT, limit=50)), enc_a, old)


def test_the_fingerprint_follows_weights_and_preprocessing_not_names_dates_or_formatting(
    tmp_path, same_name_variant
):
    def copy(name: str, src: Path = TOYCLIP) -> Path:
        return Path(shutil.copytree(src, tmp_path / name / TOYCLIP_NAME))

    base = fingerprint(ModelBundle.load(TOYCLIP))
    assert len(base) == 64
    a = copy("a")
    os.utime(a / "visual" / "model.onnx", ns=(1, 1))
    cfg = a / "visual" / "preprocess_cfg.json"
    cfg.write_text(json.dumps(json.loads(cfg.read_text()), indent=4, sort_keys=True))
    renamed = a.rename(a.with_name("renamed"))
    assert fingerprint(ModelBundle.load(renamed)) == base  # name, dates and JSON layout do not matter

    b = copy("b")
    data = json.loads((b / "visual" / "preprocess_cfg.json").read_text())
    data["std"] = [0.5, 0.5, 0.5]
    (b / "visual" / "preprocess_cfg.json").write_text(json.dumps(data))
    assert fingerprint(ModelBundle.load(b)) != base  # other preprocessing: other vectors

    assert fingerprint(ModelBundle.load(same_name_variant)) != base  # other weights, same sizes
    c = copy("c")
    (c / "textual" / "model.onnx.data").write_bytes(b"external weights")
    assert fingerprint(ModelBundle.load(c)) != base  # a tower's external-data file counts too
    (c / "textual" / "model.onnx.data").unlink()
    (c / "textual" / "tokenizer_config.json").write_text("{}")
    assert fingerprint(ModelBundle.load(c)) == base  # the tokenizer does not change a photo's vector


def test_replaced_files_are_hashed_again_even_with_the_same_size_and_dates(tmp_path, same_name_variant, monkeypatch):
    bundle_dir = Path(shutil.copytree(TOYCLIP, tmp_path / "m" / TOYCLIP_NAME))
    hashed: list[Path] = []

    def counting(bundle: ModelBundle) -> str:
        hashed.append(bundle.path)
        return fingerprint(bundle)

    monkeypatch.setattr("indexer.clip.model_choice.fingerprint", counting)
    library = tmp_path / "lib"
    with Library.open(library, model=str(bundle_dir)) as lib:
        first = lib.encoder()
        lib.store(first)
        assert lib.encoder() is first and len(hashed) == 1  # once per set of files in a process
    with LibraryReader.open(library, model=str(bundle_dir)) as reader:
        assert reader.encoder().model_id == TOYCLIP_NAME and len(hashed) == 1  # the catalog remembers it

    # Replace the visual tower by another of the same size, and put its dates back.
    onnx = bundle_dir / "visual" / "model.onnx"
    st = onnx.stat()
    replacement = tmp_path / "replacement.onnx"
    shutil.copyfile(same_name_variant / "visual" / "model.onnx", replacement)
    assert replacement.stat().st_size == st.st_size
    os.utime(replacement, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(replacement, onnx)
    assert (onnx.stat().st_size, onnx.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.raises(ModelError, match="changed after it was loaded"):
        first.encode_pixels(np.zeros((1, 3, *first.bundle.preprocess.size), np.float32))  # not under the old key
    with LibraryReader.open(library, model=str(bundle_dir)) as reader:
        assert reader.encoder().model_id.startswith(f"{TOYCLIP_NAME}@") and len(hashed) == 2


def test_a_stamp_changes_when_a_file_is_rewritten_in_place(tmp_path):
    root = Path(shutil.copytree(TOYCLIP, tmp_path / TOYCLIP_NAME))
    before = files_stamp(root)
    onnx = root / "textual" / "model.onnx"
    st = onnx.stat()
    with open(onnx, "r+b") as f:  # same size, same bytes even, mtime put back: the ctime still moves
        f.write(f.read(16))
    os.utime(onnx, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert files_stamp(root) != before
    assert fingerprint_module.weight_files(root) == [root / "visual" / "model.onnx", root / "textual" / "model.onnx"]


def test_vectors_from_before_fingerprints_are_adopted_only_by_the_model_that_made_them(
    tmp_path, same_name_variant, encoders
):
    enc_a, enc_b = encoders
    models = paths.models_dir()
    import_bundle(TOYCLIP, models)
    folder = tmp_path / "photos"
    _photos(folder)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.add_folder(folder)
        lib.use_model(TOYCLIP_NAME)
        _index(lib)
        old = stored(lib, TOYCLIP_NAME)
    as_schema_2(library)

    with Library.open(library) as lib:  # the same model: adopted, nothing re-embedded
        _index(lib)
        assert lib.last_decoded == 0 and lib.encoder().model_id == TOYCLIP_NAME
        assert stored(lib, TOYCLIP_NAME).keys() == old.keys()

    # The model was replaced under its name before the upgrade: its vectors are not adopted.
    as_schema_2(library)
    import_bundle(same_name_variant, models, force=True)
    with Library.open(library) as lib:
        _index(lib)
        key = lib.encoder().model_id
        assert key != TOYCLIP_NAME and lib.last_decoded == N
        assert_vectors_of(enc_b, stored(lib, key))
        assert_scored_by(lib.reader().search(Query(text=TEXT, limit=50)), enc_b, stored(lib, key))


# -- item 5: no non-finite vector -----------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"std": [float("nan")] * 3}, {"std": [1e-46, 0.26, 0.27]}, {"mean": [float("inf"), 0.4, 0.4]},
     {"std": 0.0}],
    ids=["nan-std", "denormal-std", "infinite-mean", "zero-std"],
)
def test_a_bundle_with_non_finite_preprocessing_is_refused_at_load(tmp_path, change):
    root = Path(shutil.copytree(TOYCLIP, paths.models_dir() / "bad"))
    cfg = root / "visual" / "preprocess_cfg.json"
    cfg.write_text(json.dumps({**json.loads(cfg.read_text()), **change}))  # NaN/Infinity: Python's JSON
    with pytest.raises(ModelError, match="std"):
        ModelBundle.load(root)
    assert [e.name for e in broken_models(paths.models_dir())] == ["bad"]  # `models list` shows it broken
    with Library.open(tmp_path / "lib") as lib:
        with pytest.raises(ModelError, match="std"):
            lib.use_model("bad")
        assert lib.settings.model in ("", None)


def _poisoned_bundle(directory: Path, tower: str) -> Path:
    """The toy CLIP with every weight matrix of one tower multiplied by NaN."""
    import onnx
    from onnx import numpy_helper

    root = Path(shutil.copytree(TOYCLIP, directory / f"nan-{tower}"))
    path = root / tower / "model.onnx"
    model = onnx.load(str(path))
    for init in model.graph.initializer:
        weights = numpy_helper.to_array(init)
        if weights.dtype == np.float32 and weights.ndim >= 2:
            init.CopyFrom(numpy_helper.from_array(np.full_like(weights, np.nan), init.name))
    onnx.save(model, str(path))
    return root


@pytest.mark.parametrize("tower", ["visual", "textual"])
def test_a_model_that_gives_non_finite_vectors_is_refused_when_it_loads(tmp_path, tower):
    bad = _poisoned_bundle(tmp_path, tower)
    ModelBundle.load(bad)  # its files are well formed...
    folder = tmp_path / "photos"
    _photos(folder, 3)
    with Library.open(tmp_path / "lib") as lib:
        lib.add_folder(folder)
        with pytest.raises(ModelError, match="non-finite"):  # ...but it gives NaN: `models use` refuses it
            lib.use_model(str(bad))
        assert not lib.settings.model
    with Library.open(tmp_path / "lib", model=str(bad)) as lib:  # `index --model BAD`
        with pytest.raises(ModelError, match="non-finite"):
            _index(lib)
        assert lib.catalog.conn.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 0


def _strict_json(text: str):
    def refuse(constant: str):
        raise AssertionError(f"invalid JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def test_photos_the_model_turns_into_nan_or_zero_are_failed_never_stored(tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    _photos(folder)
    with Library.open(tmp_path / "lib", model=str(TOYCLIP)) as lib:
        lib.settings.batch_size = 4
        lib.add_folder(folder)
        lib.encoder().verify()  # the towers load (and pass their check) as they are
        real = Encoder._run_once

        def flaky(session, tower, batch):
            out = np.array(real(session, tower, batch))
            if batch.ndim == 4 and len(out) == 4:  # photos: the 2nd of each batch is NaN, the 3rd zero
                out[1, :3] = np.nan
                out[2] = 0.0
            return out

        monkeypatch.setattr(Encoder, "_run_once", staticmethod(flaky))
        _index(lib)
        status = lib.status()
        assert (status.indexed, status.failed, status.pending) == (N - 4, 4, 0)
        reasons = sorted(f.reason for f in lib.reader().failures())
        assert reasons == sorted([NON_FINITE_VECTOR, ZERO_VECTOR] * 2)
        for blob, in lib.catalog.conn.execute("SELECT vector FROM embeddings"):
            vec = np.frombuffer(blob, dtype=np.float32)
            assert np.isfinite(vec).all() and abs(float(np.linalg.norm(vec)) - 1) < 1e-3
        hits = lib.reader().search(Query(text=TEXT, limit=50))
        assert len(hits) == N - 4 and all(math.isfinite(h.score) for h in hits)
        json.dumps([h.to_json() for h in hits], allow_nan=False)

        def nan_text(session, tower, batch):
            out = np.array(real(session, tower, batch))
            out[:, 0] = np.inf
            return out

        monkeypatch.setattr(Encoder, "_run_once", staticmethod(nan_text))
        with pytest.raises(ModelError, match="non-finite"):  # a query the model cannot embed is an error
            lib.reader().search(Query(text="anything", limit=5))


def test_nan_vectors_stored_by_an_earlier_version_are_removed_and_search_json_stays_valid(tmp_path):
    folder = tmp_path / "photos"
    photos = _photos(folder)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.add_folder(folder)
        lib.use_model(str(TOYCLIP))
        _index(lib)
        pid = lib.catalog.photo_by_path(photos[3]).id
        poisoned = np.full(64, np.nan, dtype=np.float32).tobytes()
        lib.catalog.conn.execute("UPDATE embeddings SET vector=? WHERE photo_id=?", (poisoned, pid))
    as_schema_2(library)

    with Library.open(library) as lib:  # the upgrade's migration removes it: the photo is pending again
        assert VectorTables(lib.catalog).vector_count(TOYCLIP_NAME) == N - 1 and lib.status().pending == 1
    proc = run_photoseek("search", TEXT, "--json", "--limit", "50", library=library)
    assert proc.returncode == 0, proc.stderr
    hits = _strict_json(proc.stdout)
    assert len(hits) == N - 1 and all(math.isfinite(h["score"]) for h in hits)
    assert str(photos[3]) not in {h["path"] for h in hits}


def test_model_choice_never_serves_old_vectors_with_a_replaced_bundle(tmp_path, same_name_variant):
    """The model choice alone (as every reader uses it): the serving key follows the files."""
    models = paths.models_dir()
    installed = import_bundle(TOYCLIP, models).path
    folder = tmp_path / "photos"
    _photos(folder, 2)
    library = tmp_path / "lib"
    with Library.open(library) as lib:
        lib.add_folder(folder)
        lib.use_model(TOYCLIP_NAME)
        _index(lib)
    import_bundle(same_name_variant, models, force=True)
    with LibraryReader.open(library) as reader:
        choice = ModelChoice(Settings(model=TOYCLIP_NAME))
        key = choice.configured_key(reader.catalog)
        assert key is not None and key != TOYCLIP_NAME
        assert choice.bundle_for_key(reader.catalog, TOYCLIP_NAME) is None  # its files are gone
        assert choice.serving_name(reader.catalog) == key
        assert choice.serving_encoder(reader.catalog).model_id == key
        assert choice.bundle(reader.catalog).path == installed
