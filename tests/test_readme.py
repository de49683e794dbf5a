"""The README is true: its setup commands are the ones CI runs, every `photoseek` command line in
it is one the command accepts (and together they show every command), and what it links to exists."""

from __future__ import annotations

import argparse
import importlib
import re
import shlex
import sys
from pathlib import Path

import pytest

from app.cli import COMMANDS, build_parser

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CODE_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def _setup_commands() -> list[str]:
    section = README.split("\n## Setup\n", 1)[1].split("\n## ", 1)[0]
    return [body.strip() for lang, body in CODE_BLOCK.findall(section) if lang == "bash"]


def _command_lines() -> list[str]:
    """Every `photoseek ...` command in the README's code blocks, comments dropped, alternatives
    (``folders list|add PATH|remove PATH``) expanded into one command each."""
    lines = []
    for _, body in CODE_BLOCK.findall(README):
        for raw in body.splitlines():
            for part in raw.split("&&"):
                words = shlex.split(part, comments=True)
                if not words or words[0] != "photoseek":
                    continue
                alt = next((i for i, w in enumerate(words) if "|" in w), None)
                if alt is None:
                    lines.append(shlex.join(words))
                    continue
                head = shlex.join(words[:alt])
                for choice in " ".join(words[alt:]).split("|"):
                    lines.append(f"{head} {choice.strip()}")
    return lines


def _parse(line: str) -> argparse.Namespace:
    try:
        return build_parser().parse_args(shlex.split(line)[1:])
    except SystemExit as exc:  # argparse reports the problem on stderr and exits
        raise AssertionError(f"the README shows a command the parser refuses: {line}") from exc


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    install, test = _setup_commands()
    assert install == "pip install -e . && photoseek"
    assert test == "pip install -e '.[test]' && python -m pytest"
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    assert test in ci_lines  # run as one line, word for word (not only mentioned in a comment)
    # The install command's `photoseek` is the console script, and with no arguments it opens the app.
    module, _, func = PYPROJECT["project"]["scripts"]["photoseek"].partition(":")
    assert callable(getattr(importlib.import_module(module), func))
    assert _parse(install.split("&&")[1].strip()).command is None  # main() runs `gui` then


def test_extras_named_in_readme_exist():
    extras = PYPROJECT["project"]["optional-dependencies"]
    named = set(re.findall(r"\.\[(\w+)\]", README)) | set(re.findall(r"photoseek\[(\w+)\]", README))
    assert {"test", "gpu", "export", "packaging"} <= named
    assert named <= set(extras), sorted(named - set(extras))


@pytest.mark.parametrize("line", _command_lines())
def test_every_command_line_in_the_readme_parses(line):
    args = _parse(line)
    assert args.command is None or args.command in COMMANDS


def test_the_readme_shows_every_command_and_action():
    shown: set[tuple[str, ...]] = set()
    for line in _command_lines():
        args = _parse(line)
        action = (getattr(args, "folders_command", None) or getattr(args, "models_command", None)
                  or getattr(args, "people_command", None))
        shown.add((args.command or "gui",) + ((action,) if action else ()))
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    expected: set[tuple[str, ...]] = set()
    for name, subparser in sub.choices.items():
        actions = [a for a in subparser._actions if isinstance(a, argparse._SubParsersAction)]
        expected |= {(name, verb) for a in actions for verb in a.choices} if actions else {(name,)}
    assert len(expected) > 15
    assert expected - shown == set()


def test_files_the_readme_links_or_names_exist():
    links = [t for t in re.findall(r"\]\(([^)\s]+)\)", README) if not re.match(r"[a-z]+:|#", t)]
    named = [p.replace("\\", "/") for p in re.findall(
        r"(?<![\w/.-])((?:docs|packaging|scripts|tests|indexer|app|resources)(?:[/\\][\w.-]+)+)", README)]
    assert "docs/ARCHITECTURE.md" in links and "packaging/smoke_test.sh" in named
    missing = sorted({p for p in links + named if not (ROOT / p.split("#")[0]).exists()})
    assert missing == []
