#!/usr/bin/env bash
# Installs what is missing, into git-ignored .cache/: the Python virtualenv with
# every package of the repo (editable), the Kafka jars, the FerretDB binary and the
# node packages (scripts/install_node.sh).
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
for extra in scripts/install_deploy_tools.sh scripts/install_container_engine.sh scripts/install_browser.sh \
             scripts/install_node.sh; do
  if [ -f "$extra" ]; then bash "$extra"; fi
done
