"""Benchmark: the whole `photoseek search` command at 100k photos with ViT-B-32 -- cold, and warm.

    python -m tests.benchmarks.bench_cli_search                          # 100,000 photos, 5 rounds
    python -m tests.benchmarks.bench_cli_search --baseline /path/to/other/checkout   # before/after
    python -m tests.benchmarks.bench_cli_search --quick                  # 10,000 photos, 2 rounds
    python -m tests.benchmarks.bench_cli_search --query "beach at sunset" --photos 1000   # one query

Library: the one of bench_text_query.py (100k photo rows and synthetic CLIP-like vectors, the HNSW
file saved; the random-weight ViT-B-32 bundle), opened once by a writer as indexing would have, so
the catalog knows the bundle's fingerprint (a real library does).

Timed, each a fresh process (``python -m app.cli --library LIB search TEXT --limit 20``, wall clock
from start to exit, as a user waits for it):

- cold: nobody else has the library open: the command imports, loads the model and the index,
  searches and prints.  With ``--baseline DIR`` the same command from another checkout (e.g. the
  previous commit, ``git archive``-d into DIR) is timed too, alternated round by round.
- warm: a process holds the library and answers on its local channel (what the desktop app and
  ``photoseek watch`` do; here tests/support/warm_server.py, the same ``serve_library``); the
  command asks it.

Both checkouts are byte-compiled first, as an installed Photoseek is.

Also prints where the cold time goes in this checkout: ``python -X importtime`` totals and a
cProfile of one cold command's top entries.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import ROOT

from ._common import CACHE, load, median, parser, table, vit_b32
from .bench_text_query import QUERIES, build_library


def prepare(n: int) -> Path:
    """The 100k library, with the bundle's fingerprint recorded by a writer (as indexing does)."""
    from indexer.library import Library

    lib_dir = CACHE / f"text-query-library-{n}"
    build_library(lib_dir, vit_b32(), n)
    with Library.open(lib_dir) as lib:
        lib.store(lib.encoder())
    return lib_dir


def timed(checkout: Path, lib: Path, text: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app.cli", "--library", str(lib), "search", text, "--limit", "20"],
                          cwd=checkout, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or len(proc.stdout.splitlines()) != 20:
        raise SystemExit(f"search failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def compiled(checkout: Path) -> None:
    """Byte-compile the checkout's sources, as installing Photoseek does (pip compiles what it installs):
    with ``PYTHONDONTWRITEBYTECODE`` set, a source checkout would otherwise compile every module it imports
    in every command (50-90 ms of a cold search)."""
    for package in ("indexer", "app"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", package], cwd=checkout, check=True,
                       env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
                       stdout=subprocess.DEVNULL)


def import_time(lib: Path) -> str:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "app.cli", "--library", str(lib), "search",
                           "dog", "--limit", "20"], cwd=ROOT, capture_output=True, text=True)
    total = sum(int(line.split("|")[1]) for line in proc.stderr.splitlines() if line.startswith("import time:")
                and line.split("|")[1].strip().isdigit())
    return f"{total / 1e6:.3f} s of imports (python -X importtime, self times summed)"


def profile(lib: Path, top: int = 18) -> str:
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-s", "cumtime", "-m", "app.cli", "--library", str(lib),
                           "search", "dog", "--limit", "20"], cwd=ROOT, capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "ncalls" in line)
    return "\n".join(lines[start:start + top + 1])


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--baseline", type=Path, help="another checkout whose cold command is timed alternately")
    p.add_argument("--query", help="time this query every round (e.g. 'beach at sunset') instead of the set's")
    p.add_argument("--profile", action="store_true", help="also print import times and a cProfile of one command")
    args = p.parse_args()
    n, rounds = (10_000, 2) if args.quick else (args.photos, args.rounds)
    queries = [args.query] if args.query else QUERIES
    lib = prepare(n)
    for checkout in (ROOT, args.baseline):
        if checkout is not None:
            compiled(checkout)
    timed(ROOT, lib, queries[0])  # the page cache, and what a first search leaves in the user's cache
    if args.baseline:
        timed(args.baseline, lib, queries[0])
    rows = []
    cold: list[float] = []
    base: list[float] = []
    for r in range(rounds):
        ld = load()
        text = queries[r % len(queries)]
        order = [("this", ROOT), ("baseline", args.baseline)] if r % 2 == 0 else \
            [("baseline", args.baseline), ("this", ROOT)]
        got = {}
        for who, checkout in order:
            if checkout is not None:
                got[who] = timed(checkout, lib, text)
        cold.append(got["this"])
        if "baseline" in got:
            base.append(got["baseline"])
        rows.append((r + 1, "cold", f"{got['this']:.3f}", f"{got['baseline']:.3f}" if "baseline" in got else "-",
                     f"{got['baseline'] / got['this']:.2f}x" if "baseline" in got else "-", ld))
    server = subprocess.Popen([sys.executable, "-m", "tests.support.warm_server", str(lib), "serve"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    warm: list[float] = []
    try:
        assert server.stdout is not None and server.stdout.readline().strip() == "ready"
        timed(ROOT, lib, "load the model in the server")
        for r in range(rounds):
            ld = load()
            warm.append(timed(ROOT, lib, queries[r % len(queries)]))
            rows.append((r + 1, "warm", f"{warm[-1]:.3f}", "-", "-", ld))
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait()
    print(f"`photoseek search TEXT --limit 20` on {n:,} photos, ViT-B-32 (random weights), whole command")
    print(table(rows, ("round", "path", "this checkout s", "baseline s", "baseline/this", "load before")))
    line = f"\ncold: median {median(cold):.3f} s"
    if base:
        line += f"; baseline median {median(base):.3f} s ({median([b / c for b, c in zip(base, cold)]):.2f}x)"
    print(line + f"; warm: median {median(warm):.3f} s; {load()}")
    if args.profile:
        print("\n" + import_time(lib))
        print(profile(lib))


if __name__ == "__main__":
    main()
