/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accounts: one row per AWS account seen, with the peer role whose trust
 * policy holds it and whether the broker granted it there. An allocation
 * creates the row (vp_registry_account_ensure); the grants workflow updates
 * it (vp_registry_account_upsert, with an "account" event).
 */
#include <string.h>

#include "registry/internal.h"

#define ACCOUNT_COLS "account_id, peer_role_arn, granted, created_at, updated_at"

static const char SQL_ACCOUNT_ENSURE[] =
	"INSERT INTO accounts (account_id, created_at, updated_at) VALUES ($1, $2, $2) "
	"ON CONFLICT (account_id) DO NOTHING";
static const char SQL_ACCOUNT_UPSERT[] =
	"INSERT INTO accounts (account_id, peer_role_arn, granted, created_at, updated_at) "
	"VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id) DO UPDATE SET "
	"peer_role_arn = excluded.peer_role_arn, granted = excluded.granted, "
	"updated_at = excluded.updated_at RETURNING " ACCOUNT_COLS;
/* The same, only while the row has not changed since $5 (compare-and-set): no row back when
 * it has. */
static const char SQL_ACCOUNT_UPSERT_SINCE[] =
	"INSERT INTO accounts (account_id, peer_role_arn, granted, created_at, updated_at) "
	"VALUES ($1, $2, $3, $4, $4) ON CONFLICT (account_id) DO UPDATE SET "
	"peer_role_arn = excluded.peer_role_arn, granted = excluded.granted, "
	"updated_at = excluded.updated_at WHERE accounts.updated_at < $5 RETURNING " ACCOUNT_COLS;
static const char SQL_ACCOUNT_GET[] = "SELECT " ACCOUNT_COLS " FROM accounts WHERE account_id = $1";
static const char SQL_ACCOUNT_LIST[] =
	"SELECT " ACCOUNT_COLS " FROM accounts WHERE account_id > $1 ORDER BY account_id LIMIT $2";

static void read_account(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct vp_account_record *rec = out;

	memset(rec, 0, sizeof(*rec));
	vp_registry_copy_text(rec->account, sizeof(rec->account), ops->get_text(rows, 0));
	vp_registry_copy_text(rec->peer_role_arn, sizeof(rec->peer_role_arn),
			      ops->get_text(rows, 1));
	rec->granted = ops->get_int(rows, 2) != 0;
	rec->created_at = ops->get_int(rows, 3);
	rec->updated_at = ops->get_int(rows, 4);
}

vp_code vp_registry_account_ensure(struct vp_registry *reg, struct vp_db_conn *conn,
				   const char *account, int64_t at, struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(account), VP_DB_INT_PARAM(at)};
	return reg->ops->exec(conn, SQL_ACCOUNT_ENSURE, p, 2, NULL, err);
}

struct account_ctx {
	const char *account, *arn, *request_id;
	bool granted;
	int64_t since; /* > 0: only while the row is unchanged since then */
	struct vp_account_record rec;
	bool found;
};

static vp_code account_upsert_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
				 struct vp_error *err)
{
	struct account_ctx *ctx = ctx_;
	int64_t at = vp_registry_now(reg);
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(ctx->account), VP_DB_TEXT_PARAM(ctx->arn),
				  VP_DB_INT_PARAM(ctx->granted ? 1 : 0), VP_DB_INT_PARAM(at),
				  VP_DB_INT_PARAM(ctx->since)};
	bool found = false;
	vp_code code = vp_registry_query_row(
		reg, conn, ctx->since > 0 ? SQL_ACCOUNT_UPSERT_SINCE : SQL_ACCOUNT_UPSERT, p,
		ctx->since > 0 ? 5 : 4, read_account, &ctx->rec, &found, err);

	if (code != VP_OK)
		return code;
	if (!found && ctx->since > 0)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "lost race: account %s changed since %lld: not updated",
			       ctx->account, (long long)ctx->since);
	if (!found)
		return vp_fail(err, VP_ERR_INTERNAL, "upsert returned no row");
	return vp_registry_add_event_json(
		reg, conn, at, 0, ctx->account, "account",
		json_pack("{ss sb}", "peer_role_arn", ctx->arn, "granted", ctx->granted),
		ctx->request_id, err);
}

vp_code vp_registry_account_upsert(struct vp_registry *reg, const char *account,
				   const char *peer_role_arn, bool granted, const char *request_id,
				   struct vp_account_record *out, struct vp_error *err)
{
	return vp_registry_account_upsert_since(reg, account, peer_role_arn, granted, request_id, 0,
						out, err);
}

vp_code vp_registry_account_upsert_since(struct vp_registry *reg, const char *account,
					 const char *peer_role_arn, bool granted,
					 const char *request_id, int64_t unchanged_since,
					 struct vp_account_record *out, struct vp_error *err)
{
	struct account_ctx ctx = {.since = unchanged_since,
				  .account = account,
				  .arn = peer_role_arn ? peer_role_arn : "",
				  .request_id = request_id ? request_id : "",
				  .granted = granted};
	const struct vp_registry_field fields[] = {
		{peer_role_arn, VP_REGISTRY_ARN_MAX, "peer role ARN"},
		{request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id"},
	};
	vp_code code;

	if ((code = vp_ids_account_check(account, err)) != VP_OK ||
	    (code = vp_registry_check_fields(fields, 2, err)) != VP_OK)
		return code;
	code = vp_registry_run_tx(reg, true, VP_DB_LOCK_NONE, account_upsert_tx, &ctx, err);
	if (code == VP_OK && out)
		*out = ctx.rec;
	return code;
}

vp_code vp_registry_query_account(struct vp_registry *reg, struct vp_db_conn *conn,
				  const char *account, struct vp_account_record *out, bool *found,
				  struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_TEXT_PARAM(account)};
	return vp_registry_query_row(reg, conn, SQL_ACCOUNT_GET, p, 1, read_account, out, found,
				     err);
}

static vp_code account_get_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			      struct vp_error *err)
{
	struct account_ctx *ctx = ctx_;
	return vp_registry_query_account(reg, conn, ctx->account, &ctx->rec, &ctx->found, err);
}

vp_code vp_registry_account_get(struct vp_registry *reg, const char *account,
				struct vp_account_record *out, struct vp_error *err)
{
	struct account_ctx ctx = {.account = account};
	vp_code code = vp_ids_account_check(account, err);

	if (code == VP_OK)
		code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, account_get_tx, &ctx, err);
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
	struct vp_registry_page page = {
		.sql = SQL_ACCOUNT_LIST,
		.params = {VP_DB_TEXT_PARAM(after ? after : ""), VP_DB_INT_PARAM((int64_t)max)},
		.nparams = 2,
		.size = sizeof(*out),
		.read_row = read_account,
	};
	vp_code code;

	/* The page size first, then the cursor (vp_registry_read_page checks the size again). */
	if ((code = vp_registry_check_page(max, err)) != VP_OK ||
	    (code = vp_registry_check_field(after, VP_IDS_ACCOUNT_LEN, "account cursor", err)) !=
		    VP_OK)
		return code;
	return vp_registry_read_page(reg, &page, out, max, count, NULL, err);
}
