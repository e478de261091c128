#!/usr/bin/env bash
# Installs the Debian packages a Warren target needs, only when some are missing.
# Usage: tools/install-deps.sh build|test|bench
set -euo pipefail

build_pkgs=(g++ cmake make pkg-config python3 amqp-specs libspdlog-dev libfmt-dev
            nlohmann-json3-dev libssl-dev libgtest-dev libgmock-dev)
test_pkgs=(python3-pika python3-pytest python3-pytest-timeout python3-kombu python3-amqp
           amqp-tools openssl clang
           libclang-rt-14-dev)
bench_pkgs=(rabbitmq-server libbenchmark-dev)

case "${1:-build}" in
  build) want=("${build_pkgs[@]}") ;;
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  bench) want=("${build_pkgs[@]}" "${bench_pkgs[@]}") ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
