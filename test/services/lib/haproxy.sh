# shellcheck shell=bash
# HAProxy is only installed here, never started: tests run their own haproxy
# processes with their own config files and need just the binary's path.

haproxy_binary() {
  local b
  for b in /usr/sbin/haproxy /usr/bin/haproxy; do
    [[ -x "$b" ]] && {
      printf '%s' "$b"
      return 0
    }
  done
  command -v haproxy 2>/dev/null
}

haproxy_missing_packages() {
  haproxy_binary >/dev/null || echo haproxy
}
