#!/usr/bin/env bash
# Builds a small AlmaLinux 9.0-like root filesystem for Vigil's scan tests: .rpm packages made with rpmbuild
# under the names, epochs, versions and vendor of AlmaLinux's openssl build (openssl and openssl-libs from one
# source rpm) plus a third-party package, installed with Debian's rpm into <root>/var/lib/rpm/rpmdb.sqlite
# (files and database), and the release files AlmaLinux ships. Caches the result outside the repository and
# prints its directory on the last line: root/ (the file system) and packages.tsv (rpm -qa's own view).
set -euo pipefail
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
key=$(sha256sum "$0" | cut -c1-16)
out="$cache/testdata/alma-rootfs-$key"
mkdir -p "$cache/testdata"
exec 9>"$cache/testdata/alma-rootfs.lock"
flock 9
if [ -s "$out/packages.tsv" ]; then echo "$out"; exit 0; fi
for tool in rpm rpmbuild sqlite3; do
  command -v "$tool" >/dev/null || { echo "build-alma-rootfs: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d "$cache/testdata/alma-rootfs-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SPECS"
cat >"$work/SPECS/openssl.spec" <<'SPEC'
%global debug_package %{nil}
Name: openssl
Epoch: 1
Version: 3.0.1
Release: 23.el9_0
Summary: Utilities from the general purpose cryptography library with TLS implementation
License: ASL 2.0
Vendor: AlmaLinux
Packager: AlmaLinux Packaging Team <packager@almalinux.org>
BuildArch: x86_64

%description
Vigil test stand-in for AlmaLinux's openssl package (same name, epoch, version, release and vendor).

%package libs
Summary: A general purpose cryptography library with TLS implementation
%description libs
Vigil test stand-in for AlmaLinux's openssl-libs package.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib64
printf '#!/bin/sh\necho "OpenSSL 3.0.1 14 Dec 2021"\n' > %{buildroot}/usr/bin/openssl
chmod 755 %{buildroot}/usr/bin/openssl
printf 'not a real library\n' > %{buildroot}/usr/lib64/libssl.so.3

%files
/usr/bin/openssl

%files libs
/usr/lib64/libssl.so.3
SPEC
cat >"$work/SPECS/acme-agent.spec" <<'SPEC'
%global debug_package %{nil}
Name: acme-agent
Version: 1.0.0
Release: 1
Summary: A third-party package (vendor outside the OS vendors): never matched against OS advisories
License: MIT
Vendor: Acme Corp
BuildArch: noarch

%description
Third-party package.

%install
mkdir -p %{buildroot}/opt/acme
echo agent > %{buildroot}/opt/acme/README

%files
/opt/acme/README
SPEC
for spec in "$work"/SPECS/*.spec; do
  rpmbuild --quiet --define "_topdir $work" --define '_buildhost vigil' -bb "$spec" >&2
done
mapfile -t rpms < <(find "$work/RPMS" -name '*.rpm' | sort)
root="$out.partial/root"
rm -rf "$out.partial"; mkdir -p "$root/etc" "$root/var/lib/rpm"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' --initdb
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' --quiet --nodeps --noscripts \
  --ignorearch --ignoreos --nosignature -i "${rpms[@]}"
cat >"$root/etc/os-release" <<'EOF'
NAME="AlmaLinux"
VERSION="9.0 (Emerald Puma)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.0"
PLATFORM_ID="platform:el9"
PRETTY_NAME="AlmaLinux 9.0 (Emerald Puma)"
EOF
echo 'AlmaLinux release 9.0 (Emerald Puma)' >"$root/etc/almalinux-release"
ln -s almalinux-release "$root/etc/redhat-release"
ln -s almalinux-release "$root/etc/system-release"
rpm --root "$root" --dbpath /var/lib/rpm --define '_db_backend sqlite' -qa \
  --qf '%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\n' | sort >"$out.partial/packages.tsv"
# Everything into the database file itself (rpm keeps it in WAL mode); an image carries only that file.
sqlite3 "$root/var/lib/rpm/rpmdb.sqlite" 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
find "$root/var/lib/rpm" -type f ! -name rpmdb.sqlite -delete
rm -rf "$out"; mv "$out.partial" "$out"
echo "$out"
