"""Installed model bundles and the models Photoseek knows how to download.

Every model lives in its own directory under the models directory
(``indexer.paths.models_dir()``); the directory name is the model's name and
identifies its vectors.  Names that start with a dot are Photoseek's own
work areas (partial downloads, imports in progress) and are never models.

Installing is always atomic: a bundle is assembled in a temporary directory
inside the models directory, validated with ``ModelBundle.load`` and only
then renamed to its final name, so a crash or a cancel never leaves a
half-copied model where ``installed_models`` would find it.

An imported bundle holds only regular files and directories: a symbolic link,
pipe, device or socket anywhere in it is refused before anything is read (a
link to ``/dev/zero`` would fill the disk, one to a private key would be
copied in as a plain file), and each file is opened without following links.
One unusable directory never stops a listing: ``scan_models`` reports it with
its reason.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

from indexer.errors import ModelError, ModelNotFound
from indexer.models.bundle import OTHER_RUNTIMES, ModelBundle
from indexer.models.safe_paths import entry_problem, name_problem, open_regular, unprintable

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
        except Exception as e:  # one bad directory must not hide the others
            reason = str(e) if isinstance(e, ModelError) else f"cannot be read ({type(e).__name__}: {e})"
            logger.info("model %s in %s is unusable: %s", path.name, path, reason)
            entries.append(ModelEntry(path.name, path, None, reason))
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


def resolve_model(name_or_path: str | Path, models_dir: Path, *, read_tokenizer: bool = True) -> ModelBundle:
    """The bundle named ``name_or_path`` in ``models_dir``, or the bundle directory it points to.

    Raises ``ModelNotFound`` when there is neither (the message lists the
    installed models and says how to download one), and ``ModelError`` when
    the directory exists but is not a usable bundle.  ``read_tokenizer``: as
    ``ModelBundle.load``'s.
    """
    text = str(name_or_path).strip()
    if not text:
        raise ModelNotFound("no model given")
    models_dir = Path(models_dir)

    if not _looks_like_path(text):
        char = unprintable(text)
        if char is not None:
            raise ModelNotFound(f"{text!r} cannot be a model name: it holds the control character {char}")
        installed_dir = models_dir / text
        if installed_dir.is_dir():
            try:
                return ModelBundle.load(installed_dir, read_tokenizer=read_tokenizer)
            except ModelError as e:
                raise ModelError(
                    f"installed model {text} ({installed_dir}) is damaged: {e}. "
                    f"Remove it, then run `photoseek models download {text}` or import it again"
                ) from e

    candidate = Path(text).expanduser()
    if candidate.is_dir():
        return ModelBundle.load(candidate, read_tokenizer=read_tokenizer)
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
    """``name`` if it can be a directory name in the models directory on every platform, else ``ModelError``.

    Refused: empty names, a leading dot (Photoseek's work areas), surrounding
    spaces, slashes and backslashes, control and format characters (they
    would reach terminals), and what Windows reads as a drive, stream or
    device (``:``, ``<>"|?*``, ``CON``, ``NUL``, ``COM1``, a trailing dot).
    """
    problem = name_problem(name)
    if problem is None and name.startswith("."):
        problem = "starts with a dot"
    if problem is None and name != name.strip():
        problem = "has surrounding spaces"
    if problem is not None:
        raise ModelError(
            f"{name!r} cannot be a model name: it {problem} (use letters, digits, '-', '_' and '.')"
        )
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
    return name.endswith(OTHER_RUNTIMES) or name == ".cache"


def bundle_files(root: Path) -> dict[str, int]:
    """``{file: size}`` of the bundle directory ``root``: relative, ``/``-separated, sorted.

    Nothing is followed: a symbolic link (or junction), pipe, device or socket
    anywhere in the tree raises ``ModelError`` naming it.  Files for other
    runtimes and huggingface_hub's ``.cache`` are left out (never copied).
    """
    root = Path(root)
    files: dict[str, int] = {}
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            entries = sorted(os.scandir(root / rel_dir if rel_dir else root), key=lambda e: e.name)
        except OSError as exc:
            raise ModelError(f"cannot read the model bundle {root}: {exc}") from exc
        for entry in entries:
            if _ignored(entry.name):
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                raise ModelError(f"cannot read {rel} in the model bundle {root}: {exc}") from exc
            problem = entry_problem(st)
            if problem is not None:
                raise ModelError(
                    f"the model bundle {root} holds {rel}, which {problem}; a bundle may hold only plain "
                    "files and folders (replace links with copies of the files they point to)"
                )
            if stat.S_ISDIR(st.st_mode):
                pending.append(rel)
            else:
                files[rel] = st.st_size
    return dict(sorted(files.items()))


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open_regular(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _same_files(a: Path, b: Path) -> bool:
    """Whether the bundles ``a`` and ``b`` hold the same files with the same bytes (False if either is unsafe)."""
    try:
        files_a = bundle_files(a)
        files_b = bundle_files(b)
        # Cheap check first: different file lists or sizes need no hashing.
        if files_a != files_b:
            return False
        return all(_digest(a / rel) == _digest(b / rel) for rel in files_a)
    except (ModelError, OSError):
        return False


def _copy_regular(src: str, dst: str) -> str:
    """``shutil.copytree``'s copy function: the file is opened without following a link, and must be regular."""
    with open_regular(Path(src)) as fin, open(dst, "xb") as fout:
        shutil.copyfileobj(fin, fout, 1 << 20)
        st = os.fstat(fin.fileno())
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    return dst


def _skip_or_refuse(directory: str, names: list[str]) -> list[str]:
    """``shutil.copytree``'s ignore hook: skip other runtimes' files; a link or special file stops the copy.

    ``bundle_files`` has already refused them; this repeats the check as each
    folder is copied, so one swapped in meanwhile is not followed either.
    """
    for name in names:
        if not _ignored(name):
            problem = entry_problem(os.lstat(os.path.join(directory, name)))
            if problem is not None:
                raise OSError(f"{os.path.join(directory, name)} {problem}")
    return [n for n in names if _ignored(n)]


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
    src = src.resolve()  # the directory itself may be a link: the user chose it
    bundle_files(src)  # before reading anything: no links, pipes or devices inside
    bundle = ModelBundle.load(src)
    name = validate_model_name(name or src.name)
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
            shutil.copytree(src, target, ignore=_skip_or_refuse, copy_function=_copy_regular)
            ModelBundle.load(target)  # the copy must load, not just the source
            install_dir(target, dest, replace=force)
        except OSError as e:
            raise ModelError(f"cannot copy the model bundle {src} into {models_dir}: {e}") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("imported model %s from %s into %s", name, src, dest)
    return ModelBundle.load(dest)
