# shellcheck shell=bash
# Redis on 127.0.0.1:16379, no persistence (no RDB snapshots, no AOF): a
# restart comes back empty, which is what the health checks need.

REDIS_PORT=16379

redis_missing_packages() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || echo redis-server
}

redis_ports() { echo "$REDIS_PORT"; }
redis_address() { echo "127.0.0.1:$REDIS_PORT"; }
redis_start_timeout() { echo 60; }
redis_stop_timeout() { echo 15; }
redis_stop_signal() { echo TERM; }

redis_prepare() {
  local dir
  dir="$(svc_dir redis)"
  cat >"$dir/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
protected-mode yes
daemonize no
dir $dir
save ""
appendonly no
logfile ""
databases 16
EOF
}

redis_launch() {
  local dir
  dir="$(svc_dir redis)"
  spawn redis "$dir/log/redis.log" "$dir" "$(command -v redis-server)" "$dir/redis.conf"
}

# `timeout`: redis-cli waits forever on a paused (SIGSTOPped) server.
redis_probe() {
  [[ "$(timeout 5 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PING 2>/dev/null)" == PONG ]]
}

redis_provision() { :; }
redis_ready() { redis_probe; }
