#!/usr/bin/env bash
# Sets up and runs every test: on SQLite and on a real PostgreSQL started here from the machine's binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
# The whole suite (no arguments) starts with the linter: a lint error fails the run like a failing test.
[ $# -eq 0 ] && .venv/bin/ruff check src tests bench

pgdir=$(mktemp -d /tmp/shoudai-pg.XXXXXX)
trap 'scripts/pg.sh stop "$pgdir"' EXIT
export SHOUDAI_TEST_PG_URL=$(scripts/pg.sh start "$pgdir")
export SHOUDAI_REQUIRE_PG=1

.venv/bin/python -m pytest "$@"
