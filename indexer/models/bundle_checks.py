"""Checks on a model bundle's files, for ``ModelBundle.load``: a bundle is untrusted data.

Each check raises one ``ModelError`` that names the bundle and the problem:

- ``read_json``: a JSON file read with a size limit (never read whole when too
  large), whose nesting depth fails cleanly, and which must hold an object;
- ``check_tower_trees``: everything under ``visual/`` and ``textual/`` is a
  plain file or folder (no links, devices or pipes), and not too many of them;
- ``check_external_data``: every external-data file an ONNX graph names is a
  plain file inside the bundle, reached without a link;
- ``check_tokenizer_kwargs``: open_clip's tokenizer options name a known cleaner;
- ``size_ok``: a size that decides an allocation is a whole number in bounds.

The checks on paths themselves are ``safe_paths``'s; the bundle's layout and
the checks on its ONNX graphs are in ``bundle``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from indexer.errors import ModelError
from indexer.models.safe_paths import entry_problem, open_regular, regular_file_problem, relative_path_problem
from indexer.models.tokenizer import CLEANERS

MAX_TOWER_ENTRIES = 10_000  # files and folders under visual/ and textual/
TOWER_DIRS = ("visual", "textual")
OTHER_RUNTIMES = (".armnn", ".rknn")  # files for other runtimes that Immich ships beside the towers; never read


def size_ok(value: Any, low: int, high: int) -> bool:
    """Whether ``value`` is a whole number (not a bool, not a float) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def read_json(root: Path, rel: str, *, limit: int) -> dict[str, Any]:
    """The JSON object in the bundle file ``rel``, read only up to ``limit`` bytes; any nesting depth fails cleanly."""
    try:
        with open_regular(root / rel) as fh:
            raw = fh.read(limit + 1)
        if len(raw) > limit:
            size = f"{limit >> 20} MB" if limit >= 1 << 20 else f"{limit} bytes"
            raise ModelError(f"model bundle {root}: {rel} is larger than {size}; it cannot be a valid file")
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(f"model bundle {root}: cannot read {rel}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ModelError(f"model bundle {root}: {rel} is not valid JSON ({exc})") from exc
    except RecursionError:
        raise ModelError(f"model bundle {root}: {rel} is nested too deeply to be a valid file") from None
    if not isinstance(data, dict):
        raise ModelError(f"model bundle {root}: {rel} must hold a JSON object")
    return data


def not_regular(root: Path, rel: str, problem: str) -> ModelError:
    """The error for a bundle file ``rel`` that is not a plain file (``problem`` says why)."""
    hint = "; a bundle must hold its own files (replace links with copies of the files they point to)"
    return ModelError(f"model bundle {root}: {rel} {problem}{hint if 'link' in problem else ''}")


def check_tower_trees(root: Path) -> None:
    """Everything under ``visual/`` and ``textual/`` is a plain file or folder (weights are hashed and read from there).

    Other runtimes' files (``*.armnn``, ``*.rknn``) are never read and are not looked at.
    """
    seen = 0
    pending = list(TOWER_DIRS)
    while pending:
        rel_dir = pending.pop()
        try:
            with os.scandir(root / rel_dir) as it:
                entries = list(it)
        except OSError as exc:
            raise ModelError(f"model bundle {root}: cannot list {rel_dir}: {exc.strerror or exc}") from exc
        for entry in entries:
            if entry.name.endswith(OTHER_RUNTIMES):
                continue
            seen += 1
            if seen > MAX_TOWER_ENTRIES:
                raise ModelError(f"model bundle {root}: the tower folders hold more than {MAX_TOWER_ENTRIES} files")
            rel = f"{rel_dir}/{entry.name}"
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                raise ModelError(f"model bundle {root}: cannot read {rel}: {exc.strerror or exc}") from exc
            problem = entry_problem(st)
            if problem is not None:
                raise not_regular(root, rel, problem)
            if entry.is_dir(follow_symlinks=False):
                pending.append(rel)


def check_external_data(root: Path, rel: str, locations: tuple[str, ...]) -> None:
    """Every external-data file the graph ``rel`` names must be a regular file inside the bundle.

    ONNX Runtime reads a location relative to the graph's directory; a
    location that is absolute, climbs out with ``..``, uses a drive or a
    backslash, passes through a link or is not a plain file could make it
    read any file the user can read (an SSH key, ``/dev/zero``).
    """
    folder = rel.rpartition("/")[0]
    for location in dict.fromkeys(locations):
        problem = relative_path_problem(location)
        if problem is None:
            problem = regular_file_problem(root, f"{folder}/{location}" if folder else location)
        if problem is None:
            target = (root / folder / location).resolve()
            if root != target and root not in target.parents:
                problem = "is outside the bundle"
        if problem is not None:
            raise ModelError(
                f"model bundle {root}: {rel} names the external data file {location!r}, which {problem}; "
                "a graph's weights must be plain files inside its bundle"
            )


def check_tokenizer_kwargs(root: Path, config_file: str, kwargs: Any) -> None:
    """open_clip's ``text_cfg.tokenizer_kwargs`` (from ``config_file``): only ``clean`` is used,
    and it must name a known cleaner."""
    if kwargs is None:
        return
    where = f"model bundle {root}: text_cfg.tokenizer_kwargs in {config_file}"
    if not isinstance(kwargs, dict):
        raise ModelError(f"{where} must be an object, not {type(kwargs).__name__}")
    clean = kwargs.get("clean")
    if clean is not None and (not isinstance(clean, str) or clean not in CLEANERS):
        raise ModelError(f"{where}: clean {clean!r} is not one of {', '.join(CLEANERS)}")
