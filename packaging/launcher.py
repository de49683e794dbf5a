"""Entry point of the frozen Photoseek bundle (PyInstaller runs this file).

``photoseek`` with no arguments opens the desktop app; with arguments it is
the full command line (``app.cli.main``), exactly as the pip-installed
``photoseek`` script.  Kept tiny: everything else lives in ``indexer`` and
``app``.
"""

from __future__ import annotations

import multiprocessing
import sys


def main() -> int:
    multiprocessing.freeze_support()  # harmless today; keeps a future process pool working when frozen
    # Finder on old macOS versions passes "-psn_0_12345" to apps it launches.
    argv = [a for a in sys.argv[1:] if not a.startswith("-psn_")]
    from app.cli import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
