"""How the crop windows were chosen: near-copy rules compared pair by pair on the TUNING part of the wallpaper set.

    python -m tests.quality.duplicate_crop_rules [--wallpapers /var/tmp/photoseek-wallpapers] [--set DIR]

Builds the duplicate test set (tests/quality/duplicate_set.py), fingerprints every file of the tuning
part from the thumbnail the pipeline decodes, and scores every pair of them (a pair is true when both
files are of one family) under three rules:

- **whole**: the whole-picture rule alone (``NEAR_BITS`` + colours);
- **any window**: whole, or within the band, any crop window (either way) within the window bound
  whose colours agree;
- **aligned** (the product's, ``indexer/crop_match.py``): whole, or within the band, the windows the
  shapes align (fewest bits) within the window bound, and their colours agree;

then the aligned rule over a grid of bands and window bounds.  Only the tuning part is scored: the
held-out part is for the end-to-end figure of ``python -m tests.quality.duplicates``.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import numpy as np

from indexer.duplicates.bit_count import popcount
from indexer.duplicates.crop_match import CROP_BAND, WINDOW_BITS, cropped_copies
from indexer.duplicates.pairs import NEAR_BITS, NEAR_CHROMA, NEAR_LUMA, Prints
from indexer.duplicates.photo_hash import CROPS, colour_distances, fingerprint
from tests.quality.duplicate_set import Item, build
from tests.quality.duplicates import set_arguments, wallpaper_artworks
from tests.quality.wallpapers import split


def tuning_prints(items: list[Item]) -> Prints:
    from indexer.models.bundle import ModelBundle
    from indexer.models.preprocess import decode_image
    from tests.support.bundles import TOYCLIP

    cfg = ModelBundle.load(TOYCLIP).preprocess
    prints = [fingerprint(decode_image(i.path, cfg).thumbnail) for i in items]
    colours = np.frombuffer(b"".join(p.colour for p in prints), dtype=np.uint8).reshape(len(prints), -1)
    shapes = np.array([p.shape for p in prints], dtype=np.uint64)
    return Prints.of(shapes, colours, [p.crops for p in prints], np.full(len(prints), np.nan))


def any_window(a: np.ndarray, b: np.ndarray, p: Prints, window_bits: int) -> np.ndarray:
    """Pairs where some window of one (either way) is within ``window_bits`` of the other and agrees in colour."""
    ok = np.zeros(len(a), dtype=bool)
    for big, small in ((a, b), (b, a)):
        for w in range(CROPS):
            close = popcount(p.crop_shapes[big, w] ^ p.shapes[small]) <= window_bits
            chroma, luma = colour_distances(p.crop_colours[big, w], p.colours[small])
            ok |= close & (chroma <= NEAR_CHROMA) & (luma <= NEAR_LUMA)
    return ok


def main(argv: list[str] | None = None) -> int:
    args = set_arguments(__doc__).parse_args(argv)
    found = wallpaper_artworks(args.wallpapers)
    if not found:
        return 1
    tune, _ = split(found)
    names = {a.name for a in tune}
    with tempfile.TemporaryDirectory() as tmp:
        items = [i for i in build(found, args.set or Path(tmp) / "set") if i.family.split("/")[0] in names]
        p = tuning_prints(items)
    a, b = (np.array(x) for x in zip(*itertools.combinations(range(len(items)), 2)))
    true = np.array([items[i].family == items[j].family and items[i].kind != "none" for i, j in zip(a, b)])
    crop = np.array(["crop" in items[i].transform or "crop" in items[j].transform for i, j in zip(a, b)])
    bits = popcount(p.shapes[a] ^ p.shapes[b]).astype(np.int64)
    chroma, luma = colour_distances(p.colours[a], p.colours[b])
    whole = (bits <= NEAR_BITS) & (chroma <= NEAR_CHROMA) & (luma <= NEAR_LUMA)

    def aligned(band: int, window_bits: int) -> np.ndarray:
        out = whole.copy()
        k = np.flatnonzero(~whole & (bits <= band))
        matched, _ = cropped_copies(a[k], b[k], p.shapes, p.colours, p.crop_shapes, p.crop_colours, p.has_crops,
                                    NEAR_CHROMA, NEAR_LUMA, window_bits)
        out[k[matched]] = True
        return out

    def line(name: str, pred: np.ndarray) -> str:
        tp = int((pred & true).sum())
        return (f"{name:44s} P {tp / max(1, int(pred.sum())):.3f}  R {tp / int(true.sum()):.3f}  "
                f"cropped pairs joined {int((pred & true & crop).sum())} of {int((true & crop).sum())}  "
                f"false pairs {int((pred & ~true).sum())}")

    print(f"tuning part: {len(items)} files, {len(a):,} pairs, {int(true.sum())} true")
    print(f"cropped pairs: whole pictures at most {int(bits[true & crop].max())} bits apart")
    print(line("whole picture only", whole))
    print(line(f"any window (band {CROP_BAND}, window {WINDOW_BITS})",
               whole | ((bits <= CROP_BAND) & any_window(a, b, p, WINDOW_BITS))))
    print(line(f"aligned window (band {CROP_BAND}, window {WINDOW_BITS}) *", aligned(CROP_BAND, WINDOW_BITS)))
    for band in (18, 20, 22, 24, 28):
        for window_bits in (6, 8, 10):
            print(line(f"  aligned, band {band}, window {window_bits}", aligned(band, window_bits)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
