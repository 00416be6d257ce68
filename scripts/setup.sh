#!/usr/bin/env bash
# Install everything EcoRadar needs, idempotently: Debian packages (with --dev: chromium, CJK
# fonts and poppler for the browser and PDF tests), a virtualenv with the pinned Python packages,
# and the front-end libraries from the npm registry, copied where the web app serves them.
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# --- Debian packages -----------------------------------------------------------------------
apt_packages=(nodejs npm gcc libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-cjk)  # gcc: the compiled HJ 212 codec (setup.py); pango and CJK fonts: reminder PDFs (WeasyPrint)
[ "$dev" = 1 ] && apt_packages+=(chromium fonts-noto-cjk poppler-utils openjdk-17-jre-headless)  # Java: the batch jobs' Spark path in local mode
missing=()
for p in "${apt_packages[@]}"; do
  if [ "$p" = nodejs ] || [ "$p" = npm ]; then command -v "${p/nodejs/node}" >/dev/null && continue; fi
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Python ----------------------------------------------------------------------------------
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PYTHON="$candidate"; break
    fi
  done
fi
[ -n "$PYTHON" ] || { echo "EcoRadar needs Python >= 3.11" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $PYTHON"
  "$PYTHON" -m venv .venv
fi
extras=""; [ "$dev" = 1 ] && extras="[dev]"
stamp=".venv/.installed$extras"
# A newer pyproject.toml, setup.py, C source (the compiled HJ 212 codec) or source of the detector
# fold (compiled by mypyc) re-installs and rebuilds.
stale=0
for f in pyproject.toml setup.py src/ecoradar/hj212/csrc/* src/ecoradar/detection/{params,runs,daily,sequence,collapse,detectors,stream}.py; do [ "$f" -nt "$stamp" ] && stale=1; done
if [ ! -f "$stamp" ] || [ "$stale" = 1 ] || ! ls src/ecoradar/hj212/_codec.*.so >/dev/null 2>&1; then
  say "installing Python packages$extras"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi

# --- front-end libraries (npm registry, served locally: no CDN) --------------------------------
vendor=src/ecoradar/web/static/vendor
if [ ! -d node_modules/leaflet ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing front-end libraries from npm"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
fi
mkdir -p "$vendor/leaflet/images"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$vendor/leaflet/"
cp node_modules/leaflet/dist/images/*.png "$vendor/leaflet/images/"
cp node_modules/echarts/dist/echarts.min.js "$vendor/"
cp node_modules/htmx.org/dist/htmx.min.js "$vendor/"
mkdir -p "$vendor/swagger-ui"
cp node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css \
  node_modules/swagger-ui-dist/favicon-32x32.png "$vendor/swagger-ui/"
# axe-core (the accessibility scan of the browser tests) goes to a test-only folder: never served.
if [ "$dev" = 1 ]; then
  mkdir -p tests/browser/vendor
  cp node_modules/axe-core/axe.min.js tests/browser/vendor/
fi
say "setup done"
