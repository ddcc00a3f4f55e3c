#!/usr/bin/env bash
# Builds RPM databases written by Debian's rpm tools from real (tiny) .rpm packages built with rpmbuild: the
# sqlite backend (rpmdb.sqlite); from the header blobs rpm stored there, an NDB Packages.db (Debian's rpm has no
# ndb backend, so tools/write-rpm-ndb.py lays it out as rpm does) and a Berkeley DB hash `Packages` loaded with
# db5.3_load and read back by rpm's own bdb_ro backend.
# Caches the result outside the repository and prints its directory on the last line. That directory holds
# sqlite/rpmdb.sqlite, ndb/Packages.db, bdb/Packages, packages.tsv (rpm -qa's own view) and files.tsv.
set -euo pipefail
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
script_hash=$(cat "$0" "$(dirname "$0")/write-rpm-ndb.py" | sha256sum | cut -c1-16)
out="$cache/testdata/rpmdb-$script_hash-$(rpm --version | tr -cd '0-9.')"
mkdir -p "$cache/testdata"
exec 9>"$cache/testdata/rpmdb.lock"
flock 9
if [ -s "$out/packages.tsv" ]; then echo "$out"; exit 0; fi
for tool in rpm rpmbuild sqlite3 db5.3_load; do
  command -v "$tool" >/dev/null || { echo "build-rpmdb-testdata: $tool is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d "$cache/testdata/rpmdb-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/SPECS"
cat >"$work/SPECS/vigil-hello.spec" <<'SPEC'
%global debug_package %{nil}
Name: vigil-hello
Version: 1.0
Release: 3.el9
Summary: Vigil test package owned by an OS vendor
License: MIT and BSD
Vendor: Red Hat, Inc.
BuildArch: x86_64

%description
A tiny package for Vigil's rpmdb tests.

%install
mkdir -p %{buildroot}/usr/bin %{buildroot}/usr/lib/python3.9/site-packages/vigil_hello-1.0.dist-info
printf '#!/bin/sh\necho hello\n' > %{buildroot}/usr/bin/vigil-hello
chmod 755 %{buildroot}/usr/bin/vigil-hello
printf 'Metadata-Version: 2.1\nName: vigil-hello\nVersion: 1.0\n' > %{buildroot}/usr/lib/python3.9/site-packages/vigil_hello-1.0.dist-info/METADATA

%files
/usr/bin/vigil-hello
/usr/lib/python3.9/site-packages/vigil_hello-1.0.dist-info/METADATA
SPEC
cat >"$work/SPECS/vigil-tools.spec" <<'SPEC'
Name: vigil-tools
Epoch: 2
Version: 2.1.0
Release: 1
Summary: Vigil test package from a third-party vendor
License: Apache-2.0
Vendor: Acme Corp
BuildArch: noarch

%description
Source package with two binary packages.

%package -n vigil-tools-libs
Summary: Library part
%description -n vigil-tools-libs
Library part.

%install
mkdir -p %{buildroot}/usr/share/vigil-tools %{buildroot}/usr/share/vigil-tools-libs
echo tools > %{buildroot}/usr/share/vigil-tools/README
echo libs > %{buildroot}/usr/share/vigil-tools-libs/README

%files
/usr/share/vigil-tools/README

%files -n vigil-tools-libs
/usr/share/vigil-tools-libs/README
SPEC
for spec in "$work"/SPECS/*.spec; do
  rpmbuild --quiet --define "_topdir $work" --define '_buildhost vigil' -bb "$spec" >&2
done
mapfile -t rpms < <(find "$work/RPMS" -name '*.rpm' | sort)
install_db() { # backend dbdir
  rpm --define "_db_backend $1" --dbpath "$2" --initdb
  rpm --define "_db_backend $1" --dbpath "$2" --quiet --justdb --nodeps --noscripts --ignorearch --ignoreos -i "${rpms[@]}"
}
mkdir -p "$out.partial/sqlite" "$out.partial/ndb" "$out.partial/bdb"
install_db sqlite "$work/db-sqlite"
python3 "$(dirname "$0")/write-rpm-ndb.py" "$work/db-sqlite/rpmdb.sqlite" "$out.partial/ndb/Packages.db"
# The header blobs rpm stored, keyed by their header number (a native-endian uint32, as rpm's bdb backend does).
{
  printf 'VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=512\nHEADER=END\n'
  sqlite3 "$work/db-sqlite/rpmdb.sqlite" 'SELECT hnum, lower(hex(blob)) FROM Packages ORDER BY hnum' |
    while IFS='|' read -r hnum blob; do
      printf ' %02x%02x%02x%02x\n %s\n' $((hnum & 255)) $(((hnum >> 8) & 255)) $(((hnum >> 16) & 255)) $(((hnum >> 24) & 255)) "$blob"
    done
  printf 'DATA=END\n'
} >"$work/Packages.dump"
db5.3_load -f "$work/Packages.dump" "$out.partial/bdb/Packages"
cp "$work/db-sqlite/rpmdb.sqlite" "$out.partial/sqlite/"
qf='%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\t%{LICENSE}\n'
for backend in sqlite; do
  rpm --define "_db_backend $backend" --dbpath "$work/db-$backend" -qa --qf "$qf" | sort >"$work/$backend.tsv"
done
# rpm's own read-only Berkeley DB backend must see the same packages in the file db5.3_load wrote.
mkdir -p "$work/db-bdb" && cp "$out.partial/bdb/Packages" "$work/db-bdb/"
rpm --define '_db_backend bdb_ro' --dbpath "$work/db-bdb" -qa --qf "$qf" 2>/dev/null | sort >"$work/bdb.tsv"
cmp "$work/sqlite.tsv" "$work/bdb.tsv" || {
  echo "build-rpmdb-testdata: backends disagree" >&2; exit 1; }
cp "$work/sqlite.tsv" "$out.partial/packages.tsv"
rpm --define '_db_backend sqlite' --dbpath "$work/db-sqlite" -qa --qf '[%{=NAME}\t%{FILENAMES}\n]' | sort >"$out.partial/files.tsv"
rm -rf "$out"; mv "$out.partial" "$out"
echo "$out"
