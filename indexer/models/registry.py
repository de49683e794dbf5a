"""Installed model bundles and the models Photoseek knows how to download.

Every model lives in its own directory under the models directory
(``indexer.paths.models_dir()``); the directory name is the model's name and
identifies its vectors.  Names that start with a dot are Photoseek's own
work areas (partial downloads, imports in progress) and are never models.

Installing is always atomic: a bundle is assembled in a temporary directory
inside the models directory, validated with ``ModelBundle.load`` and only
then renamed to its final name, so a crash or a cancel never leaves a
half-copied model where ``installed_models`` would find it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ModelError, ModelNotFound
from indexer.models.bundle import ModelBundle

logger = logging.getLogger(__name__)

IMMICH_ORG = "immich-app"


@dataclass(frozen=True)
class KnownModel:
    """A model published as an Immich-layout bundle on the Hugging Face hub.

    ``approx_size_mb`` is the approximate download (both fp32 ONNX towers),
    for display only; the hub's own metadata decides what is fetched.
    """

    name: str
    repo_id: str
    description: str
    approx_size_mb: int
    embed_dim: int
    multilingual: bool = False
    notes: str = ""


def _known(name: str, description: str, approx_size_mb: int, embed_dim: int, **kw: object) -> KnownModel:
    return KnownModel(
        name=name,
        repo_id=f"{IMMICH_ORG}/{name}",
        description=description,
        approx_size_mb=approx_size_mb,
        embed_dim=embed_dim,
        **kw,  # type: ignore[arg-type]
    )


DEFAULT_MODEL = "ViT-B-32__laion2b-s34b-b79k"

KNOWN_MODELS: dict[str, KnownModel] = {
    m.name: m
    for m in (
        _known(
            DEFAULT_MODEL,
            "OpenCLIP ViT-B/32 trained on LAION-2B: the default; same cost as OpenAI's ViT-B/32, better recall",
            600,
            512,
        ),
        _known(
            "ViT-B-32__openai",
            "OpenAI's original CLIP ViT-B/32",
            600,
            512,
        ),
        _known(
            "ViT-B-16-SigLIP2__webli",
            "SigLIP 2 ViT-B/16: the best quality for its cost",
            1500,
            768,
            notes="about 3x slower per image than ViT-B/32 on a CPU",
        ),
        _known(
            "nllb-clip-base-siglip__v1",
            "NLLB-CLIP (SigLIP image tower, NLLB text tower): search in ~200 languages",
            2000,
            768,
            multilingual=True,
        ),
        _known(
            "XLM-Roberta-Large-Vit-B-32",
            "Multilingual CLIP: XLM-RoBERTa-Large text tower with OpenAI's ViT-B/32 image tower",
            2500,
            512,
            multilingual=True,
            notes="large text tower: slow to load, fast per image",
        ),
    )
}


@dataclass(frozen=True)
class ModelEntry:
    """One directory in the models directory, usable or not.

    Exactly one of ``bundle`` and ``error`` is set.
    """

    name: str
    path: Path
    bundle: ModelBundle | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.bundle is not None

    @property
    def known(self) -> KnownModel | None:
        return KNOWN_MODELS.get(self.name)


def scan_models(models_dir: Path) -> list[ModelEntry]:
    """Every model directory, sorted by name, with its bundle or the reason it fails to load."""
    models_dir = Path(models_dir)
    if not models_dir.is_dir():
        return []
    entries: list[ModelEntry] = []
    for path in sorted(models_dir.iterdir(), key=lambda p: p.name.lower()):
        if path.name.startswith(".") or not path.is_dir():
            continue
        try:
            bundle = ModelBundle.load(path)
        except ModelError as e:
            logger.info("model %s in %s is unusable: %s", path.name, path, e)
            entries.append(ModelEntry(path.name, path, None, str(e)))
        else:
            entries.append(ModelEntry(path.name, path, bundle, None))
    return entries


def installed_models(models_dir: Path) -> list[ModelBundle]:
    """The usable bundles in ``models_dir`` (broken ones are skipped; see ``broken_models``)."""
    return [e.bundle for e in scan_models(models_dir) if e.bundle is not None]


def broken_models(models_dir: Path) -> list[ModelEntry]:
    """Model directories that fail to load, each with its error message."""
    return [e for e in scan_models(models_dir) if e.bundle is None]


def _looks_like_path(text: str) -> bool:
    return (
        os.sep in text
        or "/" in text
        or (os.altsep is not None and os.altsep in text)
        or text.startswith((".", "~"))
    )


def resolve_model(name_or_path: str | Path, models_dir: Path) -> ModelBundle:
    """The bundle named ``name_or_path`` in ``models_dir``, or the bundle directory it points to.

    Raises ``ModelNotFound`` when there is neither (the message lists the
    installed models and says how to download one), and ``ModelError`` when
    the directory exists but is not a usable bundle.
    """
    text = str(name_or_path).strip()
    if not text:
        raise ModelNotFound("no model given")
    models_dir = Path(models_dir)

    if not _looks_like_path(text):
        installed_dir = models_dir / text
        if installed_dir.is_dir():
            try:
                return ModelBundle.load(installed_dir)
            except ModelError as e:
                raise ModelError(
                    f"installed model {text} ({installed_dir}) is damaged: {e}. "
                    f"Remove it, then run `photoseek models download {text}` or import it again"
                ) from e

    candidate = Path(text).expanduser()
    if candidate.is_dir():
        return ModelBundle.load(candidate)
    if _looks_like_path(text):
        raise ModelNotFound(f"no model bundle directory at {candidate}")

    installed = [b.name for b in installed_models(models_dir)]
    have = ", ".join(installed) if installed else "none"
    if text in KNOWN_MODELS:
        raise ModelNotFound(
            f"model {text} is not installed (installed: {have}); "
            f"run `photoseek models download {text}`"
        )
    raise ModelNotFound(
        f"unknown model {text!r} (installed: {have}); "
        f"run `photoseek models download NAME` to install one "
        f"(known: {', '.join(KNOWN_MODELS)}), or give a bundle directory"
    )


def validate_model_name(name: str) -> str:
    """``name`` if it can be a directory name in the models directory, else ``ModelError``."""
    bad = (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or os.sep in name
        or "\0" in name
        or name != name.strip()
    )
    if bad:
        raise ModelError(f"{name!r} cannot be a model name (no slashes, no leading dot, no surrounding spaces)")
    return name


def staging_dir(models_dir: Path, purpose: str) -> Path:
    """A new, empty, hidden directory inside ``models_dir`` (same filesystem, so a rename installs it)."""
    path = Path(models_dir) / f".{purpose}-{uuid.uuid4().hex[:12]}"
    path.mkdir(parents=True)
    return path


def install_dir(tmp: Path, dest: Path, *, replace: bool = False) -> None:
    """Rename the finished directory ``tmp`` to ``dest``.

    With ``replace`` an existing ``dest`` is first moved aside, then deleted
    once the new one is in place; without it an existing ``dest`` is an error.
    """
    aside: Path | None = None
    if dest.exists():
        if not replace:
            raise ModelError(f"{dest} already exists")
        aside = dest.with_name(f".replaced-{dest.name}-{uuid.uuid4().hex[:8]}")
        os.replace(dest, aside)
    try:
        os.replace(tmp, dest)
    except OSError:
        if aside is not None:
            os.replace(aside, dest)
        raise
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _ignored(name: str) -> bool:
    # Other runtimes' files in Immich caches, and huggingface_hub's local-dir metadata.
    return name.endswith((".armnn", ".rknn")) or name == ".cache"


def _tree_digest(root: Path) -> dict[str, tuple[int, str]]:
    digest: dict[str, tuple[int, str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        for fn in sorted(filenames):
            if _ignored(fn):
                continue
            p = Path(dirpath) / fn
            h = hashlib.sha256()
            with open(p, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            digest[p.relative_to(root).as_posix()] = (p.stat().st_size, h.hexdigest())
    return digest


def _same_files(a: Path, b: Path) -> bool:
    def sizes(root: Path) -> dict[str, int]:
        out = {}
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not _ignored(d)]
            for fn in filenames:
                if not _ignored(fn):
                    p = Path(dirpath) / fn
                    out[p.relative_to(root).as_posix()] = p.stat().st_size
        return out

    # Cheap check first: different file lists or sizes need no hashing.
    if sizes(a) != sizes(b):
        return False
    return _tree_digest(a) == _tree_digest(b)


def import_bundle(src: Path, models_dir: Path, *, name: str | None = None, force: bool = False) -> ModelBundle:
    """Copy the bundle directory ``src`` into ``models_dir/<name>`` (default: the directory's name).

    The source is validated first; the copy goes to a temporary directory and
    is renamed into place only once it loads.  Importing the same files again
    is a no-op; a different model of the same name is refused unless ``force``.
    Files for other runtimes (``*.armnn``, ``*.rknn``) are not copied.
    """
    src = Path(src).expanduser()
    if not src.is_dir():
        raise ModelNotFound(f"no model bundle directory at {src}")
    bundle = ModelBundle.load(src)
    name = validate_model_name(name or src.resolve().name)
    models_dir = Path(models_dir)
    dest = models_dir / name

    if dest.exists():
        if dest.resolve() == src.resolve():
            return bundle if bundle.name == name else ModelBundle.load(dest)
        if _same_files(src, dest):
            logger.info("model %s is already installed with the same files", name)
            return ModelBundle.load(dest)
        if not force:
            raise ModelError(
                f"a different model named {name} is already installed in {dest}; "
                "import it under another name or replace it explicitly (force)"
            )

    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = staging_dir(models_dir, f"import-{name}")
    try:
        target = tmp / "bundle"
        try:
            shutil.copytree(src, target, ignore=lambda d, names: [n for n in names if _ignored(n)])
            ModelBundle.load(target)  # the copy must load, not just the source
            install_dir(target, dest, replace=force)
        except OSError as e:
            raise ModelError(f"cannot copy the model bundle {src} into {models_dir}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("imported model %s from %s into %s", name, src, dest)
    return ModelBundle.load(dest)
