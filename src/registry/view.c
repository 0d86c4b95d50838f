/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A registration's reads in one read transaction (vp_registry_register_view):
 * the live record of its key, its account's row and the counts its quota
 * checks need, instead of a transaction for each. Counts, not records: a
 * register reads a few integers however many namespaces are live.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

/*
 * The live namespaces that count toward a quota: every live record but a
 * pending one whose TTL has passed (expires_at <= now; 0 is never). $1 the
 * account, $2 now, $3 the rank's record id (0: none).
 */
static const char SQL_COUNTS[] =
	"SELECT count(*),"
	" coalesce(sum(CASE WHEN account_id = $1 THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN id <= $3 THEN 1 ELSE 0 END), 0),"
	" coalesce(sum(CASE WHEN account_id = $1 AND id <= $3 THEN 1 ELSE 0 END), 0)"
	" FROM namespaces WHERE " VP_REGISTRY_LIVE
	" AND NOT (state = 'pending' AND expires_at > 0 AND expires_at <= $2)";

struct view_ctx {
	const char *account, *client_ref;
	int64_t rank_id;
	struct vp_registry_register_view *view;
};

struct counts {
	int64_t v[4];
};

static void read_counts(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct counts *c = out;
	for (int i = 0; i < 4; i++)
		c->v[i] = ops->get_int(rows, i);
}

static vp_code read_quota_counts(struct vp_registry *reg, struct vp_db_conn *conn,
				 const struct view_ctx *ctx, struct vp_error *err)
{
	struct vp_db_param p[3] = {VP_DB_TEXT_PARAM(ctx->account),
				   VP_DB_INT_PARAM(vp_registry_now(reg)),
				   VP_DB_INT_PARAM(ctx->rank_id)};
	struct counts c = {{0}};
	bool found = false;
	vp_code code =
		vp_registry_query_row(reg, conn, SQL_COUNTS, p, 3, read_counts, &c, &found, err);

	if (code != VP_OK)
		return code;
	ctx->view->live_count = c.v[0];
	ctx->view->account_live_count = c.v[1];
	ctx->view->rank = ctx->rank_id > 0 ? c.v[2] : 0;
	ctx->view->account_rank = ctx->rank_id > 0 ? c.v[3] : 0;
	return VP_OK;
}

static vp_code view_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct view_ctx *ctx = ctx_;
	struct vp_registry_register_view *view = ctx->view;
	vp_code code = VP_OK;

	/* A retried attempt starts afresh. */
	memset(view, 0, sizeof(*view));
	if (ctx->client_ref)
		code = vp_registry_query_live_ref(reg, conn, ctx->account, ctx->client_ref,
						  &view->ns, &view->found, err);
	if (code == VP_OK)
		code = vp_registry_query_account(reg, conn, ctx->account, &view->account,
						 &view->account_found, err);
	if (code == VP_OK && !view->found)
		code = read_quota_counts(reg, conn, ctx, err);
	return code;
}

vp_code vp_registry_register_view(struct vp_registry *reg, const char *account,
				  const char *client_ref, int64_t rank_id,
				  struct vp_registry_register_view *out, struct vp_error *err)
{
	struct vp_registry_register_view *view = calloc(1, sizeof(*view));
	struct view_ctx ctx = {account, client_ref, rank_id, view};
	vp_code code;

	if (!view)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if ((code = vp_ids_account_check(account, err)) == VP_OK &&
	    (!client_ref || (code = vp_ids_client_ref_check(client_ref, err)) == VP_OK) &&
	    (code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, view_tx, &ctx, err)) == VP_OK)
		*out = *view;
	free(view);
	return code;
}

int64_t vp_registry_time_now(const struct vp_registry *reg)
{
	return vp_registry_now(reg);
}
