#!/bin/sh
# Lay out an AppImage AppDir from the one-folder build, and pack it when appimagetool is available.
#
#   make_appdir.sh [BUNDLE_DIR] [OUT_DIR]
#
# BUNDLE_DIR: the PyInstaller output (default: the folder holding this script when
# it is a bundle, else <repo>/dist/photoseek).  OUT_DIR (default: the bundle's
# parent folder) receives Photoseek.AppDir/ and, if `appimagetool` is on PATH
# (or $APPIMAGETOOL names it), Photoseek-<arch>.AppImage.
#
# appimagetool is not downloaded by this script (get it from
# https://github.com/AppImage/appimagetool/releases and put it on PATH).  The AppDir
# itself is complete and runnable without it:
#   OUT_DIR/Photoseek.AppDir/AppRun --version
#
# Layout (the AppImage spec's minimum plus the freedesktop dirs):
#   AppRun                                   exec usr/lib/photoseek/photoseek "$@"
#   photoseek.desktop, photoseek.png, .DirIcon
#   usr/bin/photoseek -> ../lib/photoseek/photoseek
#   usr/lib/photoseek/                       the one-folder bundle
#   usr/share/applications/photoseek.desktop
#   usr/share/icons/hicolor/<n>x<n>/apps/photoseek.png, scalable/apps/photoseek.svg
set -eu

APP=photoseek
here=$(cd "$(dirname "$0")" && pwd)
bundle=${1:-}
if [ -z "$bundle" ]; then
    if [ -x "$here/$APP" ] && [ -d "$here/_internal" ]; then bundle=$here; else bundle="$here/../../dist/$APP"; fi
fi
if [ ! -x "$bundle/$APP" ] || [ ! -d "$bundle/_internal/share/icons/hicolor" ]; then
    echo "make_appdir.sh: no Photoseek bundle at $bundle (build one with: python packaging/build.py)" >&2
    exit 1
fi
bundle=$(cd "$bundle" && pwd)
out=${2:-$(dirname "$bundle")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
appdir="$out/Photoseek.AppDir"
share="$bundle/_internal/share"

rm -rf "$appdir"
mkdir -p "$appdir/usr/lib" "$appdir/usr/bin" "$appdir/usr/share/applications" "$appdir/usr/share/icons"
cp -a "$bundle" "$appdir/usr/lib/$APP"
rm -f "$appdir/usr/lib/$APP/install.sh" "$appdir/usr/lib/$APP/make_appdir.sh"  # not meaningful inside an AppImage
ln -s "../lib/$APP/$APP" "$appdir/usr/bin/$APP"
cp -a "$share/icons/hicolor" "$appdir/usr/share/icons/"

# Exec is the AppImage's own name; the runtime runs AppRun with the arguments.
sed -e "s|^Exec=.*|Exec=$APP|" -e '/^TryExec=/d' "$share/applications/$APP.desktop" \
    > "$appdir/usr/share/applications/$APP.desktop"
cp "$appdir/usr/share/applications/$APP.desktop" "$appdir/$APP.desktop"
cp "$share/icons/hicolor/256x256/apps/$APP.png" "$appdir/$APP.png"
ln -s "$APP.png" "$appdir/.DirIcon"

cat > "$appdir/AppRun" <<'EOF'
#!/bin/sh
# AppImage entry point: no arguments opens the app, arguments run the photoseek command line.
here=$(dirname "$(readlink -f "$0")")
exec "$here/usr/lib/photoseek/photoseek" "$@"
EOF
chmod 755 "$appdir/AppRun"
echo "AppDir: $appdir"

tool=${APPIMAGETOOL:-appimagetool}
if command -v "$tool" >/dev/null 2>&1; then
    arch=$(uname -m)
    ARCH=$arch "$tool" --no-appstream "$appdir" "$out/Photoseek-$arch.AppImage"
    echo "AppImage: $out/Photoseek-$arch.AppImage"
else
    echo "appimagetool not found: the AppDir is ready; pack it with: ARCH=$(uname -m) appimagetool $appdir"
fi
