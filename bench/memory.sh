#!/usr/bin/env bash
# SPEC §11: replay in plan mode streams end to end (decoder → engine →
# renderer, the plan JSON written incrementally): peak RSS under 100 MiB
# and flat in the number of events, RSS(100k) ≤ 1.3 × RSS(50k). Measures the
# whole process (/usr/bin/time -v, "Maximum resident set size") of jml plan
# in every format, plan -o, and dry-run in every format, at each size, and
# prints the peak RSS and its ratio to the smallest size. Not run by CI.
#
# The log (LOG): "tenant" (default), a tenant's System Log from bench/gen
# -tenant, as bench/replay.sh (0.6% user.lifecycle.*, most events skimmed,
# a user for every 8 events: the world grows with the log by design);
# "lifecycle", the recorded deactivation of examples/quickstart with its
# uuid made unique and its type rotating over deactivate, create,
# update_profile and session.start (as go test ./pkg/replay -bench
# PlanVsDecode), its user one of USERS people: half the events fire runs,
# which stresses the renderers and the -o file — and the simulated world,
# which keeps every write a run makes. Both replayed through the flow
# library (flows/).
#
# Usage: bench/memory.sh [SIZES...]   (default 50000 100000 200000)
# Environment: LOG (tenant or lifecycle); USERS (lifecycle only, default
#        5000); JML, a jml binary to measure instead of building ./cmd/jml
#        (to compare with another commit); JOBS, runs at once (default 2:
#        RSS is per process, so runs side by side do not change it).
# Needs Go, GNU time (apt-get install time) and, for LOG=lifecycle, perl.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
if [ ${#sizes[@]} -eq 0 ]; then sizes=(50000 100000 200000); fi
log=${LOG:-tenant}
users=${USERS:-5000}
jobs=${JOBS:-2}
if ! /usr/bin/time -v true >/dev/null 2>&1; then
  echo "memory.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

jml=${JML:-}
if [ -z "$jml" ]; then
  go build -o "$work/jml" ./cmd/jml
  jml="$work/jml"
fi
repo=$PWD/flows

case "$log" in
tenant)
  go build -o "$work/gen" ./bench/gen
  for n in "${sizes[@]}"; do "$work/gen" -tenant "$work/events-$n.ndjson" "$n"; done
  ;;
lifecycle)
  for n in "${sizes[@]}"; do
    perl -e '
      my ($n, $users, $file) = @ARGV;
      open(my $fh, "<", $file) or die "$file: $!";
      my $t = <$fh>; chomp $t;
      my @types = qw(user.lifecycle.deactivate user.lifecycle.create user.account.update_profile user.session.start);
      for my $i (0 .. $n - 1) {
        my $u = $i % $users; my $l = $t;
        $l =~ s/ab62c0bc-2837-11eb-9823-9fb8f750c5a9/sprintf("bench-%08d", $i)/e;
        $l =~ s/"eventType":"user.lifecycle.deactivate"/"\"eventType\":\"$types[$i % 4]\""/e;
        $l =~ s/john\.doe\@example\.com/sprintf("user%06d\@example.com", $u)/ge;
        $l =~ s/00u3m90rxKjGQ0G6L1d6/sprintf("00ubench%08d", $u)/ge;
        print $l, "\n";
      }' "$n" "$users" examples/quickstart/events/deactivate.ndjson >"$work/events-$n.ndjson"
  done
  ;;
*)
  echo "memory.sh: LOG is tenant or lifecycle" >&2
  exit 64
  ;;
esac

configs=(
  "plan text|plan"
  "plan json|plan --format json"
  "plan markdown|plan --format markdown"
  "plan -o|plan -o @OUT@"
  "dry-run text|dry-run"
  "dry-run json|dry-run --format json"
  "dry-run markdown|dry-run --format markdown"
)

# One measured run: NAME SIZE ARGS; writes $work/rss/NAME@SIZE (KiB).
measure() {
  local name=$1 n=$2 args=$3 key
  key=$(echo "$name@$n" | tr ' ' '_')
  args=${args//@OUT@/$work/plan-$key.json}
  # dry-run exits 1 when a run halted or failed; anything else is an error.
  local code=0
  # shellcheck disable=SC2086
  /usr/bin/time -v -o "$work/time-$key" "$jml" $args "$work/events-$n.ndjson" \
    --config "$repo/jml.yaml" >/dev/null 2>"$work/err-$key" || code=$?
  if [ "$code" -gt 1 ] || { [ "$code" -eq 1 ] && [ "${args%% *}" != dry-run ]; }; then
    echo "memory.sh: $name at $n events: exit $code" >&2
    cat "$work/err-$key" "$work/time-$key" >&2
    return 1
  fi
  rm -f "$work/plan-$key.json"
  awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time-$key" >"$work/rss-$key"
}
export -f measure
export work jml repo

for c in "${configs[@]}"; do
  for n in "${sizes[@]}"; do
    printf '%s\0%s\0%s\0' "${c%%|*}" "$n" "${c#*|}"
  done
done | xargs -0 -n 3 -P "$jobs" bash -c 'measure "$0" "$1" "$2"'

printf '%-18s' "peak RSS (MiB)"
for n in "${sizes[@]}"; do printf '%10s' "$n"; done
for n in "${sizes[@]:1}"; do printf '%14s' "${n}/${sizes[0]}"; done
echo
for c in "${configs[@]}"; do
  name=${c%%|*}
  printf '%-18s' "$name"
  for n in "${sizes[@]}"; do
    kb=$(cat "$work/rss-$(echo "$name@$n" | tr ' ' '_')")
    awk -v k="$kb" 'BEGIN { printf "%10.1f", k / 1024 }'
  done
  base=$(cat "$work/rss-$(echo "$name@${sizes[0]}" | tr ' ' '_')")
  for n in "${sizes[@]:1}"; do
    kb=$(cat "$work/rss-$(echo "$name@$n" | tr ' ' '_')")
    awk -v a="$kb" -v b="$base" 'BEGIN { printf "%14.2f", a / b }'
  done
  echo
done
if [ "$log" = lifecycle ]; then log="lifecycle, $users users"; fi
echo "log: $log; target (SPEC §11): peak under 100 MiB, RSS(100k)/RSS(50k) at most 1.3"
