#!/usr/bin/env bash
# Node packages of the repo, into git-ignored .cache/node/<name>/ (one per package.json
# below), linked back as <dir>/node_modules: the AsyncAPI parser that checks
# docs/asyncapi.yaml and the TypeScript subscriber example (compiled into
# .cache/node/subscriber-ts/dist). Skipped, with a note, when node or npm is absent;
# a second run only checks the lock files' hashes and returns.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "node/npm not found: skipping the AsyncAPI parser and the TypeScript subscriber (their tests skip)"
  exit 0
fi
for dir in scripts/asyncapi examples/subscriber-ts; do
  [ -f "$dir/package-lock.json" ] || continue
  name=$(basename "$dir")
  target=.cache/node/$name
  stamp=$target/.installed
  want=$(cat "$dir/package.json" "$dir/package-lock.json" | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "installing node packages of $dir into $target ..."
    mkdir -p "$target"
    cp "$dir/package.json" "$dir/package-lock.json" "$target/"
    (cd "$target" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$want" > "$stamp"
  fi
  ln -sfn "$(realpath --relative-to="$dir" "$target/node_modules")" "$dir/node_modules"
done
# The example in TypeScript, compiled once per change of its sources.
[ -f examples/subscriber-ts/tsconfig.json ] || exit 0
src_hash=$(cat examples/subscriber-ts/tsconfig.json examples/subscriber-ts/src/*.ts | sha256sum | cut -d' ' -f1)
built=.cache/node/subscriber-ts/dist/.built
if [ ! -f "$built" ] || [ "$(cat "$built")" != "$src_hash" ]; then
  (cd examples/subscriber-ts && node_modules/.bin/tsc -p tsconfig.json)
  echo "$src_hash" > "$built"
fi
