#!/usr/bin/env bash
# Installs tus-js-client (the tus project's own browser client, which the upload pages use for
# resumable uploads) at a pinned version into .tools/tusjs, ignored by git, and copies its
# browser bundle to internal/web/static/vendor/tus.min.js, also ignored, where the Go build
# embeds it. The bundle is never committed: without it (a fresh clone before any make target)
# the binary still builds, and the upload pages say, in the reader's language, that uploading
# is not available in this build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_pkg npm:npm node:nodejs >&2

tusjs_version=4.3.1
tools="$root/.tools/tusjs"
pkg="$tools/node_modules/tus-js-client"
if ! [ -f "$pkg/dist/tus.min.js" ] || ! grep -q "\"version\": \"$tusjs_version\"" "$pkg/package.json"; then
  echo "installing tus-js-client $tusjs_version" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "tus-js-client@$tusjs_version" >&2
fi
out="$root/internal/web/static/vendor/tus.min.js"
if ! cmp -s "$pkg/dist/tus.min.js" "$out"; then
  cp "$pkg/dist/tus.min.js" "$out"
fi
echo "$out"
