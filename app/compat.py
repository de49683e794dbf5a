"""Work-arounds for bugs in the Qt binding, applied once at start-up.

PySide6 6.12 on Python 3.11: ``SignalInstance.emit()`` returns ``True``
without taking a reference, so every ``emit`` from Python drops one
reference to ``True`` (measured: 100 emits, refcount of ``True`` -100).
A GUI emits thousands of signals an hour; when the count reaches zero the
interpreter aborts ("Fatal Python error: bool_dealloc").  Python 3.12 made
``True``/``False`` immortal, so the bug is harmless there.  On older
interpreters, when the leak is detected, we give both bools a reference
count no program can exhaust -- what 3.12 does by design.
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


def protect_bool_singletons() -> bool:
    """Apply the work-around if this interpreter and binding need it. Returns True if applied."""
    if sys.version_info >= (3, 12) or not emit_drops_bool_references():
        return False
    for value in (True, False):
        ctypes.c_ssize_t.from_address(id(value)).value += _HEADROOM
    logger.info("PySide6 drops references to True/False on emit; made them effectively immortal")
    return True
