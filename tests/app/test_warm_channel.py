"""The desktop app answers `photoseek status|search` for its library while it runs, off the GUI thread."""

from __future__ import annotations

import json

import pytest

from app.cli.parser import build_parser
from app.cli.warm_client import warm_request
from app.cli.warm_server import serve_library
from indexer import local_channel
from indexer.status import LibraryStatus

pytestmark = [pytest.mark.gui,
              pytest.mark.skipif(not local_channel.supported(), reason="no Unix sockets on this platform")]


def request(*argv: str) -> dict:
    args = build_parser().parse_args(list(argv))
    args.argv = list(argv)
    out = warm_request(args)
    assert out is not None
    return out


def test_the_app_answers_on_its_library_channel_and_stops_with_it(qtbot, ui_settings, library_dir):
    from app.application import PhotoseekApp

    app = PhotoseekApp(library_dir, ui_settings=ui_settings, first_run=False, watch=False, serve=serve_library)
    qtbot.addWidget(app.window)
    with qtbot.waitSignal(app.ready, timeout=20000) as ready:
        app.start()
    status: LibraryStatus = ready.args[0]
    try:
        # This (the GUI) thread waits in `ask`: the answers can only come from another thread.
        answer = local_channel.ask(library_dir, request("status", "--json"), timeout=30)
        assert answer["exit"] == 0 and json.loads(answer["stdout"])["photos"] == status.photos
        hits = local_channel.ask(library_dir, request("search", "a red circle", "--json", "--limit", "5"), timeout=30)
        assert hits["exit"] == 0 and len(json.loads(hits["stdout"])) == 5
    finally:
        app.window.close()
        app.shutdown()
    assert not local_channel.channel_path(library_dir).exists()  # the app stopped answering when it closed
