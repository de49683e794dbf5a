"""Merging the lines of the text reader's detection passes (``indexer.text.reader.merge_lines``)."""

from __future__ import annotations

from indexer.text.reader import TextLine, merge_lines


def test_two_detection_passes_keep_a_line_found_twice_once() -> None:
    def line(text: str, confidence: float, x: float, y: float) -> TextLine:
        return TextLine(text, confidence, ((x, y), (x + 100, y), (x + 100, y + 20), (x, y + 20)))

    first = (line("heron crimson meadoı", 0.8, 10, 10), line("Exit", 0.9, 300, 200))
    second = (line("heron crimson meadow", 0.95, 12, 11), line("723", 0.9, 10, 100))
    merged = merge_lines([first, second])
    assert [m.text for m in merged] == ["heron crimson meadow", "723", "Exit"]
