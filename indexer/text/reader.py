"""``TextReader``: the words in a photo (OCR), with RapidOCR's PP-OCR models on ONNX Runtime.

The models ship inside the ``rapidocr`` wheel; the reader passes their paths explicitly, so the
engine never looks for (or downloads) anything.  It runs on ONNX Runtime's CPU provider with a
fixed number of threads, so reading text can never take every core from the embedding stage or
from searches.

Reading one photo:

1. decode it once, at most ``read_side`` pixels on its long side (JPEG draft mode, EXIF
   orientation, the same guards as every image);
2. the **gate** (``TextGate``): text detection only, on a copy at half size, 320 to 640 pixels
   long (tens to a few hundred milliseconds); a photo where it finds no text is done;
3. detection at each of ``det_sides`` pixels, then recognition of each detected line (cropped
   from the ``read_side`` image); the lines of the passes are merged, a line found by both kept
   once (the more confident reading).  Two sizes because each reads text the other misses: small
   text (20 px on a 1920-px photo) needs 960, while at 960 larger text breaks up and some fonts
   are lost that 640 reads (docs/quality.md).

Boxes are returned in the coordinates of the upright original image.  ``version`` names the
engine, its models and these sizes: a photo read by another version is read again.
The sizes were chosen by measurement (docs/quality.md, "Text in photos").
"""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from indexer.errors import ModelError
from indexer.models.image_input import decode_upright, read_image
from indexer.models.preprocess import draft_for_side, shrink
from indexer.text.gate import TextGate, line_shaped

logger = logging.getLogger(__name__)

DET_SIDES = (640, 960)  # detection sizes for photos that passed the gate (measured: docs/quality.md)
SAME_LINE_IOU = 0.3  # two passes' boxes overlapping this much are one line read twice
READ_SIDE = 2048  # recognition crops come from the photo at this size
MAX_LINES = 500  # a photo with more detected lines keeps the most confident ones
MAX_LINE_CHARS = 1000
MIN_CONFIDENCE = 0.5
MAX_PIXELS = 100_000_000
_DET_MODEL = "PP-OCRv6_det_small.onnx"
_REC_MODEL = "PP-OCRv6_rec_small.onnx"

Point = tuple[float, float]


@dataclass(frozen=True)
class TextLine:
    """One recognised line: its text, the engine's confidence (0-1) and its four corners
    (clockwise from top left) in the upright original image's pixels."""

    text: str
    confidence: float
    box: tuple[Point, Point, Point, Point]


@dataclass(frozen=True)
class PhotoText:
    """What reading one photo gave: its lines (possibly none) and the upright original's size."""

    lines: tuple[TextLine, ...]
    width: int
    height: int


def engine_version(det_sides: Sequence[int] = DET_SIDES, gate: str = TextGate().spec,
                   read_side: int = READ_SIDE) -> str:
    """The version string stored with every photo read (the engine's package version, models and sizes)."""
    try:
        package_version = importlib.metadata.version("rapidocr")  # without importing it (cheap for `status`)
    except importlib.metadata.PackageNotFoundError:  # not installed: nothing can be read, and nothing read matches
        package_version = "missing"
    sides = "+".join(str(side) for side in det_sides)
    return f"rapidocr-{package_version}/PP-OCRv6-small/{gate}-det{sides}-read{read_side}"


def ocr_threads(setting: int) -> int:
    """ONNX Runtime threads for text reading: the setting, or half the cores (at least 1) for 0."""
    return setting if setting > 0 else max(1, (os.cpu_count() or 2) // 2)


_shared: dict[int, TextReader] = {}
_shared_lock = threading.Lock()


def shared_reader(threads: int = 0) -> TextReader:
    """The process's text reader with ``threads`` threads (created on first use): its models load
    once per process, however many libraries are opened and closed (tests, the app reopening).
    It serialises its calls, so sharing it between libraries is safe."""
    count = ocr_threads(threads)
    with _shared_lock:
        reader = _shared.get(count)
        if reader is None:
            reader = _shared[count] = TextReader(threads=count)
        return reader


class TextReader:
    """Reads the text in images.  Loads its models on first use; one call at a time (a lock)."""

    def __init__(
        self, *, threads: int = 0, det_sides: Sequence[int] = DET_SIDES, read_side: int = READ_SIDE,
        gate: TextGate | None = None, use_gate: bool = True,
    ):
        if not det_sides:
            raise ValueError("at least one detection size is needed")
        self.threads = ocr_threads(threads)
        self.det_sides = tuple(det_sides)
        self.read_side = read_side
        self.gate = use_gate
        self.gate_model = gate or TextGate(threads=self.threads)
        self.version = engine_version(self.det_sides, self.gate_model.spec if use_gate else "nogate", read_side)
        self._engines: list[Any] = []
        self._lock = threading.Lock()

    # -- public --------------------------------------------------------------

    def read_file(self, path: Path | str, *, gate: bool = True) -> PhotoText:
        """The text in the image file at ``path``; raises ``UnreadableImage`` for a file that cannot be
        decoded and ``ModelError`` when the engine cannot run.  ``gate=False``: the gate already found text
        in it (``has_text``), so it is read in full at once."""
        image, width, height = read_image(path, self._decode)
        return self.read_image(image, (width, height), gate=gate)

    def read_image(self, image: Image.Image, original: tuple[int, int] | None = None, *,
                   gate: bool = True) -> PhotoText:
        """The text in an upright RGB ``image``; boxes are scaled to ``original`` (width, height) when given."""
        width, height = original or image.size
        if image.mode != "RGB":
            image = image.convert("RGB")
        image = shrink(image, self.read_side)
        if self.gate and gate and not self.gate_model.has_text(image):
            return PhotoText((), width, height)  # the OCR engine is not even loaded for photos without text
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        passes: list[tuple[TextLine, ...]] = []
        with self._lock:
            for engine in self._load():
                result = engine(bgr, use_det=True, use_cls=False, use_rec=True)
                passes.append(_lines(result, width / image.width, height / image.height, image.width, image.height))
        return PhotoText(merge_lines(passes), width, height)

    def close(self) -> None:
        """Free the models (they load again when used)."""
        self.gate_model.close()
        with self._lock:
            self._engines = []

    def has_text(self, detail: Image.Image, long_side: int | None = None) -> bool:
        """The gate's verdict on an upright RGB copy of a photo whose long side is ``long_side`` pixels (default:
        the copy's own): the gate runs at the size ``read_file`` would gate that photo at, so any copy at least
        that large will do (``DecodedImage.detail`` of a decode with ``detail_side=GATE_DETAIL_SIDE``, which a
        12 MP JPEG gets from the decode the model needs anyway).  True without a gate."""
        if not self.gate:
            return True
        side = self.gate_model.size_for(min(long_side or max(detail.size), self.read_side))
        return self.gate_model.count_lines(detail, side) > 0

    # -- internals -----------------------------------------------------------

    def _decode(self, image: Image.Image, label: str) -> tuple[Image.Image, int, int]:
        upright = decode_upright(image, label, max_pixels=MAX_PIXELS,
                                 need=lambda w, h: draft_for_side(w, h, self.read_side))
        return upright.rgb, upright.width, upright.height

    def _load(self) -> list[Any]:
        if not self._engines:
            self._engines = [_create_engine(self.threads, side, self.read_side) for side in self.det_sides]
        return self._engines


def _create_engine(threads: int, det_side: int, read_side: int) -> Any:
    try:
        import rapidocr
        from rapidocr import EngineType, RapidOCR
    except ImportError as exc:
        raise ModelError(f"reading text in photos needs the rapidocr package ({exc})") from exc
    _quiet_engine_log()
    models = Path(rapidocr.__file__).parent / "models"
    det, rec = models / _DET_MODEL, models / _REC_MODEL
    for model in (det, rec):
        if not model.is_file():
            raise ModelError(f"the text-reading model {model} is missing; reinstall rapidocr")
    params = {
        "Global.use_cls": False,
        "Global.log_level": "error",
        "Global.max_side_len": read_side,
        "Global.text_score": MIN_CONFIDENCE,
        "Det.engine_type": EngineType.ONNXRUNTIME,
        "Rec.engine_type": EngineType.ONNXRUNTIME,
        "Det.model_path": str(det),
        "Rec.model_path": str(rec),
        "Det.limit_type": "max",
        "Det.limit_side_len": det_side,
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    try:
        return RapidOCR(params=params)
    except Exception as exc:  # noqa: BLE001 - any engine set-up failure is one clear error
        raise ModelError(f"cannot start the text reader: {exc}") from exc


def _quiet_engine_log() -> None:
    """RapidOCR logs to its own stderr handler (a line for every photo without text): route it into
    ours, errors only."""
    engine_log = logging.getLogger("RapidOCR")
    for handler in list(engine_log.handlers):
        engine_log.removeHandler(handler)
    engine_log.propagate = True
    engine_log.setLevel(logging.ERROR)


def merge_lines(passes: Sequence[Sequence[TextLine]]) -> tuple[TextLine, ...]:
    """The lines of several detection passes over one image, a line found by more than one (boxes
    overlapping by ``SAME_LINE_IOU``) kept once, as its most confident reading; in reading order."""
    kept: list[TextLine] = []
    for lines in passes:
        for line in lines:
            same = next((i for i, other in enumerate(kept) if _iou(other.box, line.box) > SAME_LINE_IOU), None)
            if same is None:
                kept.append(line)
            elif line.confidence > kept[same].confidence:
                kept[same] = line
    kept.sort(key=lambda line: (line.box[0][1], line.box[0][0]))
    return tuple(kept)


def _iou(a: Sequence[Point], b: Sequence[Point]) -> float:
    """Intersection over union of two quadrilaterals' bounding rectangles."""
    ax0, ay0, ax1, ay1 = min(p[0] for p in a), min(p[1] for p in a), max(p[0] for p in a), max(p[1] for p in a)
    bx0, by0, bx1, by1 = min(p[0] for p in b), min(p[1] for p in b), max(p[0] for p in b), max(p[1] for p in b)
    inter = max(0.0, min(ax1, bx1) - max(ax0, bx0)) * max(0.0, min(ay1, by1) - max(ay0, by0))
    union = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter
    return inter / union if union > 0 else 0.0


def _lines(result: Any, sx: float, sy: float, width: int, height: int) -> tuple[TextLine, ...]:
    texts = getattr(result, "txts", None)
    boxes = getattr(result, "boxes", None)
    scores = getattr(result, "scores", None)
    if not texts or boxes is None or scores is None:
        return ()
    lines: list[TextLine] = []
    for text, box, score in zip(texts, boxes, scores):
        quad = np.asarray(box, dtype=np.float64)[:4]
        if quad.shape != (4, 2):
            continue
        sides = [float(np.hypot(*(quad[(i + 1) % 4] - quad[i]))) for i in range(4)]
        if not line_shaped(min((sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2), width, height):
            continue
        clean = " ".join(str(text).split())[:MAX_LINE_CHARS]
        if not clean:
            continue
        corners = [(round(float(x) * sx, 1), round(float(y) * sy, 1)) for x, y in quad]
        if len(corners) != 4 or not all(math.isfinite(c) for xy in corners for c in xy):
            continue
        lines.append(TextLine(clean, round(float(score), 4), (corners[0], corners[1], corners[2], corners[3])))
    lines.sort(key=lambda line: -line.confidence)
    kept = lines[:MAX_LINES]
    kept.sort(key=lambda line: (line.box[0][1], line.box[0][0]))  # reading order: top to bottom, left to right
    return tuple(kept)
