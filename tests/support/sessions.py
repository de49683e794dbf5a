"""Counting the ONNX Runtime sessions a test makes (which graph files get loaded)."""

from __future__ import annotations

import onnxruntime
import pytest


def counting_sessions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on, every ``onnxruntime.InferenceSession`` made appends its graph's path to the list returned."""
    loaded: list[str] = []
    real = onnxruntime.InferenceSession

    def counting(*args, **kwargs):
        loaded.append(str(args[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting)
    return loaded
