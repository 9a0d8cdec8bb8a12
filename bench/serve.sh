#!/usr/bin/env bash
# jml serve under load: N deliveries (default 10,000, one event each) at
# RATE per second (default 100) on loopback, against a serve applying a
# leaver flow to a jml sandbox (20ms per call) behind it. Reports the
# acknowledgement time's p50 / p99 / max and p99 as a ratio to Okta's
# 3-second window (target: far below 1), then stops serve (SIGTERM, which
# drains) and checks the queue: every event received once. Bounded: N / RATE
# seconds of load plus the drain. Not run by CI.
# Usage: bench/serve.sh [N] [RATE]    JML=/path/to/jml bench/serve.sh …
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
rate=${2:-100}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

jml=${JML:-$work/jml}
[ -n "${JML:-}" ] || go build -o "$jml" ./cmd/jml
go build -o "$work/serveload" ./bench/serveload
go run ./bench/gen -events "$work/events.ndjson" "$n"
mkdir -p "$work/repo/flows"
cat > "$work/repo/jml.yaml" <<'YAML'
apiVersion: jml/v1
kind: Config
flows: flows/
connectors:
  slack: {type: slack, auth: {type: bearer, token: {env: SLACK_TOKEN}}}
  itsm: {type: servicenow, baseURL: 'https://acme.service-now.com', auth: {type: basic, username: jml, password: {env: SN_PASSWORD}}}
serve:
  authSecret: {env: JML_HOOK_SECRET}
  workers: 32
guardrails: {maxDeprovisionsPerApply: 1000000, maxDeprovisionsPerHour: 1000000}
YAML
cat > "$work/repo/flows/leaver.yaml" <<'YAML'
apiVersion: jml/v1
kind: Flow
name: leaver
trigger: {event: user.lifecycle.deactivate}
steps:
  - action: slack.deactivateUser
    with: {email: "${{ user.alternateId }}"}
  - action: itsm.createRecord
    with: {table: sc_task, fields: {short_description: "Offboard ${{ user.alternateId }}"}}
YAML
export JML_HOOK_SECRET="bench-$RANDOM$RANDOM"
mkfifo "$work/sready" "$work/ready"
"$jml" sandbox --config "$work/repo/jml.yaml" --addr 127.0.0.1:0 --seed "$work/events.ndjson" \
  --latency 20ms --ready-file "$work/sready" > "$work/sandbox.log" 2>&1 &
pids+=($!)
sandbox=$(cat "$work/sready")
"$jml" serve --config "$work/repo/jml.yaml" --history "sqlite://$work/h.db" --addr 127.0.0.1:0 \
  --sandbox "$sandbox" --ready-file "$work/ready" --log-format json --drain-timeout 10m > "$work/serve.log" 2>&1 &
serve=$!
pids+=($serve)
url=$(cat "$work/ready")
echo "load before: $(uptime)"
"$work/serveload" -url "$url/hooks/okta" -auth "$JML_HOOK_SECRET" -rate "$rate" "$work/events.ndjson"
echo "load after: $(uptime)"
kill -TERM "$serve"; wait "$serve" || true
queued=$("$jml" serve queue --config "$work/repo/jml.yaml" --history "sqlite://$work/h.db" --format json | grep -c '"uuid"' || true)
echo "events in the queue: $queued (want $n)"
[ "$queued" = "$n" ]
