"""Benchmark: Photoseek against rclip 3.3 -- indexing 12 MP JPEGs, whole commands, same model graph.

    python -m tests.benchmarks.bench_vs_rclip                 # 48 photos, 3 rounds rclip/photoseek alternated
    python -m tests.benchmarks.bench_vs_rclip --rounds 5
    python -m tests.benchmarks.bench_vs_rclip --quick         # 8 photos, one round (a smoke run)
    python -m tests.benchmarks.bench_vs_rclip --patch draft-margin-1        # a lever, alternated with the default

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

Photoseek remembers, in the user's cache folder, each bundle's fingerprint and that its towers passed
their check (``indexer/models/known_bundles.py``), so only the first library ever indexed with a bundle
pays for them; ``--first-time`` empties that cache before each Photoseek run to time that first one.

``--patch NAME`` (repeatable) also times Photoseek with a lever changed in its process (``PATCHES``
below), alternated with the unchanged command in the same rounds, so each lever gets its own
before/after ratio.
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


# Levers tried by changing one thing in Photoseek's process before its command runs.
PATCHES = {
    # JPEG draft at the smallest DCT scale that still covers the model input (instead of twice it)
    "draft-margin-1": "import indexer.models.preprocess as p; p.DRAFT_MARGIN = 1.0",
    # ONNX Runtime's intra-op threads spin between operators on every tower (the default before the
    # image tower stopped spinning; the decode threads share the cores)
    "spinning": (
        "import onnxruntime as ort\n"
        "class Options(ort.SessionOptions):\n"
        "    def add_session_config_entry(self, key, value):\n"
        "        if key != 'session.intra_op.allow_spinning':\n"
        "            super().add_session_config_entry(key, value)\n"
        "ort.SessionOptions = Options"
    ),
}


def run_photoseek(bundle: Path, folder: Path, work: Path, patches: tuple[str, ...] = (), *,
                  first_time: bool = False, ocr: bool = False) -> float:
    library = work / "photoseek-library"
    shutil.rmtree(library, ignore_errors=True)
    env = cli_env(PHOTOSEEK_MODELS=str(work / "models"))
    if first_time:  # an empty user cache: the bundle is fingerprinted and both towers checked, as the first time
        shutil.rmtree(work / "fresh-cache", ignore_errors=True)
        env["XDG_CACHE_HOME"] = str(work / "fresh-cache")
    code = "\n".join([PATCHES[name] for name in patches] + ["import sys", "from app.cli.entry import main",
                                                            "sys.exit(main())"])
    started = time.perf_counter()
    # --no-ocr (unless ``ocr``): rclip reads no text in photos; everything on: bench_vs_rclip_all.py
    proc = subprocess.run([sys.executable, "-c", code, "--library", str(library), "index", str(folder),
                           "--model", str(bundle)] + ([] if ocr else ["--no-ocr"]),
                          cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"photoseek failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=48)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--patch", action="append", default=[], choices=sorted(PATCHES),
                   help="also time Photoseek with this lever (repeatable; all given levers together)")
    p.add_argument("--skip-rclip", action="store_true", help="only time Photoseek (lever comparisons)")
    p.add_argument("--first-time", action="store_true",
                   help="Photoseek with an empty user cache each time: the first index ever with this bundle "
                        "(fingerprinting it and checking both towers; later libraries skip both)")
    args = p.parse_args()
    n = 8 if args.quick else args.photos
    rounds = 1 if args.quick else args.rounds
    patches = tuple(args.patch)
    exe = rclip_executable()
    bundle = photoseek_bundle()
    models = rclip_models(bundle)
    folder = photos(n)
    work = CACHE / "vs-rclip-work"
    work.mkdir(parents=True, exist_ok=True)
    print(f"{n} photos 4000x3000 in {folder}; model {ARCH} (random weights), the same graphs for both; "
          f"levers tried: {', '.join(patches) or '-'}", flush=True)
    headers = ("round", "order", "rclip s", "photoseek s", "photoseek photos/s", "rclip/photoseek",
               "with levers s", "levers' gain", "load before")
    rows = []
    ratios: list[float] = []
    gains: list[float] = []
    sides = (["rclip"] if not args.skip_rclip else []) + ["photoseek"] + (["levers"] if patches else [])
    for r in range(1, rounds + 1):
        ld = load()
        order = sides if r % 2 else sides[::-1]
        times: dict[str, float] = {}
        for who in order:
            if who == "rclip":
                times[who] = run_rclip(exe, models, folder, work)
            else:
                times[who] = run_photoseek(bundle, folder, work, patches if who == "levers" else (),
                                           first_time=args.first_time)
        ps, rc, lv = times["photoseek"], times.get("rclip"), times.get("levers")
        if rc:
            ratios.append(rc / ps)
        if lv:
            gains.append(ps / lv)
        rows.append((r, " then ".join(order), f"{rc:.1f}" if rc else "-", f"{ps:.1f}", f"{n / ps:.2f}",
                     f"{rc / ps:.2f}x" if rc else "-", f"{lv:.1f}" if lv else "-", f"{ps / lv:.2f}x" if lv else "-",
                     ld))
        print(table(rows[-1:], headers), flush=True)
    print()
    print(table(rows, headers))
    if ratios:
        print(f"\nPhotoseek indexes at {median(ratios):.2f}x rclip {RCLIP_VERSION} (median of {len(ratios)} rounds; "
              f"per round {', '.join(f'{x:.2f}' for x in ratios)}); {load()}")
    if gains:
        print(f"levers {', '.join(patches)}: {median(gains):.2f}x faster than without (median; per round "
              f"{', '.join(f'{x:.2f}' for x in gains)})")


if __name__ == "__main__":
    main()
