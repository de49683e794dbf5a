"""Benchmark: duplicate finding -- fingerprint cost per photo, and grouping a 100k-photo library.

    python -m tests.benchmarks.bench_duplicates            # 100,000 photos
    python -m tests.benchmarks.bench_duplicates --quick    # 5,000 photos

1. Fingerprint cost at index time: ``indexer.duplicates.photo_hash.fingerprint`` on the thumbnail the
   pipeline's decode already made (256 px, generated photo-like images), per photo; the decode
   itself (``decode_image``, 1600x1200 JPEG, toy CLIP preprocessing) for scale.
2. Grouping: a catalog of ``--photos`` photos written through ``Catalog.insert_photo`` and
   ``DuplicateTables.record_fingerprints`` (random fingerprints with their crop windows, plus 5%
   near copies with 0-10 bits flipped and a slightly changed colour, 1% exact copies, and 2% burst
   shots 1-3 s after their original), with CLIP-sized vectors stored as an indexed library would
   have them; then ``LibraryReader.duplicates()`` (all kinds) timed end to end: reading the
   candidates from the catalog, comparing every pair of hashes (two threads), checking the pairs
   within ``CROP_BAND`` bits against their crop windows, classifying and grouping.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from indexer.duplicates.photo_hash import COLOUR_BYTES, CROP_BYTES, Fingerprint, fingerprint
from indexer.duplicates.tables import DuplicateTables
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.models.bundle import ModelBundle
from indexer.models.preprocess import decode_image
from tests.support.bundles import TOYCLIP
from tests.support.photos import photo

from ._common import CACHE, load, parser, table


def fingerprint_cost(n: int) -> list[tuple]:
    cfg = ModelBundle.load(TOYCLIP).preprocess
    folder = CACHE / "duplicates-photos"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"p{i:03d}.jpg"
        if not path.exists():
            photo(i, (1600, 1200)).save(path, quality=90)
        paths.append(path)
    decode_s, print_s = [], []
    for path in paths:
        t0 = time.perf_counter()
        decoded = decode_image(path, cfg)
        t1 = time.perf_counter()
        fingerprint(decoded.thumbnail)
        t2 = time.perf_counter()
        decode_s.append(t1 - t0)
        print_s.append(t2 - t1)
    ld = load()
    return [
        ("fingerprint from the thumbnail", f"{np.median(print_s) * 1000:.3f} ms", f"{np.percentile(print_s, 95) * 1000:.3f} ms", ld),
        ("decode_image (for scale)", f"{np.median(decode_s) * 1000:.1f} ms", f"{np.percentile(decode_s, 95) * 1000:.1f} ms", ld),
    ]


def write_library(lib_dir: Path, n: int) -> None:
    rng = np.random.default_rng(0)
    root = lib_dir.parent / "photos"
    root.mkdir(parents=True, exist_ok=True)
    shapes = rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, size=n, dtype=np.uint64)
    colours = rng.integers(0, 256, size=(n, COLOUR_BYTES), dtype=np.uint8)
    crops = rng.integers(0, 256, size=(n, CROP_BYTES), dtype=np.uint8)
    taken = [datetime(2020, 1, 1) + timedelta(minutes=int(m)) for m in rng.integers(0, 60 * 24 * 365 * 3, size=n)]
    hashes = [f"{i:032x}" for i in range(n)]
    sizes = [1000 + i for i in range(n)]
    for i in rng.choice(n, size=n // 20, replace=False):  # near copies of another photo
        j = int(rng.integers(0, n))
        flips = rng.choice(64, size=int(rng.integers(0, 11)), replace=False)
        shapes[i] = shapes[j] ^ np.uint64(sum(1 << int(f) for f in flips))
        colours[i] = np.clip(colours[j].astype(int) + rng.integers(-3, 4, COLOUR_BYTES), 0, 255)
        crops[i] = crops[j]
    for i in rng.choice(n, size=n // 100, replace=False):  # exact copies
        j = int(rng.integers(0, n))
        shapes[i], colours[i], crops[i], hashes[i], sizes[i] = shapes[j], colours[j], crops[j], hashes[j], sizes[j]
    for i in rng.choice(n, size=n // 50, replace=False):  # burst shots
        j = int(rng.integers(0, n))
        shapes[i] = shapes[j] ^ np.uint64(1 << int(rng.integers(0, 64)))
        colours[i] = colours[j]
        taken[i] = taken[j] + timedelta(seconds=int(rng.integers(1, 4)))
    with Library.open(lib_dir) as lib:
        folder = lib.add_folder(root)
        cat = lib.catalog
        dim = 512
        cat.conn.execute("INSERT INTO models(name, source, dim, added_at, label) VALUES ('bench', 'bench', ?, 0, 'bench')",
                         (dim,))
        with cat.transaction():
            for i in range(n):
                pid = cat.insert_photo(root / f"IMG_{i:06d}.jpg", folder.id, sizes[i], i, hashes[i])
                cat.conn.execute("UPDATE photos SET width=4000, height=3000, taken_at=? WHERE id=?",
                                 (taken[i].isoformat(), pid))
                cat.conn.execute("INSERT INTO embeddings(photo_id, model, seq, vector) VALUES (?, 'bench', ?, ?)",
                                 (pid, pid, rng.standard_normal(dim).astype(np.float32).tobytes()))
            rows = cat.photos_by_id(list(range(1, n + 1)))
            DuplicateTables(cat).record_fingerprints(
                (rows[i + 1], Fingerprint(int(shapes[i]), bytes(colours[i]), bytes(crops[i]))) for i in range(n))


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=100_000)
    args = p.parse_args()
    n = 5_000 if args.quick else args.photos
    print(table(fingerprint_cost(20 if args.quick else 100), ("step", "median", "p95", "load")))
    print()
    lib_dir = CACHE / f"duplicates-library-{n}" / "library"
    shutil.rmtree(lib_dir.parent, ignore_errors=True)
    started = time.monotonic()
    write_library(lib_dir, n)
    print(f"catalog of {n:,} photos with fingerprints and 512-d vectors written in {time.monotonic() - started:.0f} s")
    rows = []
    with LibraryReader.open(lib_dir) as reader:
        for run in (1, 2):
            ld = load()
            t0, c0 = time.perf_counter(), time.process_time()
            rows_read = DuplicateTables(reader.catalog).candidates()
            t1 = time.perf_counter()
            gen = reader.duplicates()
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                groups = stop.value
            t2, c2 = time.perf_counter(), time.process_time()
            kinds = {k: sum(1 for g in groups if g.kind == k) for k in ("exact", "near", "burst")}
            rows.append((f"run {run}", f"{n:,}", f"{t1 - t0:.1f} s", f"{t2 - t0:.1f} s", f"{c2 - c0:.1f} s",
                         f"{len(groups):,} {kinds}", len(rows_read), ld))
    print(table(rows, ("grouping", "photos", "read candidates", "total (incl. read)", "cpu", "groups", "rows", "load")))


if __name__ == "__main__":
    main()
