"""Build the Photoseek one-folder bundle with PyInstaller and report what was built.

    python packaging/build.py [--clean] [--archive] [--dist DIR] [--work DIR]

Runs ``packaging/photoseek.spec`` (one spec for Linux, Windows and macOS) in
the current Python environment, so the bundle contains exactly what that
environment has installed (``pip install -e '.[packaging]'`` first; for the
GPU build replace ``onnxruntime`` with ``onnxruntime-gpu``).  PyInstaller is
installed with pip when it is missing.

The result lands in ``dist/photoseek/`` (``dist/Photoseek.app`` too on macOS);
the script prints its path, size and file count, and checks that
``photoseek --version`` runs.  ``--archive`` also writes
``dist/photoseek-<version>-<platform>.tar.gz`` (``.zip`` on Windows).  The
last line of output is a JSON summary (for scripts and the slow test).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "photoseek.spec"
NAME = "photoseek"


def version() -> str:
    text = (ROOT / "indexer" / "__init__.py").read_text(encoding="utf-8")
    return re.search(r'__version__\s*=\s*"([^"]+)"', text).group(1)


def platform_tag() -> str:
    system = {"win32": "windows", "darwin": "macos"}.get(sys.platform, sys.platform.rstrip("0123456789"))
    return f"{system}-{platform.machine().lower()}"


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``, not following links."""
    total = files = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            p = Path(dirpath) / name
            if not p.is_symlink():
                total += p.stat().st_size
                files += 1
    return total, files


def executable(bundle: Path) -> Path:
    return bundle / (f"{NAME}.exe" if sys.platform == "win32" else NAME)


def ensure_pyinstaller() -> None:
    if importlib.util.find_spec("PyInstaller") is None:
        print("PyInstaller is not installed; installing it: pip install 'pyinstaller>=6.5'", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "pyinstaller>=6.5"], check=True)


def run_pyinstaller(dist: Path, work: Path, *, clean: bool) -> None:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work)]
    if clean:
        cmd.append("--clean")
    cmd.append(str(SPEC))
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def add_linux_files(bundle: Path) -> None:
    """The installer script travels inside the bundle (it also uninstalls from there)."""
    for name in ("install.sh", "make_appdir.sh"):
        dest = bundle / name
        shutil.copy2(ROOT / "packaging" / "linux" / name, dest)
        dest.chmod(0o755)


def time_version(exe: Path) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"build.py: {exe} --version failed ({proc.returncode}):\n{proc.stderr}")
    return elapsed, proc.stdout.strip()


def archive(bundle: Path, dist: Path) -> Path:
    base = dist / f"{NAME}-{version()}-{platform_tag()}"
    fmt = "zip" if sys.platform == "win32" else "gztar"
    return Path(shutil.make_archive(str(base), fmt, root_dir=bundle.parent, base_dir=bundle.name))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Photoseek one-folder bundle (PyInstaller).")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder (default: build/pyinstaller/)")
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's caches first")
    parser.add_argument("--archive", action="store_true", help="also pack the bundle as .tar.gz / .zip")
    args = parser.parse_args(argv)
    dist, work = args.dist.resolve(), args.work.resolve()

    ensure_pyinstaller()
    started = time.monotonic()
    run_pyinstaller(dist, work, clean=args.clean)
    build_s = time.monotonic() - started

    bundle = dist / NAME
    exe = executable(bundle)
    if not exe.is_file():
        raise SystemExit(f"build.py: PyInstaller finished but {exe} is missing")
    if sys.platform.startswith("linux"):
        add_linux_files(bundle)
    size, files = tree_size(bundle)
    version_s, version_text = time_version(exe)

    summary = {"bundle": str(bundle), "executable": str(exe), "size_bytes": size, "files": files,
               "build_seconds": round(build_s, 1), "version": version_text,
               "version_seconds": round(version_s, 3)}
    print(f"\nbuilt {version_text} in {build_s:.0f} s")
    print(f"  bundle:     {bundle}  ({size / 2**20:.0f} MiB, {files} files)")
    print(f"  executable: {exe}  (`--version` ran in {version_s:.2f} s)")
    app = dist / "Photoseek.app"
    if sys.platform == "darwin" and app.is_dir():
        app_size, _ = tree_size(app)
        summary["app"] = str(app)
        print(f"  macOS app:  {app}  ({app_size / 2**20:.0f} MiB); DMG: packaging/macos/make_dmg.sh")
    if sys.platform.startswith("linux"):
        print(f"  install:    {bundle / 'install.sh'}   (per user; --uninstall removes it)")
    if sys.platform == "win32":
        print("  installer:  iscc packaging\\windows\\photoseek.iss")
    if args.archive:
        packed = archive(bundle, dist)
        summary["archive"] = str(packed)
        summary["archive_bytes"] = packed.stat().st_size
        print(f"  archive:    {packed}  ({packed.stat().st_size / 2**20:.0f} MiB)")
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
