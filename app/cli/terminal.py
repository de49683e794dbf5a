"""What the command line shows: logging to the terminal and the log file, progress bars, JSON, paths."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from app.escaping import EscapingFormatter, shown
from app.log_file import PrivateLogFile

if TYPE_CHECKING:  # annotations only: `photoseek --version` need not import numpy, Pillow, ONNX Runtime
    from indexer.progress import Progress


logger = logging.getLogger("app.cli")

__all__ = ["EscapingFormatter", "configure_logging", "download_bar", "print_json", "progress_bar", "shown"]


def configure_logging(verbose: bool, library: Path | None) -> None:
    """Log to the terminal (warnings; everything with ``verbose``) and, given a ``library``, to its log file."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.DEBUG if verbose else logging.WARNING)
    console.setFormatter(EscapingFormatter("%(levelname)s: %(message)s"))
    # Decoder warnings (Pillow's "Corrupt EXIF data", one per odd file) go to the log file, not the terminal.
    logging.captureWarnings(True)
    if not verbose:
        console.addFilter(lambda record: record.name != "py.warnings")
    root.addHandler(console)
    if library is not None and library.is_dir():
        # opened at the first record, never through a link, only in a folder of this user that no one
        # else may write (a library refused on opening is left untouched)
        fh = PrivateLogFile(library / "photoseek.log")
        fh.setLevel(logging.INFO)
        fh.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)


def progress_bar(progress: Iterator[Progress]) -> Progress | None:
    """Drain a progress generator, drawing a bar on stderr when it is a terminal."""
    bar = None
    last: Progress | None = None
    tty = sys.stderr.isatty()
    try:
        for p in progress:
            last = p
            if not tty or not p.phase.busy or not p.total:
                continue
            if bar is not None and bar.desc != p.phase.name:  # a new stage: a new bar
                bar.close()
                bar = None
            if bar is None:
                from tqdm import tqdm

                bar = tqdm(total=p.total, unit="photo", desc=p.phase.name, file=sys.stderr, dynamic_ncols=True)
            bar.n = p.done
            bar.set_postfix_str(f"{p.failed} failed" if p.failed else "", refresh=False)
            bar.refresh()
    finally:
        if bar is not None:
            bar.close()
    return last


def download_bar(name: str):
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(unit="B", unit_scale=True, unit_divisor=1024, desc=shown(name), file=sys.stderr)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def print_json(data, out: TextIO | None = None) -> None:
    """``data`` as one line of JSON on ``out`` (default: stdout)."""
    (out or sys.stdout).write(json.dumps(data, ensure_ascii=True, indent=None) + "\n")
