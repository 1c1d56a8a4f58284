# shellcheck shell=bash source-path=SCRIPTDIR
# dnsmasq from Debian's `dnsmasq-base` package (the binary alone, without the `dnsmasq` package's system service),
# for the fleet tests (test/fleet/): each test starts its own dnsmasq on 127.0.0.1 and a free port, answering a
# headless-Service-like name with several 127.0.0.x A records, and the app resolves through it with `fleet.dnsServers`
# (the machine's own resolver is never touched).
#
# Installed with apt-get (root only) when missing, like the other parts. Nothing is started here.
#
# Sourced after common.sh, this file defines dnsmasq_binary, dnsmasq_missing_packages and dnsmasq_install. Run as a
# script (`bash test/services/lib/dnsmasq.sh`), it installs the package if needed and prints the binary's path; exit 3
# when dnsmasq cannot be had here (missing and not root, or apt-get failed), like up.sh.

dnsmasq_binary() {
  local b
  for b in "$(command -v dnsmasq 2>/dev/null)" /usr/sbin/dnsmasq; do
    [[ -n "$b" && -x "$b" ]] && {
      printf '%s' "$b"
      return 0
    }
  done
  return 1
}

dnsmasq_missing_packages() {
  dnsmasq_binary >/dev/null || echo dnsmasq-base
}

dnsmasq_install() {
  [[ -z "$(dnsmasq_missing_packages)" ]] && return 0
  take_lock
  [[ -z "$(dnsmasq_missing_packages)" ]] && return 0
  install_missing dnsmasq
  say "dnsmasq: installed $(dnsmasq_binary) ($("$(dnsmasq_binary)" --version 2>&1 | head -n 1))"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  HOW_TO_PROVIDE="install Debian's dnsmasq-base package, or run as root so that test/services/lib/dnsmasq.sh can install it"
  dnsmasq_install >&2
  dnsmasq_binary
  echo
fi
