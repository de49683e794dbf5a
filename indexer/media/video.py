"""Videos, through FFmpeg (``av``): a few frames per video, each with its time, under bounded cost.

Which frames: ``frame_count(duration)`` grows with the square root of the
length (a 5-second clip gets 5, a minute 16) up to ``MAX_FRAMES``, at times
evenly spread over the video.  For each time the decoder seeks to the
keyframe before it and keeps that keyframe when it is within half the
spacing of the time (cheap: one frame decoded), else decodes forward to the
time (at most ``MAX_FRAMES_PER_SEEK`` frames).  A frame nearly identical to
the last one kept (a still scene) is skipped; the time stored is the time of
the frame kept.

Bounded cost, each a clear ``UnreadableImage`` reason when crossed:
only the containers cameras and phones write (a JPEG named ``.mp4`` is
refused), at most ``MAX_STREAMS`` streams, a video stream of at most
``MAX_VIDEO_PIXELS`` pixels per frame, at most ``MAX_DECODED_FRAMES`` frames
decoded and ``DECODE_BUDGET_S`` seconds spent per video (frames kept by then
are used).  Frames are converted straight to the small size the model and
the thumbnail need (twice the model's input), never held at full size in RGB.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from indexer.errors import UnreadableImage
from indexer.media.kinds import check_media_file
from indexer.models.bundle import PreprocessConfig
from indexer.models.preprocess import DEFAULT_THUMB_SIZE, DecodedImage, model_input

logger = logging.getLogger(__name__)

MAX_FRAMES = 24  # frames embedded per video, however long
MAX_STREAMS = 64  # a camera writes a handful; thousands only make opening a file slow
MAX_VIDEO_PIXELS = 40_000_000  # 8K (33 MP) passes; 16K (132 MP per frame) does not
MAX_DECODED_FRAMES = 480  # frames decoded per video, all seeks together
MAX_FRAMES_PER_SEEK = 120  # frames decoded forward from a keyframe to reach a time
DECODE_BUDGET_S = 20.0  # seconds spent decoding one video; the frames kept by then are used
NEAR_IDENTICAL = 3.0  # mean absolute difference (0-255) of 16x16 grey signatures below which a frame is skipped
UNKNOWN_DURATION_STEP_S = 2.0  # a video of unknown length: a frame every this many seconds from the start
CONTAINERS = frozenset({"mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi"})


@dataclass
class VideoFrame:
    time: float  # seconds from the start of the video
    packed: np.ndarray  # the model input as the 8-bit values it was made of, uint8 (3, H, W): a quarter the size
    thumbnail: Image.Image


@dataclass
class DecodedVideo(DecodedImage):
    """A video decoded for indexing: its frames, its length; ``pixels``/``thumbnail`` are its first frame's."""

    frames: list[VideoFrame]
    duration: float | None  # seconds; None when the file does not say and it was not read to the end
    preprocess: PreprocessConfig

    def frame_pixels(self, index: int) -> np.ndarray:
        """The model input of frame ``index``, float32 (3, H, W)."""
        return unpack_pixels(self.frames[index].packed, self.preprocess)


def pack_pixels(pixels: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """``model_input``'s output back to the 8-bit values it normalised (exactly: they were whole numbers)."""
    mean = np.asarray(cfg.mean, dtype=np.float32)[:, None, None]
    std = np.asarray(cfg.std, dtype=np.float32)[:, None, None]
    packed: np.ndarray = np.clip(np.rint((pixels * std + mean) * 255.0), 0, 255).astype(np.uint8)
    return packed


def unpack_pixels(packed: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """The model input from ``pack_pixels``' values, computed as ``model_input`` computes it (bit for bit)."""
    array = np.ascontiguousarray(packed.transpose(1, 2, 0)).astype(np.float32) / np.float32(255.0)
    array = (array - np.asarray(cfg.mean, dtype=np.float32)) / np.asarray(cfg.std, dtype=np.float32)
    return np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32)


def frame_count(duration: float | None) -> int:
    """How many frames to sample from a video of ``duration`` seconds (at most ``MAX_FRAMES``)."""
    if duration is None or not math.isfinite(duration) or duration <= 0:
        return MAX_FRAMES
    return max(1, min(MAX_FRAMES, math.ceil(2.0 * math.sqrt(duration))))


def sample_times(duration: float, count: int) -> list[float]:
    """``count`` times evenly spread over ``duration`` (the middle of equal parts)."""
    return [(i + 0.5) * duration / count for i in range(count)]


def decode_video(path: Path, cfg: PreprocessConfig, *, thumb_size: int = DEFAULT_THUMB_SIZE,
                 budget_s: float = DECODE_BUDGET_S) -> DecodedVideo:
    """Sample and decode the frames of the video ``path`` (see module doc); ``UnreadableImage`` when it has none."""
    label = os.fspath(path)
    check_media_file(path, label, "a video")
    import av

    try:
        container = av.open(label, mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise UnreadableImage(label, f"not a video, or a video that cannot be read ({_text(exc)})") from exc
    try:
        stream = _video_stream(container, label)
        sampler = _Sampler(container, stream, label, cfg, thumb_size, time.monotonic() + budget_s)
        frames, duration = sampler.run()
        width, height = sampler.display_size
    except UnreadableImage:
        raise
    except av.error.FFmpegError as exc:
        raise UnreadableImage(label, f"video is truncated or corrupt ({_text(exc)})") from exc
    except MemoryError as exc:
        raise UnreadableImage(label, "not enough memory to decode this video") from exc
    finally:
        container.close()
    if not frames:
        raise UnreadableImage(label, "no frame of the video could be decoded (truncated or corrupt?)")
    first = frames[0]
    return DecodedVideo(unpack_pixels(first.packed, cfg), first.thumbnail, width, height, None, frames=frames,
                        duration=duration, preprocess=cfg)


def _video_stream(container: Any, label: str) -> Any:
    names = set(str(container.format.name).split(","))
    if not names & CONTAINERS:
        content = container.format.long_name or container.format.name
        raise UnreadableImage(label, f"not a video: its content is {content}")
    streams = container.streams
    if len(streams) > MAX_STREAMS:
        raise UnreadableImage(label, f"video has {len(streams)} streams; at most {MAX_STREAMS} are read")
    stream = next((s for s in streams if s.type == "video"), None)
    if stream is None:
        raise UnreadableImage(label, "the file has no video stream")
    ctx = stream.codec_context
    w, h = int(ctx.width or 0), int(ctx.height or 0)
    if w * h > MAX_VIDEO_PIXELS:
        raise UnreadableImage(label, f"video frames are {w}x{h} pixels, too large to decode safely "
                                     f"(limit {MAX_VIDEO_PIXELS / 1e6:.0f} megapixels)")
    return stream


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
        if seconds > 0:
            return seconds
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000.0
    return None


class _Sampler:
    """Seeks and decodes the frames of one stream within the per-video budgets."""

    def __init__(self, container: Any, stream: Any, label: str, cfg: PreprocessConfig, thumb_size: int,
                 deadline: float):
        self.container = container
        self.stream = stream
        self.label = label
        self.cfg = cfg
        self.thumb_size = thumb_size
        self.deadline = deadline
        self.decoded = 0
        self.display_size = (int(stream.codec_context.width or 0), int(stream.codec_context.height or 0))
        self.kept: list[VideoFrame] = []
        self._last_signature: np.ndarray | None = None

    def run(self) -> tuple[list[VideoFrame], float | None]:
        duration = _duration(self.container, self.stream)
        if duration is None:
            self._sequential()
            return self.kept, (self.kept[-1].time if self.kept else None)
        count = frame_count(duration)
        spacing = duration / count
        for target in sample_times(duration, count):
            if self._out_of_budget():
                logger.info("%s: decoding budget reached after %d frame(s)", self.label, len(self.kept))
                break
            self._at(target, spacing / 2.0)
        if not self.kept:  # seeking failed everywhere (a damaged index): read from the start instead
            self.container.seek(0)
            self._sequential()
        return self.kept, duration

    def _out_of_budget(self) -> bool:
        return self.decoded >= MAX_DECODED_FRAMES or time.monotonic() > self.deadline

    def _frames(self) -> Iterator[Any]:
        for frame in self.container.decode(self.stream):
            self.decoded += 1
            self._check_frame(frame)
            yield frame

    def _at(self, target: float, tolerance: float) -> None:
        time_base = self.stream.time_base or Fraction(1, 1_000_000)
        start = self.stream.start_time or 0
        try:
            self.container.seek(start + int(target / time_base), stream=self.stream, backward=True, any_frame=False)
        except Exception as exc:  # noqa: BLE001 - av raises several kinds; a failed seek skips this time
            logger.debug("%s: cannot seek to %.2f s (%s)", self.label, target, exc)
            return
        steps = 0
        try:
            for frame in self._frames():
                steps += 1
                when = self._time(frame)
                spent = steps >= MAX_FRAMES_PER_SEEK or self._out_of_budget()
                if when is not None and (when >= target - tolerance or spent):
                    self._keep(frame, when)  # out of frames or time: the nearest frame reached is kept
                    return
                if spent:
                    return
        except av_errors() as exc:  # damaged data past this point: keep the frames found elsewhere
            logger.info("%s: cannot decode at %.2f s (%s)", self.label, target, exc)

    def _sequential(self) -> None:
        next_time = 0.0
        for frame in self._frames():
            when = self._time(frame) or 0.0
            if when >= next_time:
                self._keep(frame, when)
                next_time = when + UNKNOWN_DURATION_STEP_S
            if len(self.kept) >= MAX_FRAMES or self._out_of_budget():
                return

    def _time(self, frame: Any) -> float | None:
        if frame.pts is None:
            return None
        start = self.stream.start_time or 0
        base = frame.time_base or self.stream.time_base
        return max(0.0, float((frame.pts - start) * base)) if base is not None else None

    def _check_frame(self, frame: Any) -> None:
        if frame.width * frame.height > MAX_VIDEO_PIXELS:
            raise UnreadableImage(self.label, f"video frames are {frame.width}x{frame.height} pixels, too large "
                                              f"to decode safely (limit {MAX_VIDEO_PIXELS / 1e6:.0f} megapixels)")

    def _keep(self, frame: Any, when: float) -> None:
        if self.kept and abs(self.kept[-1].time - when) < 1e-3:
            return  # the same keyframe reached again
        rgb = self._small_rgb(frame)
        signature = np.asarray(rgb.convert("L").resize((16, 16), Image.Resampling.BILINEAR), dtype=np.float32)
        if self._last_signature is not None and float(np.abs(signature - self._last_signature).mean()) < NEAR_IDENTICAL:
            return
        self._last_signature = signature
        thumbnail = rgb.copy()
        thumbnail.thumbnail((self.thumb_size, self.thumb_size), Image.Resampling.BICUBIC)
        self.kept.append(VideoFrame(when, pack_pixels(model_input(rgb, self.cfg), self.cfg), thumbnail))

    def _small_rgb(self, frame: Any) -> Image.Image:
        """The frame in RGB, scaled by FFmpeg to twice what the model and the thumbnail need, turned upright."""
        w, h = frame.width, frame.height
        need = max(2 * max(self.cfg.size), self.thumb_size)
        scale = min(1.0, need / max(1, min(w, h)))
        out_w, out_h = max(2, round(w * scale / 2) * 2), max(2, round(h * scale / 2) * 2)
        image: Image.Image = frame.reformat(width=out_w, height=out_h, format="rgb24").to_image()
        rotation = int(getattr(frame, "rotation", 0) or 0) % 360
        if rotation:
            image = image.rotate(rotation, expand=True)
            if rotation in (90, 270) and self.display_size[0] > self.display_size[1]:
                self.display_size = (self.display_size[1], self.display_size[0])
        return image


def av_errors() -> type[Exception]:
    """FFmpeg's errors, as ``av`` raises them."""
    import av

    error: type[Exception] = av.error.FFmpegError
    return error


def _text(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or exc).strip() or type(exc).__name__
