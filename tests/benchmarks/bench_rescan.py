"""Benchmark (d): re-scanning an unchanged 100k-photo library with ``Library.scan()`` (target <= 10 s).

    python -m tests.benchmarks.bench_rescan            # 100,000 photos
    python -m tests.benchmarks.bench_rescan --quick    # 5,000 photos

Files: one tiny valid JPEG (a few hundred bytes) written 100k times into nested folders
(``root/a00..a09/b00..b19/`` 500 files each; reused between runs from the cache folder).
Catalog: one row per file inserted through ``Catalog.insert_photo`` with the file's own size and
mtime_ns, as an earlier index run would have left them.  Then ``Library.scan()`` runs three times;
every run must find all photos unchanged, decode nothing, hash nothing (asserted by counting calls to
the decoder, Pillow's ``Image.open`` and the quick hash).  The split (walk / catalog read / reconcile)
is timed separately afterwards.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from pathlib import Path

from PIL import Image

import indexer.clip.pipeline as pipeline_mod
import indexer.library as library_mod
import indexer.models.preprocess as preprocess
import indexer.scanner as scanner
from indexer.catalog import encode_path
from indexer.library import Library
from indexer.scanner import Excluder, reconcile, walk

from ._common import CACHE, load, parser, table


def tiny_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (120, 140, 90)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def make_files(root: Path, n: int) -> list[Path]:
    marker = root / f".complete-{n}"
    per_leaf = 500
    paths = []
    for i in range(n):
        leaf = i // per_leaf
        paths.append(root / f"a{leaf // 20:02d}" / f"b{leaf % 20:02d}" / f"IMG_{i:06d}.jpg")
    if marker.exists():
        return paths
    shutil.rmtree(root, ignore_errors=True)
    data = tiny_jpeg()
    started = time.monotonic()
    for p in paths:
        if not p.parent.is_dir():
            p.parent.mkdir(parents=True)
        with open(p, "wb") as f:
            f.write(data)
    marker.write_bytes(b"")
    print(f"wrote {n:,} files of {len(data)} bytes in {time.monotonic() - started:.1f} s")
    return paths


class Counter:
    def __init__(self) -> None:
        self.calls = {"decode_image": 0, "Image.open": 0, "quick_hash": 0}
        self._saved: list[tuple[object, str, object]] = []

    def wrap(self, owner: object, attr: str, key: str) -> None:
        original = getattr(owner, attr)

        def counted(*a, **kw):
            self.calls[key] += 1
            return original(*a, **kw)

        self._saved.append((owner, attr, original))
        setattr(owner, attr, counted)

    def __enter__(self) -> Counter:
        self.wrap(preprocess, "decode_image", "decode_image")
        self.wrap(pipeline_mod, "decode_image", "decode_image")
        self.wrap(Image, "open", "Image.open")
        self.wrap(scanner, "quick_hash", "quick_hash")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attr, original in reversed(self._saved):
            setattr(owner, attr, original)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    n = 5_000 if args.quick else args.photos
    root = CACHE / f"rescan-files-{n}"
    paths = make_files(root, n)
    lib_dir = CACHE / f"rescan-library-{n}"
    shutil.rmtree(lib_dir, ignore_errors=True)

    started = time.monotonic()
    with Library.open(lib_dir) as lib:
        folder = lib.add_folder(root)
        cat = lib.catalog
        with cat.transaction():
            for i, path in enumerate(paths):
                st = os.stat(path)
                cat.insert_photo(path, folder.id, st.st_size, st.st_mtime_ns, f"{i:032x}")
    print(f"catalog of {n:,} rows written in {time.monotonic() - started:.1f} s "
          f"({(lib_dir / library_mod.CATALOG_FILE).stat().st_size / 2**20:.0f} MiB)")

    rows = []
    with Library.open(lib_dir) as lib:
        for run in range(1, args.runs + 1):
            ld = load()
            with Counter() as counter:
                started, c0 = time.perf_counter(), time.process_time()
                result = lib.scan()
                wall, cpu = time.perf_counter() - started, time.process_time() - c0
            assert result.unchanged == n and result.seen == n, result
            assert result.new == result.changed == result.moved == result.deleted == result.copied == 0, result
            assert all(v == 0 for v in counter.calls.values()), counter.calls
            rows.append((f"scan #{run}", f"{wall:.2f}", f"{cpu:.2f}", f"{n / wall:,.0f}", str(counter.calls), ld))

        # The split, timed on its own (same work as scan, stage by stage).
        folder_row = lib.catalog.folders()[0]
        t0 = time.perf_counter()
        seen = {encode_path(e.path): e for e in walk(folder_row, Excluder(lib.settings.excluded))}
        t1 = time.perf_counter()
        known = lib.catalog.photos_in_folder(folder_row.id)
        t2 = time.perf_counter()
        reconcile(lib.catalog, seen, known)
        t3 = time.perf_counter()
    split = [("walk (scandir + stat)", f"{t1 - t0:.2f}"), ("catalog rows (photos_in_folder)", f"{t2 - t1:.2f}"),
             ("reconcile (compare, 1 transaction)", f"{t3 - t2:.2f}")]

    print(f"\nRescan of an unchanged library of {n:,} photos (files in {root})")
    print(table(rows, ("run", "wall s", "CPU s", "photos/s", "calls (must be 0)", "load before")))
    print("\nsplit of one more scan:")
    print(table(split, ("stage", "s")))
    print("\ntarget: <= 10 s for 100,000 photos, nothing decoded")


if __name__ == "__main__":
    main()
