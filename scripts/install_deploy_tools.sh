#!/usr/bin/env bash
# Builds the tools of the offline deployment checks (tests/deploy) into .cache/bin with the
# Go toolchain, from the Go module proxy: kustomize and kube-score (kube-linter is not
# served by the proxy). Installs deploy/requirements.txt into the venv. Skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.cache/bin"
mkdir -p "$bin"
export GOPATH="$PWD/.cache/go" GOCACHE="$PWD/.cache/go-build" GOBIN="$bin" GOTOOLCHAIN=local GOFLAGS=-mod=mod

build() {  # build NAME MODULE@VERSION VERSION-CHECK-STRING
  local name=$1 module=$2 want=$3
  if [ -x "$bin/$name" ] && "$bin/$name" version 2>/dev/null | grep -q -- "$want"; then
    return
  fi
  echo "building $name ($module) ..."
  (cd /tmp && go install "$module")
  echo "$want" > "$bin/.$name.version"
}

build kustomize sigs.k8s.io/kustomize/kustomize/v5@v5.7.1 v5.7.1
# kube-score built from the proxy reports "development" as its version: the stamp file says which
if [ ! -x "$bin/kube-score" ] || [ "$(cat "$bin/.kube-score.version" 2>/dev/null)" != v1.20.0 ]; then
  echo "building kube-score ..."
  (cd /tmp && go install github.com/zegl/kube-score/cmd/kube-score@v1.20.0)
  echo v1.20.0 > "$bin/.kube-score.version"
fi

venv=.cache/venv
if [ -x "$venv/bin/pip" ] && ! "$venv/bin/pip" install -q --dry-run -r deploy/requirements.txt 2>/dev/null | grep -q "Would install"; then
  :
elif [ -x "$venv/bin/pip" ]; then
  "$venv/bin/pip" install -q -r deploy/requirements.txt
fi
