"""Hostile folders: every bad file is indexed correctly or recorded as failed with a reason.

The corpus (tests/support/bad_files.py) is indexed through the real command
line; ``status --json`` and ``failures --json`` are checked exactly, the set of
searchable paths equals the set of files that must be indexed, thumbnails are
upright, and the 200-megapixel panorama goes through within a memory budget.
In-process tests cover what a subprocess cannot stage: files that vanish or
change while being decoded, and a decode that hangs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from indexer.clip.pipeline import EmbeddingPipeline
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.support.bad_files import (
    FAILED,
    IGNORED,
    INDEXED,
    PANORAMA_SIZE,
    panorama_jpeg,
    unreadable_env,
    unreadable_paths,
    write_corpus,
)
from tests.support.bundles import TOYCLIP_NAME
from tests.support.cli import ROOT, cli_env, photoseek_cmd
from tests.support.photos import photo, write_library, write_photo

# Peak resident memory of the whole `photoseek index` process on the corpus. Decoding the
# panorama at full size would need 600 MB for its RGB pixels alone (plus copies).
RSS_BUDGET_MB = 450


def cli(*args: str, library: Path, env: dict | None = None, timeout: float = 240) -> tuple[int, str, str]:
    """Run the CLI; returns (exit code, stdout, stderr); a hang fails the test."""
    cmd = photoseek_cmd(*args, library=library)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_env(env), cwd=ROOT)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"photoseek {' '.join(args)} hung for {timeout} s\n{err.decode(errors='replace')}") from None
    return proc.returncode, out.decode(), err.decode(errors="replace")


def index_with_peak_rss(folder: Path, library: Path, bundle: Path, env: dict) -> tuple[int, str, int]:
    """``photoseek index``, returning (exit code, stderr, peak RSS in MB of that process).

    The peak is the kernel's high-water mark (VmHWM) of the child, read while it runs: it
    belongs to the exec'd program alone (wait4's ru_maxrss would include the forked copy of
    this test process, which holds the panorama it generated).
    """
    env = cli_env(env)
    cmd = photoseek_cmd("index", str(folder), "--model", str(bundle), library=library)
    peak_kb = 0
    with open(library.parent / "index.stderr", "w+b") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env, cwd=ROOT)
        deadline = time.monotonic() + 300
        while proc.poll() is None:
            try:
                status = Path(f"/proc/{proc.pid}/status").read_text()
                peak_kb = max(peak_kb, int(status.split("VmHWM:")[1].split()[0]))
            except (OSError, IndexError, ValueError):
                pass  # exiting
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise AssertionError("photoseek index hung on the bad-file corpus")
            time.sleep(0.02)
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    return proc.returncode, stderr, peak_kb // 1024


def as_key(path: str | Path) -> bytes:
    return os.fsencode(os.fspath(path))


@pytest.fixture(scope="session")
def panorama(tmp_path_factory) -> Path:
    return panorama_jpeg(tmp_path_factory.mktemp("panorama") / "panorama.jpg")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, toyclip_bundle, panorama):
    root = tmp_path_factory.mktemp("hostile")
    folder, library = root / "photos", root / "lib"
    cases = write_corpus(folder, root / "outside", panorama=panorama)
    env = unreadable_env(dict(os.environ), root / "hook", unreadable_paths(cases))
    code, stderr, rss_mb = index_with_peak_rss(folder, library, toyclip_bundle, env)
    return {"root": root, "folder": folder, "library": library, "cases": cases, "env": env,
            "code": code, "stderr": stderr, "rss_mb": rss_mb}


def _json(corpus, *args: str):
    code, out, err = cli(*args, "--json", library=corpus["library"], env=corpus["env"])
    assert code == 0, err
    return json.loads(out)


def _expected(corpus, outcome: str) -> dict[bytes, object]:
    return {as_key(c.path): c for c in corpus["cases"] if c.outcome == outcome}


def _catalog_rows(library: Path) -> dict[bytes, tuple]:
    conn = sqlite3.connect(f"file:{library / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT path, id, width, height, status FROM photos").fetchall()
    finally:
        conn.close()
    return {bytes(r[0]): r[1:] for r in rows}


def _vectors(library: Path) -> dict[bytes, np.ndarray]:
    conn = sqlite3.connect(f"file:{library / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT p.path, e.vector FROM embeddings e JOIN photos p ON p.id = e.photo_id").fetchall()
    finally:
        conn.close()
    return {bytes(p): np.frombuffer(v, dtype=np.float32) for p, v in rows}


def test_index_runs_through_without_crashing(corpus):
    assert corpus["code"] == 0, corpus["stderr"]
    assert "Traceback" not in corpus["stderr"] and "Logging error" not in corpus["stderr"]
    assert "Warning" not in corpus["stderr"]  # decoder warnings (corrupt EXIF) go to the log file only
    n_indexed, n_failed = len(_expected(corpus, INDEXED)), len(_expected(corpus, FAILED))
    assert f"indexed {n_indexed} photo(s), {n_failed} failed (see `photoseek failures`)" in corpus["stderr"]


def test_status_json_is_exact(corpus):
    n_indexed, n_failed = len(_expected(corpus, INDEXED)), len(_expected(corpus, FAILED))
    assert _json(corpus, "status") == {
        "photos": n_indexed + n_failed,
        "indexed": n_indexed,
        "pending": 0,
        "failed": n_failed,
        "folders": 1,
        "model": TOYCLIP_NAME,
        "offline_folders": [],
        "library": str(corpus["library"]),
        "videos": 0,
        "ocr_done": n_indexed,  # every photo that could be embedded had its text read too
        "ocr_pending": 0,
        "faces": 0,  # no photo of the corpus shows a face
        "people": 0,
    }


def test_failures_json_is_exact_with_readable_reasons(corpus):
    failures = _json(corpus, "failures")
    expected = _expected(corpus, FAILED)
    got = {as_key(f["path"]): f["reason"] for f in failures}
    assert set(got) == set(expected), sorted(got)
    assert len(failures) == len(got)  # each file once
    assert [as_key(f["path"]) for f in failures] == sorted(got)  # listed in path order
    for key, reason in got.items():
        case = expected[key]
        assert case.reason in reason, (case.name, reason)
        assert "\n" not in reason and "Traceback" not in reason and 10 < len(reason) < 300, (case.name, reason)


def test_everything_else_is_indexed_once_and_searchable(corpus):
    hits = _json(corpus, "search", "a photo", "--limit", "500")
    got = [as_key(h["path"]) for h in hits]
    assert len(got) == len(set(got))  # no duplicates (symlinks to one file are one photo)
    assert set(got) == set(_expected(corpus, INDEXED))
    ignored = set(_expected(corpus, IGNORED))
    assert not ignored & set(_catalog_rows(corpus["library"]))  # loops, FIFOs, dirs, duplicate links: not photos
    alias = as_key(corpus["folder"] / "a_alias_dir")
    assert not [k for k in got if k.startswith(alias + b"/")]  # nothing indexed under a directory alias
    assert all(Path(os.fsdecode(k)).exists() for k in got)


def test_panorama_indexed_within_memory_budget(corpus):
    rows = _catalog_rows(corpus["library"])
    _, width, height, status = rows[as_key(corpus["folder"] / "panorama.jpg")]
    assert (width, height, status) == (*PANORAMA_SIZE, "ok")  # the original size, decoded reduced
    assert corpus["rss_mb"] < RSS_BUDGET_MB, f"peak RSS {corpus['rss_mb']} MB"


def _thumbnail(corpus, name: str) -> Image.Image:
    photo_id = _catalog_rows(corpus["library"])[as_key(corpus["folder"] / name)][0]
    with LibraryReader.open(corpus["library"]) as reader:
        path = reader.thumbnail_path(photo_id)
    with Image.open(path) as im:
        return im.convert("RGB")


def _is(pixel, colour, tol=60) -> bool:
    return all(abs(int(a) - b) <= tol for a, b in zip(pixel, colour))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_gives_upright_thumbnail_and_embedding(corpus, orientation):
    thumb = _thumbnail(corpus, f"orientation_{orientation}.jpg")
    assert thumb.size == (256, 154)  # landscape, like the upright original (320 x 192)
    w, h = thumb.size
    assert _is(thumb.getpixel((10, 10)), (230, 20, 20)), thumb.getpixel((10, 10))  # red block top-left
    assert _is(thumb.getpixel((w - 10, h - 10)), (20, 20, 230)), thumb.getpixel((w - 10, h - 10))  # blue bottom-right
    rows = _catalog_rows(corpus["library"])
    assert rows[as_key(corpus["folder"] / f"orientation_{orientation}.jpg")][1:3] == (320, 192)
    vectors = _vectors(corpus["library"])
    upright = vectors[as_key(corpus["folder"] / "orientation_1.jpg")]
    this = vectors[as_key(corpus["folder"] / f"orientation_{orientation}.jpg")]
    assert float(upright @ this) > 0.99


def test_colour_modes_are_converted_sensibly(corpus):
    gif = _thumbnail(corpus, "animated.gif")
    assert _is(gif.getpixel((60, 45)), (220, 30, 30), 20)  # the first frame, not a later one
    pal = _thumbnail(corpus, "palette_alpha.png")
    assert _is(pal.getpixel((50, 60)), (0, 128, 0), 20) and _is(pal.getpixel((150, 60)), (255, 255, 255), 5)
    sixteen = np.asarray(_thumbnail(corpus, "sixteen_bit.png").convert("L"), dtype=np.int32)
    assert sixteen[:, :8].mean() < 20 and sixteen[:, -8:].mean() > 235  # full range, not clipped to white
    cmyk = np.asarray(_thumbnail(corpus, "cmyk.jpg"), dtype=np.float32)
    original = np.asarray(photo(3, (320, 240)).resize(cmyk.shape[1::-1]), dtype=np.float32)
    assert np.abs(cmyk - original).mean() < 25  # colours survive CMYK -> RGB
    one = _thumbnail(corpus, "one_pixel.png")
    assert one.size == (1, 1)


def test_failures_are_retried_only_when_they_change(corpus):
    library, folder = corpus["library"], corpus["folder"]
    code, _, err = cli("index", str(folder), library=library, env=corpus["env"])
    assert code == 0 and "indexed 0 photo(s)" in err, err  # nothing re-decoded, failures not retried
    before = _json(corpus, "failures")
    write_photo(folder / "truncated.jpg", 99, (320, 240))  # the user repairs one file
    code, _, err = cli("index", str(folder), library=library, env=corpus["env"])
    assert code == 0 and "indexed 1 photo(s)" in err, err
    after = _json(corpus, "failures")
    assert [f for f in before if not f["path"].endswith("truncated.jpg")] == after
    assert _json(corpus, "status")["failed"] == len(_expected(corpus, FAILED)) - 1


def test_log_lines_with_undecodable_file_names_are_written(tmp_path):
    code = (
        "import logging, os, sys, warnings; from pathlib import Path; from app.cli import terminal; "
        "terminal.configure_logging(False, Path(sys.argv[1])); "
        "logging.getLogger('indexer.clip.pipeline').warning('decoding %s took too long', os.fsdecode(b'caf\\xe9.jpg')); "
        "warnings.warn('Corrupt EXIF data.')"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=cli_env())
    assert proc.returncode == 0, proc.stderr
    assert "Logging error" not in proc.stderr and "Corrupt EXIF" not in proc.stderr
    assert "caf\\udce9.jpg took too long" in proc.stderr
    log = (tmp_path / "photoseek.log").read_text(encoding="utf-8")
    assert "caf\\udce9.jpg took too long" in log and "Corrupt EXIF data" in log


# -- in-process faults: what happens while a file is being decoded -------------------------------


def _index(lib: Library, folder: Path | None = None) -> None:
    for _ in lib.index([folder] if folder else None):
        pass


@pytest.mark.parametrize("workers", [0, 2])
def test_file_vanishing_or_rewritten_during_decoding(tmp_path, toyclip_bundle, monkeypatch, workers):
    import indexer.clip.pipeline as pipeline

    folder = tmp_path / "photos"
    paths = write_library(folder, 6)
    vanish, rewrite = paths[1], paths[2]
    real_decode = pipeline.decode_image

    def hostile_decode(path, cfg, **kw):
        image = real_decode(path, cfg, **kw)
        if Path(path) == vanish:
            vanish.unlink()
        elif Path(path) == rewrite and not getattr(hostile_decode, "rewritten", False):
            hostile_decode.rewritten = True
            time.sleep(0.01)  # a distinct mtime
            write_photo(rewrite, 4321, (500, 300))
        return image

    monkeypatch.setattr(pipeline, "decode_image", hostile_decode)
    with Library.open(tmp_path / "lib", model=str(toyclip_bundle)) as lib:
        lib.settings.decode_workers = workers
        _index(lib, folder)
        status = lib.status()
        assert status.failed == 0 and lib.reader().failures() == []  # neither is recorded as a bad file
        assert status.indexed == 4 and status.pending == 2  # both left for the next scan
        _index(lib)  # the next scan sees one gone, one changed
        status = lib.status()
        assert (status.photos, status.indexed, status.pending, status.failed) == (5, 5, 0, 0)
        top = lib.reader().search(Query(image=rewrite, limit=1, exclude_self=False))[0]
        assert top.path == rewrite and top.score == pytest.approx(1.0, abs=1e-4)  # the new content's vector
        assert vanish not in {h.path for h in lib.reader().search(Query(text="x", limit=50))}


def test_decodes_that_hang_are_cut_off_without_starving_the_rest(tmp_path, toyclip_bundle, monkeypatch):
    import indexer.clip.pipeline as pipeline

    folder = tmp_path / "photos"
    paths = write_library(folder, 12)
    stuck = {paths[2], paths[3]}  # as many stuck files as decode workers
    real_decode = pipeline.decode_image

    def slow_decode(path, cfg, **kw):
        if Path(path) in stuck:
            time.sleep(5)  # a stalled network share
        return real_decode(path, cfg, **kw)

    monkeypatch.setattr(pipeline, "decode_image", slow_decode)
    monkeypatch.setitem(EmbeddingPipeline.__init__.__kwdefaults__, "decode_timeout", 1.0)
    with Library.open(tmp_path / "lib", model=str(toyclip_bundle)) as lib:
        lib.settings.decode_workers = 2
        lib.settings.ocr = False  # the time limit is the embedding stage's; reading text comes after it
        started = time.monotonic()
        _index(lib, folder)
        assert time.monotonic() - started < 5  # did not wait for the stuck files
        failures = lib.reader().failures()
        assert {f.path for f in failures} == stuck  # only they fail: the files queued behind them do not
        assert all("longer than 1 s" in f.reason for f in failures)
        assert lib.status().indexed == 10


HANGING_INDEX = """
import sys, threading
from pathlib import Path
import indexer.clip.pipeline as pipeline
from indexer.library import Library
real = pipeline.decode_image
def decode(path, cfg, **kw):
    if Path(path).name == "hangs.jpg":
        threading.Event().wait()  # never returns
    return real(path, cfg, **kw)
pipeline.decode_image = decode
pipeline.EmbeddingPipeline.__init__.__kwdefaults__["decode_timeout"] = 1.0
with Library.open(sys.argv[1], model=sys.argv[2]) as lib:
    lib.settings.people = False  # no faces here: the 1 s decode limit is for the hanging decode alone
    for _ in lib.index([sys.argv[3]]):
        pass
    print(lib.status().indexed, lib.status().failed)
"""


def test_a_decode_that_never_returns_does_not_keep_the_process_alive(tmp_path, toyclip_bundle):
    folder = tmp_path / "photos"
    write_library(folder, 4)
    write_photo(folder / "hangs.jpg", 9)
    proc = subprocess.run([sys.executable, "-c", HANGING_INDEX, str(tmp_path / "lib"), str(toyclip_bundle), str(folder)],
                          capture_output=True, text=True, env=cli_env(), cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["4", "1"]
    assert "took longer than 1 s" in proc.stderr
