#!/usr/bin/env bash
# Imports every template of Okta's workflows-templates repository with
# this build of jml and validates each import: the figures docs/import.md
# gives for "all 125 templates". Needs a checkout (or a bare snapshot) of
# github.com/okta/workflows-templates; not run by CI (no network there).
# Usage: testdata/flopacks/check-templates.sh DIR   (a bare git directory
#        or a working tree of okta/workflows-templates)
set -euo pipefail
cd "$(dirname "$0")/../.."
src=${1:?usage: check-templates.sh DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/jml" ./cmd/jml
mkdir -p "$work/packs"
if git -C "$src" rev-parse --is-bare-repository 2>/dev/null | grep -q true; then
  for f in $(git -C "$src" ls-tree -r --name-only HEAD | grep '/workflow.flopack$'); do
    git -C "$src" show "HEAD:$f" >"$work/packs/$(basename "$(dirname "$f")").flopack"
  done
else
  for f in "$src"/workflows/*/workflow.flopack; do
    cp "$f" "$work/packs/$(basename "$(dirname "$f")").flopack"
  done
fi
valid=0 invalid=0 translated=0 cards=0
for p in "$work"/packs/*.flopack; do
  n=$(basename "$p" .flopack)
  "$work/jml" import flopack "$p" -o "$work/out/$n" --format json >"$work/$n.json"
  read -r t c < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["report"]; print(r["translated"], r["cards"])' "$work/$n.json")
  translated=$((translated + t)) cards=$((cards + c))
  if "$work/jml" validate "$work/out/$n" >"$work/$n.validate" 2>&1; then
    valid=$((valid + 1))
  else
    invalid=$((invalid + 1))
    echo "does not validate: $n"
    grep 'error:' "$work/$n.validate" | head -3
  fi
done
echo "templates: $((valid + invalid)); imports that validate: $valid; cards translated: $translated of $cards"
