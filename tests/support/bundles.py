"""Model bundles for tests (no network, no pretrained weights).

Most tests use the committed toy CLIP, ``TOYCLIP`` (tests/fixtures/toyclip: a
trained model in our bundle format, embedding size 64): loading it needs
neither torch nor an export.  ``toyclip_variant`` writes a second model of the
same architecture with other weights (for model switches), also without torch.

Only the tests of the exporter, quantizer and parity checks export their own:
``tiny_bundle`` exports a deliberately small open_clip CLIP (a few seconds on
two cores); ``vit_b32_bundle`` the real ViT-B-32 architecture with random
weights.  Both use a fixed seed, so the same call gives the same vectors.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

TOYCLIP = Path(__file__).resolve().parents[1] / "fixtures" / "toyclip"
TOYCLIP_NAME = "toyclip"  # a bundle's name is its directory's name
TOYCLIP_DIM = 64

TINY_SEED = 0
TINY_CONFIG: dict[str, Any] = {
    "embed_dim": 64,
    "vision_cfg": {"image_size": 224, "layers": 2, "width": 64, "patch_size": 32, "head_width": 32},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
}
TINY_NAME = "tiny-clip__random"
VIT_B32_NAME = "ViT-B-32__random"


def tiny_model(seed: int = TINY_SEED) -> Any:
    """The tiny open_clip CLIP in eval mode (torch + open_clip required)."""
    import open_clip
    import torch

    torch.manual_seed(seed)
    model = open_clip.CLIP(**TINY_CONFIG)
    return model.eval()


def tiny_bundle(directory: Path, *, immich_style: bool = False, seed: int = TINY_SEED,
                name: str = TINY_NAME) -> Path:
    """Export the tiny model to ``directory / name`` (Immich-style if asked) and return it."""
    from indexer.models.export import export_model

    out = Path(directory) / name
    return export_model(
        tiny_model(seed),
        out,
        name=name,
        source=f"tests: tiny custom open_clip config, random weights (seed {seed})",
        model_cfg=TINY_CONFIG,
        immich_style=immich_style,
    )


def vit_b32_model(seed: int = 0) -> Any:
    """open_clip's ViT-B-32 with random weights, eval mode."""
    import open_clip
    import torch

    torch.manual_seed(seed)
    return open_clip.create_model("ViT-B-32", pretrained=None, device="cpu").eval()


def vit_b32_bundle(directory: Path, *, immich_style: bool = False, seed: int = 0,
                   name: str = VIT_B32_NAME) -> Path:
    """Export random-weight ViT-B-32 to ``directory / name`` and return it."""
    from indexer.models.export import export_pretrained

    return export_pretrained("ViT-B-32", None, Path(directory) / name, name=name, seed=seed,
                             immich_style=immich_style)


def toyclip_variant(directory: Path, *, name: str = "toyclip-variant", seed: int = 1, spread: float = 0.3) -> Path:
    """Another model like ``TOYCLIP`` (same architecture, tokenizer and embedding size), with other weights.

    Every weight matrix of both towers is multiplied elementwise by ``1 + spread * N(0, 1)``
    (seeded; biases and normalisation parameters are kept), so its vectors differ from the
    fixture's while staying comparable between its own towers.  Written to ``directory / name``
    with the ``onnx`` package (no torch); a bundle's name is its directory's name.
    """
    import onnx
    from onnx import numpy_helper

    out = Path(directory) / name
    shutil.copytree(TOYCLIP, out)
    rng = np.random.default_rng(seed)
    for tower in ("visual", "textual"):
        path = out / tower / "model.onnx"
        model = onnx.load(str(path))
        for init in model.graph.initializer:
            weights = numpy_helper.to_array(init)
            if weights.dtype != np.float32 or weights.ndim < 2:
                continue
            noise = 1.0 + spread * rng.standard_normal(weights.shape).astype(np.float32)
            init.CopyFrom(numpy_helper.from_array((weights * noise).astype(np.float32), init.name))
        onnx.save(model, str(path))
    return out
