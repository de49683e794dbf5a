"""A batch of decoded photos and videos -> one vector each, plus every frame's vector for the videos.

The frames of all the videos of a batch go through the model together with
the photos (in chunks of ``ENCODE_CHUNK`` images, so memory stays bounded
whatever the batch holds).  A video's own vector -- the one the vector index
holds, and image queries and statistics use -- is its most typical frame:
the one closest to the mean of its frames; its thumbnail becomes the
video's thumbnail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
from PIL import Image

from indexer.media.video import DecodedVideo
from indexer.models.preprocess import DecodedImage

ENCODE_CHUNK = 64


class PixelEncoder(Protocol):
    def encode_pixels(self, pixels: np.ndarray, *, check_finite: bool = ...) -> np.ndarray: ...


@dataclass
class FrameVectors:
    """The frames of one video as the model sees them."""

    times: list[float]
    vectors: np.ndarray  # (k, d): only finite unit vectors
    thumbnails: list[Image.Image]
    cover: int  # the frame that stands for the video
    duration: float | None


def encode_decoded(encoder: PixelEncoder, images: list[DecodedImage]) -> tuple[np.ndarray, list[FrameVectors | None]]:
    """One vector per image (a video's: its cover frame's) and, per image, its frames (None for a photo).

    A video's thumbnail is replaced by its cover frame's.
    """
    pixels: list[np.ndarray] = []
    spans: list[tuple[int, int]] = []
    for image in images:
        if isinstance(image, DecodedVideo):
            parts = [image.frame_pixels(i) for i in range(len(image.frames))]
        else:
            parts = [image.pixels]
        spans.append((len(pixels), len(parts)))
        pixels.extend(parts)
    encoded = [encoder.encode_pixels(np.stack(pixels[i:i + ENCODE_CHUNK]), check_finite=False)
               for i in range(0, len(pixels), ENCODE_CHUNK)]
    every = np.concatenate(encoded) if encoded else np.zeros((0, 0), dtype=np.float32)
    vectors = []
    frames: list[FrameVectors | None] = []
    for image, (start, count) in zip(images, spans):
        own = every[start:start + count]
        if not isinstance(image, DecodedVideo):
            vectors.append(own[0])
            frames.append(None)
            continue
        good = [i for i in range(count) if _is_unit(own[i])]
        if not good:  # every frame is unusable: the pipeline records the video's failure from this vector
            vectors.append(own[0])
            frames.append(None)
            continue
        kept = own[good]
        mean = kept.mean(axis=0)
        cover = int(np.argmax(kept @ mean))
        thumbnails = [image.frames[i].thumbnail for i in good]
        image.thumbnail = thumbnails[cover]
        vectors.append(kept[cover])
        frames.append(FrameVectors([image.frames[i].time for i in good], kept, thumbnails, cover, image.duration))
    return np.stack(vectors) if vectors else every, frames


def _is_unit(vector: np.ndarray) -> bool:
    return bool(np.isfinite(vector).all()) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3
