#!/usr/bin/env bash
# Whole-command figures on a generated configuration: 10 messages, each to
# SCALE/10 recipients from a CSV file (SCALE deliveries in all), sent
# through the built-in emulator in batches of 100.
#
#   bash scripts/bench-commands.sh [RUNS] [SCALE]
#
# RUNS defaults to 5, SCALE to 100000 (at most 1100000). Prints the median
# wall time and peak RSS, measured with /usr/bin/time -v over RUNS runs, of:
# validate; plan from an empty state; apply in batches of 100 (from an
# empty state each run); a plan with nothing to change; the state file's
# size and the time to rewrite it (state rm of one delivery, which reads,
# rewrites and renames the whole file); and, from one more apply under
# strace -f -c, the fsyncs per delivery.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
scale=${2:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go build -o "$work/herald" .
# Batches of 100, and no rate limit worth the name: this measures herald.
go run ./scripts/genconfig -messages 10 -recipients $((scale / 10)) \
	-recipients-per-request 100 -messages-per-second 1000000 -out "$work/cfg" >/dev/null
n=$(printf "%'d" "$scale")

# measure NAME RUNS CMD...: median wall seconds and peak RSS (MiB). A
# command named "reset" in $before runs untimed before each run.
before=:
measure() {
	local name=$1 n=$2; shift 2
	local walls=() rsss=()
	for _ in $(seq "$n"); do
		$before
		/usr/bin/time -v -o "$work/time.txt" "$@" >"$work/out.txt" 2>&1 || true
		walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); print (t[1]*60 + t[2])}' "$work/time.txt")")
		rsss+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt")")
	done
	local wall rss
	wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	rss=$(printf '%s\n' "${rsss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-50s median %6.2f s  peak RSS %7.1f MiB  (%d runs: %s s)\n' "$name" "$wall" "$rss" "$n" "${walls[*]}"
}
fresh() { rm -f "$work"/cfg/herald.state "$work"/cfg/herald.state.backup "$work"/cfg/herald.outbox.jsonl; }

h="$work/herald -chdir=$work/cfg"
measure "validate ($n deliveries)" "$runs" $h validate
measure "plan, empty state ($n to send)" "$runs" $h plan -no-color
before=fresh
measure "apply $n to the emulator, batches of 100" "$runs" $h apply -auto-approve -no-color
before=:
tail -1 "$work/out.txt"
measure "plan, no change ($n already sent)" "$runs" $h plan -no-color
tail -1 "$work/out.txt"
measure "plan -json, no change" "$runs" $h plan -json

size=$(stat -c %s "$work/cfg/herald.state")
printf 'state file: %d bytes (%.1f MiB), %.0f bytes per delivery\n' "$size" "$(echo "$size / 1048576" | bc -l)" "$(echo "$size / $scale" | bc -l)"
# Each run removes a different recipient of message.m0, so that each one
# rewrites the file.
rewrite() {
	local walls=() rsss=()
	for k in $(seq "$runs"); do
		/usr/bin/time -v -o "$work/time.txt" $h state rm "message.m0:$(printf "+1202555%04d" "$k")" >"$work/out.txt" 2>&1 || { cat "$work/out.txt"; exit 1; }
		walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {split($2, t, ":"); print (t[1]*60 + t[2])}' "$work/time.txt")")
		rsss+=("$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt")")
	done
	printf '%-50s median %6.2f s  peak RSS %7.1f MiB  (%d runs: %s s)\n' "state rm of one (read + rewrite $n)" \
		"$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" \
		"$(printf '%s\n' "${rsss[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "$runs" "${walls[*]}"
}
rewrite

# fsyncs of one apply from an empty state, per delivery.
fresh
strace -f -c -e trace=fsync,fdatasync -o "$work/strace.txt" $h apply -auto-approve -no-color >/dev/null 2>&1 || true
syncs=$(awk '$NF == "fsync" || $NF == "fdatasync" {s += $4} END {print s + 0}' "$work/strace.txt")
printf 'apply %s: %d fsync/fdatasync calls, %.4f per delivery\n' "$n" "$syncs" "$(echo "$syncs / $scale" | bc -l)"
