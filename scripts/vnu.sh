#!/usr/bin/env bash
# Installs the Nu HTML checker (npm vnu-jar, the W3C validator as one jar) at a pinned version
# into .tools/vnu, ignored by git, with the Java it runs on, and prints the path of vnu.jar. The
# jar is never committed: the demo's markup test runs it from here.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_pkg java:default-jre-headless npm:npm node:nodejs >&2

vnu_version=26.9.27
tools="$root/.tools/vnu"
jar="$tools/node_modules/vnu-jar/build/dist/vnu.jar"
if ! [ -f "$jar" ] || ! grep -q "\"version\": \"$vnu_version\"" "$tools/node_modules/vnu-jar/package.json"; then
  echo "installing vnu-jar $vnu_version" >&2
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" "vnu-jar@$vnu_version" >&2
fi
echo "$jar"
