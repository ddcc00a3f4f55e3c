#!/usr/bin/env bash
# Builds tools/bolt-check (the real go.etcd.io/bbolt plus Trivy's bolt-fixtures loader, used by the vulndb
# tests as a reference) into a cache outside the repository, keyed by its go.mod, go.sum and main.go.
# Prints the binary's path on its last line. Idempotent; safe to run concurrently (flock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/bolt-check"
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
mkdir -p "$cache/tools"
command -v go >/dev/null || { echo "build-bolt-check: Go is required (go 1.26+ on PATH)" >&2; exit 1; }
key=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
out="$cache/tools/bolt-check-$key"
bin="$out/bolt-check"
[ -x "$bin" ] && { echo "$bin"; exit 0; }
exec 9>"$cache/tools/bolt-check.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -modcacherw"
export GOCACHE=${GOCACHE_OVERRIDE:-$cache/go-build}
start=$(date +%s)
echo "build-bolt-check: building $out" >&2
rm -rf "$out.partial"; mkdir -p "$out.partial"
(cd "$src" && go build -trimpath -ldflags "-s -w" -o "$out.partial/bolt-check" .)
rm -rf "$out"; mv "$out.partial" "$out"
echo "build-bolt-check: done in $(( $(date +%s) - start ))s" >&2
echo "$bin"
