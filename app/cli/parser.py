"""The ``photoseek`` command's arguments (docs/cli.md is the contract)."""

from __future__ import annotations

import argparse
import logging
import logging.handlers
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from indexer import __version__

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    pass


logger = logging.getLogger("app.cli")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}") from None


def _weight(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 (only the photo) and 1 (only the words)")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_place_arguments(p: argparse.ArgumentParser) -> None:
    """``search``'s place flags and ``--explain``."""
    from app.cli.search_terms import near_argument

    p.add_argument("--place", metavar="NAME", help="only photos taken in this place (a city or a country)")
    p.add_argument("--near", type=near_argument, metavar="LAT,LON[,KM]",
                   help="only photos taken within KM (default 25) of this position")
    p.add_argument("--explain", action="store_true",
                   help="print how the query was understood (words, place, dates) on stderr first")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="photoseek",
        description="Find your photos by text, image, sketch, or a photo plus words. Runs locally.",
    )
    parser.add_argument("--library", type=Path, help="library directory (default: $PHOTOSEEK_LIBRARY or the data dir)")
    parser.add_argument("--verbose", "-v", action="store_true", help="log details; show tracebacks on errors")
    parser.add_argument("--version", action="version", version=f"photoseek {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser("gui", help="open the desktop app (the default)")

    p = sub.add_parser("index", help="add folders (if new) and index them now")
    p.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="folders to add (default: every library folder)")
    p.add_argument("--model", help="model name or bundle directory (becomes the library's model)")
    p.add_argument("--no-ocr", action="store_true", help="do not read the text in photos (OCR) this time")

    p = sub.add_parser("watch", help="index all folders, then follow changes until interrupted")
    p.add_argument("--model", help="model name or bundle directory")
    p.add_argument("--polling", action="store_true", help="poll instead of native file events (network shares)")

    p = sub.add_parser("search", help="search the library")
    p.add_argument("text", nargs="?", default="", metavar="TEXT")
    p.add_argument("--image", type=Path, help="find photos like this image (with TEXT: image + edit)")
    p.add_argument("--sketch", type=Path, help="find photos that look like this drawing")
    p.add_argument("--not", dest="negatives", action="append", default=[], metavar="TEXT", help="words to avoid")
    p.add_argument("--weight", type=_weight, help="image + edit: 0 = only the photo, 1 = only the words")
    p.add_argument("--recipe", choices=("weighted_sum", "harris"), help="image + edit fusion recipe")
    p.add_argument("--folder", type=Path, help="only photos inside this folder")
    p.add_argument("--after", type=_date, help="taken on or after this date (YYYY-MM-DD)")
    p.add_argument("--before", type=_date, help="taken before this date (YYYY-MM-DD)")
    p.add_argument("--limit", type=_positive, default=20, help="number of results (default 20; no upper limit)")
    p.add_argument("--min-score", type=float, metavar="S",
                   help="only results scoring at least S (default: all; every hit still says if it is a best match)")
    p.add_argument("--include-self", action="store_true", help="image query: keep the query photo in the results")
    p.add_argument("--model", help="model name or bundle directory")
    p.add_argument("--contains", default="", metavar="WORDS",
                   help='only photos whose text shows all these words ("quotes" for a phrase)')
    p.add_argument("--json", action="store_true", help="print a JSON array of {path, score, rank}")
    p.add_argument("--person", action="append", default=[], metavar="NAME",
                   help="only photos with this person (repeat: all of them in the photo)")
    add_place_arguments(p)

    p = sub.add_parser("status", help="counts of photos, indexed, pending and failed")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("failures", help="files that could not be indexed, with reasons")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("folders", help="list, add or remove watched folders")
    fsub = p.add_subparsers(dest="folders_command", metavar="ACTION", required=True)
    fl = fsub.add_parser("list")
    fl.add_argument("--json", action="store_true")
    fsub.add_parser("add").add_argument("path", type=Path)
    fsub.add_parser("remove").add_argument("path", type=Path)

    p = sub.add_parser("models", help="list, download, import, use, quantize or export models")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    ml = msub.add_parser("list", help="known and installed models; * marks the library's model")
    ml.add_argument("--json", action="store_true")
    msub.add_parser("download", help="download a known model (or a Hugging Face owner/repo)").add_argument(
        "name", help="a known model name (see `photoseek models list`) or owner/repo")
    mi = msub.add_parser("import", help="install a model bundle directory you have")
    mi.add_argument("dir", type=Path)
    mi.add_argument("--name", help="install under this name (default: the directory's name)")
    mi.add_argument("--force", action="store_true", help="replace an installed model of the same name")
    msub.add_parser("use", help="make a model the library's model (embedded by the next index or watch)").add_argument(
        "name", help="an installed model name or a bundle directory")
    mq = msub.add_parser("quantize", help="write an int8 copy of a model's visual tower")
    mq.add_argument("name")
    mq.add_argument("--force", action="store_true", help="replace an existing int8 copy")
    me = msub.add_parser("export", help="export an open_clip model (needs photoseek[export])")
    me.add_argument("arch")
    me.add_argument("--pretrained", help="open_clip pretrained tag (omit for random weights)")
    me.add_argument("out", type=Path)

    sub.add_parser("rebuild", help="rebuild the vector index from the stored vectors")

    p = sub.add_parser("duplicates", help="find copies, re-saves and bursts; --trash cleans them up")
    p.add_argument("--kind", choices=("exact", "near", "burst"), help="only groups of this kind (default: all)")
    p.add_argument("--folder", type=Path, help="only photos inside this folder")
    p.add_argument("--json", action="store_true", help="print a JSON list of groups")
    p.add_argument("--trash", action="store_true", help="move the photos not kept to the system trash (asks first)")
    p.add_argument("--yes", action="store_true", help="with --trash: do not ask")
    p = sub.add_parser("cleanups", help="the duplicate clean-ups done so far (for undo)")
    p.add_argument("--json", action="store_true")
    p = sub.add_parser("undo", help="put back the photos of the latest clean-up (or clean-up ID) from the trash")
    p.add_argument("id", nargs="?", type=_positive, metavar="ID", help="a clean-up number (see photoseek cleanups)")

    from app.cli.people import add_people_parser

    add_people_parser(sub)
    return parser
