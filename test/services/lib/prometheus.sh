# shellcheck shell=bash source-path=SCRIPTDIR
# Prometheus and promtool from Debian's `prometheus` package, for the metrics tests (test/metrics/): a real server
# scrapes probekit's /metrics every second and is asked for the series over its own HTTP API, and promtool lints the
# exposition text.
#
# Installed with apt-get (root only) when missing, like the other servers. Debian's own instance is never started:
# the install runs under a policy-rc.d that forbids it (see apt_install in common.sh), and if a daemon started by the
# package's postinst is running anyway it is stopped right after the install. Ours run on a loopback port with all
# their state in $STATE_DIR/prometheus (or, from the tests, in a temporary directory of their own).
#
# Sourced after common.sh, this file defines prometheus_missing_packages, prometheus_binary, promtool_binary,
# prometheus_install, prometheus_start and prometheus_stop. Run as a script:
#
#   bash test/services/lib/prometheus.sh [install]               install if missing; print the prometheus and promtool paths (one a line)
#   bash test/services/lib/prometheus.sh start HOST:PORT [PORT]  (re)start one scraping HOST:PORT every 1 s, on 127.0.0.1:PORT (default 19090)
#   bash test/services/lib/prometheus.sh stop                    stop it (SIGTERM, then SIGKILL after 10 s)
#
# Exit 3 when it cannot be had on this machine (missing and not root, or apt-get failed), like up.sh.

PROMETHEUS_DEFAULT_PORT=19090

# Debian installs both under /usr/bin; a prometheus already on PATH works too.
prometheus_binary() {
  local b
  b="$(command -v prometheus 2>/dev/null)" || b=/usr/bin/prometheus
  [[ -x "$b" ]] || return 1
  printf '%s' "$b"
}

promtool_binary() {
  local b
  b="$(command -v promtool 2>/dev/null)" || b=/usr/bin/promtool
  [[ -x "$b" ]] || return 1
  printf '%s' "$b"
}

prometheus_missing_packages() {
  if ! prometheus_binary >/dev/null || ! promtool_binary >/dev/null; then echo prometheus; fi
}

# PIDs of running prometheus processes (any instance: Debian's, ours, a test's), by the binary they run.
prometheus_pids() {
  local exe f pid bin
  bin="$(prometheus_binary)" || return 0
  for f in /proc/[0-9]*/exe; do
    exe="$(readlink "$f" 2>/dev/null)" || continue
    [[ "$exe" == "$bin" ]] || continue
    pid="${f#/proc/}"
    printf '%s\n' "${pid%/exe}"
  done
}

# Installs the package when missing (one apt-get update first, in apt_install). The package's postinst may start
# Debian's default instance on :9090 on a machine with an init system that allows it: stop it if it runs.
prometheus_install() {
  [[ -z "$(prometheus_missing_packages)" ]] && return 0
  take_lock
  [[ -z "$(prometheus_missing_packages)" ]] && return 0
  install_missing prometheus
  local pid
  for pid in $(prometheus_pids); do
    # Debian's instance runs as the package's `prometheus` user; ours and the tests' run as the caller.
    [[ "$(stat -c %U "/proc/$pid" 2>/dev/null)" == prometheus ]] || continue
    say "prometheus: stopping the instance the package's postinst started (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
  done
  say "prometheus: installed $(prometheus_binary) ($("$(prometheus_binary)" --version 2>&1 | head -n 1))"
}

# ------------------------------------------------- the script's own instance (start/stop)

prometheus_stop_timeout() { echo 10; }

PROMETHEUS_PORT=
# /-/ready answers 200 once the TSDB is open and the scrape loop runs.
prometheus_probe() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$PROMETHEUS_PORT"
    printf 'GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    read -r -t 2 line <&3
    [[ "$line" == *" 200 "* ]]
  ) 2>/dev/null
}

# prometheus_start HOST:PORT [PORT]: a Prometheus scraping HOST:PORT (path /metrics) every second, listening on
# 127.0.0.1:PORT, its config and TSDB in $STATE_DIR/prometheus. One already running is restarted (the target may
# differ).
prometheus_start() {
  local target="$1" dir bin
  PROMETHEUS_PORT="${2:-$PROMETHEUS_DEFAULT_PORT}"
  [[ "$target" =~ ^[^[:space:]/]+:[0-9]+$ ]] || die "prometheus: expected a HOST:PORT target, got '$target'"
  prometheus_install
  take_lock
  stop_server prometheus TERM >/dev/null
  port_open "$PROMETHEUS_PORT" && die "prometheus: 127.0.0.1:$PROMETHEUS_PORT is already in use"
  bin="$(prometheus_binary)"
  ensure_state_dir
  dir="$(svc_dir prometheus)"
  rm -rf "$dir"
  mkdir -p "$dir/log" "$dir/data"
  cat >"$dir/prometheus.yml" <<EOF
# Written by test/services/lib/prometheus.sh
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: probekit
    metrics_path: /metrics
    static_configs:
      - targets: ['$target']
EOF
  spawn prometheus "$dir/log/prometheus.log" "$dir" "$bin" \
    "--config.file=$dir/prometheus.yml" "--storage.tsdb.path=$dir/data" \
    "--web.listen-address=127.0.0.1:$PROMETHEUS_PORT"
  wait_until prometheus 30 ready prometheus_probe
  say "prometheus: up (http://127.0.0.1:$PROMETHEUS_PORT, scraping $target, pid $(running_pid prometheus))"
}

prometheus_stop() {
  take_lock
  stop_server prometheus TERM
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  HOW_TO_PROVIDE="install Debian's prometheus package (it brings promtool), or run as root so that test/services/lib/prometheus.sh can install it"
  case "${1:-install}" in
  install)
    prometheus_install >&2
    prometheus_binary
    echo
    promtool_binary
    echo
    ;;
  start)
    (($# >= 2 && $# <= 3)) || die "usage: $0 start HOST:PORT [PORT]"
    prometheus_start "$2" "${3:-}"
    ;;
  stop) prometheus_stop ;;
  *) die "usage: $0 [install] | start HOST:PORT [PORT] | stop" ;;
  esac
fi
