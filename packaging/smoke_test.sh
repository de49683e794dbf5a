#!/usr/bin/env bash
# Smoke-test a built Photoseek bundle headless: --version, index, status, search --json, and the
# GUI (no arguments) under offscreen Qt.
#
#   packaging/smoke_test.sh [BUNDLE_DIR]            (default: dist/photoseek)
#
# Runs the frozen `photoseek` with a throw-away HOME/library/models and no PYTHONPATH.
# Needs, from the development environment (python on PATH, run from a checkout):
#   - generated photos: tests/support/photos.py (Pillow);
#   - a model bundle: $PHOTOSEEK_TEST_MODEL, or the tests' committed toy CLIP
#     (tests/fixtures/toyclip: nothing to export, no torch needed).
# Prints the timings (`--version`, time until the GUI window is shown) and the bundle size;
# exits non-zero on the first failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bundle=$(cd "${1:-$root/dist/photoseek}" && pwd)
exe="$bundle/photoseek"
[ -x "$exe" ] || { echo "smoke_test: no executable at $exe" >&2; exit 1; }
python=${PYTHON:-python3}

work=$(mktemp -d)
gui_pid=""
cleanup() {
    [ -n "$gui_pid" ] && kill "$gui_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "smoke_test: FAILED: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# A clean user for the bundle (the checkout's Python path must not leak in).
run_bundle() {
    env -u PYTHONPATH -u PYTHONHOME HOME="$work/home" XDG_DATA_HOME="$work/home/data" \
        XDG_CONFIG_HOME="$work/home/config" XDG_CACHE_HOME="$work/home/cache" \
        XDG_STATE_HOME="$work/home/state" PHOTOSEEK_LIBRARY="$work/library" \
        PHOTOSEEK_MODELS="$work/models" HF_HUB_OFFLINE=1 QT_QPA_PLATFORM=offscreen "$exe" "$@"
}
mkdir -p "$work/home"

echo "== bundle: $bundle ($(du -sh "$bundle" | cut -f1))"

t=$(now)
version=$(run_bundle --version) || fail "--version"
echo "== $version (--version: $(elapsed "$t") s)"

echo "== generating photos"
model=${PHOTOSEEK_TEST_MODEL:-$root/tests/fixtures/toyclip}
[ -f "$model/config.json" ] || fail "no model bundle at $model"
(cd "$root" && "$python" - "$work" <<'EOF'
import sys
from pathlib import Path
from tests.support.photos import write_library
write_library(Path(sys.argv[1]) / "Photos", 12)
EOF
) || fail "could not generate the photos"

t=$(now)
run_bundle index "$work/Photos" --model "$model" 2> "$work/index.err" || { cat "$work/index.err" >&2; fail "index"; }
echo "== index: $(tail -n 1 "$work/index.err") ($(elapsed "$t") s)"

run_bundle status --json > "$work/status.json" || fail "status --json"
"$python" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["indexed"] == 12 and s["failed"] == 0, s; print("== status:", s["photos"], "photos,", s["indexed"], "indexed")' "$work/status.json" \
    || fail "status: $(cat "$work/status.json")"

t=$(now)
run_bundle search "a red car" --json --limit 5 > "$work/search.json" || fail "search --json"
"$python" -c 'import json,sys; h=json.load(open(sys.argv[1])); assert [x["rank"] for x in h]==[1,2,3,4,5] and all({"path","score","rank"} <= set(x) for x in h), h; print("== search: top hit", h[0]["path"], round(h[0]["score"], 4))' "$work/search.json" \
    || fail "search output: $(cat "$work/search.json")"
echo "   (search: $(elapsed "$t") s)"

echo "== gui: no arguments, as the menu entry starts it (offscreen, a few seconds)"
log="$work/home/state/photoseek/log/photoseek-gui.log"
t=$(now)
run_bundle > "$work/gui.out" 2> "$work/gui.err" &
gui_pid=$!
shown=""
for _ in $(seq 1 600); do
    kill -0 "$gui_pid" 2>/dev/null || break
    if [ -f "$log" ] && grep -q "window shown in" "$log"; then shown=$(elapsed "$t"); break; fi
    sleep 0.1
done
sleep 4
kill -0 "$gui_pid" 2>/dev/null || { cat "$work/gui.err" >&2; fail "the GUI exited early"; }
kill "$gui_pid"; wait "$gui_pid" 2>/dev/null || true; gui_pid=""
[ -n "$shown" ] || { cat "$work/gui.err" "$log" >&2 2>/dev/null; fail "the GUI never logged 'window shown'"; }
if grep -E -q "Traceback|uncaught exception|CRITICAL|Could not load the Qt platform plugin" "$work/gui.err" "$log"; then
    cat "$work/gui.err" "$log" >&2
    fail "errors from the GUI"
fi
echo "== gui: window shown $shown s after launch ($(grep -o 'window shown in [0-9]* ms' "$log" | head -n 1) inside the app)"
echo "== all good"
