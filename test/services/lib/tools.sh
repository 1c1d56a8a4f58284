# shellcheck shell=bash source-path=SCRIPTDIR
# Tools (not servers) that the command-line tests drive: tmux (`probekit watch` in a real terminal), openssl (a
# throwaway CA for the TLS tests, made at test time) and curl (the baseline of `npm run bench:cli`). Debian
# packages of the same names.
#
# Sourced after common.sh, this file defines tools_missing_packages and tools_install. Run as a script
# (`bash test/services/lib/tools.sh`), it installs what is missing with apt-get (as root); exit 3 when that cannot
# be done here, like up.sh. The tests that need a missing tool skip with a line saying so.

TEST_TOOLS=(tmux openssl curl)

# Prints the packages of the tools not on PATH, one per line.
tools_missing_packages() {
  local tool
  for tool in "${TEST_TOOLS[@]}"; do
    command -v "$tool" >/dev/null 2>&1 || echo "$tool"
  done
}

tools_install() {
  local missing
  mapfile -t missing < <(tools_missing_packages)
  ((${#missing[@]} == 0)) && return 0
  take_lock
  apt_install "${missing[@]}"
  mapfile -t missing < <(tools_missing_packages)
  ((${#missing[@]} == 0)) || unavailable "still missing after install: ${missing[*]}"
  say "test tools: installed"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  # shellcheck source=common.sh
  source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
  HOW_TO_PROVIDE="install ${TEST_TOOLS[*]} (Debian packages), or run as root so that this script can"
  tools_install
fi
