#!/usr/bin/env bash
# SPEC §11: `jml validate` of a repository of 1,000 flow files against a
# general JSON-Schema CLI (ajv-cli, from the npm registry) validating the
# same files against the same schema alone — schema only, no compile.
# jml does more (YAML positions, compile, CEL, lint); the target is that it
# is still faster. Prints both times and the ratio. Not run by CI.
# Usage: bench/validate.sh [N]   (default 1000; needs Go, Node.js and npm)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/jml" ./cmd/jml
go run ./bench/gen "$work/repo" "$n"
(cd "$work" && npm install --silent --no-audit --no-fund ajv-cli@5 ajv-formats@2 >/dev/null)
ajv="$work/node_modules/.bin/ajv"

# Best of three, wall time in milliseconds.
best() {
  local best=
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    local ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$best"
}

jml_ms=$(best "$work/jml" validate "$work/repo")
ajv_ms=$(best "$ajv" validate --spec=draft2020 --strict=false -c ajv-formats \
  -s schemas/flow.schema.json -d "$work/repo/flows/*.yaml")
echo "files: $((n + 8)) flow files"
echo "jml validate (schema + compile + lint): ${jml_ms} ms"
echo "ajv-cli validate (schema only):         ${ajv_ms} ms"
awk -v a="$jml_ms" -v b="$ajv_ms" 'BEGIN { printf "ratio jml/ajv: %.2f (target: below 1)\n", a / b }'
