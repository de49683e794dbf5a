"""Benchmark: JPEG draft scale -- decoding cost against embedding fidelity (real photos, ViT-B-32).

    python -m tests.benchmarks.bench_draft                       # wallpapers + 12 MP photos, margins 2 and 1
    python -m tests.benchmarks.bench_draft --limit 40 --quick    # fewer images

libjpeg decodes at 1/1, 1/2, 1/4 or 1/8 scale almost for free (``Image.draft``); the decoder asks for
the smallest scale whose image is still ``DRAFT_MARGIN`` times the model's input (and at least the
thumbnail).  For each margin this prints:

- fidelity: the cosine between the embedding of the draft decode and of a full decode (``draft=False``),
  over every JPEG artwork of the wallpaper corpus (``tests.quality.wallpapers``, real photographs and
  art by others, 1-30 MP), with the random-weight ViT-B-32 of the tests; the distribution (min, 1st,
  5th percentile, median) and how many fall under 0.9995;
- cost: one thread's CPU time of ``decode_image`` per 12 MP JPEG (the photos of bench_indexing.py),
  margins alternated photo by photo;
- thumbnails: side-by-side thumbnails (full decode | each margin) of a few artworks written to
  ``CACHE/draft-thumbnails/`` to look at.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PIL import Image

from indexer.models import preprocess
from indexer.models.encoder import Encoder
from indexer.models.preprocess import decode_image

from ._common import CACHE, load, parser, table, vit_b32
from .bench_indexing import make_photos

WALLPAPERS = Path("/var/tmp/photoseek-wallpapers")


def decode_at(path: Path, cfg, margin: float | None):
    """``decode_image`` with the draft margin ``margin`` (None: no draft, a full decode)."""
    if margin is None:
        return decode_image(path, cfg, draft=False)
    saved = preprocess.DRAFT_MARGIN
    preprocess.DRAFT_MARGIN = margin
    try:
        return decode_image(path, cfg, draft=True)
    finally:
        preprocess.DRAFT_MARGIN = saved


def fidelity(encoder: Encoder, paths: list[Path], margins: list[float]) -> dict[float, np.ndarray]:
    cfg = encoder.bundle.preprocess
    cosines: dict[float, list[float]] = {m: [] for m in margins}
    for path in paths:
        full = encoder.encode_pixels(decode_at(path, cfg, None).pixels[None])[0]
        for m in margins:
            v = encoder.encode_pixels(decode_at(path, cfg, m).pixels[None])[0]
            cosines[m].append(float(full @ v))
    return {m: np.asarray(c) for m, c in cosines.items()}


def decode_cost(paths: list[Path], cfg, margins: list[float], repeats: int) -> dict[float, float]:
    times: dict[float, list[float]] = {m: [] for m in margins}
    for _ in range(repeats):
        for path in paths:
            for m in margins:
                started = time.thread_time()
                decode_at(path, cfg, m)
                times[m].append(time.thread_time() - started)
    return {m: float(np.median(t)) for m, t in times.items()}


def thumbnails(paths: list[Path], cfg, margins: list[float], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for i, path in enumerate(paths):
        thumbs = [decode_at(path, cfg, None).thumbnail] + [decode_at(path, cfg, m).thumbnail for m in margins]
        sheet = Image.new("RGB", (sum(t.width for t in thumbs) + 8 * len(thumbs), max(t.height for t in thumbs)),
                          "white")
        x = 0
        for t in thumbs:
            sheet.paste(t, (x, 0))
            x += t.width + 8
        sheet.save(out / f"{i:02d}-{path.parent.name}-{path.stem}.png")


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--limit", type=int, default=0, help="at most this many artworks (0: all)")
    p.add_argument("--margins", default="2,1", help="draft margins to compare (default: 2,1)")
    p.add_argument("--photos", type=int, default=16, help="12 MP JPEGs for the decode cost")
    args = p.parse_args()
    from tests.quality.wallpapers import artworks

    margins = [float(m) for m in args.margins.split(",")]
    jpegs = [a.path for a in artworks(WALLPAPERS) if a.path.suffix.lower() in (".jpg", ".jpeg")]
    limit = 12 if args.quick else args.limit
    if limit:
        jpegs = jpegs[:limit]
    encoder = Encoder(vit_b32(), providers=["cpu"])
    cfg = encoder.bundle.preprocess
    sizes = [Image.open(p).size for p in jpegs]
    print(f"{len(jpegs)} JPEG artworks ({min(w * h for w, h in sizes) / 1e6:.1f}-"
          f"{max(w * h for w, h in sizes) / 1e6:.1f} MP); model input {cfg.size}; {load()}", flush=True)
    cos = fidelity(encoder, jpegs, margins)
    rows = []
    for m in margins:
        c = cos[m]
        rows.append((m, f"{c.min():.5f}", f"{np.percentile(c, 1):.5f}", f"{np.percentile(c, 5):.5f}",
                     f"{np.median(c):.5f}", int((c < 0.9995).sum())))
    print(table(rows, ("margin", "min cos", "p1", "p5", "median", "under 0.9995")))
    photos = make_photos(CACHE / "indexing-12mp", max(args.photos, 4))[: 4 if args.quick else args.photos]
    cost = decode_cost(photos, cfg, margins, 1 if args.quick else 2)
    print(table([(m, f"{cost[m] * 1000:.1f}") for m in margins], ("margin", "decode_image ms CPU per 12 MP JPEG")))
    thumbnails(jpegs[:6], cfg, margins, CACHE / "draft-thumbnails")
    print(f"thumbnails (full | {' | '.join(f'margin {m:g}' for m in margins)}) in {CACHE / 'draft-thumbnails'}; "
          f"{load()}")


if __name__ == "__main__":
    main()
