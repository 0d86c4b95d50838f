/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's schema, one migration per version, for each backend. A
 * shipped migration is never edited: a change is a new version. Both
 * backends hold the same tables (docs/registry.md explains each):
 *   accounts     one row per AWS account seen
 *   namespaces   one row per allocation; n is reused by later rows after release
 *   events       append-only history (triggers refuse UPDATE and DELETE)
 *   free_ranges  runs lo..hi of n's that no live or quarantined namespace holds,
 *                keyed by hi with lo unindexed: an allocation takes the lowest n of a
 *                run, which changes only lo, so on PostgreSQL the UPDATE is HOT (no
 *                index entry per allocation, dead versions pruned in the page)
 *   quarantine   released n's, until quarantine seconds have passed
 * Unique indexes back the invariants: one live record per n, one live record
 * per (account, client_ref).
 */
#include "registry/backend.h"

/* The largest n the free list covers; the plan's capacity is checked in C. */
#define FREE_TOP "9007199254740991"

/*
 * PostgreSQL: inserts fill free_ranges pages only to this percentage, so the HOT update
 * of a run's lo finds room in the same page, and a page is pruned of its dead versions
 * (without VACUUM) whenever it is read with more than this percentage in use.
 */
#define FREE_FILLFACTOR "50"

static const char sqlite_v1[] =
	"CREATE TABLE accounts ("
	" account_id TEXT PRIMARY KEY NOT NULL CHECK (length(account_id) = 12),"
	" peer_role_arn TEXT NOT NULL DEFAULT '',"
	" granted INTEGER NOT NULL DEFAULT 0 CHECK (granted IN (0, 1)),"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL);"
	"CREATE TABLE namespaces ("
	" id INTEGER PRIMARY KEY,"
	" n INTEGER NOT NULL CHECK (n >= 1),"
	" account_id TEXT NOT NULL REFERENCES accounts (account_id),"
	" client_ref TEXT NOT NULL CHECK (length(client_ref) BETWEEN 1 AND 256),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('pending', 'active', 'failed', 'releasing', 'released')),"
	" vpc_cidr TEXT NOT NULL,"
	" peer_role_arn TEXT NOT NULL DEFAULT '',"
	" vpc_id TEXT NOT NULL DEFAULT '',"
	" peering_id TEXT NOT NULL DEFAULT '',"
	" labels TEXT NOT NULL DEFAULT '{}',"
	" created_at INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL DEFAULT 0,"
	" released_at INTEGER NOT NULL DEFAULT 0,"
	" request_id TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX namespaces_live_n ON namespaces (n) WHERE state <> 'released';"
	"CREATE UNIQUE INDEX namespaces_live_ref ON namespaces (account_id, client_ref)"
	" WHERE state <> 'released';"
	"CREATE INDEX namespaces_n ON namespaces (n, id);"
	"CREATE INDEX namespaces_account ON namespaces (account_id, id);"
	"CREATE INDEX namespaces_pending_expiry ON namespaces (expires_at, n)"
	" WHERE state = 'pending';"
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" at INTEGER NOT NULL,"
	" n INTEGER NOT NULL,"
	" account_id TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT '{}',"
	" request_id TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX events_n ON events (n, id);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
	"CREATE TABLE free_ranges ("
	" hi INTEGER PRIMARY KEY,"
	" lo INTEGER NOT NULL,"
	" CHECK (lo >= 1 AND hi >= lo));"
	"CREATE TABLE quarantine ("
	" n INTEGER PRIMARY KEY,"
	" released_at INTEGER NOT NULL);"
	"CREATE INDEX quarantine_released_at ON quarantine (released_at);"
	"INSERT INTO free_ranges (lo, hi) VALUES (1, " FREE_TOP ");";

static const char postgres_v1[] =
	"CREATE TABLE accounts ("
	" account_id TEXT PRIMARY KEY CHECK (length(account_id) = 12),"
	" peer_role_arn TEXT NOT NULL DEFAULT '',"
	" granted INTEGER NOT NULL DEFAULT 0 CHECK (granted IN (0, 1)),"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL);"
	"CREATE TABLE namespaces ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" n BIGINT NOT NULL CHECK (n >= 1),"
	" account_id TEXT NOT NULL REFERENCES accounts (account_id),"
	" client_ref TEXT NOT NULL CHECK (length(client_ref) BETWEEN 1 AND 256),"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('pending', 'active', 'failed', 'releasing', 'released')),"
	" vpc_cidr TEXT NOT NULL,"
	" peer_role_arn TEXT NOT NULL DEFAULT '',"
	" vpc_id TEXT NOT NULL DEFAULT '',"
	" peering_id TEXT NOT NULL DEFAULT '',"
	" labels TEXT NOT NULL DEFAULT '{}',"
	" created_at BIGINT NOT NULL,"
	" updated_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL DEFAULT 0,"
	" released_at BIGINT NOT NULL DEFAULT 0,"
	" request_id TEXT NOT NULL DEFAULT '');"
	"CREATE UNIQUE INDEX namespaces_live_n ON namespaces (n) WHERE state <> 'released';"
	"CREATE UNIQUE INDEX namespaces_live_ref ON namespaces (account_id, client_ref)"
	" WHERE state <> 'released';"
	"CREATE INDEX namespaces_n ON namespaces (n, id);"
	"CREATE INDEX namespaces_account ON namespaces (account_id, id);"
	"CREATE INDEX namespaces_pending_expiry ON namespaces (expires_at, n)"
	" WHERE state = 'pending';"
	"CREATE TABLE events ("
	" id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" n BIGINT NOT NULL,"
	" account_id TEXT NOT NULL,"
	" type TEXT NOT NULL,"
	" detail TEXT NOT NULL DEFAULT '{}',"
	" request_id TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX events_n ON events (n, id);"
	"CREATE FUNCTION vp_events_append_only() RETURNS trigger LANGUAGE plpgsql AS"
	" $$ BEGIN RAISE EXCEPTION 'events are append-only'; END $$;"
	"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
	" FOR EACH ROW EXECUTE FUNCTION vp_events_append_only();"
	"CREATE TABLE free_ranges ("
	" hi BIGINT PRIMARY KEY,"
	" lo BIGINT NOT NULL,"
	" CHECK (lo >= 1 AND hi >= lo))"
	" WITH (fillfactor = " FREE_FILLFACTOR ");"
	"CREATE TABLE quarantine ("
	" n BIGINT PRIMARY KEY,"
	" released_at BIGINT NOT NULL);"
	"CREATE INDEX quarantine_released_at ON quarantine (released_at);"
	"INSERT INTO free_ranges (lo, hi) VALUES (1, " FREE_TOP ");";

const struct vp_migration vp_registry_sqlite_migrations[] = {
	{1, "namespaces, accounts, events, free list", sqlite_v1},
	{0, NULL, NULL},
};

const struct vp_migration vp_registry_postgres_migrations[] = {
	{1, "namespaces, accounts, events, free list", postgres_v1},
	{0, NULL, NULL},
};
