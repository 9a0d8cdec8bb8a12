#!/usr/bin/env bash
# SPEC §11: `jml plan` of an NDJSON System Log — the whole process, text and
# json output — against merely decoding the same file: bench/decode, which
# decodes every line into a map[string]any with encoding/json and nothing
# else. The log is a tenant's mix from bench/gen -tenant (~1.8 KB LogEvents:
# sign-ins, SSO, MFA, policy evaluations, group and profile changes, 0.6%
# user.lifecycle.*; a user for every 8 events), replayed through the flow
# library (flows/: joiner, mover, leaver and their helpers). Best of three
# runs per command, in one run; the ratios are plan / decode (target:
# at most 1). Several N show whether the time per event stays flat.
# Not run by CI.
# Usage: bench/replay.sh [N ...]   (default 50000; needs Go)
#        JML=/path/to/jml bench/replay.sh …   measures that build instead
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(50000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

jml=${JML:-$work/jml}
[ -n "${JML:-}" ] || go build -o "$jml" ./cmd/jml
go build -o "$work/decode" ./bench/decode
go build -o "$work/gen" ./bench/gen

# Best of three: wall time and CPU time (user + system) in milliseconds,
# each the smallest of the three runs, and the peak RSS (KiB) of the run
# with the best wall time. CPU time needs GNU time (/usr/bin/time); it
# says more than the wall time on a machine that is busy with other work.
gnutime=
if /usr/bin/time -f %M true >/dev/null 2>&1; then gnutime=/usr/bin/time; fi
best() {
  local best= cpu= rss=
  for _ in 1 2 3; do
    local t0 t1 ms c=- r=-
    t0=$(date +%s%N)
    if [ -n "$gnutime" ]; then
      $gnutime -o "$work/time" -f '%U %S %M' "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "failed: $*" >&2; exit 1; }
      read -r u s r < <(tail -1 "$work/time")
      c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%d", (u + s) * 1000 }')
    else
      "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "failed: $*" >&2; exit 1; }
    fi
    t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; rss=$r; fi
    if [ "$c" != - ] && { [ -z "$cpu" ] || [ "$c" -lt "$cpu" ]; }; then cpu=$c; fi
  done
  echo "$best ${cpu:--} $rss"
}

printf '%8s | %27s | %27s | %11s | %9s\n' "" "wall ms: decode  text  json" "CPU ms: decode  text  json" "wall ratio" "text"
printf '%8s | %8s %8s %8s | %8s %8s %8s | %5s %5s | %5s %3s\n' events decode text json decode text json text json µs/ev MiB
for n in "${sizes[@]}"; do
  log="$work/log-$n.ndjson"
  "$work/gen" -tenant "$log" "$n"
  read -r dec dec_cpu _ < <(best "$work/decode" "$log")
  read -r txt txt_cpu txt_rss < <(best "$jml" plan --config flows/jml.yaml "$log")
  read -r jsn jsn_cpu _ < <(best "$jml" plan --config flows/jml.yaml --format json "$log")
  awk -v n="$n" -v d="$dec" -v t="$txt" -v j="$jsn" -v dc="$dec_cpu" -v tc="$txt_cpu" -v jc="$jsn_cpu" -v r="$txt_rss" 'BEGIN {
    rss = (r == "-") ? "-" : sprintf("%.0f", r / 1024)
    printf "%8d | %8d %8d %8d | %8s %8s %8s | %5.2f %5.2f | %5.1f %3s\n", n, d, t, j, dc, tc, jc, t / d, j / d, t * 1000 / n, rss
    if (dc != "-") printf "%8s   CPU ratio: text %.2f, json %.2f\n", "", tc / dc, jc / dc
  }'
done
echo "target (SPEC §11): plan no slower than decoding: every ratio at most 1.00"
