#!/usr/bin/env bash
# Benchmarks: speed and memory figures, printed (never asserted). `npm run bench -- vulndb` runs only matching ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
filter=${1:-}
for bench in dist/bench/*-bench.js; do
  [ -z "$filter" ] || [[ "$bench" == *"$filter"* ]] || continue
  echo "== $bench"
  node --enable-source-maps --expose-gc "$bench"
done
