"""Soak test: a watched folder churns for N minutes while searches run; the index must match.

    python scripts/soak.py [--minutes 10] [--model BUNDLE_DIR] [--workdir DIR] [--seed 0]

It starts ``photoseek watch`` (a real subprocess) on a folder of generated
photos, then for ``--minutes`` copies new photos in, copies existing ones,
renames and moves them, rewrites them in place (editor-style: temp file then
rename) and deletes them, while a thread searches the library through a
``LibraryReader`` (a reader beside the watching writer, as a second process
would be) and times every query.
Then it stops changing files and waits for the index to settle, and checks:

- the set of indexed paths equals the set of image files in the folder, nothing
  pending or failed;
- the long-lived reader's search over everything returns exactly those files;
- a sample of files: the stored vector equals a fresh embedding of the file's
  current content (renames and rewrites carried the right vector);
- the watcher stops cleanly on SIGTERM, and the library passes the crash-test
  consistency checks (tests/support/consistency.py).

It prints the figures (operations by kind, searches, latency p50/p95/max,
settling time, final counts) and exits 1 if any check failed.  Without
``--model`` it uses the tests' committed toy CLIP (tests/fixtures/toyclip).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from indexer.clip.vector_tables import VectorTables  # noqa: E402
from indexer.library_reader import LibraryReader  # noqa: E402
from indexer.models.encoder import Encoder  # noqa: E402
from indexer.scanner import is_image_name  # noqa: E402
from indexer.search import Query  # noqa: E402
from tests.support.bundles import TOYCLIP  # noqa: E402
from tests.support.cli import cli_env, photoseek_cmd  # noqa: E402
from tests.support.consistency import check_library  # noqa: E402
from tests.support.photos import write_photo  # noqa: E402

QUERIES = ["a red circle", "sunset over the sea", "a blue square", "people at a party", "a green field",
           "snow in the mountains", "a cat", "city lights at night"]
SIZES = [(320, 240), (240, 320), (400, 267), (256, 256)]


def image_files(folder: Path) -> set[Path]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        out.update(Path(dirpath) / f for f in filenames if not f.startswith(".") and is_image_name(f))
    return out


class Churn:
    """Random file operations inside ``folder``, fresh content drawn from an increasing seed."""

    def __init__(self, folder: Path, rng: random.Random, low: int, high: int):
        self.folder, self.rng, self.low, self.high = folder, rng, low, high
        self.seed = 100_000
        self.ops: Counter[str] = Counter()
        self.albums = [folder / f"album{i}" for i in range(4)]

    def _files(self) -> list[Path]:
        return sorted(image_files(self.folder))

    def _new_name(self, album: Path, stem: str = "img") -> Path:
        self.seed += 1
        return album / f"{stem}_{self.seed}.jpg"

    def step(self) -> None:
        files = self._files()
        weights = {"new": 3, "copy": 1, "rename": 2, "move": 1, "rewrite": 1, "delete": 2, "rename_album": 0.1}
        if len(files) <= self.low:
            weights.update(delete=0, rename_album=0)
        if len(files) >= self.high:
            weights.update(new=0, copy=0)
        op = self.rng.choices(list(weights), list(weights.values()))[0]
        if not files and op not in ("new",):
            op = "new"
        album = self.rng.choice(self.albums)
        if op == "new":
            path = self._new_name(album)
            tmp = path.parent / f".part-{path.name}"  # written under a hidden name, then renamed (like a copy tool)
            write_photo(tmp, self.seed, self.rng.choice(SIZES), quality=85)
            tmp.rename(path)
        elif op == "copy":
            src = self.rng.choice(files)
            shutil.copy2(src, self._new_name(album, "copy"))
        elif op == "rename":
            src = self.rng.choice(files)
            src.rename(self._new_name(src.parent, "renamed"))
        elif op == "move":
            src = self.rng.choice(files)
            album.mkdir(parents=True, exist_ok=True)
            src.rename(self._new_name(album, "moved"))
        elif op == "rewrite":
            target = self.rng.choice(files)
            self.seed += 1
            tmp = target.parent / f".edit-{target.name}"
            write_photo(tmp, self.seed, self.rng.choice(SIZES), quality=85)
            tmp.replace(target)
        elif op == "delete":
            self.rng.choice(files).unlink()
        elif op == "rename_album":
            i = self.rng.randrange(len(self.albums))
            old = self.albums[i]
            if old.is_dir():
                self.seed += 1
                new = self.folder / f"album_r{self.seed}"
                old.rename(new)
                self.albums[i] = new
        self.ops[op] += 1


class Searcher(threading.Thread):
    def __init__(self, library: Path, stop: threading.Event, rng: random.Random):
        super().__init__(daemon=True)
        self.library, self.stop, self.rng = library, stop, rng
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.lib: LibraryReader | None = None

    def run(self) -> None:
        self.lib = LibraryReader.open(self.library)
        while not self.stop.is_set():
            query = Query(text=self.rng.choice(QUERIES), limit=20)
            started = time.perf_counter()
            try:
                self.lib.search(query)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                self.errors.append(f"{type(exc).__name__}: {exc}")
            self.latencies.append(time.perf_counter() - started)
            time.sleep(0.05)

    def everything(self) -> set[Path]:
        assert self.lib is not None
        return {h.path for h in self.lib.search(Query(text="anything", limit=100_000))}


def indexed_paths(library: Path, model: str) -> tuple[set[Path], dict]:
    with LibraryReader.open(library) as lib:
        rows = lib.catalog.conn.execute(
            "SELECT p.path FROM photos p JOIN embeddings e ON e.photo_id = p.id WHERE e.model=?", (model,)
        ).fetchall()
        return {Path(os.fsdecode(bytes(r[0]))) for r in rows}, lib.status().to_json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", type=Path, help="bundle directory (default: the tests' toy CLIP)")
    parser.add_argument("--workdir", type=Path, help="where to put photos and library (default: a temp dir)")
    parser.add_argument("--initial", type=int, default=60, help="photos in the folder at the start")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pace", type=float, default=0.3, help="mean seconds between file operations")
    args = parser.parse_args(argv)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="photoseek-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["PHOTOSEEK_MODELS"] = str(work / "models")
    folder, library = work / "photos", work / "lib"
    rng = random.Random(args.seed)
    bundle = (args.model or TOYCLIP).absolute()
    model = bundle.name
    for i in range(args.initial):
        write_photo(folder / f"album{i % 4}" / f"start_{i:04d}.jpg", i, SIZES[i % len(SIZES)])
    print(f"soak: {args.minutes} min in {work}, model {model}, {args.initial} photos to start", flush=True)

    env = cli_env()
    subprocess.run(photoseek_cmd("folders", "add", str(folder), library=library), check=True, env=env, cwd=ROOT)
    log = open(work / "watch.stderr", "w+b")
    watcher = subprocess.Popen(
        photoseek_cmd("watch", "--model", str(bundle), library=library),
        stdout=subprocess.DEVNULL, stderr=log, env=env, cwd=ROOT,
    )
    failures: list[str] = []
    try:
        deadline = time.monotonic() + 300
        while True:
            if (library / "catalog.sqlite").exists():
                done, status = indexed_paths(library, model)
                if len(done) == args.initial and status["pending"] == 0:
                    break
            if watcher.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"watch did not index the initial photos (exit {watcher.poll()})")
            time.sleep(0.5)

        stop = threading.Event()
        searcher = Searcher(library, stop, random.Random(args.seed + 1))
        searcher.start()
        churn = Churn(folder, rng, low=max(10, args.initial // 2), high=args.initial * 2)
        started = time.monotonic()
        end = started + args.minutes * 60
        next_report = started + 60
        while time.monotonic() < end:
            churn.step()
            time.sleep(rng.expovariate(1 / args.pace))
            if watcher.poll() is not None:
                failures.append(f"the watcher exited during the soak (code {watcher.returncode})")
                break
            if time.monotonic() >= next_report:
                next_report += 60
                lat = np.asarray(searcher.latencies[-200:]) * 1000
                print(f"  {(time.monotonic() - started) / 60:4.1f} min: {sum(churn.ops.values())} ops, "
                      f"{len(searcher.latencies)} searches (recent p50 {np.percentile(lat, 50):.1f} ms), "
                      f"{len(image_files(folder))} files", flush=True)
        churn_s = time.monotonic() - started

        # Settle: the index must come to match the folder.
        on_disk = image_files(folder)
        settle_started = time.monotonic()
        while True:
            done, status = indexed_paths(library, model)
            if done == on_disk and status["pending"] == 0 and status["photos"] == len(on_disk):
                break
            if time.monotonic() - settle_started > 180:
                failures.append(
                    f"index did not settle: {len(on_disk - done)} file(s) not indexed "
                    f"(e.g. {sorted(on_disk - done)[:3]}), {len(done - on_disk)} stale (e.g. {sorted(done - on_disk)[:3]}), "
                    f"status {json.dumps(status)}"
                )
                break
            time.sleep(0.5)
        settle_s = time.monotonic() - settle_started
        time.sleep(1.0)
        stop.set()
        searcher.join(30)
        reader_sees = searcher.everything()
        if reader_sees != on_disk:
            failures.append(f"the long-lived reader finds {len(reader_sees)} photos, the folder holds {len(on_disk)} "
                            f"(missing {len(on_disk - reader_sees)}, extra {len(reader_sees - on_disk)})")
        if searcher.errors:
            failures.append(f"{len(searcher.errors)} search error(s), first: {searcher.errors[0]}")
        searcher.lib.close()
    finally:
        if watcher.poll() is None:
            watcher.send_signal(signal.SIGTERM)
            try:
                watcher.wait(60)
            except subprocess.TimeoutExpired:
                watcher.kill()
                watcher.wait()
                failures.append("the watcher did not stop within 60 s of SIGTERM")
        log.seek(0)
        watch_log = log.read().decode(errors="replace")
        log.close()
    if watcher.returncode != 0:
        failures.append(f"the watcher exited with {watcher.returncode}")
    if "Traceback" in watch_log:
        failures.append("the watcher printed a traceback: " + watch_log[watch_log.index("Traceback"):][:800])

    # Vectors follow content: a sample of files re-embedded from scratch must match what is stored.
    encoder = Encoder(bundle, providers=["cpu"])
    sample = rng.sample(sorted(on_disk), min(40, len(on_disk)))
    with LibraryReader.open(library) as lib:
        stored = {}
        for path in sample:
            row = lib.catalog.photo_by_path(path)
            _, vec = VectorTables(lib.catalog).vectors(model, [row.id]) if row else (None, np.zeros((0, 0)))
            stored[path] = vec[0] if len(vec) else None
    fresh = encoder.encode_images(sample)
    wrong = [p for p, f in zip(sample, fresh) if stored[p] is None or float(stored[p] @ f) < 0.999]
    if wrong:
        failures.append(f"{len(wrong)} of {len(sample)} sampled files have a vector that is not their content's "
                        f"(e.g. {wrong[0]})")
    try:
        state = check_library(library, model)
        consistent = "yes"
    except AssertionError as exc:
        consistent = f"NO: {exc}"
        failures.append(f"consistency check failed: {exc}")
        state = None

    lat = np.asarray(searcher.latencies) * 1000
    figures = {
        "minutes": round(churn_s / 60, 2),
        "operations": sum(churn.ops.values()),
        "by_kind": dict(churn.ops),
        "searches": len(searcher.latencies),
        "search_errors": len(searcher.errors),
        "search_ms_p50": round(float(np.percentile(lat, 50)), 2) if len(lat) else None,
        "search_ms_p95": round(float(np.percentile(lat, 95)), 2) if len(lat) else None,
        "search_ms_max": round(float(lat.max()), 2) if len(lat) else None,
        "settle_s": round(settle_s, 1),
        "files_at_end": len(on_disk),
        "indexed_at_end": state.indexed if state else None,
        "pending_at_end": state.pending if state else None,
        "failed_at_end": state.failed if state else None,
        "vectors_checked_against_content": len(sample),
        "consistent": consistent,
        "watcher_exit": watcher.returncode,
    }
    print(json.dumps(figures, indent=2))
    for failure in failures:
        print("FAIL:", failure)
    print("soak:", "PASSED" if not failures else "FAILED", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
