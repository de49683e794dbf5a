"""Video-segment retrieval on the generated world: is the right video first, at a time inside the scene?

    python -m tests.quality.video_segments [--bundle tests/fixtures/toyclip] [--videos 12] [--photos 60]

Writes ``--videos`` videos, each showing 3-5 of the world's scenes for 3-6 s
each (5 fps, H.264, a keyframe every second), beside ``--photos`` photos of
other scenes, indexes them through the real library (``Library.index``) and
asks, for every segment, the canonical caption of its scene
(``photoseek search`` does the same, through ``LibraryReader.search``):

- **R@1**: the first hit is the video that holds the segment;
- **time accuracy**: among those, the hit's time is inside the segment;
- **time error**: mean distance, in seconds, from the hit's time to the segment;
- **one vector per video**: R@1 when each video is only its cover frame (the
  vector the index holds), without scoring its frames -- what the frames add.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from indexer.catalog_browse import BrowseQueries
from indexer.clip.vector_tables import VectorTables
from indexer.library import Library
from indexer.library_reader import LibraryReader
from indexer.search import Query
from tests.quality import world
from tests.support.bundles import TOYCLIP
from tests.support.media import Segment, world_video


def build(folder: Path, videos: int, photos: int, seed: int) -> dict[str, list[Segment]]:
    rng = np.random.default_rng(seed)
    scenes = iter(world.sample_scenes(seed, videos * 5 + photos))
    out: dict[str, list[Segment]] = {}
    for v in range(videos):
        count = int(rng.integers(3, 6))
        seconds = float(rng.integers(3, 7))
        name = f"video{v:02d}.mp4"
        out[name] = world_video(folder / name, [next(scenes) for _ in range(count)], seconds=seconds, fps=5, gop=5)
    for p in range(photos):
        world.render_photo(next(scenes)).save(folder / f"photo{p:03d}.jpg", quality=90)
    return out


def measure(bundle: Path, videos: int, photos: int, seed: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="video-segments-") as tmp:
        folder, library = Path(tmp) / "media", Path(tmp) / "library"
        folder.mkdir()
        truth = build(folder, videos, photos, seed)
        with Library.open(library, model=str(bundle)) as lib:
            list(lib.index([folder]))
        reader = LibraryReader.open(library)
        try:
            return _score(reader, truth)
        finally:
            reader.close()


def _score(reader: LibraryReader, truth: dict[str, list[Segment]]) -> dict[str, float]:
    catalog = reader.catalog
    encoder = reader.encoder()
    ids, covers = VectorTables(catalog).vectors(encoder.model_id, VectorTables(catalog).vector_ids(encoder.model_id))
    names = {pid: row[0].name for pid, row in BrowseQueries(catalog).hit_rows(ids.tolist()).items()}
    first = inside = baseline = 0
    errors: list[float] = []
    queries = 0
    for name, segments in truth.items():
        for segment in segments:
            queries += 1
            text = world.caption(segment.scene)  # type: ignore[arg-type]
            hits = reader.search(Query(text=text, limit=5))
            q = encoder.encode_texts([text])[0]
            if names[int(ids[int(np.argmax(covers @ q))])] == name:
                baseline += 1
            if not hits or hits[0].path.name != name:
                continue
            first += 1
            t = hits[0].time
            assert t is not None
            inside += segment.start <= t < segment.end
            errors.append(max(0.0, segment.start - t, t - segment.end))
    return {
        "segments": queries,
        "r_at_1": first / queries,
        "time_accuracy": inside / max(1, first),
        "time_error_s": float(np.mean(errors)) if errors else float("nan"),
        "r_at_1_one_vector_per_video": baseline / queries,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bundle", type=Path, default=TOYCLIP)
    ap.add_argument("--videos", type=int, default=12)
    ap.add_argument("--photos", type=int, default=60)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    result = measure(args.bundle, args.videos, args.photos, args.seed)
    print(f"{args.videos} videos, {result['segments']} segments, {args.photos} other photos ({args.bundle.name})")
    print(f"  R@1 (right video first)            {result['r_at_1']:.3f}")
    print(f"  time inside the segment (of R@1)   {result['time_accuracy']:.3f}")
    print(f"  mean time error (s, of R@1)        {result['time_error_s']:.2f}")
    print(f"  R@1 with one vector per video      {result['r_at_1_one_vector_per_video']:.3f}")


if __name__ == "__main__":
    main()
