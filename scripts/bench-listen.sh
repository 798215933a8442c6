#!/usr/bin/env bash
# How many receipts per second herald listen records into the local
# backend with durable writes: BenchmarkListenLocal (internal/listen) posts
# status callbacks over real HTTP from 16 clients at once, each answered
# only once the store has synced it. Runs it RUNS times (default 5) and
# prints each run's receipts/s and the median.
#
#   bash scripts/bench-listen.sh [RUNS] [CALLBACKS]
#
# CALLBACKS per run defaults to 20000.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
n=${2:-20000}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" ./internal/listen
rates=()
for _ in $(seq "$runs"); do
	rate=$("$bin" -test.run '^$' -test.bench '^BenchmarkListenLocal$' -test.benchtime "${n}x" |
		awk '/^BenchmarkListenLocal/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "receipts/s") print $i }')
	if [ -z "$rate" ]; then
		echo "BenchmarkListenLocal did not run (skipped: the local backend does not record receipts?)" >&2
		exit 1
	fi
	rates+=("$rate")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "BenchmarkListenLocal, $n callbacks from 16 clients, $runs runs (receipts/s)"
echo "  ${rates[*]}  median $(median "${rates[@]}")"
