"""Files for the media tests, made on the spot: DNG files (with a JPEG or bitmap preview, without one,
with a corrupt one), videos encoded with ``av`` from rendered frames (the generated world's scenes,
one segment each), Live Photo pairs, and hostile videos."""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

_DNG_TAGS = [
    (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
    (50707, "B", 4, (1, 2, 0, 0), True),  # DNGBackwardVersion
    (271, "s", 0, "Acme", True),  # Make
    (272, "s", 0, "Acme R1", True),  # Model
    (50708, "s", 0, "Acme R1", True),  # UniqueCameraModel
    (306, "s", 0, "2024:05:01 10:30:00", True),  # DateTime
]
_CFA_TAGS = [
    (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
    (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
    (50717, "H", 1, (4095,), True),  # WhiteLevel
    (50714, "H", 1, (0,), True),  # BlackLevel
    (50721, "2i", 9, (1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1), True),  # ColorMatrix1: identity
    (50778, "H", 1, (21,), True),  # CalibrationIlluminant1: D65
    (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
]


def bayer(rgb: np.ndarray) -> np.ndarray:
    """An RGGB mosaic (12-bit, in uint16) of an 8-bit RGB picture: what a sensor would have recorded."""
    x = rgb.astype(np.uint16) * 16
    raw = np.zeros(rgb.shape[:2], np.uint16)
    raw[0::2, 0::2] = x[0::2, 0::2, 0]
    raw[0::2, 1::2] = x[0::2, 1::2, 1]
    raw[1::2, 0::2] = x[1::2, 0::2, 1]
    raw[1::2, 1::2] = x[1::2, 1::2, 2]
    return raw


def write_dng(path: Path, sensor: Image.Image, *, preview: Image.Image | None = None, jpeg: bool = True,
              corrupt_preview: bool = False) -> Path:
    """A DNG whose sensor data is the mosaic of ``sensor`` and, optionally, an embedded ``preview``
    (JPEG-compressed, or an uncompressed bitmap with ``jpeg=False``; ``corrupt_preview``: a JPEG
    whose image data is cut short)."""
    import tifffile

    raw = bayer(np.asarray(sensor.convert("RGB")))
    with tifffile.TiffWriter(path) as tif:
        if preview is None:
            tif.write(raw, photometric=32803, subfiletype=0, extratags=_DNG_TAGS + _CFA_TAGS)
            return path
        rgb = np.asarray(preview.convert("RGB"))
        tif.write(rgb, photometric="rgb", subfiletype=1, subifds=1, extratags=_DNG_TAGS,
                  rowsperstrip=rgb.shape[0])
        tif.write(raw, photometric=32803, subfiletype=0, extratags=_CFA_TAGS)
    if jpeg:
        _jpeg_compress_first_page(path, preview, corrupt_preview)
    return path


def _jpeg_compress_first_page(path: Path, preview: Image.Image, corrupt: bool) -> None:
    """Turn the uncompressed preview strip into a JPEG one in place (tifffile cannot encode JPEG alone)."""
    import tifffile

    buf = io.BytesIO()
    preview.convert("RGB").save(buf, "JPEG", quality=90)
    data = buf.getvalue()
    if corrupt:  # the headers, then the image data cut short
        data = data[: data.index(b"\xff\xda") + 40]
    blob = bytearray(path.read_bytes())
    with tifffile.TiffFile(path) as tf:
        page = tf.pages[0]
        offset, room = page.dataoffsets[0], page.databytecounts[0]
        compression, counts = page.tags[259], page.tags[279]
    assert len(data) <= room, "the JPEG preview must fit in the uncompressed strip"
    blob[compression.valueoffset:compression.valueoffset + 2] = struct.pack("<H", 7)
    width = 4 if counts.dtype == 4 else 2
    blob[counts.valueoffset:counts.valueoffset + width] = struct.pack("<I" if width == 4 else "<H", len(data))
    blob[offset:offset + len(data)] = data
    path.write_bytes(bytes(blob))


def write_video(path: Path, frames: Sequence[Image.Image], *, fps: int = 10, codec: str = "libx264",
                gop: int | None = None) -> Path:
    """Encode ``frames`` (all the same size, even sides) into ``path`` with ``av``."""
    import av

    width, height = frames[0].size
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if gop is not None:
            stream.options = {"g": str(gop), "sc_threshold": "0"}
        for image in frames:
            frame = av.VideoFrame.from_ndarray(np.asarray(image.convert("RGB")), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@dataclass(frozen=True)
class Segment:
    start: float  # seconds
    end: float
    scene: object  # a tests.quality.world.Scene


def world_video(path: Path, scenes: Sequence[object], *, seconds: float = 4.0, fps: int = 5, side: int = 128,
                gop: int = 5) -> list[Segment]:
    """A video showing each of the generated world's ``scenes`` for ``seconds``, in turn; its segments."""
    from tests.quality import world

    frames: list[Image.Image] = []
    segments: list[Segment] = []
    per_scene = round(seconds * fps)
    for scene in scenes:
        image = world.render_photo(scene, side)  # type: ignore[arg-type]
        start = len(frames) / fps
        frames += [image] * per_scene
        segments.append(Segment(start, len(frames) / fps, scene))
    write_video(path, frames, fps=fps, gop=gop)
    return segments


def many_streams_video(path: Path, streams: int = 1000) -> Path:
    """A Matroska file with ``streams`` video streams (one frame in the first)."""
    import av

    with av.open(str(path), "w") as container:
        first = container.add_stream("mjpeg", rate=10)
        first.width, first.height, first.pix_fmt = 64, 64, "yuvj420p"
        for _ in range(streams - 1):
            extra = container.add_stream("mjpeg", rate=10)
            extra.width, extra.height, extra.pix_fmt = 16, 16, "yuvj420p"
        for packet in first.encode(av.VideoFrame(64, 64, "yuvj420p")):
            container.mux(packet)
        for packet in first.encode():
            container.mux(packet)
    return path


def huge_stream_video(path: Path, size: tuple[int, int] = (15360, 8640)) -> Path:
    """An AVI holding one 16K motion-JPEG frame (a few seconds to make)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("mjpeg", rate=1)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuvj420p"
        for packet in stream.encode(av.VideoFrame(size[0], size[1], "yuvj420p")):
            container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def truncated_copy(src: Path, dest: Path, keep: float = 0.4) -> Path:
    data = src.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def turned_quarter(path: Path) -> Path:
    """Mark the MP4 ``path`` as shown turned a quarter clockwise (its track matrix, as a phone held
    upright writes it)."""
    data = bytearray(path.read_bytes())
    identity = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    at = data.find(identity, data.find(b"tkhd"))
    assert at > 0, "no track header matrix found"
    data[at:at + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    path.write_bytes(bytes(data))
    return path
