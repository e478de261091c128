#!/usr/bin/env bash
# Smoke test for warren-perf against a fresh Warren broker.
#
# Starts $WARREN_SERVER (default <repo>/build/warren-server) on a free port with a temporary
# data directory, runs a few short warren-perf workloads ($WARREN_PERF, default
# <repo>/build/warren-perf) and checks their JSON summaries: counts only, never timings.
# Every warren-perf run is under `timeout 60`. The last line is "N passed, M failed"; the
# exit status is non-zero if anything failed.
#
# Needs: bash, python3 (json module, free port), coreutils.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
WARREN_SERVER="${WARREN_SERVER:-$REPO_ROOT/build/warren-server}"
WARREN_PERF="${WARREN_PERF:-$REPO_ROOT/build/warren-perf}"
RUN_TIMEOUT=60

PASSED=0
FAILED=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/warren-perf-smoke.XXXXXX")"
BROKER_PID=""

cleanup() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -KILL "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

give_up() { # give_up MESSAGE: a failure that stops the run before the checks
  echo "FAIL - $1" >&2
  echo "$PASSED passed, $((FAILED + 1)) failed"
  exit 1
}

record() { # record NAME STATUS LOGFILE
  if [[ "$2" -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
  else
    FAILED=$((FAILED + 1))
    echo "FAIL - $1 (status $2)"
    if [[ -s "$3" ]]; then sed 's/^/       | /' "$3"; fi
  fi
}

# json_check FILE EXPR: EXPR is Python over `j`, the last line of FILE parsed as JSON.
json_check() {
  python3 - "$1" "$2" <<'PY'
import json, sys
lines = [l for l in open(sys.argv[1]).read().splitlines() if l.strip()]
if not lines:
    sys.exit("no JSON summary on stdout")
j = json.loads(lines[-1])
if not eval(sys.argv[2], {"j": j}):
    sys.exit("check failed: %s\nsummary: %s" % (sys.argv[2], json.dumps(j)))
PY
}

# perf_check NAME EXPR ARGS...: runs warren-perf ARGS --json, then json_check EXPR.
perf_check() {
  local name=$1 expr=$2
  shift 2
  local out="$WORK/run$((PASSED + FAILED)).out" log="$WORK/run$((PASSED + FAILED)).log" status=0
  if timeout "$RUN_TIMEOUT" "$WARREN_PERF" -h "$URL" "$@" --json >"$out" 2>"$log"; then
    json_check "$out" "$expr" >>"$log" 2>&1 || status=$?
  else
    status=$?
  fi
  record "$name" "$status" "$log"
}

[[ -x "$WARREN_SERVER" ]] || give_up "no broker at $WARREN_SERVER (build it first)"
[[ -x "$WARREN_PERF" ]] || give_up "no warren-perf at $WARREN_PERF (build it first)"

PORT="$(python3 "$HERE/../free_port.py")"
URL="amqp://guest:guest@127.0.0.1:$PORT/%2F"
mkdir -p "$WORK/data"
"$WARREN_SERVER" --port "$PORT" --data-dir "$WORK/data" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!

deadline=$((SECONDS + 10))
until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do
  kill -0 "$BROKER_PID" 2>/dev/null || give_up "broker exited at start: $(tail -5 "$WORK/broker.log")"
  ((SECONDS < deadline)) || give_up "broker not listening on $PORT after 10 s"
  sleep 0.1
done

perf_check "count mode: every published message is consumed" \
  'j["sent"] == 20000 and j["received"] == 20000 and j["latency_us"]["samples"] == 20000' \
  -x1 -y1 -C 20000 -D 20000 -s 100

perf_check "churn: 50 connect/declare/publish/close cycles" \
  'j["mode"] == "churn" and j["connections"] == 50' \
  --churn -C 50

perf_check "persistent publishes with confirms: all confirmed" \
  'j["sent"] == 5000 and j["confirmed"] == j["sent"] and j["nacked"] == 0 and j["received"] == 5000' \
  -x1 -y1 -C 5000 -D 5000 -c 100 -f persistent

perf_check "multi-ack, prefetch and two queues" \
  'j["sent"] == 6000 and j["received"] == 6000' \
  -x2 -y2 -C 3000 -D 3000 -q 50 -A 10 --queue-pattern "perf-smoke-$$-%d" --queue-pattern-to 2

# The drain starts on a full queue: deliveries arrive right behind basic.consume-ok.
perf_check "fill then drain: every confirmed message is drained" \
  'j["mode"] == "fill" and j["confirmed"] == 5000 and j["received"] == 5000' \
  --fill 5000 -q 100 -A 20

# Delayed publishes through an x-delayed-message exchange: each body carries its due time, and
# the consumer reports lateness; nothing may arrive before it is due. The queue's name (the
# binding key) is longer than 15 bytes on purpose: warren-perf once bound with a dangling key.
perf_check "delayed publishes: all released, none early, lateness per message" \
  'j["sent"] == 2000 and j["received"] == 2000 and j["early"] == 0 and j["latency_us"]["samples"] == 2000' \
  -x1 -y1 -C 2000 -D 2000 -s 64 -c 100 -u "perf-smoke-delayed-$$" -e "perf-smoke-dx-$$" \
  -t x-delayed-message --delay-lead 0.5 --delay-spread 0.5

# A refused connection must end the run with a non-zero status and the broker's reply.
log="$WORK/bad-vhost.log"
status=0
if timeout "$RUN_TIMEOUT" "$WARREN_PERF" -h "amqp://guest:guest@127.0.0.1:$PORT/no-such-vhost" \
  -C 10 >"$log" 2>&1; then
  status=1
  echo "warren-perf exited 0 for a missing vhost" >>"$log"
elif ! grep -q "530" "$log"; then
  status=1
  echo "no 530 reply code in the output" >>"$log"
fi
record "missing vhost: exit status 1 with the broker's 530" "$status" "$log"

kill -TERM "$BROKER_PID"
deadline=$((SECONDS + 10))
while kill -0 "$BROKER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
if kill -0 "$BROKER_PID" 2>/dev/null; then
  kill -KILL "$BROKER_PID" 2>/dev/null || true
fi
wait "$BROKER_PID" 2>/dev/null || true
BROKER_PID=""

echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
