#!/usr/bin/env bash
# The one benchmark command: set up rempart (scripts/setup.sh) and the peers
# (bench/setup_peers.sh), start a lab, scan it with rempart and each peer, print the table and
# write bench/results/latest.json. Needs root (the lab binds standard ports on 127.x.y.z).
#   bench/run.sh [--size 200] [--seed 1] [--skip-peers]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
case " $* " in
  *" --skip-peers "*) ;;
  *) bench/setup_peers.sh ;;
esac
exec .venv/bin/python bench/scan_lab.py "$@"
