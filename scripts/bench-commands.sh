#!/usr/bin/env bash
# Whole-command figures on a generated configuration: 10 messages x 10,000
# recipients from a CSV file (100,000 deliveries), sent through the built-in
# emulator in batches of 100.
#
#   bash scripts/bench-commands.sh [RUNS]
#
# Prints the median wall time and peak RSS of each command over RUNS runs
# (default 5), measured with /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/herald" .
# Batches of 100, and no rate limit worth the name: this measures herald.
go run ./scripts/genconfig -messages 10 -recipients 10000 \
	-recipients-per-request 100 -messages-per-second 1000000 -out "$work/cfg" >/dev/null

# measure NAME RUNS CMD...: median wall seconds and peak RSS (MiB).
measure() {
	local name=$1 n=$2; shift 2
	local walls=() rsss=()
	for _ in $(seq "$n"); do
		/usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || true
		walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); print (t[1]*60 + t[2])}' "$work/time.txt")")
		rsss+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt")")
	done
	local wall rss
	wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	rss=$(printf '%s\n' "${rsss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-44s median %6.2f s  peak RSS %7.1f MiB  (%d runs: %s s)\n' "$name" "$wall" "$rss" "$n" "${walls[*]}"
}

h="$work/herald -chdir=$work/cfg"
measure "validate (load + evaluate 100,000)" "$runs" $h validate
measure "plan, empty state (100,000 to send)" "$runs" $h plan -no-color
measure "apply 100,000 to the emulator, batches of 100" 1 $h apply -auto-approve -no-color
tail -1 "$work/out.txt"
measure "plan, no change (100,000 already sent)" "$runs" $h plan -no-color
tail -1 "$work/out.txt"
measure "plan -json, no change" "$runs" $h plan -json
