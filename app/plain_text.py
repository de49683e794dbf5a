"""Names from the disk shown as text, never as markup.

Qt renders a label, a tooltip or a message box as rich text (HTML) whenever
its text merely *looks* like HTML (``Qt.mightBeRichText``: a tag anywhere on
the first line).  A file, folder or model name, or an error message that
quotes one, is chosen by whoever wrote the disk, so a photo called
``<h1 style="color:red">VIRUS FOUND</h1>.jpg`` would show as a red banner.
Every widget that can show such text goes through one of these helpers.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox


def plain(*labels: QLabel) -> None:
    """Make ``labels`` show their text literally, whatever it holds."""
    for label in labels:
        label.setTextFormat(Qt.TextFormat.PlainText)


def tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally.

    Tooltips have no plain-text mode (Qt guesses from the text), so the text is
    escaped inside a paragraph that keeps its spaces and line breaks.
    """
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{html.escape(text, quote=False)}</p>"


def plain_message_box(box: QMessageBox) -> QMessageBox:
    """Show the message box's text and informative text literally (call after setting them)."""
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box
