"""Find and read Photoseek's bundled resource files (icons, style sheet, desktop entry).

``resources/`` is installed as the import package ``photoseek_resources``;
files are found with :mod:`importlib.resources`, so the same code works from
a checkout, a wheel and a PyInstaller bundle.
"""

from __future__ import annotations

import functools
import sys
from importlib import resources as _resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from importlib.resources.abc import Traversable
    else:
        from importlib.abc import Traversable

_PACKAGE = "photoseek_resources"


@functools.lru_cache(maxsize=1)
def _root() -> Traversable:
    """The ``resources/`` beside this ``app`` package when it is a checkout (so a checkout, or a second
    working tree of one, shows its own style sheet and icons); else the installed ``photoseek_resources``."""
    beside = _resources.files("app").joinpath("..").joinpath("resources")
    if beside.joinpath("style.qss").is_file() and beside.joinpath("__init__.py").is_file():
        return beside
    return _resources.files(_PACKAGE)


def resource_bytes(name: str) -> bytes:
    """The bytes of ``resources/<name>`` (``name`` may contain ``/``)."""
    node = _root()
    for part in name.split("/"):
        node = node.joinpath(part)
    return node.read_bytes()


def resource_text(name: str) -> str:
    """The text (UTF-8) of ``resources/<name>``."""
    return resource_bytes(name).decode("utf-8")
