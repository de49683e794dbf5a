"""Download Immich-layout CLIP bundles from the Hugging Face hub.

``download_model("ViT-B-32__laion2b-s34b-b79k", models_dir)`` fetches the
repository ``immich-app/<name>`` (or ``owner/repo`` when the name has a
slash) into ``models_dir/<name>``:

1. the hub's file list with sizes and hashes (``HfApi.model_info`` with
   file metadata) picks the files a bundle needs: ``config.json`` and the
   files directly inside ``visual/`` and ``textual/`` (model, external data,
   preprocess and tokenizer files), never other runtimes' files
   (``visual/fp16/model.armnn``, ``*.rknn``);
2. each file is streamed into ``models_dir/.download-<name>/`` and checked
   against the hub's size and SHA-256 (LFS files) or git blob id (small
   files) by :mod:`indexer.models.transfer`;
3. the finished bundle must load with ``ModelBundle.load``; only then is it
   renamed to ``models_dir/<name>``.

File names come from the hub, so they are checked before anything is
written: a name the bundle would use that is absolute, climbs out with
``..``, holds a backslash, ``:``, a control character or a drive, or is a
Windows device name refuses the whole repository; every target path is then
resolved and must stay inside the staging folder.

Interrupted transfers resume: a dropped connection is retried from the byte
where it stopped (HTTP ``Range``), and a download that was cancelled or
killed keeps its partial files, so running it again continues where it
stopped (as long as the repository has not changed meanwhile): the staging
folder (:mod:`indexer.models.staging`) records which commit its partial files
belong to, and ``partial_downloads`` / ``discard_partial_download`` list and
delete them.

``HF_ENDPOINT`` (read at call time) points at a mirror or a test server;
``HF_HUB_OFFLINE=1`` refuses to download.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from indexer.errors import Cancelled, DownloadError, ModelError
from indexer.models.bundle import ModelBundle
from indexer.models.registry import (
    IMMICH_ORG,
    KNOWN_MODELS,
    install_dir,
    validate_model_name,
)
from indexer.models.safe_paths import relative_path_problem, unprintable
from indexer.models.staging import PartialDownload as PartialDownload
from indexer.models.staging import check_targets, discard_staging, read_state, staging_lock, write_state
from indexer.models.staging import partial_downloads as partial_downloads
from indexer.models.transfer import METADATA_TIMEOUT, RemoteFile, fetch, verify

if TYPE_CHECKING:
    from indexer.cancel import CancelToken

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

DEFAULT_REVISION = "main"
SOURCE_FILE = "download.json"  # written into the installed bundle: where it came from
_REQUIRED = ("config.json", "visual/model.onnx", "textual/model.onnx")
_TOWERS = ("visual", "textual")
_OTHER_RUNTIMES = (".armnn", ".rknn")
#: at most one progress report per this many seconds (plus the first and the last)
PROGRESS_INTERVAL = 0.1

OFFLINE_MESSAGE = "cannot reach the model hub (offline?)"
#: one part of a hub repository id (the owner or the repository name)
_HUB_ID_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}")


def hub_endpoint() -> str:
    """The hub's base URL: ``HF_ENDPOINT`` at call time, else huggingface_hub's default."""
    from huggingface_hub import constants

    env = os.environ.get("HF_ENDPOINT", "").strip()
    return (env or constants.ENDPOINT).rstrip("/")


def _offline_by_env() -> bool:
    from huggingface_hub import constants

    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(var, "").strip().upper() in {"1", "ON", "YES", "TRUE"}:
            return True
    return bool(constants.is_offline_mode())


def repo_for(name: str) -> tuple[str, str]:
    """``(repo_id, local name)`` for a model name or an ``owner/repo`` id.

    Both parts of the id must look like the hub's (letters, digits, ``-``,
    ``_``, ``.``), so a name can neither change the URL it is fetched from
    nor carry control characters to a terminal.
    """
    name = name.strip()
    char = unprintable(name)
    if char is not None:
        raise ModelError(f"{name!r} cannot be a model name: it holds the control character {char}")
    if "/" in name:
        owner, _, repo = name.partition("/")
        if not owner or not repo or "/" in repo:
            raise ModelError(f"{name!r} is not a model name or an owner/repo id")
        repo_id, local, parts = name, validate_model_name(repo), (owner, repo)
    else:
        known = KNOWN_MODELS.get(name)
        repo_id = known.repo_id if known else f"{IMMICH_ORG}/{name}"
        local, parts = validate_model_name(name), (name, name)
    if not all(_HUB_ID_PART.fullmatch(part) for part in parts):
        raise ModelError(
            f"{name!r} is not a model name or an owner/repo id on the hub "
            "(letters, digits, '-', '_' and '.' only)"
        )
    return repo_id, local


def wanted_file(path: str) -> bool:
    """Whether a repository file belongs in the bundle."""
    if path == "config.json":
        return True
    parts = path.split("/")
    return len(parts) == 2 and parts[0] in _TOWERS and not parts[1].endswith(_OTHER_RUNTIMES)


def _translate(err: BaseException, repo_id: str, endpoint: str) -> DownloadError:
    """A DownloadError with a message a user can act on, for an error from the HTTP layer."""
    import httpx2
    from huggingface_hub.errors import (
        GatedRepoError,
        HfHubHTTPError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(err, OfflineModeIsEnabled):
        return DownloadError(f"{OFFLINE_MESSAGE}: downloads are disabled because HF_HUB_OFFLINE is set")
    if isinstance(err, GatedRepoError):
        return DownloadError(f"the model repository {repo_id} is gated: accept its terms on the hub and log in")
    if isinstance(err, RepositoryNotFoundError):
        return DownloadError(
            f"there is no model repository {repo_id} on the hub ({endpoint}); "
            f"check the name (known models: {', '.join(KNOWN_MODELS)})"
        )
    if isinstance(err, RevisionNotFoundError):
        return DownloadError(f"the model repository {repo_id} has no such revision")
    if isinstance(err, (httpx2.ConnectError, httpx2.TimeoutException, httpx2.ProxyError)):
        return DownloadError(f"{OFFLINE_MESSAGE}: could not connect to {endpoint} ({err or type(err).__name__})")
    if isinstance(err, HfHubHTTPError):
        status = err.response.status_code if err.response is not None else "?"
        return DownloadError(f"the model hub refused the download of {repo_id} (HTTP {status})")
    if isinstance(err, httpx2.HTTPError):
        return DownloadError(f"download of {repo_id} failed: {err or type(err).__name__}")
    return DownloadError(f"download of {repo_id} failed: {err}")


def remote_files(repo_id: str, *, revision: str = DEFAULT_REVISION) -> tuple[str, list[RemoteFile]]:
    """``(commit, files)`` of the repository, from the hub's metadata (one request)."""
    from huggingface_hub import HfApi

    endpoint = hub_endpoint()
    if _offline_by_env():
        raise DownloadError(f"{OFFLINE_MESSAGE}: downloads are disabled because HF_HUB_OFFLINE is set")
    try:
        info = HfApi(endpoint=endpoint).model_info(
            repo_id, revision=revision, files_metadata=True, timeout=METADATA_TIMEOUT
        )
    except Exception as e:  # every HTTP failure becomes one DownloadError
        raise _translate(e, repo_id, endpoint) from e
    commit = info.sha or revision
    files = []
    for s in info.siblings or []:
        lfs = s.lfs
        files.append(
            RemoteFile(
                path=s.rfilename,
                size=(lfs.size if lfs else s.size),
                sha256=(lfs.sha256 if lfs else None),
                git_sha1=(None if lfs else s.blob_id),
            )
        )
    return commit, files


def _plan(repo_id: str, files: list[RemoteFile]) -> list[RemoteFile]:
    chosen = [f for f in files if wanted_file(f.path)]
    have = {f.path for f in chosen}
    missing = [p for p in _REQUIRED if p not in have]
    if missing:
        raise DownloadError(
            f"the repository {repo_id} does not hold a CLIP model bundle (missing {', '.join(missing)})"
        )
    seen: dict[str, str] = {}
    for f in chosen:
        problem = relative_path_problem(f.path)
        if problem is not None:
            raise DownloadError(
                f"the repository {repo_id} lists an unsafe file name {f.path!r} (it {problem}); nothing was downloaded"
            )
        other = seen.setdefault(unicodedata.normalize("NFC", f.path).casefold(), f.path)
        if other != f.path:  # one file on a case-insensitive or normalising disk (Windows, macOS)
            raise DownloadError(
                f"the repository {repo_id} lists both {other!r} and {f.path!r}; nothing was downloaded"
            )
    return sorted(chosen, key=lambda f: f.path)


def _file_url(endpoint: str, repo_id: str, commit: str, path: str) -> str:
    return f"{endpoint}/{repo_id}/resolve/{quote(commit, safe='')}/{quote(path)}"


class _Progress:
    """Aggregates bytes over the files of one download and forwards them to the caller."""

    def __init__(self, callback: ProgressCallback | None, total: int, cancel: CancelToken | None, name: str):
        self.callback = callback
        self.total = total
        self.done = 0
        self.cancel = cancel
        self.name = name
        self._last = float("-inf")

    def check(self) -> None:
        if self.cancel is None:
            return
        if getattr(self.cancel, "paused", False):
            self.cancel.wait_if_paused()  # raises Cancelled if cancelled while paused
        if self.cancel.cancelled:
            raise Cancelled(
                f"download of {self.name} cancelled; run it again to continue where it stopped"
            )

    def add(self, n: int) -> None:
        self.done += n
        if self.callback is None:
            return
        now = time.monotonic()
        if n < 0 or self.done >= self.total or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.callback(self.done, max(self.total, self.done))


def discard_partial_download(name: str, models_dir: Path) -> bool:
    """Delete the partial files of an interrupted download of ``name``; False if there were none."""
    _, local_name = repo_for(name)
    return discard_staging(Path(models_dir) / f".download-{local_name}", local_name)


def download_model(
    name: str,
    models_dir: Path,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    revision: str = DEFAULT_REVISION,
    force: bool = False,
) -> ModelBundle:
    """Download the model ``name`` into ``models_dir/<name>`` and return its bundle.

    ``progress(done_bytes, total_bytes)`` is called as bytes arrive (bytes
    already on disk from an earlier, interrupted run count as done).
    ``cancel`` (a ``CancelToken``) stops the transfer with ``Cancelled`` and
    keeps the partial files for the next run; pausing the token pauses it.
    An installed model that loads is returned as it is, without network use,
    unless ``force``.  Raises ``DownloadError`` when the hub cannot be reached,
    the repository does not exist or is not a bundle, or what arrived does not
    match the hub's metadata or does not load (nothing is installed then).
    """
    repo_id, local_name = repo_for(name)
    models_dir = Path(models_dir)
    dest = models_dir / local_name
    if dest.is_dir() and not force:
        try:
            bundle = ModelBundle.load(dest)
        except ModelError as e:
            logger.warning("installed model %s is broken (%s); downloading it again", local_name, e)
        else:
            logger.info("model %s is already installed in %s", local_name, dest)
            return bundle

    commit, files = remote_files(repo_id, revision=revision)
    plan = _plan(repo_id, files)
    endpoint = hub_endpoint()

    models_dir.mkdir(parents=True, exist_ok=True)
    staging = models_dir / f".download-{local_name}"
    if staging.is_symlink():  # checked before the lock file is written into it
        raise DownloadError(f"the download folder {staging} is a link out of the models folder; remove it")
    staging.mkdir(exist_ok=True)

    with staging_lock(staging, f"another download of {local_name} is already running"):
        check_targets(plan, models_dir, staging)
        bundle = _download_locked(repo_id, local_name, commit, plan, endpoint, staging, dest, progress, cancel)
    shutil.rmtree(staging, ignore_errors=True)
    return bundle


def _download_locked(
    repo_id: str,
    local_name: str,
    commit: str,
    plan: list[RemoteFile],
    endpoint: str,
    staging: Path,
    dest: Path,
    progress_cb: ProgressCallback | None,
    cancel: CancelToken | None,
) -> ModelBundle:
    import httpx2
    from huggingface_hub.errors import OfflineModeIsEnabled

    # Public name (in huggingface_hub.utils.__all__), but that __all__ is computed, so mypy sees no re-export.
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]

    state = read_state(staging)
    files_dir = staging / "bundle"
    parts_dir = staging / "partial"
    if state is None or state.get("repo_id") != repo_id or state.get("commit") != commit:
        if state is not None:
            logger.info("repository %s changed since the interrupted download; starting again", repo_id)
        for d in (files_dir, parts_dir):
            shutil.rmtree(d, ignore_errors=True)
        write_state(staging, repo_id, commit)

    def on_disk(f: RemoteFile) -> int:
        for p in (files_dir / f.path, parts_dir / f.path):
            if p.exists():
                return p.stat().st_size
        return 0

    total = sum(f.size or 0 for f in plan)
    progress = _Progress(progress_cb, total, cancel, local_name)
    progress.add(sum(on_disk(f) for f in plan))
    headers = build_hf_headers(library_name="photoseek")
    logger.info(
        "downloading %s (%s@%s, %d files, %d bytes) from %s",
        local_name, repo_id, commit[:12], len(plan), total, endpoint,
    )

    for f in plan:
        final = files_dir / f.path
        if final.exists():
            continue  # complete and verified in an earlier run
        part = parts_dir / f.path
        part.parent.mkdir(parents=True, exist_ok=True)
        try:
            fetch(_file_url(endpoint, repo_id, commit, f.path), part, f, progress, headers)
        except (httpx2.HTTPError, OfflineModeIsEnabled) as e:  # before OSError: hub errors are OSErrors too
            err = _translate(e, repo_id, endpoint)
            raise DownloadError(f"{err}; run the download again to continue where it stopped") from e
        except OSError as e:
            raise DownloadError(f"cannot write the download of {local_name} to {staging}: {e}") from e
        problem = verify(part, f)
        if problem is not None:
            progress.add(-part.stat().st_size)
            part.unlink()
            raise DownloadError(
                f"the download of {local_name} is corrupt ({f.path}: {problem}); nothing was installed, try again"
            )
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(part, final)

    progress.check()
    try:
        ModelBundle.load(files_dir)
    except ModelError as e:
        shutil.rmtree(files_dir, ignore_errors=True)
        raise DownloadError(
            f"the files downloaded for {local_name} do not form a usable model bundle ({e}); nothing was installed"
        ) from e
    source = {
        "repo_id": repo_id,
        "revision": commit,
        "endpoint": endpoint,
        "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": [asdict(f) for f in plan],
    }
    (files_dir / SOURCE_FILE).write_text(json.dumps(source, indent=2), encoding="utf-8")
    install_dir(files_dir, dest, replace=dest.exists())
    logger.info("installed model %s in %s", local_name, dest)
    return ModelBundle.load(dest)
