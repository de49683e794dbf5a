"""Text in photos, measured: word recall by text height, phrase-query R@1 for CLIP alone vs hybrid
(both fusions), rankings of queries without words, and OCR cost per photo.

    python -m tests.quality.text_in_photos [--set DIR] [--variants 3] [--curve 24] [--fresh-heldout SEED]

builds the set (``tests/quality/text_set.py``: phrases on Debian wallpapers, screenshots,
documents; plain wallpapers and generated photos as distractors, >= 500 photos in all), indexes
it with the committed toy CLIP (which cannot read: the point is what the words add) and the OCR
stage at the shipped settings, then prints the figures, on the tuning part and the held-out part
separately.  ``--fresh-heldout SEED`` adds a fresh held-out part (``text_set_fresh.py``: new
phrases on the held-out wallpapers, in the same folder) and its figures.  ``--curve N`` adds the
detector-size curve on N tuning images (24 in docs/quality.md) and the gate curve.
Figures go to docs/quality.md ("Text in photos").
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from indexer.library import Library
from indexer.progress import Phase
from indexer.search import Query
from indexer.text.stage import READING_TEXT
from tests.quality.text_set import Sample, build
from tests.quality.text_set_fresh import FRESH_PART, build_fresh
from tests.support.bundles import TOYCLIP
from tests.support.photos import write_photo

DISTRACTOR_PHOTOS = 240
NO_WORD_QUERIES = (
    "a mountain lake at sunset", "a red circle", "blue sky with clouds", "a forest in autumn", "a city at night",
    "an abstract pattern", "a dark background", "green hills", "a beach", "a purple gradient", "snow",
    "a bright yellow shape", "waves on the sea", "a desert", "stars in the night sky", "geometric shapes",
)


def normal_words(text: str) -> list[str]:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return re.findall(r"[^\W_]+", "".join(c for c in folded if not unicodedata.combining(c)))


def bucket(px: int) -> str:
    return "<20 px" if px < 20 else ">=20 px"


def index_set(root: Path, samples: list[Sample], marker: str = "done") -> tuple[Path, dict[str, float], dict[str, float]]:
    """Index the set (with distractors) once; returns the library, stage rates and per-file OCR ms.
    ``marker`` names the file that says it was done (another for a set with a fresh part added:
    indexing again reads only what is new)."""
    library = root / "library"
    folder = root / "images"
    for i in range(DISTRACTOR_PHOTOS):
        target = folder / f"generated_{i:03d}.jpg"
        if not target.exists():
            write_photo(target, 5000 + i, (800, 600))
    ms: dict[str, float] = {}
    rates: dict[str, float] = {}
    if (library / marker).exists():
        return library, rates, ms
    with Library.open(library) as lib:  # an interrupted run resumes: what was read is kept
        lib.use_model(str(TOYCLIP))
        last = time.perf_counter()
        started = last
        for p in lib.index([folder]):
            now = time.perf_counter()
            if p.phase is READING_TEXT and p.current is not None:
                ms[p.current.name] = (now - last) * 1000
            if p.phase is Phase.INDEXING and p.total:
                rates["clip_photos_per_s"] = p.rate
                rates["clip_s"] = now - started
            if p.phase is READING_TEXT and p.done:
                rates["ocr_s"] = now - started - rates.get("clip_s", 0.0)
            last = now
    (library / marker).write_text("")
    return library, rates, ms


def select(root: Path, samples: list[Sample], screenshots: int, documents: int) -> list[Sample]:
    """The samples indexed: every wallpaper, the first ``screenshots`` screenshots and ``documents``
    documents (the others wait in ``spare/``; reading a page of small lines takes a minute on a
    busy 2-core machine)."""
    keep: list[Sample] = []
    counts = {"screenshot": 0, "document": 0}
    limits = {"screenshot": screenshots, "document": documents}
    (root / "spare").mkdir(exist_ok=True)
    for s in samples:
        used = s.kind not in limits or counts[s.kind] < limits[s.kind]
        if s.kind in limits:
            counts[s.kind] += 1
        here, spare = root / s.file, root / "spare" / Path(s.file).name
        if used and spare.exists():
            spare.rename(here)
        elif not used and here.exists():
            here.rename(spare)
        if used:
            keep.append(s)
    return keep


def recall_by_height(lib: Library, samples: list[Sample], root: Path) -> dict[tuple[str, str, int], list[float]]:
    reader = lib.reader()
    out: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for s in samples:
        if not s.phrase:
            continue
        row = lib.catalog.photo_by_path(root / s.file)
        assert row is not None, s.file
        seen = set(normal_words(" ".join(line.text for line in reader.photo_text(row.id))))
        words = normal_words(s.phrase)
        label = s.kind + (" occluded" if s.occluded else "") + (" plate" if s.light_on_dark else "")
        out[(s.part, label, s.px)].append(sum(w in seen for w in words) / len(words))
    return out


def rank_at_1(lib: Library, samples: list[Sample], root: Path) -> dict[tuple[str, str, str], list[float]]:
    reader = lib.reader()
    out: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for s in samples:
        if not s.phrase:
            continue
        target = root / s.file
        for name, query in (("clip", Query(text=s.phrase, words=False, limit=10)),
                            ("boost", Query(text=s.phrase, limit=10, text_fusion="boost")),
                            ("rrf", Query(text=s.phrase, limit=10, text_fusion="rrf"))):
            hits = reader.search(query)
            out[(s.part, name, bucket(s.px))].append(float(bool(hits) and hits[0].path == target))
            out[(s.part, name, "mrr")].append(next((1 / h.rank for h in hits if h.path == target), 0.0))
    return out


def unchanged_without_words(lib: Library) -> dict[str, float]:
    reader = lib.reader()
    same = {"boost": 0, "rrf": 0}
    for text in NO_WORD_QUERIES:
        clip = [(h.path, round(h.score, 6)) for h in reader.search(Query(text=text, words=False, limit=20))]
        for fusion in same:
            hybrid = reader.search(Query(text=text, limit=20, text_fusion=fusion))
            ranks_equal = [h.path for h in hybrid] == [p for p, _ in clip]
            scores_equal = fusion == "rrf" or [(h.path, round(h.score, 6)) for h in hybrid] == clip
            same[fusion] += ranks_equal and scores_equal
    return {k: v / len(NO_WORD_QUERIES) for k, v in same.items()}


def _file(root: Path, s: Sample) -> Path:
    """Where a sample's image is: in ``images/``, or in ``spare/`` when not indexed (``select``)."""
    here = root / s.file
    return here if here.exists() else root / "spare" / Path(s.file).name


def curves(samples: list[Sample], root: Path, n: int) -> None:
    """Detector-size curve (gate off) on ``n`` tuning images with text (photos, screenshots,
    documents), and the gate curve on 40 of them plus 20 plain wallpapers and 20 generated photos.
    Costs are CPU milliseconds of this process (the OCR's threads included), which a busy shared
    machine disturbs far less than wall-clock time."""
    import random

    from PIL import Image

    from indexer.text.gate import TextGate
    from indexer.text.reader import TextReader

    folder = root / "images"
    with_text = [s for s in samples if s.part == "tune" and s.kind in ("photo", "screenshot", "document")]
    picked = list(with_text)
    random.Random(2).shuffle(picked)
    picked = picked[:n]
    print(f"\ndetector size (gate off), {len(picked)} tuning images: word recall, CPU ms/photo, by kind")
    for sides in ((640,), (960,), (1280,), (640, 960)):
        reader = TextReader(det_sides=sides, use_gate=False)
        reader.read_file(_file(root, picked[0]))  # load the models before timing
        recall: dict[str, list[float]] = defaultdict(list)
        spent: dict[str, float] = defaultdict(float)
        for s in picked:
            t = time.process_time()
            found = reader.read_file(_file(root, s))
            spent[s.kind] += time.process_time() - t
            seen = set(normal_words(" ".join(line.text for line in found.lines)))
            words = normal_words(s.phrase)
            recall[s.kind].append(sum(w in seen for w in words) / len(words))
        label = "+".join(str(side) for side in sides)
        print(f"  det {label:>7s}: " + "; ".join(
            f"{k} {sum(v) / len(v):.3f} {spent[k] / len(v) * 1000:.0f} ms (n={len(v)})" for k, v in recall.items()),
            flush=True)
        reader.close()
    gated = list(with_text)
    random.Random(1).shuffle(gated)
    images = [(s.kind, Image.open(_file(root, s)).convert("RGB")) for s in gated[:40]]
    images += [(s.kind, Image.open(root / s.file).convert("RGB"))
               for s in samples if s.part == "tune" and s.kind == "plain"][:20]
    images += [("generated", Image.open(p).convert("RGB")) for p in sorted(folder.glob("generated_*.jpg"))[:20]]
    print("\ngate: share of images passed on to the full reading, and CPU ms/photo, by kind")
    for gate in (TextGate(side=320, scale=0.5, max_side=640, box_threshold=0.5),
                 TextGate(side=320, scale=0.5, max_side=640, box_threshold=0.4),
                 TextGate(side=320, scale=0.5, max_side=640, box_threshold=0.3),
                 TextGate(side=320, scale=0.5, max_side=960, box_threshold=0.4)):
        gate.has_text(images[0][1])
        passed: dict[str, list[bool]] = defaultdict(list)
        cost: dict[str, float] = defaultdict(float)
        for kind, image in images:
            t = time.process_time()
            passed[kind].append(gate.has_text(image))
            cost[kind] += time.process_time() - t
        print(f"  {gate.spec:24s} " + "; ".join(
            f"{k} {sum(v) / len(v):.2f} {cost[k] / len(v) * 1000:.0f} ms" for k, v in passed.items()), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=Path("/var/tmp/photoseek-textset"))
    parser.add_argument("--variants", type=int, default=3, help="phrases per wallpaper")
    parser.add_argument("--curve", type=int, default=0, help="images for the detector and gate curves")
    parser.add_argument("--screenshots", type=int, default=10, help="screenshots indexed (of the 30 built)")
    parser.add_argument("--documents", type=int, default=7, help="documents indexed (of the 20 built)")
    parser.add_argument("--fresh-heldout", type=int, default=None, metavar="SEED",
                        help="add a fresh held-out part: new phrases on the held-out wallpapers (text_set_fresh.py)")
    args = parser.parse_args(argv)
    samples = select(args.set, build(args.set, variants=args.variants), args.screenshots, args.documents)
    parts = ["tune", "held-out"]
    marker = "done"
    if args.fresh_heldout is not None:
        samples += build_fresh(args.set, args.fresh_heldout, variants=args.variants)
        parts.append(FRESH_PART)
        marker = f"done-fresh-{args.fresh_heldout}"
    folder = args.set / "images"
    library, rates, ms = index_set(args.set, samples, marker)
    total = len(list(folder.iterdir()))
    print(f"set: {total} photos ({sum(1 for s in samples if s.phrase)} with a key phrase, "
          f"{sum(1 for s in samples if s.kind == 'plain')} plain wallpapers, {DISTRACTOR_PHOTOS} generated)")
    if rates:
        print(f"indexing: CLIP {rates.get('clip_photos_per_s', 0):.1f} photos/s ({rates.get('clip_s', 0):.0f} s), "
              f"then OCR {rates.get('ocr_s', 0):.0f} s")
        by_kind: dict[str, list[float]] = defaultdict(list)
        for name, spent in ms.items():
            by_kind[name.split("_")[0]].append(spent)
        for kind, values in sorted(by_kind.items()):
            values.sort()
            print(f"  OCR {kind:10s} median {values[len(values) // 2]:6.0f} ms/photo, mean "
                  f"{sum(values) / len(values):6.0f} (n={len(values)})")
    with Library.open(library) as lib:
        print("\nword recall by text height (share of the key phrase's words read):")
        recall = recall_by_height(lib, samples, args.set)
        for part in parts:
            rows = sorted(k for k in recall if k[0] == part)
            for _, label, px in rows:
                values = recall[(part, label, px)]
                print(f"  {part:8s} {label:22s} {px:3d} px  {sum(values) / len(values):.3f}  (n={len(values)})")
        print(f"\nphrase query R@1 among {total} photos (query = the key phrase):")
        r1 = rank_at_1(lib, samples, args.set)
        for part in parts:
            for method in ("clip", "boost", "rrf"):
                cells = []
                for key in ("<20 px", ">=20 px", "mrr"):
                    values = r1.get((part, method, key), [])
                    cells.append(f"{key} {sum(values) / len(values):.3f} (n={len(values)})" if values else f"{key} -")
                print(f"  {part:8s} {method:5s}  " + "   ".join(cells))
        unchanged = unchanged_without_words(lib)
        print(f"\nqueries whose words no photo shows ({len(NO_WORD_QUERIES)}): top-20 identical to CLIP alone: "
              + ", ".join(f"{k} {v:.2f}" for k, v in unchanged.items()))
    if args.curve:
        curves(samples, args.set, args.curve)
    return 0


if __name__ == "__main__":
    sys.exit(main())
