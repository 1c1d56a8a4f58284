# shellcheck shell=bash source-path=SCRIPTDIR
# Caddy from Debian's `caddy` package, a second real load balancer for the fleet tests (test/fleet/): each test runs
# its own `caddy run` with a Caddyfile of its own (reverse_proxy with active health checks on /ready), on free
# loopback ports, with its state in a temporary directory.
#
# Installed with apt-get (root only) when missing, like the other parts. Debian's own service is never started: the
# install runs under a policy-rc.d that forbids it (see apt_install in common.sh).
#
# Sourced after common.sh, this file defines caddy_binary, caddy_missing_packages and caddy_install. Run as a script
# (`bash test/services/lib/caddy.sh`), it installs the package if needed and prints the binary's path; exit 3 when
# Caddy cannot be had here (missing and not root, or apt-get failed), like up.sh.

caddy_binary() {
  local b
  for b in "$(command -v caddy 2>/dev/null)" /usr/bin/caddy; do
    [[ -n "$b" && -x "$b" ]] && {
      printf '%s' "$b"
      return 0
    }
  done
  return 1
}

caddy_missing_packages() {
  caddy_binary >/dev/null || echo caddy
}

caddy_install() {
  [[ -z "$(caddy_missing_packages)" ]] && return 0
  take_lock
  [[ -z "$(caddy_missing_packages)" ]] && return 0
  install_missing caddy
  say "caddy: installed $(caddy_binary) ($("$(caddy_binary)" version 2>&1 | head -n 1))"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  HOW_TO_PROVIDE="install Debian's caddy package, or run as root so that test/services/lib/caddy.sh can install it"
  caddy_install >&2
  caddy_binary
  echo
fi
