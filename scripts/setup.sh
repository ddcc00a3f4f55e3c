#!/usr/bin/env bash
# Installs everything Vigil's demo and tests need on a fresh machine, idempotently:
# Debian packages, npm packages, the control-plane binaries (built from Go modules into a cache outside the
# repository) and the compiled TypeScript. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf 'setup: %s\n' "$*" >&2; }

debian_packages=(docker-registry debootstrap openssl zstd ca-certificates tar gzip util-linux procps rpm apache2-utils db5.3-util sqlite3 zip unzip redis-server)
missing=()
for p in "${debian_packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "need root to install Debian packages: ${missing[*]}"; exit 1; }
  log "installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.vigil-lock-hash 2>/dev/null)" != "$lock_hash" ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.vigil-lock-hash
fi

# The test suite also needs the real Trivy (interop tests); building it beside the control plane uses both
# cores better than one Go build after the other. The demo does not need it.
trivy_build=
if [ "${1:-}" = "--for-tests" ]; then
  bash tools/build-trivy.sh >/dev/null &
  trivy_build=$!
fi
bash tools/build-control-plane.sh >/dev/null
bash tools/build-bolt-check.sh >/dev/null
if [ -n "$trivy_build" ]; then wait "$trivy_build" || { log "building Trivy failed (tools/build-trivy.sh)"; exit 1; }; fi

log "compiling TypeScript"
npx tsc -p tsconfig.json
