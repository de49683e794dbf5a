"""The folder filter of a search: a folder that cannot match any photo is refused, saying why."""

from __future__ import annotations

from pathlib import Path

from indexer.catalog_reading import CatalogReading
from indexer.errors import UsageError


def check_folder(catalog: CatalogReading, folder: Path | None) -> None:
    """Refuse a folder filter that cannot match any photo, saying why (rather than finding nothing)."""
    if folder is None:
        return
    folder = Path(folder).expanduser().absolute()
    try:
        is_file = folder.exists() and not folder.is_dir()
    except (OSError, ValueError):  # a name too long, or with a NUL: no photo lives there
        is_file = False
    if is_file:
        raise UsageError(f"{folder} is a file, not a folder: filter by its folder, {folder.parent}")
    rows = catalog.folders()

    def related(path: Path) -> list[Path]:
        return [r.path for r in rows if r.path == path or r.path in path.parents or path in r.path.parents]

    if not related(folder):
        if not rows:
            raise UsageError(f"{folder} is not in the library: the library has no folders yet")
        listed = ", ".join(str(r.path) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
        try:
            real = folder.resolve()
        except (OSError, RuntimeError, ValueError):
            real = folder
        if real != folder and related(real):
            raise UsageError(f"{folder} leads to {real}: filter by that path, which is in the library")
        raise UsageError(f"{folder} is not in the library, so no photo can match; the library's folders: {listed}")
    if not any(r.online for r in rows if r.path in related(folder)):
        raise UsageError(
            f"{folder} is offline (its library folder is missing or unplugged): its photos are left out "
            "of searches until it is back"
        )
    holders = [p for p in related(folder) if p in folder.parents]
    try:
        gone = bool(holders) and not folder.exists() and any(p.is_dir() for p in holders)
    except (OSError, ValueError):
        gone = False
    if gone:  # inside a library folder that is there: the subfolder itself is missing
        raise UsageError(f"folder {folder} does not exist")
