#!/usr/bin/env bash
# Builds a tiny Go program that depends on an old golang.org/x/text (fetched through the Go module proxy) and
# on a replaced module, into a cache outside the repository keyed by the inputs; reuses it when present.
# Prints the cache directory holding `bin/vigil-gobin` on its last line.
set -euo pipefail
xtext=v0.3.5
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
command -v go >/dev/null || { echo "build-go-testbin: go is missing" >&2; exit 1; }
key=$(printf '%s\n%s\nv3\n' "$xtext" "$(go version)" | sha256sum | cut -c1-16)
out="$cache/testdata/go-testbin-$key"
mkdir -p "$cache/testdata"
exec 9>"$cache/testdata/go-testbin.lock"
flock 9
if [ -x "$out/bin/vigil-gobin" ]; then echo "$out"; exit 0; fi
work=$(mktemp -d "$cache/testdata/go-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app" "$work/localdep"
# A local module replaced by path: build info records it as `=> ../localdep (devel)`.
cat >"$work/localdep/go.mod" <<'MOD'
module example.com/localdep

go 1.21
MOD
cat >"$work/localdep/dep.go" <<'GO'
package localdep

func Name() string { return "localdep" }
GO
cat >"$work/app/go.mod" <<MOD
module example.com/vigil-gobin

go 1.21

require (
	example.com/localdep v1.2.3
	golang.org/x/text $xtext
)

replace example.com/localdep v1.2.3 => ../localdep
MOD
cat >"$work/app/main.go" <<'GO'
package main

import (
	"fmt"

	"example.com/localdep"
	"golang.org/x/text/language"
)

var version = "dev"

func main() {
	fmt.Println(language.English.String(), localdep.Name(), version)
}
GO
export GOFLAGS=-modcacherw GOTOOLCHAIN=local GOPATH="$cache/go-path" GOCACHE="$cache/go-build"
(cd "$work/app" && go mod tidy >&2 && CGO_ENABLED=0 go build \
  -ldflags "-X main.version=v1.4.2" -o "$work/vigil-gobin" . >&2)
mkdir -p "$out.partial/bin"
cp "$work/vigil-gobin" "$out.partial/bin/"
go version -m "$out.partial/bin/vigil-gobin" > "$out.partial/buildinfo.txt"
rm -rf "$out"; mv "$out.partial" "$out"
echo "$out"
