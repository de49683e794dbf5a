"""Benchmark: Photoseek against rclip 3.3 -- indexing 12 MP JPEGs, whole commands, same model graph.

    python -m tests.benchmarks.bench_vs_rclip                 # 48 photos, 3 rounds rclip/photoseek alternated
    python -m tests.benchmarks.bench_vs_rclip --rounds 5
    python -m tests.benchmarks.bench_vs_rclip --quick         # 8 photos, one round (a smoke run)
    python -m tests.benchmarks.bench_vs_rclip --photoseek-env PHOTOSEEK_DRAFT_SCALE=2   # a lever, by environment

Setup (once, kept under the cache folder and /var/tmp):

- rclip 3.3.0 in a virtual environment of its own (``pip install rclip==3.3.0``), never in Photoseek's;
- one random-weight open_clip ViT-B-32-256 (rclip's architecture: 256 px input), exported once with
  Photoseek's exporter.  Photoseek indexes with that bundle; rclip gets the *same* two graphs, with
  only their input renamed to ``input`` (what rclip feeds), as ``visual.onnx``/``textual.onnx`` and
  open_clip's ``bpe_simple_vocab_16e6.txt.gz`` under ``$RCLIP_DATADIR/ViT-B-32-256-datacomp_s34b_b86k/``
  and ``$RCLIP_DATADIR/tokenizer/`` -- where rclip looks, so it downloads nothing;
- the photos of bench_indexing.py (4000x3000 JPEGs with sensor noise and EXIF, 3.5-4.5 MB each).

Each round runs both whole commands from a fresh state, alternating which goes first:
``rclip -f -t 1 x`` in the photo folder (indexes, then searches) with a fresh ``$RCLIP_DATADIR``
database, and ``photoseek --library NEW index PHOTOS --model BUNDLE``.  Ratio = rclip's wall time /
Photoseek's, per round and the median; the load average is printed with each round (2 shared cores).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import ROOT, cli_env

from ._common import CACHE, load, median, parser, table

RCLIP_VERSION = "3.3.0"
RCLIP_VENV = Path(os.environ.get("PHOTOSEEK_RCLIP_VENV", f"/var/tmp/rclip-{RCLIP_VERSION}-venv"))
RCLIP_MODEL_DIR = "ViT-B-32-256-datacomp_s34b_b86k"
ARCH = "ViT-B-32-256"
BUNDLE_NAME = "ViT-B-32-256__random"


def rclip_executable() -> Path:
    """rclip 3.3.0 in its own virtual environment (created once)."""
    exe = RCLIP_VENV / "bin" / "rclip"
    if not exe.exists():
        print(f"installing rclip {RCLIP_VERSION} into {RCLIP_VENV} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(RCLIP_VENV)], check=True)
        subprocess.run([str(RCLIP_VENV / "bin" / "pip"), "install", "-q", f"rclip=={RCLIP_VERSION}"], check=True)
    return exe


def photoseek_bundle(cache: Path = CACHE) -> Path:
    """The random-weight ViT-B-32-256 bundle, exported once."""
    path = cache / "bundles" / BUNDLE_NAME
    if (path / "config.json").exists():
        return path
    from indexer.models.export import export_pretrained

    print(f"exporting random-weight {ARCH} to {path} (once) ...", flush=True)
    return export_pretrained(ARCH, None, path, name=BUNDLE_NAME, seed=0)


def rclip_models(bundle: Path, cache: Path = CACHE) -> Path:
    """A folder holding rclip's model files made from ``bundle``'s graphs (input renamed to ``input``)."""
    out = cache / "rclip-models"
    models = out / RCLIP_MODEL_DIR
    vocab = out / "tokenizer" / "bpe_simple_vocab_16e6.txt.gz"
    if (models / "textual.onnx").exists() and vocab.exists():
        return out
    import onnx
    import open_clip

    models.mkdir(parents=True, exist_ok=True)
    for tower, target in (("visual", "visual.onnx"), ("textual", "textual.onnx")):
        graph = onnx.load(str(bundle / tower / "model.onnx"))
        old = graph.graph.input[0].name
        graph.graph.input[0].name = "input"
        for node in graph.graph.node:
            node.input[:] = ["input" if name == old else name for name in node.input]
        onnx.save(graph, str(models / target))
    vocab.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(open_clip.__file__).parent / "bpe_simple_vocab_16e6.txt.gz", vocab)
    return out


def photos(n: int, cache: Path = CACHE) -> Path:
    """``n`` 12 MP JPEGs (those of bench_indexing.py), alone in a folder of their own."""
    from .bench_indexing import make_photos

    shared = cache / "indexing-12mp"
    make_photos(shared, n)
    folder = cache / f"vs-rclip-{n}"
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = f"DSC_{i:05d}.jpg"
        if not (folder / name).exists():
            os.link(shared / name, folder / name)
    return folder


def run_rclip(exe: Path, models: Path, folder: Path, work: Path) -> float:
    datadir = work / "rclip-data"
    shutil.rmtree(datadir, ignore_errors=True)
    datadir.mkdir(parents=True)
    for entry in models.iterdir():
        os.symlink(entry, datadir / entry.name)
    env = dict(os.environ, RCLIP_DATADIR=str(datadir))
    started = time.perf_counter()
    proc = subprocess.run([str(exe), "-f", "-t", "1", "x"], cwd=folder, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0 or not proc.stdout.strip():
        raise SystemExit(f"rclip failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def run_photoseek(bundle: Path, folder: Path, work: Path, extra_env: dict[str, str]) -> float:
    library = work / "photoseek-library"
    shutil.rmtree(library, ignore_errors=True)
    env = cli_env(PHOTOSEEK_MODELS=str(work / "models"), **extra_env)
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "app.cli", "--library", str(library), "index", str(folder),
                           "--model", str(bundle)], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"photoseek failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=48)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--photoseek-env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment for Photoseek's runs (repeatable)")
    p.add_argument("--skip-rclip", action="store_true", help="only time Photoseek (lever comparisons)")
    args = p.parse_args()
    n = 8 if args.quick else args.photos
    rounds = 1 if args.quick else args.rounds
    extra_env = dict(item.split("=", 1) for item in args.photoseek_env)
    exe = rclip_executable()
    bundle = photoseek_bundle()
    models = rclip_models(bundle)
    folder = photos(n)
    work = CACHE / "vs-rclip-work"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{n} photos 4000x3000 in {folder}; model {ARCH} (random weights), the same graphs for both; "
          f"Photoseek env {extra_env or '-'}", flush=True)
    rows = []
    ratios = []
    for r in range(1, rounds + 1):
        ld = load()
        times: dict[str, float] = {}
        order = ("rclip", "photoseek") if r % 2 else ("photoseek", "rclip")
        for who in order:
            if who == "rclip" and args.skip_rclip:
                continue
            times[who] = (run_rclip(exe, models, folder, work) if who == "rclip"
                          else run_photoseek(bundle, folder, work, extra_env))
        ps = times["photoseek"]
        rc = times.get("rclip")
        ratio = rc / ps if rc else None
        if ratio is not None:
            ratios.append(ratio)
        rows.append((r, " then ".join(order), f"{rc:.1f}" if rc else "-", f"{n / rc:.2f}" if rc else "-",
                     f"{ps:.1f}", f"{n / ps:.2f}", f"{ratio:.2f}x" if ratio else "-", ld))
        print(table(rows[-1:], ("round", "order", "rclip s", "rclip photos/s", "photoseek s",
                                "photoseek photos/s", "speed ratio", "load before")), flush=True)
    print()
    print(table(rows, ("round", "order", "rclip s", "rclip photos/s", "photoseek s", "photoseek photos/s",
                       "speed ratio", "load before")))
    if ratios:
        print(f"\nPhotoseek indexes at {median(ratios):.2f}x rclip {RCLIP_VERSION} (median of {len(ratios)} rounds; "
              f"per round {', '.join(f'{x:.2f}' for x in ratios)}); {load()}")


if __name__ == "__main__":
    main()
