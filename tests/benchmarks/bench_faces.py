"""What finding faces costs beyond the pipeline's one decode: per photo without a face, and per face.

Run: ``python -m tests.benchmarks.bench_faces [PHOTO_WITH_FACES ...]``.  A 12 MP photo without faces
(generated) is looked at from the detail image the decode hands over: 1024 px (the people step alone)
and 2048 px (beside the text reader, which asks for more: brought down first).  Then the photos given
(default: the group stills of face-api.js in ../shared/faces) for the cost per face.  CPU time of this
process (``time.process_time``), median of several runs.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from indexer.models.preprocess import shrink
from indexer.people.faces import FaceFinder


def cpu(fn, runs: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return statistics.median(times)


def main() -> None:
    finder = FaceFinder()
    finder.find(Image.new("RGB", (64, 64)))
    rng = np.random.default_rng(0)
    noise = rng.normal(128, 40, (375, 500, 3)).clip(0, 255).astype(np.uint8)
    photo = Image.fromarray(noise).resize((4000, 3000), Image.Resampling.BICUBIC)  # 12 MP, smooth, no face
    for side in (1024, 2048):
        detail = shrink(photo, side)
        found = finder.find(detail, photo.size)
        cost = cpu(lambda d=detail: finder.find(d, photo.size))  # type: ignore[misc]
        print(f"12 MP photo without a face, detail image {side} px: {1000 * cost:.0f} ms CPU ({len(found)} faces)")
    repo = Path(__file__).resolve().parents[2]
    shared = next(p for p in (repo.parent / "shared", repo.parents[1] / "shared") if p.is_dir())
    paths = [Path(p) for p in sys.argv[1:]] or sorted(shared.glob("faces/faceapi/bbt*.jpg"))
    per_face = []
    for path in paths:
        image = shrink(Image.open(path).convert("RGB"), 1024)
        empty = FaceFinder(min_face=10**6)  # detection alone (every face left out before its vector)
        empty._loaded = finder._loaded  # the same loaded models
        faces = len(finder.find(image))
        if faces:
            whole = cpu(lambda i=image: finder.find(i), 3)  # type: ignore[misc]
            detection = cpu(lambda i=image, e=empty: e.find(i), 3)  # type: ignore[misc]
            per_face.append((whole - detection) / faces)
    if per_face:
        print(f"per face (landmarks + aligned crop + vector), {len(per_face)} photos: median "
              f"{1000 * statistics.median(per_face):.0f} ms CPU")


if __name__ == "__main__":
    main()
