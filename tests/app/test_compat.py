"""The PySide6 work-around: emitting signals can never exhaust True/False."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal

from app.compat import protect_bool_singletons

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    changed = Signal(bool)


def test_many_emits_leave_the_bools_alive(qapp):
    protect_bool_singletons()                    # idempotent: already applied by conftest where needed
    emitter = _Emitter()
    seen = []
    emitter.changed.connect(seen.append)
    for i in range(20_000):
        emitter.changed.emit(i % 2 == 0)
    assert len(seen) == 20_000 and seen[0] is True and seen[1] is False
    assert sys.getrefcount(True) > 1_000_000 or sys.version_info >= (3, 12) or \
        sys.getrefcount(True) > 20_000


def test_many_calls_returning_nothing_leave_none_alive(qapp):
    protect_bool_singletons()
    probe = QObject()
    for _ in range(100_000):
        probe.setObjectName("probe")             # returns nothing: the binding may drop a reference to None
    assert sys.getrefcount(None) > 1_000_000 or sys.version_info >= (3, 12)
