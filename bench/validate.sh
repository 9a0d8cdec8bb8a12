#!/usr/bin/env bash
# SPEC §11: `jml validate` of a repository of 1,000 flow files against a
# general JSON-Schema CLI (ajv-cli, from the npm registry) validating the
# same files against the same schema alone — schema only, no compile.
# jml does more (YAML positions, compile, CEL, lint). Three jml cases, each
# against ajv:
#   cold      jml validate --no-cache
#   warm      jml validate, nothing changed since the last run (the cache)
#   one-file  jml validate after one flow file changed: a comment added
#             at the end, which leaves the flow's answers as they were (the
#             repository's answer is found by answers: an early cutoff)
#   one-moved jml validate after one flow file changed: a line added at
#             the top, which moves every card of the flow, so its compiled
#             unit changes and the checks across flows run again
# Each is run RUNS times (default 5): min / median / max wall time, the
# median's ratio to ajv's median, and the largest peak RSS (GNU time's %M,
# when /usr/bin/time is there). Not run by CI.
# Usage: bench/validate.sh [N]   (default 1000; needs Go, Node.js and npm)
#        JML=/path/to/jml bench/validate.sh …   measures that build instead
#        (another commit's, for a side-by-side in one session)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
runs=${RUNS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if [ -n "${JML:-}" ]; then cp "$JML" "$work/jml"; else go build -o "$work/jml" ./cmd/jml; fi
go run ./bench/gen "$work/repo" "$n"
(cd "$work" && npm install --silent --no-audit --no-fund ajv-cli@5 ajv-formats@2 >/dev/null)
ajv="$work/node_modules/.bin/ajv"
timer=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true 2>/dev/null; then timer=/usr/bin/time; fi

# measure NAME PREPARE CMD...: runs PREPARE then CMD, RUNS times; prints
# "NAME min median max rss cpu" (wall milliseconds; peak MiB and median
# user+system CPU milliseconds, "-" without GNU time). On a busy machine
# the CPU time is the steadier figure.
measure() {
  local name=$1 prep=$2
  shift 2
  local times=() cpus=() rss=0
  for i in $(seq "$runs"); do
    eval "$prep"
    # The clock is bash's own ($EPOCHREALTIME, no process of its own),
    # read right before and after the command: what GNU time's figures are
    # read with afterwards is not timed.
    local t0 t1 code=0
    t0=$EPOCHREALTIME
    if [ -n "$timer" ]; then
      "$timer" -f '%M %U %S' -o "$work/rss" "$@" >/dev/null 2>&1 || code=$?
    else
      "$@" >/dev/null 2>&1 || code=$?
    fi
    t1=$EPOCHREALTIME
    if [ -n "$timer" ]; then
      local r u s; read -r r u s < <(tail -1 "$work/rss")
      [ "$r" -gt "$rss" ] && rss=$r
      cpus+=($(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }'))
    fi
    [ "$code" = 0 ] || { echo "failed ($code): $*" >&2; exit 1; }
    times+=($(( (${t1//[.,]/} - ${t0//[.,]/}) / 1000 )))
  done
  local sorted; sorted=($(printf '%s\n' "${times[@]}" | sort -n))
  local mid=$(( runs / 2 ))
  local rssm=- cpu=-
  if [ -n "$timer" ]; then
    rssm=$(( rss / 1024 ))
    local cs; cs=($(printf '%s\n' "${cpus[@]}" | sort -n))
    cpu=${cs[$mid]}
  fi
  echo "$name ${sorted[0]} ${sorted[$mid]} ${sorted[$((runs - 1))]} $rssm $cpu"
}

change=0
touch_one() {
  change=$((change + 1))
  printf '# change %d\n' "$change" >>"$work/repo/flows/leaver-0000.yaml"
}
move_one() {
  change=$((change + 1))
  f="$work/repo/flows/leaver-0001.yaml"
  { printf '# change %d\n' "$change"; cat "$f"; } >"$f.new" && mv "$f.new" "$f"
}

res_ajv=$(measure ajv : "$ajv" validate --spec=draft2020 --strict=false -c ajv-formats \
  -s schemas/flow.schema.json -d "$work/repo/flows/*.yaml")
res_cold=$(measure cold : "$work/jml" validate --no-cache "$work/repo")
"$work/jml" validate "$work/repo" >/dev/null # fill the cache
res_warm=$(measure warm : "$work/jml" validate "$work/repo")
res_one=$(measure one-file touch_one "$work/jml" validate "$work/repo")
res_moved=$(measure one-moved move_one "$work/jml" validate "$work/repo")

echo "files: $(ls "$work/repo/flows" | wc -l) flow files; $runs runs each; load: $(uptime | sed 's/.*load average: //')"
printf '%-30s %8s %8s %8s %7s %9s %8s %7s\n' "" "min ms" "median" "max ms" "x ajv" "peak MiB" "CPU ms" "x ajv"
ajv_med=$(echo "$res_ajv" | awk '{print $3}')
ajv_cpu=$(echo "$res_ajv" | awk '{print $6}')
for r in "$res_ajv" "$res_cold" "$res_warm" "$res_one" "$res_moved"; do
  set -- $r
  label=$(case $1 in
    ajv) echo "ajv-cli (schema only)" ;;
    cold) echo "jml validate --no-cache" ;;
    warm) echo "jml validate, warm" ;;
    one-file) echo "jml validate, 1 file: comment" ;;
    one-moved) echo "jml validate, 1 file: moved" ;;
  esac)
  awk -v l="$label" -v a="$2" -v m="$3" -v b="$4" -v r="$5" -v c="$6" -v base="$ajv_med" -v cbase="$ajv_cpu" \
    'BEGIN { cr = (c == "-" || cbase == "-" || cbase == 0) ? "-" : sprintf("%.2f", c / cbase);
             printf "%-30s %8d %8d %8d %7.2f %9s %8s %7s\n", l, a, m, b, m / base, r, c, cr }'
done
echo "targets (SPEC §11): cold ≤ 1.00x in ≤ 100 MiB; warm ≤ 0.10x; one file changed ≤ 0.10x"
