#!/usr/bin/env bash
# Run by `npm test` before the suite: start every server the integration tests need, once, so that no test file
# starts (or restarts) one while another file has stopped it on purpose. When the servers cannot be had here
# (up.sh exit 3), the suite still runs and the integration files skip with one line; under CI=true that fails.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
bash "$here/lib/grpc-health-probe.sh" >/dev/null || true # build it once; the gRPC tests skip (or fail under CI) without it
bash "$here/lib/tools.sh" || true # tmux, openssl, curl for the CLI tests, which skip without them
bash "$here/lib/prometheus.sh" >/dev/null || true # install it once; the metrics tests skip (or fail under CI) without it
bash "$here/lib/chromium.sh" >/dev/null || true # install it once; the status page's browser test skips (or fails under CI) without it
bash "$here/lib/dnsmasq.sh" >/dev/null || true # install it once; the fleet tests skip (or fail under CI) without it
bash "$here/lib/caddy.sh" >/dev/null || true # install it once; the fleet tests behind Caddy skip (or fail under CI) without it
bash "$here/up.sh"
code=$?
if [[ $code -eq 3 && "${CI:-}" != "true" ]]; then
  echo "probekit: integration servers unavailable; integration suites will be skipped" >&2
  exit 0
fi
exit $code
