#!/usr/bin/env bash
# Set up and run every check of the project: lint, architecture contract, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check src tests $(test -d bench && echo bench)
echo "== import-linter (the engine knows nothing of Django, Celery, the lab or the CLI)"
.venv/bin/lint-imports
echo "== mypy --strict (engine, importers, intel, diagnostic, attestation)"; .venv/bin/mypy
echo "== pytest"
# Screenshots of the portal and the report PDFs' pages, rendered by the tests for a person
# to look at: kept in test-artifacts/ (one run's worth).
export REMPART_E2E_ARTIFACTS="${REMPART_E2E_ARTIFACTS:-$PWD/test-artifacts}"
rm -rf "$REMPART_E2E_ARTIFACTS" && mkdir -p "$REMPART_E2E_ARTIFACTS"
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no test: that is a failure here" >&2
  exit 1
fi
# The import fold writes with hand-made SQL (src/rempart/web/fastinsert.py): its tests run a
# second time on PostgreSQL, the scale-out database, when one answers on 127.0.0.1:5432.
pg_up() {
  .venv/bin/python -c 'import psycopg; psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()' 2>/dev/null
}
if [ "$status" -ne 0 ] || [ -n "${DATABASE_URL:-}" ]; then
  :
elif pg_up; then
  echo "== pytest: imports on PostgreSQL"
  set +e
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/rempart_imports .venv/bin/python -m pytest \
    -p no:cacheprovider -q tests/web/imports tests/web/api/test_imports_api.py
  status=$?
  set -e
else
  echo "== pytest: imports on PostgreSQL SKIPPED (no PostgreSQL on 127.0.0.1:5432)" >&2
fi
exit "$status"
