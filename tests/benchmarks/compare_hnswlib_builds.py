"""Are two builds of ``hnswlib`` interchangeable for Photoseek?  Same answers, and each reads the other's files.

    python -m tests.benchmarks.compare_hnswlib_builds --out /tmp/a            # the installed hnswlib
    PYTHONPATH=/tmp/chroma python -m tests.benchmarks.compare_hnswlib_builds --out /tmp/b --other /tmp/a
    # (/tmp/chroma: pip install --no-deps --target /tmp/chroma chroma-hnswlib)

With the vector store's own settings (inner product, ``M``, ``EF_CONSTRUCTION``,
``EF_SEARCH`` from indexer/vector_store.py) it builds an index of 20,000
random unit vectors (64-d; one thread, so the graph is deterministic), deletes
every 50th, and answers 500 queries for the 50 best, with and without a
filter.  ``--out`` keeps the labels, distances and the saved index; with
``--other`` the run compares its answers with another build's run and loads
that build's saved index file.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import hnswlib
import numpy as np

from indexer.clip.vector_store import EF_CONSTRUCTION, EF_SEARCH, M

N, DIM, QUERIES, K = 20_000, 64, 500, 50


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def run(out: Path) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    data, queries = unit(rng, N), unit(rng, QUERIES)
    index = hnswlib.Index(space="ip", dim=DIM)
    index.init_index(max_elements=N, ef_construction=EF_CONSTRUCTION, M=M)
    index.set_ef(EF_SEARCH)
    index.add_items(data, np.arange(N), num_threads=1)
    for label in range(0, N, 50):
        index.mark_deleted(label)
    plain = index.knn_query(queries, k=K, num_threads=1)
    filtered = index.knn_query(queries, k=K, num_threads=1, filter=lambda label: label % 3 == 0)
    out.mkdir(parents=True, exist_ok=True)
    index.save_index(str(out / "index.hnsw"))
    answers = {"labels": plain[0], "distances": plain[1], "filtered_labels": filtered[0],
               "filtered_distances": filtered[1]}
    np.savez(out / "answers.npz", **answers)
    return answers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--other", type=Path, help="another build's --out, to compare with")
    args = ap.parse_args(argv)
    print(f"hnswlib from {hnswlib.__file__}")
    mine = run(args.out)
    if args.other is None:
        return 0
    theirs = dict(np.load(args.other / "answers.npz"))
    same = True
    for key, value in mine.items():
        equal = np.array_equal(value, theirs[key])
        same &= equal
        print(f"{key}: {'identical' if equal else 'DIFFERENT'} (max |diff| {np.abs(value - theirs[key]).max():.3g})")
    other = hnswlib.Index(space="ip", dim=DIM)
    other.load_index(str(args.other / "index.hnsw"), max_elements=N)
    other.set_ef(EF_SEARCH)
    rng = np.random.default_rng(0)
    unit(rng, N)
    loaded = other.knn_query(unit(rng, QUERIES), k=K, num_threads=1)
    reads = np.array_equal(loaded[0], mine["labels"])
    print(f"the other build's saved index, loaded here: {'same answers' if reads else 'DIFFERENT answers'}")
    return 0 if same and reads else 1


if __name__ == "__main__":
    sys.exit(main())
