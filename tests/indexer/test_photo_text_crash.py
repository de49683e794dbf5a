"""The text-reading (OCR) stage survives SIGKILL: a photo's lines and its "read" mark commit together,
the library is consistent after the kill, and the resumed run reads only the photos not yet read."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from indexer.library_files import CATALOG_FILE
from tests.indexer.test_photo_text import check_text_tables
from tests.support.bundles import TOYCLIP_NAME
from tests.support.cli import ROOT, cli_env, photoseek_cmd, run_photoseek
from tests.support.consistency import check_library, snapshot
from tests.support.text_images import write_text_image

PHOTOS = 8


def read_marks(library: Path) -> dict[int, float]:
    """photo id -> when its text was read (0 rows before the stage starts or the schema exists; a photo the
    gate found text in on the pipeline's decode is not read yet)."""
    if not (library / CATALOG_FILE).exists():
        return {}
    try:
        conn = sqlite3.connect(f"file:{library / CATALOG_FILE}?mode=ro", uri=True, timeout=10)
        try:
            return {r[0]: r[1] for r in conn.execute(
                "SELECT photo_id, read_at FROM photo_text WHERE engine NOT LIKE '%+gate-found'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        return {}


def test_ocr_resumes_after_sigkill_without_reading_twice(tmp_path: Path, toyclip_bundle: Path) -> None:
    photos, library = tmp_path / "photos", tmp_path / "library"
    for i in range(PHOTOS):
        write_text_image(photos / f"note{i}.png", [f"note number {i}", f"token{i}x{i * 7}"], size=(480, 240))
    cmd = photoseek_cmd("index", str(photos), "--model", str(toyclip_bundle), library=library)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=cli_env(), cwd=ROOT)
    try:
        deadline = time.monotonic() + 180
        while len(read_marks(library)) < 2 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
        if proc.stderr is not None:
            proc.stderr.close()
    before = read_marks(library)
    assert 2 <= len(before) < PHOTOS, "the kill must land inside the text-reading stage"

    check = snapshot(library, tmp_path / "check")
    state = check_library(check, TOYCLIP_NAME)
    assert state.indexed == PHOTOS  # CLIP finished before OCR began
    check_text_tables(check)

    done = run_photoseek("index", library=library)
    assert done.returncode == 0, done.stderr
    after = read_marks(library)
    assert len(after) == PHOTOS
    assert {pid: after[pid] for pid in before} == before  # what was read before the kill was not read again
    assert f"read the text in {PHOTOS - len(before)} photo(s)" in done.stderr
    search = run_photoseek("search", "--contains", "token3x21", "--json", library=library)
    assert [Path(hit["path"]).name for hit in json.loads(search.stdout)] == ["note3.png"]
    check_text_tables(library)
