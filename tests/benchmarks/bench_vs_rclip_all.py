"""Benchmark: everything Photoseek does on a phone-like folder against rclip 3.3's CLIP alone, side by side.

    python -m tests.benchmarks.bench_vs_rclip_all                  # 48 photos of the mix, 3 rounds
    python -m tests.benchmarks.bench_vs_rclip_all --rounds 2 --photos 96
    python -m tests.benchmarks.bench_vs_rclip_all --searchable 1000  # time to searchable, 1,000 photos

The photos: ``phone_mix.py`` (real wallpapers at 12 MP with grain, EXIF date and GPS; one in eight with a
sign).  The model and rclip's setup: those of ``bench_vs_rclip.py`` (the same ONNX graphs for both).  Each
round runs, in an order that alternates, from a fresh state: ``rclip -f -t 1 x``; ``photoseek index`` with
every default stage (CLIP, text in photos, places, fingerprints); and ``photoseek index --no-ocr``.  It
prints wall clock and CPU time (user + system of the command and its children, which another program's
load on the 2 shared cores disturbs far less) for each, and both ratios: rclip's time / Photoseek's.

``--searchable N``: ``photoseek index`` on N photos (the mix's files linked over and over under new names)
with and without text reading, while another connection counts the photos with a CLIP vector in the
catalog every 0.2 s: how long after the command starts the first and the last photo can be found by CLIP,
and when the command ends (text read).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import ROOT, cli_env

from ._common import CACHE, load, median, parser, table
from .bench_vs_rclip import photoseek_bundle, rclip_executable, rclip_models, run_photoseek, run_rclip
from .phone_mix import make_mix


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(fn: Callable[[], float]) -> tuple[float, float]:
    """(wall s, CPU s of the children) of one whole command."""
    before = children_cpu()
    wall = fn()
    return wall, children_cpu() - before


def linked_folder(paths: list[Path], n: int, folder: Path) -> Path:
    """``n`` photos: the mix's files again and again, each copy with its own bytes after the JPEG's end (the
    same pixels; a different file, which the indexer would otherwise take for the same photo)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        target = folder / f"IMG_{i:05d}.jpg"
        source = paths[i % len(paths)]
        if target.exists():
            continue
        if i < len(paths):
            os.link(source, target)
        else:
            target.write_bytes(source.read_bytes() + f"copy {i}".encode())
    return folder


def searchable(bundle: Path, folder: Path, work: Path, ocr: bool) -> tuple[float | None, float | None, float, int]:
    """(first, last photo with a CLIP vector, end of the command: s after its start, photos) of one index."""
    library = work / "photoseek-library"
    shutil.rmtree(library, ignore_errors=True)
    n = len(list(folder.iterdir()))
    env = cli_env(PHOTOSEEK_MODELS=str(work / "models"))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "--library", str(library), "index", str(folder),
                             "--model", str(bundle)] + ([] if ocr else ["--no-ocr"]), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = last = None
    done = threading.Event()

    def poll() -> None:
        nonlocal first, last
        while not done.is_set() and last is None:
            time.sleep(0.2)
            try:
                conn = sqlite3.connect(f"file:{library / 'catalog.sqlite'}?mode=ro", uri=True, timeout=1)
                try:
                    count = conn.execute("SELECT COUNT(DISTINCT photo_id) FROM embeddings").fetchone()[0]
                finally:
                    conn.close()
            except sqlite3.Error:
                continue
            now = time.perf_counter() - started
            if count and first is None:
                first = now
            if count >= n:
                last = now

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    _, err = proc.communicate()
    end = time.perf_counter() - started
    done.set()
    watcher.join()
    if proc.returncode != 0:
        raise SystemExit(f"photoseek failed ({proc.returncode}): {err[-2000:]}")
    return first, last, end, n


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=48)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--searchable", type=int, default=0, metavar="N", help="time to searchable on N photos")
    p.add_argument("--mix", type=Path, default=CACHE / "phone-mix")
    args = p.parse_args()
    n = 8 if args.quick else args.photos
    rounds = 1 if args.quick else args.rounds
    bundle = photoseek_bundle()
    work = CACHE / "vs-rclip-all-work"
    work.mkdir(parents=True, exist_ok=True)
    if args.searchable:
        folder = linked_folder(make_mix(args.mix, 48), args.searchable, CACHE / f"phone-mix-linked-{args.searchable}")
        rows = []
        for ocr in (False, True):
            first, last, end, count = searchable(bundle, folder, work, ocr)
            rows.append(("on" if ocr else "off", count, f"{first:.1f}" if first else "-",
                         f"{last:.1f}" if last else "-", f"{end:.1f}", load()))
            print(table(rows[-1:], ("text", "photos", "first s", "last s", "command s", "load")), flush=True)
        print()
        print(table(rows, ("text reading", "photos", "first searchable s", "last searchable s", "command ends s",
                           "load")))
        return
    exe = rclip_executable()
    models = rclip_models(bundle)
    paths = make_mix(args.mix, n)
    folder = paths[0].parent if n == len(list(args.mix.glob("*.jpg"))) else linked_folder(paths, n, CACHE / f"mix-{n}")
    print(f"{n} phone-like photos 4000x3000 in {folder}; the same graphs for both; {load()}", flush=True)
    sides: dict[str, Callable[[], float]] = {
        "rclip": lambda: run_rclip(exe, models, folder, work),
        "photoseek": lambda: run_photoseek(bundle, folder, work, ocr=True),
        "no-ocr": lambda: run_photoseek(bundle, folder, work),
    }
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    rows = []
    for r in range(1, rounds + 1):
        ld = load()
        order = list(sides) if r % 2 else list(sides)[::-1]
        for who in order:
            got[who].append(timed(sides[who]))
        (rw, rc), (pw, pc), (nw, nc) = (got[k][-1] for k in ("rclip", "photoseek", "no-ocr"))
        rows.append((r, " then ".join(order), f"{rw:.1f} / {rc:.1f}", f"{pw:.1f} / {pc:.1f}", f"{nw:.1f} / {nc:.1f}",
                     f"{rw / pw:.2f}x ({rc / pc:.2f}x)", f"{rw / nw:.2f}x ({rc / nc:.2f}x)", ld))
        print(table(rows[-1:], HEADERS), flush=True)
    print()
    print(table(rows, HEADERS))
    for label, key in (("everything on", "photoseek"), ("--no-ocr", "no-ocr")):
        walls = [r[0] / s[0] for r, s in zip(got["rclip"], got[key])]
        cpus = [r[1] / s[1] for r, s in zip(got["rclip"], got[key])]
        print(f"{label}: {median(walls):.2f}x rclip by wall clock (per round {', '.join(f'{x:.2f}' for x in walls)}), "
              f"{median(cpus):.2f}x by CPU time")
    print(load())


HEADERS = ("round", "order", "rclip wall / CPU s", "photoseek (all) s", "--no-ocr s", "all: rclip/ps (CPU)",
           "--no-ocr: rclip/ps (CPU)", "load before")


if __name__ == "__main__":
    main()
