"""Work-arounds for bugs in the Qt binding, applied once at start-up.

PySide6 6.12 on Python 3.11: ``SignalInstance.emit()`` returns ``True``
without taking a reference, so every ``emit`` from Python drops one
reference to ``True`` (measured: 100 emits, refcount of ``True`` -100).
A GUI emits thousands of signals an hour; when the count reaches zero the
interpreter aborts ("Fatal Python error: bool_dealloc").  Python 3.12 made
``True``/``False`` immortal, so the bug is harmless there.  On older
interpreters, when the leak is detected, we give both bools a reference
count no program can exhaust -- what 3.12 does by design.

The same binding drops a reference to ``None`` on every call of a method
that returns nothing (``QPainter.save()``, ``setObjectName()``,
``initViewItemOption()``...; measured: 100 calls, refcount of ``None``
-100).  Painting a grid makes a few such calls per cell, so scrolling a
large library would exhaust ``None`` within minutes ("deallocating None").
``None`` gets the same headroom when that leak is detected.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)

_HEADROOM = 1 << 40


class _Probe(QObject):
    ping = Signal()


def emit_drops_bool_references() -> bool:
    """True when emitting a signal from Python loses a reference to a bool."""
    probe = _Probe()
    before = sys.getrefcount(True) + sys.getrefcount(False)
    for _ in range(4):
        probe.ping.emit()
    after = sys.getrefcount(True) + sys.getrefcount(False)
    return after < before


def void_calls_drop_none_references() -> bool:
    """True when calling a Qt method that returns nothing loses a reference to None."""
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(4):
        probe.setObjectName("probe")
    return sys.getrefcount(None) < before


def protect_bool_singletons() -> bool:
    """Apply the work-arounds (True/False, and None) this interpreter and binding need. Returns True if any."""
    if sys.version_info >= (3, 12):
        return False
    applied = False
    if emit_drops_bool_references():
        for value in (True, False):
            ctypes.c_ssize_t.from_address(id(value)).value += _HEADROOM
        logger.info("PySide6 drops references to True/False on emit; made them effectively immortal")
        applied = True
    if void_calls_drop_none_references() and sys.getrefcount(None) < _HEADROOM:
        ctypes.c_ssize_t.from_address(id(None)).value += _HEADROOM
        logger.info("PySide6 drops references to None on calls returning nothing; made it effectively immortal")
        applied = True
    return applied
