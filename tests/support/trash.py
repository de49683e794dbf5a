"""A system trash inside a test's temporary directory, so no test ever trashes into the user's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def temporary_trash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``$HOME``, ``$XDG_DATA_HOME`` and send2trash's home trash under ``tmp_path``; returns the trash."""
    home = tmp_path / "home"
    (home / "data").mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    import send2trash.plat_other as plat  # its home trash is fixed when it is first imported

    monkeypatch.setattr(plat, "XDG_DATA_HOME", os.fsencode(home / "data"))
    monkeypatch.setattr(plat, "HOMETRASH_B", os.fsencode(home / "data" / "Trash"))
    monkeypatch.setattr(plat, "HOMETRASH", str(home / "data" / "Trash"))
    return home / "data" / "Trash"
