"""A process that holds a library and answers commands on its local channel, for the tests.

    python -m tests.support.warm_server LIBRARY serve   # answers like the app and `photoseek watch`
    python -m tests.support.warm_server LIBRARY die     # reads each request, then dies without answering

Prints ``ready`` once it listens; stops (``serve``) when its stdin closes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from app.cli.warm_server import serve_library
from indexer.library import Library
from indexer.local_channel import ChannelServer


def _die(request: dict) -> dict:
    os._exit(3)  # mid-query: the request was read, no answer will come


def main(library: Path, mode: str) -> int:
    with Library.open(library) as lib:
        if mode == "die":
            server: ChannelServer | None = ChannelServer(lib.path, _die)
            server.start()
        else:
            server = serve_library(lib)
        assert server is not None
        print("ready", flush=True)
        sys.stdin.read()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), sys.argv[2]))
