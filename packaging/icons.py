"""Render the application icon (``resources/photoseek.svg``) for installers.

Writes, under OUT:

- ``hicolor/<n>x<n>/apps/photoseek.png`` for n in 16..512 and
  ``hicolor/scalable/apps/photoseek.svg`` (the freedesktop icon theme layout
  that ``packaging/linux/install.sh`` and AppImages use);
- ``photoseek.ico`` (Windows: the executable and the installer);
- ``photoseek.icns`` (macOS: the ``.app`` bundle).

Rasterised with Qt's own SVG renderer (PySide6.QtSvg, offscreen), the same
renderer the app uses for its window icon; Pillow only packs the ICO/ICNS
containers.  Run as a script (``python packaging/icons.py OUT``) so that Qt
never loads inside the PyInstaller process.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "photoseek.svg"
PNG_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)  # 1024 = 512@2x


def render_png(svg: bytes, size: int, dest: Path) -> None:
    from PySide6.QtCore import QByteArray, QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise SystemExit(f"icons: {SVG} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(dest), "PNG"):
        raise SystemExit(f"icons: cannot write {dest}")


def render_all(out: Path, svg_path: Path = SVG) -> dict[str, Path]:
    """Render every icon into ``out``; returns {"hicolor": dir, "ico": file, "icns": file}."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(["photoseek-icons"])  # noqa: F841 - Qt needs one
    svg = svg_path.read_bytes()
    hicolor = out / "hicolor"
    pngs: dict[int, Path] = {}
    for size in sorted(set(PNG_SIZES) | set(ICO_SIZES) | set(ICNS_SIZES)):
        # 1024 only feeds the ICNS; the hicolor theme stops at 512
        folder = hicolor if size in PNG_SIZES else out / "extra"
        dest = folder / f"{size}x{size}" / "apps" / "photoseek.png"
        render_png(svg, size, dest)
        pngs[size] = dest
    scalable = hicolor / "scalable" / "apps" / "photoseek.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(svg_path, scalable)

    from PIL import Image

    big = Image.open(pngs[256]).convert("RGBA")
    ico = out / "photoseek.ico"
    big.save(ico, format="ICO", sizes=[(s, s) for s in ICO_SIZES])
    icns = out / "photoseek.icns"
    Image.open(pngs[1024]).convert("RGBA").save(
        icns, format="ICNS", append_images=[Image.open(pngs[s]).convert("RGBA") for s in ICNS_SIZES if s != 1024]
    )
    return {"hicolor": hicolor, "ico": ico, "icns": icns}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python packaging/icons.py OUT_DIR\n")
        return 2
    result = render_all(Path(args[0]))
    for key, path in result.items():
        print(f"{key}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
