#!/usr/bin/env bash
# Set up and run every check of the project: lint, architecture contract, types, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== ruff"; .venv/bin/ruff check src tests $(test -d bench && echo bench)
echo "== import-linter (the engine knows nothing of Django, Celery, the lab or the CLI)"
.venv/bin/lint-imports
echo "== mypy --strict (engine)"; .venv/bin/mypy
echo "== pytest"
set +e
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no test: that is a failure here" >&2
  exit 1
fi
exit "$status"
