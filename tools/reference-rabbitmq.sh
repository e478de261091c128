#!/usr/bin/env bash
# Debian's rabbitmq-server as a reference, on a spare port with a private data folder, so a
# developer can compare what a client sees from RabbitMQ and from Warren.
#
#   tools/reference-rabbitmq.sh start NAME PORT   # node NAME@localhost, AMQP on PORT
#   tools/reference-rabbitmq.sh ctl NAME ARGS...  # rabbitmqctl against it
#   tools/reference-rabbitmq.sh stop NAME
#
# Data lives in /tmp/reference-rabbitmq-NAME; the Erlang distribution port is PORT + 20000.
set -euo pipefail
cmd=${1:?usage: $0 start NAME PORT | ctl NAME ARGS... | stop NAME}
name=${2:?name}
work=/tmp/reference-rabbitmq-$name
node=$name@localhost

as_rabbitmq() {
  (cd /var/lib/rabbitmq && runuser -u rabbitmq -- "$@")
}

env_for() {
  echo RABBITMQ_NODENAME="$node" RABBITMQ_MNESIA_BASE="$work/mnesia" \
    RABBITMQ_LOG_BASE="$work/log" RABBITMQ_ENABLED_PLUGINS_FILE="$work/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$work/rabbitmq.conf" RABBITMQ_FEATURE_FLAGS_FILE="$work/feature_flags"
}

case $cmd in
  start)
    port=${3:?port}
    command -v rabbitmq-server >/dev/null || apt-get install -y -q rabbitmq-server >/dev/null
    systemctl stop rabbitmq-server 2>/dev/null || true
    rm -rf "$work" && mkdir -p "$work/mnesia" "$work/log"
    echo "[${REFERENCE_RABBITMQ_PLUGINS:-}]." >"$work/enabled_plugins"
    printf 'loopback_users = none\n%s\n' "${REFERENCE_RABBITMQ_CONF:-}" >"$work/rabbitmq.conf"
    chown -R rabbitmq:rabbitmq "$work"
    # shellcheck disable=SC2046
    as_rabbitmq env $(env_for) RABBITMQ_NODE_PORT="$port" RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
      RABBITMQ_DIST_PORT=$((port + 20000)) \
      /usr/lib/rabbitmq/bin/rabbitmq-server >"$work/console.log" 2>&1 &
    # shellcheck disable=SC2046
    as_rabbitmq env $(env_for) timeout 60 rabbitmqctl -n "$node" await_startup -t 60 >/dev/null
    echo "RabbitMQ node $node on 127.0.0.1:$port (data $work)"
    ;;
  ctl)
    shift 2
    # shellcheck disable=SC2046
    as_rabbitmq env $(env_for) rabbitmqctl -n "$node" "$@"
    ;;
  stop)
    # shellcheck disable=SC2046
    as_rabbitmq env $(env_for) rabbitmqctl -n "$node" stop >/dev/null 2>&1 || true
    rm -rf "$work"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
