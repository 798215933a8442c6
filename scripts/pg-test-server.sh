#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for herald's tests: a new cluster in
# a temporary folder, listening on a free port of 127.0.0.1 only. Its user
# postgres has the password herald-test, so that tests can also check what
# a wrong password does (it holds nothing but test data).
#
#   scripts/pg-test-server.sh start DIR   prints the server's URL
#   scripts/pg-test-server.sh restart DIR [fast|immediate]
#                                          restarts it on the same port
#   scripts/pg-test-server.sh stop DIR    stops it and removes DIR
#
# postgres refuses to run as root, so as root the server runs as the
# unprivileged "postgres" user.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
	echo "usage: $0 start|restart|stop DIR" >&2
	exit 2
fi

find_bin() {
	if command -v "$1" >/dev/null 2>&1; then
		command -v "$1"
		return
	fi
	# Debian keeps the server's programs out of PATH.
	local found
	found=$(ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -n "$found" ]; then
		echo "$found"
		return
	fi
	echo "$0: $1 not found; install PostgreSQL (apt-get install postgresql-15)" >&2
	exit 1
}

as_owner() {
	if [ "$(id -u)" = 0 ]; then
		# -s: the postgres user's login shell may be /bin/false.
		su -s /bin/sh postgres -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

case "$cmd" in
start)
	initdb=$(find_bin initdb)
	pg_ctl=$(find_bin pg_ctl)
	mkdir -p "$dir"
	# The server user must be able to reach DIR through its parent.
	[ "$(id -u)" = 0 ] && chmod a+x "$(dirname "$dir")"
	if [ "$(id -u)" = 0 ]; then
		chown postgres "$dir"
		chmod 0700 "$dir"
	fi
	echo herald-test >"$dir/pwfile"
	[ "$(id -u)" = 0 ] && chown postgres "$dir/pwfile"
	as_owner "$initdb" -D "$dir/data" -U postgres -A scram-sha-256 --pwfile="$dir/pwfile" --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 20000)))
	# fsync off: a test server never needs to survive a power cut, and
	# the tests run faster without it.
	as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "postgres://postgres:herald-test@127.0.0.1:$port/postgres?sslmode=disable"
	;;
restart)
	# For fault tests: "fast" ends every session as an administrator
	# would, "immediate" as a crash does. The server keeps its options.
	mode=${3:-fast}
	pg_ctl=$(find_bin pg_ctl)
	as_owner "$pg_ctl" -D "$dir/data" -l "$dir/server.log" -m "$mode" -w -t 60 restart >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	;;
stop)
	pg_ctl=$(find_bin pg_ctl)
	if [ -d "$dir/data" ]; then
		as_owner "$pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$dir"
	;;
*)
	echo "usage: $0 start|restart|stop DIR" >&2
	exit 2
	;;
esac
