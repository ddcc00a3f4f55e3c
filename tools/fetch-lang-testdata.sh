#!/usr/bin/env bash
# Fetches real language packages from their registries with their ordinary clients into a cache outside the
# repository, for Vigil's language-analyser tests; reuses it when present. Prints the directory on its last line:
#   npm/node_modules     npm install of a few small packages (one scoped)
#   python/site          pip install --target of a wheel (dist-info) and an sdist-built egg-info
#   java/*.jar|war       a jar from Maven Central, a war nesting it, and a copy stripped of pom.properties
#   ruby/specifications  a gemspec from Debian's ruby-rack package (rubygems.org is not reachable here)
set -euo pipefail
cache=${VIGIL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil}
key=$(sha256sum "$0" | cut -c1-16)
out="$cache/testdata/lang-$key"
mkdir -p "$cache/testdata"
exec 9>"$cache/testdata/lang.lock"
flock 9
if [ -s "$out/done" ]; then echo "$out"; exit 0; fi
for tool in npm python3 mvn zip unzip apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || { echo "fetch-lang-testdata: $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d "$cache/testdata/lang-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
rm -rf "$out.partial"; mkdir -p "$out.partial"/{npm,python,java,ruby}

# npm: three small packages, one of them scoped; --ignore-scripts: nothing of theirs runs here.
(cd "$out.partial/npm" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
  minimist@1.2.5 ms@2.0.0 @sindresorhus/is@4.0.0 >&2)

# Python: a wheel installs a .dist-info; an sdist carries setuptools' .egg-info.
python3 -m pip install --quiet --no-deps --no-compile --target "$out.partial/python/site" requests==2.25.0 >&2
python3 -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation -d "$work/sdist" six==1.16.0 >&2 || \
  python3 -m pip download --quiet --no-deps --no-binary :all: -d "$work/sdist" six==1.16.0 >&2
tar -xzf "$work"/sdist/six-1.16.0.tar.gz -C "$work/sdist"
cp -r "$work/sdist/six-1.16.0/six.egg-info" "$out.partial/python/site/six-1.16.0-py3.11.egg-info"

# Java: a jar from Maven Central (pom.properties inside), a war nesting it, and a manifest-only copy.
mvn -q -B -Dmaven.repo.local="$cache/m2" dependency:get -Dartifact=commons-collections:commons-collections:3.2.1 -Dtransitive=false >&2
jar="$cache/m2/commons-collections/commons-collections/3.2.1/commons-collections-3.2.1.jar"
cp "$jar" "$out.partial/java/"
mkdir -p "$work/war/WEB-INF/lib"
cp "$jar" "$work/war/WEB-INF/lib/"
printf '<web-app/>\n' > "$work/war/WEB-INF/web.xml"
(cd "$work/war" && zip -q -r -X "$out.partial/java/app.war" .)
cp "$jar" "$out.partial/java/manifest-only.jar"
zip -q -d "$out.partial/java/manifest-only.jar" 'META-INF/maven/*' >&2

# Ruby: Debian's packaged gem ships a real gemspec under rubygems-integration.
(cd "$work" && { apt-get download ruby-rack >&2 || { apt-get update -qq >&2 && apt-get download ruby-rack >&2; }; })
dpkg-deb -x "$work"/ruby-rack_*.deb "$work/rack"
mkdir -p "$out.partial/ruby/specifications"
cp "$work"/rack/usr/share/rubygems-integration/all/specifications/rack-*.gemspec "$out.partial/ruby/specifications/"

date -u +%FT%TZ > "$out.partial/done"
rm -rf "$out"; mv "$out.partial" "$out"
echo "$out"
