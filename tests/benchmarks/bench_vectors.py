"""Benchmark (c): HNSW vector search on CLIP-like vectors: build time, p50/p95 latency, recall@10 vs exact.

    python -m tests.benchmarks.bench_vectors                 # 100k, 250k, then 1M if its projected build fits
    python -m tests.benchmarks.bench_vectors --sizes 1000000 --build-budget 900
    python -m tests.benchmarks.bench_vectors --quick         # smoke run (20k)

Vectors: ``ClipLikeVectors`` (tests/benchmarks/_common.py): a shared cone direction, 2,000 Zipf-popular
themes in a 128-dim power-law subspace, anisotropic within-theme spread in a 64-dim subspace, a small
isotropic residual; unit-normalised.  Two query sets: held-out photos ("image" queries, on the data
manifold) and "text" queries (theme centre + a modality-gap offset, off the manifold: the hard case).
Ground truth: exact inner-product top-10 by brute force (numpy).

The index is built exactly as ``VectorStore`` builds it (space ip, M, ef_construction from
``indexer/vector_store.py``) but in one bulk call with all cores; queries go through
``VectorStore.search`` (one query at a time, one thread: what a user's search does).
"""

from __future__ import annotations

import gc
import math
import os
import time

import hnswlib
import numpy as np

from indexer.clip import vector_store as vmod
from indexer.clip.vector_store import VectorStore

from ._common import ClipLikeVectors, describe, load, parser, percentile, rss_bytes, table

K = 10


def exact_topk(data: np.ndarray, queries: np.ndarray, k: int = K, chunk: int = 200_000) -> np.ndarray:
    best_s = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), k), dtype=np.int64)
    for start in range(0, len(data), chunk):
        s = queries @ data[start:start + chunk].T
        part = np.argpartition(-s, k, axis=1)[:, :k]
        cand_s = np.concatenate([best_s, np.take_along_axis(s, part, 1)], axis=1)
        cand_i = np.concatenate([best_i, part + start], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :k]
        best_s = np.take_along_axis(cand_s, order, 1)
        best_i = np.take_along_axis(cand_i, order, 1)
    return best_i


def build(data: np.ndarray, m: int, efc: int, threads: int) -> tuple[VectorStore, float]:
    vi = VectorStore(data.shape[1], model="bench", capacity=16)
    index = hnswlib.Index(space="ip", dim=data.shape[1])
    index.init_index(max_elements=len(data), ef_construction=efc, M=m)
    started = time.perf_counter()
    index.add_items(data, np.arange(len(data)), num_threads=threads)
    elapsed = time.perf_counter() - started
    vi._index = index
    vi._live = len(data)
    return vi, elapsed


def query_sweep(vi: VectorStore, queries: np.ndarray, truth: np.ndarray, efs: list[int]) -> list[tuple]:
    rows = []
    for ef in efs:
        vmod.EF_SEARCH = ef  # VectorStore.search reads the module default
        for q in queries[:20]:  # warm caches
            vi.search(q, K)
        times, cpu = [], []
        hits = 0
        for q, t in zip(queries, truth):
            started, c0 = time.perf_counter(), time.thread_time()
            ids, _ = vi.search(q, K)
            cpu.append(time.thread_time() - c0)
            times.append(time.perf_counter() - started)
            hits += len(set(ids.tolist()) & set(t.tolist()))
        rows.append((ef, hits / (len(queries) * K), percentile(times, 50), percentile(times, 95),
                     percentile(cpu, 95)))
    return rows


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--sizes", default="100000,250000,1000000")
    p.add_argument("--ef", default="32,64,96,128,192")
    p.add_argument("--m-sweep", default="12,16,24", help="M values compared at the first size")
    p.add_argument("--queries", type=int, default=400, help="queries of each kind")
    p.add_argument("--build-budget", type=float, default=600.0, help="skip a size whose projected build exceeds this (s)")
    p.add_argument("--ef-construction", type=int, default=0,
                   help="override indexer/vector_store.py's EF_CONSTRUCTION (e.g. a cheaper 1M build; say so when quoting)")
    p.add_argument("--save", default="", help="save the largest index here (for bench_memory)")
    args = p.parse_args()
    if args.quick:
        args.sizes, args.ef, args.m_sweep, args.queries = "20000", "32,96", "16", 100
    sizes = [int(s) for s in args.sizes.split(",")]
    efs = [int(e) for e in args.ef.split(",")]
    m_values = [int(m) for m in args.m_sweep.split(",") if m]
    threads = os.cpu_count() or 1
    default_m, default_efc, default_ef = vmod.M, args.ef_construction or vmod.EF_CONSTRUCTION, vmod.EF_SEARCH
    gen = ClipLikeVectors()
    nq = args.queries
    image_q = gen.sample(nq, seed=99)
    text_q = gen.text_queries(nq, seed=98)
    print(f"indexer/vector_store.py: M={vmod.M} ef_construction={vmod.EF_CONSTRUCTION} ef_search={vmod.EF_SEARCH}; "
          f"this run builds with ef_construction={default_efc}; "
          f"build threads={threads}; {load()}")

    results: list[tuple] = []
    builds: list[tuple] = []
    rate_per_nlogn: float | None = None
    for n in sizes:
        if rate_per_nlogn is not None:
            projected = rate_per_nlogn * n * math.log(n)
            if projected > args.build_budget:
                print(f"\nskip n={n:,}: projected build {projected:.0f} s > budget {args.build_budget:.0f} s "
                      f"(t = c * n ln n, c fitted on the last size)")
                builds.append((f"{n:,}", default_m, default_efc, f"~{projected:.0f} (projected, not run)", "", ""))
                continue
        print(f"\n== n={n:,}: generating ...", flush=True)
        data = gen.sample(n, seed=1)
        if n == sizes[0]:
            print("   structure:", {k: round(v, 3) for k, v in describe(data).items()},
                  f"| text q: max cos to data {float((text_q[:100] @ data[:50000].T).max(1).mean()):.2f}")
        t0 = time.perf_counter()
        truth_img = exact_topk(data, image_q)
        truth_txt = exact_topk(data, text_q)
        exact_s = (time.perf_counter() - t0) / (2 * nq)
        print(f"   exact search (numpy brute force): {exact_s * 1000:.1f} ms/query", flush=True)
        m_list = m_values if n == sizes[0] else [default_m]
        for m in m_list:
            gc.collect()
            before = rss_bytes()
            ld = load()
            vi, build_s = build(data, m, default_efc, threads)
            index_rss = rss_bytes() - before
            builds.append((f"{n:,}", m, default_efc, f"{build_s:.1f}", f"{index_rss / n:.0f}", ld))
            print(f"   built M={m} efc={default_efc}: {build_s:.1f} s ({n / build_s:.0f}/s), "
                  f"index RSS +{index_rss / 2**20:.0f} MiB; {ld}", flush=True)
            if m == default_m:
                rate_per_nlogn = build_s / (n * math.log(n))
            for kind, qs, truth in (("image", image_q, truth_img), ("text", text_q, truth_txt)):
                for ef, recall, p50, p95, cpu95 in query_sweep(vi, qs, truth, efs):
                    results.append((f"{n:,}", m, kind, ef, f"{recall:.4f}", f"{p50 * 1000:.2f}", f"{p95 * 1000:.2f}",
                                    f"{cpu95 * 1000:.2f}", load()))
                    print("   ", results[-1], flush=True)
            if args.save and n == sizes[-1] and m == default_m:
                vi._index.save_index(args.save)
            del vi
            gc.collect()
        del data
        gc.collect()
    vmod.EF_SEARCH = default_ef

    print("\nBuild (all cores; index RSS = resident growth while building, bytes per vector)")
    print(table(builds, ("n", "M", "ef_construction", "build s", "RSS B/vec", "load while building")))
    print(f"\nSearch: recall@{K} vs exact, latency of VectorStore.search (1 query, 1 thread), {nq} queries per kind")
    print(table(results, ("n", "M", "queries", "ef", f"recall@{K}", "p50 ms", "p95 ms", "p95 CPU ms", "load after")))
    print("(p50/p95: wall clock; p95 CPU: thread CPU time, which a loaded shared machine does not inflate)")
    print("\ntargets: p95 <= 5 ms and recall@10 >= 0.98 at 1M")


if __name__ == "__main__":
    main()
