#!/usr/bin/env bash
# The send path, whole commands: herald apply of N deliveries, one
# recipient per request at -parallelism=16, against "herald emulator" in a
# process of its own, beside scripts/rawsend (a bare net/http loop with 16
# requests at a time) sending to the same numbers through the same
# emulator in the same run.
#
#   bash scripts/bench-send.sh [RUNS] [N]
#
# RUNS defaults to 5, N to 5000. Each run times rawsend, then a whole apply
# from an empty state (process start, configuration, plan, sends, state
# written), each as deliveries over wall seconds; it prints the medians
# and the median of each run's ratio, herald's over rawsend's, and the CPU
# each process spent a delivery (user and system, from /usr/bin/time),
# which a busy or shared machine disturbs less than the rates. One more
# apply under strace -f -c counts fsyncs per delivery. Both warm the
# emulator once first, untimed, so that its checks of the numbers cost
# both the same. With PG_CONN_STR set, herald keeps its state there (the
# pg backend, a new schema for each apply, all dropped at the end with
# scripts/drop-bench-schemas.sh) instead of in a local file.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
n=${2:-5000}
work=$(mktemp -d)
emu_pid=""
schema="bench_send_$(date +%s)_$$" schema_n=0
cleanup() {
	if [ -n "$emu_pid" ]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
	fi
	if [ -n "${PG_CONN_STR:-}" ]; then
		scripts/drop-bench-schemas.sh "$schema" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/herald" .
go build -o "$work/rawsend" ./scripts/rawsend
go run ./scripts/genconfig -messages 1 -recipients "$n" -recipients-per-request 1 \
	-messages-per-second 1000000 -out "$work/cfg" >/dev/null

sid=HXBENCH0001IN
export KALEYRA_API_KEY=bench-send-key-0001
"$work/herald" emulator -listen 127.0.0.1:0 -sid "$sid" -api-key "$KALEYRA_API_KEY" >"$work/emulator.out" 2>&1 &
emu_pid=$!
for _ in $(seq 100); do
	url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/emulator.out" | head -1 || true)
	[ -n "$url" ] && break
	sleep 0.05
done
[ -n "$url" ] || { echo "the emulator did not start:"; cat "$work/emulator.out"; exit 1; }
sed -i "s|  emulator = true|  api_key  = env(\"KALEYRA_API_KEY\")\n  endpoint = \"$url\"|" "$work/cfg/main.herald.hcl"

raw() { /usr/bin/time -f '%U %S' -o "$work/raw.cpu" "$work/rawsend" -endpoint "$url" -sid "$sid" -key "$KALEYRA_API_KEY" -numbers "$work/cfg/recipients.csv" -c 16; }
fresh() {
	rm -f "$work"/cfg/herald.state "$work"/cfg/herald.state.backup "$work"/cfg/herald.state.journal
	if [ -n "${PG_CONN_STR:-}" ]; then
		schema_n=$((schema_n + 1))
		printf 'herald {\n  backend "pg" {\n    schema_name = "%s_%d"\n  }\n}\n' "$schema" "$schema_n" >"$work/cfg/backend.herald.hcl"
	fi
}
apply() { /usr/bin/time -f '%U %S' -o "$work/apply.cpu" "$work/herald" -chdir="$work/cfg" apply -auto-approve -no-color -parallelism=16 "$@" >"$work/apply.out" 2>&1 || { cat "$work/apply.out"; exit 1; }; }
# cpu FILE: the microseconds a delivery of user and system CPU in FILE.
cpu() { awk -v n="$n" '{printf "%.0f", ($1 + $2) * 1e6 / n}' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

raw >/dev/null
fresh && apply
raws=() heralds=() ratios=() rawcpus=() heraldcpus=()
for i in $(seq "$runs"); do
	r=$(raw | awk '{print $6}' | tr -d '/s,')
	rawcpus+=("$(cpu "$work/raw.cpu")")
	fresh
	start=$(date +%s.%N)
	apply -var release="run$i"
	end=$(date +%s.%N)
	heraldcpus+=("$(cpu "$work/apply.cpu")")
	h=$(echo "$n / ($end - $start)" | bc -l)
	raws+=("$r") heralds+=("$(printf '%.0f' "$h")") ratios+=("$(echo "$h / $r" | bc -l)")
done
printf 'rawsend, %d requests, 16 at a time:         median %6.0f/s  (%s)\n' "$n" "$(printf '%s\n' "${raws[@]}" | median)" "${raws[*]}"
printf 'herald apply, whole command, -parallelism=16: median %6.0f/s  (%s)\n' "$(printf '%s\n' "${heralds[@]}" | median)" "${heralds[*]}"
printf 'ratio herald/rawsend, run by run:           median %6.3f   (%s)\n' "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%.3f ' "${ratios[@]}")"
printf 'CPU a delivery, whole process:              rawsend median %d us (%s), herald apply median %d us (%s)\n' \
	"$(printf '%s\n' "${rawcpus[@]}" | median)" "${rawcpus[*]}" "$(printf '%s\n' "${heraldcpus[@]}" | median)" "${heraldcpus[*]}"
tail -1 "$work/apply.out"

if command -v strace >/dev/null; then
	fresh
	strace -f -c -e trace=fsync,fdatasync -o "$work/strace.txt" \
		"$work/herald" -chdir="$work/cfg" apply -auto-approve -no-color -parallelism=16 -var release=strace >/dev/null 2>&1
	calls=$(awk '$NF == "fsync" || $NF == "fdatasync" {s += $4} END {print s + 0}' "$work/strace.txt")
	printf 'fsyncs by herald: %d for %d deliveries, %.3f a delivery\n' "$calls" "$n" "$(echo "$calls / $n" | bc -l)"
else
	echo "fsyncs: strace is not installed"
fi
