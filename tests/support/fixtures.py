"""Session-scoped pytest fixtures: model bundles and the template library.

Import them from tests/conftest.py with ``from tests.support.fixtures import *``.
``toyclip_bundle`` is the committed toy CLIP (nothing to export); the exported
bundles (``tiny_bundle_path`` and the ViT-B-32 ones) are for the tests of the
exporter, the quantizer and parity, and are exported once per session, on first
use, into a shared temporary directory.  Tests must treat bundle directories as
read-only (copy one first with ``shutil.copytree`` to change or break it).

``template_library`` is one library indexed once per session with the toy CLIP;
tests copy it (``tests.support.template.copy_template``) instead of indexing.
``shapes_library`` holds photos of shapes (tests/support/shapes.py), for the
sketch tests; tests that write to it copy it first (``ShapesLibrary.copy``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bundles import TOYCLIP, tiny_bundle, vit_b32_bundle
from tests.support.shapes import ShapesLibrary, build_shapes_library
from tests.support.template import TemplateLibrary, build_template

__all__ = [
    "toyclip_bundle",
    "toyclip_encoder",
    "template_library",
    "shapes_library",
    "model_bundles_dir",
    "tiny_bundle_path",
    "tiny_immich_bundle_path",
    "tiny_encoder",
    "vit_b32_bundle_path",
    "vit_b32_immich_bundle_path",
]


@pytest.fixture(scope="session")
def toyclip_bundle() -> Path:
    """The committed toy CLIP (tests/fixtures/toyclip; name ``toyclip``, embedding size 64). Read-only."""
    return TOYCLIP


@pytest.fixture(scope="session")
def toyclip_encoder(toyclip_bundle: Path):
    """A shared CPU Encoder for the toy CLIP (do not close it in a test)."""
    from indexer.models.encoder import Encoder

    encoder = Encoder(toyclip_bundle, providers=["cpu"], threads=1)
    yield encoder
    encoder.close()


@pytest.fixture(scope="session")
def template_library(tmp_path_factory: pytest.TempPathFactory, toyclip_bundle: Path) -> TemplateLibrary:
    """Generated photos indexed once per session with the toy CLIP. Do not change it: copy it."""
    root = tmp_path_factory.mktemp("template")
    with pytest.MonkeyPatch.context() as mp:  # session fixtures run before the per-test isolation
        for var, sub in (("PHOTOSEEK_MODELS", "models"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config"),
                         ("XDG_CACHE_HOME", "cache")):
            mp.setenv(var, str(root / "home" / sub))
        mp.delenv("PHOTOSEEK_MODEL", raising=False)
        return build_template(root / "t", toyclip_bundle)


@pytest.fixture(scope="session")
def shapes_library(tmp_path_factory: pytest.TempPathFactory, toyclip_bundle: Path) -> ShapesLibrary:
    """Two photos of each of six shapes, indexed once per session with the toy CLIP. Read-only."""
    return build_shapes_library(tmp_path_factory.mktemp("shapes"), toyclip_bundle)


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
