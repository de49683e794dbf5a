"""RAW files and videos: decode cost per file, and frames kept per video length.

Decoding only (what the pipeline's decode workers do; the model's cost per
frame is the same as per photo), with ViT-B-32's preprocessing (224 px).

- ms per RAW: a 24 MP DNG with a full-size embedded JPEG preview (the path
  most cameras take) against the same sensor without one (half-size demosaic).
- ms per minute of 1080p video: a generated 1080p video (the world's scenes,
  panning) encoded with H.264 at 30 fps, keyframes every second (as phones
  write) and every 8 s (x264's default), timed through ``decode_video``.
- frames kept per video length: sampled (``frame_count``) and kept (after
  near-identical frames are skipped) for generated videos of 5 s to 10 min,
  one scene change every 5 s.
- frame scoring per search: ``best_frames`` over the stored frames of 100 to
  10,000 videos (24 frames of 512 floats each), what each search adds.

Run: ``python -m tests.benchmarks.bench_media`` (``--quick`` for a smoke run,
``--sections raw,video,lengths,scoring`` for some of them).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from indexer.media.frame_search import StoredFrames, best_frames
from indexer.media.raw import decode_raw, raw_preview_used
from indexer.media.video import decode_video, frame_count
from indexer.models.bundle import PreprocessConfig
from tests.benchmarks._common import load, median, parser, table
from tests.quality import world
from tests.support.media import world_video, write_dng

VIT_B32 = PreprocessConfig(size=(224, 224), mode="RGB", mean=(0.48145466, 0.4578275, 0.40821073),
                           std=(0.26862954, 0.26130258, 0.27577711), interpolation="bicubic",
                           resize_mode="shortest", fill_color=0)


def _timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return median(times)


def _big_picture(size: tuple[int, int]) -> Image.Image:
    scene = world.sample_scenes(11, 1)[0]
    return world.render_photo(scene, 512).resize(size, Image.Resampling.BILINEAR)


def raws(folder: Path, size: tuple[int, int], rounds: int) -> list[tuple]:
    picture = _big_picture(size)
    with_preview = write_dng(folder / "preview.dng", picture, preview=picture)
    without = write_dng(folder / "sensor.dng", picture)
    assert raw_preview_used(with_preview, VIT_B32) and not raw_preview_used(without, VIT_B32)
    rows = []
    for name, path in (("embedded JPEG preview", with_preview), ("half-size demosaic (no preview)", without)):
        seconds = _timed(lambda p=path: decode_raw(p, VIT_B32), rounds)
        rows.append((name, f"{size[0]}x{size[1]}", f"{seconds * 1000:.0f}"))
    return rows


def _panning_video(path: Path, seconds: float, fps: int, gop: int, size: tuple[int, int]) -> None:
    import av

    scenes = world.sample_scenes(12, max(1, int(seconds // 10) + 1))
    canvases = [np.asarray(world.render_photo(s, 512).resize((size[0] + 240, size[1]))) for s in scenes]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"g": str(gop), "preset": "ultrafast", "crf": "23"}
        for i in range(int(seconds * fps)):
            canvas = canvases[min(len(canvases) - 1, int(i / fps // 10))]
            shift = int(i % (fps * 10) * 240 / (fps * 10))  # a slow pan across each scene
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(canvas[:, shift:shift + size[0]]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def videos_1080p(folder: Path, seconds: float, rounds: int) -> list[tuple]:
    rows = []
    for gop_s in (1, 8):
        path = folder / f"1080p-gop{gop_s}.mp4"
        started = time.perf_counter()
        _panning_video(path, seconds, 30, 30 * gop_s, (1920, 1080))
        print(f"  encoded {path.name} in {time.perf_counter() - started:.0f} s", flush=True)
        decoded = decode_video(path, VIT_B32)
        took = _timed(lambda p=path: decode_video(p, VIT_B32), rounds)
        per_minute = took * 60.0 / seconds
        rows.append((f"keyframe every {gop_s} s", f"{seconds:.0f} s", len(decoded.frames),
                     f"{took * 1000:.0f}", f"{per_minute * 1000:.0f}"))
    return rows


def frames_per_length(folder: Path, lengths: list[float]) -> list[tuple]:
    rows = []
    for seconds in lengths:
        scenes = world.sample_scenes(int(seconds), max(1, round(seconds / 5)))
        path = folder / f"len{seconds:.0f}.mp4"
        world_video(path, scenes, seconds=seconds / len(scenes), fps=2, side=128, gop=2)
        decoded = decode_video(path, VIT_B32)
        rows.append((f"{seconds:.0f} s", len(scenes), frame_count(decoded.duration), len(decoded.frames)))
    return rows


def frame_scoring(video_counts: list[int], rounds: int) -> list[tuple]:
    rng = np.random.default_rng(0)
    rows = []
    for videos in video_counts:
        n = videos * 24
        vectors = rng.normal(size=(n, 512)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        frames = StoredFrames(np.repeat(np.arange(videos, dtype=np.int64), 24),
                              np.tile(np.arange(24, dtype=np.int32), videos), np.tile(np.arange(24.0), videos), vectors)
        q = vectors[0]
        took = _timed(lambda f=frames, q=q: best_frames(f, lambda m: m @ q, None, set()), max(rounds, 20))
        rows.append((videos, n, f"{took * 1000:.2f}"))
    return rows


def main() -> None:
    p = parser(__doc__)
    p.add_argument("--sections", default="raw,video,lengths,scoring")
    args = p.parse_args()
    sections = set(args.sections.split(","))
    quick = args.quick
    rounds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        folder = Path(tmp)
        if "raw" in sections:
            print(f"RAW decode, ms per file (median of {rounds}; {load()})")
            size = (1200, 800) if quick else (6000, 4000)
            print(table(raws(folder, size, rounds), ("path", "sensor", "ms")), flush=True)
        if "video" in sections:
            seconds = 5.0 if quick else 60.0
            print(f"\n1080p H.264 video, 30 fps, decode_video (median of {rounds}; {load()})")
            print(table(videos_1080p(folder, seconds, rounds),
                        ("keyframes", "length", "frames kept", "ms per video", "ms per minute")), flush=True)
        if "lengths" in sections:
            lengths = [5, 30] if quick else [5, 15, 30, 60, 120, 300, 600]
            print(f"\nFrames per video length (one scene every 5 s; {load()})")
            print(table(frames_per_length(folder, lengths), ("length", "scenes", "sampled", "kept")), flush=True)
        if "scoring" in sections:
            print(f"\nBest-frame scoring per search (median; {load()})")
            print(table(frame_scoring([100, 1000] if quick else [100, 1000, 10000], rounds),
                        ("videos", "frames", "ms")))


if __name__ == "__main__":
    main()
