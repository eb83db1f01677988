#!/usr/bin/env bash
# Installs axe-core (the accessibility engine the embed's browser test injects into the page) at
# a pinned version into .tools/axe, ignored by git, and prints the path of its axe.min.js. The
# bundle is never committed: the test reads it from here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_pkg npm:npm node:nodejs >&2

axe_version=4.14.1
tools="$root/.tools/axe"
bundle="$tools/node_modules/axe-core/axe.min.js"
if ! [ -f "$bundle" ] || ! grep -q "\"version\": \"$axe_version\"" "$tools/node_modules/axe-core/package.json"; then
  echo "installing axe-core $axe_version" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "axe-core@$axe_version" >&2
fi
echo "$bundle"
