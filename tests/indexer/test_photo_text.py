"""Text in photos: the OCR stage after embedding, its storage and full-text index, and searching by
the words in photos (hybrid ranking with CLIP, ``contains``)."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from indexer.cancel import CancelToken
from indexer.config import Settings
from indexer.errors import LibraryError, ModelError, UnreadableImage, UsageError
from indexer.library import Library
from indexer.library_files import CATALOG_FILE
from indexer.progress import Phase
from indexer.search import Query
from indexer.text.gate import TextGate
from indexer.text.reader import TextReader, engine_version
from indexer.text.stage import READING_TEXT
from tests.support.photos import write_photo
from tests.support.text_images import text_image, write_text_image

SCREENSHOT = ["Network settings", "WiFi password: hunter2"]
RECEIPT = ["Café Crème brûlée 4,50", "TOTAL 12,80 EUR"]


def make_photos(folder: Path) -> dict[str, Path]:
    paths = {f"photo{i}": write_photo(folder / f"photo{i}.jpg", 300 + i, (320, 240)) for i in range(3)}
    paths["screenshot"] = folder / "shots" / "screenshot.png"
    write_text_image(paths["screenshot"], SCREENSHOT)
    paths["receipt"] = folder / "receipt.jpg"
    write_text_image(paths["receipt"], RECEIPT, size=(480, 360))
    return paths


@pytest.fixture(scope="module")
def text_template(tmp_path_factory: pytest.TempPathFactory, toyclip_bundle: Path) -> Path:
    """Five photos (two with words) indexed with the toy CLIP and read by OCR, once per module."""
    root = tmp_path_factory.mktemp("text-lib")
    make_photos(root / "photos")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PHOTOSEEK_MODELS", str(root / "models"))
        with Library.open(root / "library") as lib:
            lib.use_model(str(toyclip_bundle))
            list(lib.index([root / "photos"], workers=0))
    return root


@pytest.fixture
def text_lib(text_template: Path, tmp_path: Path) -> Path:
    """A private copy of the module's library (photos and catalog) at the same paths is not possible:
    the copy's paths are rewritten by moving the template into place."""
    dest = tmp_path / "copy"
    shutil.copytree(text_template, dest)
    from tests.support.template import relocate

    relocate(dest / "library", text_template / "photos", dest / "photos")
    return dest


def fts_rowids(library: Path, word: str) -> list[int]:
    """Row ids the full-text index itself holds for ``word`` (not joined with the lines)."""
    conn = sqlite3.connect(f"file:{library / CATALOG_FILE}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute(
            "SELECT rowid FROM photo_text_lines_fts WHERE photo_text_lines_fts MATCH ?", (word,))]
    finally:
        conn.close()


def check_text_tables(library: Path) -> None:
    """The full-text index matches its lines, and no line or mark belongs to a missing photo."""
    conn = sqlite3.connect(library / CATALOG_FILE)
    try:
        conn.execute("INSERT INTO photo_text_lines_fts(photo_text_lines_fts, rank) VALUES ('integrity-check', 1)")
        orphans = conn.execute(
            "SELECT COUNT(*) FROM photo_text_lines WHERE photo_id NOT IN (SELECT id FROM photos) "
            "OR photo_id NOT IN (SELECT photo_id FROM photo_text)").fetchone()[0]
        assert orphans == 0
        counted = conn.execute(
            "SELECT COUNT(*) FROM photo_text t WHERE lines != "
            "(SELECT COUNT(*) FROM photo_text_lines l WHERE l.photo_id = t.photo_id)").fetchone()[0]
        assert counted == 0
    finally:
        conn.close()


def test_words_are_read_after_embedding_and_counted(text_template: Path) -> None:
    with Library.open(text_template / "library") as lib:
        status = lib.status()
        assert (status.photos, status.indexed, status.ocr_done, status.ocr_pending) == (5, 5, 5, 0)
        reader = lib.reader()
        shot = lib.catalog.photo_by_path(text_template / "photos" / "shots" / "screenshot.png")
        assert shot is not None
        lines = [line.text for line in reader.photo_text(shot.id)]
        assert lines == SCREENSHOT
        plain = lib.catalog.photo_by_path(text_template / "photos" / "photo0.jpg")
        assert plain is not None and reader.photo_text(plain.id) == []
    check_text_tables(text_template / "library")


def test_a_text_query_puts_the_photo_showing_its_words_first(text_template: Path) -> None:
    with Library.open(text_template / "library") as lib:
        reader = lib.reader()
        clip = reader.search(Query(text="wifi password", words=False, limit=5))
        hybrid = reader.search(Query(text="wifi password", limit=5))
        assert hybrid[0].path.name == "screenshot.png"
        assert hybrid[0].text == "WiFi password: hunter2"
        (box,) = hybrid[0].text_boxes or ()
        xs, ys = [x for x, _ in box], [y for _, y in box]
        assert 10 <= min(xs) <= 40 and 70 <= min(ys) <= 100 and max(xs) > 300  # where the line was drawn
        # photos without the words keep CLIP's order and scores
        rest = [(h.path, round(h.score, 5)) for h in hybrid[1:]]
        assert rest == [(h.path, round(h.score, 5)) for h in clip if h.path.name != "screenshot.png"]
        assert all(h.text is None for h in hybrid[1:])
        # a query whose words no photo shows is CLIP alone
        assert [h.path for h in reader.search(Query(text="a red bicycle", limit=5))] == [
            h.path for h in reader.search(Query(text="a red bicycle", words=False, limit=5))]


def test_contains_keeps_photos_showing_every_word(text_template: Path) -> None:
    with Library.open(text_template / "library") as lib:
        reader = lib.reader()

        def found(words: str, text: str = "") -> list[str]:
            return [h.path.name for h in reader.search(Query(text=text, contains=words, limit=10))]

        assert found("hunter2 wifi") == ["screenshot.png"]
        assert found("creme brulee") == ["receipt.jpg"]  # accents and case ignored
        assert found("CAFÉ") == ["receipt.jpg"]
        assert found("pass") == ["screenshot.png"]  # a prefix
        assert found('"password hunter2"') == ["screenshot.png"]
        assert found('"hunter2 password"') == []  # a phrase keeps its order
        assert found("hunter2 total") == []  # every word, not any
        assert found("total", text="a photo") == ["receipt.jpg"]  # with a text query: CLIP ranks what is left
        with pytest.raises(UsageError):
            reader.search(Query(contains="!!! ..."))


def test_text_follows_moves_changes_and_deletes(text_lib: Path) -> None:
    photos, library = text_lib / "photos", text_lib / "library"
    with Library.open(library) as lib:
        reader = lib.reader()
        os.rename(photos / "shots" / "screenshot.png", photos / "moved.png")
        list(lib.sync(workers=0))
        (hit,) = reader.search(Query(contains="hunter2"))
        assert hit.path == photos / "moved.png" and lib.last_text_read == 0  # moved: nothing read again
        check_text_tables(library)

        write_text_image(photos / "moved.png", ["Guest network", "code swordfish"])
        list(lib.sync(workers=0, read_text=False))
        assert reader.search(Query(contains="hunter2")) == []  # the old words left with the old content
        assert fts_rowids(library, "hunter2") == []
        assert lib.status().ocr_pending == 1
        list(lib.sync(workers=0))
        assert [h.path for h in reader.search(Query(contains="swordfish"))] == [photos / "moved.png"]

        (photos / "moved.png").unlink()
        list(lib.sync(workers=0))
        assert reader.search(Query(contains="swordfish")) == [] and fts_rowids(library, "swordfish") == []
        check_text_tables(library)

        lib.remove_folder(photos)
        assert fts_rowids(library, "total") == []
    check_text_tables(library)


def test_the_stage_pauses_cancels_and_resumes_without_reading_twice(text_lib: Path, monkeypatch) -> None:
    library = text_lib / "library"
    conn = sqlite3.connect(library / CATALOG_FILE)
    conn.execute("DELETE FROM photo_text")  # as if nothing had been read yet
    conn.execute("DELETE FROM photo_text_lines")
    conn.commit()
    conn.close()
    reads: list[str] = []
    original = TextReader.read_file

    def counting(self: TextReader, path: Path | str):  # noqa: ANN202
        reads.append(Path(path).name)
        return original(self, path)

    monkeypatch.setattr(TextReader, "read_file", counting)
    with Library.open(library) as lib:
        cancel = CancelToken()
        for progress in lib.deferred_stages(cancel=cancel):
            if progress.phase is READING_TEXT and progress.done == 2:
                cancel.cancel()
        assert len(reads) == 2 and lib.status().ocr_pending == 3
        stop_now = iter([False, True])
        list(lib.deferred_stages(interrupt=lambda: next(stop_now)))  # more urgent work after one photo
        assert len(reads) == 3
        list(lib.sync(workers=0))
        assert len(reads) == 5 and len(set(reads)) == 5  # every photo read once
        assert lib.status().ocr_done == 5


def test_an_ocr_failure_is_the_photos_own_and_keeps_its_vector(text_lib: Path, monkeypatch) -> None:
    library = text_lib / "library"
    conn = sqlite3.connect(library / CATALOG_FILE)
    conn.execute("UPDATE photo_text SET engine = 'an older engine'")
    conn.commit()
    conn.close()
    original = TextReader.read_file

    def failing(self: TextReader, path: Path | str):  # noqa: ANN202
        if Path(path).name == "receipt.jpg":
            raise UnreadableImage(path, "the text reader ran out of patience")
        return original(self, path)

    monkeypatch.setattr(TextReader, "read_file", failing)
    with Library.open(library) as lib:
        list(lib.sync(workers=0))
        status = lib.status()
        assert (status.indexed, status.failed, status.ocr_done, status.ocr_pending) == (5, 0, 4, 0)
        failures = lib.reader().failures()
        assert [(f.path.name, f.stage, f.reason) for f in failures] == [
            ("receipt.jpg", "ocr", "the text reader ran out of patience")]
        assert failures[0].to_json()["stage"] == "ocr"
        hits = lib.reader().search(Query(text="receipt", limit=5))
        assert "receipt.jpg" in [h.path.name for h in hits]  # still found by CLIP
    check_text_tables(library)


def test_ocr_can_be_turned_off(text_lib: Path, tmp_path: Path) -> None:
    library = text_lib / "library"
    conn = sqlite3.connect(library / CATALOG_FILE)
    conn.execute("DELETE FROM photo_text")
    conn.commit()
    conn.close()
    with Library.open(library) as lib:
        list(lib.sync(workers=0, read_text=False))
        assert lib.status().ocr_pending == 5
        lib.settings.ocr = False
        lib.save_settings()
        list(lib.sync(workers=0))
        assert lib.status().ocr_pending == 5 and lib.last_text_read == 0
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "settings.toml").write_text('ocr = "yes"\n')
    with pytest.raises(LibraryError, match="ocr: must be true or false"):
        Settings.load(tmp_path / "bad")
    (tmp_path / "bad" / "settings.toml").write_text("ocr_threads = -1\n")
    with pytest.raises(LibraryError, match="ocr_threads"):
        Settings.load(tmp_path / "bad")


def test_a_newer_engine_reads_again() -> None:
    assert engine_version(det_sides=(960,)) != engine_version(det_sides=(1280,)) != engine_version(det_sides=(640, 960))
    assert engine_version().startswith("rapidocr-")
    # the gate's settings are part of the version: photos read with another gate are read again
    assert engine_version(gate=TextGate(box_threshold=0.4).spec) != engine_version(gate=TextGate().spec)


def test_the_gate_passes_lines_of_text_and_not_a_plain_picture(tmp_path: Path) -> None:
    plain = Image.open(write_photo(tmp_path / "plain.jpg", 7, (640, 480))).convert("RGB")
    words, _ = text_image(["Network settings", "WiFi password: hunter2"])
    for threshold in (0.3, 0.4, 0.5):
        gate = TextGate(box_threshold=threshold)
        assert gate.has_text(words)
        assert not gate.has_text(plain)


def test_a_text_reader_that_cannot_run_leaves_photos_pending(text_lib: Path, monkeypatch) -> None:
    library = text_lib / "library"
    conn = sqlite3.connect(library / CATALOG_FILE)
    conn.execute("DELETE FROM photo_text")
    conn.commit()
    conn.close()

    def broken(self: TextReader, path: Path | str):  # noqa: ANN202
        raise ModelError("the text-reading model is missing")

    monkeypatch.setattr(TextReader, "read_file", broken)
    with Library.open(library) as lib:
        progress = list(lib.sync(workers=0))  # no error: embedding is done, the text waits
        assert progress[-1].phase is Phase.DONE
        status = lib.status()
        assert (status.indexed, status.ocr_done, status.ocr_pending) == (5, 0, 5)
        assert lib.reader().failures() == []


def test_the_text_reader_runs_offline_from_its_bundled_models(tmp_path: Path, monkeypatch) -> None:
    from rapidocr.utils import download_file

    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("the text reader tried to download something")

    monkeypatch.setattr(download_file.DownloadFile, "run", no_download)
    image = tmp_path / "sign.png"
    write_text_image(image, ["OPEN 24 HOURS"], size=(400, 160))
    reader = TextReader(threads=1)  # a new one: its engine is created here, with downloads refused
    assert [line.text for line in reader.read_file(image).lines] == ["OPEN 24 HOURS"]
    assert reader.version == engine_version() and reader.threads == 1


def test_watch_reads_text_after_embedding_and_goes_idle(text_lib: Path) -> None:
    import threading
    import time

    from indexer.watcher import watch

    photos, library = text_lib / "photos", text_lib / "library"
    with Library.open(library) as lib:
        lib.settings.debounce_seconds = 0.2
        cancel = CancelToken()
        events: list = []
        thread = threading.Thread(target=lambda: events.extend(watch(lib, cancel, poll_interval=0.1)), daemon=True)
        thread.start()

        def wait_for(predicate, timeout: float = 60.0) -> bool:  # noqa: ANN001
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if predicate():
                    return True
                time.sleep(0.1)
            return False

        try:
            assert wait_for(lambda: any(e.phase is Phase.WATCHING for e in events))
            write_text_image(photos / "poster.png", ["Concert tonight 8 PM"], size=(560, 240))
            assert wait_for(lambda: any(e.phase is READING_TEXT and e.done for e in events))
            assert wait_for(lambda: events[-1].phase is Phase.WATCHING)  # idle again once the text is read
            first_text = next(i for i, e in enumerate(events) if e.phase is READING_TEXT)
            # embedded (searchable by CLIP) before its text is read
            assert any(e.phase is Phase.INDEXING and e.total for e in events[:first_text])
        finally:
            cancel.cancel()
            thread.join(30)
        (hit,) = lib.reader().search(Query(contains="concert tonight"))
        assert hit.path == photos / "poster.png"
