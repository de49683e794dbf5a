"""Every signal in app/ declares what it carries: no ``Signal(object)``, ``Signal(list)`` or ``Signal(dict)``.

A payload that is a collection or "a value or nothing" crosses as a named type of ``app.payloads``; these
tests scan the sources for untyped declarations and check that PySide6 hands such a payload to a slot as the
very object emitted, on the emitting thread and across threads.
"""

from __future__ import annotations

import ast
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal

from app.payloads import Folders, PlaceChoice
from indexer.status import FolderInfo

ROOT = Path(__file__).resolve().parents[2]
UNTYPED = {"object", "list", "dict", "tuple", "set", "Any",                 # Python types that say nothing
           "PyObject", "QVariant", "QVariantList", "QVariantMap"}           # the same, spelled as Qt type names


def _signal_arguments(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, argument) for every argument of every ``Signal(...)`` call in ``tree``."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else \
            node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if name != "Signal":
            continue
        for arg in node.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.append((node.lineno, arg.value))
            else:
                found.append((node.lineno, ast.unparse(arg)))
    return found


def _untyped(source: str) -> list[tuple[int, str]]:
    return [(line, arg) for line, arg in _signal_arguments(ast.parse(source))
            if arg.split(".")[-1] in UNTYPED or arg.startswith(("list[", "dict[", "tuple["))]


def test_the_scan_finds_untyped_declarations():
    source = ("from PySide6 import QtCore\nfrom PySide6.QtCore import Signal\n"
              "class A:\n    a = Signal(object)\n    b = Signal(int, list)\n    c = QtCore.Signal(dict)\n"
              "    d = Signal('QVariantList')\n    e = Signal(typing.Any)\n    ok = Signal(int, Folders)\n")
    assert [line for line, _ in _untyped(source)] == [4, 5, 6, 7, 8]


def test_no_signal_in_app_carries_object_list_or_dict():
    sources = sorted((ROOT / "app").rglob("*.py"))
    declared = 0
    offenders = []
    for path in sources:
        source = path.read_text(encoding="utf-8")
        declared += len(_signal_arguments(ast.parse(source)))
        offenders += [f"{path.relative_to(ROOT)}:{line}: Signal(..., {arg}, ...)" for line, arg in _untyped(source)]
    assert declared > 50   # the scan reads the app's signals (a moved folder would make it pass vacuously)
    assert offenders == [], "declare what the signal carries (a type of app.payloads, or a new one there)"


class _Emitter(QObject):
    folders = Signal(Folders)
    choice = Signal(PlaceChoice)


class _Receiver(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.got: list[tuple[object, threading.Thread]] = []

    def take(self, payload: object) -> None:
        self.got.append((payload, threading.current_thread()))


def test_a_payload_reaches_the_slot_as_the_object_emitted_across_threads(qtbot):
    folders = Folders([FolderInfo(Path("/photos"), True, 3, 2, 1)])
    receiver = _Receiver()   # lives on this (the GUI) thread
    emitter = _Emitter()
    emitter.folders.connect(receiver.take)
    emitter.choice.connect(receiver.take)
    thread = QThread()
    emitter.moveToThread(thread)
    thread.started.connect(lambda: (emitter.folders.emit(folders), emitter.choice.emit(PlaceChoice())))
    thread.start()
    try:
        qtbot.waitUntil(lambda: len(receiver.got) == 2, timeout=5000)
    finally:
        thread.quit()
        thread.wait(5000)
    (first, on_first), (second, on_second) = receiver.got
    assert first is folders and isinstance(first, Folders) and first[0].path == Path("/photos")
    assert second == PlaceChoice(None)
    assert on_first is on_second is threading.current_thread()   # queued to the receiver's thread
