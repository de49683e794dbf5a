"""Getting a model -- download, import or export -- as background jobs.

Each function returns a :class:`~app.services.jobs.Job` to start on a
:class:`~app.services.jobs.JobRunner`; its ``result`` is the installed
``ModelBundle`` (``Job.on_success``) and a download reports ``(done_bytes, total_bytes)``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from app.services.jobs import Job, Report
from indexer.cancel import CancelToken
from indexer.models.bundle import ModelBundle
from indexer.models.registry import import_bundle, installed_models

DEFAULT_EXPORT = ("ViT-B-32", "laion2b_s34b_b79k")


def export_available() -> bool:
    """True when the ``[export]`` extra (open_clip + torch) is importable."""
    return all(importlib.util.find_spec(m) is not None for m in ("open_clip", "torch", "onnx"))


def download_job(name: str, models_dir: Path) -> Job[ModelBundle]:
    """Progress: ``(done_bytes, total_bytes)``."""
    from indexer.models.hub import download_model

    def run(token: CancelToken, report: Report) -> ModelBundle:
        return download_model(name, Path(models_dir), progress=report, cancel=token)
    return Job(run, f"download {name}")


def import_job(src: Path, models_dir: Path) -> Job[ModelBundle]:
    def run(_token: CancelToken, _report: Report) -> ModelBundle:
        return import_bundle(Path(src), Path(models_dir))
    return Job(run, f"import {src}")


def export_job(models_dir: Path, arch: str = DEFAULT_EXPORT[0],
               pretrained: str = DEFAULT_EXPORT[1]) -> Job[ModelBundle]:
    """Runs open_clip locally (the pretrained weights come from its own cache or download)."""
    from indexer.models.export import export_pretrained

    name = f"{arch}__{pretrained.replace('_', '-')}"

    def run(_token: CancelToken, _report: Report) -> ModelBundle:
        return ModelBundle.load(export_pretrained(arch, pretrained, Path(models_dir) / name, name=name))
    return Job(run, f"export {arch}")


def list_installed_job(models_dir: Path) -> Job[list[ModelBundle]]:
    """The installed models (reading bundles parses their tokenizers: not on the GUI thread)."""
    def run(_token: CancelToken, _report: Report) -> list[ModelBundle]:
        return installed_models(models_dir)
    return Job(run, "list installed models")
