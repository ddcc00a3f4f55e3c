#!/usr/bin/env bash
# Builds the real Trivy CLI (github.com/aquasecurity/trivy, the version pinned by tools/trivy-bin/go.mod) from the Go
# module proxy into a cache outside the repository, keyed by that version and go.mod+go.sum, and reuses it when
# present. The interoperability tests of src/server run it as client and as standalone scanner.
# Prints the binary's path on its last line. Idempotent; safe to run concurrently (flock).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src="$here/trivy-bin"
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
mkdir -p "$cache/trivy"
command -v go >/dev/null || { echo "build-trivy: Go is required (go 1.26+ on PATH)" >&2; exit 1; }
version=$(awk '$1 == "github.com/aquasecurity/trivy" {print $2; exit}' "$src/go.mod")
[ -n "$version" ] || { echo "build-trivy: no github.com/aquasecurity/trivy requirement in $src/go.mod" >&2; exit 1; }
key=$(cat "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-16)
out="$cache/trivy/$version-$key"
bin="$out/trivy"
[ -x "$bin" ] && { echo "$bin"; exit 0; }
exec 9>"$cache/trivy/build.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }
# Trivy's release build sets GOEXPERIMENT=jsonv2; the same JSON behaviour keeps the reference reports honest.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOEXPERIMENT=jsonv2 GOFLAGS="-mod=readonly -modcacherw"
export GOCACHE=${GOCACHE_OVERRIDE:-$cache/go-build}
start=$(date +%s)
echo "build-trivy: building Trivy $version into $out (cache $GOCACHE)" >&2
rm -rf "$out.partial"; mkdir -p "$out.partial"
(cd "$src" && go mod download && go build -p "${VIGIL_GO_BUILD_JOBS:-2}" -trimpath \
  -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${version#v}" \
  -o "$out.partial/trivy" github.com/aquasecurity/trivy/cmd/trivy)
"$out.partial/trivy" --version >/dev/null
rm -rf "$out"; mv "$out.partial" "$out"
echo "build-trivy: done in $(( $(date +%s) - start ))s" >&2
echo "$bin"
