/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Adoption: the live record of n re-created, active, for a peering the
 * registry has lost (a registry restored from an older backup: the broker's
 * tags on the peering say which registry and which n it belongs to;
 * docs/reconciler.md, "Adoption"). One write transaction checks that nothing
 * live holds n, the peering or the key, takes n out of the free list and the
 * quarantine, inserts the record and writes its "adopted" event, so a crash
 * leaves all of it or none, and no allocation can hand n out meanwhile.
 */
#include <stdlib.h>

#include "registry/internal.h"

static const char SQL_LIVE_N[] =
	"SELECT " VP_REGISTRY_NS_COLS " FROM namespaces WHERE n = $1 AND " VP_REGISTRY_LIVE;
static const char SQL_LIVE_PEERING[] =
	"SELECT " VP_REGISTRY_NS_COLS
	" FROM namespaces WHERE peering_id = $1 AND " VP_REGISTRY_LIVE;
static const char SQL_ADOPT_INSERT[] =
	"INSERT INTO namespaces (n, account_id, client_ref, state, vpc_cidr, vpc_id, peering_id, "
	"labels, created_at, updated_at, expires_at, request_id) VALUES ($1, $2, $3, 'active', "
	"$4, $5, $6, '{}', $7, $7, 0, $8) RETURNING " VP_REGISTRY_NS_COLS;

struct adopt_ctx {
	const struct vp_registry_adoption *in;
	const char *request_id;
	struct vp_namespace_record rec; /* the holder on a conflict, else the new record */
};

static vp_code held(struct vp_registry *reg, struct vp_db_conn *conn, const char *sql,
		    const struct vp_db_param *p, struct vp_namespace_record *rec,
		    struct vp_error *err)
{
	bool found = false;
	vp_code code = vp_registry_query_row(reg, conn, sql, p, 1, vp_registry_read_namespace, rec,
					     &found, err);

	if (code == VP_OK && found)
		return VP_ERR_CONFLICT;
	return code;
}

static vp_code adopt_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct adopt_ctx *ctx = ctx_;
	const struct vp_registry_adoption *in = ctx->in;
	struct vp_db_param p[8] = {VP_DB_INT_PARAM(in->n)};
	struct vp_namespace_plan ns;
	char cidr[VP_CIDR_STRLEN];
	int64_t at = vp_registry_now(reg);
	bool found = false;
	vp_code code;

	if ((code = held(reg, conn, SQL_LIVE_N, p, &ctx->rec, err)) == VP_ERR_CONFLICT)
		return vp_fail(err, code,
			       "namespace %lld is held by the live record of account %s "
			       "(client_ref %s, %s)",
			       (long long)in->n, ctx->rec.account, ctx->rec.client_ref,
			       vp_registry_state_name(ctx->rec.state));
	if (code != VP_OK)
		return code;
	p[0] = VP_DB_TEXT_PARAM(in->peering_id);
	if ((code = held(reg, conn, SQL_LIVE_PEERING, p, &ctx->rec, err)) == VP_ERR_CONFLICT)
		return vp_fail(err, code, "peering %s is held by namespace %lld", in->peering_id,
			       (long long)ctx->rec.n);
	if (code != VP_OK)
		return code;
	code = vp_registry_query_live_ref(reg, conn, in->account, in->client_ref, &ctx->rec, &found,
					  err);
	if (code == VP_OK && found)
		return vp_fail(err, VP_ERR_CONFLICT,
			       "account %s's client_ref %s is held by namespace %lld", in->account,
			       in->client_ref, (long long)ctx->rec.n);
	if (code != VP_OK)
		return code;
	if ((code = vp_plan_namespace(&reg->opts.plan, in->n, &ns, err)) != VP_OK)
		return code;
	vp_cidr_format(ns.vpc, cidr);
	if ((code = vp_registry_hold_n(reg, conn, in->n, err)) != VP_OK ||
	    (code = vp_registry_account_ensure(reg, conn, in->account, at, err)) != VP_OK)
		return code;
	p[0] = VP_DB_INT_PARAM(in->n);
	p[1] = VP_DB_TEXT_PARAM(in->account);
	p[2] = VP_DB_TEXT_PARAM(in->client_ref);
	p[3] = VP_DB_TEXT_PARAM(cidr);
	p[4] = VP_DB_TEXT_PARAM(in->vpc_id);
	p[5] = VP_DB_TEXT_PARAM(in->peering_id);
	p[6] = VP_DB_INT_PARAM(at);
	p[7] = VP_DB_TEXT_PARAM(ctx->request_id);
	code = vp_registry_query_row(reg, conn, SQL_ADOPT_INSERT, p, 8, vp_registry_read_namespace,
				     &ctx->rec, &found, err);
	if (code != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_INTERNAL, "insert returned no row");
	return vp_registry_add_event_json(reg, conn, at, in->n, in->account, "adopted",
					  json_pack("{ss ss ss ss ss}", "reason",
						    in->reason ? in->reason : "", "client_ref",
						    in->client_ref, "vpc_cidr", cidr, "peering_id",
						    in->peering_id, "vpc_id", in->vpc_id),
					  ctx->request_id, err);
}

vp_code vp_registry_adopt(struct vp_registry *reg, const struct vp_registry_adoption *in,
			  const char *request_id, struct vp_namespace_record *out,
			  struct vp_error *err)
{
	struct adopt_ctx *ctx;
	vp_code code;

	if ((code = vp_ids_account_check(in->account, err)) != VP_OK ||
	    (code = vp_ids_client_ref_check(in->client_ref, err)) != VP_OK ||
	    (code = vp_ids_aws_id_check(in->peering_id, "pcx", "peering id", err)) != VP_OK ||
	    (code = vp_ids_aws_id_check(in->vpc_id, "vpc", "VPC id", err)) != VP_OK ||
	    (code = vp_registry_check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id",
					    err)) != VP_OK ||
	    (code = vp_registry_check_field(in->reason, 256, "reason", err)) != VP_OK)
		return code;
	if (in->n < 1 || in->n >= reg->capacity)
		return vp_fail(err, VP_ERR_INVALID, "namespace %lld is outside the plan (1..%lld)",
			       (long long)in->n, (long long)reg->capacity - 1);
	for (unsigned i = 0; i < reg->reserved_count; i++)
		if (in->n >= reg->reserved[i].first && in->n <= reg->reserved[i].last)
			return vp_fail(err, VP_ERR_INVALID,
				       "namespace %lld is reserved by the plan", (long long)in->n);
	if (!(ctx = calloc(1, sizeof(*ctx))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->in = in;
	ctx->request_id = request_id ? request_id : "";
	code = vp_registry_run_tx(reg, true, VP_DB_LOCK_ALLOCATE, adopt_tx, ctx, err);
	if (code == VP_OK && out)
		*out = ctx->rec;
	free(ctx);
	return code;
}
