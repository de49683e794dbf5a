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


def images_per_second(encoders: dict[str, Encoder], pixels: np.ndarray, batch: int, seconds: float,
                      rounds: int = 3) -> dict[str, float]:
    """Best rate of each encoder over ``rounds`` interleaved windows (robust to a busy, shared CPU)."""
    for enc in encoders.values():
        enc.encode_pixels(pixels[:batch])  # warm-up (session creation, first run)
    best = {name: 0.0 for name in encoders}
    for _ in range(rounds):
        for name, enc in encoders.items():
            done, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds / rounds:
                enc.encode_pixels(pixels[:batch])
                done += batch
            best[name] = max(best[name], done / (time.perf_counter() - start))
    return best


def uint8_variant(int8: ModelBundle, fp32: ModelBundle, out: Path) -> ModelBundle:
    """The int8 bundle with unsigned (QUInt8) weights instead, for comparison."""
    import shutil

    from onnxruntime.quantization import QuantType, quantize_dynamic

    shutil.copytree(int8.path, out)
    quantize_dynamic(
        fp32.path / "visual" / "model.onnx", out / "visual" / "model.onnx",
        op_types_to_quantize=["MatMul", "Gemm"], weight_type=QuantType.QUInt8,
    )
    return ModelBundle.load(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bundle", type=Path, help="an existing fp32 bundle (default: export ViT-B-32, random weights)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8.0, help="timing window per measurement")
    parser.add_argument("--images", type=int, default=32, help="images for the agreement figures")
    parser.add_argument("--uint8", action="store_true", help="also measure unsigned (QUInt8) weights")
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
        bundles = {"fp32": fp32, "int8": int8}
        if args.uint8:
            bundles["uint8"] = uint8_variant(int8, fp32, work / "uint8")
        encoders = {name: Encoder(b, threads=args.threads) for name, b in bundles.items()}
        emb = {
            name: np.concatenate([enc.encode_pixels(pixels[i : i + 8]) for i in range(0, len(pixels), 8)])
            for name, enc in encoders.items()
        }
        e32 = emb["fp32"]
        off = (e32 @ e32.T)[~np.eye(len(e32), dtype=bool)]
        mean = e32.mean(0)
        print(f"threads {args.threads}; best of 3 interleaved windows, {args.seconds:.0f} s per figure; "
              f"pre-built {fp32.preprocess.size} tensors")
        for batch in (1, 8):
            rates = images_per_second(encoders, pixels, batch, args.seconds)
            line = "   ".join(f"{name} {rate:6.1f} images/s" for name, rate in rates.items())
            ups = "   ".join(f"{name} {rates[name] / rates['fp32']:.2f}x" for name in rates if name != "fp32")
            print(f"batch {batch}: {line}   speed-up: {ups}")
        for name, e in emb.items():
            if name == "fp32":
                continue
            cos = (e32 * e).sum(1)
            c32, c = e32 - mean, e - mean
            centred = (c32 * c).sum(1) / (np.linalg.norm(c32, axis=1) * np.linalg.norm(c, axis=1))
            top1 = float(((e @ e32.T).argmax(1) == np.arange(len(e32))).mean())
            print(f"{name} vs fp32 over {len(e32)} images: cosine min {cos.min():.5f} mean {cos.mean():.5f}; "
                  f"centred cosine min {centred.min():.4f} mean {centred.mean():.4f}; top-1 agreement {top1:.2f}")
        print(f"(fp32 cosine between different images: mean {off.mean():.3f}, max {off.max():.3f})")
        for enc in encoders.values():
            enc.close()


if __name__ == "__main__":
    main()
