/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PostgreSQL backend (libpq): one PGconn per pooled connection, in the
 * default READ COMMITTED isolation with synchronous_commit on. Allocation is
 * serialised by a transaction-scoped advisory lock (pg_advisory_xact_lock),
 * taken before anything is read, so every allocator sees every earlier
 * allocation's commit: correct by construction, no serialization failures to
 * retry. Transitions lock their row (SELECT ... FOR UPDATE) before checking
 * the state. Migrations take another advisory lock so concurrent migrators
 * queue. Notices are swallowed: library code never prints. Statements are
 * prepared once per connection (the SQL is always a static string), and the
 * statements group commit puts between two items (exec_ahead) travel with the
 * next statement in one pipeline (libpq pipeline mode): one round trip for both.
 *
 * No session state (issue 23): settings are per transaction (BEGIN ISOLATION
 * LEVEL ..., SET LOCAL), the only locks are transaction-scoped or rows, so the
 * broker works behind a transaction pooler (PgBouncer pool_mode=transaction,
 * RDS Proxy) where consecutive transactions of one connection may run on
 * different server sessions. A prepared statement is session state too: the
 * first sign of a pooler that does not keep them (a statement "does not
 * exist", or "already exists", on a session another client prepared) turns
 * them off for the process and the transaction runs again unprepared.
 */
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/backend.h"

/* pg_advisory_xact_lock(class, object): 'vpcr' and the purpose. */
#define LOCK_CLASS "1986028402"

/* Set once a pooler showed it does not keep prepared statements: every statement
 * then runs unnamed (parsed each time, but on whatever session the pooler gives). */
static atomic_bool prepare_off;

struct vp_db_rows {
	struct vp_db_conn *conn;
	PGresult *res;
	int row, nrows;
};

/* Statements prepared per connection, keyed by the SQL text's address (always a static string). */
#define STMT_CACHE 48
/* Statements queued by pg_exec_ahead until the next statement is sent. */
#define AHEAD_MAX 4

struct vp_db_conn {
	PGconn *pg;
	char shown[VP_REGISTRY_URL_CAP + 1];
	char sqlstate[6];
	struct vp_db_rows rows;
	const char *prepared[STMT_CACHE]; /* statement "vp<i>" is prepared[i] */
	int nprepared;
	const char *ahead[AHEAD_MAX]; /* sent before the next statement, in this order */
	int nahead;
	/* A statement queued ahead failed: the transaction is not where its caller thinks
	 * (a savepoint may be missing), so nothing but a ROLLBACK may run in it. */
	bool broken;
};

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's messages end with newlines and may hold several lines: one line. */
static void one_line(const char *in, char *out, size_t size)
{
	size_t o = 0;
	for (; *in && o + 1 < size; in++)
		out[o++] = (*in == '\n' || *in == '\r' || *in == '\t') ? ' ' : *in;
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

static vp_code result_fail(struct vp_db_conn *conn, PGresult *res, struct vp_error *err,
			   const char *what)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	char msg[VP_ERROR_MESSAGE_MAX];
	vp_code code = VP_ERR_DB;

	snprintf(conn->sqlstate, sizeof(conn->sqlstate), "%s", state ? state : "");
	/* 26000 a prepared statement this session does not have, 42P05 one it has from
	 * another client: a transaction pooler moved us between server sessions. */
	if (state && (strcmp(state, "26000") == 0 || strcmp(state, "42P05") == 0))
		atomic_store(&prepare_off, true);
	one_line(primary ? primary : PQerrorMessage(conn->pg), msg, sizeof(msg));
	if (state && strncmp(state, "23", 2) == 0)
		code = VP_ERR_CONFLICT;
	if (PQstatus(conn->pg) == CONNECTION_BAD)
		return vp_fail(err, VP_ERR_DB, "%s: lost the connection: %s", conn->shown, msg);
	return vp_fail(err, code, "%s: %s: %s%s%s%s", conn->shown, what, msg,
		       state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

static void pg_disconnect(struct vp_db_conn *conn)
{
	if (!conn)
		return;
	PQfinish(conn->pg);
	free(conn);
}

static vp_code run_simple(struct vp_db_conn *conn, const char *sql, struct vp_error *err)
{
	PGresult *res = PQexec(conn->pg, sql);
	vp_code code = VP_OK;

	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK))
		code = result_fail(conn, res, err, "exec");
	PQclear(res);
	return code;
}

static vp_code pg_connect(const struct vp_registry_url *url, const struct vp_registry_options *opts,
			  bool first, struct vp_db_conn **out, struct vp_error *err)
{
	struct vp_db_conn *conn = calloc(1, sizeof(*conn));
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	char timeout[16], msg[VP_ERROR_MESSAGE_MAX];
	const char *values[4];
	int seconds = opts->busy_timeout_ms / 1000;
	vp_code code;

	(void)first;
	if (!conn)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	memcpy(conn->shown, url->shown, sizeof(conn->shown));
	/* Settings the URL gives win: it comes last ("expand_dbname"). */
	snprintf(timeout, sizeof(timeout), "%d", seconds < 2 ? 2 : seconds > 10 ? 10 : seconds);
	values[0] = timeout;
	values[1] = "vpcpeer";
	values[2] = url->target;
	values[3] = NULL;
	conn->pg = PQconnectdbParams(keys, values, 1);
	if (!conn->pg) {
		free(conn);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		one_line(PQerrorMessage(conn->pg), msg, sizeof(msg));
		code = vp_fail(err, VP_ERR_DB, "cannot connect to %s: %s", url->shown, msg);
		pg_disconnect(conn);
		return code;
	}
	PQsetNoticeProcessor(conn->pg, ignore_notice, NULL);
	/* No SET here: a session's settings do not survive a transaction pooler. Each
	 * transaction sets its own (pg_begin). */
	*out = conn;
	return VP_OK;
}

/* A new session for the connection (PQreset): nothing prepared, nothing queued. */
static vp_code reconnect(struct vp_db_conn *conn, struct vp_error *err)
{
	char msg[VP_ERROR_MESSAGE_MAX];

	PQreset(conn->pg);
	conn->nprepared = 0;
	conn->nahead = 0;
	conn->broken = false;
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		one_line(PQerrorMessage(conn->pg), msg, sizeof(msg));
		return vp_fail(err, VP_ERR_DB, "cannot reconnect to %s: %s", conn->shown, msg);
	}
	PQsetNoticeProcessor(conn->pg, ignore_notice, NULL);
	return VP_OK;
}

static vp_code pg_reset(struct vp_db_conn *conn, struct vp_error *err)
{
	/* A pipeline left half read (a lost server mid-way) also needs a new session. */
	if (PQstatus(conn->pg) == CONNECTION_OK && PQpipelineStatus(conn->pg) == PQ_PIPELINE_OFF)
		return VP_OK;
	return reconnect(conn, err);
}

static vp_code pg_check(struct vp_db_conn *conn, struct vp_error *err)
{
	PGresult *res;
	bool alive;

	if (PQstatus(conn->pg) != CONNECTION_OK || PQpipelineStatus(conn->pg) != PQ_PIPELINE_OFF)
		return reconnect(conn, err);
	res = PQexec(conn->pg, "SELECT 1");
	alive = res && PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return alive ? VP_OK : reconnect(conn, err);
}

static bool pg_lost(struct vp_db_conn *conn)
{
	const char *s = conn->sqlstate;

	/* 08: connection exception; 57P01..57P03: admin shutdown, crash shutdown, cannot
	 * connect now; 57P05 idle session timeout. */
	return PQstatus(conn->pg) == CONNECTION_BAD || strncmp(s, "08", 2) == 0 ||
	       strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 || strcmp(s, "57P03") == 0 ||
	       strcmp(s, "57P05") == 0;
}

/* Send the statements queued ahead on their own (one round trip), in one simple query. */
static vp_code flush_ahead(struct vp_db_conn *conn, struct vp_error *err)
{
	char sql[512];
	size_t len = 0;
	vp_code code;

	for (int i = 0; i < conn->nahead; i++) {
		int w = snprintf(sql + len, sizeof(sql) - len, "%s;", conn->ahead[i]);
		if (w < 0 || (size_t)w >= sizeof(sql) - len)
			return vp_fail(err, VP_ERR_INTERNAL, "statements queued ahead too long");
		len += (size_t)w;
	}
	conn->nahead = 0;
	if (len == 0)
		return VP_OK;
	if ((code = run_simple(conn, sql, err)) != VP_OK)
		conn->broken = true;
	return code;
}

/*
 * The statements queued ahead, then the prepared statement `name` (NULL: sql
 * unnamed), in one
 * pipeline (one round trip). Returns the statement's result, or the first
 * failed queued statement's (the connection is then broken; the statement was
 * not run), or NULL when the connection failed.
 */
static PGresult *run_pipelined(struct vp_db_conn *conn, const char *name, const char *sql,
			       int nparams, const char *const *values)
{
	PGconn *pg = conn->pg;
	PGresult *res, *failed = NULL, *result = NULL;
	int queued = conn->nahead;
	bool sent = PQenterPipelineMode(pg) == 1;

	for (int i = 0; sent && i < queued; i++)
		sent = PQsendQueryParams(pg, conn->ahead[i], 0, NULL, NULL, NULL, NULL, 0) == 1;
	if (name)
		sent = sent && PQsendQueryPrepared(pg, name, nparams, values, NULL, NULL, 0) == 1;
	else
		sent = sent &&
		       PQsendQueryParams(pg, sql, nparams, NULL, values, NULL, NULL, 0) == 1;
	sent = sent && PQpipelineSync(pg) == 1;
	conn->nahead = 0;
	/* Each statement's results end with NULL; the sync's result comes last. */
	for (int i = 0; sent && i <= queued; i++) {
		while ((res = PQgetResult(pg)) != NULL) {
			if (i == queued && !result)
				result = res;
			else if (!failed && PQresultStatus(res) == PGRES_FATAL_ERROR)
				failed = res;
			else
				PQclear(res);
		}
	}
	while (sent && (res = PQgetResult(pg)) != NULL) {
		bool sync = PQresultStatus(res) == PGRES_PIPELINE_SYNC;
		PQclear(res);
		if (sync)
			break;
	}
	if (PQexitPipelineMode(pg) != 1 || !sent || failed) {
		conn->broken = true; /* pg_reset ends a pipeline left open */
		PQclear(result);
		return failed;
	}
	return result;
}

/*
 * Run sql as the connection's prepared statement, preparing it on first use:
 * the server parses and plans it once per session instead of once a call. A
 * failed prepare's result is returned as the statement's (nothing cached);
 * past STMT_CACHE statements, sql runs unprepared.
 */
static PGresult *run_prepared(struct vp_db_conn *conn, const char *sql, int nparams,
			      const char *const *values)
{
	char name[16];
	int slot = -1;

	if (atomic_load(&prepare_off)) {
		if (conn->nahead > 0)
			return run_pipelined(conn, NULL, sql, nparams, values);
		return PQexecParams(conn->pg, sql, nparams, NULL, values, NULL, NULL, 0);
	}
	for (int i = 0; i < conn->nprepared && slot < 0; i++)
		if (conn->prepared[i] == sql)
			slot = i;
	if (slot < 0 && conn->nprepared < STMT_CACHE) {
		PGresult *res;
		if (conn->nahead > 0 && flush_ahead(conn, NULL) != VP_OK)
			return NULL; /* PQerrorMessage says why */
		snprintf(name, sizeof(name), "vp%d", conn->nprepared);
		res = PQprepare(conn->pg, name, sql, nparams, NULL);
		if (!res || PQresultStatus(res) != PGRES_COMMAND_OK)
			return res;
		PQclear(res);
		slot = conn->nprepared++;
		conn->prepared[slot] = sql;
	}
	if (slot < 0 && conn->nahead > 0 && flush_ahead(conn, NULL) != VP_OK)
		return NULL; /* PQerrorMessage says why */
	if (slot < 0)
		return PQexecParams(conn->pg, sql, nparams, NULL, values, NULL, NULL, 0);
	snprintf(name, sizeof(name), "vp%d", slot);
	if (conn->nahead > 0)
		return run_pipelined(conn, name, sql, nparams, values);
	return PQexecPrepared(conn->pg, name, nparams, values, NULL, NULL, 0);
}

static PGresult *run_params(struct vp_db_conn *conn, const char *sql,
			    const struct vp_db_param *params, int nparams)
{
	char ints[VP_DB_MAX_PARAMS][24];
	const char *values[VP_DB_MAX_PARAMS];

	if (nparams > VP_DB_MAX_PARAMS)
		return NULL;
	for (int i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case VP_DB_INT:
			snprintf(ints[i], sizeof(ints[i]), "%lld", (long long)params[i].i);
			values[i] = ints[i];
			break;
		case VP_DB_TEXT:
			values[i] = params[i].s;
			break;
		default:
			values[i] = NULL;
		}
	}
	return run_prepared(conn, sql, nparams, values);
}

static vp_code pg_exec_script(struct vp_db_conn *conn, const char *sql, struct vp_error *err)
{
	vp_code code;

	if ((code = flush_ahead(conn, err)) != VP_OK)
		return code;
	if (conn->broken)
		return vp_fail(
			err, VP_ERR_DB,
			"%s: a statement of the transaction failed: only a rollback can follow",
			conn->shown);
	return run_simple(conn, sql, err);
}

static vp_code pg_exec_ahead(struct vp_db_conn *conn, const char *sql, struct vp_error *err)
{
	vp_code code;

	if (conn->nahead == AHEAD_MAX && (code = flush_ahead(conn, err)) != VP_OK)
		return code;
	conn->ahead[conn->nahead++] = sql;
	return VP_OK;
}

static vp_code pg_exec(struct vp_db_conn *conn, const char *sql, const struct vp_db_param *params,
		       int nparams, int64_t *changes, struct vp_error *err)
{
	PGresult *res = run_params(conn, sql, params, nparams);
	vp_code code = VP_OK;

	if (!res ||
	    (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)) {
		code = result_fail(conn, res, err, "write");
	} else if (changes) {
		const char *tuples = PQcmdTuples(res);
		*changes = tuples && *tuples ? strtoll(tuples, NULL, 10) : 0;
	}
	PQclear(res);
	return code;
}

static vp_code pg_query(struct vp_db_conn *conn, const char *sql, const struct vp_db_param *params,
			int nparams, struct vp_db_rows **rows, struct vp_error *err)
{
	PGresult *res = run_params(conn, sql, params, nparams);
	vp_code code;

	if (!res || PQresultStatus(res) != PGRES_TUPLES_OK) {
		code = result_fail(conn, res, err, "read");
		PQclear(res);
		return code;
	}
	conn->rows.conn = conn;
	conn->rows.res = res;
	conn->rows.row = -1;
	conn->rows.nrows = PQntuples(res);
	*rows = &conn->rows;
	return VP_OK;
}

static int pg_next(struct vp_db_rows *rows, struct vp_error *err)
{
	(void)err;
	if (rows->row + 1 >= rows->nrows)
		return 0;
	rows->row++;
	return 1;
}

static bool pg_is_null(struct vp_db_rows *rows, int col)
{
	return PQgetisnull(rows->res, rows->row, col) != 0;
}

static int64_t pg_get_int(struct vp_db_rows *rows, int col)
{
	return strtoll(PQgetvalue(rows->res, rows->row, col), NULL, 10);
}

static const char *pg_get_text(struct vp_db_rows *rows, int col)
{
	const char *s = PQgetvalue(rows->res, rows->row, col);
	return s ? s : "";
}

static void pg_finish(struct vp_db_rows *rows)
{
	if (!rows)
		return;
	PQclear(rows->res);
	rows->res = NULL;
}

/* Every transaction's settings, none kept by the session (a pooler may change it). */
#define BEGIN_TX                                                                                   \
	"BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL synchronous_commit = on; "                \
	"SET LOCAL client_min_messages = warning"

static vp_code pg_begin(struct vp_db_conn *conn, bool write, enum vp_db_lock lock,
			struct vp_error *err)
{
	vp_code code;

	(void)write;
	conn->sqlstate[0] = '\0';
	conn->nahead = 0;
	conn->broken = false;
	/* BEGIN and the lock in one round trip; a failed lock leaves an aborted transaction. */
	if (lock == VP_DB_LOCK_ALLOCATE)
		code = run_simple(
			conn, BEGIN_TX "; SELECT pg_advisory_xact_lock(" LOCK_CLASS ", 1)", err);
	else if (lock == VP_DB_LOCK_MIGRATE)
		code = run_simple(
			conn, BEGIN_TX "; SELECT pg_advisory_xact_lock(" LOCK_CLASS ", 2)", err);
	else
		code = run_simple(conn, BEGIN_TX, err);
	if (code != VP_OK && PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
		run_simple(conn, "ROLLBACK", NULL);
	return code;
}

static vp_code pg_commit(struct vp_db_conn *conn, struct vp_error *err)
{
	return pg_exec_script(conn, "COMMIT", err);
}

static void pg_rollback(struct vp_db_conn *conn)
{
	conn->nahead = 0;
	conn->broken = false;
	if (PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
		run_simple(conn, "ROLLBACK", NULL);
}

static bool pg_retriable(struct vp_db_conn *conn)
{
	/* 26000/42P05: prepared statements lost to a pooler; now off (result_fail). */
	return strcmp(conn->sqlstate, "40001") == 0 || strcmp(conn->sqlstate, "40P01") == 0 ||
	       strcmp(conn->sqlstate, "26000") == 0 || strcmp(conn->sqlstate, "42P05") == 0;
}

const struct vp_db_ops vp_db_postgres_ops = {
	.name = "postgresql",
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.reset = pg_reset,
	.check = pg_check,
	.lost = pg_lost,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec_script = pg_exec_script,
	.exec_ahead = pg_exec_ahead,
	.exec = pg_exec,
	.query = pg_query,
	.next = pg_next,
	.is_null = pg_is_null,
	.get_int = pg_get_int,
	.get_text = pg_get_text,
	.finish = pg_finish,
	.retriable = pg_retriable,
	.lock_table = true,
	.sql_has_migrations_table =
		"SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
		"AND tablename = 'schema_migrations'",
	.lock_rows = true,
	.writable_cte = true,
	.migrations = vp_registry_postgres_migrations,
};
