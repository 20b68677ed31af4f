#!/usr/bin/env bash
# The one set-up command (npm run setup): PostgreSQL's server binaries for the collector's tests
# (Debian's package; the tests start and stop their own cluster), Chromium for the dashboard's
# browser tests, then the npm workspace, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

# Installs a Debian package when what it provides is missing (as root, or with sudo).
apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "npm test needs $2: install it with your package manager." >&2
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql "PostgreSQL's server binaries (initdb, pg_ctl)"
fi

# Chromium for the collector's dashboard tests (playwright-core drives Debian's package; no browser download).
if ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium "Chromium (/usr/bin/chromium, or CHROMIUM_PATH)"
fi

# CI installs exactly what the lock file says; a developer's install may update it.
if [ "${CI:-}" = "true" ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund
fi

# The published package runs no script when installed, so the build is a step of its own here:
# the plugin (dist/, oclif.manifest.json) and the collector (collector/dist/, for the demo and CLI).
npm run build:all
