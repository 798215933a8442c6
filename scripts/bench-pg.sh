#!/usr/bin/env bash
# Whole-command figures with the state in PostgreSQL: 10 messages x 10,000
# recipients from a CSV file (100,000 deliveries), sent through the built-in
# emulator in batches of 100, the state kept by the pg backend.
#
#   bash scripts/bench-pg.sh [RUNS]
#
# The database is PG_CONN_STR when set, else a throwaway server started
# with scripts/pg-test-server.sh. Each run of the script uses schemas of
# its own, dropped when it ends. Prints the median wall time and peak RSS
# of each command over RUNS runs (default 5), measured with
# /usr/bin/time -v.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
work=$(mktemp -d)
server=""
schema="bench_$(date +%s)_$$"
cleanup() {
	if [ -n "$server" ]; then
		scripts/pg-test-server.sh stop "$server"
	elif [ -n "${PG_CONN_STR:-}" ]; then
		scripts/drop-bench-schemas.sh "$schema" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${PG_CONN_STR:-}" ]; then
	server="$work/pg"
	PG_CONN_STR=$(scripts/pg-test-server.sh start "$server")
fi
export PG_CONN_STR

go build -o "$work/herald" .
go run ./scripts/genconfig -messages 10 -recipients 10000 \
	-recipients-per-request 100 -messages-per-second 1000000 -out "$work/cfg" >/dev/null
cat >"$work/cfg/backend.herald.hcl" <<EOF
herald {
  backend "pg" {
    schema_name = "$schema"
  }
}
EOF

# measure NAME RUNS BEFORE CMD...: median wall seconds and peak RSS (MiB);
# the command BEFORE runs ahead of each run, untimed.
measure() {
	local name=$1 n=$2 before=$3; shift 3
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
	printf '%-48s median %6.2f s  peak RSS %7.1f MiB  (%d runs: %s s)\n' "$name" "$wall" "$rss" "$n" "${walls[*]}"
}

# fresh_schema points the configuration at a new, empty schema, so that
# each apply sends all 100,000; the last one leaves the state that the
# plans after it read.
schema_n=0
fresh_schema() {
	schema_n=$((schema_n + 1))
	sed -i "s/schema_name = \".*\"/schema_name = \"${schema}_$schema_n\"/" "$work/cfg/backend.herald.hcl"
}

h="$work/herald -chdir=$work/cfg"
measure "plan, empty pg state (100,000 to send)" "$runs" : $h plan -no-color
measure "apply 100,000 to the emulator, pg, batches of 100" "$runs" fresh_schema $h apply -auto-approve -no-color
tail -1 "$work/out.txt"
measure "plan, no change (100,000 sent, pg)" "$runs" : $h plan -no-color
tail -1 "$work/out.txt"
measure "plan -json, no change (pg)" "$runs" : $h plan -json
