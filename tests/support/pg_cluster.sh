#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL cluster for the registry's tests and benchmark.
#   pg_cluster.sh start STATE   initdb into a new temporary directory, start the server on a
#                               unix socket in that directory (no TCP), and write the URL to
#                               STATE (the directory to STATE.dir)
#   pg_cluster.sh stop STATE    stop that server and remove its directory (safe to repeat)
#   pg_cluster.sh restart STATE restart that server fast (cuts every connection)
#   pg_cluster.sh pause|resume STATE   stop that server, keeping its data; start it again
# Uses Debian's PostgreSQL binaries (/usr/lib/postgresql/*/bin), never the system service.
# initdb refuses root: as root, the cluster runs as the `postgres` system user.
set -euo pipefail

action=${1:-}
state=${2:-}
[ -n "$action" ] && [ -n "$state" ] || { echo "usage: $0 start|stop STATE" >&2; exit 2; }

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bindir/initdb" ] || { echo "$0: no PostgreSQL binaries under /usr/lib/postgresql (scripts/setup installs them)" >&2; exit 1; }

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# Production durability (fsync, synchronous_commit on); unix socket only; room for the
# concurrency tests and the benchmark's 32 clients.
server_options() {
	echo "-c listen_addresses='' -c unix_socket_directories='$1' -c port=5432 -c max_connections=200 -c fsync=on -c synchronous_commit=on"
}

stop() {
	local dir
	[ -f "$state.dir" ] || return 0
	dir=$(cat "$state.dir")
	if [ -d "$dir/data" ]; then
		as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
			as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	case "$dir" in /tmp/vpcpeer-pg.*) rm -rf "$dir" ;; esac
	rm -f "$state" "$state.dir"
}

case "$action" in
start)
	stop # a cluster left over by an interrupted run
	dir=$(mktemp -d /tmp/vpcpeer-pg.XXXXXX)
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
	echo "$dir" >"$state.dir"
	as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "$(server_options "$dir")" \
		start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	echo "postgresql:///postgres?host=$dir&port=5432&user=postgres" >"$state"
	echo "PostgreSQL running in $dir: $(cat "$state")"
	;;
stop)
	stop
	echo "PostgreSQL stopped"
	;;
pause)
	# Stop the server but keep its directory (resume starts it again): for fault tests.
	dir=$(cat "$state.dir")
	as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
	;;
resume)
	dir=$(cat "$state.dir")
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "$(server_options "$dir")" start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	;;
restart)
	# A fast restart of the running server (its connections are cut): for fault tests.
	dir=$(cat "$state.dir")
	as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart \
		>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
	;;
*)
	echo "usage: $0 start|stop STATE" >&2
	exit 2
	;;
esac
