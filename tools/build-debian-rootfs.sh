#!/usr/bin/env bash
# Builds a Debian root filesystem with debootstrap (variant minbase) and packs it as one gzip'd tar layer in a
# cache outside the repository; reuses it when present. Prints the cache directory holding `layer.tar.gz`
# (and `packages.tsv`: the installed packages as dpkg lists them) on its last line.
# The mirror is the one this machine's apt is configured with, so nothing here names a host.
set -euo pipefail
suite=${1:-bookworm}
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
out="$cache/rootfs/debian-$suite-minbase-v1"
mkdir -p "$cache/rootfs"
exec 9>"$cache/rootfs.lock"
flock 9
if [ -s "$out/layer.tar.gz" ] && [ -s "$out/packages.tsv" ]; then echo "$out"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "build-debian-rootfs: debootstrap needs root" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "build-debian-rootfs: install Debian's debootstrap (scripts/setup.sh does)" >&2; exit 1; }

mirror=${VIGIL_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
  mirror=$( { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true; grep -hs '^deb ' /etc/apt/sources.list || true; } \
    | awk '{print $2}' | grep -v security | head -n 1 || true)
fi
[ -n "$mirror" ] || { echo "build-debian-rootfs: no Debian mirror in apt's sources; set VIGIL_DEBIAN_MIRROR" >&2; exit 1; }

work=$(mktemp -d "$cache/rootfs/build.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
echo "build-debian-rootfs: debootstrap $suite (minbase)" >&2
debootstrap --variant=minbase --arch=amd64 "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# What a container image holds: no device nodes, no package caches, no apt lists.
rm -rf "$work/root"/dev/* "$work/root"/proc/* "$work/root"/sys/* "$work/root"/var/cache/apt/archives/*.deb \
  "$work/root"/var/lib/apt/lists/* "$work/root"/var/log/*.log "$work/root"/tmp/*
chroot "$work/root" dpkg-query -W -f='${Package}\t${Version}\t${source:Package}\t${source:Version}\n' | sort > "$work/packages.tsv"
tar --sort=name --numeric-owner --xattrs-exclude='*' -C "$work/root" -cf - . | gzip -6 > "$work/layer.tar.gz"
mkdir -p "$out.partial"
mv "$work/layer.tar.gz" "$work/packages.tsv" "$out.partial/"
rm -rf "$out"; mv "$out.partial" "$out"
echo "build-debian-rootfs: done in $(( $(date +%s) - start ))s ($(du -h "$out/layer.tar.gz" | cut -f1))" >&2
echo "$out"
