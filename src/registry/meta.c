/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Facts about the registry itself (table registry_meta): its id.
 */
#include <string.h>

#include "registry/internal.h"

static const char SQL_META_ID[] = "SELECT value FROM registry_meta WHERE key = 'id'";

static void read_id(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	vp_registry_copy_text(out, VP_REGISTRY_ID_MAX + 1, ops->get_text(rows, 0));
}

struct id_ctx {
	char id[VP_REGISTRY_ID_MAX + 1];
	bool found;
};

static vp_code id_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		     struct vp_error *err)
{
	struct id_ctx *ctx = ctx_;
	return vp_registry_query_row(reg, conn, SQL_META_ID, NULL, 0, read_id, ctx->id, &ctx->found,
				     err);
}

vp_code vp_registry_id(struct vp_registry *reg, char out[VP_REGISTRY_ID_MAX + 1],
		       struct vp_error *err)
{
	struct id_ctx ctx = {.found = false};
	vp_code code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, id_tx, &ctx, err);

	if (code == VP_OK && (!ctx.found || !ctx.id[0]))
		code = vp_fail(err, VP_ERR_INTERNAL,
			       "the registry has no id (registry_meta): run `vpcpeer db migrate`");
	if (code == VP_OK)
		memcpy(out, ctx.id, sizeof(ctx.id));
	return code;
}
