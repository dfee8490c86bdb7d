#!/usr/bin/env bash
# A local Redis Cluster of 3 masters + 3 replicas on private ports, for development and CI.
#   scripts/redis-cluster.sh start   # idempotent; prints the REDIS_CLUSTER_NODES value
#   scripts/redis-cluster.sh stop    # stops the servers it started (pid files), keeps nothing
#   scripts/redis-cluster.sh status
# Settings: REDIS_CLUSTER_BASE_PORT (default 7101: ports 7101-7106), REDIS_CLUSTER_DIR (default
# .data/redis-cluster-<base port>). AOF on (everysec), node timeout 2 s: a master killed with -9
# is replaced by its replica within a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${REDIS_CLUSTER_BASE_PORT:-7101}"
DIR="${REDIS_CLUSTER_DIR:-$PWD/.data/redis-cluster-$BASE}"
PORTS=()
for i in 0 1 2 3 4 5; do PORTS+=("$((BASE + i))"); done
NODES=$(printf '127.0.0.1:%s,' "${PORTS[@]}")
NODES="${NODES%,}"

answers() { redis-cli -p "$1" ping 2>/dev/null | grep -q PONG; }
# Every node's CLUSTER SLOTS reply names all six ports (three masters and their replicas).
slots_complete() {
  local want
  want="$(printf '%s\n' "${PORTS[@]}")"
  for p in "${PORTS[@]}"; do
    [ "$(redis-cli -p "$p" cluster slots 2>/dev/null | tr -d '\r' | grep -xF "$want" | sort -u | wc -l)" -ge 6 ] || return 1
  done
}
state_ok() { redis-cli -p "${PORTS[0]}" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; }

start() {
  command -v redis-server >/dev/null || { echo "redis-server not found (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$DIR"
  for p in "${PORTS[@]}"; do
    answers "$p" && continue
    mkdir -p "$DIR/$p"
    redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "nodes-$p.conf" \
      --cluster-node-timeout 2000 --dir "$DIR/$p" --appendonly yes --appendfsync everysec --save '' \
      --maxmemory-policy noeviction --daemonize yes --pidfile "$DIR/$p.pid" --logfile "$DIR/$p.log"
  done
  for p in "${PORTS[@]}"; do
    for _ in $(seq 1 50); do answers "$p" && break; sleep 0.1; done
    answers "$p" || { echo "redis-server on $p did not start; see $DIR/$p.log" >&2; exit 1; }
  done
  # A fresh set of nodes (each knows only itself) is joined into one cluster; a formed one is kept.
  if [ "$(redis-cli -p "${PORTS[0]}" cluster info | tr -d '\r' | awk -F: '/cluster_known_nodes/{print $2}')" = 1 ]; then
    redis-cli --cluster create $(printf '127.0.0.1:%s ' "${PORTS[@]}") --cluster-replicas 1 --cluster-yes >"$DIR/create.log"
  fi
  for _ in $(seq 1 100); do state_ok && break; sleep 0.2; done
  state_ok || { echo "cluster on $NODES is not ok; see $DIR" >&2; exit 1; }
  # Every replica attached (the failover test needs them).
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "${PORTS[0]}" cluster nodes | grep -c 'slave.*connected')" -ge 3 ] && break
    sleep 0.2
  done
  # ...and listed by CLUSTER SLOTS on every node. Redis 7.0 leaves a replica out of that reply
  # until its replication offset has reached the other nodes (about 6 s after a fresh create on
  # this machine). A cluster client that connects before then drops its connections to the
  # replicas as "not holding any slot", which fails a command already queued on one of them
  # ("Connection is closed."), and a master killed then may have no replica ready to take over.
  for _ in $(seq 1 150); do slots_complete && break; sleep 0.2; done
  slots_complete || { echo "cluster on $NODES: CLUSTER SLOTS does not list every node; see $DIR" >&2; exit 1; }
  echo "$NODES"
}

stop() {
  for p in "${PORTS[@]}"; do
    f="$DIR/$p.pid"
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    # Only a redis-server we started: the pid file's process must still be one.
    if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "redis-server.*:$p"; then
      kill "$pid"
      for _ in $(seq 1 50); do [ -d "/proc/$pid" ] || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if state_ok; then echo "ok $NODES"; else echo "down $NODES"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
