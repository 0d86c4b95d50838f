/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The SQLite backend: one sqlite3 handle per pooled connection, opened
 * without SQLite's own mutex (the pool gives a connection to one thread at a
 * time). Every connection runs WAL with synchronous=FULL, so a committed
 * transaction survives power loss, foreign keys on and a busy timeout; write
 * transactions start with BEGIN IMMEDIATE so writers queue on the database
 * lock up front instead of failing to upgrade a read lock. Prepared
 * statements are cached per connection, keyed by the SQL text's address
 * (the SQL is always a static string).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry/backend.h"

#define STMT_CACHE 48

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct vp_db_rows {
	struct vp_db_conn *conn;
	sqlite3_stmt *stmt;
};

struct vp_db_conn {
	sqlite3 *db;
	int busy_timeout_ms;
	char shown[VP_REGISTRY_URL_CAP + 1];
	int last_rc;
	bool waited_out;  /* the busy handler gave up since the last failure */
	bool last_waited; /* the last failure came after the busy handler gave up */
	struct cached_stmt cache[STMT_CACHE];
	int cached;
	struct vp_db_rows rows;
};

static vp_code db_fail(struct vp_db_conn *conn, int rc, struct vp_error *err, const char *what)
{
	int primary = rc & 0xff;
	vp_code code = VP_ERR_DB;

	conn->last_rc = rc;
	conn->last_waited = conn->waited_out;
	conn->waited_out = false;
	if (primary == SQLITE_CONSTRAINT)
		code = VP_ERR_CONFLICT;
	if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT)
		return vp_fail(err, VP_ERR_DB, "%s is corrupt or not a SQLite database (%s)",
			       conn->shown, sqlite3_errmsg(conn->db));
	if (primary == SQLITE_READONLY)
		return vp_fail(err, VP_ERR_DB, "%s is read-only (%s): the registry must write",
			       conn->shown, sqlite3_errmsg(conn->db));
	/* Another process holds the lock: a 503 to retry (--registry-wait bounds the wait). */
	if (primary == SQLITE_BUSY)
		return vp_fail(err, VP_ERR_UNAVAILABLE,
			       "%s: %s: the database stayed locked past the busy "
			       "timeout",
			       conn->shown, what);
	return vp_fail(err, code, "%s: %s: %s", conn->shown, what, sqlite3_errmsg(conn->db));
}

/*
 * Wait for the write lock in short steps (0.2 to 2 ms) up to the busy timeout.
 * SQLite's own handler sleeps up to 100 ms at a time, which leaves the lock
 * idle while many writers queue for it. usleep, not vp_clock_sleep_ms: the
 * steps are sub-millisecond (200 us at first, +100 us a try), and rounding
 * them to whole milliseconds would make the first waits 0 (a busy spin) or
 * 5 times longer (docs/registry.md has the figures this tuning gave).
 */
static int busy_wait(void *arg, int tries)
{
	struct vp_db_conn *conn = arg;
	long step_us = 200L + 100L * (tries < 18 ? tries : 18);
	/* Each earlier try slept at most 2 ms: a bound on the time waited so far. */
	if ((long)tries * 2 >= (long)conn->busy_timeout_ms) {
		conn->waited_out = true;
		return 0;
	}
	usleep((useconds_t)step_us);
	return 1;
}

static void sqlite_disconnect(struct vp_db_conn *conn)
{
	if (!conn)
		return;
	for (int i = 0; i < conn->cached; i++)
		sqlite3_finalize(conn->cache[i].stmt);
	sqlite3_close_v2(conn->db);
	free(conn);
}

static vp_code pragma(struct vp_db_conn *conn, const char *sql, const char *expect,
		      struct vp_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(conn->db, sql, -1, &stmt, NULL);
	vp_code code = VP_OK;

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
			const unsigned char *got =
				rc == SQLITE_ROW ? sqlite3_column_text(stmt, 0) : NULL;
			if (expect && (!got || strcmp((const char *)got, expect) != 0))
				code = vp_fail(err, VP_ERR_DB, "%s: '%s' answered '%s', not '%s'",
					       conn->shown, sql, got ? (const char *)got : "",
					       expect);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK)
		code = db_fail(conn, rc, err, sql);
	sqlite3_finalize(stmt);
	return code;
}

static vp_code sqlite_connect(const struct vp_registry_url *url,
			      const struct vp_registry_options *opts, bool first,
			      struct vp_db_conn **out, struct vp_error *err)
{
	struct vp_db_conn *conn = calloc(1, sizeof(*conn));
	vp_code code;
	int rc;

	(void)first;
	if (!conn)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	memcpy(conn->shown, url->shown, sizeof(conn->shown));
	rc = sqlite3_open_v2(url->target, &conn->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		if (!conn->db)
			code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		else
			code = vp_fail(err, VP_ERR_DB, "cannot open %s: %s", url->shown,
				       sqlite3_errmsg(conn->db));
		sqlite_disconnect(conn);
		return code;
	}
	sqlite3_extended_result_codes(conn->db, 1);
	conn->busy_timeout_ms = opts->busy_timeout_ms;
	sqlite3_busy_handler(conn->db, busy_wait, conn);
	if (sqlite3_db_readonly(conn->db, "main") == 1) {
		code = vp_fail(err, VP_ERR_DB, "%s is read-only: the registry must write",
			       url->shown);
		sqlite_disconnect(conn);
		return code;
	}
	/* Reading the schema first tells a corrupt or foreign file apart early. */
	if ((code = pragma(conn, "SELECT count(*) FROM sqlite_master", NULL, err)) != VP_OK ||
	    (code = pragma(conn, "PRAGMA journal_mode = WAL", "wal", err)) != VP_OK ||
	    (code = pragma(conn, "PRAGMA synchronous = FULL", NULL, err)) != VP_OK ||
	    (code = pragma(conn, "PRAGMA foreign_keys = ON", NULL, err)) != VP_OK) {
		sqlite_disconnect(conn);
		return code;
	}
	*out = conn;
	return VP_OK;
}

static sqlite3_stmt *cached(struct vp_db_conn *conn, const char *sql, struct vp_error *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	for (int i = 0; i < conn->cached; i++)
		if (conn->cache[i].sql == sql)
			return conn->cache[i].stmt;
	rc = sqlite3_prepare_v3(conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
	if (rc != SQLITE_OK) {
		db_fail(conn, rc, err, "prepare");
		return NULL;
	}
	if (conn->cached < STMT_CACHE) {
		conn->cache[conn->cached].sql = sql;
		conn->cache[conn->cached].stmt = stmt;
		conn->cached++;
	} else {
		/* Full: replace the oldest. Never happens with the registry's own SQL. */
		sqlite3_finalize(conn->cache[0].stmt);
		memmove(conn->cache, conn->cache + 1, sizeof(conn->cache[0]) * (STMT_CACHE - 1));
		conn->cache[STMT_CACHE - 1].sql = sql;
		conn->cache[STMT_CACHE - 1].stmt = stmt;
	}
	return stmt;
}

static vp_code bind(struct vp_db_conn *conn, sqlite3_stmt *stmt, const struct vp_db_param *params,
		    int nparams, struct vp_error *err)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	for (int i = 0; i < nparams; i++) {
		char name[16];
		int idx, rc;
		snprintf(name, sizeof(name), "$%d", i + 1);
		idx = sqlite3_bind_parameter_index(stmt, name);
		if (idx == 0)
			continue; /* a parameter the statement does not use */
		switch (params[i].type) {
		case VP_DB_INT:
			rc = sqlite3_bind_int64(stmt, idx, params[i].i);
			break;
		case VP_DB_TEXT:
			rc = sqlite3_bind_text(stmt, idx, params[i].s, -1, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_null(stmt, idx);
		}
		if (rc != SQLITE_OK)
			return db_fail(conn, rc, err, "bind");
	}
	return VP_OK;
}

static vp_code sqlite_exec_script(struct vp_db_conn *conn, const char *sql, struct vp_error *err)
{
	int rc = sqlite3_exec(conn->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? VP_OK : db_fail(conn, rc, err, "exec");
}

static vp_code sqlite_exec(struct vp_db_conn *conn, const char *sql,
			   const struct vp_db_param *params, int nparams, int64_t *changes,
			   struct vp_error *err)
{
	sqlite3_stmt *stmt = cached(conn, sql, err);
	vp_code code;
	int rc;

	if (!stmt)
		return VP_ERR_DB;
	if ((code = bind(conn, stmt, params, nparams, err)) != VP_OK)
		return code;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		code = db_fail(conn, rc, err, "write");
		sqlite3_reset(stmt);
		return code;
	}
	if (changes)
		*changes = sqlite3_changes64(conn->db);
	sqlite3_reset(stmt);
	return VP_OK;
}

static vp_code sqlite_query(struct vp_db_conn *conn, const char *sql,
			    const struct vp_db_param *params, int nparams, struct vp_db_rows **rows,
			    struct vp_error *err)
{
	sqlite3_stmt *stmt = cached(conn, sql, err);
	vp_code code;

	if (!stmt)
		return VP_ERR_DB;
	if ((code = bind(conn, stmt, params, nparams, err)) != VP_OK)
		return code;
	conn->rows.conn = conn;
	conn->rows.stmt = stmt;
	*rows = &conn->rows;
	return VP_OK;
}

static int sqlite_next(struct vp_db_rows *rows, struct vp_error *err)
{
	int rc = sqlite3_step(rows->stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	db_fail(rows->conn, rc, err, "read");
	return -1;
}

static bool sqlite_is_null(struct vp_db_rows *rows, int col)
{
	return sqlite3_column_type(rows->stmt, col) == SQLITE_NULL;
}

static int64_t sqlite_get_int(struct vp_db_rows *rows, int col)
{
	return sqlite3_column_int64(rows->stmt, col);
}

static const char *sqlite_get_text(struct vp_db_rows *rows, int col)
{
	const unsigned char *s = sqlite3_column_text(rows->stmt, col);
	return s ? (const char *)s : "";
}

static void sqlite_finish(struct vp_db_rows *rows)
{
	if (rows)
		sqlite3_reset(rows->stmt);
}

static vp_code sqlite_begin(struct vp_db_conn *conn, bool write, enum vp_db_lock lock,
			    struct vp_error *err)
{
	(void)lock; /* BEGIN IMMEDIATE already serialises every writer */
	conn->last_rc = SQLITE_OK;
	conn->waited_out = false;
	return sqlite_exec_script(conn, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static vp_code sqlite_commit(struct vp_db_conn *conn, struct vp_error *err)
{
	return sqlite_exec_script(conn, "COMMIT", err);
}

static void sqlite_rollback(struct vp_db_conn *conn)
{
	if (!sqlite3_get_autocommit(conn->db))
		sqlite3_exec(conn->db, "ROLLBACK", NULL, NULL, NULL);
}

/*
 * Busy without a wait (a snapshot that cannot be upgraded) is worth another
 * try; busy after the handler waited the whole busy timeout is not: another
 * process holds the lock, and five more waits would hold the caller five
 * times as long (issue 14: 55 s for a locked file).
 */
static bool sqlite_retriable(struct vp_db_conn *conn)
{
	return (conn->last_rc & 0xff) == SQLITE_BUSY && !conn->last_waited;
}

const struct vp_db_ops vp_db_sqlite_ops = {
	.name = "sqlite",
	.connect = sqlite_connect,
	.disconnect = sqlite_disconnect,
	.reset = NULL,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.exec_script = sqlite_exec_script,
	.exec_ahead = sqlite_exec_script, /* no round trip to save */
	.exec = sqlite_exec,
	.query = sqlite_query,
	.next = sqlite_next,
	.is_null = sqlite_is_null,
	.get_int = sqlite_get_int,
	.get_text = sqlite_get_text,
	.finish = sqlite_finish,
	.retriable = sqlite_retriable,
	.sql_has_migrations_table =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
		"'schema_migrations'",
	.lock_rows = false,
	.migrations = vp_registry_sqlite_migrations,
};
