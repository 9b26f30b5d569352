#!/usr/bin/env bash
# Install the peer tools the scan benchmark compares rempart with, each in a venv of its own
# (sslyze pins cryptography < 47 while checkdmarc's dnspython needs >= 50 for DNSSEC):
# sslyze and checkdmarc from PyPI, nmap from Debian's packages.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p .peers
for tool in sslyze checkdmarc; do
  if [ ! -x ".peers/$tool/bin/$tool" ]; then
    python3 -m venv ".peers/$tool"
    extra=""
    [ "$tool" = checkdmarc ] && extra="cryptography"  # its DNSSEC test needs it
    ".peers/$tool/bin/python" -m pip install --quiet --disable-pip-version-check "$tool" $extra
  fi
done
if ! command -v nmap >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq nmap >/dev/null
  else
    echo "nmap is missing: sudo apt-get install nmap" >&2
    exit 1
  fi
fi
