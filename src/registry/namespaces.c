/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Namespace records after allocation (allocate.c creates them): get, find,
 * list, counts, and every change: the state machine's compare-and-set
 * (vp_registry_transition), the peer role, confirm's intent. Each change
 * writes its event in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

static const char SQL_FIND_LIVE_REF[] =
	"SELECT " VP_REGISTRY_NS_COLS " FROM namespaces "
	"WHERE account_id = $1 AND client_ref = $2 AND " VP_REGISTRY_LIVE;
static const char SQL_GET_LIVE_N[] =
	"SELECT " VP_REGISTRY_NS_COLS " FROM namespaces WHERE n = $1 AND " VP_REGISTRY_LIVE;
static const char SQL_GET_LIVE_N_LOCK[] =
	"SELECT " VP_REGISTRY_NS_COLS " FROM namespaces WHERE n = $1 AND " VP_REGISTRY_LIVE
	" FOR UPDATE";
static const char SQL_GET_LAST_N[] =
	"SELECT " VP_REGISTRY_NS_COLS " FROM namespaces WHERE n = $1 ORDER BY id DESC LIMIT 1";
static const char SQL_TRANSITION[] =
	"UPDATE namespaces SET state = $2, updated_at = $3, request_id = $4, "
	"peering_id = COALESCE($5, peering_id), vpc_id = COALESCE($6, vpc_id), "
	"peer_role_arn = COALESCE($7, peer_role_arn), expires_at = $8, released_at = $9 "
	"WHERE id = $1 AND state = $10 RETURNING " VP_REGISTRY_NS_COLS;
static const char SQL_LIST[] =
	"SELECT " VP_REGISTRY_NS_COLS
	" FROM namespaces WHERE id > $1 AND ($2 = '' OR account_id = $2) AND "
	"($3 = 0 OR (state = 'pending' AND ($3 & 1) <> 0) OR (state = 'active' AND ($3 & 2) <> 0) "
	"OR (state = 'failed' AND ($3 & 4) <> 0) OR (state = 'releasing' AND ($3 & 8) <> 0) "
	"OR (state = 'released' AND ($3 & 16) <> 0)) ORDER BY id LIMIT $4";
static const char SQL_EXPIRED[] = "SELECT " VP_REGISTRY_NS_COLS
				  " FROM namespaces WHERE state = 'pending' AND expires_at > 0 AND "
				  "expires_at <= $1 ORDER BY expires_at, n LIMIT $2";
static const char SQL_COUNT_LIVE[] = "SELECT count(*) FROM namespaces WHERE " VP_REGISTRY_LIVE;
static const char SQL_COUNT_LIVE_ACCOUNT[] =
	"SELECT count(*) FROM namespaces WHERE account_id = $1 AND " VP_REGISTRY_LIVE;
static const char SQL_COUNT_STATES[] =
	"SELECT state, count(*) FROM namespaces WHERE " VP_REGISTRY_LIVE " GROUP BY state";
static const char SQL_SET_PEER_ROLE[] =
	"UPDATE namespaces SET peer_role_arn = $2, updated_at = $3, request_id = $4 "
	"WHERE n = $1 AND " VP_REGISTRY_LIVE " RETURNING " VP_REGISTRY_NS_COLS;
/* Bookkeeping, not a change a client sees: updated_at and request_id stay (the event has them). */
static const char SQL_SET_INTENT[] =
	"UPDATE namespaces SET peering_id = $2, vpc_id = $3 "
	"WHERE n = $1 AND state = 'pending' RETURNING " VP_REGISTRY_NS_COLS;

/* Compare-and-clear: only the intent naming $2 (a newer confirm's stays). */
static const char SQL_CLEAR_INTENT[] =
	"UPDATE namespaces SET peering_id = '', vpc_id = '' "
	"WHERE n = $1 AND state = 'pending' AND peering_id = $2 RETURNING " VP_REGISTRY_NS_COLS;

/* One namespace record or none: *found says which. */
static vp_code query_record(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			    const struct vp_db_param *params, int nparams,
			    struct vp_namespace_record *rec, bool *found, struct vp_error *err)
{
	return vp_registry_query_row(reg, conn, sql, params, nparams, vp_registry_read_namespace,
				     rec, found, err);
}

vp_code vp_registry_query_live_ref(struct vp_registry *reg, struct vp_db_conn *conn,
				   const char *account, const char *client_ref,
				   struct vp_namespace_record *out, bool *found,
				   struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(account), VP_DB_TEXT_PARAM(client_ref)};
	return query_record(reg, conn, SQL_FIND_LIVE_REF, p, 2, out, found, err);
}

/*
 * The inputs of a call on one namespace record (each call sets its own) and the
 * record its transaction reads or writes, on the heap: a record is about 4 KiB.
 */
struct record_ctx {
	int64_t n;
	int64_t id;                              /* transition: the record read earlier, or 0 */
	const char *account, *client_ref;        /* find */
	unsigned from;                           /* transition */
	enum vp_ns_state to;                     /* transition */
	const struct vp_registry_change *change; /* transition */
	const char *peer_role_arn;               /* set_peer_role */
	const char *peering_id, *vpc_id;         /* set_intent */
	const char *request_id;
	struct vp_namespace_record *rec;
};

/* Run fn in a transaction with ctx->rec allocated; *out (may be NULL) gets the record when
 * fn succeeds, and is left untouched otherwise. */
static vp_code run_record(struct vp_registry *reg, bool write, vp_registry_tx_fn fn,
			  struct record_ctx *ctx, struct vp_namespace_record *out,
			  struct vp_error *err)
{
	vp_code code;

	if (!(ctx->rec = calloc(1, sizeof(*ctx->rec))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_run_tx(reg, write, VP_DB_LOCK_NONE, fn, ctx, err);
	if (code == VP_OK && out)
		*out = *ctx->rec;
	free(ctx->rec);
	return code;
}

/* ---- reads ---- */

static vp_code get_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		      struct vp_error *err)
{
	struct record_ctx *ctx = ctx_;
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n)};
	bool found = false;
	vp_code code = query_record(reg, conn, SQL_GET_LIVE_N, p, 1, ctx->rec, &found, err);

	if (code == VP_OK && !found)
		code = query_record(reg, conn, SQL_GET_LAST_N, p, 1, ctx->rec, &found, err);
	if (code == VP_OK && !found)
		code = vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld has no record",
			       (long long)ctx->n);
	return code;
}

vp_code vp_registry_get(struct vp_registry *reg, int64_t n, struct vp_namespace_record *out,
			struct vp_error *err)
{
	struct record_ctx ctx = {.n = n};
	return run_record(reg, false, get_tx, &ctx, out, err);
}

static vp_code find_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct record_ctx *ctx = ctx_;
	bool found = false;
	vp_code code = vp_registry_query_live_ref(reg, conn, ctx->account, ctx->client_ref,
						  ctx->rec, &found, err);

	if (code == VP_OK && !found)
		code = vp_fail(err, VP_ERR_NOT_FOUND,
			       "account %s has no live namespace for client_ref '%.64s'",
			       ctx->account, ctx->client_ref);
	return code;
}

vp_code vp_registry_find(struct vp_registry *reg, const char *account, const char *client_ref,
			 struct vp_namespace_record *out, struct vp_error *err)
{
	struct record_ctx ctx = {.account = account, .client_ref = client_ref};
	vp_code code;

	if ((code = vp_ids_account_check(account, err)) != VP_OK ||
	    (code = vp_ids_client_ref_check(client_ref, err)) != VP_OK)
		return code;
	return run_record(reg, false, find_tx, &ctx, out, err);
}

vp_code vp_registry_list(struct vp_registry *reg, const struct vp_registry_filter *filter,
			 struct vp_namespace_record *out, size_t max, size_t *count,
			 int64_t *next_cursor, struct vp_error *err)
{
	const char *account = filter && filter->account ? filter->account : "";
	struct vp_registry_page page = {
		.sql = SQL_LIST,
		.params = {VP_DB_INT_PARAM(filter ? filter->after_id : 0),
			   VP_DB_TEXT_PARAM(account),
			   VP_DB_INT_PARAM(filter ? (int64_t)(filter->states & VP_NS_STATES_ALL)
						  : 0),
			   /* One more than asked tells whether another page follows. */
			   VP_DB_INT_PARAM((int64_t)max + 1)},
		.nparams = 4,
		.size = sizeof(*out),
		.read_row = vp_registry_read_namespace,
	};
	bool more = false;
	vp_code code;

	if (*account && (code = vp_ids_account_check(account, err)) != VP_OK)
		return code;
	code = vp_registry_read_page(reg, &page, out, max, count, &more, err);
	if (code == VP_OK && next_cursor)
		*next_cursor = more ? out[*count - 1].id : 0;
	return code;
}

vp_code vp_registry_list_expired(struct vp_registry *reg, struct vp_namespace_record *out,
				 size_t max, size_t *count, struct vp_error *err)
{
	struct vp_registry_page page = {
		.sql = SQL_EXPIRED,
		.params = {VP_DB_INT_PARAM(vp_registry_now(reg)), VP_DB_INT_PARAM((int64_t)max)},
		.nparams = 2,
		.size = sizeof(*out),
		.read_row = vp_registry_read_namespace,
	};

	return vp_registry_read_page(reg, &page, out, max, count, NULL, err);
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
	return vp_registry_query_int(reg, conn, ctx->sql, p, ctx->account ? 1 : 0, &ctx->count,
				     NULL, err);
}

vp_code vp_registry_count_live(struct vp_registry *reg, int64_t *count, struct vp_error *err)
{
	struct count_ctx ctx = {SQL_COUNT_LIVE, NULL, 0};
	vp_code code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, count_tx, &ctx, err);
	if (code == VP_OK)
		*count = ctx.count;
	return code;
}

vp_code vp_registry_count_live_account(struct vp_registry *reg, const char *account, int64_t *count,
				       struct vp_error *err)
{
	struct count_ctx ctx = {SQL_COUNT_LIVE_ACCOUNT, account, 0};
	vp_code code = vp_ids_account_check(account, err);

	if (code == VP_OK)
		code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, count_tx, &ctx, err);
	if (code == VP_OK)
		*count = ctx.count;
	return code;
}

/* ---- transitions ---- */

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
	struct record_ctx *ctx = ctx_;
	const struct vp_registry_change *change = ctx->change;
	struct vp_namespace_record cur;
	char detail[VP_REGISTRY_DETAIL_MAX + 1], expected[64];
	int64_t at = vp_registry_now(reg);
	bool found = false;
	vp_code code;
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
	/* Compare-and-set on the record: a snapshot of an older record holding n never
	 * acts on the one that holds it now. */
	if (ctx->id && cur.id != ctx->id)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "lost race: namespace %lld's record %lld is no longer the one read "
			       "(%lld): not moved to %s",
			       (long long)ctx->n, (long long)cur.id, (long long)ctx->id,
			       vp_registry_state_name(ctx->to));
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
	code = vp_registry_json_text(change ? change->detail : NULL, extra, VP_REGISTRY_DETAIL_MAX,
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
	if ((code = query_record(reg, conn, SQL_TRANSITION, p, 10, ctx->rec, &found, err)) != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld changed state concurrently",
			       (long long)ctx->n);
	if (ctx->to == VP_NS_RELEASED) {
		if ((code = vp_registry_quarantine(reg, conn, cur.n, at, err)) != VP_OK)
			return code;
	}
	return vp_registry_add_event(reg, conn, at, cur.n, cur.account,
				     vp_registry_state_name(ctx->to), detail, ctx->request_id, err);
}

vp_code vp_registry_transition(struct vp_registry *reg, int64_t n, unsigned from,
			       enum vp_ns_state to, const struct vp_registry_change *change,
			       const char *request_id, struct vp_namespace_record *out,
			       struct vp_error *err)
{
	return vp_registry_transition_record(reg, n, 0, from, to, change, request_id, out, err);
}

vp_code vp_registry_transition_record(struct vp_registry *reg, int64_t n, int64_t id, unsigned from,
				      enum vp_ns_state to, const struct vp_registry_change *change,
				      const char *request_id, struct vp_namespace_record *out,
				      struct vp_error *err)
{
	struct record_ctx ctx = {.n = n,
				 .id = id,
				 .from = from,
				 .to = to,
				 .change = change,
				 .request_id = request_id ? request_id : ""};
	const struct vp_registry_field fields[] = {
		{request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id"},
		{change ? change->peering_id : NULL, VP_AWS_ID_MAX, "peering connection id"},
		{change ? change->vpc_id : NULL, VP_AWS_ID_MAX, "VPC id"},
		{change ? change->peer_role_arn : NULL, VP_REGISTRY_ARN_MAX, "peer role ARN"},
	};
	vp_code code;

	if ((unsigned)to >= VP_NS_STATE_COUNT)
		return vp_fail(err, VP_ERR_INVALID, "unknown target state %d", (int)to);
	if ((code = vp_registry_check_fields(fields, 4, err)) != VP_OK)
		return code;
	return run_record(reg, true, transition_tx, &ctx, out, err);
}

/* ---- peer role of a namespace, counts by state ---- */

static vp_code peer_role_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			    struct vp_error *err)
{
	struct record_ctx *ctx = ctx_;
	int64_t at = vp_registry_now(reg);
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n), VP_DB_TEXT_PARAM(ctx->peer_role_arn),
				  VP_DB_INT_PARAM(at), VP_DB_TEXT_PARAM(ctx->request_id)};
	bool found = false;
	vp_code code = query_record(reg, conn, SQL_SET_PEER_ROLE, p, 4, ctx->rec, &found, err);

	if (code != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld has no live record",
			       (long long)ctx->n);
	return vp_registry_add_event_json(reg, conn, at, ctx->n, ctx->rec->account, "peer_role",
					  json_pack("{ss}", "peer_role_arn", ctx->peer_role_arn),
					  ctx->request_id, err);
}

vp_code vp_registry_set_peer_role(struct vp_registry *reg, int64_t n, const char *peer_role_arn,
				  const char *request_id, struct vp_namespace_record *out,
				  struct vp_error *err)
{
	struct record_ctx ctx = {
		.n = n, .peer_role_arn = peer_role_arn, .request_id = request_id ? request_id : ""};
	const struct vp_registry_field fields[] = {
		{peer_role_arn, VP_REGISTRY_ARN_MAX, "peer role ARN"},
		{request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id"},
	};
	vp_code code;

	if (!peer_role_arn)
		return vp_fail(err, VP_ERR_INVALID, "missing peer role ARN");
	if ((code = vp_registry_check_fields(fields, 2, err)) != VP_OK)
		return code;
	return run_record(reg, true, peer_role_tx, &ctx, out, err);
}

/* ---- confirm's intent (peering and VPC recorded before the hub routes) ---- */

static vp_code intent_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			 struct vp_error *err)
{
	struct record_ctx *ctx = ctx_;
	bool clear = !ctx->vpc_id; /* vp_registry_clear_intent */
	struct vp_db_param p[] = {VP_DB_INT_PARAM(ctx->n), VP_DB_TEXT_PARAM(ctx->peering_id),
				  VP_DB_TEXT_PARAM(clear ? "" : ctx->vpc_id)};
	bool found = false;
	vp_code code = query_record(reg, conn, clear ? SQL_CLEAR_INTENT : SQL_SET_INTENT, p,
				    clear ? 2 : 3, ctx->rec, &found, err);

	if (code != VP_OK)
		return code;
	if (!found && clear)
		return VP_OK; /* another intent, or no longer pending: nothing of ours to clear */
	if (!found)
		return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld has no pending record",
			       (long long)ctx->n);
	return vp_registry_add_event_json(
		reg, conn, vp_registry_now(reg), ctx->n, ctx->rec->account,
		clear ? "intent_cleared" : "intent",
		clear ? json_pack("{ss}", "peering_id", ctx->peering_id)
		      : json_pack("{ss ss}", "peering_id", ctx->peering_id, "vpc_id", ctx->vpc_id),
		ctx->request_id, err);
}

vp_code vp_registry_set_intent(struct vp_registry *reg, int64_t n, const char *peering_id,
			       const char *vpc_id, const char *request_id,
			       struct vp_namespace_record *out, struct vp_error *err)
{
	struct record_ctx ctx = {.n = n,
				 .peering_id = peering_id,
				 .vpc_id = vpc_id,
				 .request_id = request_id ? request_id : ""};
	const struct vp_registry_field fields[] = {
		{peering_id, VP_AWS_ID_MAX, "peering id"},
		{vpc_id, VP_AWS_ID_MAX, "VPC id"},
		{request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id"},
	};
	vp_code code;

	if (!peering_id || !vpc_id || !*peering_id || !*vpc_id)
		return vp_fail(err, VP_ERR_INVALID, "missing peering or VPC id");
	if ((code = vp_registry_check_fields(fields, 3, err)) != VP_OK)
		return code;
	return run_record(reg, true, intent_tx, &ctx, out, err);
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
	vp_code code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, count_states_tx, tmp, err);

	if (code == VP_OK)
		memcpy(counts, tmp, sizeof(tmp));
	return code;
}

vp_code vp_registry_clear_intent(struct vp_registry *reg, int64_t n, const char *peering_id,
				 const char *request_id, struct vp_error *err)
{
	struct record_ctx ctx = {.n = n,
				 .peering_id = peering_id,
				 .vpc_id = NULL,
				 .request_id = request_id ? request_id : ""};
	const struct vp_registry_field fields[] = {
		{peering_id, VP_AWS_ID_MAX, "peering id"},
		{request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id"},
	};
	vp_code code;

	if (!peering_id || !*peering_id)
		return vp_fail(err, VP_ERR_INVALID, "missing peering id");
	if ((code = vp_registry_check_fields(fields, 2, err)) != VP_OK)
		return code;
	return run_record(reg, true, intent_tx, &ctx, NULL, err);
}
