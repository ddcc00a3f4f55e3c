#!/usr/bin/env bash
# The main job: set-up, then `vigil demo` (pass --once to exit after everything is up and checked).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --enable-source-maps dist/src/cli/main.js demo "$@"
