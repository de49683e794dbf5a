"""Getting a model: download, import or export, as background jobs.

Each function returns a :class:`~app.workers.Job` to start on a
:class:`~app.workers.JobRunner`; its ``result`` is the installed ``ModelBundle``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from app.workers import Job
from indexer.models.registry import DEFAULT_MODEL, KNOWN_MODELS, import_bundle

DEFAULT_EXPORT = ("ViT-B-32", "laion2b_s34b_b79k")


def export_available() -> bool:
    """True when the ``[export]`` extra (open_clip + torch) is importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("open_clip", "torch", "onnx"))


def download_job(name: str, models_dir: Path) -> Job:
    """Progress: ``(done_bytes, total_bytes)``."""
    from indexer.models.hub import download_model

    def run(token, report):
        return download_model(name, Path(models_dir), progress=lambda d, t: report((d, t)), cancel=token)
    return Job(run, f"download {name}")


def import_job(src: Path, models_dir: Path) -> Job:
    def run(token, report):
        return import_bundle(Path(src), Path(models_dir))
    return Job(run, f"import {src}")


def export_job(models_dir: Path, arch: str = DEFAULT_EXPORT[0], pretrained: str = DEFAULT_EXPORT[1]) -> Job:
    """Runs open_clip locally (the pretrained weights come from its own cache or download)."""
    from indexer.models.export import export_pretrained

    name = f"{arch}__{pretrained.replace('_', '-')}"

    def run(token, report):
        return export_pretrained(arch, pretrained, Path(models_dir) / name, name=name)
    return Job(run, f"export {arch}")


def describe_known(name: str) -> str:
    known = KNOWN_MODELS.get(name)
    if known is None:
        return name
    return f"{known.description} (about {known.approx_size_mb} MB)"


__all__ = ["DEFAULT_MODEL", "KNOWN_MODELS", "download_job", "import_job", "export_job", "export_available",
           "describe_known"]
