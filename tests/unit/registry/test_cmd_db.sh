#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Black-box tests of `vpcpeer db` on SQLite. Usage: test_cmd_db.sh VPCPEER
vpcpeer=$1
. "$(dirname "$0")/../../cli/lib.sh"
dir=$(mktemp -d /tmp/vpcpeer-cmddb.XXXXXX)
trap 'rm -rf "$dir"' EXIT
db="sqlite:$dir/r.db"

run "$vpcpeer" db status --db "$db"
expect_status 1
expect_out_has "schema version  0"
expect_out_has "migrations pending"
run "$vpcpeer" db migrate --db "$db"
expect_status 0
expect_out "sqlite: schema version 4 (applied 4 migrations)"
run "$vpcpeer" db migrate --db "$db"
expect_status 0
expect_out "sqlite: schema version 4 (applied 0 migrations)"
VPCPEER_DB=$db run "$vpcpeer" db status --json
expect_status 0
expect_out '{"Backend":"sqlite","SchemaVersion":4,"LatestVersion":4,"UpToDate":true}'
run "$vpcpeer" db status --db mysql://h/x
expect_status 2
expect_one_err_line
expect_err_has "vpcpeer db: unknown database scheme 'mysql'"
run "$vpcpeer" db frobnicate --db "$db"
expect_status 2
run "$vpcpeer" db
expect_status 2
head -c 4096 /dev/urandom >"$dir/bad.db"
run "$vpcpeer" db status --db "sqlite:$dir/bad.db"
expect_status 1
expect_err_has "corrupt or not a SQLite database"
sqlite3 "$dir/r.db" "INSERT INTO schema_migrations VALUES (7, 'future', 0)" 2>/dev/null ||
	python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO schema_migrations VALUES (7, 'future', 0)\"); c.commit()" "$dir/r.db"
run "$vpcpeer" db migrate --db "$db"
expect_status 1
expect_err_has "schema version 7, newer than this program's 4"
finish
