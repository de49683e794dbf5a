#!/bin/sh
# Install Photoseek (the PyInstaller one-folder build) for the current user, or uninstall it.
#
#   install.sh [--prefix DIR] [BUNDLE_DIR]       install or update
#   install.sh [--prefix DIR] --uninstall        remove it again
#
# Installs (default prefix ~/.local, no root needed):
#   ~/.local/opt/photoseek/                      the bundle (photoseek + _internal/)
#   ~/.local/bin/photoseek                       symlink: `photoseek` (app) and `photoseek search ...` (CLI)
#   $XDG_DATA_HOME/applications/photoseek.desktop          the application-menu entry
#   $XDG_DATA_HOME/icons/hicolor/<n>x<n>/apps/photoseek.png  icons 16..512, plus scalable/apps/photoseek.svg
# ($XDG_DATA_HOME defaults to ~/.local/share; with --prefix DIR it is DIR/share.)
#
# BUNDLE_DIR defaults to the folder holding this script when that is a bundle
# (build.py copies install.sh into dist/photoseek/), else <repo>/dist/photoseek.
# Your library and models (~/.local/share/photoseek/) are never touched.
set -eu

APP=photoseek
prefix=""
uninstall=0
bundle=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 2; }
                  prefix=$2; shift 2 ;;
        --prefix=*) prefix=${1#--prefix=}; shift ;;
        --uninstall) uninstall=1; shift ;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "install.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
        *) bundle=$1; shift ;;
    esac
done

prefix_arg=""
if [ -n "$prefix" ]; then
    case "$prefix" in /*) ;; *) prefix="$(pwd)/$prefix" ;; esac
    data_dir="$prefix/share"
    prefix_arg=" --prefix $prefix"
else
    prefix="$HOME/.local"
    data_dir="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
opt_dir="$prefix/opt/$APP"
bin_dir="$prefix/bin"
apps_dir="$data_dir/applications"
icons_dir="$data_dir/icons/hicolor"
manifest="$opt_dir/.installed-files"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$apps_dir" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$icons_dir/index.theme" ]; then
        gtk-update-icon-cache -q -t -f "$icons_dir" 2>/dev/null || true
    fi
}

if [ "$uninstall" = 1 ]; then
    if [ -f "$manifest" ]; then
        while IFS= read -r f; do
            [ -n "$f" ] || continue
            rm -f "$f"
            # tidy the folders we created, only when nothing else is left in them
            rmdir "$(dirname "$f")" 2>/dev/null && rmdir "$(dirname "$(dirname "$f")")" 2>/dev/null || true
        done < "$manifest"
    else  # installed by an older script: remove what this one would have installed
        rm -f "$apps_dir/$APP.desktop"
        for f in "$icons_dir"/*/apps/$APP.png "$icons_dir"/scalable/apps/$APP.svg; do
            [ -e "$f" ] && rm -f "$f"
        done
    fi
    # the launcher symlink only if it is ours
    if [ -L "$bin_dir/$APP" ]; then
        case "$(readlink "$bin_dir/$APP")" in "$opt_dir"/*) rm -f "$bin_dir/$APP" ;; esac
    fi
    # cd away first: this script may run from inside the folder it removes
    cd /
    rm -rf "$opt_dir"
    refresh_caches
    echo "Photoseek is uninstalled (from $opt_dir)."
    echo "Your library and models were left in place: ~/.local/share/photoseek/ (delete it to remove them too)."
    exit 0
fi

# -- install --------------------------------------------------------------------
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "$bundle" ]; then
    if [ -x "$here/$APP" ] && [ -d "$here/_internal" ]; then
        bundle=$here
    else
        bundle="$here/../../dist/$APP"
    fi
fi
if [ ! -x "$bundle/$APP" ] || [ ! -d "$bundle/_internal" ]; then
    echo "install.sh: no Photoseek bundle at $bundle (build one with: python packaging/build.py)" >&2
    exit 1
fi
bundle=$(cd "$bundle" && pwd)
share="$bundle/_internal/share"
if [ ! -f "$share/applications/$APP.desktop" ] || [ ! -d "$share/icons/hicolor" ]; then
    echo "install.sh: $bundle has no desktop file or icons (_internal/share/); rebuild it" >&2
    exit 1
fi

if [ "$bundle" != "$opt_dir" ]; then
    mkdir -p "$prefix/opt"
    rm -rf "$opt_dir.new"
    cp -a "$bundle" "$opt_dir.new"
    rm -rf "$opt_dir"
    mv "$opt_dir.new" "$opt_dir"
fi
# install.sh travels inside the installed folder, so `~/.local/opt/photoseek/install.sh --uninstall` works
if [ ! -f "$opt_dir/install.sh" ]; then
    cp "$here/install.sh" "$opt_dir/install.sh" 2>/dev/null || cp "$0" "$opt_dir/install.sh"
    chmod 755 "$opt_dir/install.sh"
fi

installed=""
note() { installed="$installed$1
"; }

mkdir -p "$bin_dir"
ln -sfn "$opt_dir/$APP" "$bin_dir/$APP"

mkdir -p "$apps_dir"
# Absolute Exec/TryExec: the menu must work even when ~/.local/bin is not on the session's PATH.
sed -e "s|^Exec=.*|Exec=\"$opt_dir/$APP\" gui|" -e '/^TryExec=/d' \
    -e "s|^\[Desktop Entry\]\$|[Desktop Entry]\nTryExec=$opt_dir/$APP|" \
    "$share/applications/$APP.desktop" > "$apps_dir/$APP.desktop.tmp"
mv "$apps_dir/$APP.desktop.tmp" "$apps_dir/$APP.desktop"
note "$apps_dir/$APP.desktop"

for src in "$share"/icons/hicolor/*/apps/$APP.*; do
    size_dir=$(basename "$(dirname "$(dirname "$src")")")
    mkdir -p "$icons_dir/$size_dir/apps"
    cp "$src" "$icons_dir/$size_dir/apps/"
    note "$icons_dir/$size_dir/apps/$(basename "$src")"
done
printf '%s' "$installed" > "$manifest"
refresh_caches

echo "Photoseek is installed:"
echo "  program:   $opt_dir/$APP"
echo "  command:   $bin_dir/$APP"
echo "  menu:      $apps_dir/$APP.desktop"
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "  note: $bin_dir is not on your PATH; add it to use \`photoseek\` in a terminal" ;;
esac
echo "Uninstall with: $opt_dir/install.sh --uninstall$prefix_arg"
