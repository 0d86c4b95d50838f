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
 *   namespaces.principal (v3) who registered it (the role ARN of a session)
 *   registry_meta  key/value facts about the registry itself: its id (v2), a
 *                random 32-hex-digit name made once, that the broker tags AWS
 *                resources with, so a copy restored from a backup recognises them
 *   leases       (v4) leadership with fencing: a name's holder, epoch and expiry; the
 *                epoch grows at every change of holder and a fenced write checks it
 *   lock_rows    (v4) named locks as rows (holder, expiry): no session state, so the
 *                broker works behind a transaction pooler
 *   heartbeats   (v4) one row per broker, written by /readyz to prove the registry writes
 * Unique indexes back the invariants: one live record per n, one live record
 * per (account, client_ref).
 *
 * Below the schemas: how they are applied (vp_registry_migrate, and the check
 * at open that the database is not newer than the program).
 */
#include "registry/internal.h"

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

static const char sqlite_v2[] =
	"CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO registry_meta (key, value) VALUES ('id', lower(hex(randomblob(16))));";

static const char postgres_v2[] =
	"CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"INSERT INTO registry_meta (key, value) "
	"VALUES ('id', replace(gen_random_uuid()::text, '-', ''));";

/*
 * v3 (issue 14): who registered a namespace, the principal that alone (or an
 * admin) may confirm and release it: the role ARN for an assumed-role
 * session, the user ARN otherwise. '' for namespaces registered before.
 */
static const char sqlite_v3[] =
	"ALTER TABLE namespaces ADD COLUMN principal TEXT NOT NULL DEFAULT '';";

static const char postgres_v3[] =
	"ALTER TABLE namespaces ADD COLUMN principal TEXT NOT NULL DEFAULT '';";

/* v4 (issue 23): the same DDL on both backends. */
#define LEASES_V4                                                                                  \
	"CREATE TABLE leases ("                                                                    \
	" name TEXT PRIMARY KEY,"                                                                  \
	" holder TEXT NOT NULL,"                                                                   \
	" epoch BIGINT NOT NULL CHECK (epoch >= 1),"                                               \
	" expires_at BIGINT NOT NULL);"                                                            \
	"CREATE TABLE lock_rows ("                                                                 \
	" name TEXT PRIMARY KEY,"                                                                  \
	" holder TEXT NOT NULL,"                                                                   \
	" expires_at BIGINT NOT NULL);"                                                            \
	"CREATE TABLE heartbeats ("                                                                \
	" holder TEXT PRIMARY KEY,"                                                                \
	" at BIGINT NOT NULL);"

static const char sqlite_v4[] = LEASES_V4;
static const char postgres_v4[] = LEASES_V4;

/*
 * v5 (issue 16): the live namespaces alone, indexed. Every registration counts them
 * (view.c's SQL_COUNTS; VP_REGISTRY_LIVE is "state <> 'released'", which no ordinary index
 * serves), and released rows stay as history: without it each count read every row ever
 * registered (7.9 ms at 5,000 live and 20,000 released, 1.7 ms with it, covering). The
 * partial index's WHERE is VP_REGISTRY_LIVE word for word, so both planners use it.
 */
#define LIVE_INDEX_V5                                                                              \
	"CREATE INDEX namespaces_live ON namespaces (account_id, state, expires_at, id) "          \
	"WHERE state <> 'released';"

static const char sqlite_v5[] = LIVE_INDEX_V5;
static const char postgres_v5[] = LIVE_INDEX_V5;

const struct vp_migration vp_registry_sqlite_migrations[] = {
	{1, "namespaces, accounts, events, free list", sqlite_v1},
	{2, "registry id", sqlite_v2},
	{3, "namespace principal", sqlite_v3},
	{4, "leases, lock rows, heartbeats", sqlite_v4},
	{5, "live namespaces index", sqlite_v5},
	{0, NULL, NULL},
};

const struct vp_migration vp_registry_postgres_migrations[] = {
	{1, "namespaces, accounts, events, free list", postgres_v1},
	{2, "registry id", postgres_v2},
	{3, "namespace principal", postgres_v3},
	{4, "leases, lock rows, heartbeats", postgres_v4},
	{5, "live namespaces index", postgres_v5},
	{0, NULL, NULL},
};

/* ---- applying them ---- */

static const char SQL_MIGRATIONS_CREATE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	"name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
static const char SQL_MIGRATIONS_MAX[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_MIGRATION_RECORD[] =
	"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

static vp_code read_version(struct vp_registry *reg, struct vp_db_conn *conn, int *version,
			    struct vp_error *err)
{
	int64_t has = 0, v = 0;
	vp_code code = vp_registry_query_int(reg, conn, reg->ops->sql_has_migrations_table, NULL, 0,
					     &has, NULL, err);

	if (code == VP_OK && has > 0)
		code = vp_registry_query_int(reg, conn, SQL_MIGRATIONS_MAX, NULL, 0, &v, NULL, err);
	if (code == VP_OK)
		*version = (int)v;
	return code;
}

static vp_code newer_schema(const struct vp_registry *reg, int version, struct vp_error *err)
{
	return vp_fail(err, VP_ERR_DB,
		       "%s has schema version %d, newer than this program's %d: use a newer "
		       "vpcpeer",
		       reg->url.shown, version, reg->latest_version);
}

struct version_ctx {
	int current;
	int applied;
};

static vp_code version_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
			  struct vp_error *err)
{
	return read_version(reg, conn, &((struct version_ctx *)ctx)->current, err);
}

static vp_code migrate_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
			  struct vp_error *err)
{
	struct version_ctx *v = ctx;
	vp_code code;

	v->applied = 0;
	if ((code = reg->ops->exec_script(conn, SQL_MIGRATIONS_CREATE, err)) != VP_OK ||
	    (code = read_version(reg, conn, &v->current, err)) != VP_OK)
		return code;
	if (v->current > reg->latest_version)
		return newer_schema(reg, v->current, err);
	for (const struct vp_migration *m = reg->ops->migrations; m->version; m++) {
		struct vp_db_param p[3];
		if (m->version <= v->current)
			continue;
		if ((code = reg->ops->exec_script(conn, m->sql, err)) != VP_OK) {
			vp_error_prefix(err, "migration %d (%s)", m->version, m->name);
			return code;
		}
		p[0] = VP_DB_INT_PARAM(m->version);
		p[1] = VP_DB_TEXT_PARAM(m->name);
		p[2] = VP_DB_INT_PARAM(vp_registry_now(reg));
		if ((code = reg->ops->exec(conn, SQL_MIGRATION_RECORD, p, 3, NULL, err)) != VP_OK)
			return code;
		v->current = m->version;
		v->applied++;
	}
	return VP_OK;
}

vp_code vp_registry_schema_version(struct vp_registry *reg, int *current, int *latest,
				   struct vp_error *err)
{
	struct version_ctx v = {0, 0};
	vp_code code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, version_tx, &v, err);

	if (code != VP_OK)
		return code;
	*current = v.current;
	*latest = reg->latest_version;
	return VP_OK;
}

vp_code vp_registry_migrate(struct vp_registry *reg, int *applied, struct vp_error *err)
{
	struct version_ctx v = {0, 0};
	vp_code code = vp_registry_run_tx(reg, true, VP_DB_LOCK_MIGRATE, migrate_tx, &v, err);

	if (code == VP_OK && applied)
		*applied = v.applied;
	return code;
}

vp_code vp_registry_schema_open(struct vp_registry *reg, struct vp_error *err)
{
	struct version_ctx v = {0, 0};
	vp_code code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, version_tx, &v, err);

	if (code == VP_OK && v.current > reg->latest_version)
		code = newer_schema(reg, v.current, err);
	if (code == VP_OK && reg->opts.migrate && v.current < reg->latest_version)
		code = vp_registry_migrate(reg, NULL, err);
	return code;
}
