#!/usr/bin/env bash
# Runs a test selection N times in a row and stops at the first failing run, to prove a suite is
# not flaky: `scripts/repeat-tests.sh 10 test/cluster/cluster.test.ts` or
# `npm run test:cluster -- --repeat 10` (default: every file of test/cluster, 10 runs).
# Prints one line per run and a closing "N of M runs passed".
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--repeat" ]; then shift; fi
runs=${1:-10}
shift || true
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(test/cluster/*.test.ts); fi
passed=0
for i in $(seq 1 "$runs"); do
  log=$(mktemp)
  start=$(date +%s)
  if npx ava "${files[@]}" >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "run $i: passed in $(( $(date +%s) - start )) s ($(grep -oE '[0-9]+ tests? passed' "$log" | head -1))"
    rm -f "$log"
  else
    echo "run $i: FAILED after $(( $(date +%s) - start )) s; output kept in $log"
    grep -E "✘|Error|message" "$log" | head -20
    echo "$passed of $runs runs passed"
    exit 1
  fi
done
echo "$passed of $runs runs passed"
