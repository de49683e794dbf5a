"""What the no-text gate costs and saves, per photo, on the tuning part of the text-in-photo set.

For each image: the gate at each threshold (pass or not, CPU time) and the full reading with the gate
off (detection at the shipped sizes and recognition, CPU time).  A photo's cost at a threshold is the
gate plus the full reading when the gate passes it; no gate is the full reading alone.  Images are
decoded and scaled to the reading size beforehand (the same for every setting), times are CPU
seconds of this process (the OCR's threads included), which a busy shared machine disturbs far less
than wall-clock time.

    python -m tests.quality.text_gate_cost --set DIR [--n 16]

(``DIR`` as built by ``python -m tests.quality.text_in_photos --set DIR``.)
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from PIL import Image

from indexer.text.gate import TextGate
from indexer.text.reader import READ_SIDE, TextReader
from tests.quality.text_set import Sample, build

THRESHOLDS = (0.4, 0.3)


def _prepared(path: Path) -> Image.Image:
    with Image.open(path) as im:
        rgb = im.convert("RGB")
    scale = READ_SIDE / max(rgb.size)
    if scale >= 1:
        return rgb
    return rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BILINEAR,
                      reducing_gap=2.0)


def gate_costs(samples: list[Sample], root: Path, n: int) -> None:
    """Print, by kind, the share passed and the CPU ms per photo at each threshold and with no gate."""
    text = [s for s in samples if s.kind == "photo" and s.part == "tune" and s.px >= 20]
    random.Random(3).shuffle(text)
    plain = [s for s in samples if s.kind == "plain" and s.part == "tune"]
    sets = {"photo with text >= 20 px": [root / s.file for s in text[:n]],
            "plain wallpaper": [root / s.file for s in plain[:n]],
            "generated 800x600": sorted((root / "images").glob("generated_*.jpg"))[:max(1, n // 2)]}
    gates = {t: TextGate(box_threshold=t, threads=1) for t in THRESHOLDS}
    full = TextReader(use_gate=False, threads=1)
    warm = _prepared(sets["photo with text >= 20 px"][0])
    for gate in gates.values():
        gate.has_text(warm)
    full.read_image(warm)  # the models load before timing
    print(f"\ngate cost (tuning; CPU ms/photo = gate + full reading when passed; full = {full.version})")
    for kind, paths in sets.items():
        spent_full = 0.0
        spent = {t: 0.0 for t in THRESHOLDS}
        passed = {t: 0 for t in THRESHOLDS}
        for path in paths:
            image = _prepared(path)
            ran: dict[float, tuple[bool, float]] = {}
            for t, gate in gates.items():
                start = time.process_time()
                ran[t] = (gate.has_text(image), time.process_time() - start)
            start = time.process_time()
            full.read_image(image)
            reading = time.process_time() - start
            spent_full += reading
            for t, (ok, cost) in ran.items():
                passed[t] += ok
                spent[t] += cost + (reading if ok else 0.0)
        count = len(paths)
        print(f"  {kind:26s} n={count:2d}  no gate {spent_full / count * 1000:5.0f} ms"
              + "".join(f" | gate {t:g}: passed {passed[t]}/{count}, {spent[t] / count * 1000:5.0f} ms"
                        for t in THRESHOLDS), flush=True)
    full.close()
    for gate in gates.values():
        gate.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=Path("/var/tmp/photoseek-textset"))
    parser.add_argument("--n", type=int, default=16, help="images of each kind")
    args = parser.parse_args(argv)
    if not (args.set / "truth.json").exists():
        parser.error(f"no text-in-photo set at {args.set}: build it with tests.quality.text_in_photos first")
    gate_costs(build(args.set), args.set, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
