#!/usr/bin/env bash
# `make test`: install, lint, start a fresh Kafka, FerretDB and OpenSearch on the test ports, run
# every test, stop what was started. Extra arguments go to pytest (and skip the lint: a chosen test run).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# before the stack starts: a lint finding fails the run in seconds, not after the suite
if [ $# -eq 0 ]; then bash scripts/lint.sh; fi

export TSUNAGU_STATE_DIR="${TSUNAGU_STATE_DIR:-$PWD/.cache/run/test}"
export TSUNAGU_KAFKA_PORT="${TSUNAGU_KAFKA_PORT:-29092}"
export TSUNAGU_MONGO_PORT="${TSUNAGU_MONGO_PORT:-27037}"
export TSUNAGU_POSTGRES_PORT="${TSUNAGU_POSTGRES_PORT:-35432}"
export TSUNAGU_OPENSEARCH_PORT="${TSUNAGU_OPENSEARCH_PORT:-29200}"
export TSUNAGU_PORT_BASE="${TSUNAGU_PORT_BASE:-8100}"
export TSUNAGU_EMULATOR_PORT_BASE="${TSUNAGU_EMULATOR_PORT_BASE:-8120}"

python3 scripts/stack.py down
rm -rf "$TSUNAGU_STATE_DIR"
trap 'python3 scripts/stack.py down' EXIT
python3 scripts/stack.py up infra
eval "$(python3 scripts/stack.py env)"
export TSUNAGU_REPO_ROOT="$PWD"

.cache/venv/bin/python -m pytest -q -ra --durations=25 "$@"
