"""Trace the two towers of an open_clip CLIP model to ONNX graphs.

``export_visual`` writes the image tower (``image`` -> ``embeddings``) and
``export_textual`` the text tower (``text`` token ids -> ``embeddings``), each
with ``torch.onnx.export(..., dynamo=True)``; a tower whose weights pass
``EXTERNAL_DATA_BYTES`` keeps them in an external data file.  Two flavours:

- **ours** (``immich=False``): dynamic batch on both towers and, when the
  text tower allows it (``text_is_trimmable``: causal mask, end-token
  pooling), a dynamic text length, so the encoder can run a batch only as
  long as its longest text.  The legacy TorchScript exporter bakes the
  length 77 into the attention reshapes, hence the dynamo exporter, the
  multi-head-attention fast path disabled (``export_context``) and a text
  forward that slices ``positional_embedding[:L]`` and ``attn_mask[:L, :L]``
  (open_clip's own ``encode_text`` adds all 77 positions).
- **immich** (``immich=True``): what Immich publishes - batch 1, fixed
  length, outputs normalised inside the graph, int32 token input.

torch and open_clip are imported only when a tower is exported.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from indexer.errors import ModelError
from indexer.models.bundle import PreprocessConfig

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

# Above this many bytes of weights a tower's weights go to an external data file
# (protobuf cannot hold more than 2 GiB).
EXTERNAL_DATA_BYTES = 1_500_000_000


def export_visual(model: Any, path: Path, preprocess: PreprocessConfig, immich: bool, opset: int) -> None:
    import torch

    module = _visual_forward(model, normalize=immich).eval()
    h, w = preprocess.size
    batch = 1 if immich else 2
    example = torch.randn(batch, 3, h, w)
    dynamic = None if immich else {"image": {0: torch.export.Dim("batch", min=1, max=4096)}}
    _onnx_export(module, example, path, "image", dynamic, opset)


def export_textual(model: Any, path: Path, context_length: int, immich: bool, trimmable: bool, opset: int) -> None:
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


def _example_tokens(batch: int, length: int, dtype: torch.dtype) -> torch.Tensor:
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


def text_is_trimmable(model: Any) -> bool:
    """Trimming is exact only with a causal mask and end-token pooling."""
    return (
        hasattr(model, "token_embedding")
        and getattr(model, "attn_mask", None) is not None
        and getattr(model, "text_pool_type", None) in ("argmax", "eos")
    )


@contextlib.contextmanager
def export_context() -> Iterator[None]:
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
