"""Reading text in photos (OCR): cost per photo, CLIP throughput with OCR on vs off, GUI-thread lateness.

    python -m tests.benchmarks.bench_text_reading [--photos 32] [--quick]

1. OCR ms/photo at the shipped settings (gate, detection and read sizes in indexer/text_reader.py):
   12 MP JPEGs with a phrase, 12 MP JPEGs without text (the gate alone), 1280x800 and 2560x1600
   screenshots.
2. CLIP indexing throughput (photos/s of the embedding stage) with the ``ocr`` setting off vs on,
   side by side on the same photos (fresh libraries; half the photos hold words).  OCR runs after
   embedding, so the embedding stage must not slow down (target: >= 0.95x).
3. GUI-thread lateness (a 10 ms Qt timer on this thread) while the writer reads text on another
   thread, against an idle baseline.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

from PIL import Image

from indexer.library import Library
from indexer.progress import Phase
from indexer.text.reader import TextReader
from indexer.text.stage import READING_TEXT
from tests.benchmarks._common import load, parser
from tests.quality.text_set import screenshot
from tests.support.bundles import TOYCLIP
from tests.support.photos import photo
from tests.support.text_images import font


def with_phrase(image: Image.Image, text: str, px: int) -> Image.Image:
    from PIL import ImageDraw

    out = image.copy()
    ImageDraw.Draw(out).text((image.width // 8, image.height // 3), text, font=font(px), fill=(250, 250, 250),
                             stroke_width=max(1, px // 16), stroke_fill=(0, 0, 0))
    return out


def ocr_cost(folder: Path, n: int) -> None:
    import numpy as np

    reader = TextReader()
    cases: dict[str, list[Path]] = {"12 MP JPEG with a phrase": [], "12 MP JPEG without text": [],
                                    "screenshot 1280x800": [], "screenshot 2560x1600": []}
    rng = np.random.default_rng(3)
    for i in range(n):
        big = photo(700 + i, (4000, 3000))
        path = folder / f"text12mp_{i}.jpg"
        with_phrase(big, f"harbor {i} lantern", 96).save(path, quality=90)
        cases["12 MP JPEG with a phrase"].append(path)
        path = folder / f"plain12mp_{i}.jpg"
        big.save(path, quality=90)
        cases["12 MP JPEG without text"].append(path)
        shot = screenshot(rng, f"wifi password amber{i}", 14)
        path = folder / f"shot_{i}.png"
        shot.save(path)
        cases["screenshot 1280x800"].append(path)
        path = folder / f"shot2x_{i}.png"
        shot.resize((2560, 1600), Image.Resampling.BICUBIC).save(path)
        cases["screenshot 2560x1600"].append(path)
    reader.read_file(cases["screenshot 1280x800"][0])  # load the models
    print(f"OCR at the shipped settings ({reader.version}; {reader.threads} threads; {load()}):")
    for label, paths in cases.items():
        spent = []
        for path in paths:
            t = time.perf_counter()
            reader.read_file(path)
            spent.append((time.perf_counter() - t) * 1000)
        spent.sort()
        print(f"  {label:26s} median {spent[len(spent) // 2]:6.0f} ms/photo  (min {spent[0]:.0f}, max {spent[-1]:.0f}, "
              f"n={len(spent)})")


def clip_rate(folder: Path, library: Path, ocr: bool) -> tuple[float, float]:
    """(embedding-stage photos/s, seconds of the text stage) indexing ``folder`` into a new library."""
    shutil.rmtree(library, ignore_errors=True)
    with Library.open(library) as lib:
        lib.use_model(str(TOYCLIP))
        lib.settings.ocr = ocr
        lib.save_settings()
        started = time.perf_counter()
        embedded_at = text_done = 0.0
        count = 0
        for p in lib.index([folder]):
            now = time.perf_counter()
            if p.phase is Phase.INDEXING and p.total:
                count, embedded_at = p.done, now
            if p.phase is READING_TEXT:
                text_done = now
        return count / (embedded_at - started), max(0.0, text_done - embedded_at)


def clip_with_and_without_ocr(root: Path, n: int, rounds: int) -> None:
    folder = root / "clip-photos"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        image = photo(900 + i, (1024, 768))
        (with_phrase(image, f"receipt total {i}", 40) if i % 2 else image).save(folder / f"p{i:03d}.jpg", quality=90)
    rates: dict[bool, list[float]] = {}
    for _ in range(rounds):
        for ocr in (False, True):  # alternated, so both see the same load
            rate, text_s = clip_rate(folder, root / "lib", ocr)
            rates.setdefault(ocr, []).append(rate)
            print(f"  ocr {'on ' if ocr else 'off'}: embedding {rate:5.1f} photos/s; text stage afterwards "
                  f"{text_s:5.1f} s")
    off, on = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"CLIP embedding throughput, OCR on / off: {on / off:.2f}x  (medians of {rounds}: {on:.1f} / {off:.1f} "
          f"photos/s; {n} photos; {load()})")


def gui_lateness(root: Path, n: int) -> None:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from tests.app.test_responsiveness import LatenessProbe

    app = QCoreApplication.instance() or QCoreApplication([])
    folder = root / "clip-photos"

    def probe_while(work: threading.Thread | None, seconds: float) -> LatenessProbe:
        probe = LatenessProbe(10)
        probe.start()
        if work is not None:
            work.start()
        loop = QEventLoop()
        deadline = time.monotonic() + seconds
        timer = QTimer()
        timer.timeout.connect(lambda: loop.quit() if (work is None and time.monotonic() > deadline) or (
            work is not None and not work.is_alive()) else None)
        timer.start(50)
        loop.exec()
        probe.stop()
        return probe

    idle = probe_while(None, 5.0)
    library = root / "lib-gui"
    shutil.rmtree(library, ignore_errors=True)
    with Library.open(library) as lib:
        lib.use_model(str(TOYCLIP))
        lib.settings.ocr = False
        lib.save_settings()
        list(lib.index([folder]))

        def read() -> None:
            for _ in lib.deferred_stages():
                pass

        busy = probe_while(threading.Thread(target=read, name="photoseek-index"), 0)
    print(f"GUI-thread lateness of a 10 ms timer: idle p99 {idle.p99() * 1000:.1f} ms (worst {idle.worst() * 1000:.1f}); "
          f"while reading text p99 {busy.p99() * 1000:.1f} ms (worst {busy.worst() * 1000:.1f}); {load()}")
    del app


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=32)
    p.add_argument("--rounds", type=int, default=3, help="alternations of OCR off/on for the CLIP throughput")
    p.add_argument("--parts", default="cost,clip,gui", help="which figures: cost, clip, gui (comma-separated)")
    args = p.parse_args()
    n = 4 if args.quick else args.photos
    parts = set(args.parts.split(","))
    root = Path(tempfile.mkdtemp(prefix="photoseek-bench-text-"))
    try:
        if "cost" in parts:
            ocr_cost(root, max(2, n // 4))
        clip_with_and_without_ocr(root, n, 1 if args.quick else args.rounds)
        if "gui" in parts:
            gui_lateness(root, n)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
