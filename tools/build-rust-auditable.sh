#!/usr/bin/env bash
# Builds a tiny Rust binary with cargo-auditable (its dependency list is embedded in the `.dep-v0` ELF section)
# into a cache outside the repository, keyed by the inputs below; reuses it when present. Prints the cache
# directory holding `bin/vigil-auditable` on its last line. Needs cargo (crates.io is reached through cargo).
set -euo pipefail
auditable_version=0.7.7
crate_dep='smallvec = "=1.6.0"'
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
key=$(printf '%s\n%s\n%s\n' "$auditable_version" "$crate_dep" "$(cargo --version)" | sha256sum | cut -c1-16)
out="$cache/testdata/rust-auditable-$key"
mkdir -p "$cache/testdata"
exec 9>"$cache/testdata/rust-auditable.lock"
flock 9
if [ -x "$out/bin/vigil-auditable" ]; then echo "$out"; exit 0; fi
command -v cargo >/dev/null || { echo "build-rust-auditable: cargo is missing" >&2; exit 1; }
tooldir="$cache/tools/cargo-auditable-$auditable_version"
if [ ! -x "$tooldir/bin/cargo-auditable" ]; then
  echo "build-rust-auditable: installing cargo-auditable $auditable_version" >&2
  cargo install --quiet --locked --root "$tooldir" cargo-auditable --version "$auditable_version" >&2
fi
work=$(mktemp -d "$cache/testdata/rust-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/crate/src"
cat >"$work/crate/Cargo.toml" <<TOML
[package]
name = "vigil-auditable"
version = "0.1.0"
edition = "2021"

[dependencies]
$crate_dep
TOML
cat >"$work/crate/src/main.rs" <<'RS'
use smallvec::SmallVec;
fn main() {
    let mut v: SmallVec<[u8; 4]> = SmallVec::new();
    v.push(1);
    println!("{}", v.len());
}
RS
(cd "$work/crate" && PATH="$tooldir/bin:$PATH" CARGO_TARGET_DIR="$work/target" cargo auditable build --quiet --release >&2)
mkdir -p "$out.partial/bin"
cp "$work/target/release/vigil-auditable" "$out.partial/bin/"
rm -rf "$out"; mv "$out.partial" "$out"
echo "$out"
