# shellcheck shell=bash
# grpc-health-probe (grpc-ecosystem/grpc-health-probe), the exec-probe client of the gRPC health protocol that
# Kubernetes users put in their pods. The gRPC tests run the real binary against probekit's health service.
#
# It ships no Debian package, so it is built from source with the Go toolchain of this machine:
# `go install github.com/grpc-ecosystem/grpc-health-probe@VERSION` (modules from the Go module proxy), with GOBIN
# in $CACHE_DIR/grpc-health-probe-VERSION/bin, outside the repo (built once per machine, about 30 s on 2 cores).
# GOTOOLCHAIN=local: the module's `toolchain` line must not make go download another toolchain; its `go 1.26.0`
# line needs Go >= 1.26.
#
# Sourced, this file defines grpc_health_probe_binary and grpc_health_probe_install. Run as a script
# (`bash test/services/lib/grpc-health-probe.sh`), it builds the binary if needed and prints its path; exit 3 when
# it cannot be had here (no Go, or the build failed), like up.sh.

GRPC_HEALTH_PROBE_VERSION=v0.4.62
GRPC_HEALTH_PROBE_MODULE=github.com/grpc-ecosystem/grpc-health-probe

grpc_health_probe_dir() { printf '%s/grpc-health-probe-%s' "$CACHE_DIR" "$GRPC_HEALTH_PROBE_VERSION"; }

# Prints the binary's path, or returns 1 when it is not built yet.
grpc_health_probe_binary() {
  local b
  b="$(grpc_health_probe_dir)/bin/grpc-health-probe"
  [[ -x "$b" ]] || return 1
  printf '%s' "$b"
}

# Builds the binary unless it is there. Into a temporary GOBIN first, so that an interrupted build is never
# mistaken for a complete one; under a lock of its own, so that parallel callers build it once.
grpc_health_probe_install() {
  grpc_health_probe_binary >/dev/null && return 0
  command -v go >/dev/null 2>&1 || unavailable "grpc-health-probe: no Go toolchain on PATH to build it"
  local dir lock tmp
  dir="$(grpc_health_probe_dir)"
  mkdir -p "$dir"
  exec {lock}>>"$dir.lock"
  flock -w 600 "$lock" || die "grpc-health-probe: timed out waiting for $dir.lock"
  if grpc_health_probe_binary >/dev/null; then
    exec {lock}>&-
    return 0
  fi
  tmp="$(mktemp -d "$dir/build.XXXXXX")"
  say "grpc-health-probe: building $GRPC_HEALTH_PROBE_MODULE@$GRPC_HEALTH_PROBE_VERSION with $(go version | cut -d' ' -f3)"
  if ! (cd "$tmp" && GOBIN="$tmp/bin" GOTOOLCHAIN=local GOWORK=off \
    go install "$GRPC_HEALTH_PROBE_MODULE@$GRPC_HEALTH_PROBE_VERSION" >"$tmp/go.log" 2>&1); then
    local keep="$CACHE_DIR/grpc-health-probe-build-failed.log"
    cp "$tmp/go.log" "$keep"
    rm -rf "$tmp"
    exec {lock}>&-
    unavailable "grpc-health-probe: go install failed (see $keep)"
  fi
  mkdir -p "$dir/bin"
  mv "$tmp/bin/grpc-health-probe" "$dir/bin/grpc-health-probe"
  rm -rf "$tmp"
  exec {lock}>&-
  say "grpc-health-probe: built $(grpc_health_probe_binary)"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/probekit-services"
  die() {
    printf 'probekit-services: %s\n' "$*" >&2
    exit 1
  }
  unavailable() {
    printf 'probekit-services: %s; install Go >= 1.26 (go.dev/dl) with access to the Go module proxy\n' "$*" >&2
    exit 3
  }
  say() { printf '%s\n' "$*"; }
  grpc_health_probe_install >&2
  grpc_health_probe_binary
  echo
fi
