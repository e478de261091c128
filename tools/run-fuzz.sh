#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz/ (clang, ASan + UBSan) and runs each for a
# while from its seed corpus. Prints one line per target; exits non-zero if any crashed.
# Usage: tools/run-fuzz.sh [seconds-per-target]   (default 20)
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (2), FUZZ_TARGETS (all).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${1:-20}
BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
JOBS=${FUZZ_JOBS:-2}
TARGETS=${FUZZ_TARGETS:-"frame field_table topic config_file"}

if ! command -v clang++ >/dev/null; then
  echo "run-fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi

mkdir -p "$BUILD_DIR"
build_log="$BUILD_DIR/build.log"
SANITIZE='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all'
if ! CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -DWARREN_FUZZ=ON -DWARREN_TESTS=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS=$SANITIZE" >"$build_log" 2>&1 ||
   ! cmake --build "$BUILD_DIR" -j "$JOBS" --target $(printf '%s_fuzz ' $TARGETS) \
      >>"$build_log" 2>&1; then
  tail -n 40 "$build_log" >&2
  echo "run-fuzz: build failed (full log in $build_log)" >&2
  exit 2
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=0
for target in $TARGETS; do
  bin="$BUILD_DIR/fuzz/${target}_fuzz"
  # New inputs go to a scratch corpus; the checked-in seeds are only read.
  work="$BUILD_DIR/corpus/$target"
  artifacts="$BUILD_DIR/artifacts/$target/"
  log="$BUILD_DIR/fuzz-$target.log"
  mkdir -p "$work" "$artifacts"
  "$bin" "$work" "fuzz/corpus/$target" -dict=fuzz/amqp.dict \
    -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
    -artifact_prefix="$artifacts" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  runs=$(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n1 | grep -o '[0-9]*$')
  if [ "$rc" -eq 0 ]; then
    printf 'fuzz %-12s ok       %9s runs, coverage %s, %ss\n' "$target" "${runs:-?}" \
      "${cov:-?}" "$SECONDS_PER_TARGET"
  else
    failed=$((failed + 1))
    crash=$(ls -t "$artifacts" 2>/dev/null | head -n1)
    printf 'fuzz %-12s CRASHED  input %s, log %s\n' "$target" "$artifacts$crash" "$log"
    grep -m3 -E 'ERROR|runtime error|_fuzz: |topic_fuzz|SUMMARY' "$log" | sed 's/^/    /'
  fi
done
[ "$failed" -eq 0 ]
