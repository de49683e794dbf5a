"""Measure duplicate finding on real images: the Debian wallpapers, transformed (tests/quality/duplicate_set.py).

    python -m tests.quality.duplicates [--wallpapers /var/tmp/photoseek-wallpapers] [--set DIR] [--json OUT]

1. **Hash comparison** (on the thumbnails the pipeline decodes): the product's DCT hash
   (``indexer.duplicates.photo_hash``) against imagehash's phash, dhash and whash, each with the product's
   colour check.  For each, the largest number of differing bits is chosen on the *tuning* part
   (best pair F1 over 4..24 bits); precision and recall of near-copy pairs at that bound are
   reported on both parts, with the cost per photo; once with the hash alone, once with the colour
   check.  A pair is true when both files come from one artwork's family (copies or one burst).
2. **End to end**: the set is indexed by the real library (``Library.index`` with the toy CLIP,
   fingerprints from the pipeline's own decode), and ``LibraryReader.duplicates(kind=...)`` is
   scored per kind, on the tuning part, the held-out part, and everything together:
   precision = pairs grouped together that truly belong together (exact: byte copies; near: one
   artwork's copies; burst: one moment's shots) / pairs grouped; recall = true pairs grouped /
   true pairs.  Hard negatives grouped with anything are counted.

Writes nothing outside ``--set`` (default: a temporary directory) and prints the figures.
"""

from __future__ import annotations

import argparse
import filecmp
import itertools
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from indexer.duplicates.photo_hash import colour_distances, fingerprint, hamming
from tests.quality.duplicate_set import Item, build
from tests.quality.wallpapers import Artwork, artworks, split

KINDS = ("exact", "near", "burst")


def _artwork(item: Item) -> str:
    return item.family.split("/")[0]


def truth_pairs(items: list[Item], kind: str) -> set[tuple[Path, Path]]:
    """The pairs that belong together for ``kind`` (paths sorted within each pair): "exact", files of one
    family with the same bytes; "near" or "burst", any two files of one family of that kind; "any", any
    two files of one family."""
    out: set[tuple[Path, Path]] = set()
    for a, b in itertools.combinations(items, 2):
        if a.family != b.family or a.kind == "none":
            continue
        if kind == "exact":
            if a.path.stat().st_size == b.path.stat().st_size and filecmp.cmp(a.path, b.path, shallow=False):
                out.add(_pair(a.path, b.path))
        elif kind in (a.kind, "any"):
            out.add(_pair(a.path, b.path))
    return out


def _pair(a: Path, b: Path) -> tuple[Path, Path]:
    return (a, b) if str(a) <= str(b) else (b, a)


def scores(predicted: set[tuple[Path, Path]], truth: set[tuple[Path, Path]]) -> tuple[float, float, int, int]:
    hit = len(predicted & truth)
    precision = hit / len(predicted) if predicted else 1.0
    recall = hit / len(truth) if truth else 1.0
    return precision, recall, len(predicted), len(truth)


# -- 1. hash methods ---------------------------------------------------------------------------


def compare_hashes(items: list[Item], parts: dict[str, set[str]]) -> list[dict]:
    import imagehash

    from indexer.models.bundle import ModelBundle
    from indexer.models.preprocess import decode_image
    from tests.support.bundles import TOYCLIP

    cfg = ModelBundle.load(TOYCLIP).preprocess
    thumbs = [decode_image(i.path, cfg).thumbnail for i in items]
    methods = {
        "dct (ours)": lambda im: fingerprint(im).shape,
        "imagehash.phash": lambda im: int(str(imagehash.phash(im)), 16),
        "imagehash.dhash": lambda im: int(str(imagehash.dhash(im)), 16),
        "imagehash.whash": lambda im: int(str(imagehash.whash(im)), 16),
    }
    colours = np.frombuffer(b"".join(fingerprint(t).colour for t in thumbs), dtype=np.uint8).reshape(len(items), -1)
    pairs = list(itertools.combinations(range(len(items)), 2))
    a = np.array([p[0] for p in pairs])
    b = np.array([p[1] for p in pairs])
    chroma, luma = colour_distances(colours[a], colours[b])
    colour_ok = (chroma <= 6.0) & (luma <= 10.0)
    same_family = np.array([items[i].family == items[j].family and items[i].kind != "none" for i, j in pairs])
    part_of = np.array([_artwork(items[i]) for i in range(len(items))])
    rows = []
    for name, method in methods.items():
        started = time.perf_counter()
        hashes = [method(t) for t in thumbs]
        cost = (time.perf_counter() - started) / len(thumbs) * 1000
        bits = np.array([hamming(hashes[i], hashes[j]) for i, j in pairs])
        masks = {p: np.array([part_of[i] in names and part_of[j] in names for i, j in pairs])
                 for p, names in parts.items()}
        for check, extra in (("hash only", np.ones_like(colour_ok)), ("hash + colour", colour_ok)):

            def pr(limit: int, mask: np.ndarray, bits: np.ndarray = bits, extra: np.ndarray = extra
                   ) -> tuple[float, float]:
                pred = (bits <= limit) & extra & mask
                true = same_family & mask
                tp = int((pred & true).sum())
                return tp / max(1, int(pred.sum())), tp / max(1, int(true.sum()))

            def f1(limit: int, tuning: np.ndarray = masks["tuning"]) -> float:
                p, r = pr(limit, tuning)
                return 2 * p * r / max(p + r, 1e-9)

            best = max(range(2, 25), key=f1)
            result: dict = {"method": name, "check": check, "ms_per_photo": round(cost, 3), "bits": best}
            for p in parts:
                result[p] = dict(zip(("precision", "recall"), (round(x, 4) for x in pr(best, masks[p]))))
            rows.append(result)
    return rows


# -- 2. end to end ---------------------------------------------------------------------------


def end_to_end(items: list[Item], root: Path, parts: dict[str, set[str]], library: Path) -> dict:
    from indexer.duplicates.groups import find_duplicates
    from indexer.duplicates.tables import DuplicateTables
    from indexer.library import Library
    from tests.support.bundles import TOYCLIP

    out: dict = {}
    with Library.open(library) as lib:
        lib.use_model(str(TOYCLIP))
        started = time.perf_counter()
        list(lib.index([root]))
        out["index_s"] = round(time.perf_counter() - started, 1)
        rows = DuplicateTables(lib.catalog).candidates()
    by_path = {i.path: i for i in items}
    for part, names in parts.items():
        part_rows = [r for r in rows if _artwork(by_path[r.path]) in names]
        part_items = [i for i in items if _artwork(i) in names]
        negatives = {i.path for i in part_items if i.kind == "none"}
        for kind in (*KINDS, None):
            gen = find_duplicates(part_rows, kind=kind)
            started = time.perf_counter()
            try:
                while True:
                    next(gen)
            except StopIteration as stop:
                groups = stop.value
            elapsed = time.perf_counter() - started
            predicted = {_pair(x.path, y.path) for g in groups for x, y in itertools.combinations(g.photos, 2)}
            truth = truth_pairs(part_items, kind or "any")
            if kind is None:  # every family together, whatever its kind
                truth = {_pair(a.path, b.path) for a, b in itertools.combinations(part_items, 2)
                         if a.family == b.family and a.kind != "none"}
            p, r, n_pred, n_true = scores(predicted, truth)
            grouped_negatives = len(negatives & {x.path for g in groups for x in g.photos})
            out[f"{part}/{kind or 'all'}"] = {"precision": round(p, 4), "recall": round(r, 4), "pairs_grouped": n_pred,
                                              "true_pairs": n_true, "groups": len(groups),
                                              "hard_negatives_grouped": grouped_negatives,
                                              "grouping_s": round(elapsed, 3)}
            if kind == "near":
                out[f"{part}/near missed"] = _missed(truth - predicted, by_path)
    return out


def _missed(pairs: set[tuple[Path, Path]], by_path: dict[Path, Item]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for a, b in pairs:
        counts[" + ".join(sorted((by_path[a].transform.split(" q")[0], by_path[b].transform.split(" q")[0])))] += 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def set_arguments(doc: str | None) -> argparse.ArgumentParser:
    """The arguments of a script that builds the duplicate test set: ``--wallpapers`` and ``--set``."""
    ap = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    ap.add_argument("--wallpapers", type=Path, default=Path("/var/tmp/photoseek-wallpapers"))
    ap.add_argument("--set", type=Path, help="where to write the test set (default: a temporary directory)")
    return ap


def wallpaper_artworks(folder: Path) -> list[Artwork]:
    """The artworks under ``folder``; when there are none, says how to get them (on stderr)."""
    found = artworks(folder)
    if not found:
        sys.stderr.write(f"no wallpapers under {folder}: python -m tests.quality.wallpapers DIR\n")
    return found


def main(argv: list[str] | None = None) -> int:
    ap = set_arguments(__doc__)
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)
    found = wallpaper_artworks(args.wallpapers)
    if not found:
        return 1
    tune, hold = split(found)
    parts = {"tuning": {a.name for a in tune}, "held-out": {a.name for a in hold}, "all": {a.name for a in found}}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.set or Path(tmp) / "set"
        started = time.perf_counter()
        items = build(found, root)
        sys.stderr.write(f"built {len(items)} files from {len(found)} artworks in {time.perf_counter() - started:.0f} s\n")
        kinds = defaultdict(int)
        for i in items:
            kinds[i.kind] += 1
        figures: dict = {"files": len(items), "artworks": len(found), "tuning_artworks": len(tune),
                         "held_out_artworks": len(hold), "files_by_family_kind": dict(kinds)}
        figures["hashes"] = compare_hashes(items, {k: v for k, v in parts.items() if k != "all"})
        figures["end_to_end"] = end_to_end(items, root, parts, Path(tmp) / "library")
    print(json.dumps(figures, indent=2, default=str))
    for row in figures["hashes"]:
        print(f"{row['method']:16s} {row['check']:13s} {row['ms_per_photo']:6.3f} ms  <= {row['bits']:2d} bits  "
              f"tuning P {row['tuning']['precision']:.3f} R {row['tuning']['recall']:.3f}  "
              f"held-out P {row['held-out']['precision']:.3f} R {row['held-out']['recall']:.3f}")
    for key, value in figures["end_to_end"].items():
        if isinstance(value, dict) and "precision" in value:
            print(f"{key:18s} P {value['precision']:.3f}  R {value['recall']:.3f}  "
                  f"({value['pairs_grouped']} pairs grouped, {value['true_pairs']} true, "
                  f"{value['hard_negatives_grouped']} hard negatives grouped)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
