#!/usr/bin/env bash
# `make lint`: ruff (style, bugs, complexity) over the whole repository and mypy over the typed packages, with the
# configuration in the repository's pyproject.toml. Needs the virtualenv of scripts/install.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
.cache/venv/bin/ruff check .
.cache/venv/bin/mypy
