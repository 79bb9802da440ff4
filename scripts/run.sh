#!/usr/bin/env bash
# The main job on the embedded default (SQLite + DuckDB): set up, generate a demo city, build its two lists, export.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/shoudai demo "$@"
