"""Benchmark (b): a text query end to end at 100k photos, ViT-B-32, model warm (target <= 30 ms).

    python -m tests.benchmarks.bench_text_query            # 100,000 photos, 300 timed queries
    python -m tests.benchmarks.bench_text_query --quick    # 10,000 photos, 60 queries

The library is built cheaply, without decoding: 100k photo rows (paths, sizes, dates, cameras) and
100k synthetic CLIP-like vectors (``ClipLikeVectors``, see bench_vectors.py) written through the
``Catalog`` API's SQL, then the HNSW file built once with all cores and saved with a matching stamp
(what ``Library`` would otherwise build itself, single-threaded).  Kept in the cache folder.

Timed: ``LibraryReader.search(Query(text=...))`` (encode the text with the trimmed-length text tower,
HNSW search, catalog join for the 50 hits), for a mix of short and long queries, one at a time.
Two variants interleaved query by query: the library's encoder (ORT threads: Settings default, all
cores) and a one-thread encoder (the text tower at batch 1 is weight-bandwidth bound; a second
thread mostly spins).  The split is taken inside the same calls by timing ``Searcher._text_vector`` (encode),
``Searcher._knn`` (search) and ``Searcher._hits`` (join); "other" is the rest of ``LibraryReader.search``
(choosing the serving model, checkpoint check, filters).  The model has random weights: its cost is
the real ViT-B-32 text tower's, its vectors are not meaningful against the synthetic photo vectors.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import numpy as np

from indexer import search as search_mod
from indexer.clip.vector_store import VectorStore
from indexer.clip.vector_tables import VectorTables
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.models.encoder import Encoder
from indexer.search import Query

from ._common import CACHE, ClipLikeVectors, load, parser, percentile, table, vit_b32

QUERIES = [
    "dog", "sunset", "a dog on the beach", "birthday cake with candles", "snowy mountains at dawn",
    "two children playing in a garden", "red car parked in a narrow street", "cat", "wedding",
    "people laughing around a dinner table at night", "a bowl of ramen", "city skyline reflected in a river",
    "old black and white photo of my grandparents", "hiking trail through a pine forest in autumn fog",
    "receipt", "screenshot of a chat", "fireworks over the harbour", "a horse in a field",
    "the eiffel tower", "close-up of a flower with a bee on it",
]


def build_library(lib_dir: Path, bundle: Path, n: int) -> None:
    marker = lib_dir / f".bench-complete-{n}"
    if marker.exists():
        return
    shutil.rmtree(lib_dir, ignore_errors=True)
    started = time.monotonic()
    photos_root = lib_dir.parent / f"{lib_dir.name}-photos"
    photos_root.mkdir(parents=True, exist_ok=True)
    lib = Library.open(lib_dir, model=str(bundle))
    try:
        encoder = lib.encoder()
        VectorTables(lib.catalog).register_model(encoder.model_id, str(encoder.bundle.path), encoder.dim)
        model, dim = encoder.model_id, encoder.dim
        folder = lib.add_folder(photos_root)
        vecs = ClipLikeVectors(dim).sample(n, seed=5)
        cat = lib.catalog
        now = time.time()
        with cat.transaction():
            cat.conn.executemany(
                "INSERT INTO photos(id, path, folder_id, size, mtime_ns, quick_hash, width, height, taken_at, "
                "camera, status, updated_at) VALUES (?, ?, ?, ?, ?, ?, 4000, 3000, ?, 'Acme Z1', 'ok', ?)",
                (
                    (i, os.fsencode(str(photos_root / f"{2000 + i // 5000}" / f"IMG_{i:07d}.jpg")), folder.id,
                     3_500_000 + i, 1_600_000_000_000_000_000 + i * 10**9, f"{i:032x}",
                     f"{2000 + i // 5000}-06-01T12:00:00", now)
                    for i in range(1, n + 1)
                ),
            )
            cat.conn.executemany(
                "INSERT INTO embeddings(photo_id, model, seq, vector) VALUES (?, ?, ?, ?)",
                ((i, model, i, vecs[i - 1].tobytes()) for i in range(1, n + 1)),
            )
            cat.conn.execute("UPDATE models SET checkpoint=? WHERE name=?", (n, model))
        t_cat = time.monotonic() - started
        store = VectorStore(dim, model=model, directory=lib_dir / "vectors", capacity=n + 1000)
        store.add(np.arange(1, n + 1), vecs, checkpoint=n)  # a bulk add uses every core
        store.save()
        print(f"built a {n:,}-photo library: catalog {t_cat:.0f} s, HNSW {time.monotonic() - started - t_cat:.0f} s",
              flush=True)
    finally:
        lib.close()
    marker.write_bytes(b"")


class Split:
    """Times three Searcher stages inside real LibraryReader.search calls."""

    NAMES = {"_text_vector": "encode", "_knn": "search", "_hits": "join"}

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self._saved = {}

    def __enter__(self) -> Split:
        for attr, label in self.NAMES.items():
            original = getattr(search_mod.Searcher, attr)
            self._saved[attr] = original

            def timed(*a, _orig=original, _label=label, **kw):
                started = time.perf_counter()
                try:
                    return _orig(*a, **kw)
                finally:
                    self.current[_label] = self.current.get(_label, 0.0) + time.perf_counter() - started

            setattr(search_mod.Searcher, attr, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        for attr, original in self._saved.items():
            setattr(search_mod.Searcher, attr, original)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--threads", type=int, default=0, help="ORT threads of the main variant (0: library default)")
    args = p.parse_args()
    n, nq = (10_000, 60) if args.quick else (args.photos, args.queries)
    bundle = vit_b32()
    lib_dir = CACHE / f"text-query-library-{n}"
    build_library(lib_dir, bundle, n)

    with LibraryReader.open(lib_dir, model=str(bundle)) as lib:
        encoders = lib._models._encoders  # the reader's model sessions, by model name: swapped per variant
        default = lib.encoder()
        name = default.model_id

        def variant(threads: int) -> Encoder:
            """An encoder of the same vector space (same key, fingerprint and file stamp), so the
            reader's cache keeps it instead of loading a fresh one."""
            return Encoder(bundle, threads=threads, model_id=name, fingerprint=default.fingerprint,
                           files_stamp=default.files_stamp)

        if args.threads:
            encoders[name] = variant(args.threads)
        started = time.perf_counter()
        lib.search(Query(text="warm up"))
        print(f"first query (loads the model and the {n:,}-vector index): {time.perf_counter() - started:.2f} s")
        shipped = encoders[name]
        one_thread = variant(1)
        one_thread.encode_texts(["warm up"])
        variants = {f"ORT threads {args.threads or 'auto'}": shipped, "ORT threads 1": one_thread}
        for q in QUERIES:  # warm: every length seen once
            for enc in variants.values():
                encoders[name] = enc
                lib.search(Query(text=q))
        ld = load()
        stats = {v: {"total": [], "encode": [], "search": [], "join": [], "other": [], "cpu": []} for v in variants}
        with Split() as split:
            for i in range(nq):
                q = QUERIES[i % len(QUERIES)]
                for label, enc in (variants.items() if i % 2 == 0 else reversed(list(variants.items()))):
                    encoders[name] = enc
                    split.current = {}
                    started, c0 = time.perf_counter(), time.process_time()
                    hits = lib.search(Query(text=q))
                    elapsed = time.perf_counter() - started
                    st = stats[label]
                    st["cpu"].append(time.process_time() - c0)
                    assert len(hits) == 50, len(hits)
                    st["total"].append(elapsed)
                    for k in ("encode", "search", "join"):
                        st[k].append(split.current.get(k, 0.0))
                    st["other"].append(elapsed - sum(split.current.values()))
        encoders[name] = shipped
        ld_after = load()

    rows = []
    for vname, st in stats.items():
        for k in ("total", "encode", "search", "join", "other", "cpu"):
            label = {"total": f"{vname}: LibraryReader.search", "cpu": f"{vname}: CPU time, all threads"}.get(k, f"   {k}")
            v = st[k]
            rows.append((label, *(f"{percentile(v, q) * 1000:.2f}" for q in (50, 95)), f"{np.mean(v) * 1000:.2f}"))
    print(f"\nText query end to end at {n:,} photos, ViT-B-32 (random weights), {nq} queries per variant, limit 50")
    print("(two text-tower thread settings, interleaved query by query; the HNSW search and join are the same)")
    print(table(rows, ("stage", "p50 ms", "p95 ms", "mean ms")))
    print(f"load: {ld} before, {ld_after} after")
    print("target: <= 30 ms (wall clock, model warm)")


if __name__ == "__main__":
    main()
