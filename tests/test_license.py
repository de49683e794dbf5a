"""The licence is there and agrees with the package metadata; the README names what bundled parts are under."""

from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, from PyPI
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def test_the_license_file_is_the_one_pyproject_names():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert declared == {"text": "MIT"}
    assert text.startswith("MIT License") and "Permission is hereby granted, free of charge" in text


def test_the_readme_lists_the_licences_of_bundled_models_and_data():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Licence\n", 1)[1].split("\n## ", 1)[0]
    assert "[LICENSE](LICENSE)" in section
    for part, licence in (("PP-OCR", "Apache-2.0"), ("GeoNames", "CC BY 4.0"), ("PySide6", "LGPL-3.0")):
        line = next(line for line in section.splitlines() if part in line)
        assert licence in line, line
