/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading rows, for every file of the registry: a namespace record from its
 * columns, the first row or the first integer of a query, and paged reads
 * (one read-only transaction, its rows copied out through a scratch array).
 */
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

void vp_registry_copy_text(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void vp_registry_read_namespace(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct vp_namespace_record *rec = out;
	enum vp_ns_state state = VP_NS_RELEASED;

	memset(rec, 0, sizeof(*rec));
	rec->id = ops->get_int(rows, 0);
	rec->n = ops->get_int(rows, 1);
	vp_registry_copy_text(rec->account, sizeof(rec->account), ops->get_text(rows, 2));
	vp_registry_copy_text(rec->client_ref, sizeof(rec->client_ref), ops->get_text(rows, 3));
	/* The CHECK constraint allows only the five names. */
	vp_ignore(vp_registry_state_parse(ops->get_text(rows, 4), &state, NULL));
	rec->state = state;
	vp_registry_copy_text(rec->vpc_cidr, sizeof(rec->vpc_cidr), ops->get_text(rows, 5));
	vp_registry_copy_text(rec->peer_role_arn, sizeof(rec->peer_role_arn),
			      ops->get_text(rows, 6));
	vp_registry_copy_text(rec->vpc_id, sizeof(rec->vpc_id), ops->get_text(rows, 7));
	vp_registry_copy_text(rec->peering_id, sizeof(rec->peering_id), ops->get_text(rows, 8));
	vp_registry_copy_text(rec->labels, sizeof(rec->labels), ops->get_text(rows, 9));
	rec->created_at = ops->get_int(rows, 10);
	rec->updated_at = ops->get_int(rows, 11);
	rec->expires_at = ops->get_int(rows, 12);
	rec->released_at = ops->get_int(rows, 13);
	vp_registry_copy_text(rec->request_id, sizeof(rec->request_id), ops->get_text(rows, 14));
	vp_registry_copy_text(rec->principal, sizeof(rec->principal), ops->get_text(rows, 15));
}

vp_code vp_registry_query_row(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			      const struct vp_db_param *params, int nparams,
			      vp_registry_row_fn read_row, void *out, bool *found,
			      struct vp_error *err)
{
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, sql, params, nparams, &rows, err);
	int got;

	if (code != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0)
		read_row(reg->ops, rows, out);
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	*found = got > 0;
	return VP_OK;
}

static void read_int(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	*(int64_t *)out = ops->get_int(rows, 0);
}

vp_code vp_registry_query_int(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
			      const struct vp_db_param *params, int nparams, int64_t *value,
			      bool *found, struct vp_error *err)
{
	bool row = false;
	vp_code code =
		vp_registry_query_row(reg, conn, sql, params, nparams, read_int, value, &row, err);

	if (code != VP_OK)
		return code;
	if (found)
		*found = row;
	else if (!row)
		return vp_fail(err, VP_ERR_INTERNAL, "a count query returned no row");
	return VP_OK;
}

vp_code vp_registry_check_page(size_t max, struct vp_error *err)
{
	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	return VP_OK;
}

struct page_ctx {
	const struct vp_registry_page *page;
	unsigned char *scratch;
	size_t max, count; /* max: rows the scratch array holds */
};

static vp_code page_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
		       struct vp_error *err)
{
	struct page_ctx *ctx = ctx_;
	const struct vp_registry_page *page = ctx->page;
	struct vp_db_rows *rows;
	vp_code code = reg->ops->query(conn, page->sql, page->params, page->nparams, &rows, err);
	int got = 0;

	if (code != VP_OK)
		return code;
	ctx->count = 0;
	while (ctx->count < ctx->max && (got = reg->ops->next(rows, err)) > 0)
		page->read_row(reg->ops, rows, ctx->scratch + page->size * ctx->count++);
	reg->ops->finish(rows);
	return got < 0 ? (err ? err->code : VP_ERR_DB) : VP_OK;
}

vp_code vp_registry_read_page(struct vp_registry *reg, const struct vp_registry_page *page,
			      void *out, size_t max, size_t *count, bool *more,
			      struct vp_error *err)
{
	/* One more row than asked tells whether another page follows. */
	struct page_ctx ctx = {.page = page, .max = more ? max + 1 : max};
	vp_code code;

	if ((code = vp_registry_check_page(max, err)) != VP_OK)
		return code;
	if (!(ctx.scratch = calloc(ctx.max, page->size)))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_run_tx(reg, false, VP_DB_LOCK_NONE, page_tx, &ctx, err);
	if (code == VP_OK) {
		size_t n = ctx.count > max ? max : ctx.count;
		memcpy(out, ctx.scratch, n * page->size);
		*count = n;
		if (more)
			*more = ctx.count > max;
	}
	free(ctx.scratch);
	return code;
}
