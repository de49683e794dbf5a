"""``TextGate``: does a photo hold any text?  A cheap first pass before reading it (OCR).

It runs the text *detection* model that ships with RapidOCR directly on ONNX Runtime, on a copy of
the photo at ``scale`` times its size, kept between ``side`` and ``max_side`` pixels on its long side
(so small text in a screenshot or a page stays a few pixels tall, and a 12 MP photo costs no more
than ``max_side`` allows), and counts the detected regions
that can be lines of text.  It never imports the OCR engine itself (seconds of start-up), so a run
over photos without words pays only for this pass.  It follows RapidOCR's detection
(PP-OCR's DB post-processing: probability map -> regions -> minimum-area rectangles -> mean
score) and then drops regions too thick to be a line: the detector marks grain, foliage and
noise as blobs as large as the image.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from indexer.errors import ModelError

# The gate's copy: GATE_SCALE times the photo's long side, kept within GATE_SIDE..GATE_MAX_SIDE pixels.
# Chosen by measurement (docs/quality.md, "Text in photos").
GATE_SIDE = 320
GATE_SCALE = 0.5
GATE_MAX_SIDE = 640
GATE_DETAIL_SIDE = 960  # the copy of a photo the pipeline decodes for the gate: 1.5 x GATE_MAX_SIDE, which a
# 12 MP JPEG gets at the 1/4-scale draft its model input and thumbnail need anyway (bench_text_gate_levers.py)
PIXEL_THRESHOLD = 0.3  # DB's binarisation threshold
BOX_THRESHOLD = 0.3  # a region's mean probability must reach this (0.5, the engine's own, dropped a tenth of
# the photos with 20-40 px text that full detection reads; 0.4 left tuning R@1 too close to the 0.9 target
# for its sampling error, at 0.42 s CPU a photo without text against 0.81 s here: docs/quality.md)
MIN_SIDE = 3  # regions thinner than this (pixels at the gate's size) are noise
MAX_LINE_HEIGHT = 0.34  # a "line" thicker than this share of the image's short side is not one


def detection_model() -> Path:
    """The detection model inside the installed rapidocr package (found without importing it)."""
    import importlib.util

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError("reading text in photos needs the rapidocr package")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / "PP-OCRv6_det_small.onnx"
    if not path.is_file():
        raise ModelError(f"the text-detection model {path} is missing; reinstall rapidocr")
    return path


def line_shaped(short_side: float, width: int, height: int) -> bool:
    """Whether a region whose rectangle is ``short_side`` thick can be a line in a width x height image."""
    return MIN_SIDE <= short_side <= MAX_LINE_HEIGHT * min(width, height)


class TextGate:
    """Counts line-shaped text regions in an image.  The ONNX session loads on first use; thread-safe."""

    def __init__(self, *, threads: int = 1, side: int = GATE_SIDE, scale: float = GATE_SCALE,
                 max_side: int = GATE_MAX_SIDE, box_threshold: float = BOX_THRESHOLD):
        self.threads = threads
        self.side = side
        self.scale = scale
        self.max_side = max(side, max_side)
        self.box_threshold = box_threshold
        size = f"gate{side}" if scale <= 0 else f"gate{scale:g}x{side}-{self.max_side}"
        self.spec = f"{size}-box{box_threshold:g}"
        self._session: Any = None
        self._lock = threading.Lock()

    def size_for(self, long_side: int) -> int:
        """The long side of the gate's copy of an image whose long side is ``long_side``."""
        if self.scale <= 0:
            return self.side
        return min(self.max_side, max(self.side, round(long_side * self.scale)))

    def has_text(self, image: Image.Image) -> bool:
        return self.count_lines(image) > 0

    def count_lines(self, image: Image.Image, side: int | None = None) -> int:
        """Line-shaped text regions found in ``image`` shrunk to ``side`` pixels (default: the gate's size)."""
        import cv2

        side = side or self.size_for(max(image.size))
        scale = min(1.0, side / max(image.size))
        w = max(32, round(image.width * scale / 32) * 32)
        h = max(32, round(image.height * scale / 32) * 32)
        small = image.convert("RGB").resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
        bgr = np.asarray(small, dtype=np.float32)[:, :, ::-1]
        tensor = ((bgr / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)
        with self._lock:
            session = self._load()
            name = session.get_inputs()[0].name
            prob = np.asarray(session.run(None, {name: tensor})[0])[0, 0]
        mask = cv2.dilate((prob > PIXEL_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
        contours, _ = cv2.findContours(mask * 255, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
        count = 0
        for contour in contours[:1000]:
            rect = cv2.minAreaRect(contour)
            if not line_shaped(min(rect[1]), w, h):
                continue
            box = cv2.boxPoints(rect)
            x0, y0 = np.clip(np.floor(box.min(axis=0)).astype(int), 0, [w - 1, h - 1])
            x1, y1 = np.clip(np.ceil(box.max(axis=0)).astype(int), 0, [w - 1, h - 1])
            region = np.zeros((y1 - y0 + 1, x1 - x0 + 1), dtype=np.uint8)
            cv2.fillPoly(region, [np.round(box - [x0, y0]).astype(np.int32)], 1)
            if region.any() and float(prob[y0:y1 + 1, x0:x1 + 1][region > 0].mean()) >= self.box_threshold:
                count += 1
        return count

    def close(self) -> None:
        with self._lock:
            self._session = None

    def _load(self) -> Any:
        if self._session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            try:
                self._session = ort.InferenceSession(str(detection_model()), options,
                                                     providers=["CPUExecutionProvider"])
            except ModelError:
                raise
            except Exception as exc:  # noqa: BLE001 - a broken model file is one clear error
                raise ModelError(f"cannot load the text-detection model: {exc}") from exc
        return self._session
