#!/usr/bin/env bash
# Issue #18: what running leavers on Temporal costs per run against a local
# apply. Each of RUNS rounds (default 3) runs the same N leaver events (the
# quickstart's flows, every action card with timeout: 5s, as in the e2e
# scenario) once through `jml apply --sandbox` and once through `jml apply
# --temporal` and one `jml worker` on a fresh in-process Temporal server
# (go.temporal.io/server v1.31.0, SQLite), each side against a fresh `jml
# sandbox` with LATENCY per call; it prints, per run, the wall time (apply
# started → every run done) and the CPU time of the jml processes (apply;
# on Temporal also the worker, including its start), min / median / max
# over the rounds and the ratios of the medians, with the server's CPU
# (the test process) apart, and the load average before and after. Every
# round is checked: one ticket and one Slack message per user. Uses the
# e2e harness (e2e/temporal's TestCost); not run by CI.
# Usage: bench/temporal.sh [N] [LATENCY]   (default 200 events, 0s)
#        RUNS=5 bench/temporal.sh 200 20ms
set -euo pipefail
cd "$(dirname "$0")/../e2e/temporal"
n=${1:-200}
latency=${2:-0s}
rounds=${RUNS:-3}
go test -count=1 -timeout 60m -run '^TestCost$' -v . -args -cost -rounds "$rounds" -leavers "$n" -latency "$latency" |
  grep -E 'cost_test.go|^(--- |ok|FAIL|PASS)'
