#!/usr/bin/env bash
# Installs hls.js (the adaptive-streaming player for browsers without native HLS) at a pinned
# version into .tools/hlsjs, ignored by git, and copies its bundle to
# internal/web/static/vendor/hls.min.js, also ignored, where the Go build embeds it. The bundle is
# never committed: without it (a fresh clone before any make target) the binary still builds,
# and the player plays HLS natively where the browser can, else the MP4 renditions.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_pkg npm:npm node:nodejs >&2

hlsjs_version=1.6.19
tools="$root/.tools/hlsjs"
pkg="$tools/node_modules/hls.js"
if ! [ -f "$pkg/dist/hls.min.js" ] || ! grep -q "\"version\": \"$hlsjs_version\"" "$pkg/package.json"; then
  echo "installing hls.js $hlsjs_version" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "hls.js@$hlsjs_version" >&2
fi
out="$root/internal/web/static/vendor/hls.min.js"
if ! cmp -s "$pkg/dist/hls.min.js" "$out"; then
  cp "$pkg/dist/hls.min.js" "$out"
fi
echo "$out"
