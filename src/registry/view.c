/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A registration's reads in one read transaction (vp_registry_register_view):
 * the live record of its key, its account's row and the live namespaces its
 * quota checks count, instead of a transaction for each. The live list is
 * the caller's once returned (vp_registry_register_view_cleanup frees it).
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

static const char SQL_LIVE[] =
	"SELECT id, n, vpc_cidr FROM namespaces WHERE " VP_REGISTRY_LIVE " ORDER BY id";

struct view_ctx {
	const char *account, *client_ref;
	struct vp_registry_register_view *view;
};

/* Every live namespace into view->live (grown as rows come). */
static vp_code read_live(struct vp_registry *reg, struct vp_db_conn *conn,
			 struct vp_registry_register_view *view, struct vp_error *err)
{
	struct vp_db_rows *rows;
	size_t cap = 0;
	int got;
	vp_code code = reg->ops->query(conn, SQL_LIVE, NULL, 0, &rows, err);

	if (code != VP_OK)
		return code;
	while ((got = reg->ops->next(rows, err)) > 0) {
		struct vp_registry_live_ns *ns;
		if (view->live_count == cap) {
			struct vp_registry_live_ns *more;
			cap = cap ? cap * 2 : 256;
			if (!(more = realloc(view->live, cap * sizeof(*more)))) {
				reg->ops->finish(rows);
				return vp_fail(err, VP_ERR_NOMEM, "out of memory");
			}
			view->live = more;
		}
		ns = &view->live[view->live_count++];
		ns->id = reg->ops->get_int(rows, 0);
		ns->n = reg->ops->get_int(rows, 1);
		vp_registry_copy_text(ns->vpc_cidr, sizeof(ns->vpc_cidr),
				      reg->ops->get_text(rows, 2));
	}
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

static vp_code view_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct view_ctx *ctx = ctx_;
	struct vp_registry_register_view *view = ctx->view;
	vp_code code = VP_OK;

	/* A retried attempt starts afresh. */
	vp_registry_register_view_cleanup(view);
	if (ctx->client_ref)
		code = vp_registry_query_live_ref(reg, conn, ctx->account, ctx->client_ref,
						  &view->ns, &view->found, err);
	if (code == VP_OK)
		code = vp_registry_query_account(reg, conn, ctx->account, &view->account,
						 &view->account_found, err);
	if (code == VP_OK && !view->found)
		code = read_live(reg, conn, view, err);
	return code;
}

vp_code vp_registry_register_view(struct vp_registry *reg, const char *account,
				  const char *client_ref, struct vp_registry_register_view *out,
				  struct vp_error *err)
{
	struct view_ctx ctx = {account, client_ref, out};
	vp_code code;

	memset(out, 0, sizeof(*out));
	if ((code = vp_ids_account_check(account, err)) != VP_OK ||
	    (client_ref && (code = vp_ids_client_ref_check(client_ref, err)) != VP_OK))
		return code;
	code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, view_tx, &ctx, err);
	if (code != VP_OK)
		vp_registry_register_view_cleanup(out);
	return code;
}

void vp_registry_register_view_cleanup(struct vp_registry_register_view *view)
{
	if (!view)
		return;
	free(view->live);
	memset(view, 0, sizeof(*view));
}
