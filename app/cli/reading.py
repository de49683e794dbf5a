"""What the reading commands ``search`` and ``status`` ask and print.

Shared by the cold path (``commands.py``, which opens a ``LibraryReader`` itself) and the warm
one (``warm_server.py``, which answers for a running Photoseek), so both print the same thing.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, TextIO

from app.cli.terminal import print_json, shown
from indexer.errors import UsageError
from indexer.status import LibraryStatus

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    from indexer.library_reader import LibraryReader
    from indexer.search import Hit


def check_search_args(args: argparse.Namespace) -> None:
    """The usage errors of ``search`` that need no library (checked before anything is loaded)."""
    if not (args.text.strip() or args.image or args.sketch or args.place or args.near or args.contains.strip()
            or getattr(args, "person", None)):
        raise UsageError("search needs TEXT, --image, --sketch, --contains, --place, --near or --person")
    if args.image and args.sketch:
        raise UsageError("use --image or --sketch, not both")


def run_search(reader: LibraryReader, args: argparse.Namespace, err: TextIO) -> list[Hit]:
    """What ``photoseek search`` finds: the query its arguments ask for (``search_terms.search_query``),
    understood by the core and, with ``--explain``, how it was understood written to ``err`` first."""
    from app.cli.search_terms import search_query, understood

    check_search_args(args)
    query = search_query(args)
    reader.prepare(query)  # the model towers load while the vector index does
    query, explained = understood(args, reader, query)
    if args.explain:
        err.write(f"{shown(explained)}\n")
        err.flush()
    return reader.search(query)


def keep_fast_text_layout(reader: LibraryReader, args: argparse.Namespace) -> None:
    """After a cold search that loaded the text tower: keep the copy of it that loads faster next time
    (written once per model; ``indexer/models/tower_layout.py``)."""
    if args.text.strip() or args.negatives:
        reader.keep_fast_text_layout()


def write_hits(hits: list[Hit], args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
    """What ``photoseek search`` prints for ``hits``."""
    if args.json:
        print_json([h.to_json() for h in hits], out)
    else:
        for h in hits:
            out.write(f"{h.rank:>3}  {h.score:.4f}  {shown(h.path)}\n")
        if not hits:
            err.write("no results\n")


def write_status(status: LibraryStatus, read_only: bool, args: argparse.Namespace, out: TextIO) -> None:
    """What ``photoseek status`` prints."""
    if args.json:
        print_json(status.to_json(), out)
    else:
        for key in ("photos", "indexed", "pending", "failed", "folders"):
            out.write(f"{key:>8}: {shown(getattr(status, key))}\n")
        if status.model:
            out.write(f"{'model':>8}: {shown(status.model)}\n")
        else:
            from app.cli.model_names import no_model_line

            out.write(f"{'model':>8}: {no_model_line()}\n")
        for key in ("ocr_done", "ocr_pending"):
            out.write(f"{key:>8}: {shown(getattr(status, key))}\n")
        for folder in status.offline_folders:
            out.write(f" offline: {shown(folder)}\n")
        if read_only:
            out.write(" library: read-only (it can be searched, but not indexed or changed)\n")
