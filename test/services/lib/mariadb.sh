# shellcheck shell=bash
# MariaDB on 127.0.0.1:13306 with its own datadir, socket and config file
# (Debian's /etc/mysql is never read: --defaults-file / --no-defaults).
# Accounts: probekit/probekit over TCP (database probekit); the admin account
# (root, or the invoking OS user when not root) authenticates with unix_socket
# through the private socket only, so only these scripts can use it.

MARIADB_PORT=13306

mariadb_bin() {
  local b
  for b in "/usr/sbin/$1" "/usr/bin/$1"; do
    [[ -x "$b" ]] && {
      printf '%s' "$b"
      return 0
    }
  done
  command -v "$1" 2>/dev/null
}

mariadb_missing_packages() {
  local b
  for b in mariadbd mariadb-install-db mariadb; do
    mariadb_bin "$b" >/dev/null || {
      echo mariadb-server
      return 0
    }
  done
}

mariadb_ports() { echo "$MARIADB_PORT"; }
mariadb_address() { echo "127.0.0.1:$MARIADB_PORT"; }
mariadb_start_timeout() { echo 60; }
mariadb_stop_timeout() { echo 30; }
mariadb_stop_signal() { echo TERM; }

mariadb_os_user() { id -un; }
mariadb_socket() { echo "$(svc_dir mariadb)/run/mariadb.sock"; }

mariadb_prepare() {
  local dir cnf
  dir="$(svc_dir mariadb)"
  cnf="$dir/my.cnf"
  mkdir -p "$dir/run"
  # my.cnf is rewritten on every start (so changes here apply without
  # down.sh); the datadir is initialised once.
  # Small buffers: this server holds a handful of rows. Durability settings
  # are relaxed because a test server is never power-cut, only killed (the OS
  # keeps the written pages).
  cat >"$cnf" <<EOF
[mariadbd]
datadir=$dir/data
socket=$(mariadb_socket)
pid-file=$dir/run/mariadbd.pid
port=$MARIADB_PORT
bind-address=127.0.0.1
skip-name-resolve
log-error=$dir/log/error.log
performance-schema=OFF
innodb-buffer-pool-size=32M
innodb-log-file-size=16M
innodb-flush-log-at-trx-commit=2
innodb-doublewrite=0
max-connections=300
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
EOF
  [[ -d "$dir/data/mysql" ]] && return 0
  rm -rf "$dir/data"
  "$(mariadb_bin mariadb-install-db)" --defaults-file="$cnf" --user="$(mariadb_os_user)" \
    --skip-test-db --auth-root-authentication-method=socket >>"$dir/log/install-db.log" 2>&1 ||
    die "mariadb: mariadb-install-db failed (see $dir/log/install-db.log)"
}

mariadb_launch() {
  local dir
  dir="$(svc_dir mariadb)"
  # --user is required explicitly when running as root; mariadbd stays one
  # process, so the recorded PID is the server.
  spawn mariadb "$dir/log/stdout.log" "$dir" \
    "$(mariadb_bin mariadbd)" --defaults-file="$dir/my.cnf" --user="$(mariadb_os_user)"
}

# `timeout`: a paused (SIGSTOPped) server accepts TCP connections but never
# answers, and the client's own timeouts do not cover every phase.
mariadb_admin_sql() {
  timeout 10 "$(mariadb_bin mariadb)" --no-defaults --socket="$(mariadb_socket)" -u"$(mariadb_os_user)" \
    --connect-timeout=2 -Nse "$1"
}

mariadb_probe() { mariadb_admin_sql 'SELECT 1' >/dev/null 2>&1; }

mariadb_provision() {
  mariadb_admin_sql "
    CREATE DATABASE IF NOT EXISTS probekit;
    CREATE USER IF NOT EXISTS 'probekit'@'%' IDENTIFIED BY 'probekit';
    GRANT ALL PRIVILEGES ON probekit.* TO 'probekit'@'%';" >>"$(svc_dir mariadb)/log/provision.log" 2>&1
}

mariadb_ready() {
  [[ "$(timeout 5 "$(mariadb_bin mariadb)" --no-defaults -h127.0.0.1 -P"$MARIADB_PORT" -uprobekit -pprobekit \
    --connect-timeout=2 -Nse 'SELECT 1' probekit 2>/dev/null)" == 1 ]]
}
