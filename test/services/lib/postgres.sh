# shellcheck shell=bash
# PostgreSQL on 127.0.0.1:15432 with its own cluster (initdb) in the state
# dir, started directly with the postgres binary (not pg_ctlcluster: that
# manages Debian's /etc/postgresql clusters). PostgreSQL refuses to run as
# root, so as root it runs as the `postgres` system user; otherwise as the
# invoking user. Local (unix socket) connections are trusted, but the socket
# directory is private to the server's user (and root); TCP needs a password.

POSTGRES_PORT=15432

# Newest installed major version's bin dir (Debian: /usr/lib/postgresql/N/bin).
postgres_bindir() {
  local d best=
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/psql" && -x "$d/pg_isready" ]] || continue
    if [[ -z "$best" ]] || [[ "$(printf '%s\n%s\n' "$best" "$d" | sort -V | tail -n1)" == "$d" ]]; then
      best="$d"
    fi
  done
  [[ -n "$best" ]] && printf '%s' "$best"
}

postgres_missing_packages() {
  postgres_bindir >/dev/null || echo postgresql
}

postgres_ports() { echo "$POSTGRES_PORT"; }
postgres_address() { echo "127.0.0.1:$POSTGRES_PORT"; }
postgres_start_timeout() { echo 60; }
postgres_stop_timeout() { echo 30; }
# SIGINT = "fast" shutdown: SIGTERM ("smart") would wait for every client,
# e.g. a test's connection pool, to disconnect.
postgres_stop_signal() { echo INT; }

postgres_socket_dir() { echo "$(svc_dir postgres)/run"; }

# Run a command as the server's OS user (setpriv execs in place, unlike
# runuser/su which stay as a parent process: the recorded PID must be the
# postmaster's).
postgres_as_owner() {
  if is_root; then
    setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  else
    "$@"
  fi
}

postgres_prepare() {
  local dir bin
  dir="$(svc_dir postgres)"
  bin="$(postgres_bindir)"
  if is_root; then
    id postgres >/dev/null 2>&1 || unavailable "postgres: the postgres system user does not exist"
    chown postgres: "$dir" "$dir/log"
    postgres_as_owner test -x "$dir" ||
      die "postgres: user postgres cannot enter $dir; set PROBEKIT_SERVICES_DIR to a directory it can reach"
  fi
  postgres_as_owner mkdir -p "$dir/run"
  if [[ ! -f "$dir/data/PG_VERSION" ]]; then
    rm -rf "$dir/data"
    (cd "$dir" && postgres_as_owner "$bin/initdb" -D "$dir/data" -U postgres \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale --no-sync \
      >>"$dir/log/initdb.log" 2>&1) || die "postgres: initdb failed (see $dir/log/initdb.log)"
    echo "include 'probekit.conf'" | postgres_as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
  fi
  # Our settings live in an included file rewritten on every start (so
  # changes here apply without down.sh). fsync & co. off: a test server is
  # killed, never power-cut, and the OS keeps written pages, so data survives
  # svc.sh kill; it makes commits fast.
  postgres_as_owner tee "$dir/data/probekit.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $POSTGRES_PORT
unix_socket_directories = '$dir/run'
unix_socket_permissions = 0700
max_connections = 100
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
EOF
  # After a SIGKILL the lock files stay, and PostgreSQL refuses to start
  # while the PID in them looks alive to kill(pid, 0): the killed postmaster
  # stays a zombie until init reaps it, which can take a second or more, or
  # the PID was reused. Nothing of ours runs here (begin_start checked the
  # PID and the port), so such lock files are stale.
  local lock old_pid
  for lock in "$dir/data/postmaster.pid" "$dir/run/.s.PGSQL.$POSTGRES_PORT.lock"; do
    old_pid="$(head -n1 "$lock" 2>/dev/null || true)"
    if [[ -n "$old_pid" ]] && ! is_ours "$old_pid" postgres; then
      rm -f "$lock"
    fi
  done
}

postgres_launch() {
  local dir
  dir="$(svc_dir postgres)"
  local as_owner=()
  is_root && as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  spawn postgres "$dir/log/postgres.log" "$dir/data" \
    "${as_owner[@]}" "$(postgres_bindir)/postgres" -D "$dir/data"
}

postgres_psql() {
  PGCONNECT_TIMEOUT=2 "$(postgres_bindir)/psql" -X -v ON_ERROR_STOP=1 -qAt "$@"
}

postgres_probe() {
  "$(postgres_bindir)/pg_isready" -q -t 2 -h 127.0.0.1 -p "$POSTGRES_PORT"
}

postgres_provision() {
  postgres_psql -h "$(postgres_socket_dir)" -p "$POSTGRES_PORT" -U postgres -d postgres \
    >>"$(svc_dir postgres)/log/provision.log" 2>&1 <<'EOF'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'probekit') THEN
    CREATE ROLE probekit LOGIN PASSWORD 'probekit';
  END IF;
END $$;
SELECT 'CREATE DATABASE probekit OWNER probekit'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'probekit') \gexec
EOF
}

postgres_ready() {
  [[ "$(PGPASSWORD=probekit postgres_psql -h 127.0.0.1 -p "$POSTGRES_PORT" -U probekit -d probekit \
    -c 'SELECT 1' 2>/dev/null)" == 1 ]]
}
