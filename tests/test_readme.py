"""The README's commands are true: CI runs its test command, and every CLI command is documented."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from indexer.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _setup_commands() -> list[str]:
    section = README.split("## Setup", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    install, test = _setup_commands()
    assert "photoseek" in install and "pip install" in install
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci


def test_extras_named_in_readme_exist():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for name in re.findall(r"\.\[(\w+)\]", README):
        assert name in extras, name


def test_every_cli_command_is_documented():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, subparser in sub.choices.items():
        assert f"photoseek {name}" in README, name
        for action in subparser._actions:
            if action.dest in ("folders_command", "models_command"):
                for verb in action.choices:
                    assert verb in README, f"{name} {verb}"


def test_screenshots_in_readme_exist():
    for rel in re.findall(r"\]\((docs/screenshots/[^)]+)\)", README):
        assert (ROOT / rel).is_file(), rel
