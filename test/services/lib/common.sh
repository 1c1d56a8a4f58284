# shellcheck shell=bash source-path=SCRIPTDIR
# Shared helpers for the integration-test servers (sourced by up.sh, down.sh,
# svc.sh). Every server is started directly (no systemd, no Debian init
# scripts), detached in a session of its own, on a loopback port of its own,
# with all runtime state under $STATE_DIR.

SERVICES_HOME="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# realpath -m: the state dir may not exist yet; a canonical path matters
# because running servers are recognised by their /proc/PID/cwd (see is_ours).
STATE_DIR="$(realpath -m "${PROBEKIT_SERVICES_DIR:-${TMPDIR:-/tmp}/probekit-services}")"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/probekit-services"
ALL_SERVERS=(mariadb redis postgres kafka)
ALL_SERVICES=("${ALL_SERVERS[@]}" haproxy)
EXIT_UNAVAILABLE=3
HOW_TO_PROVIDE="install mariadb-server redis-server postgresql haproxy and Java 17 + Maven (Debian packages), or run as root so test/services/up.sh can install them"

die() {
  printf 'probekit-services: %s\n' "$*" >&2
  exit 1
}

# The servers cannot be had on this machine at all: exit 3, which the test
# suite treats as "skip the integration suites" (except under CI=true).
unavailable() {
  printf 'probekit-services: %s; %s\n' "$*" "$HOW_TO_PROVIDE" >&2
  exit "$EXIT_UNAVAILABLE"
}

say() { printf '%s\n' "$*"; }

is_root() { [[ "$(id -u)" == 0 ]]; }

is_server() {
  local s
  for s in "${ALL_SERVERS[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

is_service() {
  local s
  for s in "${ALL_SERVICES[@]}"; do [[ "$s" == "$1" ]] && return 0; done
  return 1
}

# Load the per-service definitions (NAME_missing_packages, NAME_prepare,
# NAME_launch, NAME_probe, NAME_provision, NAME_ready, NAME_stop_signal, ...).
# shellcheck source=mariadb.sh
source "$SERVICES_HOME/lib/mariadb.sh"
# shellcheck source=redis.sh
source "$SERVICES_HOME/lib/redis.sh"
# shellcheck source=postgres.sh
source "$SERVICES_HOME/lib/postgres.sh"
# shellcheck source=kafka.sh
source "$SERVICES_HOME/lib/kafka.sh"
# shellcheck source=haproxy.sh
source "$SERVICES_HOME/lib/haproxy.sh"

# One lock for every command that starts, stops or installs, so parallel test
# files (tap runs them concurrently) do not race each other. It lives next to
# the state dir, not in it, because down.sh deletes the state dir.
LOCK_FD=
take_lock() {
  [[ -n "$LOCK_FD" ]] && return 0
  mkdir -p "$(dirname "$STATE_DIR")"
  exec {LOCK_FD}>>"$STATE_DIR.lock"
  # First runs install packages and download Kafka: wait long.
  flock -w 1200 "$LOCK_FD" || die "timed out waiting for $STATE_DIR.lock (another up.sh/svc.sh is running)"
}

ensure_state_dir() {
  mkdir -p "$STATE_DIR"
  # The postgres system user must be able to traverse into its own subdir.
  chmod 755 "$STATE_DIR"
}

svc_dir() { printf '%s/%s' "$STATE_DIR" "$1"; }
pid_file() { printf '%s/%s/pid' "$STATE_DIR" "$1"; }

# ---------------------------------------------------------------- processes

# State letter from /proc/PID/stat (R, S, D, T, Z, ...), empty when gone.
proc_state() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
  stat="${stat##*) }"
  printf '%s' "${stat%% *}"
}

# A recorded PID counts only while that process still runs in (a directory
# under) this service's state dir: guards against PID reuse and against
# treating another state dir's server as ours.
is_ours() {
  local pid="$1" svc="$2" cwd st
  st="$(proc_state "$pid")"
  [[ -n "$st" && "$st" != Z && "$st" != X ]] || return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || return 1
  [[ "$cwd" == "$(svc_dir "$svc")" || "$cwd" == "$(svc_dir "$svc")"/* ]]
}

# Prints the PID of the running server, or returns 1.
running_pid() {
  local svc="$1" pid
  pid="$(cat "$(pid_file "$svc")" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  is_ours "$pid" "$svc" || return 1
  printf '%s' "$pid"
}

# The server's PID and all its descendants' (PostgreSQL's children call
# setsid() themselves, so a process group does not cover them). Zombies are
# left out: they are dead already.
server_tree() {
  local root="$1" f st pid state ppid
  local -A children=()
  for f in /proc/[0-9]*/stat; do
    { read -r st <"$f"; } 2>/dev/null || continue
    pid="${st%% *}"
    # Fields after "(comm) ": state ppid ...
    read -r state ppid _ <<<"${st##*) }"
    [[ "$state" == Z || "$state" == X ]] && continue
    children[$ppid]+=" $pid"
  done
  local queue=("$root") out=() p c
  while ((${#queue[@]})); do
    p="${queue[0]}"
    queue=("${queue[@]:1}")
    out+=("$p")
    for c in ${children[$p]:-}; do queue+=("$c"); done
  done
  printf '%s\n' "${out[@]}"
}

# Is any of the given PIDs still a live (non-zombie) process?
any_alive() {
  local p st
  for p in "$@"; do
    st="$(proc_state "$p")"
    [[ -n "$st" && "$st" != Z && "$st" != X ]] && return 0
  done
  return 1
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# spawn SVC LOGFILE CWD CMD...: start CMD in CWD, detached (new session, so
# no signal to the caller's terminal or process group reaches it; stdin from
# /dev/null; output to LOGFILE; the lock fd closed so a server never holds
# the lock) and record its PID. The wrapper writes its own $$ and then
# execs, so the recorded PID is the server's even if setsid had to fork.
# Callers hold the lock (take_lock).
spawn() {
  local svc="$1" log="$2" cwd="$3"
  shift 3
  local pidf
  pidf="$(pid_file "$svc")"
  rm -f "$pidf"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
  setsid bash -c 'echo $$ >"$0"; cd "$1" && exec "${@:2}"' "$pidf" "$cwd" "$@" \
    </dev/null >>"$log" 2>&1 {LOCK_FD}>&- &
  local deadline=$((SECONDS + 10))
  until [[ -s "$pidf" ]]; do
    ((SECONDS < deadline)) || die "$svc: launcher did not record a PID"
    sleep 0.05
  done
}

# ------------------------------------------------------------- installation

APT_UPDATED=0
APT_LOG=
apt_install() {
  is_root || unavailable "missing packages ($*) and not root, so they cannot be installed"
  command -v apt-get >/dev/null 2>&1 || unavailable "missing packages ($*) and apt-get is not available"
  ensure_state_dir
  APT_LOG="$STATE_DIR/apt.log"
  # Debian postinst scripts start their daemon on its default port (6379,
  # 3306, ...) through invoke-rc.d, which does so on a machine with systemd
  # or a SysV runlevel unless policy-rc.d forbids it. Forbid it for the
  # duration of our install if the machine has no such policy already.
  local own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# probekit test/services: no daemon starts during install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  local rc=0
  if ((APT_UPDATED == 0)); then
    say "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update >>"$APT_LOG" 2>&1 || rc=$?
    APT_UPDATED=1
  fi
  if ((rc == 0)); then
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 \
      -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
      "$@" >>"$APT_LOG" 2>&1 || rc=$?
  fi
  if ((own_policy)); then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
  ((rc == 0)) || unavailable "installing $* with apt-get failed (see $APT_LOG)"
}

# Install every missing package of the given services with one apt-get call
# (one dpkg run is much faster than one per service).
install_missing() {
  local svc pkgs=() p
  for svc in "$@"; do
    for p in $("${svc}_missing_packages"); do
      [[ " ${pkgs[*]} " == *" $p "* ]] || pkgs+=("$p")
    done
  done
  ((${#pkgs[@]} == 0)) || apt_install "${pkgs[@]}"
  for svc in "$@"; do
    [[ -z "$("${svc}_missing_packages")" ]] || unavailable "$svc: still missing after install: $("${svc}_missing_packages")"
    if declare -F "${svc}_fetch" >/dev/null; then "${svc}_fetch"; fi
  done
}

# ----------------------------------------------------------------- lifecycle

# wait_until SVC TIMEOUT WHAT FN: poll FN until it succeeds; fail early when
# the server process died, fail after TIMEOUT seconds.
wait_until() {
  local svc="$1" timeout="$2" what="$3" fn="$4"
  local deadline=$((SECONDS + timeout))
  while true; do
    if "$fn"; then return 0; fi
    running_pid "$svc" >/dev/null || die "$svc: server exited before it was $what (see $(svc_dir "$svc")/log)"
    ((SECONDS < deadline)) || die "$svc: not $what after ${timeout}s (see $(svc_dir "$svc")/log)"
    sleep 0.2
  done
}

server_state() {
  local svc="$1" pid st
  pid="$(running_pid "$svc")" || {
    echo stopped
    return 0
  }
  st="$(proc_state "$pid")"
  if [[ "$st" == T || "$st" == t ]]; then
    echo paused
  elif "${svc}_ready" >/dev/null 2>&1; then
    echo running
  else
    echo unresponsive
  fi
}

# First half of a start: returns 0 when it launched the server (caller must
# then finish_start), 1 when it was already running and answering.
begin_start() {
  local svc="$1" pid
  if pid="$(running_pid "$svc")"; then
    # A test may have left it paused.
    local pids
    mapfile -t pids < <(server_tree "$pid")
    kill -CONT "${pids[@]}" 2>/dev/null || true
    if "${svc}_ready" >/dev/null 2>&1; then
      say "$svc: already running (pid $pid)"
      return 1
    fi
    say "$svc: running (pid $pid) but not answering yet, waiting"
    return 0
  fi
  local port
  for port in $("${svc}_ports"); do
    port_open "$port" && die "$svc: 127.0.0.1:$port is already in use by a process that is not ours (set PROBEKIT_SERVICES_DIR to the state dir that started it, or stop it)"
  done
  ensure_state_dir
  mkdir -p "$(svc_dir "$svc")/log"
  "${svc}_prepare"
  "${svc}_launch"
  say "$svc: launched (pid $(cat "$(pid_file "$svc")"))"
  return 0
}

finish_start() {
  local svc="$1" dir
  dir="$(svc_dir "$svc")"
  wait_until "$svc" "$("${svc}_start_timeout")" "accepting connections" "${svc}_probe"
  if [[ ! -e "$dir/provisioned" ]]; then
    "${svc}_provision" || die "$svc: creating the probekit user/database failed (see $dir/log)"
    touch "$dir/provisioned"
  fi
  wait_until "$svc" "$("${svc}_start_timeout")" "answering the probekit client" "${svc}_ready"
  say "$svc: up ($("${svc}_address"), pid $(running_pid "$svc"))"
}

# start_servers SVC...: launch all first, then wait for each, so the slow
# starters (Kafka's JVM) overlap with the others.
start_servers() {
  local svc launched=()
  for svc in "$@"; do
    if begin_start "$svc"; then launched+=("$svc"); fi
  done
  for svc in "${launched[@]}"; do
    finish_start "$svc"
  done
}

# stop_server SVC SIGNAL: SIGNAL to the server, then SIGKILL to it and its
# descendants after the service's stop timeout. KILL kills the whole tree at
# once (a crash).
stop_server() {
  local svc="$1" sig="$2" pid
  if ! pid="$(running_pid "$svc")"; then
    rm -f "$(pid_file "$svc")"
    say "$svc: not running"
    return 0
  fi
  local pids
  mapfile -t pids < <(server_tree "$pid")
  if [[ "$sig" == KILL ]]; then
    kill -KILL "${pids[@]}" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
    # A paused server cannot act on the signal.
    kill -CONT "${pids[@]}" 2>/dev/null || true
  fi
  local deadline=$((SECONDS + $("${svc}_stop_timeout")))
  while any_alive "${pids[@]}"; do
    if ((SECONDS >= deadline)) && [[ "$sig" != KILL ]]; then
      say "$svc: no exit after SIG$sig, sending SIGKILL"
      # Children forked during shutdown count too.
      if any_alive "$pid"; then mapfile -t -O "${#pids[@]}" pids < <(server_tree "$pid"); fi
      kill -KILL "${pids[@]}" 2>/dev/null || true
      sig=KILL
      deadline=$((SECONDS + 10))
    elif ((SECONDS >= deadline)); then
      die "$svc: processes survive SIGKILL: ${pids[*]}"
    fi
    sleep 0.1
  done
  rm -f "$(pid_file "$svc")"
  say "$svc: stopped"
}

# STOP or CONT the server and all its descendants.
signal_tree() {
  local svc="$1" sig="$2" pid pids
  pid="$(running_pid "$svc")" || die "$svc: not running"
  mapfile -t pids < <(server_tree "$pid")
  kill "-$sig" "${pids[@]}" || die "$svc: kill -$sig failed"
}
