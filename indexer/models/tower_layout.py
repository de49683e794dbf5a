"""A copy of a bundle's text tower laid out for fast loading, kept in the user's cache folder.

Every cold ``photoseek search`` loads the text tower.  Bundles usually hold a tower as one
``model.onnx`` with its weights inside (Immich's, and the exporter's), and ONNX Runtime copies those
weights out of the parsed file when it creates the session: 0.6-0.9 s for ViT-B-32's 254 MB text
tower on this project's 2-core machine.  The same graph with its weights in an external data file
loads in 0.25-0.4 s (measured: docs/performance.md, "Cold search"), with bit-identical outputs.

So the first cold search of a bundle, after its results are printed, asks ONNX Runtime to write the
tower again with external weights (the graph itself unchanged: no optimisation is baked in, so the
copy is portable across CPUs) into ``<cache>/tower-layouts/<files stamp>-textual/``; later
searches load that copy.  The copy is trusted only while

- the bundle's files are the ones it was made from (their ``files_stamp``: any rewrite or
  replacement of a bundle file changes it), and
- its own two files are the ones written (size, mtime, ctime and inode recorded in ``layout.json``
  when written: whatever rewrites them moves their ctime), and
- the ONNX Runtime is the one that wrote it;

otherwise the bundle's own file is loaded, as always.  Only the newest ``KEEP`` copies are kept
(about 250 MB each for ViT-B-32), and a copy is only written where four times its size is free; the
folder is always safe to delete.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

from indexer import paths

logger = logging.getLogger(__name__)

FOLDER = "tower-layouts"
KEEP = 2
MIN_FREE_FACTOR = 4  # a copy is written only where four times its size is free
GRAPH = "model.onnx"
WEIGHTS = "model.onnx.data"
RECORD = "layout.json"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TOWERS = ("textual",)


def _folder(stamp: str, which: str) -> Path | None:
    if not _HEX64.fullmatch(stamp) or which not in _TOWERS:
        return None
    return paths.cache_dir() / FOLDER / f"{stamp}-{which}"


def _file_identity(path: Path) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _runtime() -> str:
    import onnxruntime

    return str(onnxruntime.__version__)


def fast_graph(stamp: str, which: str) -> Path | None:
    """The fast-loading copy of tower ``which`` of the bundle files with ``stamp``, when one is there
    and still exactly what was written; else None."""
    folder = _folder(stamp, which)
    if folder is None:
        return None
    try:
        with open(folder / RECORD, "rb") as f:
            raw = f.read(4096)
        record = json.loads(raw)
        files = record["files"]
        if record.get("onnxruntime") != _runtime() or record.get("stamp") != stamp:
            return None
        for name in (GRAPH, WEIGHTS):
            if files.get(name) != _file_identity(folder / name):
                return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return folder / GRAPH


def write_fast_graph(source: Path, stamp: str, which: str) -> Path | None:
    """Write the fast-loading copy of ``source`` (tower ``which`` of the bundle files with ``stamp``);
    returns its graph, or None when it could not be written (then nothing is left behind).

    Costs about as much as loading the tower once (ONNX Runtime loads it to write it again)."""
    folder = _folder(stamp, which)
    if folder is None:
        return None
    if fast_graph(stamp, which) is not None:
        return folder / GRAPH
    import onnxruntime as ort

    try:
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        free = shutil.disk_usage(folder.parent).free
        if free < MIN_FREE_FACTOR * source.stat().st_size:  # never the copy that fills the user's disk
            logger.info("not keeping a fast-loading copy of %s: %d MB free in %s", source, free >> 20, folder.parent)
            return None
        work = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    except OSError as exc:
        logger.info("cannot keep a fast-loading copy of %s: %s", source, exc)
        return None
    try:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # the graph as it is
        options.optimized_model_filepath = str(work / GRAPH)
        options.add_session_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS)
        options.add_session_config_entry("session.optimized_model_external_initializers_min_size_in_bytes", "1024")
        ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
        record = {"stamp": stamp, "onnxruntime": _runtime(), "source": str(source),
                  "files": {name: _file_identity(work / name) for name in (GRAPH, WEIGHTS)}}
        (work / RECORD).write_text(json.dumps(record))
        if folder.exists():  # another process wrote it meanwhile
            shutil.rmtree(work)
        else:
            os.replace(work, folder)
    except Exception as exc:  # noqa: BLE001 - ORT's own errors, a full disk: only the speed-up is lost
        logger.info("cannot keep a fast-loading copy of %s: %s", source, exc)
        shutil.rmtree(work, ignore_errors=True)
        return None
    _prune(folder.parent)
    return fast_graph(stamp, which)


def _prune(parent: Path) -> None:
    """Keep only the ``KEEP`` newest copies (by when they were written)."""
    try:
        copies = sorted((p for p in parent.iterdir() if not p.name.startswith(".") and (p / RECORD).is_file()),
                        key=lambda p: (p / RECORD).stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in copies[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
