"""Lengths of time as people read them on a video: ``0:07``, ``12:05``, ``1:02:03``."""

from __future__ import annotations

import math


def format_duration(seconds: float | None) -> str:
    """``seconds`` as ``M:SS`` or ``H:MM:SS``; empty when not known."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
