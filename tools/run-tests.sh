#!/usr/bin/env bash
# Runs every test suite against the freshly built broker and prints one summary line.
# Usage: tools/run-tests.sh [build-dir]
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
export WARREN_SERVER="$PWD/$BUILD_DIR/warren-server"
passed=0
failed=0
failed_names=()

suite() {
  local name=$1
  shift
  echo
  echo "=== $name"
  local start=$SECONDS
  if "$@"; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

suite "layers (tools/check_layers.py)" python3 tools/check_layers.py

suite "unit (ctest)" timeout 600 ctest --test-dir "$BUILD_DIR" --output-on-failure -j 2

if [ -d tests/integration/python ]; then
  # A wide terminal keeps each failure's message on its summary line, which CI logs show last.
  suite "integration: python (pika)" env COLUMNS=400 timeout 900 /usr/bin/python3 -m pytest -q tests/integration/python
fi

if [ -d tests/integration/node ]; then
  node_suite() {
    (cd tests/integration/node && npm ci --no-audit --no-fund --loglevel=error && timeout 600 npm test)
  }
  suite "integration: node (amqplib)" node_suite
fi

if [ -f tests/integration/shell/run.sh ]; then
  suite "integration: shell (amqp-tools)" timeout 300 bash tests/integration/shell/run.sh
fi

if [ -f tests/integration/shell/perf_smoke.sh ]; then
  suite "smoke: warren-perf" timeout 300 bash tests/integration/shell/perf_smoke.sh
fi

if [ -x tools/run-fuzz.sh ]; then
  suite "fuzz (libFuzzer, brief)" timeout 900 tools/run-fuzz.sh "${WARREN_FUZZ_SECONDS:-10}"
fi

echo
if [ ${#failed_names[@]} -gt 0 ]; then
  echo "failed suites: ${failed_names[*]}"
fi
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
