"""int8 vs fp32 image tower: speed and agreement (a script that prints figures, not a test).

    python tests/benchmarks/bench_quantize.py [--bundle DIR] [--threads 2] [--seconds 8]

Without ``--bundle`` it exports open_clip's ViT-B-32 with random weights
(tests/support/bundles.py ``vit_b32_bundle``, about two minutes on two cores)
into a temporary directory.  It then writes the int8 copy with
``quantize_visual`` and reports, for both towers on the same inputs:

- images/s at batch 1 and batch 8 on pre-built pixel tensors (no decoding);
- cosine between each image's int8 and fp32 embeddings (min / mean);
- the same cosine after subtracting the fp32 mean embedding ("centred"):
  random-weight towers map every image to nearby vectors, so the raw cosine
  flatters; the centred one shows how much of what tells images apart survives;
- top-1 agreement: the share of images whose int8 embedding is nearest to its
  own fp32 embedding among all fp32 embeddings of the set.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from indexer.models.bundle import ModelBundle  # noqa: E402
from indexer.models.encoder import Encoder  # noqa: E402
from indexer.models.quantize import quantize_visual  # noqa: E402


def sample_pixels(n: int, size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """Smooth random colour fields plus fine noise, normalised roughly like CLIP inputs."""
    rng = np.random.default_rng(seed)
    h, w = size
    coarse = rng.standard_normal((n, 3, h // 16 + 1, w // 16 + 1)).astype(np.float32)
    smooth = np.repeat(np.repeat(coarse, 16, axis=2), 16, axis=3)[:, :, :h, :w]
    return np.ascontiguousarray(smooth + 0.3 * rng.standard_normal((n, 3, h, w)).astype(np.float32))


def images_per_second(encoder: Encoder, pixels: np.ndarray, batch: int, seconds: float) -> float:
    encoder.encode_pixels(pixels[:batch])  # warm-up (session creation, first run)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        encoder.encode_pixels(pixels[:batch])
        done += batch
    return done / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, help="an existing fp32 bundle (default: export ViT-B-32, random weights)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per measurement")
    parser.add_argument("--images", type=int, default=32, help="images for the agreement figures")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-quantize-") as tmp:
        work = Path(tmp)
        if args.bundle is None:
            from tests.support.bundles import vit_b32_bundle

            t = time.perf_counter()
            src = vit_b32_bundle(work / "src")
            print(f"exported ViT-B-32 (random weights) in {time.perf_counter() - t:.0f} s")
        else:
            src = args.bundle
        fp32 = ModelBundle.load(src)
        t = time.perf_counter()
        int8 = quantize_visual(fp32, work / "models")
        fp32_mb = (fp32.path / "visual" / "model.onnx").stat().st_size / 1e6
        int8_mb = (int8.path / "visual" / "model.onnx").stat().st_size / 1e6
        print(f"quantised in {time.perf_counter() - t:.1f} s: visual/model.onnx {fp32_mb:.0f} MB -> {int8_mb:.0f} MB")

        pixels = sample_pixels(args.images, fp32.preprocess.size)
        enc32 = Encoder(fp32, threads=args.threads)
        enc8 = Encoder(int8, threads=args.threads)
        e32 = np.concatenate([enc32.encode_pixels(pixels[i : i + 8]) for i in range(0, len(pixels), 8)])
        e8 = np.concatenate([enc8.encode_pixels(pixels[i : i + 8]) for i in range(0, len(pixels), 8)])
        cos = (e32 * e8).sum(1)
        mean = e32.mean(0)
        c32, c8 = e32 - mean, e8 - mean
        centred = (c32 * c8).sum(1) / (np.linalg.norm(c32, axis=1) * np.linalg.norm(c8, axis=1))
        top1 = float(((e8 @ e32.T).argmax(1) == np.arange(len(e32))).mean())
        off = (e32 @ e32.T)[~np.eye(len(e32), dtype=bool)]

        print(f"threads {args.threads}, {args.seconds:.0f} s per figure, pre-built {fp32.preprocess.size} tensors")
        for batch in (1, 8):
            r32 = images_per_second(enc32, pixels, batch, args.seconds)
            r8 = images_per_second(enc8, pixels, batch, args.seconds)
            print(f"batch {batch}: fp32 {r32:6.1f} images/s   int8 {r8:6.1f} images/s   speed-up {r8 / r32:.2f}x")
        print(f"cosine int8 vs fp32 over {len(e32)} images: min {cos.min():.5f}  mean {cos.mean():.5f}")
        print(f"centred cosine: min {centred.min():.4f}  mean {centred.mean():.4f}")
        print(f"top-1 agreement: {top1:.2f}   (fp32 cosine between different images: mean {off.mean():.3f}, max {off.max():.3f})")
        enc32.close()
        enc8.close()


if __name__ == "__main__":
    main()
