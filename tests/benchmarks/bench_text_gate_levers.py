"""Benchmark: the text gate's levers on the phone-like mix (``phone_mix.py``), CPU per photo and verdicts.

    python -m tests.benchmarks.bench_text_gate_levers [--photos 48] [--sides 640,480,320] [--read]

For each 12 MP photo of the mix (one in eight with a sign), one thread's CPU time (the gate's and the
reader's ONNX sessions run with one thread, on the calling thread):

- ``decode``: the pipeline's decode without text reading; ``decode + detail N``: with a detail image of
  N px (2048: the reader's image; smaller: only what the gate needs);
- ``gate S``: the gate's detection at S px on the long side, on the detail image, and its verdict: how many
  photos with a sign it passes (must be all) and how many without (each costs a full reading later);
- ``--read``: the full reading (detection at 640 and 960, recognition) of every photo, gate off: what a
  photo that passes costs, and whether the sign's words come back.

Medians over the photos; the load average is printed (2 shared cores: CPU time is what to compare).
"""

from __future__ import annotations

from pathlib import Path

from indexer.models.bundle import PreprocessConfig
from indexer.models.preprocess import decode_image
from indexer.text.gate import TextGate
from indexer.text.reader import READ_SIDE, TextReader

from ._common import CACHE, cpu, load, median, ms, parser, table
from .phone_mix import has_sign, make_mix


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--photos", type=int, default=48)
    p.add_argument("--sides", default="640,480,320", help="gate sizes (long side, px)")
    p.add_argument("--details", default="2048,1280,1024", help="detail image sizes to decode")
    p.add_argument("--read", action="store_true", help="also time the full reading of every photo")
    p.add_argument("--mix", type=Path, default=CACHE / "phone-mix")
    args = p.parse_args()
    n = 8 if args.quick else args.photos
    paths = make_mix(args.mix, n)
    cfg = PreprocessConfig()
    sides = [int(s) for s in args.sides.split(",")]
    details = [int(s) for s in args.details.split(",")]
    gates = {s: TextGate(threads=1, side=s, scale=0, max_side=s) for s in sides}
    reader = TextReader(threads=1)
    times: dict[str, list[float]] = {}
    passed: dict[str, list[int]] = {}
    words: list[str] = []
    decode_image(paths[0], cfg, detail_side=READ_SIDE)  # warm the page cache's neighbours and imports
    for i, path in enumerate(paths):
        t, _ = cpu(lambda: decode_image(path, cfg))  # noqa: B023
        times.setdefault("decode", []).append(t)
        for side in details:
            t, decoded = cpu(lambda: decode_image(path, cfg, detail_side=side))  # noqa: B023
            times.setdefault(f"decode + detail {side}", []).append(t)
            for gate_side, gate in gates.items():
                if gate_side > side:
                    continue
                gate.count_lines(decoded.detail)  # type: ignore[attr-defined]  # first call loads the session
                t, count = cpu(lambda: gate.count_lines(decoded.detail))  # type: ignore[attr-defined]  # noqa: B023
                key = f"gate {gate_side} on detail {side}"
                times.setdefault(key, []).append(t)
                passed.setdefault(key, [0, 0])[0 if has_sign(i) else 1] += int(count > 0)  # type: ignore[operator]
        if args.read:
            decoded = decode_image(path, cfg, detail_side=READ_SIDE)
            t, found = cpu(lambda: reader.read_image(decoded.detail, gate=False))  # type: ignore[attr-defined]  # noqa: B023
            times.setdefault("full read (sign)" if has_sign(i) else "full read (no sign)", []).append(t)
            if has_sign(i):
                words.append(" | ".join(line.text for line in found.lines))  # type: ignore[attr-defined]
        print(f"{i + 1}/{len(paths)}", end="\r", flush=True)
    signs = sum(has_sign(i) for i in range(len(paths)))
    print(f"{len(paths)} photos of 4000x3000 ({signs} with a sign); CPU per photo, median; {load()}")
    rows = []
    for key, values in times.items():
        verdict = passed.get(key)
        rows.append((key, ms(median(values)), f"{verdict[0]}/{signs}" if verdict else "",
                     f"{verdict[1]}/{len(paths) - signs}" if verdict else ""))
    print(table(rows, ("what", "CPU / photo", "signs passed", "others passed")))
    for line in words:
        print("read:", line)


if __name__ == "__main__":
    main()
