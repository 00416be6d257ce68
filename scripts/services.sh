#!/usr/bin/env bash
# Start the services the test suite talks to, when they are down: PostgreSQL at 127.0.0.1:5432,
# NATS with JetStream at 127.0.0.1:4222 (installing Debian's nats-server when missing), and the
# Mosquitto MQTT broker at 127.0.0.1:1883 (installing Debian's mosquitto when missing).
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

# Mosquitto: listening when a TCP connection to 1883 opens.
mqtt_up() { (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; }
if ! mqtt_up; then
  if [ ! -x /usr/sbin/mosquitto ]; then
    echo "installing mosquitto (Debian)"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      mosquitto >/dev/null
  fi
  echo "starting Mosquitto"
  $SUDO mkdir -p /run/mosquitto /var/log/mosquitto /var/lib/mosquitto
  if id mosquitto >/dev/null 2>&1; then
    $SUDO chown mosquitto: /run/mosquitto /var/log/mosquitto /var/lib/mosquitto
  fi
  # Debian's configuration; with no listener in it Mosquitto 2 listens on localhost:1883 only
  $SUDO /usr/sbin/mosquitto -d -c /etc/mosquitto/mosquitto.conf
  for _ in $(seq 1 30); do mqtt_up && break; sleep 1; done
fi
if mqtt_up; then
  echo "127.0.0.1:1883 - Mosquitto accepting connections"
else
  echo "Mosquitto at 127.0.0.1:1883 is not running" >&2
  exit 1
fi
