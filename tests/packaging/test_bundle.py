"""The Linux one-folder bundle builds and works headless.

Slow (a PyInstaller build takes minutes on two cores), so not in the default run:

    python -m pytest -m slow tests/packaging/test_bundle.py

``PHOTOSEEK_BUNDLE=dist/photoseek`` tests an existing build instead of building
one into ``build/test-bundle/``.  What is checked, all through the frozen
``photoseek`` executable with no Python environment behind it:
``--version``; ``index`` of a generated folder with the test model; ``status
--json``; ``search --json``; ``models import`` (writes the models folder); the
start-up check refusing an unwritable library; and ``gui`` under offscreen Qt
for a few seconds (window shown, no traceback, still running).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from indexer import __version__
from tests.support.geo_photos import write_geo_photo
from tests.support.photos import write_library

ROOT = Path(__file__).resolve().parents[2]
PHOTOS = 12
DEJAVU_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
NATIVE = ("onnxruntime", "tokenizers", "hnswlib", "pillow_heif", "PySide6")  # with native libraries: in _internal
PURE = ("sqlite_utils", "watchdog", "indexer", "app")  # pure Python: in the executable's module archive

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only the Linux bundle is built here"),
]


@pytest.fixture(scope="module")
def bundle() -> Path:
    given = os.environ.get("PHOTOSEEK_BUNDLE")
    if given:
        path = Path(given).resolve()
        assert (path / "photoseek").is_file(), f"PHOTOSEEK_BUNDLE={given} has no photoseek executable"
        return path
    # build/ (git-ignored), not a pytest temp dir: concurrent pytest sessions prune old temp dirs,
    # and PyInstaller reuses its cache there on the next run
    out = ROOT / "build" / "test-bundle"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "build.py"), "--dist", str(out / "dist"),
         "--work", str(out / "work")],
        capture_output=True, text=True, cwd=ROOT, timeout=3000,
    )
    assert proc.returncode == 0, f"build failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"\nbundle: {summary['bundle']} {summary['size_bytes'] / 2**20:.0f} MiB, {summary['files']} files, "
          f"built in {summary['build_seconds']} s")
    return Path(summary["bundle"])


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """A clean user: own HOME and XDG dirs, no PYTHONPATH (the bundle must not need one)."""
    home = tmp_path / "home"
    home.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PHOTOSEEK_", "XDG_", "QT_"))}
    e.update(HOME=str(home), XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"),
             XDG_CACHE_HOME=str(home / "cache"), XDG_STATE_HOME=str(home / "state"),
             PHOTOSEEK_LIBRARY=str(tmp_path / "library"), PHOTOSEEK_MODELS=str(tmp_path / "models"),
             HF_HUB_OFFLINE="1", QT_QPA_PLATFORM="offscreen")
    return e


def frozen_modules(executable: Path) -> set[str]:
    """The top-level names of the modules frozen into ``executable``'s PYZ archive (read with PyInstaller's
    own archive reader: the build needs PyInstaller, and so does this check)."""
    readers = pytest.importorskip("PyInstaller.archive.readers")
    archive = readers.CArchiveReader(str(executable))
    (pyz,) = [name for name in archive.toc if name.endswith(".pyz")]
    return {name.split(".")[0] for name in archive.open_embedded_archive(pyz).toc}


def project_version() -> str:
    found = re.search(r'^version = "([^"]+)"$', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    assert found, "pyproject.toml names no version"
    return found.group(1)


def run(bundle: Path, env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(bundle / "photoseek"), *args], capture_output=True, text=True, env=env,
                          cwd=env["HOME"], timeout=timeout)


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, f"{proc.args} -> {proc.returncode}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def test_layout(bundle):
    internal = bundle / "_internal"
    info = json.loads((internal / "photoseek-build.json").read_text())
    assert info["onnxruntime"]["distribution"].startswith("onnxruntime")
    assert (internal / "photoseek_resources" / "style.qss").is_file()
    assert (internal / "photoseek_resources" / "icons" / "search.svg").is_file()
    assert (internal / "share" / "applications" / "photoseek.desktop").is_file()
    for size in (16, 32, 48, 64, 128, 256, 512):
        assert (internal / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "photoseek.png").is_file()
    plugins = internal / "PySide6" / "Qt" / "plugins"
    for plugin in ("platforms/libqxcb.so", "platforms/libqoffscreen.so", "platforms/libqwayland.so",
                   "imageformats/libqsvg.so", "imageformats/libqjpeg.so", "iconengines/libqsvgicon.so"):
        assert (plugins / plugin).is_file(), plugin
    names = {p.name.split(".")[0] for p in internal.iterdir()}
    for excluded in ("torch", "torchvision", "open_clip", "onnx", "onnxscript"):
        assert excluded not in names, f"{excluded} was bundled"
    assert (internal / "base_library.zip").is_file()        # the standard library
    for needed in NATIVE:                                    # a package folder, or one extension module
        assert (internal / needed).is_dir() or any(internal.glob(f"{needed}.*.so")) \
            or any(internal.glob(f"_{needed}.*.so")), f"{needed} is missing"
    assert set(PURE) <= frozen_modules(bundle / "photoseek"), "a pure-Python dependency is missing"
    assert (internal / "scipy" / "spatial").is_dir()        # places: the KD-tree of GeoNames
    assert any(internal.glob("_dlib_pybind11.*.so"))         # people: dlib, and only the two face models used
    assert sorted(p.name for p in (internal / "face_recognition_models" / "models").iterdir()) == [
        "dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat"]


def test_version(bundle, env):
    started = time.perf_counter()
    proc = ok(run(bundle, env, "--version", timeout=120))
    print(f"\n`photoseek --version`: {time.perf_counter() - started:.2f} s")
    assert proc.stdout.strip() == f"photoseek {__version__}"
    info = json.loads((bundle / "_internal" / "photoseek-build.json").read_text())
    assert info["version"] == __version__ == project_version()


def test_index_search_and_gui(bundle, env, tmp_path, toyclip_bundle):
    photos = tmp_path / "Photos"
    write_library(photos, PHOTOS)

    proc = ok(run(bundle, env, "index", str(photos), "--model", str(toyclip_bundle)))
    assert f"indexed {PHOTOS} photo(s)" in proc.stderr

    status = json.loads(ok(run(bundle, env, "status", "--json")).stdout)
    assert status["photos"] == PHOTOS and status["indexed"] == PHOTOS and status["failed"] == 0

    hits = json.loads(ok(run(bundle, env, "search", "a red car", "--json", "--limit", "5")).stdout)
    assert [h["rank"] for h in hits] == [1, 2, 3, 4, 5]
    assert all(photos in Path(h["path"]).parents and -1.0 <= h["score"] <= 1.0 for h in hits)
    hits = json.loads(ok(run(bundle, env, "search", "--image", str(sorted(photos.rglob("*.jp*g"))[0]),
                             "--json", "--limit", "3")).stdout)
    assert len(hits) == 3

    ok(run(bundle, env, "models", "import", str(toyclip_bundle)))
    models = json.loads(ok(run(bundle, env, "models", "list", "--json")).stdout)
    assert any(m["name"] == toyclip_bundle.name and m["installed"] for m in models)

    # the GUI: window shown, nothing on stderr that looks like a crash, still alive after a few seconds
    log = Path(env["XDG_STATE_HOME"]) / "photoseek" / "log" / "photoseek-gui.log"
    started = time.perf_counter()
    gui = subprocess.Popen([str(bundle / "photoseek"), "gui"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env, cwd=env["HOME"])
    shown_after = None
    try:
        deadline = started + 60
        while time.perf_counter() < deadline and gui.poll() is None:
            if log.is_file() and "window shown in" in log.read_text(errors="replace"):
                shown_after = time.perf_counter() - started
                break
            time.sleep(0.05)
        time.sleep(4)
        alive = gui.poll() is None
    finally:
        if gui.poll() is None:
            gui.send_signal(signal.SIGTERM)
        try:
            _out, err = gui.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            gui.kill()
            _out, err = gui.communicate()
    log_text = log.read_text(errors="replace") if log.is_file() else ""
    assert alive, f"the GUI exited early ({gui.returncode}):\n{err}\n{log_text}"
    assert shown_after is not None, f"no 'window shown' in the log:\n{log_text}\n{err}"
    inside = re.search(r"window shown in (\d+) ms", log_text)
    print(f"\nGUI window shown {shown_after:.2f} s after launch ({inside.group(1)} ms of it inside app.main.run)")
    for bad in ("Traceback", "uncaught exception", "CRITICAL", "Could not load the Qt platform plugin"):
        assert bad not in err, err
        assert bad not in log_text, log_text


def test_every_stage_runs_frozen(bundle, env, tmp_path, toyclip_bundle):
    """Text, places, duplicates and faces, each through the frozen executable: a stage whose dependency the
    bundle lacks fails here (the GeoNames KD-tree's scipy once did)."""
    photos = tmp_path / "Trip"
    photos.mkdir()
    for n in range(3):  # near copies of one another, with a position in Lisbon
        write_geo_photo(photos / f"lisbon-{n}.jpg", 38.7223 + n / 1000, -9.1393, f"2024:05:0{n + 1} 12:00:00")
    sign = Image.new("RGB", (1200, 800), "white")
    ImageDraw.Draw(sign).text((80, 300), "OPEN LATE", fill="black",
                              font=ImageFont.truetype(str(DEJAVU_BOLD), 90))
    sign.save(photos / "sign.jpg")
    people = Image.new("RGB", (800, 500), "white")
    for i, name in enumerate(("amy1.png", "bernadette1.png")):
        with Image.open(ROOT / "tests" / "fixtures" / "faces" / name) as face:
            people.paste(face.convert("RGB").resize((300, 300)), (60 + i * 380, 100))
    people.save(photos / "two-people.jpg")

    ok(run(bundle, env, "index", str(photos), "--model", str(toyclip_bundle)))
    status = json.loads(ok(run(bundle, env, "status", "--json")).stdout)
    assert (status["indexed"], status["failed"], status["ocr_pending"], status["faces"]) == (5, 0, 0, 2)
    hits = json.loads(ok(run(bundle, env, "search", "open late", "--json", "--limit", "1")).stdout)
    assert hits[0]["path"].endswith("sign.jpg") and "OPEN LATE" in hits[0]["text"]
    hits = json.loads(ok(run(bundle, env, "search", "photos in Lisbon", "--json")).stdout)
    assert sorted(Path(h["path"]).name for h in hits) == ["lisbon-0.jpg", "lisbon-1.jpg", "lisbon-2.jpg"]
    groups = json.loads(ok(run(bundle, env, "duplicates", "--json")).stdout)
    assert any(len(g["photos"]) == 3 for g in groups)


def test_unwritable_library_is_refused_clearly(bundle, env, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    proc = run(bundle, env, "--library", str(blocker / "library"), "index", str(tmp_path))
    assert proc.returncode == 1
    assert "cannot create the library folder" in proc.stderr and "is a file, not a folder" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_install_script_round_trip(bundle, tmp_path):
    """install.sh puts the bundle, launcher, menu entry and icons in place, and takes them away."""
    prefix = tmp_path / "prefix"
    script = bundle / "install.sh" if (bundle / "install.sh").exists() else ROOT / "packaging/linux/install.sh"
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    proc = subprocess.run(["sh", str(script), "--prefix", str(prefix), str(bundle)], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    launcher = prefix / "bin" / "photoseek"
    assert launcher.is_symlink() and launcher.resolve() == (prefix / "opt" / "photoseek" / "photoseek").resolve()
    desktop = (prefix / "share" / "applications" / "photoseek.desktop").read_text()
    assert f'Exec="{prefix}/opt/photoseek/photoseek" gui' in desktop and "Icon=photoseek" in desktop
    assert (prefix / "share" / "icons" / "hicolor" / "256x256" / "apps" / "photoseek.png").is_file()
    assert (prefix / "share" / "icons" / "hicolor" / "scalable" / "apps" / "photoseek.svg").is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(prefix / "share/applications/photoseek.desktop")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    assert subprocess.run([str(launcher), "--version"], capture_output=True, timeout=120).returncode == 0

    proc = subprocess.run(["sh", str(prefix / "opt" / "photoseek" / "install.sh"), "--prefix", str(prefix),
                           "--uninstall"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert not (prefix / "opt" / "photoseek").exists() and not launcher.exists()
    assert not list((prefix / "share").rglob("photoseek*"))


def test_appdir_layout(bundle, tmp_path):
    proc = subprocess.run(["sh", str(ROOT / "packaging/linux/make_appdir.sh"), str(bundle), str(tmp_path)],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, APPIMAGETOOL="/nonexistent"))
    assert proc.returncode == 0, proc.stderr
    appdir = tmp_path / "Photoseek.AppDir"
    for rel in ("AppRun", "photoseek.desktop", "photoseek.png", ".DirIcon",
                "usr/share/icons/hicolor/512x512/apps/photoseek.png", "usr/bin/photoseek"):
        assert (appdir / rel).exists(), rel
    assert "Exec=photoseek" in (appdir / "photoseek.desktop").read_text()
    out = subprocess.run([str(appdir / "AppRun"), "--version"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("photoseek "), out.stderr
