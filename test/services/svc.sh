#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Usage: test/services/svc.sh COMMAND NAME
#   start   start NAME (installing it if needed) and wait until it answers;
#           a paused server is resumed; data from before a stop is kept
#   stop    graceful stop (SIGKILL after a bounded wait); data is kept
#   kill    SIGKILL the server and all its child processes (a crash)
#   pause   SIGSTOP the server and its children: the port stays open (the
#           kernel still completes TCP handshakes), nothing answers
#   resume  SIGCONT the server and its children
#   pid     print the server's PID (exit 1 when not running)
#   status  print running | paused | unresponsive | stopped
#   bin     (haproxy only) install haproxy if needed, print the binary path
# NAME: mariadb | redis | postgres | kafka (| haproxy for bin)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() {
  printf 'usage: %s start|stop|kill|pause|resume|pid|status NAME | bin haproxy (NAME: %s)\n' \
    "$0" "${ALL_SERVERS[*]}" >&2
  exit 2
}

(($# == 2)) || usage
cmd="$1"
name="$2"

if [[ "$cmd" == bin ]]; then
  [[ "$name" == haproxy ]] || usage
  if [[ -n "$(haproxy_missing_packages)" ]]; then
    take_lock
    install_missing haproxy >&2
  fi
  haproxy_binary
  echo
  exit 0
fi

is_server "$name" || usage

case "$cmd" in
start)
  take_lock
  install_missing "$name"
  start_servers "$name"
  ;;
stop)
  take_lock
  stop_server "$name" "$("${name}_stop_signal")"
  ;;
kill)
  take_lock
  stop_server "$name" KILL
  ;;
pause) signal_tree "$name" STOP ;;
resume) signal_tree "$name" CONT ;;
pid)
  running_pid "$name" || die "$name: not running"
  echo
  ;;
status) server_state "$name" ;;
*) usage ;;
esac
