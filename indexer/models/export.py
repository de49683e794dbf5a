"""Export an open_clip CLIP model to a bundle (needs the ``[export]`` extra).

``export_pretrained`` creates a model with open_clip (pretrained or random
weights) and ``export_model`` writes any open_clip CLIP model as a bundle
directory: both towers as ONNX graphs (:mod:`indexer.models.export_towers`),
``config.json``, ``preprocess_cfg.json``, ``tokenizer.json`` and its config
(:mod:`indexer.models.export_tokenizer`), a ``photoseek_export.json`` with
what was exported and how, and a README.  Everything is written into a
temporary directory beside the target, checked to load as a bundle, and
only then renamed into place.

Two flavours:

- **ours** (default): dynamic batch on both towers and a dynamic text length,
  so the encoder can run a batch only as long as its longest text.
- **immich** (``immich_style=True``): exactly what Immich publishes - batch 1,
  fixed length, opset 19, outputs normalised inside the graph, int32 token
  input, Hugging Face-style tokenizer files.  Used to prove compatibility.

torch and open_clip are imported only when an export runs.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from indexer.errors import ModelError
from indexer.models.bundle import (
    CONFIG_FILE,
    PREPROCESS_FILE,
    TEXTUAL_MODEL,
    TOKENIZER_CONFIG_FILE,
    TOKENIZER_FILE,
    VISUAL_MODEL,
    ModelBundle,
    PreprocessConfig,
)
from indexer.models.export_tokenizer import CLIP_VOCAB_SIZE, build_tokenizer
from indexer.models.export_towers import export_context, export_textual, export_visual, text_is_trimmable

__all__ = [
    "DEFAULT_OPSET",
    "IMMICH_OPSET",
    "METADATA_FILE",
    "README_FILE",
    "build_tokenizer",  # re-exported: it lives in export_tokenizer
    "export_model",
    "export_pretrained",
]

logger = logging.getLogger(__name__)

METADATA_FILE = "photoseek_export.json"
README_FILE = "README.md"
IMMICH_OPSET = 19
DEFAULT_OPSET = 19


# --- public API --------------------------------------------------------------------


def export_pretrained(
    arch: str,
    pretrained: str | None,
    out_dir: Path,
    *,
    name: str | None = None,
    seed: int = 0,
    immich_style: bool = False,
) -> Path:
    """Create ``arch`` with open_clip (``pretrained=None``: random weights from
    ``seed``) and export it to the bundle directory ``out_dir``."""
    _require_export_extra()
    import open_clip
    import torch

    model_cfg = open_clip.get_model_config(arch)
    if model_cfg is None:
        raise ModelError(f"open_clip has no architecture named {arch!r}")
    torch.manual_seed(seed)
    try:
        model = open_clip.create_model(arch, pretrained=pretrained or None, device="cpu")
    except Exception as exc:  # unknown tag, no network, corrupt checkpoint, ...
        raise ModelError(f"cannot create {arch} with pretrained weights {pretrained!r}: {exc}") from exc
    if pretrained:
        source = f"open_clip {arch}, pretrained {pretrained!r}"
    else:
        source = f"open_clip {arch}, random weights (seed {seed})"
    return export_model(
        model,
        Path(out_dir),
        name=name or f"{arch}__{pretrained or 'random'}",
        source=source,
        model_cfg=model_cfg,
        immich_style=immich_style,
    )


def export_model(
    model: Any,
    out_dir: Path,
    *,
    name: str,
    source: str,
    preprocess: PreprocessConfig | None = None,
    model_cfg: dict[str, Any] | None = None,
    immich_style: bool = False,
    opset: int = DEFAULT_OPSET,
) -> Path:
    """Write ``model`` (any open_clip CLIP, e.g. a tiny custom config) as a bundle.

    ``model_cfg`` is the open_clip config written to config.json (derived from
    the model when omitted).  Writes into a temporary directory beside
    ``out_dir`` and renames it into place, so a failed export leaves nothing
    half-written.  Returns ``out_dir``.
    """
    _require_export_extra()
    out_dir = Path(out_dir)
    vocab_size = getattr(model, "vocab_size", None)
    if not hasattr(model, "token_embedding") or vocab_size != CLIP_VOCAB_SIZE:
        raise ModelError(
            f"{type(model).__name__} does not use the CLIP BPE tokenizer (vocabulary {vocab_size}); "
            "only open_clip CLIP models with the standard text tower can be exported"
        )
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ModelError(f"export target {out_dir} already exists and is not empty")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    if preprocess is None:
        preprocess = _model_preprocess(model)
    cfg = dict(model_cfg) if model_cfg is not None else _derive_config(model)
    context_length = int(getattr(model, "context_length", None) or cfg.get("text_cfg", {}).get("context_length", 77))
    cfg.setdefault("text_cfg", {})["context_length"] = context_length
    embed_dim = _embed_dim(model, preprocess)
    cfg["embed_dim"] = embed_dim
    opset = IMMICH_OPSET if immich_style else opset

    model = model.eval().float().to("cpu")
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (staging / "visual").mkdir()
        (staging / "textual").mkdir()
        trimmable = text_is_trimmable(model)
        with export_context():
            export_visual(model, staging / VISUAL_MODEL, preprocess, immich_style, opset)
            export_textual(model, staging / TEXTUAL_MODEL, context_length, immich_style, trimmable, opset)
        _write_json(staging / CONFIG_FILE, cfg)
        _write_json(staging / PREPROCESS_FILE, preprocess.to_dict())
        tokenizer, tokenizer_config = build_tokenizer(hf_style=immich_style, context_length=context_length)
        tokenizer.save(str(staging / TOKENIZER_FILE))
        _write_json(staging / TOKENIZER_CONFIG_FILE, tokenizer_config)
        metadata = {
            "name": name,
            "source": source,
            "format": "immich" if immich_style else "photoseek",
            "embed_dim": embed_dim,
            "context_length": context_length,
            "dynamic_batch": not immich_style,
            "dynamic_text_length": (not immich_style) and trimmable,
            "normalized_in_graph": immich_style,
            "text_input_dtype": "int32" if immich_style else "int64",
            "opset": opset,
            "tokenizer": "built from open_clip bpe_simple_vocab_16e6.txt.gz",
            "exported_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "versions": _versions(),
        }
        _write_json(staging / METADATA_FILE, metadata)
        (staging / README_FILE).write_text(_readme(metadata), encoding="utf-8")
        ModelBundle.load(staging)  # what we wrote must load
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("exported %s (%s) to %s", name, source, out_dir)
    return out_dir


def _require_export_extra() -> None:
    missing = []
    for module_name in ("torch", "open_clip", "onnxscript"):
        try:
            __import__(module_name)
        except ImportError:
            missing.append(module_name)
    if missing:
        raise ModelError(
            f"exporting a model needs {', '.join(missing)}: install the export extra "
            "(pip install 'photoseek[export]')"
        )


# --- metadata ----------------------------------------------------------------------


def _model_preprocess(model: Any) -> PreprocessConfig:
    import open_clip

    cfg = dict(open_clip.get_model_preprocess_cfg(model))
    return PreprocessConfig.from_dict(cfg)


def _embed_dim(model: Any, preprocess: PreprocessConfig) -> int:
    import torch

    h, w = preprocess.size
    with torch.no_grad():
        out = model.encode_image(torch.zeros(1, 3, h, w))
    return int(out.shape[-1])


def _derive_config(model: Any) -> dict[str, Any]:
    """A config.json for a model built without a named config (best effort)."""
    text_cfg: dict[str, Any] = {}
    if hasattr(model, "context_length"):
        text_cfg["context_length"] = int(model.context_length)
    if hasattr(model, "vocab_size"):
        text_cfg["vocab_size"] = int(model.vocab_size)
    transformer = getattr(model, "transformer", None)
    if transformer is not None:
        text_cfg["width"] = int(getattr(transformer, "width", 0)) or None
        text_cfg["layers"] = len(getattr(transformer, "resblocks", [])) or None
    vision_cfg: dict[str, Any] = {}
    visual = getattr(model, "visual", None)
    if visual is not None:
        for key in ("image_size", "patch_size"):
            value = getattr(visual, key, None)
            if value is not None:
                vision_cfg[key] = list(value) if isinstance(value, tuple) else value
        vt = getattr(visual, "transformer", None)
        if vt is not None:
            vision_cfg["width"] = int(getattr(vt, "width", 0)) or None
            vision_cfg["layers"] = len(getattr(vt, "resblocks", [])) or None
    return {
        "vision_cfg": {k: v for k, v in vision_cfg.items() if v is not None},
        "text_cfg": {k: v for k, v in text_cfg.items() if v is not None},
    }


def _versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for module_name in ("torch", "open_clip", "onnxscript"):
        try:
            module = __import__(module_name)
            versions[module_name] = str(getattr(module, "__version__", "unknown"))
        except ImportError:
            continue
    return versions


def _readme(meta: dict[str, Any]) -> str:
    return (
        f"# {meta['name']}\n\n"
        f"CLIP model bundle exported by Photoseek from {meta['source']}.\n\n"
        f"- format: {meta['format']} (Immich layout: visual/, textual/, config.json)\n"
        f"- embedding size: {meta['embed_dim']}; context length: {meta['context_length']}\n"
        f"- dynamic batch: {meta['dynamic_batch']}; dynamic text length: {meta['dynamic_text_length']}\n"
        f"- outputs normalised in the graph: {meta['normalized_in_graph']}; "
        f"text input: {meta['text_input_dtype']}; ONNX opset {meta['opset']}\n"
        f"- tokenizer: {meta['tokenizer']}\n"
        f"- exported {meta['exported_at']} with {json.dumps(meta['versions'])}\n\n"
        "The weights keep the licence of their source model.\n"
    )


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


