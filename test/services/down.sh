#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Usage: test/services/down.sh [mariadb|redis|postgres|kafka ...]
#
# Stops the named servers (default: all) gracefully, SIGKILL after a bounded
# wait, and deletes their runtime state (data dirs, logs). With no names the
# whole state dir goes. Installed packages and the Kafka jar cache stay.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

names=("$@")
((${#names[@]})) || names=("${ALL_SERVERS[@]}")
for n in "${names[@]}"; do
  is_service "$n" || die "unknown service '$n' (known: ${ALL_SERVICES[*]})"
done

take_lock
for n in "${names[@]}"; do
  is_server "$n" || continue # haproxy: nothing runs under our control
  stop_server "$n" "$("${n}_stop_signal")"
  rm -rf "$(svc_dir "$n")"
done
if (($# == 0)); then
  rm -rf "$STATE_DIR"
fi
