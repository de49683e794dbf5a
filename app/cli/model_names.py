"""Model names on the command line: what may be downloaded, and how models are named in lists."""

from __future__ import annotations

from pathlib import Path

from indexer.errors import UsageError


def check_downloadable(name: str, models_dir: Path) -> None:
    """Refuse, before any network use, a name that is neither a known model, an installed one, nor
    a Hugging Face ``owner/repo``."""
    from indexer.models import registry
    from indexer.models.hub import repo_for

    repo_for(name)  # a name that can be no model's (a control character, a bad owner/repo) says why first
    if name in registry.KNOWN_MODELS or "/" in name or (Path(models_dir) / name).is_dir():
        return
    raise UsageError(
        f"unknown model {name!r}; known models: {', '.join(registry.KNOWN_MODELS)} "
        "(or give a Hugging Face repository as owner/repo)"
    )


def no_model_line() -> str:
    """What ``status`` says when the library has no model yet."""
    from indexer.models.registry import DEFAULT_MODEL

    return f"none (photoseek models download {DEFAULT_MODEL}, or photoseek models import DIR)"


def description(known_description: str, bundle_dir: Path | None) -> tuple[str, bool]:
    """(the description shown in lists, whether the model is a test model)."""
    from indexer.models.model_purpose import TEST_MODEL_LABEL, is_test_model

    if bundle_dir is not None and is_test_model(bundle_dir):
        return TEST_MODEL_LABEL, True
    return known_description, False
