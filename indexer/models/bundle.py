"""Read and validate a model bundle: the directory of ONNX towers and their configuration.

A bundle is a directory in the layout of Immich's published ONNX CLIP models::

    config.json                     open_clip config: embed_dim, vision_cfg, text_cfg
    visual/model.onnx               "image" float [B,3,H,W] -> [B,D]
    visual/preprocess_cfg.json      size, mean, std, interpolation, resize_mode, ...
    textual/model.onnx              "text" int32|int64 [B,L] -> [B,D]
    textual/tokenizer.json          Hugging Face ``tokenizers`` file
    textual/tokenizer_config.json   optional (pad token, ...)

``ModelBundle.load`` checks all of it without running a model: the graphs'
declared inputs and outputs are read from the ONNX files themselves
(``onnx_graph``), so a bundle with a missing file, a wrong input shape or
towers whose embedding sizes differ fails here, with one ``ModelError`` that
names the problem, instead of deep inside ONNX Runtime later.

A bundle is untrusted data, so loading it also guarantees that using it stays
bounded and inside its directory: every file it is read from is a regular
file reached without a symbolic link; every external-data file an ONNX graph
names is such a file inside the bundle; each JSON file has a size limit and
any nesting depth fails cleanly; every size that decides an allocation
(context length, embedding size, image size, a graph's fixed batch) has an
upper bound; the tokenizer options are checked; and the directory's name (the
model's name) holds no control characters.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ModelError
from indexer.models.bundle_checks import OTHER_RUNTIMES as OTHER_RUNTIMES  # re-exported: registry uses it
from indexer.models.bundle_checks import (
    check_external_data,
    check_tokenizer_kwargs,
    check_tower_trees,
    not_regular,
    read_json,
    size_ok,
)
from indexer.models.onnx_graph import Dim, OnnxFormatError, TensorSpec, read_signature
from indexer.models.safe_paths import regular_file_problem, unprintable
from indexer.models.tokenizer import MAX_CONTEXT_LENGTH

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.json"
VISUAL_MODEL = "visual/model.onnx"
PREPROCESS_FILE = "visual/preprocess_cfg.json"
TEXTUAL_MODEL = "textual/model.onnx"
TOKENIZER_FILE = "textual/tokenizer.json"
TOKENIZER_CONFIG_FILE = "textual/tokenizer_config.json"
REQUIRED_FILES = (CONFIG_FILE, VISUAL_MODEL, PREPROCESS_FILE, TEXTUAL_MODEL, TOKENIZER_FILE)

DEFAULT_CONTEXT_LENGTH = 77
# Upper bounds on what a bundle may ask for (each decides an allocation per query,
# per image or per vector); published CLIP models stay far below them.
MAX_EMBED_DIM = 4096
MAX_IMAGE_SIZE = 1024  # pixels per side of the visual tower's input
MAX_STATIC_BATCH = 64  # a graph's fixed batch size (a short batch is padded up to it)
MAX_JSON_BYTES = 16 << 20  # config.json, preprocess_cfg.json, tokenizer_config.json
MAX_TOKENIZER_BYTES = 256 << 20  # tokenizer.json (a 256k-token vocabulary is about 35 MB)
MIN_STD = 1e-3  # smallest preprocess std (CLIP models use about 0.26; one fed 0..255 pixel values, 1/255)
OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
INTERPOLATIONS = ("bicubic", "bilinear", "nearest", "lanczos")
RESIZE_MODES = ("shortest", "squash", "longest")


@dataclass(frozen=True)
class PreprocessConfig:
    """How an image becomes the visual tower's input (open_clip's PreprocessCfg)."""

    size: tuple[int, int] = (224, 224)  # (height, width)
    mode: str = "RGB"
    mean: tuple[float, float, float] = OPENAI_MEAN
    std: tuple[float, float, float] = OPENAI_STD
    interpolation: str = "bicubic"
    resize_mode: str = "shortest"
    fill_color: int = 0

    def __post_init__(self) -> None:
        if len(self.size) != 2 or min(self.size) < 1 or max(self.size) > MAX_IMAGE_SIZE:
            raise ModelError(
                f"preprocess size must be two positive integers up to {MAX_IMAGE_SIZE}, not {self.size!r}"
            )
        if not 0 <= self.fill_color <= 255:
            raise ModelError(f"preprocess fill_color must be a pixel value from 0 to 255, not {self.fill_color!r}")
        if self.mode != "RGB":
            raise ModelError(f"preprocess mode {self.mode!r} is not supported (only 'RGB')")
        if self.interpolation not in INTERPOLATIONS:
            raise ModelError(
                f"preprocess interpolation {self.interpolation!r} is not one of {', '.join(INTERPOLATIONS)}"
            )
        if self.resize_mode not in RESIZE_MODES:
            raise ModelError(
                f"preprocess resize_mode {self.resize_mode!r} is not one of {', '.join(RESIZE_MODES)}"
            )
        if len(self.mean) != 3 or len(self.std) != 3 or any(s <= 0 for s in self.std):
            raise ModelError("preprocess mean and std must have three values each, std > 0")
        # Pixels become (x - mean) / std in float32: a NaN, an infinity or a std that float32 rounds to
        # (almost) zero would make every pixel, and so every vector, NaN or infinite.
        if not all(math.isfinite(v) for v in (*self.mean, *self.std)) or min(self.std) < MIN_STD:
            raise ModelError(
                f"preprocess mean and std must be finite numbers and std at least {MIN_STD} "
                f"(mean {list(self.mean)}, std {list(self.std)})"
            )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PreprocessConfig:
        """Build from a ``preprocess_cfg.json`` mapping (open_clip's keys; extras ignored)."""
        if not isinstance(data, dict):
            raise ModelError("preprocess config must be a JSON object")
        try:
            size = data.get("size", 224)
            if isinstance(size, (int, float)):
                size_hw = (int(size), int(size))
            elif isinstance(size, (list, tuple)) and len(size) == 1:
                size_hw = (int(size[0]), int(size[0]))
            elif isinstance(size, (list, tuple)) and len(size) == 2:
                size_hw = (int(size[0]), int(size[1]))
            else:
                raise ModelError(f"preprocess size must be an integer or [height, width], not {size!r}")
            mean = _triple(data.get("mean"), OPENAI_MEAN, "mean")
            std = _triple(data.get("std"), OPENAI_STD, "std")
            interpolation = str(data.get("interpolation") or "bicubic").lower()
            if interpolation == "random":  # open_clip: random means bicubic at inference
                interpolation = "bicubic"
            fill = data.get("fill_color", 0)
            if isinstance(fill, (list, tuple)):  # a colour triple; keep the first value
                fill = fill[0] if fill else 0
            return cls(
                size=size_hw,
                mode=str(data.get("mode") or "RGB"),
                mean=mean,
                std=std,
                interpolation=interpolation,
                resize_mode=str(data.get("resize_mode") or "shortest"),
                fill_color=int(fill or 0),
            )
        except (TypeError, ValueError, OverflowError) as exc:  # int(inf) raises OverflowError
            raise ModelError(f"preprocess config is malformed: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "size": list(self.size),
            "mode": self.mode,
            "mean": list(self.mean),
            "std": list(self.std),
            "interpolation": self.interpolation,
            "resize_mode": self.resize_mode,
            "fill_color": self.fill_color,
        }


def _triple(value: Any, default: tuple[float, float, float], key: str) -> tuple[float, float, float]:
    if value is None:
        return default
    if isinstance(value, (int, float)):
        return (float(value),) * 3
    values = [float(v) for v in value]
    if len(values) == 1:
        values = values * 3
    if len(values) != 3:
        raise ValueError(f"{key} needs three channel values, not {len(values)}")
    return (values[0], values[1], values[2])


@dataclass(frozen=True)
class TowerSpec:
    """What the runtime needs to know about one tower's ONNX graph."""

    model_path: Path
    input_name: str
    input_dtype: np.dtype
    input_shape: tuple[Dim, ...]
    output_name: str
    output_dim: int | None

    @property
    def static_batch(self) -> int | None:
        """The fixed batch size (1 for Immich's bundles), or None when dynamic."""
        dim = self.input_shape[0]
        return dim if isinstance(dim, int) and dim > 0 else None

    @property
    def static_length(self) -> int | None:
        """For a text tower: the fixed sequence length, or None when dynamic."""
        dim = self.input_shape[-1]
        return dim if isinstance(dim, int) and dim > 0 else None


@dataclass(frozen=True)
class ModelBundle:
    """A validated bundle directory.  ``name`` is its directory's name; what identifies the vectors it
    makes is the fingerprint of its files (``indexer.models.fingerprint``), not the name."""

    path: Path
    name: str
    embed_dim: int
    context_length: int
    preprocess: PreprocessConfig
    visual: TowerSpec = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    textual: TowerSpec = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    tokenizer_file: Path = field(repr=False, compare=False, default=None)  # type: ignore[assignment]
    tokenizer_config: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    config: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)

    @property
    def trims_text(self) -> bool:
        """True when the text graph accepts any length, so batches run only as long
        as their longest real sequence."""
        return self.textual.static_length is None

    @classmethod
    def load(cls, path: str | Path, *, read_tokenizer: bool = True) -> ModelBundle:
        """Read and validate the bundle at ``path``; raise ``ModelError`` if unusable.

        ``read_tokenizer=False`` leaves the contents of tokenizer.json (MBs of JSON: 50-90 ms to parse) to
        the tokenizer, which reads it when text is first encoded and raises ``ModelError`` then; its
        size and kind of file are still checked here.  For loading a bundle to use it; importing or
        downloading one checks everything.
        """
        root = Path(path).expanduser()
        if not root.is_dir():
            raise ModelError(f"model bundle {root} does not exist or is not a directory")
        root = root.resolve()  # the directory itself may be a link: the user chose it
        char = unprintable(root.name)
        if char is not None:
            raise ModelError(
                f"the model directory name {root.name!r} holds the control character {char}; rename the directory"
            )
        problems = {rel: regular_file_problem(root, rel) for rel in REQUIRED_FILES}
        missing = [rel for rel, problem in problems.items() if problem == "is missing"]
        if missing:
            raise ModelError(f"model bundle {root} is incomplete: missing {', '.join(missing)}")
        for rel, problem in problems.items():
            if problem is not None:
                raise not_regular(root, rel, problem)
        check_tower_trees(root)

        config = read_json(root, CONFIG_FILE, limit=MAX_JSON_BYTES)
        preprocess = PreprocessConfig.from_dict(read_json(root, PREPROCESS_FILE, limit=MAX_JSON_BYTES))
        tokenizer_config: dict[str, Any] = {}
        if os.path.lexists(root / TOKENIZER_CONFIG_FILE):
            problem = regular_file_problem(root, TOKENIZER_CONFIG_FILE)
            if problem is not None:
                raise not_regular(root, TOKENIZER_CONFIG_FILE, problem)
            tokenizer_config = read_json(root, TOKENIZER_CONFIG_FILE, limit=MAX_JSON_BYTES)
        if read_tokenizer:
            tokenizer = read_json(root, TOKENIZER_FILE, limit=MAX_TOKENIZER_BYTES)
            if not isinstance(tokenizer.get("model"), dict):
                raise ModelError(f"model bundle {root}: {TOKENIZER_FILE} has no tokenizer model")
        else:
            _check_size(root, TOKENIZER_FILE, MAX_TOKENIZER_BYTES)

        embed_dim = config.get("embed_dim")
        if embed_dim is not None and not size_ok(embed_dim, 1, MAX_EMBED_DIM):
            raise ModelError(
                f"model bundle {root}: embed_dim {embed_dim!r} in {CONFIG_FILE} is not a size from 1 to {MAX_EMBED_DIM}"
            )
        text_cfg = config.get("text_cfg") or {}
        if not isinstance(text_cfg, dict):
            raise ModelError(f"model bundle {root}: text_cfg in {CONFIG_FILE} must be an object")
        context_length = text_cfg.get("context_length", DEFAULT_CONTEXT_LENGTH)
        if not size_ok(context_length, 2, MAX_CONTEXT_LENGTH):
            raise ModelError(
                f"model bundle {root}: context_length {context_length!r} in {CONFIG_FILE} is not valid "
                f"(a whole number of tokens from 2 to {MAX_CONTEXT_LENGTH})"
            )
        check_tokenizer_kwargs(root, CONFIG_FILE, text_cfg.get("tokenizer_kwargs"))

        visual = _tower(root, VISUAL_MODEL, "image")
        textual = _tower(root, TEXTUAL_MODEL, "text")
        _check_visual(root, visual, preprocess)
        _check_textual(root, textual, context_length)

        dims = {
            "config.json embed_dim": embed_dim if isinstance(embed_dim, int) else None,
            "visual output": visual.output_dim,
            "textual output": textual.output_dim,
        }
        for label, value in dims.items():
            if value is not None and not size_ok(value, 1, MAX_EMBED_DIM):
                raise ModelError(
                    f"model bundle {root}: the {label} size {value} is not a size from 1 to {MAX_EMBED_DIM}"
                )
        known = {k: v for k, v in dims.items() if v is not None}
        if len(set(known.values())) > 1:
            listed = ", ".join(f"{k} {v}" for k, v in known.items())
            raise ModelError(
                f"model bundle {root}: embedding sizes differ between the towers ({listed}); "
                "image and text vectors would not be comparable"
            )
        if not known:
            raise ModelError(f"model bundle {root}: cannot tell the embedding size (no embed_dim in {CONFIG_FILE})")
        dim = next(iter(known.values()))
        if textual.static_length is not None:
            context_length = textual.static_length

        bundle = cls(
            path=root,
            name=root.name,
            embed_dim=dim,
            context_length=context_length,
            preprocess=preprocess,
            visual=visual,
            textual=textual,
            tokenizer_file=root / TOKENIZER_FILE,
            tokenizer_config=tokenizer_config,
            config=config,
        )
        logger.debug(
            "loaded bundle %s: dim %d, input %s, text %s %s",
            bundle.name, dim, visual.input_shape, textual.input_dtype, textual.input_shape,
        )
        return bundle


def _check_size(root: Path, rel: str, limit: int) -> None:
    try:
        size = os.path.getsize(root / rel)
    except OSError as exc:
        raise ModelError(f"model bundle {root}: cannot read {rel}: {exc}") from exc
    if size > limit:
        shown = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
        raise ModelError(f"model bundle {root}: {rel} is larger than {shown}; it cannot be a valid file")


def _tower(root: Path, rel: str, preferred_input: str) -> TowerSpec:
    path = root / rel
    try:
        signature = read_signature(path)
    except OnnxFormatError as exc:
        raise ModelError(f"model bundle {root}: {rel} is not a valid ONNX model ({exc})") from exc
    except OSError as exc:
        raise ModelError(f"model bundle {root}: cannot read {rel}: {exc}") from exc
    check_external_data(root, rel, signature.external_data)
    if not signature.inputs:
        raise ModelError(f"model bundle {root}: {rel} declares no inputs")
    if not signature.outputs:
        raise ModelError(f"model bundle {root}: {rel} declares no outputs")
    named = [spec for spec in signature.inputs if spec.name == preferred_input]
    if len(signature.inputs) > 1 and not named:
        names = ", ".join(spec.name for spec in signature.inputs)
        raise ModelError(
            f"model bundle {root}: {rel} takes several inputs ({names}); expected one named {preferred_input!r}"
        )
    spec: TensorSpec = named[0] if named else signature.inputs[0]
    if spec.dtype is None or spec.shape is None:
        raise ModelError(f"model bundle {root}: {rel} input {spec.name!r} has no tensor type or shape")
    out = signature.outputs[0]
    if out.shape is not None and len(out.shape) != 2:
        raise ModelError(
            f"model bundle {root}: {rel} output {out.name!r} has shape {list(out.shape)}; expected [batch, dim]"
        )
    out_dim = out.shape[1] if out.shape is not None and isinstance(out.shape[1], int) else None
    batch = spec.shape[0] if spec.shape else None
    if isinstance(batch, int) and batch > MAX_STATIC_BATCH:
        raise ModelError(
            f"model bundle {root}: {rel} input {spec.name!r} has a fixed batch of {batch}; "
            f"at most {MAX_STATIC_BATCH} is supported"
        )
    return TowerSpec(
        model_path=path,
        input_name=spec.name,
        input_dtype=spec.dtype,
        input_shape=spec.shape,
        output_name=out.name,
        output_dim=out_dim,
    )


def _check_visual(root: Path, tower: TowerSpec, preprocess: PreprocessConfig) -> None:
    shape = tower.input_shape
    where = f"model bundle {root}: {VISUAL_MODEL} input {tower.input_name!r}"
    if tower.input_dtype.kind != "f":
        raise ModelError(f"{where} has type {tower.input_dtype}; expected a float tensor")
    if len(shape) != 4:
        raise ModelError(f"{where} has shape {list(shape)}; expected [batch, 3, height, width]")
    if isinstance(shape[1], int) and shape[1] != 3:
        raise ModelError(f"{where} takes {shape[1]} channels; expected 3")
    for axis, expected, label in ((2, preprocess.size[0], "height"), (3, preprocess.size[1], "width")):
        if isinstance(shape[axis], int) and shape[axis] != expected:
            raise ModelError(
                f"{where} expects {label} {shape[axis]} but {PREPROCESS_FILE} says {expected}"
            )
    if tower.static_batch is not None and tower.static_batch != 1:
        logger.info("%s has a fixed batch of %d", where, tower.static_batch)


def _check_textual(root: Path, tower: TowerSpec, context_length: int) -> None:
    shape = tower.input_shape
    where = f"model bundle {root}: {TEXTUAL_MODEL} input {tower.input_name!r}"
    if tower.input_dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        raise ModelError(f"{where} has type {tower.input_dtype}; expected int32 or int64 token ids")
    if len(shape) != 2:
        raise ModelError(f"{where} has shape {list(shape)}; expected [batch, length]")
    length = tower.static_length
    if length is not None and length != context_length:
        raise ModelError(
            f"{where} has a fixed length {length} but {CONFIG_FILE} says context_length {context_length}"
        )
