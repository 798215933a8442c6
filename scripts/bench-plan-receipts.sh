#!/usr/bin/env bash
# What receipts cost a no-change plan: BenchmarkPlanNoChange (plan and
# text view over 100,000 sent deliveries, in internal/command) without and
# with a receipt on every record, the two run in turn RUNS times (default
# 5) so that the machine's noise falls on both alike. Prints each one's
# median ns/op and the ratio with/without.
#
#   bash scripts/bench-plan-receipts.sh [RUNS] [BENCHMARK]
#
# BENCHMARK defaults to BenchmarkPlanNoChange; BenchmarkPlanNoChangeFromFile
# adds reading the state file.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bench=${2:-BenchmarkPlanNoChange}
bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
go test -c -o "$bin" ./internal/command
without=()
with=()
for _ in $(seq "$runs"); do
	for r in false true; do
		ns=$("$bin" -test.run '^$' -test.bench "^${bench}\$/receipts=${r}\$" -test.benchtime 3x |
			awk '/^Benchmark/ { print $3 }')
		if [ -z "$ns" ]; then
			echo "$bench/receipts=$r did not run (skipped?)" >&2
			exit 1
		fi
		if [ "$r" = true ]; then with+=("$ns"); else without+=("$ns"); fi
	done
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
m0=$(median "${without[@]}")
m1=$(median "${with[@]}")
echo "$bench over $runs runs (ns/op)"
echo "  without receipts: ${without[*]}  median $m0"
echo "  with receipts:    ${with[*]}  median $m1"
awk -v a="$m0" -v b="$m1" 'BEGIN { printf "  ratio with/without: %.3f\n", b / a }'
