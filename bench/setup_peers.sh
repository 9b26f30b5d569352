#!/usr/bin/env bash
# Install the peer tools the scan benchmark compares rempart with. Idempotent.
#  - sslyze and checkdmarc from PyPI, each in a venv of its own under bench/.peers/: sslyze 6
#    pins cryptography < 47 while checkdmarc 6 requires cryptography >= 50. Major versions are
#    pinned because bench/peers.py reads their JSON reports.
#  - nmap (and GNU time, which measures each tool's peak memory) from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .peers
install_peer() {  # tool, pip requirement
  if [ ! -x ".peers/$1/bin/$1" ]; then
    python3 -m venv ".peers/$1"
    ".peers/$1/bin/python" -m pip install --quiet --disable-pip-version-check "$2"
  fi
}
install_peer sslyze 'sslyze>=6.3,<7'
install_peer checkdmarc 'checkdmarc>=6,<7'
missing=()
command -v nmap >/dev/null || missing+=(nmap)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "missing: ${missing[*]} — install them (Debian: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
fi
