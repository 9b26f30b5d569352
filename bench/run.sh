#!/usr/bin/env bash
# The one benchmark command: set up rempart (scripts/setup.sh) and the peers
# (bench/setup_peers.sh), start a lab, scan it with rempart and each peer, print the table and
# write bench/results/latest.json. Needs root (the lab binds standard ports on 127.x.y.z).
#   bench/run.sh [--size 200] [--seed 1] [--skip-peers]
# The platform benchmarks instead (pages under load, then scans through the Celery jobs;
# results in bench/results/platform.json; --postgres: PostgreSQL, and Redis for the jobs):
#   bench/run.sh --platform [--postgres] [--size 200] [--seed 1] [--workers 1]
#                [--concurrency 2] [--batch 50]
# The import benchmarks (a 100,000-finding Nuclei JSONL and a 5,000-host nmap XML imported,
# again, and newer, in the embedded default; a 5,000-component SBOM against the OSV snapshot;
# results in bench/results/imports.json and intel.json):
#   bench/run.sh --imports
# The report benchmarks (a 200-finding report, median of 5; then 1,000 reports by two worker
# processes; results in bench/results/reports.json):
#   bench/run.sh --reports
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
case " $* " in
  *" --reports "*)
    exec .venv/bin/python bench/reports_bench.py
    ;;
esac
case " $* " in
  *" --imports "*)
    status=0
    .venv/bin/python bench/import_bench.py || status=$?
    .venv/bin/python bench/intel_match.py || status=$?
    exit "$status"
    ;;
esac
case " $* " in
  *" --platform "*)
    if ! command -v wrk >/dev/null; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y -qq wrk >/dev/null \
          || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
      else
        echo "missing: wrk — install it (Debian: sudo apt-get install wrk)" >&2
        exit 1
      fi
    fi
    scan_args=()
    pages_args=()
    for arg in "$@"; do
      case "$arg" in
        --platform) ;;
        --postgres) scan_args+=("$arg"); pages_args+=("$arg") ;;
        *) scan_args+=("$arg") ;;
      esac
    done
    status=0
    .venv/bin/python bench/platform_pages.py --levels 1,10,50 "${pages_args[@]}" || status=$?
    # Only one lab can run on a machine (it binds 127.53.0.1:53): wait for the others.
    flock /tmp/rempart-lab.lock .venv/bin/python bench/platform_scan.py "${scan_args[@]}" \
      || status=$?
    exit "$status"
    ;;
esac
case " $* " in
  *" --skip-peers "*) ;;
  *) bench/setup_peers.sh ;;
esac
exec .venv/bin/python bench/scan_lab.py "$@"
