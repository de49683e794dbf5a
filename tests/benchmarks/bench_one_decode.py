"""Benchmark: what the photo steps add to the embedding pipeline's decode threads, per photo.

    python -m tests.benchmarks.bench_one_decode             # 8 generated 12 MP JPEGs
    python -m tests.benchmarks.bench_one_decode --limit 4   # fewer

With text reading on, the pipeline decodes each photo once for every stage: the model input and the
thumbnail as before, and the image the text gate needs (``detail_side``: ``GATE_DETAIL_SIDE``, 960 px,
from which the gate makes its 640-px copy; it was the reader's 2048-px image before).  Each figure
is one thread's CPU time per photo (median, files in the page cache):

- ``decode``: ``decode_image`` as without text reading (JPEG draft for the model and the thumbnail);
- ``decode + detail``: the same with ``detail_side=GATE_DETAIL_SIDE`` (for a 12 MP JPEG, the same draft);
- ``gate``: the text gate on that image (``TextReader.has_text``, one ONNX thread);
- ``places``: the GPS of the decoded EXIF (``gps_from_exif``);
- ``before: text stage decode``: what the text stage spent decoding each photo again before.

The extra cost on the decode threads is ``decode + detail`` - ``decode`` + ``gate`` + ``places``; what it
saves is the text stage's second decode of every photo (and the second open).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from indexer.gps import gps_from_exif
from indexer.models.bundle import PreprocessConfig
from indexer.models.image_input import read_image
from indexer.models.preprocess import decode_image
from indexer.text.gate import GATE_DETAIL_SIDE
from indexer.text.reader import TextReader

from ._common import CACHE, cpu, load, median, ms, parser, table
from .bench_indexing import make_photos


def cpu_thread(fn: Callable[[], object]) -> tuple[float, object]:
    return cpu(fn, time.thread_time)


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--limit", type=int, default=8, help="photos (default 8)")
    args = p.parse_args()
    n = 2 if args.quick else args.limit
    paths = make_photos(CACHE / "photos-12mp", n)
    cfg = PreprocessConfig()
    reader = TextReader(threads=1)
    for path in paths[:1]:  # warm: the page cache, the gate's session
        reader.has_text(decode_image(path, cfg, detail_side=GATE_DETAIL_SIDE).detail)  # type: ignore[arg-type]
    times: dict[str, list[float]] = {k: [] for k in ("decode", "decode + detail", "gate", "places", "before")}
    for path in paths:
        t, _ = cpu_thread(lambda: decode_image(path, cfg))  # noqa: B023
        times["decode"].append(t)
        t, decoded = cpu_thread(lambda: decode_image(path, cfg, detail_side=GATE_DETAIL_SIDE))  # noqa: B023
        times["decode + detail"].append(t)
        t, _ = cpu_thread(lambda: reader.has_text(decoded.detail, 4000))  # type: ignore[attr-defined]  # noqa: B023
        times["gate"].append(t)
        t, _ = cpu_thread(lambda: gps_from_exif(decoded.exif))  # type: ignore[attr-defined]  # noqa: B023
        times["places"].append(t)
        t, _ = cpu_thread(lambda: read_image(path, reader._decode))  # noqa: B023
        times["before"].append(t)
    med = {k: median(v) for k, v in times.items()}
    extra = med["decode + detail"] - med["decode"] + med["gate"] + med["places"]
    print(f"{len(paths)} photos of 4000x3000, one thread's CPU time per photo (median); load {load()}")
    print(table([
        ("decode (without text reading)", ms(med["decode"])),
        ("decode + detail (with text reading)", ms(med["decode + detail"])),
        ("gate on the detail image", ms(med["gate"])),
        ("places from the decoded EXIF", ms(med["places"])),
        ("extra on the decode threads", ms(extra)),
        ("before: the text stage's own decode", ms(med["before"])),
    ], ("what", "CPU / photo")))


if __name__ == "__main__":
    main()
