#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Usage: test/services/up.sh [mariadb|redis|postgres|kafka|haproxy ...]
#
# Installs what is missing (Debian packages via apt-get, Kafka jars via
# Maven), starts each named server on its loopback port (default: all of
# them, plus making sure haproxy is installed) and waits until each really
# answers a client. Servers already running and answering are left alone.
# Exit 0: all up. Exit 3: the servers cannot be had on this machine (not root
# and something is missing, or installing failed). Other non-zero: failure.
# Runtime state: ${PROBEKIT_SERVICES_DIR:-${TMPDIR:-/tmp}/probekit-services}.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

names=("$@")
((${#names[@]})) || names=("${ALL_SERVICES[@]}")
for n in "${names[@]}"; do
  is_service "$n" || die "unknown service '$n' (known: ${ALL_SERVICES[*]})"
done

take_lock
install_missing "${names[@]}"

# Launch order: the slowest to become ready (Kafka's JVM) first, so its
# startup overlaps with the others'; start_servers waits after launching all.
servers=()
for n in kafka postgres mariadb redis; do
  [[ " ${names[*]} " == *" $n "* ]] && servers+=("$n")
done
((${#servers[@]} == 0)) || start_servers "${servers[@]}"

if [[ " ${names[*]} " == *" haproxy "* ]]; then
  say "haproxy: installed ($(haproxy_binary))"
fi
say "done in ${SECONDS}s"
