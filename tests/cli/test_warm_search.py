"""`photoseek search` and `status` answered by a running Photoseek: the same output as cold, or cold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from indexer import local_channel
from tests.support.cli import ROOT, cli_env, run_photoseek
from tests.support.template import TemplateLibrary, copy_template

pytestmark = pytest.mark.skipif(not local_channel.supported(), reason="no Unix sockets on this platform")

WARM = "answered by the Photoseek running on"


@pytest.fixture(scope="module")
def warm_library(tmp_path_factory, template_library) -> TemplateLibrary:
    return copy_template(template_library, tmp_path_factory.mktemp("warm") / "t")


class Running:
    """A process holding the library and serving its channel (see tests/support/warm_server.py)."""

    def __init__(self, library: Path, mode: str = "serve"):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.warm_server", str(library), mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=cli_env(),
                                     cwd=ROOT)
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        """Close its input (it stops, if it has not died already), wait for it, and close its output pipe."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        finally:
            self.proc.stdout.close()


def photoseek(*args: str, library: Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    if cwd is None:
        return run_photoseek("--verbose", *args, library=library)
    return subprocess.run([sys.executable, "-m", "app.cli", "--library", str(library), "--verbose", *args],
                          capture_output=True, text=True, env=cli_env(), cwd=cwd, timeout=240)


def printed(stderr: str) -> list[str]:
    """What the command printed on stderr, without the log lines of ``--verbose``."""
    return [line for line in stderr.splitlines() if not line.startswith(("DEBUG:", "INFO:", "WARNING:"))]


QUERIES = [
    ("search", "a red circle", "--json", "--limit", "7"),
    ("search", "sunset", "--not", "people", "--limit", "100"),  # text output
    ("search", "sunset", "--folder", "My Photos/album2", "--json"),  # a relative path: from the caller's cwd
    ("search", "--image", "My Photos/copies/seven_small.jpg", "--json"),
    ("search", "sunset", "--after", "2090-01-01"),  # no results: "no results" on stderr
    ("search", "sunset", "--folder", "/nowhere/at/all"),  # a usage error, exit code 2
    ("status",),
    ("status", "--json"),
]


def test_warm_answers_are_the_cold_answers(warm_library):
    lib, cwd = warm_library.library, warm_library.root
    cold = [photoseek(*q, library=lib, cwd=cwd) for q in QUERIES]
    assert all(WARM not in c.stderr for c in cold)
    running = Running(lib)
    try:
        warm = [photoseek(*q, library=lib, cwd=cwd) for q in QUERIES]
    finally:
        running.stop()
    for q, c, w in zip(QUERIES, cold, warm):
        assert WARM in w.stderr, (q, w.stderr)
        assert (w.returncode, w.stdout) == (c.returncode, c.stdout), q
        assert printed(w.stderr) == printed(c.stderr), q
    assert len(json.loads(warm[0].stdout)) == 7
    assert warm[5].returncode == 2


def test_a_server_that_dies_mid_query_leaves_the_search_to_the_command(warm_library):
    lib = warm_library.library
    cold = photoseek("search", "a red circle", "--json", library=lib)
    dying = Running(lib, "die")
    try:
        answered = photoseek("search", "a red circle", "--json", library=lib)
        assert dying.proc.wait(timeout=60) == 3  # it died reading the request
    finally:
        dying.stop()
    assert answered.returncode == 0 and WARM not in answered.stderr
    assert answered.stdout == cold.stdout and json.loads(answered.stdout)


def test_photoseek_watch_answers_while_it_runs(warm_library):
    lib = warm_library.library
    with subprocess.Popen([sys.executable, "-m", "app.cli", "--library", str(lib), "watch"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=cli_env(), cwd=ROOT) as watch:
        try:
            socket_file = local_channel.channel_path(lib)
            deadline = time.monotonic() + 120
            answered = photoseek("status", "--json", library=lib)  # cold until watch listens (a stale socket may be left)
            while WARM not in answered.stderr and time.monotonic() < deadline and watch.poll() is None:
                time.sleep(0.2)
                answered = photoseek("status", "--json", library=lib)
            assert WARM in answered.stderr and json.loads(answered.stdout)["photos"] == warm_library.count
        finally:
            watch.terminate()
            assert watch.wait(timeout=60) == 0
    assert not socket_file.exists()  # removed when it stopped


def test_a_server_of_another_library_is_never_believed(warm_library, template_library, tmp_path):
    """Library B's socket file is a hard link to library A's socket: B's command reaches A's server,
    which refuses, and the command answers from B itself."""
    other = copy_template(template_library, tmp_path / "b")
    running = Running(warm_library.library)
    try:
        os.link(local_channel.channel_path(warm_library.library), local_channel.channel_path(other.library))
        answered = photoseek("status", "--json", library=other.library)
        own = photoseek("status", "--json", library=warm_library.library)
    finally:
        running.stop()
    assert WARM not in answered.stderr and "another library" in answered.stderr
    assert json.loads(answered.stdout)["library"] == str(other.library)
    assert WARM in own.stderr and json.loads(own.stdout)["library"] == str(warm_library.library)
