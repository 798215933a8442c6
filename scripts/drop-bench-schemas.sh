#!/usr/bin/env bash
# Drops the schemas whose names start with PREFIX, and herald's tables in
# them, from the database at PG_CONN_STR: the benchmark scripts make a new
# schema for each apply, and left behind, their tables would have the
# server's autovacuum at work inside later measurements. Needs psql.
#
#   PG_CONN_STR=... scripts/drop-bench-schemas.sh PREFIX
set -euo pipefail
prefix=${1:-}
if [ -z "$prefix" ] || [ -z "${PG_CONN_STR:-}" ]; then
	echo "usage: PG_CONN_STR=... $0 PREFIX" >&2
	exit 2
fi
if ! command -v psql >/dev/null; then
	echo "psql is not installed: the schemas $prefix* stay in the database" >&2
	exit 0
fi
export PGOPTIONS='-c client_min_messages=warning'
psql -qAt -v ON_ERROR_STOP=1 -v prefix="$prefix" "$PG_CONN_STR" <<'SQL' | psql -q -v ON_ERROR_STOP=1 "$PG_CONN_STR" >/dev/null
SELECT format('DROP SCHEMA %I CASCADE;', nspname) FROM pg_namespace WHERE starts_with(nspname, :'prefix');
SQL
