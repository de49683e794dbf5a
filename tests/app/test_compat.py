"""The PySide6 work-around: emitting signals can never exhaust True/False."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal

from app.compat import protect_bool_singletons

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    changed = Signal(bool)


CALLS = 100_000
ROOM = 1_000   # the singletons must survive this many times as many calls again


def test_many_emits_leave_the_bools_alive(qapp):
    protect_bool_singletons()                    # idempotent: already applied by conftest where needed
    emitter = _Emitter()
    seen = []
    emitter.changed.connect(seen.append)
    before = sys.getrefcount(True), sys.getrefcount(False)
    for i in range(CALLS):
        emitter.changed.emit(i % 2 == 0)
    after = sys.getrefcount(True), sys.getrefcount(False)
    assert len(seen) == CALLS and seen[0] is True and seen[1] is False
    for b, a in zip(before, after):
        lost = max(b - a, 0)                     # what the binding dropped (0 where the bools are immortal)
        assert a > lost * ROOM, (b, a)           # still far from the count at which Python would abort


def test_many_calls_returning_nothing_leave_none_alive(qapp):
    protect_bool_singletons()
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(CALLS):
        probe.setObjectName("probe")             # returns nothing: the binding may drop a reference to None
    after = sys.getrefcount(None)
    lost = max(before - after, 0)                # what the binding dropped (0 where None is immortal)
    assert after > lost * ROOM, (before, after)  # still far from the count at which Python would abort


def test_the_work_around_is_applied_where_the_binding_leaks():
    """On an interpreter without immortal singletons, a leaking binding gets the headroom."""
    if sys.version_info >= (3, 12):
        assert protect_bool_singletons() is False
        return
    from app.compat import emit_drops_bool_references, void_calls_drop_none_references

    if emit_drops_bool_references():
        assert sys.getrefcount(True) > 1 << 39 and sys.getrefcount(False) > 1 << 39
    if void_calls_drop_none_references():
        assert sys.getrefcount(None) > 1 << 39
