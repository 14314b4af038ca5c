#!/usr/bin/env bash
# The container engine and the base-image builder of `make deploy-check` (scripts/deploy_check.py):
# Debian's docker.io and mmdebstrap, installed with apt when missing (root only). Without them
# the deploy check skips and says why; nothing else of the repository needs them.
set -euo pipefail
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v mmdebstrap >/dev/null 2>&1 || missing+=(mmdebstrap)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "not installed: ${missing[*]} (needs root and apt-get): make deploy-check will skip" >&2
  exit 0
fi
echo "installing ${missing[*]} (the container engine of make deploy-check) ..."
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
if ! install && ! (apt-get update -q >/dev/null && install); then
  echo "could not install ${missing[*]}: make deploy-check will skip" >&2
fi
