#!/usr/bin/env bash
# The whole test suite: set-up, type-check (part of the build), lint, then every test with node's runner.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --for-tests
npx biome check .
mapfile -t files < <(find dist/src dist/test -name '*.test.js' | sort)
[ ${#files[@]} -gt 0 ] || { echo "test: no test files found" >&2; exit 1; }
# One file at a time by default: control-plane tests start real processes and the machine has 2 cores.
exec node --enable-source-maps --test --test-reporter=spec --test-concurrency="${VIGIL_TEST_CONCURRENCY:-1}" "${files[@]}"
