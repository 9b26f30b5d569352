#!/usr/bin/env bash
# The one benchmark command: set up rempart and the peers, run bench/scan_lab.py.
#   bench/run.sh [--size 200] [--seed 1] [--skip-peers]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
bench/setup_peers.sh
exec .venv/bin/python bench/scan_lab.py "$@"
