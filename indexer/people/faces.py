"""Finding faces in a photo and describing each with a 128-number vector (dlib, on the CPU).

``FaceFinder.find(image, original)`` takes an upright RGB image (the pipeline's
detail image, or a photo decoded for it) and returns the faces in it: their box
in the original photo's pixels, the detector's score and the face's vector.
The detector is dlib's HOG frontal-face detector on the image brought down to
``DETECT_SIDE`` pixels on its long side (a small image is looked at twice its
size, where that is cheap); each face is aligned with the 5-point landmark
model and described by dlib's ResNet (``dlib_face_recognition_resnet_model_v1``):
two faces of one person lie within about 0.6 of each other (Euclidean).

The weights come from the ``face_recognition_models`` package (CC0); the
68-point landmark model it also carries is never loaded.  The models load once
per process (``FaceFinder.load``, which the stage calls before the decode
threads start, so no decode waits for them).  dlib's models are not safe to
share between threads running at once: each thread has its own detector
(built in, free to make), and the landmark model and the network, loaded once,
describe one face at a time.
"""

from __future__ import annotations

import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from indexer.errors import ModelError

DETECT_SIDE = 1024  # the long side faces are looked for at (see docs/performance.md for the measurement)
UPSAMPLE_BELOW = 640  # an image at most this long is also looked at twice its size (small faces; cheap there)
MIN_FACE = 40  # faces smaller than this many pixels in the original photo are left out
MIN_SCORE = -0.2  # HOG detections scoring below this are mostly not faces
DIMENSIONS = 128

PREDICTOR = "shape_predictor_5_face_landmarks.dat"
RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"


@dataclass(frozen=True)
class Face:
    """One face found: its box (x, y, width, height) in the original photo's pixels, the detector's score and
    its unit-free 128-d vector (float32)."""

    box: tuple[int, int, int, int]
    score: float
    vector: np.ndarray


def weights_folder() -> Path:
    """Where the ``face_recognition_models`` package keeps its weights (found without importing it: its
    ``__init__`` needs ``pkg_resources``)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("the face models are not installed (pip install face-recognition-models)")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    for name in (PREDICTOR, RECOGNITION):
        if not (folder / name).is_file():
            raise ModelError(f"the face model {name} is missing from {folder}")
    return folder


class _Models:
    """One thread's dlib models."""

    def __init__(self) -> None:
        try:
            import dlib  # type: ignore[import-untyped]
        except ImportError as exc:  # pragma: no cover - a dependency
            raise ModelError("dlib is not installed (pip install dlib-bin)") from exc
        folder = weights_folder()
        self.dlib: Any = dlib
        self.predictor: Any = dlib.shape_predictor(str(folder / PREDICTOR))
        self.encoder: Any = dlib.face_recognition_model_v1(str(folder / RECOGNITION))


class FaceFinder:
    """Faces in upright RGB images (see the module doc); safe to call from several threads."""

    def __init__(self, detect_side: int = DETECT_SIDE, min_face: int = MIN_FACE) -> None:
        self.detect_side = detect_side
        self.min_face = min_face
        self._loaded: _Models | None = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self._local = threading.local()

    def load(self) -> None:
        """Load the models now (``ModelError`` when they cannot be)."""
        self._models()

    def _models(self) -> _Models:
        with self._load_lock:
            if self._loaded is None:
                self._loaded = _Models()
            return self._loaded

    def find(self, image: Image.Image, original: tuple[int, int] | None = None) -> list[Face]:
        """The faces in ``image`` (upright), boxes scaled to ``original`` (width, height) when given."""
        width, height = original or image.size
        if image.mode != "RGB":
            image = image.convert("RGB")
        long_side = max(image.size)
        if long_side > self.detect_side:
            scale = self.detect_side / long_side
            image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                                 Image.Resampling.BILINEAR, reducing_gap=2.0)
        pixels = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        models = self._models()
        upsample = 1 if max(image.size) <= UPSAMPLE_BELOW else 0
        detector = getattr(self._local, "detector", None)
        if detector is None:
            detector = self._local.detector = models.dlib.get_frontal_face_detector()
        boxes, scores, _ = detector.run(pixels, upsample, MIN_SCORE)
        sx, sy = width / image.width, height / image.height
        found: list[Face] = []
        for rect, score in zip(boxes, scores):
            left, top = max(0, rect.left()), max(0, rect.top())
            right, bottom = min(image.width, rect.right()), min(image.height, rect.bottom())
            box = (round(left * sx), round(top * sy), round((right - left) * sx), round((bottom - top) * sy))
            if min(box[2], box[3]) < self.min_face:
                continue
            with self._encode_lock:
                shape = models.predictor(pixels, rect)
                descriptor = models.encoder.compute_face_descriptor(pixels, shape)
            vector = np.asarray(descriptor, dtype=np.float32)
            found.append(Face(box, float(score), vector))
        return found

    def find_file(self, path: Path) -> tuple[list[Face], tuple[int, int]]:
        """The faces in the image file at ``path`` (decoded at the detector's size), and its upright size;
        ``UnreadableImage`` for a file that cannot be decoded."""
        from indexer.models.image_input import decode_upright, read_image
        from indexer.models.preprocess import draft_for_side

        def decode(opened: Image.Image, label: str) -> tuple[Image.Image, int, int]:
            upright = decode_upright(opened, label, need=lambda w, h: draft_for_side(w, h, self.detect_side))
            return upright.rgb, upright.width, upright.height

        image, width, height = read_image(path, decode)
        return self.find(image, (width, height)), (width, height)


_shared: FaceFinder | None = None
_shared_lock = threading.Lock()


def shared_finder() -> FaceFinder:
    """The process's face finder (its models load on first use, per thread)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = FaceFinder()
        return _shared
