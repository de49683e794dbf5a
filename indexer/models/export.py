"""Export an open_clip CLIP model to a bundle (needs the ``[export]`` extra).

Two flavours:

- **ours** (default): dynamic batch on both towers and a dynamic text length,
  so the encoder can run a batch only as long as its longest text.  The
  legacy TorchScript exporter bakes the length 77 into the attention
  reshapes, so this uses ``torch.onnx.export(..., dynamo=True)`` with the
  multi-head-attention fast path disabled and a text forward that slices
  ``positional_embedding[:L]`` and ``attn_mask[:L, :L]`` (open_clip's own
  ``encode_text`` adds all 77 positions).
- **immich** (``immich_style=True``): exactly what Immich publishes - batch 1,
  fixed length, opset 19, outputs normalised inside the graph, int32 token
  input, Hugging Face-style tokenizer files.  Used to prove compatibility.

``tokenizer.json`` is built offline from open_clip's own BPE vocabulary file
as a ``tokenizers`` BPE model that reproduces SimpleTokenizer (byte-level
alphabet, ``</w>`` end-of-word suffix, lower-casing, the same
pre-tokenisation regex).  torch and open_clip are imported only when an
export runs.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gzip
import io
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

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

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

METADATA_FILE = "photoseek_export.json"
README_FILE = "README.md"
IMMICH_OPSET = 19
DEFAULT_OPSET = 19
# Above this many bytes of weights a tower's weights go to an external data file
# (protobuf cannot hold more than 2 GiB).
EXTERNAL_DATA_BYTES = 1_500_000_000
# open_clip's SimpleTokenizer pre-tokenisation (special tokens are handled as
# added tokens by `tokenizers`, before this runs).
CLIP_SPLIT_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
CLIP_VOCAB_SIZE = 49408
OPEN_CLIP_SPECIAL = ("<start_of_text>", "<end_of_text>")
HF_SPECIAL = ("<|startoftext|>", "<|endoftext|>")


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
    source = f"open_clip {arch}, pretrained {pretrained!r}" if pretrained else f"open_clip {arch}, random weights (seed {seed})"
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
        trimmable = _text_is_trimmable(model)
        with _export_context():
            _export_visual(model, staging / VISUAL_MODEL, preprocess, immich_style, opset)
            _export_textual(model, staging / TEXTUAL_MODEL, context_length, immich_style, trimmable, opset)
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


def build_tokenizer(*, hf_style: bool = False, context_length: int = 77) -> tuple[Any, dict[str, Any]]:
    """A ``tokenizers.Tokenizer`` equal to open_clip's SimpleTokenizer, and its
    tokenizer_config mapping.

    ``hf_style`` spells the special tokens as Hugging Face's CLIP tokenizer
    does (``<|startoftext|>``, ``<|endoftext|>``, pad = end token), like the
    files Immich ships; ids are the same either way.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    byte_alphabet = list(_bytes_to_unicode().values())
    merges = _open_clip_merges()
    vocab_list = byte_alphabet + [c + "</w>" for c in byte_alphabet] + ["".join(m) for m in merges]
    start, end = HF_SPECIAL if hf_style else OPEN_CLIP_SPECIAL
    vocab_list += [start, end]
    vocab = {token: index for index, token in enumerate(vocab_list)}
    if len(vocab) != len(vocab_list):
        raise ModelError("open_clip's BPE vocabulary has duplicate entries")

    bpe = models.BPE(
        vocab=vocab,
        merges=merges,
        continuing_subword_prefix="",
        end_of_word_suffix="</w>",
        unk_token=end if hf_style else None,
        fuse_unk=False,
    )
    tokenizer = Tokenizer(bpe)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT_REGEX), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.RobertaProcessing(
        (end, vocab[end]), (start, vocab[start]), trim_offsets=False, add_prefix_space=False
    )
    tokenizer.add_special_tokens([AddedToken(start, special=True, normalized=False),
                                  AddedToken(end, special=True, normalized=False)])
    config: dict[str, Any] = {
        "bos_token": start,
        "eos_token": end,
        "model_max_length": context_length,
        "do_lower_case": True,
        "source": "open_clip bpe_simple_vocab_16e6.txt.gz (SimpleTokenizer, clean='lower')",
    }
    if hf_style:
        config.update({"pad_token": end, "unk_token": end, "tokenizer_class": "CLIPTokenizer"})
    return tokenizer, config


# --- the graphs --------------------------------------------------------------------


def _export_visual(model: Any, path: Path, preprocess: PreprocessConfig, immich: bool, opset: int) -> None:
    import torch

    module = _visual_forward(model, normalize=immich).eval()
    h, w = preprocess.size
    batch = 1 if immich else 2
    example = torch.randn(batch, 3, h, w)
    dynamic = None if immich else {"image": {0: torch.export.Dim("batch", min=1, max=4096)}}
    _onnx_export(module, example, path, "image", dynamic, opset)


def _export_textual(model: Any, path: Path, context_length: int, immich: bool, trimmable: bool, opset: int) -> None:
    import torch

    module = _text_forward(model, normalize=immich, int32_input=immich).eval()
    dtype = torch.int32 if immich else torch.int64
    if immich:
        example = _example_tokens(1, context_length, dtype)
        dynamic = None
    elif trimmable:
        example = _example_tokens(2, max(3, min(10, context_length)), dtype)
        dynamic = {
            "text": {
                0: torch.export.Dim("batch", min=1, max=4096),
                1: torch.export.Dim("length", min=2, max=context_length),
            }
        }
    else:
        example = _example_tokens(2, context_length, dtype)
        dynamic = {"text": {0: torch.export.Dim("batch", min=1, max=4096)}}
    _onnx_export(module, example, path, "text", dynamic, opset)


def _example_tokens(batch: int, length: int, dtype: "torch.dtype") -> "torch.Tensor":
    import torch

    ids = torch.randint(1, 49000, (batch, length), generator=torch.Generator().manual_seed(0))
    ids[:, 0] = 49406
    ids[:, -1] = 49407
    return ids.to(dtype)


def _onnx_export(module: Any, example: Any, path: Path, input_name: str, dynamic: Any, opset: int) -> None:
    import torch

    weight_bytes = sum(p.numel() * p.element_size() for p in module.parameters())
    external = weight_bytes > EXTERNAL_DATA_BYTES
    try:
        with torch.no_grad():
            program = torch.onnx.export(
                module,
                (example,),
                dynamo=True,
                input_names=[input_name],
                output_names=["embeddings"],
                dynamic_shapes=dynamic,
                opset_version=opset,
                verbose=False,
            )
        if program is None:
            raise ModelError("torch.onnx.export returned no program")
        program.save(str(path), external_data=external)
    except ModelError:
        raise
    except Exception as exc:
        raise ModelError(f"ONNX export of {path.parent.name} tower failed: {exc}") from exc


# The nn.Module subclasses are defined inside functions so that importing this
# module does not import torch.
def _visual_cls() -> type:
    import torch
    import torch.nn.functional as F

    class VisualForward(torch.nn.Module):
        def __init__(self, model: Any, normalize: bool):
            super().__init__()
            self.model = model
            self.normalize = normalize

        def forward(self, image: torch.Tensor) -> torch.Tensor:
            features = self.model.encode_image(image)
            return F.normalize(features, dim=-1) if self.normalize else features

    return VisualForward


def _text_cls() -> type:
    import torch
    import torch.nn.functional as F

    class TextForward(torch.nn.Module):
        """open_clip's encode_text, cut to the input's length L."""

        def __init__(self, model: Any, normalize: bool, int32_input: bool):
            super().__init__()
            self.model = model
            self.normalize = normalize
            self.int32_input = int32_input
            self.sliceable = hasattr(model, "token_embedding") and hasattr(model, "positional_embedding")

        def forward(self, text: torch.Tensor) -> torch.Tensor:
            if self.int32_input:
                text = text.to(torch.int64)
            m = self.model
            if not self.sliceable:
                features = m.encode_text(text)
            else:
                from open_clip.transformer import text_global_pool

                length = text.shape[1]
                cast_dtype = m.transformer.get_cast_dtype()
                x = m.token_embedding(text).to(cast_dtype)
                x = x + m.positional_embedding[:length].to(cast_dtype)
                mask = m.attn_mask[:length, :length] if m.attn_mask is not None else None
                x = m.transformer(x, attn_mask=mask)
                x = m.ln_final(x)
                x = text_global_pool(x, text, m.text_pool_type, eos_token_id=getattr(m, "text_eos_id", None))
                if m.text_projection is not None:
                    if isinstance(m.text_projection, torch.nn.Linear):
                        x = m.text_projection(x)
                    else:
                        x = x @ m.text_projection
                features = x
            return F.normalize(features, dim=-1) if self.normalize else features

    return TextForward


def _visual_forward(model: Any, *, normalize: bool) -> Any:
    return _visual_cls()(model, normalize)


def _text_forward(model: Any, *, normalize: bool, int32_input: bool) -> Any:
    return _text_cls()(model, normalize, int32_input)


def _text_is_trimmable(model: Any) -> bool:
    """Trimming is exact only with a causal mask and end-token pooling."""
    return (
        hasattr(model, "token_embedding")
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) in ("argmax", "eos")
    )


@contextlib.contextmanager
def _export_context() -> Iterator[None]:
    """Disable the MHA fast path and route the exporter's console chatter to the log."""
    import torch

    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    chatter = io.StringIO()
    try:
        with contextlib.redirect_stdout(chatter):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)
        if chatter.getvalue().strip():
            logger.debug("torch.onnx: %s", chatter.getvalue().strip())


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


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte -> printable character table (same as open_clip's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _open_clip_merges() -> list[tuple[str, str]]:
    """The merges SimpleTokenizer uses: lines 1 .. 48894 of open_clip's vocab file."""
    try:
        from importlib import resources

        data = (resources.files("open_clip") / "bpe_simple_vocab_16e6.txt.gz").read_bytes()
    except (ImportError, FileNotFoundError, ModuleNotFoundError) as exc:
        raise ModelError("open_clip's BPE vocabulary is missing; install the [export] extra") from exc
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    lines = lines[1 : 49152 - 256 - 2 + 1]
    merges = []
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            raise ModelError(f"unexpected line in open_clip's BPE vocabulary: {line!r}")
        merges.append((parts[0], parts[1]))
    return merges
