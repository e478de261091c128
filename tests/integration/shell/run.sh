#!/usr/bin/env bash
# Integration checks for Warren with the amqp-tools command-line clients
# (Debian package amqp-tools: amqp-publish, amqp-consume, amqp-get,
# amqp-declare-queue, amqp-delete-queue).
#
# Broker contract:
#   WARREN_TEST_URL set  -> use that broker (e.g. amqp://guest:guest@127.0.0.1:5673)
#   otherwise            -> spawn $WARREN_SERVER (default <repo>/build/warren-server)
#                           with --port <free port> --data-dir <tmp dir> --log-level info,
#                           wait up to 10 s for the port, and at the end require a clean
#                           exit (code 0) within 10 s of SIGTERM.
#
# Every check runs under `timeout 20`. The last line is "N passed, M failed";
# the exit status is non-zero if anything failed.
#
# Needs: bash, amqp-tools, node (for amqp-peek.js, a tiny dependency-free AMQP
# client used to read message properties and queue counters), coreutils.
#
# Handler commands given to amqp-consume are single-quoted on purpose: they
# expand $WORK in the handler's own shell.
# shellcheck disable=SC2016
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HERE/../../.." && pwd)"
CHECK_TIMEOUT=20

for tool in amqp-publish amqp-consume amqp-get amqp-declare-queue amqp-delete-queue node timeout openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "missing required tool: $tool (amqp-tools: apt-get install amqp-tools)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/warren-it-shell.XXXXXX")"
BROKER_PID=""
DATA_DIR=""
BROKER_LOG="$WORK/broker.log"

cleanup() {
  if [[ -n "$BROKER_PID" ]] && kill -0 "$BROKER_PID" 2>/dev/null; then
    kill -KILL "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
  # leftovers from failed checks (best effort, only on an external broker)
  if [[ -n "${WARREN_TEST_URL:-}" && -s "$WORK/created-queues" ]]; then
    while read -r q; do
      timeout 5 amqp-delete-queue -u "$URL" -q "$q" >/dev/null 2>&1 || true
    done <"$WORK/created-queues"
  fi
  if [[ -n "${WARREN_TEST_URL:-}" && -s "$WORK/created-exchanges" ]]; then
    while read -r x; do
      timeout 5 node "$HERE/amqp-peek.js" delete-exchange "$URL" "$x" >/dev/null 2>&1 || true
    done <"$WORK/created-exchanges"
  fi
  [[ -n "$DATA_DIR" ]] && rm -rf "$DATA_DIR"
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

free_port() {
  python3 "$HERE/../free_port.py"
}

PASSED=0
FAILED=0
FAILED_NAMES=()

record() { # record NAME STATUS [LOGFILE]
  if [[ "$2" -eq 0 ]]; then
    PASSED=$((PASSED + 1))
    echo "ok   - $1"
  else
    FAILED=$((FAILED + 1))
    FAILED_NAMES+=("$1")
    echo "FAIL - $1 (status $2)"
    if [[ -n "${3:-}" && -s "$3" ]]; then sed 's/^/       | /' "$3"; fi
  fi
}

# ---------------------------------------------------------------------------
# TLS certificates (openssl CLI): a CA, a server certificate for localhost signed by it,
# and an unrelated CA that must not be trusted.
make_certs() { # make_certs DIR
  local d="$1" name
  for name in ca other; do
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/$name.key" 2>/dev/null
    openssl req -x509 -new -key "$d/$name.key" -out "$d/$name.pem" -days 2 \
      -subj "/CN=Warren test CA $name" -addext basicConstraints=critical,CA:TRUE \
      -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  done
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$d/server.key" 2>/dev/null
  openssl req -new -key "$d/server.key" -out "$d/server.csr" -subj /CN=localhost 2>/dev/null
  printf '%s\n' 'basicConstraints = critical, CA:FALSE' \
    'keyUsage = critical, digitalSignature, keyEncipherment' 'extendedKeyUsage = serverAuth' \
    'subjectAltName = DNS:localhost,IP:127.0.0.1' >"$d/server.ext"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial \
    -out "$d/server.pem" -days 2 -extfile "$d/server.ext" 2>/dev/null
}

# ---------------------------------------------------------------------------
# broker
TLS_PORT=""
CERTS="$WORK/certs"
if [[ -n "${WARREN_TEST_URL:-}" ]]; then
  URL="$WARREN_TEST_URL"
  echo "# using external broker $URL (amqps checks skipped: its TLS setup is unknown)"
else
  SERVER="${WARREN_SERVER:-$REPO_ROOT/build/warren-server}"
  if [[ ! -x "$SERVER" ]]; then
    echo "warren-server not found or not executable at $SERVER (build it, set WARREN_SERVER, or set WARREN_TEST_URL)" >&2
    echo "0 passed, 1 failed"
    exit 1
  fi
  PORT="$(free_port)"
  TLS_PORT="$(free_port)"
  while [[ "$TLS_PORT" == "$PORT" ]]; do TLS_PORT="$(free_port)"; done
  mkdir -p "$CERTS"
  make_certs "$CERTS"
  DATA_DIR="$(mktemp -d "${TMPDIR:-/tmp}/warren-it-shell-data.XXXXXX")"
  "$SERVER" --port "$PORT" --data-dir "$DATA_DIR" --log-level info --tls-port "$TLS_PORT" \
    --tls-cert "$CERTS/server.pem" --tls-key "$CERTS/server.key" >"$BROKER_LOG" 2>&1 &
  BROKER_PID=$!
  deadline=$((SECONDS + 10))
  started=0
  while ((SECONDS <= deadline)); do
    if ! kill -0 "$BROKER_PID" 2>/dev/null; then break; fi
    if port_open "$PORT" && port_open "$TLS_PORT"; then started=1; break; fi
    sleep 0.05
  done
  if [[ "$started" -ne 1 ]]; then
    echo "warren-server did not accept connections on port $PORT within 10 s" >&2
    tail -n 50 "$BROKER_LOG" >&2 || true
    echo "0 passed, 1 failed"
    exit 1
  fi
  URL="amqp://guest:guest@127.0.0.1:$PORT"
  echo "# spawned $SERVER on port $PORT (pid $BROKER_PID)"
fi

# ---------------------------------------------------------------------------
# helpers available inside checks (exported to the `timeout bash -c` children)
export URL HERE WORK TLS_PORT CERTS

uniq_name() { # unique, registered for cleanup
  local n
  n="warren-it.sh.$1.$$.$RANDOM$RANDOM"
  echo "$n" >>"$WORK/created-queues"
  echo "$n"
}
uniq_exchange() {
  local n
  n="warren-it.sh.x.$1.$$.$RANDOM$RANDOM"
  echo "$n" >>"$WORK/created-exchanges"
  echo "$n"
}
peek() { node "$HERE/amqp-peek.js" "$@"; }
fail() {
  echo "$*" >&2
  return 1
}
expect_eq() { # expect_eq WHAT EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    printf '%s:\n  expected: %q\n  actual:   %q\n' "$1" "$2" "$3" >&2
    return 1
  fi
}
expect_counts() { # expect_counts QUEUE "MESSAGES CONSUMERS"
  expect_eq "counts of $1" "$2" "$(peek count "$URL" "$1")"
}
wait_counts() { # wait_counts QUEUE "MESSAGES CONSUMERS" (polls up to 5 s)
  local i got=""
  for i in $(seq 1 100); do
    got="$(peek count "$URL" "$1" 2>/dev/null || true)"
    [[ "$got" == "$2" ]] && return 0
    sleep 0.05
  done
  expect_eq "counts of $1 (after waiting)" "$2" "$got"
}
export -f uniq_name uniq_exchange peek fail expect_eq expect_counts wait_counts

run_check() { # run_check FUNCTION
  local name="$1" log="$WORK/$1.log" status=0
  timeout "$CHECK_TIMEOUT" bash -euo pipefail -c "$name" >"$log" 2>&1 || status=$?
  if [[ "$status" -eq 124 ]]; then echo "timed out after ${CHECK_TIMEOUT}s" >>"$log"; fi
  record "$name" "$status" "$log"
}

# ---------------------------------------------------------------------------
# checks

declare_queue() {
  local q out
  q="$(uniq_name declare)"
  out="$(amqp-declare-queue -u "$URL" -q "$q")"
  expect_eq "declare prints the queue name" "$q" "$out"
  expect_counts "$q" "0 0"
  # redeclaring with the same (default) flags is fine
  out="$(amqp-declare-queue -u "$URL" -q "$q")"
  expect_eq "redeclare prints the queue name" "$q" "$out"
  # an empty name gets a server-generated one
  out="$(amqp-declare-queue -u "$URL" -q "")"
  [[ "$out" =~ ^amq\.gen-[A-Za-z0-9_-]{22}$ ]] || fail "server-named queue: got '$out'"
  amqp-delete-queue -u "$URL" -q "$out" >/dev/null
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

declare_durable_queue() {
  local q out err
  q="$(uniq_name durable)"
  out="$(amqp-declare-queue -u "$URL" -q "$q" -d)"
  expect_eq "durable declare prints the queue name" "$q" "$out"
  out="$(amqp-declare-queue -u "$URL" -q "$q" --durable)"
  expect_eq "durable redeclare" "$q" "$out"
  # redeclaring as non-durable is a 406
  if err="$(amqp-declare-queue -u "$URL" -q "$q" 2>&1 >/dev/null)"; then fail "non-durable redeclare succeeded"; fi
  expect_eq "406 text" \
    "queue.declare: server channel error 406, message: PRECONDITION_FAILED - inequivalent arg 'durable' for queue '$q' in vhost '/': received 'false' but current is 'true'" \
    "$err"
  expect_counts "$q" "0 0"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

publish_with_properties() {
  local q json expected
  q="$(uniq_name props)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  amqp-publish -u "$URL" -r "$q" -b 'hello props' -C application/json -E gzip -t reply.to.me -p \
    -H "x-trace: abc-123" -H "tenant:  acme" -H "n: 5"
  json="$(peek get "$URL" "$q")"
  expected='{"exchange":"","routing_key":"'"$q"'","redelivered":false,"message_count":0,"properties":{"content_type":"application/json","content_encoding":"gzip","headers":{"x-trace":["S","abc-123"],"tenant":["S","acme"],"n":["S","5"]},"delivery_mode":2,"reply_to":"reply.to.me"},"body_size":11,"body_sha256":"'"$(printf 'hello props' | sha256sum | cut -d' ' -f1)"'"}'
  expect_eq "delivered message (properties with type tags)" "$expected" "$json"
  # default: non-persistent (delivery-mode 1 is always sent by amqp-publish)
  amqp-publish -u "$URL" -r "$q" -b plain
  json="$(peek get "$URL" "$q")"
  expected='{"exchange":"","routing_key":"'"$q"'","redelivered":false,"message_count":0,"properties":{"delivery_mode":1},"body_size":5,"body_sha256":"'"$(printf plain | sha256sum | cut -d' ' -f1)"'"}'
  expect_eq "plain message" "$expected" "$json"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

routing_key_on_exchange() {
  local q x out
  q="$(uniq_name routed)"
  x="$(uniq_exchange direct)"
  peek declare-exchange "$URL" "$x" direct
  amqp-consume -u "$URL" -q "$q" -e "$x" -r "k1,k3" -c 3 -- sh -c 'cat; echo' >"$WORK/routed.out" &
  local pid=$!
  wait_counts "$q" "0 1"
  amqp-publish -u "$URL" -e "$x" -r k1 -b one
  amqp-publish -u "$URL" -e "$x" -r k2 -b dropped
  amqp-publish -u "$URL" -e "$x" -r k3 -b three
  amqp-publish -u "$URL" -e "$x" -r K1 -b dropped-too
  amqp-publish -u "$URL" -e "$x" -r k1 -b four
  wait "$pid"
  out="$(cat "$WORK/routed.out")"
  expect_eq "routed bodies" $'one\nthree\nfour' "$out"
  # amqp-consume declared the queue auto-delete; it is gone now
  if peek count "$URL" "$q" 2>/dev/null; then fail "auto-delete queue still exists"; fi
  peek delete-exchange "$URL" "$x"
}

get_returns_body_exactly() {
  local q
  q="$(uniq_name get)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  printf '  leading and trailing spaces  \nsecond line\n\n' >"$WORK/get.in"
  amqp-publish -u "$URL" -r "$q" <"$WORK/get.in"
  amqp-publish -u "$URL" -r "$q" -b second
  amqp-get -u "$URL" -q "$q" >"$WORK/get.out"
  cmp "$WORK/get.in" "$WORK/get.out"
  expect_eq "second get" "second" "$(amqp-get -u "$URL" -q "$q")"
  expect_counts "$q" "0 0"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

get_on_empty_queue_fails() {
  local q status out err
  q="$(uniq_name empty)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  status=0
  out="$(amqp-get -u "$URL" -q "$q")" || status=$?
  expect_eq "amqp-get exit status on an empty queue" 2 "$status"
  expect_eq "no output" "" "$out"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
  # missing queue: channel error
  status=0
  err="$(amqp-get -u "$URL" -q "$q" 2>&1 >/dev/null)" || status=$?
  expect_eq "amqp-get exit status on a missing queue" 1 "$status"
  expect_eq "404 text" "basic.get: server channel error 404, message: NOT_FOUND - no queue '$q' in vhost '/'" "$err"
}

consume_count_in_order() {
  local q i out
  q="$(uniq_name consume)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  for i in 1 2 3 4 5 6 7 8 9 10; do amqp-publish -u "$URL" -r "$q" -b "m$i"; done
  amqp-publish -u "$URL" -r "$q" -b "left-over"
  expect_counts "$q" "11 0"
  out="$(amqp-consume -u "$URL" -q "$q" -c 10 -- sh -c 'cat; echo')"
  expect_eq "10 bodies in order" "$(printf 'm%s\n' 1 2 3 4 5 6 7 8 9 10 | head -c -1)" "$out"
  # exactly N were taken (and acked); the rest is still there
  wait_counts "$q" "1 0"
  expect_eq "left-over" "left-over" "$(amqp-get -u "$URL" -q "$q")"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

consume_no_ack() {
  local q out
  q="$(uniq_name noack)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  for i in a b c; do amqp-publish -u "$URL" -r "$q" -b "$i"; done
  out="$(amqp-consume -u "$URL" -q "$q" -A -c 3 -- sh -c 'cat; echo')"
  expect_eq "no-ack bodies" $'a\nb\nc' "$out"
  wait_counts "$q" "0 0"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

consume_with_prefetch() {
  local q out pid got
  q="$(uniq_name prefetch)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  for i in 1 2 3 4 5 6; do amqp-publish -u "$URL" -r "$q" -b "p$i"; done
  # the handler stalls on the first message until the check below releases it: with
  # prefetch 2 the broker may only have handed out two messages meanwhile
  amqp-consume -u "$URL" -q "$q" -p 2 -c 6 -- sh -c \
    'cat >>"$WORK/prefetch.out"; echo >>"$WORK/prefetch.out"; if [ "$(wc -l <"$WORK/prefetch.out")" -eq 1 ]; then touch "$WORK/prefetch.stalled"; i=0; while [ ! -e "$WORK/prefetch.release" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done; fi; true' &
  pid=$!
  for _ in $(seq 1 100); do [[ -e "$WORK/prefetch.stalled" ]] && break; sleep 0.05; done
  [[ -e "$WORK/prefetch.stalled" ]] || fail "first message never arrived"
  sleep 0.3  # time for a broker that ignores prefetch to send more
  expect_counts "$q" "4 1"
  touch "$WORK/prefetch.release"
  wait "$pid"
  expect_eq "prefetch bodies" "$(printf 'p%s\n' 1 2 3 4 5 6)" "$(cat "$WORK/prefetch.out")"
  wait_counts "$q" "0 0"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

consume_failed_handler_requeues() {
  local q json
  q="$(uniq_name requeue)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  amqp-publish -u "$URL" -r "$q" -b retry-me
  # a failing handler means no ack; closing the connection requeues it
  amqp-consume -u "$URL" -q "$q" -c 1 -- false
  wait_counts "$q" "1 0"
  json="$(peek get "$URL" "$q")"
  [[ "$json" == *'"redelivered":true'* ]] || fail "expected redelivered=true: $json"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

fanout_exchange() {
  local x qa qb pa pb
  x="$(uniq_exchange fanout)"
  qa="$(uniq_name fan-a)"
  qb="$(uniq_name fan-b)"
  peek declare-exchange "$URL" "$x" fanout
  # amqp-consume needs a routing key with -e; fanout ignores it
  amqp-consume -u "$URL" -q "$qa" -e "$x" -r ignored -c 3 -- sh -c 'cat; echo' >"$WORK/fan-a.out" &
  pa=$!
  amqp-consume -u "$URL" -q "$qb" -e "$x" -r other -c 3 -- sh -c 'cat; echo' >"$WORK/fan-b.out" &
  pb=$!
  wait_counts "$qa" "0 1"
  wait_counts "$qb" "0 1"
  amqp-publish -u "$URL" -e "$x" -r any -b f1
  amqp-publish -u "$URL" -e "$x" -r "" -b f2
  amqp-publish -u "$URL" -e "$x" -r x.y.z -b f3
  wait "$pa"
  wait "$pb"
  expect_eq "consumer a" $'f1\nf2\nf3' "$(cat "$WORK/fan-a.out")"
  expect_eq "consumer b" $'f1\nf2\nf3' "$(cat "$WORK/fan-b.out")"
  # server-named queue bound to the fanout exchange (no -q)
  amqp-consume -u "$URL" -e "$x" -r k -c 1 -- cat >"$WORK/fan-c.out" 2>"$WORK/fan-c.err" &
  pa=$!
  for _ in $(seq 1 100); do grep -q 'Server provided queue name' "$WORK/fan-c.err" 2>/dev/null && break; sleep 0.05; done
  local gen
  gen="$(sed -n 's/^Server provided queue name: //p' "$WORK/fan-c.err")"
  [[ "$gen" =~ ^amq\.gen- ]] || fail "expected a server-provided name, got '$gen'"
  wait_counts "$gen" "0 1"
  amqp-publish -u "$URL" -e "$x" -r whatever -b to-generated
  wait "$pa"
  expect_eq "server-named queue consumer" "to-generated" "$(cat "$WORK/fan-c.out")"
  peek delete-exchange "$URL" "$x"
}

delete_queue() {
  local q out err status
  q="$(uniq_name delete)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  amqp-publish -u "$URL" -r "$q" -b one
  amqp-publish -u "$URL" -r "$q" -b two
  # --if-empty on a non-empty queue: 406
  status=0
  err="$(amqp-delete-queue -u "$URL" -q "$q" --if-empty 2>&1 >/dev/null)" || status=$?
  expect_eq "if-empty status" 1 "$status"
  expect_eq "if-empty text" "queue.delete: server channel error 406, message: PRECONDITION_FAILED - queue '$q' in vhost '/' not empty" "$err"
  # --if-unused while a consumer is attached: 406
  amqp-consume -u "$URL" -q "$q" -c 3 -- sh -c 'cat >/dev/null' &
  local pid=$!
  wait_counts "$q" "0 1"
  status=0
  err="$(amqp-delete-queue -u "$URL" -q "$q" --if-unused 2>&1 >/dev/null)" || status=$?
  expect_eq "if-unused status" 1 "$status"
  expect_eq "if-unused text" "queue.delete: server channel error 406, message: PRECONDITION_FAILED - queue '$q' in vhost '/' in use" "$err"
  amqp-publish -u "$URL" -r "$q" -b three
  wait "$pid"
  amqp-publish -u "$URL" -r "$q" -b four
  amqp-publish -u "$URL" -r "$q" -b five
  wait_counts "$q" "2 0"
  # plain delete prints the number of messages deleted
  out="$(amqp-delete-queue -u "$URL" -q "$q")"
  expect_eq "delete output" "2" "$out"
  status=0
  peek count "$URL" "$q" 2>"$WORK/delete.err" || status=$?
  expect_eq "queue is gone" 1 "$status"
  expect_eq "404" "error 404 NOT_FOUND - no queue '$q' in vhost '/'" "$(cat "$WORK/delete.err")"
  # deleting a missing queue succeeds and reports 0
  expect_eq "delete missing" "0" "$(amqp-delete-queue -u "$URL" -q "$q")"
}

binary_body_round_trip() {
  local q
  q="$(uniq_name binary)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)))' >"$WORK/bin.in"
  # sha256 of the bytes 0x00..0xff
  expect_eq "input bytes" 40aff2e9d2d8922e47afd4648e6967497158785fbd1da870e7110266bf944880 \
    "$(sha256sum <"$WORK/bin.in" | cut -d' ' -f1)"
  amqp-publish -u "$URL" -r "$q" -C application/octet-stream <"$WORK/bin.in"
  amqp-publish -u "$URL" -r "$q" <"$WORK/bin.in"
  amqp-get -u "$URL" -q "$q" >"$WORK/bin.get"
  cmp "$WORK/bin.in" "$WORK/bin.get"
  amqp-consume -u "$URL" -q "$q" -c 1 -- sh -c 'cat >"$WORK/bin.consume"'
  cmp "$WORK/bin.in" "$WORK/bin.consume"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

one_mib_body() {
  local q json sum
  q="$(uniq_name big)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  head -c 1048576 /dev/urandom >"$WORK/big.in"
  sum="$(sha256sum <"$WORK/big.in" | cut -d' ' -f1)"
  amqp-publish -u "$URL" -r "$q" <"$WORK/big.in"
  amqp-publish -u "$URL" -r "$q" <"$WORK/big.in"
  amqp-publish -u "$URL" -r "$q" <"$WORK/big.in"
  amqp-get -u "$URL" -q "$q" >"$WORK/big.get"
  cmp "$WORK/big.in" "$WORK/big.get"
  amqp-consume -u "$URL" -q "$q" -c 1 -- sh -c 'cat >"$WORK/big.consume"'
  cmp "$WORK/big.in" "$WORK/big.consume"
  json="$(peek get "$URL" "$q")"
  [[ "$json" == *"\"body_size\":1048576,\"body_sha256\":\"$sum\"}" ]] || fail "peek: $json"
  expect_counts "$q" "0 0"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

line_buffered_publish() {
  local q
  q="$(uniq_name lines)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  printf 'first\nsecond\nthird\n' | amqp-publish -u "$URL" -r "$q" -l
  expect_counts "$q" "3 0"
  # each line is one message, newline included
  amqp-consume -u "$URL" -q "$q" -c 3 -- cat >"$WORK/lines.out"
  printf 'first\nsecond\nthird\n' >"$WORK/lines.expected"
  cmp "$WORK/lines.expected" "$WORK/lines.out"
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

publish_to_missing_exchange_fails() {
  local x status err
  x="$(uniq_exchange missing)"
  status=0
  err="$(amqp-publish -u "$URL" -e "$x" -r k -b lost 2>&1)" || status=$?
  expect_eq "status" 1 "$status"
  expect_eq "404 text" "closing channel: server channel error 404, message: NOT_FOUND - no exchange '$x' in vhost '/'" "$err"
}

login_errors() {
  local status err bad
  bad="$(printf '%s' "$URL" | sed -E 's#^(amqp://[^:]+:)[^@]*@#\1wrong-password@#')"
  status=0
  err="$(amqp-get -u "$bad" -q whatever 2>&1)" || status=$?
  expect_eq "bad password status" 1 "$status"
  expect_eq "bad password text" \
    "logging in to AMQP server: server connection error 403, message: ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile." \
    "$err"
  status=0
  err="$(amqp-get -u "${URL%/}/warren-no-such-vhost" -q whatever 2>&1)" || status=$?
  expect_eq "bad vhost status" 1 "$status"
  expect_eq "bad vhost text" \
    "logging in to AMQP server: server connection error 530, message: NOT_ALLOWED - vhost warren-no-such-vhost not found" \
    "$err"
}

amqps_publish_and_consume() {
  local q tls_url out
  tls_url="amqps://guest:guest@localhost:$TLS_PORT"
  q="$(uniq_name amqps)"
  amqp-declare-queue --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -q "$q" >/dev/null
  amqp-publish --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -r "$q" -b "over tls"
  head -c 2097152 /dev/urandom >"$WORK/amqps-big.in"
  amqp-publish --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -r "$q" <"$WORK/amqps-big.in"
  # the plain listener sees what came in over TLS
  expect_counts "$q" "2 0"
  out="$(amqp-get --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -q "$q")"
  expect_eq "first body over amqps" "over tls" "$out"
  amqp-consume --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -q "$q" -c 1 -- \
    sh -c 'cat >"$WORK/amqps-big.out"'
  cmp "$WORK/amqps-big.in" "$WORK/amqps-big.out"
  amqp-delete-queue --ssl --cacert "$CERTS/ca.pem" -u "$tls_url" -q "$q" >/dev/null
}

amqps_untrusted_ca_fails() {
  local status err
  status=0
  err="$(amqp-get --ssl --cacert "$CERTS/other.pem" -u "amqps://guest:guest@localhost:$TLS_PORT" \
    -q whatever 2>&1)" || status=$?
  expect_eq "untrusted CA status" 1 "$status"
  # rabbitmq-c reports a failed TLS handshake (here: certificate verification) this way
  expect_eq "untrusted CA error" "opening socket to localhost:$TLS_PORT" "$err"
  # the broker is fine
  amqp-declare-queue --ssl --cacert "$CERTS/ca.pem" -u "amqps://guest:guest@localhost:$TLS_PORT" \
    -q "$(uniq_name after-bad-ca)" >/dev/null
}

plain_client_on_tls_port_fails() {
  local status
  status=0
  timeout 8 amqp-get -u "amqp://guest:guest@127.0.0.1:$TLS_PORT" -q whatever >/dev/null 2>&1 || status=$?
  [[ "$status" -ne 0 && "$status" -ne 124 ]] || fail "expected a prompt failure, got status $status"
  # and a TLS client on the plain port
  status=0
  timeout 8 amqp-get --ssl --cacert "$CERTS/ca.pem" -u "amqps://guest:guest@localhost:${URL##*:}" \
    -q whatever >/dev/null 2>&1 || status=$?
  [[ "$status" -ne 0 && "$status" -ne 124 ]] || fail "expected a prompt failure, got status $status"
  local q
  q="$(uniq_name after-wrong-port)"
  amqp-declare-queue -u "$URL" -q "$q" >/dev/null
  amqp-declare-queue --ssl --cacert "$CERTS/ca.pem" -u "amqps://guest:guest@localhost:$TLS_PORT" \
    -q "$q" >/dev/null
  amqp-delete-queue -u "$URL" -q "$q" >/dev/null
}

CHECKS=(
  declare_queue
  declare_durable_queue
  publish_with_properties
  routing_key_on_exchange
  get_returns_body_exactly
  get_on_empty_queue_fails
  consume_count_in_order
  consume_no_ack
  consume_with_prefetch
  consume_failed_handler_requeues
  fanout_exchange
  delete_queue
  binary_body_round_trip
  one_mib_body
  line_buffered_publish
  publish_to_missing_exchange_fails
  login_errors
)
if [[ -n "$TLS_PORT" ]]; then
  CHECKS+=(amqps_publish_and_consume amqps_untrusted_ca_fails plain_client_on_tls_port_fails)
fi
export -f "${CHECKS[@]}"

for c in "${CHECKS[@]}"; do
  run_check "$c"
done

# ---------------------------------------------------------------------------
# clean shutdown of a spawned broker
if [[ -n "$BROKER_PID" ]]; then
  status=0
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    wait "$BROKER_PID" || status=$?
    echo "broker died during the run (status $status)" >"$WORK/shutdown.log"
    tail -n 50 "$BROKER_LOG" >>"$WORK/shutdown.log" 2>/dev/null || true
    record broker_clean_shutdown 1 "$WORK/shutdown.log"
  else
    kill -TERM "$BROKER_PID"
    deadline=$((SECONDS + 10))
    while kill -0 "$BROKER_PID" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
    if kill -0 "$BROKER_PID" 2>/dev/null; then
      kill -KILL "$BROKER_PID" 2>/dev/null || true
      wait "$BROKER_PID" 2>/dev/null || true
      { echo "no exit within 10 s of SIGTERM; killed"; tail -n 50 "$BROKER_LOG"; } >"$WORK/shutdown.log" 2>/dev/null || true
      record broker_clean_shutdown 1 "$WORK/shutdown.log"
    else
      wait "$BROKER_PID" || status=$?
      { echo "exit status $status after SIGTERM (expected 0)"; tail -n 50 "$BROKER_LOG"; } >"$WORK/shutdown.log" 2>/dev/null || true
      record broker_clean_shutdown "$status" "$WORK/shutdown.log"
    fi
    BROKER_PID=""
  fi
fi

if ((FAILED > 0)); then
  echo "# failed: ${FAILED_NAMES[*]}"
fi
echo "$PASSED passed, $FAILED failed"
[[ "$FAILED" -eq 0 ]]
