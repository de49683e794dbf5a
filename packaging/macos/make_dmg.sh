#!/bin/sh
# Pack dist/Photoseek.app into a drag-to-install disk image (macOS only: uses hdiutil).
#
#   python packaging/build.py            # on a Mac: builds dist/photoseek/ and dist/Photoseek.app
#   packaging/macos/make_dmg.sh [APP] [OUT_DMG]
#
# APP defaults to dist/Photoseek.app, OUT_DMG to dist/Photoseek-<version>-macos-<arch>.dmg.
# The image holds Photoseek.app and a link to /Applications.  For distribution outside
# your own machines, build with PHOTOSEEK_CODESIGN_IDENTITY="Developer ID Application: ..."
# and notarise the DMG afterwards:
#   xcrun notarytool submit OUT_DMG --keychain-profile PROFILE --wait && xcrun stapler staple OUT_DMG
# Command line from the installed app:
#   /Applications/Photoseek.app/Contents/MacOS/photoseek search "cat"
#   (or: ln -s /Applications/Photoseek.app/Contents/MacOS/photoseek /usr/local/bin/photoseek)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
app=${1:-$root/dist/Photoseek.app}
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$root/indexer/__init__.py")
out=${2:-$root/dist/Photoseek-$version-macos-$(uname -m).dmg}

if [ "$(uname -s)" != "Darwin" ]; then
    echo "make_dmg.sh: hdiutil exists only on macOS" >&2
    exit 1
fi
if [ ! -x "$app/Contents/MacOS/photoseek" ]; then
    echo "make_dmg.sh: no app bundle at $app (build it with: python packaging/build.py)" >&2
    exit 1
fi
"$app/Contents/MacOS/photoseek" --version >/dev/null  # the bundle at least starts

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
ditto "$app" "$stage/Photoseek.app"           # ditto keeps symlinks, xattrs and signatures
ln -s /Applications "$stage/Applications"
rm -f "$out"
hdiutil create -volname "Photoseek $version" -srcfolder "$stage" -fs HFS+ -format UDZO -ov "$out"
if [ -n "${PHOTOSEEK_CODESIGN_IDENTITY:-}" ]; then
    codesign --sign "$PHOTOSEEK_CODESIGN_IDENTITY" --timestamp "$out"
fi
hdiutil verify "$out"
echo "DMG: $out ($(du -h "$out" | cut -f1))"
