"""Benchmark (e): memory and disk per photo at 1M photos (HNSW index RSS, catalog bytes).

    python -m tests.benchmarks.bench_memory                 # HNSW at 1,000,000 photos, catalog at 200,000 rows
    python -m tests.benchmarks.bench_memory --quick         # 50,000 photos

HNSW: a 1M x 512 index with the parameters of ``indexer/vector_store.py`` (M, space ip), built from
CLIP-like vectors (``ClipLikeVectors``) added in chunks of 50k so the input never sits in memory
whole; the resident growth of the process is the index's.  hnswlib's memory does not depend on
``ef_construction`` (it sets how hard the build searches, not what is stored: every element gets a
fixed-size level-0 block, upper levels are drawn at random with p = 1/M), so the build here uses
ef_construction=16 to fit in a few minutes; the file is then saved and loaded back the way
``VectorStore.load`` loads it, and the resident growth of that load is measured too.

Catalog: ``--catalog-photos`` rows (default 200k; bytes per row do not depend on the count) of ``photos`` (realistic 70-90-byte paths, EXIF fields) + ``embeddings`` (512
float32) inserted with the catalog's schema and statements, then the file size after a WAL checkpoint.
Formula printed at the end:
    HNSW RAM/photo ~ 4*dim + 4*(2M) + 4 + 8 (level 0: vector, links, count, label)
                     + ~4*(M+1)/M... (upper levels, p = 1/M) + per-element bookkeeping (lock, level, map)
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import hnswlib
import numpy as np

from indexer.catalog import Catalog
from indexer.clip import vector_store as vmod
from indexer.clip.vector_tables import VectorTables

from ._common import CACHE, ClipLikeVectors, load, parser, rss_bytes, table

CHUNK = 50_000


def hnsw_memory(n: int, dim: int, path: str) -> dict[str, float]:
    gen = ClipLikeVectors(dim)
    gc.collect()
    before = rss_bytes()
    index = hnswlib.Index(space="ip", dim=dim)
    index.init_index(max_elements=n, ef_construction=16, M=vmod.M)
    started = time.perf_counter()
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        data = gen.sample(m, seed=start)
        index.add_items(data, np.arange(start, start + m), num_threads=os.cpu_count() or 1)
        del data
    build_s = time.perf_counter() - started
    gc.collect()
    built = rss_bytes() - before
    index.save_index(path)
    del index
    gc.collect()
    # Load it back in a fresh process (this one's heap holds freed blocks the load would reuse).
    probe = (
        "import hnswlib, numpy as np, sys; from tests.benchmarks._common import rss_bytes; "
        f"q = np.ones((1, {dim}), dtype=np.float32); b = rss_bytes(); i = hnswlib.Index(space='ip', dim={dim}); "
        f"i.load_index({path!r}, max_elements={n}); i.set_ef(96); i.knn_query(q, k=10); print(rss_bytes() - b)"
    )
    after_load = int(subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True,
                                    cwd=Path(__file__).resolve().parents[2]).stdout.split()[-1])
    return {"build_s": build_s, "rss_built": built, "rss_loaded": after_load, "file": os.path.getsize(path)}


def catalog_bytes(n: int, dim: int, directory, page_size: int | None = None) -> dict[str, float]:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    path = directory / "catalog.sqlite"
    if page_size:  # an experiment: rewrite the new, empty catalog with another page size (VACUUM, outside WAL)
        Catalog(path).close()
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute(f"PRAGMA page_size = {page_size}")
        conn.execute("VACUUM")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
    cat = Catalog(path)
    cat.migrate()
    VectorTables(cat).register_model("ViT-B-32__laion2b-s34b-b79k", "/home/user/.local/share/photoseek/models/x", dim)
    folder = cat.add_folder(directory / "Pictures")
    gen = ClipLikeVectors(dim)
    started = time.perf_counter()
    now = time.time()
    for start in range(0, n, CHUNK):
        m = min(CHUNK, n - start)
        vecs = gen.sample(m, seed=start)
        ids = range(start + 1, start + m + 1)
        with cat.transaction():
            cat.conn.executemany(
                "INSERT INTO photos(id, path, folder_id, size, mtime_ns, quick_hash, width, height, taken_at, "
                "camera, lat, lon, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, 4032, 3024, ?, ?, ?, ?, 'ok', ?)",
                (
                    (i, os.fsencode(f"/home/someone/Pictures/{2005 + i % 20}/{(i // 400) % 12 + 1:02d} Holiday "
                                    f"in Portugal/IMG_{i:08d}.JPG"), folder.id, 3_000_000 + i,
                     1_600_000_000_000_000_000 + i * 10**9, f"{i * 2654435761 % 2**64:016x}{i:016x}",
                     f"{2005 + i % 20}-{(i // 400) % 12 + 1:02d}-14T10:{i % 60:02d}:00", "Apple iPhone 12",
                     38.7 + i * 1e-6, -9.1 - i * 1e-6, now)
                    for i in ids
                ),
            )
            cat.conn.executemany(
                "INSERT INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
                ((i, "ViT-B-32__laion2b-s34b-b79k", i, vecs[i - start - 1].tobytes()) for i in ids),
            )
    cat.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    insert_s = time.perf_counter() - started
    sizes = {}
    for table_name in ("photos", "embeddings"):
        try:
            sizes[table_name] = cat.conn.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name=?", (table_name,)).fetchone()[0]
        except sqlite3.OperationalError:  # dbstat not compiled in
            sizes[table_name] = float("nan")
    index_pages = cat.conn.execute(
        "SELECT SUM(pgsize) FROM dbstat WHERE name NOT IN ('photos', 'embeddings')").fetchone()[0] \
        if sizes["photos"] == sizes["photos"] else float("nan")
    cat.close()
    total = path.stat().st_size
    return {"insert_s": insert_s, "file": total, **sizes, "indexes": index_pages}


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=1_000_000)
    p.add_argument("--skip-catalog", action="store_true")
    p.add_argument("--catalog-photos", type=int, default=200_000,
                   help="rows of the catalog measured (bytes per row do not depend on the count; 1M takes ~10 min)")
    p.add_argument("--page-size", type=int, default=0,
                   help="also measure the catalog with this SQLite page size (experiment; the catalog uses the default)")
    args = p.parse_args()
    n = 50_000 if args.quick else args.photos
    dim = 512
    work = CACHE / "memory"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    print(f"n={n:,} dim={dim} M={vmod.M}; {load()}", flush=True)
    h = hnsw_memory(n, dim, str(work / "index.hnsw"))
    ld_h = load()
    print(f"HNSW built in {h['build_s']:.0f} s (ef_construction 16); {ld_h}", flush=True)
    rows = [
        ("HNSW index, resident after build", f"{h['rss_built'] / 2**20:,.0f} MiB", f"{h['rss_built'] / n:,.0f}"),
        ("HNSW index, resident after load in a fresh process (as Library opens it)", f"{h['rss_loaded'] / 2**20:,.0f} MiB",
         f"{h['rss_loaded'] / n:,.0f}"),
        ("HNSW file on disk", f"{h['file'] / 2**20:,.0f} MiB", f"{h['file'] / n:,.0f}"),
    ]
    os.unlink(work / "index.hnsw")
    if not args.skip_catalog:
        nc = min(n, args.catalog_photos)
        c = catalog_bytes(nc, dim, work / "catalog")
        print(f"catalog written in {c['insert_s']:.0f} s; {load()}", flush=True)
        rows += [
            (f"catalog.sqlite on disk (total; measured at {nc:,} rows)", f"{c['file'] / 2**20:,.0f} MiB", f"{c['file'] / nc:,.0f}"),
            ("  embeddings table (512 float32 + key)", f"{c['embeddings'] / 2**20:,.0f} MiB", f"{c['embeddings'] / nc:,.0f}"),
            ("  photos table", f"{c['photos'] / 2**20:,.0f} MiB", f"{c['photos'] / nc:,.0f}"),
            ("  SQLite indexes", f"{c['indexes'] / 2**20:,.0f} MiB", f"{c['indexes'] / nc:,.0f}"),
        ]
        if args.page_size:
            c = catalog_bytes(nc, dim, work / "catalog-ps", args.page_size)
            rows += [
                (f"experiment: catalog.sqlite with page_size {args.page_size}", f"{c['file'] / 2**20:,.0f} MiB",
                 f"{c['file'] / nc:,.0f}"),
                ("  embeddings table", f"{c['embeddings'] / 2**20:,.0f} MiB", f"{c['embeddings'] / nc:,.0f}"),
            ]
    thumbs = list((CACHE / "indexing-lib" / "thumbnails").glob("*/*.jpg"))
    if thumbs:
        avg = sum(t.stat().st_size for t in thumbs) / len(thumbs)
        rows.append((f"thumbnail (256 px JPEG, mean of {len(thumbs)} from bench_indexing)", "", f"{avg:,.0f}"))
    shutil.rmtree(work, ignore_errors=True)
    m0 = 2 * vmod.M
    level0 = 4 * dim + 4 * m0 + 4 + 8
    print(f"\nMemory and disk per photo at {n:,} photos (dim {dim}, M {vmod.M})")
    print(table(rows, ("what", "total", "bytes/photo")))
    print(f"\nformula (hnswlib): RAM/photo = level 0 [4*dim + 4*2M + 4 + 8 = {level0} B] + upper levels "
          f"[~(4*M + 4)/(M-1) = {(4 * vmod.M + 4) / (vmod.M - 1):.0f} B]\n"
          f"  + bookkeeping [a mutex 40 B, level 4 B, link pointer 8 B, label map ~40-60 B] ~= "
          f"{level0 + (4 * vmod.M + 4) / (vmod.M - 1) + 100:.0f} B;  the catalog lives on disk (SQLite page cache "
          f"is bounded, ~2 MiB by default), so RAM per photo is the HNSW figure.")


if __name__ == "__main__":
    main()
