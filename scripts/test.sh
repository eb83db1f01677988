#!/usr/bin/env bash
# Runs the linters (scripts/lint.sh), then every test: the whole suite on SQLite, then again on
# PostgreSQL, with the browser test in both. Installs what is missing (PostgreSQL, Chromium,
# fonts, versitygw, nginx for bench/load) and starts a PostgreSQL server when none is running,
# stopping it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

need_go
need_pkg /usr/sbin/nginx:nginx chromium:chromium fc-list:fontconfig pg_isready:postgresql-client ffmpeg:ffmpeg ffprobe:ffmpeg lintian:lintian systemd-analyze:systemd xmllint:libxml2-utils
# Fonts that cover Hangul and Cyrillic, for the browser test's pages.
if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then need_pkg /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc:fonts-noto-cjk; fi
# versitygw, the real S3 server the storage tests start (internal/blob/blobtest), built once
# from the Go module proxy into $(go env GOPATH)/bin, where the tests look for it.
gobin="$(go env GOPATH | cut -d: -f1)/bin"
if [ -z "${SISTERCITY_VERSITYGW:-}" ] && ! command -v versitygw >/dev/null 2>&1 && [ ! -x "$gobin/versitygw" ]; then
  echo "installing versitygw (a few minutes, once)"
  if ! GOBIN="$gobin" go install github.com/versity/versitygw/cmd/versitygw@v1.8.0 >/tmp/sistercity-versitygw.log 2>&1; then
    cat /tmp/sistercity-versitygw.log; exit 1
  fi
fi

started_pg=""
pg_dir=""
cleanup() {
  if [ -n "$started_pg" ]; then
    echo "stopping the test PostgreSQL"
    runuser -u postgres -- "$started_pg/pg_ctl" -D "$pg_dir" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

pg_url=""
if [ -n "${SISTERCITY_TEST_DATABASE_URL:-}" ]; then
  pg_url="$SISTERCITY_TEST_DATABASE_URL"
elif pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "using the PostgreSQL running at 127.0.0.1:5432"
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'sistercity_test'" postgres | grep -q 1 ||
    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE sistercity_test" postgres >/dev/null
  pg_url="postgres://postgres@127.0.0.1:5432/sistercity_test?sslmode=disable"
else
  # The client package also makes /usr/lib/postgresql/N/bin, so look for the server itself.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkg postgresql-server:postgresql
  bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
  pg_dir=$(mktemp -d /tmp/sistercity-pg.XXXXXX)
  chown postgres "$pg_dir"
  echo "starting a PostgreSQL for the tests in $pg_dir (port 55432)"
  runuser -u postgres -- "$bin/initdb" -D "$pg_dir" -A trust -U postgres >/dev/null
  runuser -u postgres -- "$bin/pg_ctl" -D "$pg_dir" -l "$pg_dir/log" -w \
    -o "-p 55432 -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  started_pg="$bin"
  psql -h 127.0.0.1 -p 55432 -U postgres -c "CREATE DATABASE sistercity_test" postgres >/dev/null
  pg_url="postgres://postgres@127.0.0.1:55432/sistercity_test?sslmode=disable"
fi

export CI="${CI:-}"
# Tests that need PostgreSQL whatever the pass (bench/load's two topologies) find it here.
export SISTERCITY_TEST_POSTGRES_URL="$pg_url"
# The passes' logs; SISTERCITY_TEST_LOGS moves them so that two checkouts can test at once.
logs=${SISTERCITY_TEST_LOGS:-/tmp}
# go test's bound on one package; test-stress.sh raises it, since the load it adds makes every
# package slower without making any test less exact.
timeout=${SISTERCITY_TEST_TIMEOUT:-25m}
mkdir -p "$logs"
echo "== go vet =="
go vet ./...
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
# staticcheck and ESLint over the whole tree; any finding fails the run before the tests.
bash scripts/lint.sh
echo "(installs, vet and linters: $SECONDS s)"

# Each pass runs the whole suite verbosely into a log; the terminal gets each package's result,
# the failures in full, and a closing count.
# test_pass NAME URL RACE PKG... runs a pass into its log and its exit status into NAME.status;
# RACE is -race, or "" for a pass without the race detector.
test_pass() {
  local name=$1 url=$2 race=$3 status=0 start=$SECONDS
  shift 3
  SISTERCITY_TEST_DATABASE_URL="$url" go test $race -count=1 -timeout "$timeout" -v "$@" >"$logs/sistercity-test-$name.log" 2>&1 || status=$?
  echo "$status $((SECONDS - start))" >"$logs/sistercity-test-$name.status"
}
# report NAME prints a finished pass's results and adds them to the closing count.
report() {
  local name=$1 log=$logs/sistercity-test-$1.log status secs
  read -r status secs <"$logs/sistercity-test-$name.status"
  echo "== tests on $name ($secs s) =="
  grep -E '^(ok|FAIL|---|panic:)|^\s+--- FAIL|^=== RUN   TestBrowser' "$log" | grep -vE '^\s*--- (PASS|SKIP)' || true
  passed=$((passed + $(grep -cE '^\s*--- PASS' "$log" || true)))
  failed=$((failed + $(grep -cE '^\s*--- FAIL' "$log" || true)))
  if [ "$status" -ne 0 ]; then
    echo "---- $name: failing output ----"
    grep -vE '^\s*(=== (RUN|PAUSE|CONT)|--- PASS)' "$log" | tail -n 200
    overall=1
  fi
}
# longest_first orders packages so that the long ones start first: go test starts packages in
# the order given, two at a time, and a long package started last runs alone at the end while
# the other slot has nothing left to do.
longest="sistercity/internal/web sistercity/cmd/sistercity sistercity/internal/upload
  sistercity/internal/db sistercity/internal/media sistercity/internal/video
  sistercity/internal/jobs sistercity/packaging sistercity/bench/load sistercity/bench/slow4g
  sistercity/internal/blob sistercity/internal/fed sistercity/internal/auth"
longest_first() {
  local p
  for p in $longest; do case " $* " in *" $p "*) echo "$p" ;; esac; done
  for p in "$@"; do case " $longest " in *" $p "*) ;; *) echo "$p" ;; esac; done
}
passed=0 failed=0 overall=0
# The first pass runs everything on SQLite with the race detector. The second runs again every
# package whose tests use the database (they import dbtest), now on PostgreSQL; packages without
# a database (subtitle, media) run once. On PostgreSQL the race detector watches the packages
# whose concurrent code is PostgreSQL's own (pg_race_pkgs: the connection pool and its
# transactions, the job queue's LISTEN/NOTIFY and leader election, the uploads' advisory-lock
# locker); the others' code is the same on both databases and was watched in the first pass, so
# they run without it, at a third of the time.
db_pkgs=$(go list -f '{{.ImportPath}} {{join .TestImports " "}} {{join .XTestImports " "}}' ./... | grep 'internal/db/dbtest' | cut -d' ' -f1)
pg_race_pkgs="sistercity/internal/db sistercity/internal/jobs sistercity/internal/upload"
pg_plain_pkgs=$(for p in $db_pkgs; do case " $pg_race_pkgs " in *" $p "*) ;; *) echo "$p" ;; esac; done)
all_pkgs=$(go list ./...)
echo "== tests on sqlite =="
test_pass sqlite "" -race $(longest_first $all_pkgs)
report sqlite
# The two PostgreSQL passes run at once: the race detector's three packages take a few minutes
# beside the long packages of the other.
echo "== tests on postgres-race and postgres =="
test_pass postgres-race "$pg_url" -race $(longest_first $pg_race_pkgs) &
race_pid=$!
test_pass postgres "$pg_url" "" $(longest_first $pg_plain_pkgs)
wait "$race_pid" || true
report postgres-race
report postgres
# The anonymous flood in full (10,000 requests, no session row, no cookie): too slow for the
# race detector, which runs a tenth of it above.
echo "== anonymous flood without the race detector =="
go test -count=1 -run 'TestAnonymousVisitorsMakeNoSessions$' ./internal/web || overall=1
skipped=$(cat "$logs"/sistercity-test-{sqlite,postgres-race,postgres}.log | grep -cE '^\s*--- SKIP' || true)
if [ -n "$CI" ] && [ "$skipped" -gt 0 ]; then
  echo "tests were skipped under CI=true:"; grep -hE '^\s*--- SKIP' "$logs"/sistercity-test-{sqlite,postgres-race,postgres}.log; overall=1
fi
echo "tests: $passed passed, $failed failed"
exit $overall
