"""Shared fixtures: test-exported model bundles and an isolated Photoseek environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.bundles import TOYCLIP, TOYCLIP_NAME  # noqa: E402
from tests.support.fixtures import *  # noqa: E402,F401,F403 - session-exported model bundles


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path_factory, monkeypatch):
    """No test touches the user's data dir, models or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("PHOTOSEEK_MODELS", str(home / "models"))
    monkeypatch.setenv("PHOTOSEEK_LIBRARY", str(home / "library"))
    monkeypatch.delenv("PHOTOSEEK_MODEL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def no_face_finding(request, monkeypatch):
    """Photos of tests not about people hold no faces: the face detector is not run on them (it would cost a
    model load and tens of milliseconds a photo in every test that indexes).  ``@pytest.mark.faces`` runs it."""
    if request.node.get_closest_marker("faces") is None:
        from indexer.people.faces import FaceFinder

        monkeypatch.setattr(FaceFinder, "find", lambda self, image, original=None: [])


@pytest.fixture(scope="session")
def tiny_bundle() -> Path:
    """A small model bundle for tests that need *a* model: the committed toy CLIP (no torch export).

    Read-only: copy it (``shutil.copytree``) before changing anything in it.
    """
    return TOYCLIP


@pytest.fixture(scope="session")
def tiny_model_name() -> str:
    return TOYCLIP_NAME
