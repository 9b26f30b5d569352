#!/usr/bin/env bash
# Set up and run the demonstration: a lab of small businesses, a scan, the results.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/rempart demo "$@"
