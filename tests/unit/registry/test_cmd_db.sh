#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Black-box tests of `vpcpeer db` on SQLite. Usage: test_cmd_db.sh VPCPEER
vpcpeer=$1
. "$(dirname "$0")/../../cli/lib.sh"
dir=$(mktemp -d /tmp/vpcpeer-cmddb.XXXXXX)
trap 'rm -rf "$dir"' EXIT
db="sqlite:$dir/r.db"

# status creates no database (issue 17): a missing file is said, and stays missing
run "$vpcpeer" db status --db "$db"
expect_status 1
expect_one_err_line
expect_err_has "vpcpeer db: no database at $dir/r.db (status creates none): check --db, or create it with 'vpcpeer db migrate --db $db'"
[ ! -e "$dir/r.db" ] && passed=$((passed + 1)) || fail "status created $dir/r.db"
# a bare path: the URL it meant
run "$vpcpeer" db status --db "$dir/r.db"
expect_status 2
expect_err_has "vpcpeer db: --db '$dir/r.db' is not a database URL: for a SQLite file give sqlite:$dir/r.db (or postgresql://...)"
# an empty database (schema version 0): migrations pending, exit 1; the table on request
python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('PRAGMA user_version=0')" "$dir/r.db"
run "$vpcpeer" db status --db "$db" --output table
expect_status 1
expect_out_has "schema version  0"
expect_out_has "migrations pending"
run "$vpcpeer" db status --db "$db"
expect_status 1
expect_out '{"Backend":"sqlite","SchemaVersion":0,"LatestVersion":5,"UpToDate":false}'
run "$vpcpeer" db migrate --db "$db"
expect_status 0
expect_out "sqlite: schema version 5 (applied 5 migrations)"
run "$vpcpeer" db migrate --db "$db"
expect_status 0
expect_out "sqlite: schema version 5 (applied 0 migrations)"
VPCPEER_DB=$db run "$vpcpeer" db status --json
expect_status 0
expect_out '{"Backend":"sqlite","SchemaVersion":5,"LatestVersion":5,"UpToDate":true}'
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
expect_err_has "schema version 7, newer than this program's 5"
finish
