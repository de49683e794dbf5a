"""Session-scoped pytest fixtures for model bundles.

Import them from tests/conftest.py with ``from tests.support.fixtures import *``.
Each bundle is exported once per test session into a shared temporary
directory; tests must treat bundle directories as read-only (copy one first
with ``shutil.copytree`` to break it on purpose).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bundles import tiny_bundle, vit_b32_bundle

__all__ = [
    "model_bundles_dir",
    "tiny_bundle_path",
    "tiny_immich_bundle_path",
    "tiny_encoder",
    "vit_b32_bundle_path",
    "vit_b32_immich_bundle_path",
]


@pytest.fixture(scope="session")
def model_bundles_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's exported bundles live."""
    return tmp_path_factory.mktemp("model-bundles")


@pytest.fixture(scope="session")
def tiny_bundle_path(model_bundles_dir: Path) -> Path:
    """Tiny CLIP (embed dim 64) in our format: dynamic batch and text length."""
    return tiny_bundle(model_bundles_dir)


@pytest.fixture(scope="session")
def tiny_immich_bundle_path(model_bundles_dir: Path) -> Path:
    """The same tiny weights written as Immich does: batch 1, int32 text, normalised."""
    return tiny_bundle(model_bundles_dir, immich_style=True, name="tiny-clip__immich")


@pytest.fixture(scope="session")
def tiny_encoder(tiny_bundle_path: Path):
    """A shared CPU Encoder for the tiny bundle (do not close it in a test)."""
    from indexer.models.encoder import Encoder

    encoder = Encoder(tiny_bundle_path, providers=["cpu"], threads=1)
    yield encoder
    encoder.close()


@pytest.fixture(scope="session")
def vit_b32_bundle_path(model_bundles_dir: Path) -> Path:
    """open_clip ViT-B-32 with random weights (seed 0), our format (~20 s to export)."""
    return vit_b32_bundle(model_bundles_dir)


@pytest.fixture(scope="session")
def vit_b32_immich_bundle_path(model_bundles_dir: Path) -> Path:
    """The same ViT-B-32 weights in Immich's static format."""
    return vit_b32_bundle(model_bundles_dir, immich_style=True, name="ViT-B-32__immich")
