"""Encoder figures for ViT-B-32 (random weights): run by hand, prints a report.

    python tests/benchmarks/bench_encoder.py [--bundle DIR] [--workdir DIR] [--threads N] [--parity]

- images/s of the bare visual model on pre-decoded pixels, batch 1 and batch 8
- text encoding with trimmed sequences vs a fixed 77 tokens: time ratio and
  the largest difference between the two results (target >= 4x, identical)
- with --parity: cosine with open_clip (preprocess + torch) per generated
  photo, draft decoding off and on

Without --bundle the script exports ViT-B-32 into --workdir (kept, so a
second run reuses it).  Ratios are the figures to compare across machines.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from indexer.models.encoder import Encoder, l2_normalize  # noqa: E402

QUERIES = [
    "a dog on the beach",
    "sunset over the mountains",
    "birthday cake with candles",
    "red car parked in the snow",
    "people dancing at a wedding",
    "city skyline at night",
    "a cat sleeping on a sofa",
    "waterfall in a green forest",
]


def interleaved(fns: dict[str, Callable[[], object]], *, repeat: int, warmup: int = 2) -> dict[str, tuple[float, float]]:
    """(median, best) seconds per call for each function, run alternately so
    that load from other processes falls on all of them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append(time.perf_counter() - start)
    return {name: (statistics.median(v), min(v)) for name, v in samples.items()}


def bench_images(encoder: Encoder, repeat: int) -> None:
    rng = np.random.default_rng(0)
    h, w = encoder.bundle.preprocess.size
    batches = {b: rng.normal(size=(b, 3, h, w)).astype(np.float32) for b in (1, 8)}
    timings = interleaved({str(b): (lambda x=x: encoder.encode_pixels(x)) for b, x in batches.items()}, repeat=repeat)
    for b in batches:
        median, best = timings[str(b)]
        print(f"visual  batch {b}: {b / median:6.1f} images/s median, {b / best:6.1f} best "
              f"({median * 1000:7.1f} / {best * 1000:7.1f} ms per batch)")


def bench_text(encoder: Encoder, repeat: int) -> None:
    session = encoder._session("textual")
    name = encoder.bundle.textual.input_name
    dtype = encoder.bundle.textual.input_dtype
    for label, texts in (("1 query ", QUERIES[:1]), ("8 queries", QUERIES)):
        tokens = encoder.tokenizer(texts)
        full_ids = tokens.ids.astype(dtype)

        def full(ids: np.ndarray = full_ids) -> np.ndarray:
            return l2_normalize(session.run(None, {name: ids})[0])

        timings = interleaved({"trimmed": lambda t=texts: encoder.encode_texts(t), "full": full}, repeat=repeat * 4)
        (trim_med, trim_best), (full_med, full_best) = timings["trimmed"], timings["full"]
        diff = float(np.abs(encoder.encode_texts(texts) - full()).max())
        print(
            f"text {label}: trimmed to {tokens.longest:2d} tokens {trim_med * 1000:6.1f} ms "
            f"(best {trim_best * 1000:5.1f}), fixed 77 {full_med * 1000:6.1f} ms (best {full_best * 1000:5.1f}); "
            f"ratio {full_med / trim_med:4.1f}x median, {full_best / trim_best:4.1f}x best; max |diff| {diff:.1e}"
        )


def bench_parity(encoder: Encoder, workdir: Path) -> None:
    import open_clip
    import torch
    from open_clip.transform import PreprocessCfg, image_transform_v2

    from tests.support.bundles import vit_b32_model
    from tests.support.images import parity_photos, reference_rgb

    model = vit_b32_model(seed=0)
    preprocess = image_transform_v2(PreprocessCfg(**open_clip.get_model_preprocess_cfg(model)), is_train=False)

    reference = reference_rgb

    photos = parity_photos(workdir / "parity-photos", large=(2400, 1600))
    with torch.no_grad():
        expected = model.encode_image(torch.stack([preprocess(reference(p.path)) for p in photos])).numpy()
    expected = l2_normalize(expected)
    exact = encoder.encode_images([p.path for p in photos], draft=False)
    drafted = encoder.encode_images([p.path for p in photos], draft=True)
    print(f"image parity with open_clip on {len(photos)} photos (cosine):")
    for item, a, b in zip(photos, np.sum(exact * expected, 1), np.sum(drafted * expected, 1)):
        print(f"  {item.kind:24s} {item.upright_size[0]}x{item.upright_size[1]:<5d} draft off {a:.7f}   draft on {b:.7f}")
    print(f"  min: draft off {np.sum(exact * expected, 1).min():.7f}, draft on {np.sum(drafted * expected, 1).min():.7f}")
    between = np.sum(expected * np.roll(expected, 1, axis=0), 1)
    print(f"  (for scale: cosine between different photos with these random weights: max {between.max():.5f})")
    texts = QUERIES + ["", "東京タワーの夜景 🌃", "x " * 100]
    with torch.no_grad():
        text_ref = l2_normalize(model.encode_text(open_clip.tokenize(texts)).numpy())
    print(f"text parity on {len(texts)} strings: min cosine {np.sum(encoder.encode_texts(texts) * text_ref, 1).min():.7f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, help="an exported ViT-B-32 bundle (default: export one)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "photoseek-bench")
    parser.add_argument("--threads", type=int, default=None, help="ONNX Runtime intra-op threads")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--parity", action="store_true", help="also print parity cosines with open_clip")
    args = parser.parse_args(argv)

    bundle = args.bundle
    if bundle is None:
        from tests.support.bundles import VIT_B32_NAME, vit_b32_bundle

        bundle = args.workdir / VIT_B32_NAME
        if not bundle.exists():
            args.workdir.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            vit_b32_bundle(args.workdir)
            print(f"exported ViT-B-32 (random weights) in {time.perf_counter() - start:.0f} s -> {bundle}")
    import onnxruntime

    with Encoder(bundle, providers=["cpu"], threads=args.threads) as encoder:
        print(f"bundle {encoder.model_id}, onnxruntime {onnxruntime.__version__}, threads {args.threads or 'auto'}")
        bench_images(encoder, args.repeat)
        bench_text(encoder, args.repeat)
        if args.parity:
            bench_parity(encoder, args.workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
