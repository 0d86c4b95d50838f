/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's logic, shared by both backends (backend.h): the connection
 * pool, transactions with bounded retries, migrations, allocation from the
 * free list, the state machine's compare-and-set, and input checks.
 * docs/registry.md explains the schema and why allocation is race-free.
 */
#include "registry/registry.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "registry/backend.h"
#include "registry/url.h"

/* A transaction that fails with a retriable error (busy, serialization) is tried this often. */
#define TX_ATTEMPTS 5
/* Rows read per step when scanning the free list or reclaiming quarantine. */
#define SCAN_BATCH 32
/* Idle connections kept for named locks (PostgreSQL); more are closed on unlock. */
#define LOCK_IDLE_MAX 4

struct vp_registry {
	const struct vp_db_ops *ops;
	struct vp_registry_url url;
	struct vp_registry_options opts;
	struct vp_namespace_range reserved[VP_PLAN_MAX_RESERVED];
	unsigned reserved_count;
	int64_t capacity;
	int latest_version;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vp_db_conn *idle[VP_REGISTRY_MAX_POOL_SIZE];
	int idle_count;
	int open_count;

	/* Named locks (vp_registry_lock): the names held in this process, under mu;
	 * lock_cv (monotonic clock) wakes their waiters. PostgreSQL: idle
	 * connections kept for the advisory locks, outside the pool. */
	pthread_cond_t lock_cv;
	struct vp_registry_lock *held;
	struct vp_db_conn *lock_idle[LOCK_IDLE_MAX];
	int lock_idle_count;
};

#define NS_COLS                                                                                    \
	"id, n, account_id, client_ref, state, vpc_cidr, peer_role_arn, vpc_id, peering_id, "      \
	"labels, created_at, updated_at, expires_at, released_at, request_id"
#define ACCOUNT_COLS "account_id, peer_role_arn, granted, created_at, updated_at"
#define LIVE         "state <> 'released'"

static const char SQL_MIGRATIONS_CREATE[] =
	"CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	"name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
static const char SQL_MIGRATIONS_MAX[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
static const char SQL_MIGRATION_RECORD[] =
	"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

static const char SQL_FIND_LIVE_REF[] = "SELECT " NS_COLS " FROM namespaces "
					"WHERE account_id = $1 AND client_ref = $2 AND " LIVE;
static const char SQL_GET_LIVE_N[] = "SELECT " NS_COLS " FROM namespaces WHERE n = $1 AND " LIVE;
static const char SQL_GET_LIVE_N_LOCK[] =
	"SELECT " NS_COLS " FROM namespaces WHERE n = $1 AND " LIVE " FOR UPDATE";
static const char SQL_GET_LAST_N[] =
	"SELECT " NS_COLS " FROM namespaces WHERE n = $1 ORDER BY id DESC LIMIT 1";
static const char SQL_NS_INSERT[] =
	"INSERT INTO namespaces (n, account_id, client_ref, state, vpc_cidr, labels, created_at, "
	"updated_at, expires_at, request_id) VALUES ($1, $2, $3, 'pending', $4, $5, $6, $6, $7, "
	"$8) "
	"RETURNING " NS_COLS;
static const char SQL_TRANSITION[] =
	"UPDATE namespaces SET state = $2, updated_at = $3, request_id = $4, "
	"peering_id = COALESCE($5, peering_id), vpc_id = COALESCE($6, vpc_id), "
	"peer_role_arn = COALESCE($7, peer_role_arn), expires_at = $8, released_at = $9 "
	"WHERE id = $1 AND state = $10 RETURNING " NS_COLS;
static const char SQL_LIST[] =
	"SELECT " NS_COLS " FROM namespaces WHERE id > $1 AND ($2 = '' OR account_id = $2) AND "
	"($3 = 0 OR (state = 'pending' AND ($3 & 1) <> 0) OR (state = 'active' AND ($3 & 2) <> 0) "
	"OR (state = 'failed' AND ($3 & 4) <> 0) OR (state = 'releasing' AND ($3 & 8) <> 0) "
	"OR (state = 'released' AND ($3 & 16) <> 0)) ORDER BY id LIMIT $4";
static const char SQL_EXPIRED[] =
	"SELECT " NS_COLS " FROM namespaces WHERE state = 'pending' AND expires_at > 0 AND "
	"expires_at <= $1 ORDER BY expires_at, n LIMIT $2";
static const char SQL_COUNT_LIVE[] = "SELECT count(*) FROM namespaces WHERE " LIVE;
static const char SQL_COUNT_LIVE_ACCOUNT[] =
	"SELECT count(*) FROM namespaces WHERE account_id = $1 AND " LIVE;
static const char SQL_COUNT_STATES[] =
	"SELECT state, count(*) FROM namespaces WHERE " LIVE " GROUP BY state";
static const char SQL_SET_PEER_ROLE[] =
	"UPDATE namespaces SET peer_role_arn = $2, updated_at = $3, request_id = $4 "
	"WHERE n = $1 AND " LIVE " RETURNING " NS_COLS;
/* Bookkeeping, not a change a client sees: updated_at and request_id stay (the event has them). */
static const char SQL_SET_INTENT[] = "UPDATE namespaces SET peering_id = $2, vpc_id = $3 "
				     "WHERE n = $1 AND state = 'pending' RETURNING " NS_COLS;
static const char SQL_COUNT_QUARANTINE[] = "SELECT count(*) FROM quarantine";

static const char SQL_QUARANTINE_EXPIRED[] =
	"SELECT n FROM quarantine WHERE released_at <= $1 ORDER BY released_at, n LIMIT 32";
static const char SQL_QUARANTINE_DELETE[] = "DELETE FROM quarantine WHERE n = $1";
static const char SQL_QUARANTINE_INSERT[] =
	"INSERT INTO quarantine (n, released_at) VALUES ($1, $2) "
	"ON CONFLICT (n) DO UPDATE SET released_at = excluded.released_at";

/*
 * The free list is keyed by hi, and lo is not indexed: taking the lowest n of a run
 * changes only its lo, so on PostgreSQL that UPDATE is HOT (no new index entry; the
 * dead versions are pruned from the page without VACUUM) and the scans below never wade
 * through dead index entries. Runs are disjoint, so hi order is lo order.
 */
static const char SQL_FREE_SCAN[] =
	"SELECT lo, hi FROM free_ranges WHERE hi >= $1 AND lo < $2 ORDER BY hi LIMIT 32";
/* The run holding n, or else the first run after it: the lowest hi >= n. */
static const char SQL_FREE_AT_OR_AFTER[] =
	"SELECT lo, hi FROM free_ranges WHERE hi >= $1 ORDER BY hi LIMIT 1";
static const char SQL_FREE_ENDING[] = "SELECT lo FROM free_ranges WHERE hi = $1";
static const char SQL_FREE_DELETE[] = "DELETE FROM free_ranges WHERE hi = $1";
static const char SQL_FREE_SET_LO[] = "UPDATE free_ranges SET lo = $2 WHERE hi = $1";
static const char SQL_FREE_SET_HI[] = "UPDATE free_ranges SET hi = $2 WHERE hi = $1";
static const char SQL_FREE_INSERT[] = "INSERT INTO free_ranges (lo, hi) VALUES ($1, $2)";

static const char SQL_ACCOUNT_ENSURE[] =
	"INSERT INTO accounts (account_id, created_at, updated_at) VALUES ($1, $2, $2) "
	"ON CONFLICT (account_id) DO NOTHING";
static const char SQL_ACCOUNT_UPSERT[] =
	"INSERT INTO accounts (account_id, peer_role_arn, granted, created_at, updated_at) "
	"VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id) DO UPDATE SET "
	"peer_role_arn = excluded.peer_role_arn, granted = excluded.granted, "
	"updated_at = excluded.updated_at RETURNING " ACCOUNT_COLS;
static const char SQL_ACCOUNT_GET[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE account_id = $1";
static const char SQL_ACCOUNT_LIST[] =
	"SELECT " ACCOUNT_COLS " FROM accounts WHERE account_id > $1 ORDER BY account_id LIMIT $2";

static const char SQL_EVENT_INSERT[] =
	"INSERT INTO events (at, n, account_id, type, detail, request_id) "
	"VALUES ($1, $2, $3, $4, $5, $6)";
static const char SQL_EVENTS[] = "SELECT id, at, n, account_id, type, detail, request_id "
				 "FROM events WHERE n = $1 AND id > $2 ORDER BY id LIMIT $3";

/* ---- small helpers ---- */

static void copy_text(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static int64_t now(const struct vp_registry *reg)
{
	if (reg->opts.clock)
		return reg->opts.clock(reg->opts.clock_ctx);
	return (int64_t)time(NULL);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

vp_code vp_registry_check_account(const char *account, struct vp_error *err)
{
	size_t len;

	if (!account)
		return vp_fail(err, VP_ERR_INVALID, "missing account id");
	len = strnlen(account, VP_REGISTRY_ACCOUNT_LEN + 1);
	for (size_t i = 0; i < len; i++)
		if (account[i] < '0' || account[i] > '9')
			len = 0;
	if (len != VP_REGISTRY_ACCOUNT_LEN)
		return vp_fail(err, VP_ERR_INVALID,
			       "account id '%.32s' is not 12 digits (an AWS account id is)",
			       printable(account) ? account : "?");
	return VP_OK;
}

vp_code vp_registry_check_client_ref(const char *client_ref, struct vp_error *err)
{
	size_t len;

	if (!client_ref || !*client_ref)
		return vp_fail(err, VP_ERR_INVALID, "missing client_ref (the idempotency key)");
	len = strnlen(client_ref, VP_REGISTRY_CLIENT_REF_MAX + 1);
	if (len > VP_REGISTRY_CLIENT_REF_MAX)
		return vp_fail(err, VP_ERR_INVALID, "client_ref is longer than %d bytes",
			       VP_REGISTRY_CLIENT_REF_MAX);
	if (!printable(client_ref))
		return vp_fail(err, VP_ERR_INVALID,
			       "client_ref has a byte outside printable ASCII");
	return VP_OK;
}

/* An optional bounded printable string: NULL is accepted as "". */
static vp_code check_field(const char *value, size_t max, const char *what, struct vp_error *err)
{
	if (!value)
		return VP_OK;
	if (strnlen(value, max + 1) > max)
		return vp_fail(err, VP_ERR_INVALID, "%s is longer than %zu bytes", what, max);
	if (!printable(value))
		return vp_fail(err, VP_ERR_INVALID, "%s has a byte outside printable ASCII", what);
	return VP_OK;
}

/* A JSON object given as text (NULL: {}), as compact sorted text of at most `max` bytes.
 * `extra` (may be NULL) is merged in. */
static vp_code json_object_text(const char *text, json_t *extra, size_t max, const char *what,
				char *out, struct vp_error *err)
{
	json_error_t jerr;
	json_t *obj;
	char *dumped;
	vp_code code = VP_OK;

	if (text && strnlen(text, 4 * max + 1) > 4 * max)
		return vp_fail(err, VP_ERR_INVALID, "%s is longer than %zu bytes", what, max);
	obj = text ? json_loads(text, JSON_REJECT_DUPLICATES, &jerr) : json_object();
	if (!obj)
		return vp_fail(err, VP_ERR_INVALID, "%s is not JSON: %s", what, jerr.text);
	if (!json_is_object(obj)) {
		json_decref(obj);
		return vp_fail(err, VP_ERR_INVALID, "%s must be a JSON object", what);
	}
	if (extra && json_object_update(obj, extra) != 0) {
		json_decref(obj);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	dumped = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	if (!dumped)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (strlen(dumped) > max)
		code = vp_fail(err, VP_ERR_INVALID,
			       "%s is %zu bytes as compact JSON, more than %zu", what,
			       strlen(dumped), max);
	else
		memcpy(out, dumped, strlen(dumped) + 1);
	free(dumped);
	return code;
}

/* ---- the pool ---- */

static vp_code acquire(struct vp_registry *reg, struct vp_db_conn **out, struct vp_error *err)
{
	struct vp_db_conn *conn = NULL;
	vp_code code;

	pthread_mutex_lock(&reg->mu);
	while (reg->idle_count == 0 && reg->open_count >= reg->opts.pool_size)
		pthread_cond_wait(&reg->cv, &reg->mu);
	if (reg->idle_count > 0)
		conn = reg->idle[--reg->idle_count];
	else
		reg->open_count++;
	pthread_mutex_unlock(&reg->mu);

	if (conn) {
		if (!reg->ops->reset || (code = reg->ops->reset(conn, err)) == VP_OK) {
			*out = conn;
			return VP_OK;
		}
		reg->ops->disconnect(conn);
	} else {
		code = reg->ops->connect(&reg->url, &reg->opts, false, &conn, err);
		if (code == VP_OK) {
			*out = conn;
			return VP_OK;
		}
	}
	pthread_mutex_lock(&reg->mu);
	reg->open_count--;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
	return code;
}

static void release(struct vp_registry *reg, struct vp_db_conn *conn)
{
	pthread_mutex_lock(&reg->mu);
	reg->idle[reg->idle_count++] = conn;
	pthread_cond_signal(&reg->cv);
	pthread_mutex_unlock(&reg->mu);
}

typedef vp_code (*tx_fn)(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx,
			 struct vp_error *err);

/* Run fn in one transaction, trying again (a bounded number of times) when the
 * database says the failure is transient. */
static vp_code run_tx(struct vp_registry *reg, bool write, enum vp_db_lock lock, tx_fn fn,
		      void *ctx, struct vp_error *err)
{
	vp_code code = VP_ERR_INTERNAL;

	for (int attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		struct vp_db_conn *conn;
		bool retry;

		if ((code = acquire(reg, &conn, err)) != VP_OK)
			return code;
		code = reg->ops->begin(conn, write, lock, err);
		if (code == VP_OK) {
			code = fn(reg, conn, ctx, err);
			if (code == VP_OK)
				code = reg->ops->commit(conn, err);
			if (code != VP_OK)
				reg->ops->rollback(conn);
		}
		retry = code != VP_OK && reg->ops->retriable(conn);
		release(reg, conn);
		if (!retry)
			break;
	}
	return code;
}

/* ---- reading rows ---- */

static void read_record(const struct vp_db_ops *ops, struct vp_db_rows *rows,
			struct vp_namespace_record *rec)
{
	enum vp_ns_state state = VP_NS_RELEASED;

	memset(rec, 0, sizeof(*rec));
	rec->id = ops->get_int(rows, 0);
	rec->n = ops->get_int(rows, 1);
	copy_text(rec->account, sizeof(rec->account), ops->get_text(rows, 2));
	copy_text(rec->client_ref, sizeof(rec->client_ref), ops->get_text(rows, 3));
	/* The CHECK constraint allows only the five names. */
	vp_ignore(vp_registry_state_parse(ops->get_text(rows, 4), &state, NULL));
	rec->state = state;
	copy_text(rec->vpc_cidr, sizeof(rec->vpc_cidr), ops->get_text(rows, 5));
	copy_text(rec->peer_role_arn, sizeof(rec->peer_role_arn), ops->get_text(rows, 6));
	copy_text(rec->vpc_id, sizeof(rec->vpc_id), ops->get_text(rows, 7));
	copy_text(rec->peering_id, sizeof(rec->peering_id), ops->get_text(rows, 8));
	copy_text(rec->labels, sizeof(rec->labels), ops->get_text(rows, 9));
	rec->created_at = ops->get_int(rows, 10);
	rec->updated_at = ops->get_int(rows, 11);
	rec->expires_at = ops->get_int(rows, 12);
	rec->released_at = ops->get_int(rows, 13);
	copy_text(rec->request_id, sizeof(rec->request_id), ops->get_text(rows, 14));
}

static void read_account(const struct vp_db_ops *ops, struct vp_db_rows *rows,
			 struct vp_account_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	copy_text(rec->account, sizeof(rec->account), ops->get_text(rows, 0));
	copy_text(rec->peer_role_arn, sizeof(rec->peer_role_arn), ops->get_text(rows, 1));
	rec->granted = ops->get_int(rows, 2) != 0;
	rec->created_at = ops->get_int(rows, 3);
	rec->updated_at = ops->get_int(rows, 4);
}

/* One record or none: *found says which. */
static vp_code query_record(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			    const struct vp_db_param *params, int nparams,
			    struct vp_namespace_record *rec, bool *found, struct vp_error *err)
{
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, sql, params, nparams, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		read_record(reg->ops, rows, rec);
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	*found = got > 0;
	return VP_OK;
}

/* The first column of the first row as an integer; *found false when no row. */
static vp_code query_int(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			 const struct vp_db_param *params, int nparams, int64_t *value, bool *found,
			 struct vp_error *err)
{
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, sql, params, nparams, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		*value = reg->ops->get_int(rows, 0);
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	if (found)
		*found = got > 0;
	else if (got == 0)
		return vp_fail(err, VP_ERR_INTERNAL, "a count query returned no row");
	return VP_OK;
}

static vp_code add_event(struct vp_registry *reg, struct vp_db_conn *conn, int64_t at, int64_t n,
			 const char *account, const char *type, const char *detail,
			 const char *request_id, struct vp_error *err)
{
	struct vp_db_param p[] = {
		VP_DB_INT_PARAM(at),       VP_DB_INT_PARAM(n),
		VP_DB_TEXT_PARAM(account), VP_DB_TEXT_PARAM(type),
		VP_DB_TEXT_PARAM(detail),  VP_DB_TEXT_PARAM(request_id ? request_id : ""),
	};
	return reg->ops->exec(conn, SQL_EVENT_INSERT, p, 6, NULL, err);
}

/* ---- migrations ---- */

static vp_code read_version(struct vp_registry *reg, struct vp_db_conn *conn, int *version,
			    struct vp_error *err)
{
	int64_t has = 0, v = 0;
	vp_code code =
		query_int(reg, conn, reg->ops->sql_has_migrations_table, NULL, 0, &has, NULL, err);

	if (code == VP_OK && has > 0)
		code = query_int(reg, conn, SQL_MIGRATIONS_MAX, NULL, 0, &v, NULL, err);
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
		p[2] = VP_DB_INT_PARAM(now(reg));
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
	vp_code code = run_tx(reg, false, VP_DB_LOCK_NONE, version_tx, &v, err);

	if (code != VP_OK)
		return code;
	*current = v.current;
	*latest = reg->latest_version;
	return VP_OK;
}

vp_code vp_registry_migrate(struct vp_registry *reg, int *applied, struct vp_error *err)
{
	struct version_ctx v = {0, 0};
	vp_code code = run_tx(reg, true, VP_DB_LOCK_MIGRATE, migrate_tx, &v, err);

	if (code == VP_OK && applied)
		*applied = v.applied;
	return code;
}

/* ---- open and close ---- */

void vp_registry_options_init(struct vp_registry_options *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->quarantine_seconds = VP_REGISTRY_DEFAULT_QUARANTINE;
	opts->busy_timeout_ms = VP_REGISTRY_DEFAULT_BUSY_TIMEOUT_MS;
	opts->pool_size = VP_REGISTRY_DEFAULT_POOL_SIZE;
	opts->migrate = true;
	vp_plan_init(&opts->plan);
}

void vp_registry_close(struct vp_registry *reg)
{
	if (!reg)
		return;
	/* The caller guarantees no call is running: every connection is idle. */
	for (int i = 0; i < reg->idle_count; i++)
		reg->ops->disconnect(reg->idle[i]);
	for (int i = 0; i < reg->lock_idle_count; i++)
		reg->ops->disconnect(reg->lock_idle[i]);
	pthread_cond_destroy(&reg->lock_cv);
	pthread_cond_destroy(&reg->cv);
	pthread_mutex_destroy(&reg->mu);
	free(reg);
}

const char *vp_registry_backend(const struct vp_registry *reg)
{
	return reg->ops->name;
}

vp_code vp_registry_open(const char *url, const struct vp_registry_options *opts,
			 struct vp_registry **out, struct vp_error *err)
{
	struct vp_registry *reg;
	struct vp_db_conn *conn = NULL;
	struct version_ctx v = {0, 0};
	vp_code code;

	if (!url)
		return vp_fail(err, VP_ERR_INVALID, "missing database URL");
	reg = calloc(1, sizeof(*reg));
	if (!reg)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (opts)
		reg->opts = *opts;
	else
		vp_registry_options_init(&reg->opts);
	if ((code = vp_registry_url_parse(url, strlen(url), &reg->url, err)) != VP_OK) {
		free(reg);
		return code;
	}
	if (reg->opts.pool_size < 1 || reg->opts.pool_size > VP_REGISTRY_MAX_POOL_SIZE ||
	    reg->opts.quarantine_seconds < 0 || reg->opts.busy_timeout_ms < 0) {
		free(reg);
		return vp_fail(err, VP_ERR_INVALID,
			       "registry options: pool size must be 1..%d, quarantine and busy "
			       "timeout not negative",
			       VP_REGISTRY_MAX_POOL_SIZE);
	}
	if ((code = vp_plan_validate(&reg->opts.plan, err)) != VP_OK) {
		free(reg);
		vp_error_prefix(err, "registry plan");
		return code;
	}
	reg->capacity = vp_plan_capacity(&reg->opts.plan);
	reg->reserved_count = vp_plan_reserved_ranges(&reg->opts.plan, reg->reserved);
	reg->ops = reg->url.scheme == VP_REGISTRY_SQLITE ? &vp_db_sqlite_ops : &vp_db_postgres_ops;
	for (const struct vp_migration *m = reg->ops->migrations; m->version; m++)
		reg->latest_version = m->version;
	pthread_mutex_init(&reg->mu, NULL);
	pthread_cond_init(&reg->cv, NULL);
	{
		pthread_condattr_t attr;
		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&reg->lock_cv, &attr);
		pthread_condattr_destroy(&attr);
	}

	/* The first connection proves the database is reachable and usable. */
	code = reg->ops->connect(&reg->url, &reg->opts, true, &conn, err);
	if (code != VP_OK) {
		vp_registry_close(reg);
		return code;
	}
	reg->open_count = 1;
	reg->idle[reg->idle_count++] = conn;
	code = run_tx(reg, false, VP_DB_LOCK_NONE, version_tx, &v, err);
	if (code == VP_OK && v.current > reg->latest_version)
		code = newer_schema(reg, v.current, err);
	if (code == VP_OK && reg->opts.migrate && v.current < reg->latest_version)
		code = vp_registry_migrate(reg, NULL, err);
	if (code != VP_OK) {
		vp_registry_close(reg);
		return code;
	}
	*out = reg;
	return VP_OK;
}

/* ---- the free list ---- */

/* The lowest n in lo..hi that no reserved run holds, or -1. */
static int64_t first_unreserved(const struct vp_registry *reg, int64_t lo, int64_t hi)
{
	int64_t c = lo;

	for (unsigned i = 0; i < reg->reserved_count; i++) {
		if (reg->reserved[i].last < c)
			continue;
		if (reg->reserved[i].first > c)
			break;
		c = reg->reserved[i].last + 1;
	}
	return c <= hi ? c : -1;
}

/*
 * The lowest usable n with the free range holding it. Ranges are separated
 * by held n's, and held n's are never reserved, so at most one range per
 * reserved run is skipped: the scan reads O(reserved runs) rows, never O(held).
 */
static vp_code find_free(struct vp_registry *reg, struct vp_db_conn *conn, int64_t *n,
			 int64_t *range_lo, int64_t *range_hi, struct vp_error *err)
{
	int64_t from = 1;

	for (;;) {
		struct vp_db_param p[] = {VP_DB_INT_PARAM(from), VP_DB_INT_PARAM(reg->capacity)};
		struct vp_db_rows *rows;
		int got = 0, seen = 0;
		int64_t found = -1, lo = 0, hi = 0;
		vp_code code = reg->ops->query(conn, SQL_FREE_SCAN, p, 2, &rows, err);

		if (code != VP_OK)
			return code;
		while (found < 0 && (got = reg->ops->next(rows, err)) > 0) {
			lo = reg->ops->get_int(rows, 0);
			hi = reg->ops->get_int(rows, 1);
			seen++;
			found = first_unreserved(reg, lo,
						 hi < reg->capacity ? hi : reg->capacity - 1);
			from = hi + 1;
		}
		reg->ops->finish(rows);
		if (found < 0 && got < 0)
			return err ? err->code : VP_ERR_DB;
		if (found >= 0) {
			*n = found;
			*range_lo = lo;
			*range_hi = hi;
			return VP_OK;
		}
		if (seen < SCAN_BATCH)
			return VP_ERR_EXHAUSTED; /* the caller words the message */
	}
}

/*
 * Remove n from its free range lo..hi. Each case keeps the row's hi where it can,
 * so that the UPDATE changes only lo (HOT on PostgreSQL).
 */
static vp_code take_free(struct vp_registry *reg, struct vp_db_conn *conn, int64_t n, int64_t lo,
			 int64_t hi, struct vp_error *err)
{
	struct vp_db_param p[2] = {VP_DB_INT_PARAM(hi), VP_DB_INT_PARAM(0)};
	vp_code code;

	if (lo == hi)
		return reg->ops->exec(conn, SQL_FREE_DELETE, p, 1, NULL, err);
	if (n == hi) {
		p[1] = VP_DB_INT_PARAM(n - 1);
		return reg->ops->exec(conn, SQL_FREE_SET_HI, p, 2, NULL, err);
	}
	/* n == lo: the run becomes n+1..hi; in the middle: also insert lo..n-1. */
	p[1] = VP_DB_INT_PARAM(n + 1);
	if ((code = reg->ops->exec(conn, SQL_FREE_SET_LO, p, 2, NULL, err)) != VP_OK || n == lo)
		return code;
	p[0] = VP_DB_INT_PARAM(lo);
	p[1] = VP_DB_INT_PARAM(n - 1);
	return reg->ops->exec(conn, SQL_FREE_INSERT, p, 2, NULL, err);
}

/* Put n back in the free list, merging with the ranges either side. */
static vp_code give_free(struct vp_registry *reg, struct vp_db_conn *conn, int64_t n,
			 struct vp_error *err)
{
	struct vp_db_param p[2];
	struct vp_db_rows *rows;
	int64_t left_lo = 0, right_lo = 0, right_hi = 0;
	bool left = false, right = false;
	vp_code code;
	int got;

	/* The run holding n (it never should be free: then nothing to do), or the next one. */
	p[0] = VP_DB_INT_PARAM(n);
	if ((code = reg->ops->query(conn, SQL_FREE_AT_OR_AFTER, p, 1, &rows, err)) != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0) {
		right_lo = reg->ops->get_int(rows, 0);
		right_hi = reg->ops->get_int(rows, 1);
	}
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	if (got > 0 && right_lo <= n)
		return VP_OK;
	right = got > 0 && right_lo == n + 1;
	p[0] = VP_DB_INT_PARAM(n - 1);
	if ((code = query_int(reg, conn, SQL_FREE_ENDING, p, 1, &left_lo, &left, err)) != VP_OK)
		return code;
	if (left && right) {
		p[0] = VP_DB_INT_PARAM(n - 1);
		if ((code = reg->ops->exec(conn, SQL_FREE_DELETE, p, 1, NULL, err)) != VP_OK)
			return code;
		p[0] = VP_DB_INT_PARAM(right_hi);
		p[1] = VP_DB_INT_PARAM(left_lo);
		return reg->ops->exec(conn, SQL_FREE_SET_LO, p, 2, NULL, err);
	}
	if (left) {
		p[0] = VP_DB_INT_PARAM(n - 1);
		p[1] = VP_DB_INT_PARAM(n);
		return reg->ops->exec(conn, SQL_FREE_SET_HI, p, 2, NULL, err);
	}
	if (right) {
		p[0] = VP_DB_INT_PARAM(right_hi);
		p[1] = VP_DB_INT_PARAM(n);
		return reg->ops->exec(conn, SQL_FREE_SET_LO, p, 2, NULL, err);
	}
	p[0] = VP_DB_INT_PARAM(n);
	p[1] = VP_DB_INT_PARAM(n);
	return reg->ops->exec(conn, SQL_FREE_INSERT, p, 2, NULL, err);
}

/* Return every n whose quarantine is over to the free list. */
static vp_code reclaim(struct vp_registry *reg, struct vp_db_conn *conn, int64_t at,
		       struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_INT_PARAM(at - reg->opts.quarantine_seconds)};

	for (;;) {
		int64_t batch[SCAN_BATCH];
		int count = 0, got = 0;
		struct vp_db_rows *rows;
		vp_code code = reg->ops->query(conn, SQL_QUARANTINE_EXPIRED, p, 1, &rows, err);

		if (code != VP_OK)
			return code;
		while (count < SCAN_BATCH && (got = reg->ops->next(rows, err)) > 0)
			batch[count++] = reg->ops->get_int(rows, 0);
		reg->ops->finish(rows);
		if (count < SCAN_BATCH && got < 0)
			return err ? err->code : VP_ERR_DB;
		for (int i = 0; i < count; i++) {
			struct vp_db_param q[] = {VP_DB_INT_PARAM(batch[i])};
			if ((code = give_free(reg, conn, batch[i], err)) != VP_OK ||
			    (code = reg->ops->exec(conn, SQL_QUARANTINE_DELETE, q, 1, NULL, err)) !=
				    VP_OK)
				return code;
		}
		if (count < SCAN_BATCH)
			return VP_OK;
	}
}

/* ---- allocate ---- */

struct alloc_ctx {
	const char *account, *client_ref, *labels, *request_id;
	int64_t ttl;
	struct vp_namespace_record rec;
	bool created;
};

static vp_code exhausted(struct vp_registry *reg, struct vp_db_conn *conn, struct vp_error *err)
{
	int64_t held = 0, quarantined = 0;

	query_int(reg, conn, SQL_COUNT_LIVE, NULL, 0, &held, NULL, NULL);
	query_int(reg, conn, SQL_COUNT_QUARANTINE, NULL, 0, &quarantined, NULL, NULL);
	return vp_fail(err, VP_ERR_EXHAUSTED,
		       "no free namespace: the plan's capacity is %lld (n = 1..%lld for clients, "
		       "%lld reserved), %lld held, %lld in quarantine",
		       (long long)reg->capacity, (long long)reg->capacity - 1,
		       (long long)vp_plan_reserved_count(&reg->opts.plan), (long long)held,
		       (long long)quarantined);
}

static vp_code alloc_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct alloc_ctx *ctx = ctx_;
	struct vp_namespace_plan ns;
	struct vp_db_rows *rows;
	char cidr[VP_CIDR_STRLEN], detail[VP_REGISTRY_DETAIL_MAX + 1];
	int64_t at = now(reg), n = 0, lo = 0, hi = 0;
	bool found = false;
	vp_code code;
	int got;
	struct vp_db_param p[8] = {VP_DB_TEXT_PARAM(ctx->account),
				   VP_DB_TEXT_PARAM(ctx->client_ref)};

	/* The same key again: the same namespace, nothing allocated. */
	code = query_record(reg, conn, SQL_FIND_LIVE_REF, p, 2, &ctx->rec, &found, err);
	if (code != VP_OK || found) {
		ctx->created = false;
		return code;
	}
	if ((code = reclaim(reg, conn, at, err)) != VP_OK)
		return code;
	code = find_free(reg, conn, &n, &lo, &hi, err);
	if (code == VP_ERR_EXHAUSTED)
		return exhausted(reg, conn, err);
	if (code != VP_OK || (code = take_free(reg, conn, n, lo, hi, err)) != VP_OK)
		return code;
	if ((code = vp_plan_namespace(&reg->opts.plan, n, &ns, err)) != VP_OK)
		return code;
	vp_cidr_format(ns.vpc, cidr);

	p[1] = VP_DB_INT_PARAM(at);
	if ((code = reg->ops->exec(conn, SQL_ACCOUNT_ENSURE, p, 2, NULL, err)) != VP_OK)
		return code;
	p[0] = VP_DB_INT_PARAM(n);
	p[1] = VP_DB_TEXT_PARAM(ctx->account);
	p[2] = VP_DB_TEXT_PARAM(ctx->client_ref);
	p[3] = VP_DB_TEXT_PARAM(cidr);
	p[4] = VP_DB_TEXT_PARAM(ctx->labels);
	p[5] = VP_DB_INT_PARAM(at);
	p[6] = VP_DB_INT_PARAM(ctx->ttl > 0 ? at + ctx->ttl : 0);
	p[7] = VP_DB_TEXT_PARAM(ctx->request_id);
	if ((code = reg->ops->query(conn, SQL_NS_INSERT, p, 8, &rows, err)) != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		read_record(reg->ops, rows, &ctx->rec);
	reg->ops->finish(rows);
	if (got <= 0)
		return got < 0 ? (err ? err->code : VP_ERR_DB)
			       : vp_fail(err, VP_ERR_INTERNAL, "insert returned no row");
	json_t *extra = json_pack("{ss ss}", "client_ref", ctx->client_ref, "vpc_cidr", cidr);
	code = json_object_text(NULL, extra, sizeof(detail) - 1, "event detail", detail, err);
	json_decref(extra);
	if (code != VP_OK)
		return code;
	ctx->created = true;
	return add_event(reg, conn, at, n, ctx->account, "allocated", detail, ctx->request_id, err);
}

vp_code vp_registry_allocate(struct vp_registry *reg, const char *account, const char *client_ref,
			     const char *labels, const char *request_id, int64_t pending_ttl,
			     struct vp_namespace_record *out, bool *created, struct vp_error *err)
{
	struct alloc_ctx *ctx;
	char labels_text[VP_REGISTRY_LABELS_MAX + 1];
	vp_code code;

	if ((code = vp_registry_check_account(account, err)) != VP_OK ||
	    (code = vp_registry_check_client_ref(client_ref, err)) != VP_OK ||
	    (code = check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id", err)) !=
		    VP_OK ||
	    (code = json_object_text(labels, NULL, VP_REGISTRY_LABELS_MAX, "labels", labels_text,
				     err)) != VP_OK)
		return code;
	if (pending_ttl < 0)
		return vp_fail(err, VP_ERR_INVALID, "pending TTL %lld is negative",
			       (long long)pending_ttl);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->account = account;
	ctx->client_ref = client_ref;
	ctx->labels = labels_text;
	ctx->request_id = request_id ? request_id : "";
	ctx->ttl = pending_ttl;
	code = run_tx(reg, true, VP_DB_LOCK_ALLOCATE, alloc_tx, ctx, err);
	if (code == VP_OK) {
		if (out)
			*out = ctx->rec;
		if (created)
			*created = ctx->created;
	}
	free(ctx);
	return code;
}

/* ---- reads ---- */

struct get_ctx {
	int64_t n;
	const char *account, *client_ref;
	struct vp_namespace_record rec;
	bool found;
};

static vp_code get_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		      struct vp_error *err)
{
	struct get_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n)};
	vp_code code = query_record(reg, conn, SQL_GET_LIVE_N, p, 1, &ctx->rec, &ctx->found, err);

	if (code == VP_OK && !ctx->found)
		code = query_record(reg, conn, SQL_GET_LAST_N, p, 1, &ctx->rec, &ctx->found, err);
	return code;
}

vp_code vp_registry_get(struct vp_registry *reg, int64_t n, struct vp_namespace_record *out,
			struct vp_error *err)
{
	struct get_ctx *ctx = calloc(1, sizeof(*ctx));
	vp_code code;

	if (!ctx)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->n = n;
	code = run_tx(reg, false, VP_DB_LOCK_NONE, get_tx, ctx, err);
	if (code == VP_OK && !ctx->found)
		code = vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld has no record", (long long)n);
	if (code == VP_OK)
		*out = ctx->rec;
	free(ctx);
	return code;
}

static vp_code find_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct get_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->account),
				  VP_DB_TEXT_PARAM(ctx->client_ref)};
	return query_record(reg, conn, SQL_FIND_LIVE_REF, p, 2, &ctx->rec, &ctx->found, err);
}

vp_code vp_registry_find(struct vp_registry *reg, const char *account, const char *client_ref,
			 struct vp_namespace_record *out, struct vp_error *err)
{
	struct get_ctx *ctx;
	vp_code code;

	if ((code = vp_registry_check_account(account, err)) != VP_OK ||
	    (code = vp_registry_check_client_ref(client_ref, err)) != VP_OK)
		return code;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->account = account;
	ctx->client_ref = client_ref;
	code = run_tx(reg, false, VP_DB_LOCK_NONE, find_tx, ctx, err);
	if (code == VP_OK && !ctx->found)
		code = vp_fail(err, VP_ERR_NOT_FOUND,
			       "account %s has no live namespace for client_ref '%.64s'", account,
			       client_ref);
	if (code == VP_OK)
		*out = ctx->rec;
	free(ctx);
	return code;
}

struct list_ctx {
	const char *sql;
	struct vp_db_param p[4];
	int nparams;
	struct vp_namespace_record *out;
	size_t max, count;
};

static vp_code list_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct list_ctx *ctx = ctx_;
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, ctx->sql, ctx->p, ctx->nparams, &rows, err);
	int got = 0;

	if (code != VP_OK)
		return code;
	ctx->count = 0;
	while (ctx->count < ctx->max && (got = reg->ops->next(rows, err)) > 0)
		read_record(reg->ops, rows, &ctx->out[ctx->count++]);
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

static vp_code list_into(struct vp_registry *reg, struct list_ctx *ctx,
			 struct vp_namespace_record *out, size_t max, size_t *count,
			 struct vp_error *err)
{
	vp_code code;

	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	/* Into a scratch array, so a failure leaves out[] untouched. */
	ctx->out = calloc(max, sizeof(*ctx->out));
	if (!ctx->out)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->max = max;
	code = run_tx(reg, false, VP_DB_LOCK_NONE, list_tx, ctx, err);
	if (code == VP_OK) {
		memcpy(out, ctx->out, ctx->count * sizeof(*out));
		*count = ctx->count;
	}
	free(ctx->out);
	return code;
}

vp_code vp_registry_list(struct vp_registry *reg, const struct vp_registry_filter *filter,
			 struct vp_namespace_record *out, size_t max, size_t *count,
			 int64_t *next_cursor, struct vp_error *err)
{
	struct list_ctx ctx = {.sql = SQL_LIST, .nparams = 4};
	const char *account = filter && filter->account ? filter->account : "";
	vp_code code;

	if (*account && (code = vp_registry_check_account(account, err)) != VP_OK)
		return code;
	ctx.p[0] = VP_DB_INT_PARAM(filter ? filter->after_id : 0);
	ctx.p[1] = VP_DB_TEXT_PARAM(account);
	ctx.p[2] = VP_DB_INT_PARAM(filter ? (int64_t)(filter->states & VP_NS_STATES_ALL) : 0);
	/* One more than asked tells whether another page follows. */
	ctx.p[3] = VP_DB_INT_PARAM((int64_t)max + 1);
	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	struct vp_namespace_record *scratch = calloc(max + 1, sizeof(*scratch));
	if (!scratch)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx.out = scratch;
	ctx.max = max + 1;
	code = run_tx(reg, false, VP_DB_LOCK_NONE, list_tx, &ctx, err);
	if (code == VP_OK) {
		size_t n = ctx.count > max ? max : ctx.count;
		memcpy(out, scratch, n * sizeof(*out));
		*count = n;
		if (next_cursor)
			*next_cursor = ctx.count > max ? scratch[max - 1].id : 0;
	}
	free(scratch);
	return code;
}

vp_code vp_registry_list_expired(struct vp_registry *reg, struct vp_namespace_record *out,
				 size_t max, size_t *count, struct vp_error *err)
{
	struct list_ctx ctx = {.sql = SQL_EXPIRED, .nparams = 2};

	ctx.p[0] = VP_DB_INT_PARAM(now(reg));
	ctx.p[1] = VP_DB_INT_PARAM((int64_t)max);
	return list_into(reg, &ctx, out, max, count, err);
}

struct count_ctx {
	const char *sql;
	const char *account;
	int64_t count;
};

static vp_code count_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct count_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->account)};
	return query_int(reg, conn, ctx->sql, p, ctx->account ? 1 : 0, &ctx->count, NULL, err);
}

vp_code vp_registry_count_live(struct vp_registry *reg, int64_t *count, struct vp_error *err)
{
	struct count_ctx ctx = {SQL_COUNT_LIVE, NULL, 0};
	vp_code code = run_tx(reg, false, VP_DB_LOCK_NONE, count_tx, &ctx, err);
	if (code == VP_OK)
		*count = ctx.count;
	return code;
}

vp_code vp_registry_count_live_account(struct vp_registry *reg, const char *account, int64_t *count,
				       struct vp_error *err)
{
	struct count_ctx ctx = {SQL_COUNT_LIVE_ACCOUNT, account, 0};
	vp_code code = vp_registry_check_account(account, err);

	if (code == VP_OK)
		code = run_tx(reg, false, VP_DB_LOCK_NONE, count_tx, &ctx, err);
	if (code == VP_OK)
		*count = ctx.count;
	return code;
}

/* ---- transitions ---- */

struct transition_ctx {
	int64_t n;
	unsigned from;
	enum vp_ns_state to;
	const struct vp_registry_change *change;
	const char *request_id;
	struct vp_namespace_record rec;
};

static void describe_states(unsigned states, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned s = 0; s < VP_NS_STATE_COUNT; s++) {
		if (!(states & VP_NS_STATE_BIT(s)))
			continue;
		o += (size_t)snprintf(out + o, size - o, "%s%s", o ? " or " : "",
				      vp_registry_state_name((enum vp_ns_state)s));
		if (o >= size)
			return;
	}
	if (!out[0])
		snprintf(out, size, "(no state)");
}

static vp_code transition_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			     struct vp_error *err)
{
	struct transition_ctx *ctx = ctx_;
	const struct vp_registry_change *change = ctx->change;
	struct vp_namespace_record cur;
	struct vp_db_rows *rows;
	char detail[VP_REGISTRY_DETAIL_MAX + 1], expected[64];
	int64_t at = now(reg);
	bool found = false;
	vp_code code;
	int got;
	struct vp_db_param p[10] = {VP_DB_INT_PARAM(ctx->n)};

	code = query_record(reg, conn, reg->ops->lock_rows ? SQL_GET_LIVE_N_LOCK : SQL_GET_LIVE_N,
			    p, 1, &cur, &found, err);
	if (code == VP_OK && !found) {
		code = query_record(reg, conn, SQL_GET_LAST_N, p, 1, &cur, &found, err);
		if (code == VP_OK && !found)
			return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld has no record",
				       (long long)ctx->n);
	}
	if (code != VP_OK)
		return code;
	if ((code = vp_registry_transition_check(ctx->n, cur.state, ctx->to, err)) != VP_OK)
		return code;
	if (!(ctx->from & VP_NS_STATE_BIT(cur.state))) {
		describe_states(ctx->from, expected, sizeof(expected));
		return vp_fail(err, VP_ERR_CONFLICT,
			       "namespace %lld is %s, not %s: not moved to %s", (long long)ctx->n,
			       vp_registry_state_name(cur.state), expected,
			       vp_registry_state_name(ctx->to));
	}
	json_t *extra = json_pack("{ss ss}", "from", vp_registry_state_name(cur.state), "to",
				  vp_registry_state_name(ctx->to));
	code = json_object_text(change ? change->detail : NULL, extra, VP_REGISTRY_DETAIL_MAX,
				"event detail", detail, err);
	json_decref(extra);
	if (code != VP_OK)
		return code;

	p[0] = VP_DB_INT_PARAM(cur.id);
	p[1] = VP_DB_TEXT_PARAM(vp_registry_state_name(ctx->to));
	p[2] = VP_DB_INT_PARAM(at);
	p[3] = VP_DB_TEXT_PARAM(ctx->request_id);
	p[4] = change && change->peering_id ? VP_DB_TEXT_PARAM(change->peering_id)
					    : VP_DB_NULL_PARAM;
	p[5] = change && change->vpc_id ? VP_DB_TEXT_PARAM(change->vpc_id) : VP_DB_NULL_PARAM;
	p[6] = change && change->peer_role_arn ? VP_DB_TEXT_PARAM(change->peer_role_arn)
					       : VP_DB_NULL_PARAM;
	/* A pending namespace's TTL ends when it leaves pending. */
	p[7] = VP_DB_INT_PARAM(cur.state == VP_NS_PENDING ? 0 : cur.expires_at);
	p[8] = VP_DB_INT_PARAM(ctx->to == VP_NS_RELEASED ? at : cur.released_at);
	p[9] = VP_DB_TEXT_PARAM(vp_registry_state_name(cur.state));
	/* Compare-and-set: the row changes only if still in the state just read. */
	if ((code = reg->ops->query(conn, SQL_TRANSITION, p, 10, &rows, err)) != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		read_record(reg->ops, rows, &ctx->rec);
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	if (got == 0)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld changed state concurrently",
			       (long long)ctx->n);
	if (ctx->to == VP_NS_RELEASED) {
		struct vp_db_param q[] = {VP_DB_INT_PARAM(cur.n), VP_DB_INT_PARAM(at)};
		if ((code = reg->ops->exec(conn, SQL_QUARANTINE_INSERT, q, 2, NULL, err)) != VP_OK)
			return code;
	}
	return add_event(reg, conn, at, cur.n, cur.account, vp_registry_state_name(ctx->to), detail,
			 ctx->request_id, err);
}

vp_code vp_registry_transition(struct vp_registry *reg, int64_t n, unsigned from,
			       enum vp_ns_state to, const struct vp_registry_change *change,
			       const char *request_id, struct vp_namespace_record *out,
			       struct vp_error *err)
{
	struct transition_ctx *ctx;
	vp_code code;

	if ((unsigned)to >= VP_NS_STATE_COUNT)
		return vp_fail(err, VP_ERR_INVALID, "unknown target state %d", (int)to);
	if ((code = check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id", err)) !=
		    VP_OK ||
	    (change && ((code = check_field(change->peering_id, VP_REGISTRY_AWS_ID_MAX,
					    "peering connection id", err)) != VP_OK ||
			(code = check_field(change->vpc_id, VP_REGISTRY_AWS_ID_MAX, "VPC id",
					    err)) != VP_OK ||
			(code = check_field(change->peer_role_arn, VP_REGISTRY_ARN_MAX,
					    "peer role ARN", err)) != VP_OK)))
		return code;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->n = n;
	ctx->from = from;
	ctx->to = to;
	ctx->change = change;
	ctx->request_id = request_id ? request_id : "";
	code = run_tx(reg, true, VP_DB_LOCK_NONE, transition_tx, ctx, err);
	if (code == VP_OK && out)
		*out = ctx->rec;
	free(ctx);
	return code;
}

/* ---- accounts ---- */

struct account_ctx {
	const char *account, *arn, *request_id, *after;
	bool granted;
	struct vp_account_record rec;
	struct vp_account_record *list;
	size_t max, count;
	bool found;
};

static vp_code account_upsert_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
				 struct vp_error *err)
{
	struct account_ctx *ctx = ctx_;
	struct vp_db_rows *rows;
	char detail[VP_REGISTRY_DETAIL_MAX + 1];
	int64_t at = now(reg);
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->account), VP_DB_TEXT_PARAM(ctx->arn),
				  VP_DB_INT_PARAM(ctx->granted ? 1 : 0), VP_DB_INT_PARAM(at)};
	vp_code code = reg->ops->query(conn, SQL_ACCOUNT_UPSERT, p, 4, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		read_account(reg->ops, rows, &ctx->rec);
	reg->ops->finish(rows);
	if (got <= 0)
		return got < 0 ? (err ? err->code : VP_ERR_DB)
			       : vp_fail(err, VP_ERR_INTERNAL, "upsert returned no row");
	json_t *extra = json_pack("{ss sb}", "peer_role_arn", ctx->arn, "granted", ctx->granted);
	code = json_object_text(NULL, extra, VP_REGISTRY_DETAIL_MAX, "event detail", detail, err);
	json_decref(extra);
	if (code != VP_OK)
		return code;
	return add_event(reg, conn, at, 0, ctx->account, "account", detail, ctx->request_id, err);
}

vp_code vp_registry_account_upsert(struct vp_registry *reg, const char *account,
				   const char *peer_role_arn, bool granted, const char *request_id,
				   struct vp_account_record *out, struct vp_error *err)
{
	struct account_ctx ctx = {.account = account,
				  .arn = peer_role_arn ? peer_role_arn : "",
				  .request_id = request_id ? request_id : "",
				  .granted = granted};
	vp_code code;

	if ((code = vp_registry_check_account(account, err)) != VP_OK ||
	    (code = check_field(peer_role_arn, VP_REGISTRY_ARN_MAX, "peer role ARN", err)) !=
		    VP_OK ||
	    (code = check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id", err)) !=
		    VP_OK)
		return code;
	code = run_tx(reg, true, VP_DB_LOCK_NONE, account_upsert_tx, &ctx, err);
	if (code == VP_OK && out)
		*out = ctx.rec;
	return code;
}

static vp_code account_read_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			       struct vp_error *err)
{
	struct account_ctx *ctx = ctx_;
	struct vp_db_rows *rows;
	struct vp_db_param p[2];
	vp_code code;
	int got = 0;

	if (ctx->list) {
		p[0] = VP_DB_TEXT_PARAM(ctx->after);
		p[1] = VP_DB_INT_PARAM((int64_t)ctx->max);
		code = reg->ops->query(conn, SQL_ACCOUNT_LIST, p, 2, &rows, err);
	} else {
		p[0] = VP_DB_TEXT_PARAM(ctx->account);
		code = reg->ops->query(conn, SQL_ACCOUNT_GET, p, 1, &rows, err);
	}
	if (code != VP_OK)
		return code;
	ctx->count = 0;
	if (ctx->list) {
		while (ctx->count < ctx->max && (got = reg->ops->next(rows, err)) > 0)
			read_account(reg->ops, rows, &ctx->list[ctx->count++]);
	} else if ((got = reg->ops->next(rows, err)) > 0) {
		read_account(reg->ops, rows, &ctx->rec);
		ctx->found = true;
	}
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

vp_code vp_registry_account_get(struct vp_registry *reg, const char *account,
				struct vp_account_record *out, struct vp_error *err)
{
	struct account_ctx ctx = {.account = account};
	vp_code code = vp_registry_check_account(account, err);

	if (code == VP_OK)
		code = run_tx(reg, false, VP_DB_LOCK_NONE, account_read_tx, &ctx, err);
	if (code == VP_OK && !ctx.found)
		code = vp_fail(err, VP_ERR_NOT_FOUND, "account %s is not in the registry", account);
	if (code == VP_OK)
		*out = ctx.rec;
	return code;
}

vp_code vp_registry_account_list(struct vp_registry *reg, const char *after,
				 struct vp_account_record *out, size_t max, size_t *count,
				 struct vp_error *err)
{
	struct account_ctx ctx = {.after = after ? after : "", .max = max};
	vp_code code;

	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	if ((code = check_field(after, VP_REGISTRY_ACCOUNT_LEN, "account cursor", err)) != VP_OK)
		return code;
	if (!(ctx.list = calloc(max, sizeof(*ctx.list))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = run_tx(reg, false, VP_DB_LOCK_NONE, account_read_tx, &ctx, err);
	if (code == VP_OK) {
		memcpy(out, ctx.list, ctx.count * sizeof(*out));
		*count = ctx.count;
	}
	free(ctx.list);
	return code;
}

/* ---- events ---- */

struct events_ctx {
	int64_t n, after;
	struct vp_event_record *out;
	size_t max, count;
};

static vp_code events_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			 struct vp_error *err)
{
	struct events_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n), VP_DB_INT_PARAM(ctx->after),
				  VP_DB_INT_PARAM((int64_t)ctx->max)};
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, SQL_EVENTS, p, 3, &rows, err);
	int got = 0;

	if (code != VP_OK)
		return code;
	ctx->count = 0;
	while (ctx->count < ctx->max && (got = reg->ops->next(rows, err)) > 0) {
		struct vp_event_record *e = &ctx->out[ctx->count++];
		memset(e, 0, sizeof(*e));
		e->id = reg->ops->get_int(rows, 0);
		e->at = reg->ops->get_int(rows, 1);
		e->n = reg->ops->get_int(rows, 2);
		copy_text(e->account, sizeof(e->account), reg->ops->get_text(rows, 3));
		copy_text(e->type, sizeof(e->type), reg->ops->get_text(rows, 4));
		copy_text(e->detail, sizeof(e->detail), reg->ops->get_text(rows, 5));
		copy_text(e->request_id, sizeof(e->request_id), reg->ops->get_text(rows, 6));
	}
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

vp_code vp_registry_events(struct vp_registry *reg, int64_t n, int64_t after_id,
			   struct vp_event_record *out, size_t max, size_t *count,
			   struct vp_error *err)
{
	struct events_ctx ctx = {.n = n, .after = after_id, .max = max};
	vp_code code;

	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	if (!(ctx.out = calloc(max, sizeof(*ctx.out))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = run_tx(reg, false, VP_DB_LOCK_NONE, events_tx, &ctx, err);
	if (code == VP_OK) {
		memcpy(out, ctx.out, ctx.count * sizeof(*out));
		*count = ctx.count;
	}
	free(ctx.out);
	return code;
}

/* ---- peer role of a namespace, counts by state ---- */

struct peer_role_ctx {
	int64_t n;
	const char *arn, *request_id;
	struct vp_namespace_record rec;
};

static vp_code peer_role_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			    struct vp_error *err)
{
	struct peer_role_ctx *ctx = ctx_;
	char detail[VP_REGISTRY_DETAIL_MAX + 1];
	int64_t at = now(reg);
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n), VP_DB_TEXT_PARAM(ctx->arn),
				  VP_DB_INT_PARAM(at), VP_DB_TEXT_PARAM(ctx->request_id)};
	bool found = false;
	vp_code code = query_record(reg, conn, SQL_SET_PEER_ROLE, p, 4, &ctx->rec, &found, err);
	json_t *extra;

	if (code != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld has no live record",
			       (long long)ctx->n);
	extra = json_pack("{ss}", "peer_role_arn", ctx->arn);
	code = json_object_text(NULL, extra, VP_REGISTRY_DETAIL_MAX, "event detail", detail, err);
	json_decref(extra);
	if (code != VP_OK)
		return code;
	return add_event(reg, conn, at, ctx->n, ctx->rec.account, "peer_role", detail,
			 ctx->request_id, err);
}

vp_code vp_registry_set_peer_role(struct vp_registry *reg, int64_t n, const char *peer_role_arn,
				  const char *request_id, struct vp_namespace_record *out,
				  struct vp_error *err)
{
	struct peer_role_ctx *ctx;
	vp_code code;

	if (!peer_role_arn)
		return vp_fail(err, VP_ERR_INVALID, "missing peer role ARN");
	if ((code = check_field(peer_role_arn, VP_REGISTRY_ARN_MAX, "peer role ARN", err)) !=
		    VP_OK ||
	    (code = check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id", err)) !=
		    VP_OK)
		return code;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->n = n;
	ctx->arn = peer_role_arn;
	ctx->request_id = request_id ? request_id : "";
	code = run_tx(reg, true, VP_DB_LOCK_NONE, peer_role_tx, ctx, err);
	if (code == VP_OK && out)
		*out = ctx->rec;
	free(ctx);
	return code;
}

/* ---- confirm's intent (peering and VPC recorded before the hub routes) ---- */

struct intent_ctx {
	int64_t n;
	const char *peering_id, *vpc_id, *request_id;
	struct vp_namespace_record rec;
};

static vp_code intent_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			 struct vp_error *err)
{
	struct intent_ctx *ctx = ctx_;
	char detail[VP_REGISTRY_DETAIL_MAX + 1];
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n), VP_DB_TEXT_PARAM(ctx->peering_id),
				  VP_DB_TEXT_PARAM(ctx->vpc_id)};
	bool found = false;
	vp_code code = query_record(reg, conn, SQL_SET_INTENT, p, 3, &ctx->rec, &found, err);
	json_t *extra;

	if (code != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld has no pending record",
			       (long long)ctx->n);
	extra = json_pack("{ss ss}", "peering_id", ctx->peering_id, "vpc_id", ctx->vpc_id);
	code = json_object_text(NULL, extra, VP_REGISTRY_DETAIL_MAX, "event detail", detail, err);
	json_decref(extra);
	if (code != VP_OK)
		return code;
	return add_event(reg, conn, now(reg), ctx->n, ctx->rec.account, "intent", detail,
			 ctx->request_id, err);
}

vp_code vp_registry_set_intent(struct vp_registry *reg, int64_t n, const char *peering_id,
			       const char *vpc_id, const char *request_id,
			       struct vp_namespace_record *out, struct vp_error *err)
{
	struct intent_ctx *ctx;
	vp_code code;

	if (!peering_id || !vpc_id || !*peering_id || !*vpc_id)
		return vp_fail(err, VP_ERR_INVALID, "missing peering or VPC id");
	if ((code = check_field(peering_id, VP_REGISTRY_AWS_ID_MAX, "peering id", err)) != VP_OK ||
	    (code = check_field(vpc_id, VP_REGISTRY_AWS_ID_MAX, "VPC id", err)) != VP_OK ||
	    (code = check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id", err)) !=
		    VP_OK)
		return code;
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->n = n;
	ctx->peering_id = peering_id;
	ctx->vpc_id = vpc_id;
	ctx->request_id = request_id ? request_id : "";
	code = run_tx(reg, true, VP_DB_LOCK_NONE, intent_tx, ctx, err);
	if (code == VP_OK && out)
		*out = ctx->rec;
	free(ctx);
	return code;
}

static vp_code count_states_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			       struct vp_error *err)
{
	int64_t *counts = ctx_;
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, SQL_COUNT_STATES, NULL, 0, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	for (int s = 0; s < VP_NS_STATE_COUNT; s++)
		counts[s] = 0;
	while ((got = reg->ops->next(rows, err)) > 0) {
		enum vp_ns_state state;
		if (vp_registry_state_parse(reg->ops->get_text(rows, 0), &state, NULL) == VP_OK)
			counts[state] = reg->ops->get_int(rows, 1);
	}
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

vp_code vp_registry_count_states(struct vp_registry *reg, int64_t counts[VP_NS_STATE_COUNT],
				 struct vp_error *err)
{
	int64_t tmp[VP_NS_STATE_COUNT];
	vp_code code = run_tx(reg, false, VP_DB_LOCK_NONE, count_states_tx, tmp, err);

	if (code == VP_OK)
		memcpy(counts, tmp, sizeof(tmp));
	return code;
}

/* ---- named locks ---- */

struct vp_registry_lock {
	struct vp_registry *reg;
	struct vp_registry_lock *next; /* in reg->held */
	struct vp_db_conn *conn;       /* PostgreSQL: the session holding the advisory lock */
	int32_t key;
	char name[VP_REGISTRY_LOCK_NAME_MAX + 1];
};

/* FNV-1a: the advisory lock key of a name. Two names may share a key: they then
 * serialise with each other too, which is safe. */
static int32_t lock_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	return (int32_t)h;
}

static bool lock_held(const struct vp_registry *reg, const char *name)
{
	for (const struct vp_registry_lock *l = reg->held; l; l = l->next)
		if (strcmp(l->name, name) == 0)
			return true;
	return false;
}

static void lock_forget(struct vp_registry *reg, struct vp_registry_lock *lock)
{
	pthread_mutex_lock(&reg->mu);
	for (struct vp_registry_lock **p = &reg->held; *p; p = &(*p)->next)
		if (*p == lock) {
			*p = lock->next;
			break;
		}
	pthread_cond_broadcast(&reg->lock_cv);
	pthread_mutex_unlock(&reg->mu);
}

/* Give a lock connection back (kept idle up to LOCK_IDLE_MAX) or close it. */
static void lock_conn_put(struct vp_registry *reg, struct vp_db_conn *conn, bool usable)
{
	if (!conn)
		return;
	pthread_mutex_lock(&reg->mu);
	if (usable && reg->lock_idle_count < LOCK_IDLE_MAX) {
		reg->lock_idle[reg->lock_idle_count++] = conn;
		conn = NULL;
	}
	pthread_mutex_unlock(&reg->mu);
	if (conn)
		reg->ops->disconnect(conn);
}

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

vp_code vp_registry_lock(struct vp_registry *reg, const char *name, int timeout_ms,
			 struct vp_registry_lock **out, struct vp_error *err)
{
	struct vp_registry_lock *lock;
	struct vp_db_conn *conn = NULL;
	struct timespec deadline;
	int64_t start = monotonic_ms(), left;
	vp_code code;

	if (!name || !*name ||
	    strnlen(name, VP_REGISTRY_LOCK_NAME_MAX + 1) > VP_REGISTRY_LOCK_NAME_MAX)
		return vp_fail(err, VP_ERR_INVALID, "a lock name must be 1..%d bytes",
			       VP_REGISTRY_LOCK_NAME_MAX);
	if (timeout_ms <= 0)
		timeout_ms = reg->opts.busy_timeout_ms > 0 ? reg->opts.busy_timeout_ms : 1;
	if (!(lock = calloc(1, sizeof(*lock))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	lock->reg = reg;
	lock->key = lock_key(name);
	memcpy(lock->name, name, strlen(name) + 1);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&reg->mu);
	while (lock_held(reg, name)) {
		if (pthread_cond_timedwait(&reg->lock_cv, &reg->mu, &deadline) != 0 &&
		    lock_held(reg, name)) {
			pthread_mutex_unlock(&reg->mu);
			free(lock);
			return vp_fail(err, VP_ERR_UNAVAILABLE,
				       "lock '%s' stayed held for more than %d ms", name,
				       timeout_ms);
		}
	}
	lock->next = reg->held;
	reg->held = lock;
	if (reg->ops->advisory_lock && reg->lock_idle_count > 0)
		conn = reg->lock_idle[--reg->lock_idle_count];
	pthread_mutex_unlock(&reg->mu);

	if (!reg->ops->advisory_lock) {
		*out = lock;
		return VP_OK;
	}
	if (conn && reg->ops->reset && (code = reg->ops->reset(conn, err)) != VP_OK) {
		reg->ops->disconnect(conn);
		conn = NULL;
	}
	code = conn ? VP_OK : reg->ops->connect(&reg->url, &reg->opts, false, &conn, err);
	left = timeout_ms - (monotonic_ms() - start);
	if (code == VP_OK && left < 1)
		code = vp_fail(err, VP_ERR_UNAVAILABLE, "lock '%s' stayed held for more than %d ms",
			       name, timeout_ms);
	if (code == VP_OK)
		code = reg->ops->advisory_lock(conn, lock->key, (int)left, err);
	if (code != VP_OK) {
		lock_conn_put(reg, conn, code == VP_ERR_UNAVAILABLE);
		lock_forget(reg, lock);
		free(lock);
		if (code == VP_ERR_UNAVAILABLE)
			vp_error_prefix(err, "lock '%s'", name);
		return code;
	}
	lock->conn = conn;
	*out = lock;
	return VP_OK;
}

void vp_registry_unlock(struct vp_registry_lock *lock)
{
	struct vp_registry *reg;

	if (!lock)
		return;
	reg = lock->reg;
	if (lock->conn) {
		/* A failed unlock leaves the session suspect: closing it drops the lock. */
		bool ok = reg->ops->advisory_unlock(lock->conn, lock->key, NULL) == VP_OK;
		lock_conn_put(reg, lock->conn, ok);
	}
	lock_forget(reg, lock);
	free(lock);
}
