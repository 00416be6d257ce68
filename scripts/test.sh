#!/usr/bin/env bash
# The whole test command: lint, format check, type check, then the suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
echo "== ruff check";  $bin/ruff check src tests bench
echo "== ruff format"; $bin/ruff format --check src tests bench
echo "== mypy";        $bin/mypy
echo "== pytest"
status=0
$bin/python -m pytest -n 2 --durations=25 "$@" || status=$?
if [ "$status" = 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi
exit "$status"
