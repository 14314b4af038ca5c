#!/usr/bin/env bash
# Installs what is missing, into git-ignored .cache/: the Python virtualenv with
# every package of the repo (editable), the Kafka jars, the FerretDB binary and the
# node packages (scripts/install_node.sh); the deployment checks' tools unless
# TSUNAGU_INSTALL_DEPLOY_TOOLS=0.
# A second run only checks and returns.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.cache/venv
stamp=$venv/.installed
packages=()
for dir in contracts shared services/profile services/scout services/messaging services/events services/notify \
           emulators tools console simulator; do
  if [ -f "$dir/pyproject.toml" ]; then packages+=("$dir"); fi
done

reqs=(requirements-dev.txt)
[ -f deploy/requirements.txt ] && reqs+=(deploy/requirements.txt)
want=$(cat "${reqs[@]}" "${packages[@]/%//pyproject.toml}" 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing Python packages into $venv ..."
  "$venv/bin/pip" install -q --upgrade pip
  args=()
  for p in "${packages[@]}"; do args+=(-e "$p"); done
  for r in "${reqs[@]}"; do args+=(-r "$r"); done
  "$venv/bin/pip" install -q "${args[@]}"
  echo "$want" > "$stamp"
fi
python3 scripts/stack.py install
# The deployment checks' tools (kustomize, kube-score built with Go; docker.io and mmdebstrap for the
# image check) only serve tests/deploy: `make demo` and `make up` skip them
# (TSUNAGU_INSTALL_DEPLOY_TOOLS=0), `make test` installs them.
extras=(scripts/install_browser.sh scripts/install_node.sh scripts/install_monitoring_tools.sh)
if [ "${TSUNAGU_INSTALL_DEPLOY_TOOLS:-1}" != 0 ]; then
  extras=(scripts/install_deploy_tools.sh scripts/install_container_engine.sh "${extras[@]}")
fi
for extra in "${extras[@]}"; do
  if [ -f "$extra" ]; then bash "$extra"; fi
done
