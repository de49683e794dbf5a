"""Where and when a photo was taken, as one line for people: "Lisbon, Portugal · 3 May 2019"."""

from __future__ import annotations

import os
from datetime import datetime

from indexer.search import Hit


def taken_text(taken_at: str | None) -> str | None:
    """``"2019-05-03T12:00:00"`` -> ``"3 May 2019"`` (None when unknown or unreadable)."""
    if not taken_at:
        return None
    try:
        day = datetime.fromisoformat(taken_at)
    except ValueError:
        return None
    return f"{day.day} {day:%B %Y}"


def where_and_when(hit: Hit) -> str:
    """The place (or the position, far from every place) and the date taken, those that are known."""
    where = hit.place
    if where is None and hit.lat is not None and hit.lon is not None:
        where = f"{hit.lat:.4f}, {hit.lon:.4f}"
    return "   ·   ".join(p for p in (where, taken_text(hit.taken_at)) if p)


def spoken_name(hit: Hit) -> str:
    """What a screen reader says for a photo: "file name, date, place" (those that are known), and
    "video" for a video."""
    parts = [os.path.basename(str(hit.path)), taken_text(hit.taken_at), hit.place,
             "video" if hit.kind == "video" else None]
    return ", ".join(p for p in parts if p)
