#!/usr/bin/env bash
# Start the services the test suite talks to, when they are down: PostgreSQL at 127.0.0.1:5432,
# and NATS with JetStream at 127.0.0.1:4222 (installing Debian's nats-server when missing).
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "starting PostgreSQL"
  if command -v pg_ctlcluster >/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

# The server's INFO line, the first thing it sends on a connection ("" when nothing listens).
nats_info() {
  (exec 3<>/dev/tcp/127.0.0.1/4222 && timeout 2 head -n 1 <&3) 2>/dev/null || true
}
if [ -z "$(nats_info)" ]; then
  if [ ! -x /usr/sbin/nats-server ]; then
    echo "installing nats-server (Debian)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      nats-server >/dev/null
  fi
  echo "starting NATS with JetStream"
  $SUDO mkdir -p /var/lib/nats-server
  $SUDO start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
    -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  for _ in $(seq 1 30); do [ -n "$(nats_info)" ] && break; sleep 1; done
fi
if nats_info | grep -q '"jetstream":true'; then
  echo "127.0.0.1:4222 - NATS with JetStream accepting connections"
else
  echo "NATS at 127.0.0.1:4222 is not running with JetStream (-js)" >&2
  exit 1
fi
