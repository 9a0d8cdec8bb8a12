#!/usr/bin/env bash
# SPEC §11: apply of N leaver events against `jml sandbox` with per-call
# latency and per-connector rate limits: the wall time of the whole `jml
# apply` process against the lower bound the rate limits set (target:
# within 1.1x). Runs of different events are concurrent (--parallelism
# 32), cards of one run in order; every call is journaled in a SQLite
# history as in production. Each of RUNS rounds (default 5) starts a fresh
# sandbox and history; the ratio's min / median / max are reported, and
# each round's history is checked: every event has its successful run (no
# run lost) and no try failed with a 429. The machine's load (uptime) is
# printed before and after: the ratio is a wall-time one. Not run by CI.
# Usage: bench/apply.sh [N] [LATENCY]   (default 1000 events, 20ms)
#        RUNS=3 JML=/path/to/jml bench/apply.sh …
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
latency=${2:-20ms}
rounds=${RUNS:-5}
work=$(mktemp -d)
sandbox=
trap '[ -z "$sandbox" ] || kill "$sandbox" 2>/dev/null || true; rm -rf "$work"' EXIT

jml=${JML:-$work/jml}
[ -n "${JML:-}" ] || go build -o "$jml" ./cmd/jml
go run ./bench/gen -events "$work/events.ndjson" "$n"
mkdir -p "$work/repo/flows"
# Requests per leaver run: okta 1 (clear sessions), slack 2 (SCIM lookup,
# delete), google 1 (suspend), itsm 2 (correlation_id lookup, create).
cat > "$work/repo/jml.yaml" <<'YAML'
apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  okta: {type: okta, baseURL: 'https://acme.okta.com', auth: {type: ssws, token: {env: OKTA_TOKEN}}, rateLimit: {requestsPerSecond: 200, burst: 1}}
  slack: {type: slack, auth: {type: bearer, token: {env: SLACK_TOKEN}}, rateLimit: {requestsPerSecond: 200, burst: 1}}
  google: {type: google, auth: {type: oauth2, tokenURL: 'https://oauth2.googleapis.com/token', clientID: x, clientSecret: {env: GOOGLE_SECRET}}, rateLimit: {requestsPerSecond: 200, burst: 1}}
  itsm: {type: servicenow, baseURL: 'https://acme.service-now.com', auth: {type: basic, username: jml, password: {env: SN_PASSWORD}}, rateLimit: {requestsPerSecond: 200, burst: 1}}
guardrails: {maxDeprovisionsPerApply: 100000}
YAML
cat > "$work/repo/flows/leaver.yaml" <<'YAML'
apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: okta.clearUserSessions
    with: {userId: "${{ user.id }}"}
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - action: google.suspendUser
    with: {userKey: "${{ user.alternateId }}"}
  - action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ user.alternateId }}"}}
YAML

# The bound: the busiest instance's requests at its rate (2 per event at
# 200/s for slack and itsm), or the latency of one run's six calls in
# sequence times the rounds of --parallelism, whichever is larger.
bound=$(awk -v n="$n" -v lat="${latency%ms}" 'BEGIN {
  rate = n * 2 / 200 * 1000; chain = 6 * lat * n / 32;
  bound = rate > chain ? rate : chain; printf "%d", bound }')
echo "load before: $(uptime)"
: > "$work/ratios"
for r in $(seq "$rounds"); do
  rm -f "$work/ready" "$work"/h.db*
  "$jml" sandbox --config "$work/repo/jml.yaml" --addr 127.0.0.1:0 --seed "$work/events.ndjson" \
    --latency "$latency" --ready-file "$work/ready" > "$work/sandbox.log" 2>&1 &
  sandbox=$!
  for _ in $(seq 100); do [ -s "$work/ready" ] && break; sleep 0.1; done
  url=$(cat "$work/ready")

  t0=$(date +%s%N)
  "$jml" apply --config "$work/repo/jml.yaml" --history "sqlite://$work/h.db" --sandbox "$url" \
    --parallelism 32 --auto-approve "$work/events.ndjson" > "$work/apply.out"
  t1=$(date +%s%N)
  kill "$sandbox"; wait "$sandbox" 2>/dev/null || true; sandbox=
  ms=$(( (t1 - t0) / 1000000 ))

  # From the history: runs that succeeded (one per event, or a run was
  # lost), and tries that failed with a 429 (the journal keeps each try).
  ok=$("$jml" history --history "sqlite://$work/h.db" --status success --format json | grep -c '"status": "success"' || true)
  lost=$(( n - ok ))
  if command -v sqlite3 >/dev/null; then
    r429=$(sqlite3 "$work/h.db" "SELECT COUNT(*) FROM calls WHERE error LIKE '%\"status\":429%'")
  else
    r429="? (no sqlite3)"
  fi
  awk -v r="$r" -v ms="$ms" -v b="$bound" -v lost="$lost" -v r429="$r429" 'BEGIN {
    printf "round %d: wall %d ms, bound %d ms, ratio %.3f, runs lost %d, 429s %s\n", r, ms, b, ms / b, lost, r429 }'
  awk -v ms="$ms" -v b="$bound" 'BEGIN { printf "%.3f\n", ms / b }' >> "$work/ratios"
  if [ "$lost" != 0 ] || [ "$r429" != 0 ]; then echo "FAILED: runs lost or 429s in round $r" >&2; tail -3 "$work/apply.out" >&2; exit 1; fi
done
echo "load after: $(uptime)"
sort -n "$work/ratios" | awk -v n="$n" -v b="$bound" '{ v[NR] = $1 } END {
  med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
  printf "events: %d, lower bound: %d ms, ratio over %d rounds: min %.3f, median %.3f, max %.3f (target: at most 1.1)\n", n, b, NR, v[1], med, v[NR] }'
