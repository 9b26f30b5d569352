#!/usr/bin/env bash
# Create .venv (if needed) and install rempart with its development tools into it.
# Idempotent: a second run only checks that everything is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "rempart needs Python 3.11 or newer ($PYTHON is $("$PYTHON" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
# The end-to-end tests drive Debian's chromium (Playwright never downloads a browser here);
# the platform benchmark's test drives the portal with wrk.
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium chromium-driver)
command -v wrk >/dev/null || missing+=(wrk)
# Reports from real tools run against the lab feed the importer tests.
command -v nmap >/dev/null || missing+=(nmap)
command -v testssl >/dev/null || missing+=(testssl.sh)
# WeasyPrint draws the PDF reports with Pango and needs at least one font.
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list 2>/dev/null | grep -qi dejavu || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "installing Debian packages for the browser, load, importer and report tests: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || echo "WARNING: ${missing[*]} could not be installed: the tests that need them skip" >&2
fi
