#!/usr/bin/env bash
# The main job: set-up, then `vigil demo` (server, operator and sample workloads on the local cluster; pass
# --once to exit after the VulnerabilityReports are printed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec node --enable-source-maps dist/src/cli/main.js demo "$@"
