#!/usr/bin/env python3
"""Screenshots of the real Photoseek window, one per search mode.

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py --model BUNDLE_DIR

Generates a folder of photo-like scenes (tests/quality/world.py: shapes of
every colour on skies, grass, water, wood and sand, by day and at night),
indexes it with the real ``Library`` and the given model bundle, starts the
real app (``PhotoseekApp``) on that library and drives it like a user:
the library before any query (months, the date scrubber), a text query
(with its best matches), a dropped photo, a sketch drawn with the mouse, a
photo plus edit words with the blend slider, and the list of unreadable
files.  The photos' file times are spread over six years (they have no EXIF
date) and two files in one album are not images.  PNGs go to
``docs/screenshots/``.

Without ``--model`` a tiny random-weight CLIP is exported with the test
helpers (the window is real, the ranking is not meaningful); a model trained
on the generated world (``tests/fixtures/toyclip``, made by
``python -m tests.quality.train``) or a real CLIP gives meaningful results.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QPoint, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

logger = logging.getLogger("screenshots")


# ---------------------------------------------------------------- waiting without blocking
def settle(ms: int) -> None:
    """Let the event loop run for ``ms`` (the app keeps working meanwhile)."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_for(signal, timeout_ms: int = 60000) -> tuple:
    loop = QEventLoop()
    got: list = []
    def done(*args):
        got.append(args)
        loop.quit()
    signal.connect(done)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(done)
    if not got:
        raise TimeoutError(f"no {signal} within {timeout_ms} ms")
    return got[0]


def wait_until(predicate, timeout_ms: int = 30000, step_ms: int = 50) -> None:
    deadline = time.monotonic() + timeout_ms / 1000
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached")
        settle(step_ms)


# ---------------------------------------------------------------- the library
def make_photos(folder: Path, n: int, side: int) -> list:
    from tests.quality import world

    scenes = world.sample_scenes(2024, n, heldout=None)
    # a few albums, like a real Pictures folder
    albums = ["Holidays", "Garden", "Lake", "Workshop"]
    per = math.ceil(n / len(albums))
    rows = []
    for i, album in enumerate(albums):
        chunk = scenes[i * per:(i + 1) * per]
        rows += world.write_photos(chunk, folder / album, side=side, prefix=album.lower())
    months = [(2024, 8), (2024, 6), (2024, 3), (2023, 12), (2023, 7), (2023, 4), (2022, 9), (2022, 5),
              (2021, 10), (2021, 2), (2020, 8), (2019, 6)]         # a few outings a year, as in a real library
    for k, path in enumerate(sorted(folder.rglob("*.jpg"))):
        year, month = months[k * 7 % len(months)]
        when = time.mktime((year, month, 1 + k % 27, 12, 0, 0, 0, 0, -1))
        os.utime(path, (when, when))
    for name, data in (("scan-0042.jpg", b"\xff\xd8\xff\xe0 cut off by a full card"),
                       ("notes.jpg", b"shopping list: not a photo")):
        (folder / albums[0] / name).write_bytes(data)          # two files that are not images
    return rows


def build_library(work: Path, model: Path, folders: list[Path]) -> Path:
    from indexer.library import Library
    from indexer.progress import Phase

    lib_dir = work / "library"
    lib = Library.open(lib_dir)
    try:
        lib.use_model(str(model))
        for p in lib.index(folders):
            if p.phase is Phase.DONE:
                logger.info("indexed %d photos", p.done)
    finally:
        lib.close()
    return lib_dir


def pick(photos: Path, **attrs) -> Path:
    """The first generated photo whose scene matches ``attrs``."""
    import json
    for album in sorted(p for p in photos.iterdir() if p.is_dir()):
        for row in json.loads((album / "manifest.json").read_text()):
            if all(row.get(k) == v for k, v in attrs.items()):
                return album / row["file"]
    return next(iter(sorted(photos.rglob("*.jpg"))))


# ---------------------------------------------------------------- driving the window
def draw(canvas, strokes: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes on the sketch canvas; points in 0..1 canvas coordinates."""
    side = min(canvas.width(), canvas.height())
    ox, oy = (canvas.width() - side) / 2, (canvas.height() - side) / 2
    to = lambda p: QPoint(int(ox + p[0] * side), int(oy + p[1] * side))  # noqa: E731
    for stroke in strokes:
        QTest.mousePress(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to(stroke[0]))
        for a, b in zip(stroke, stroke[1:]):
            for t in (0.25, 0.5, 0.75, 1.0):       # smooth lines: intermediate moves
                QTest.mouseMove(canvas, to((a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)))
        QTest.mouseRelease(canvas, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, to(stroke[-1]))


def star(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    pts = []
    for k in range(11):
        ang = -math.pi / 2 + k * math.pi / 5
        rad = r if k % 2 == 0 else r * 0.42
        pts.append((cx + rad * math.cos(ang), cy + rad * math.sin(ang)))
    return pts


def search_and_wait(w, text: str | None = None) -> None:
    if text is not None:
        w.search_bar.setText(text)
        QTest.keyClick(w.search_bar, Qt.Key.Key_Return)
    wait_for(w.controller.resultsChanged)
    wait_thumbnails(w)


def wait_thumbnails(w) -> None:
    settle(300)
    wait_until(lambda: w.thumbnails.pending() == 0, 30000)
    settle(400)


def hover(w, row: int) -> None:
    rect = w.grid.visualRect(w.results.index(row))
    QTest.mouseMove(w.grid.viewport(), rect.center())
    settle(250)


def shoot(w, out: Path, name: str, *, small: bool = False) -> Path:
    w.grid.viewport().update()
    settle(200)
    path = out / f"{name}.png"
    w.grab().save(str(path))
    if small:
        compact(path)
    logger.info("saved %s", path)
    return path


def compact(path: Path) -> None:
    """256-colour PNG (a third of the size; thumbnails dithered, UI pixel-exact enough)."""
    from PIL import Image
    with Image.open(path) as im:
        q = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                       dither=Image.Dither.FLOYDSTEINBERG)
    q.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, help="model bundle directory (default: export the tiny test model)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    ap.add_argument("--work", type=Path, help="working directory (default: a temporary one)")
    ap.add_argument("--photos", type=int, default=160)
    ap.add_argument("--side", type=int, default=320, help="photo size in pixels")
    ap.add_argument("--theme", choices=("light", "dark"), default="light")
    ap.add_argument("--size", default="1380x880", help="window size")
    ap.add_argument("--small", action="store_true", help="256-colour PNGs (a third of the size)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    work = args.work or Path(tempfile.mkdtemp(prefix="photoseek-shots-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PHOTOSEEK_MODELS", str(work / "models"))
    photos = work / "Pictures"
    if not photos.exists():
        make_photos(photos, args.photos, args.side)
    model = args.model
    if model is None:
        from tests.support.bundles import tiny_bundle
        model = work / "models" / "tiny-clip__random"
        if not model.exists():
            model = tiny_bundle(work / "models")
    lib_dir = work / "library"
    if lib_dir.exists():
        shutil.rmtree(lib_dir)
    albums = sorted(p for p in photos.iterdir() if p.is_dir())
    build_library(work, model.resolve(), albums[:-1])      # the last album is added in the window

    from app.compat import protect_bool_singletons
    protect_bool_singletons()
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Photoseek")
    app.setDesktopFileName("photoseek")
    from app.resources import app_icon
    from app.theme import ThemeManager
    app.setWindowIcon(app_icon())
    ThemeManager(app, force=args.theme).apply()

    from app.application import PhotoseekApp
    from app.query_types import Mode
    from indexer.progress import Phase

    ui = QSettings(str(work / "ui.ini"), QSettings.Format.IniFormat)
    ui.clear()
    shell = PhotoseekApp(lib_dir, ui_settings=ui, first_run=False, watch=False)
    w = shell.window
    width, height = (int(v) for v in args.size.split("x"))
    w.resize(width, height)
    shell.start()
    wait_for(shell.ready)
    wait_for(shell.index.finished, 120000)          # the start-up rescan (nothing new)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.theme == "light" else "-dark"

    # 0. the library before any query: months, newest first, and the date scrubber
    w.set_mode(Mode.TEXT)
    wait_until(lambda: w.browse is not None and w.browse.count() > 0 and w.grid.model() is w.browse.model, 30000)
    wait_thumbnails(w)
    scrubber = w.browse.scrubber
    QTest.mouseMove(scrubber, QPoint(scrubber.width() // 2, scrubber.height() // 3))
    settle(300)
    shoot(w, out, f"browse{suffix}", small=args.small)

    # 1. text, while a newly added folder indexes (paused, to show the progress in the status bar)
    w.set_mode(Mode.TEXT)
    search_and_wait(w, "two red stars on the grass")
    progress: list = []
    shell.index.progress.connect(progress.append)
    w.add_folder(albums[-1])
    wait_until(lambda: any(p.phase is Phase.INDEXING and p.done >= 8 for p in progress), 60000)
    shell.index.pause()
    w.index_status.set_paused(True)
    settle(1500)
    hover(w, 1)
    shoot(w, out, f"text{suffix}", small=args.small)
    shell.index.resume()
    w.index_status.set_paused(False)
    wait_until(lambda: not shell.index.is_indexing(), 120000)
    settle(500)

    # 1b. the best-matches boundary, once everything is indexed
    search_and_wait(w, "two red stars on the grass")
    w.results_header.best_cut.more.click()                  # widened once
    wait_for(w.controller.resultsChanged)
    wait_thumbnails(w)
    QTest.mouseMove(w.grid.viewport(), QPoint(w.grid.viewport().width() - 5, 5))   # no hover caption
    settle(300)
    shoot(w, out, f"best-matches{suffix}", small=args.small)

    # 2. image: drop a photo
    w.set_mode(Mode.IMAGE)
    w.image_panel.chip.set_path(pick(photos, setting="water", count=3, night=False))
    search_and_wait(w)
    hover(w, 0)
    shoot(w, out, f"image{suffix}", small=args.small)

    # 3. sketch: draw a star and a wavy horizon with the mouse
    w.set_mode(Mode.SKETCH)
    canvas = w.sketch_panel.canvas
    canvas.set_change_delay(150)
    settle(300)
    draw(canvas, [star(0.5, 0.45, 0.3)])
    w.search_bar.setText("")
    wait_for(w.controller.resultsChanged)
    wait_thumbnails(w)
    shoot(w, out, f"sketch{suffix}", small=args.small)

    # 4. image + edit: a reference photo, the words, the slider
    w.set_mode(Mode.EDIT)
    w.edit_panel.chip.set_path(pick(photos, setting="sand", night=False, count=2))
    settle(200)
    w.edit_panel.blend.set_weight(0.65)
    search_and_wait(w, "at night")
    hover(w, 2)
    shoot(w, out, f"edit{suffix}", small=args.small)

    # 5. the unreadable files, from "2 unreadable" in the status bar
    w.index_status.unreadable.click()
    dlg = shell.failures_dialog
    wait_until(lambda: dlg is not None and dlg.list.topLevelItemCount() > 0, 10000)
    dlg.list.topLevelItem(0).setSelected(True)
    settle(300)
    path = out / f"failures{suffix}.png"
    dlg.grab().save(str(path))
    if args.small:
        compact(path)
    logger.info("saved %s", path)
    dlg.close()

    shell.window.close()
    shell.shutdown()
    logger.info("screenshots in %s (work dir %s)", out, work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
