#!/usr/bin/env bash
# Runs `make test` (scripts/test.sh) STRESS_RUNS times in a row (default 5) while two CPU-bound
# processes compete for the machine, as on a busy CI box: a test that depends on timing shows up
# here. Prints each run's closing count and stops at the first failing run, keeping its logs
# (in $SISTERCITY_TEST_LOGS, default /tmp). The load ends with the script, however it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${STRESS_RUNS:-5}
case $runs in
  '' | *[!0-9]* | 0) echo "STRESS_RUNS must be a positive number, not '$runs'" >&2; exit 2 ;;
esac

load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${load_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  load_pids=()
}
trap stop_load EXIT
trap 'exit 130' INT TERM

for _ in 1 2; do
  yes >/dev/null &
  load_pids+=($!)
done
# Under the extra load a package takes longer: a hang is still caught, at 60 minutes.
export SISTERCITY_TEST_TIMEOUT=${SISTERCITY_TEST_TIMEOUT:-60m}
echo "stress: $runs runs of make test beside two CPU-bound processes (pids ${load_pids[*]})"

for i in $(seq 1 "$runs"); do
  log=/tmp/sistercity-stress-$i.log
  echo "== stress run $i of $runs ($(date -u +%H:%M:%S) UTC) =="
  status=0
  bash scripts/test.sh >"$log" 2>&1 || status=$?
  count=$(grep -E '^tests: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
  echo "run $i: ${count:-no closing count (see $log)}"
  if [ "$status" -ne 0 ]; then
    echo "stress: run $i of $runs failed (exit $status); its output follows, in full in $log"
    tail -n 200 "$log"
    exit 1
  fi
done
echo "stress: $runs of $runs runs passed"
