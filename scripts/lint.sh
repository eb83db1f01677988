#!/usr/bin/env bash
# Runs the linters over the whole tree and fails on any finding: staticcheck for the Go code
# (its default checks; a deliberate exception carries a //lint:ignore comment with the reason),
# deadcode (golang.org/x/tools) for functions no command can reach, and ESLint's recommended
# rules for the browser modules in internal/web/static (eslint.config.js). They are installed on
# first use at pinned versions: staticcheck and deadcode into $(go env GOPATH)/bin, ESLint into
# .tools/eslint (ignored by git).
# SISTERCITY_LINT_DIR lints another copy of the tree (the gate's own test uses it).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/lib.sh"
need_go
need_pkg npm:npm node:nodejs

staticcheck_version=v0.8.2
deadcode_version=v0.52.0 # golang.org/x/tools, as in go.sum
eslint_version=10.16.0
eslint_js_version=10.0.1
globals_version=17.15.0

gobin="$(go env GOPATH | cut -d: -f1)/bin"
staticcheck="$gobin/staticcheck"
if ! [ -x "$staticcheck" ] || ! "$staticcheck" -version 2>/dev/null | grep -q "${staticcheck_version#v}"; then
  echo "installing staticcheck $staticcheck_version"
  GOBIN="$gobin" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
# deadcode has no -version: the installed version is read from the binary's build info.
deadcode="$gobin/deadcode"
if ! [ -x "$deadcode" ] || ! go version -m "$deadcode" 2>/dev/null | grep -q "golang.org/x/tools[[:space:]]*$deadcode_version"; then
  echo "installing deadcode $deadcode_version"
  GOBIN="$gobin" go install "golang.org/x/tools/cmd/deadcode@$deadcode_version"
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
echo "== deadcode =="
# Every function must be reachable from a command (cmd/…, bench/…). Packages whose name ends in
# "test" (dbtest, blobtest, jobstest, sharedtest) exist for tests alone and are not counted;
# a helper only tests use belongs in a _test.go file or in such a package.
if dead="$("$deadcode" ./... 2>&1)"; then
  dead="$(printf '%s\n' "$dead" | grep -Ev '^[^:]*test/[^/:]*\.go:' || true)"
else
  status=1
fi
if [ -n "$dead" ]; then
  printf '%s\n' "$dead"
  status=1
fi
echo "== eslint =="
# The config finds ESLint's packages through SISTERCITY_ESLINT_TOOLS.
SISTERCITY_ESLINT_TOOLS="$tools" "$eslint" --max-warnings 0 internal/web/static || status=1
exit $status
