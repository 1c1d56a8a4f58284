# shellcheck shell=bash
# Headless Chromium from Debian's packages (`chromium`, plus `fonts-dejavu-core` so that text renders the same on
# every machine), for the status page's real-browser test (test/status-page/chromium.test.ts): it loads the page,
# dumps its DOM and takes the screenshot in docs/.
#
# Sourced, this file defines chromium_binary and chromium_install. Run as a script
# (`bash test/services/lib/chromium.sh`), it installs the packages if needed (root and apt-get only; `apt-get update`
# once, then one `apt-get install --no-install-recommends`) and prints the binary's path; exit 3 when Chromium cannot
# be had here (not root, no apt-get, or the install failed), like up.sh.

CHROMIUM_PACKAGES=(chromium fonts-dejavu-core)

# Prints the binary's path, or returns 1 when Chromium (or the font) is not installed.
chromium_binary() {
  local b
  b="$(command -v chromium 2>/dev/null)" || return 1
  [[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || return 1
  printf '%s' "$b"
}

# Installs the packages unless they are there, under a lock of its own, so that parallel callers install them once.
chromium_install() {
  chromium_binary >/dev/null && return 0
  [[ "$(id -u)" == 0 ]] || unavailable "chromium: not installed, and not root, so it cannot be installed"
  command -v apt-get >/dev/null 2>&1 || unavailable "chromium: not installed, and apt-get is not available"
  local lock log
  mkdir -p "$CACHE_DIR"
  log="$CACHE_DIR/chromium-apt.log"
  exec {lock}>>"$CACHE_DIR/chromium.lock"
  flock -w 900 "$lock" || die "chromium: timed out waiting for $CACHE_DIR/chromium.lock"
  if chromium_binary >/dev/null; then
    exec {lock}>&-
    return 0
  fi
  say "chromium: apt-get update"
  if ! DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >>"$log" 2>&1; then
    exec {lock}>&-
    unavailable "chromium: apt-get update failed (see $log)"
  fi
  say "chromium: apt-get install ${CHROMIUM_PACKAGES[*]}"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
    "${CHROMIUM_PACKAGES[@]}" >>"$log" 2>&1; then
    exec {lock}>&-
    unavailable "chromium: apt-get install failed (see $log)"
  fi
  exec {lock}>&-
  chromium_binary >/dev/null || unavailable "chromium: still missing after the install (see $log)"
  say "chromium: installed $(chromium_binary)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/probekit-services"
  die() {
    printf 'probekit-services: %s\n' "$*" >&2
    exit 1
  }
  unavailable() {
    printf "probekit-services: %s; install Debian's chromium and fonts-dejavu-core, or run as root so that test/services/lib/chromium.sh can\n" "$*" >&2
    exit 3
  }
  say() { printf '%s\n' "$*"; }
  chromium_install >&2
  chromium_binary
  echo
fi
