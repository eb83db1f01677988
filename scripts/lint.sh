#!/usr/bin/env bash
# Runs the linters over the whole tree and fails on any finding: staticcheck for the Go code
# (its default checks; a deliberate exception carries a //lint:ignore comment with the reason)
# and ESLint's recommended rules for the browser modules in internal/web/static (eslint.config.js).
# Both are installed on first use at pinned versions: staticcheck into $(go env GOPATH)/bin,
# ESLint into .tools/eslint (ignored by git).
# SISTERCITY_LINT_DIR lints another copy of the tree (the gate's own test uses it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_go
need_pkg npm:npm node:nodejs

staticcheck_version=v0.8.2
eslint_version=10.16.0
eslint_js_version=10.0.1
globals_version=17.15.0

gobin="$(go env GOPATH | cut -d: -f1)/bin"
staticcheck="$gobin/staticcheck"
if ! [ -x "$staticcheck" ] || ! "$staticcheck" -version 2>/dev/null | grep -q "${staticcheck_version#v}"; then
  echo "installing staticcheck $staticcheck_version"
  GOBIN="$gobin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
tools="$root/.tools/eslint"
eslint="$tools/node_modules/.bin/eslint"
if ! [ -x "$eslint" ] || [ "$("$eslint" --version)" != "v$eslint_version" ]; then
  echo "installing eslint $eslint_version"
  mkdir -p "$tools"
  npm install --silent --no-audit --no-fund --prefix "$tools" \
    "eslint@$eslint_version" "@eslint/js@$eslint_js_version" "globals@$globals_version" >/dev/null
fi

dir="${SISTERCITY_LINT_DIR:-$root}"
cd "$dir"
status=0
echo "== staticcheck =="
"$staticcheck" ./... || status=1
echo "== eslint =="
# The config finds ESLint's packages through SISTERCITY_ESLINT_TOOLS.
SISTERCITY_ESLINT_TOOLS="$tools" "$eslint" --max-warnings 0 internal/web/static || status=1
exit $status
