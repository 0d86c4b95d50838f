/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Allocation: a namespace for (account, client_ref), the lowest n >= 1 that
 * no live record holds, the plan does not reserve and is not in quarantine.
 * The free list (free_ranges: disjoint runs lo..hi) and the quarantine of
 * released n's are this file's tables. One write transaction does it all, so
 * a crash leaves all of it or none; docs/registry.md explains why it is
 * race-free and why the runs are keyed by hi.
 */
#include <stdlib.h>

#include "registry/internal.h"

/* Rows read per step when scanning the free list or reclaiming quarantine. */
#define SCAN_BATCH 32

static const char SQL_NS_INSERT[] =
	"INSERT INTO namespaces (n, account_id, client_ref, state, vpc_cidr, labels, created_at, "
	"updated_at, expires_at, request_id, principal) VALUES ($1, $2, $3, 'pending', $4, $5, $6, "
	"$6, $7, $8, $9) "
	"RETURNING " VP_REGISTRY_NS_COLS;
static const char SQL_COUNT_HELD[] = "SELECT count(*) FROM namespaces WHERE " VP_REGISTRY_LIVE;
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

/*
 * PostgreSQL (ops->writable_cte): all the writes of an allocation in one statement (one
 * round trip) once n is known to be the lowest usable n and the lowest of its run n..$9
 * (n < hi). If (account, client_ref) has a live record, that record comes back (last
 * column 0) and nothing is written. Otherwise the run gives up n (only lo changes: HOT),
 * the account row, the record and its event are inserted, and the new record comes back
 * (last column 1). The UPDATE itself checks that the run still starts at n and that no
 * quarantined n is due ($10), so a stale guess matches nothing: no row, nothing written,
 * and the caller takes the long way.
 */
static const char SQL_ALLOCATE_AT[] =
	"WITH live AS (SELECT " VP_REGISTRY_NS_COLS " FROM namespaces "
	"WHERE account_id = $2::text AND client_ref = $3::text AND " VP_REGISTRY_LIVE "), "
	"took AS (UPDATE free_ranges SET lo = $1::bigint + 1 "
	"WHERE hi = $10::bigint AND lo = $1::bigint AND lo < hi AND NOT EXISTS (SELECT 1 FROM "
	"live) "
	"AND NOT EXISTS (SELECT 1 FROM quarantine WHERE released_at <= $11::bigint) RETURNING hi), "
	"account AS (INSERT INTO accounts (account_id, created_at, updated_at) "
	"SELECT $2::text, $6::bigint, $6::bigint FROM took ON CONFLICT (account_id) DO NOTHING), "
	"ns AS (INSERT INTO namespaces (n, account_id, client_ref, state, vpc_cidr, labels, "
	"created_at, updated_at, expires_at, request_id, principal) SELECT $1::bigint, $2::text, "
	"$3::text, 'pending', $4::text, $5::text, $6::bigint, $6::bigint, $7::bigint, $8::text, "
	"$9::text FROM took RETURNING " VP_REGISTRY_NS_COLS "), "
	"event AS (INSERT INTO events (at, n, account_id, type, detail, request_id) "
	"SELECT $6::bigint, n, account_id, 'allocated', $12::text, $8::text FROM ns) "
	"SELECT " VP_REGISTRY_NS_COLS ", 0 FROM live UNION ALL "
	"SELECT " VP_REGISTRY_NS_COLS ", 1 FROM ns";

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
	if ((code = vp_registry_query_int(reg, conn, SQL_FREE_ENDING, p, 1, &left_lo, &left,
					  err)) != VP_OK)
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

vp_code vp_registry_quarantine(struct vp_registry *reg, struct vp_db_conn *conn, int64_t n,
			       int64_t at, struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_INT_PARAM(n), VP_DB_INT_PARAM(at)};
	return reg->ops->exec(conn, SQL_QUARANTINE_INSERT, p, 2, NULL, err);
}

vp_code vp_registry_hold_n(struct vp_registry *reg, struct vp_db_conn *conn, int64_t n,
			   struct vp_error *err)
{
	struct vp_db_param p[] = {VP_DB_INT_PARAM(n)};
	struct vp_db_rows *rows;
	int64_t lo = 0, hi = 0;
	vp_code code;
	int got;

	if ((code = reg->ops->exec(conn, SQL_QUARANTINE_DELETE, p, 1, NULL, err)) != VP_OK)
		return code;
	if ((code = reg->ops->query(conn, SQL_FREE_AT_OR_AFTER, p, 1, &rows, err)) != VP_OK)
		return code;
	got = reg->ops->next(rows, err);
	if (got > 0) {
		lo = reg->ops->get_int(rows, 0);
		hi = reg->ops->get_int(rows, 1);
	}
	reg->ops->finish(rows);
	if (got < 0)
		return err ? err->code : VP_ERR_DB;
	if (got == 0 || lo > n)
		return VP_OK; /* not in the free list */
	return take_free(reg, conn, n, lo, hi, err);
}

/* ---- allocate ---- */

struct alloc_ctx {
	const char *account, *principal, *client_ref, *labels, *request_id;
	int64_t ttl;
	struct vp_namespace_record rec;
	bool created;
};

static vp_code exhausted(struct vp_registry *reg, struct vp_db_conn *conn, struct vp_error *err)
{
	int64_t held = 0, quarantined = 0;

	/* Best effort, for the message only: a failed count leaves 0. */
	vp_ignore(vp_registry_query_int(reg, conn, SQL_COUNT_HELD, NULL, 0, &held, NULL, NULL));
	vp_ignore(vp_registry_query_int(reg, conn, SQL_COUNT_QUARANTINE, NULL, 0, &quarantined,
					NULL, NULL));
	return vp_fail(err, VP_ERR_EXHAUSTED,
		       "no free namespace: the plan's capacity is %lld (n = 1..%lld for clients, "
		       "%lld reserved), %lld held, %lld in quarantine",
		       (long long)reg->capacity, (long long)reg->capacity - 1,
		       (long long)vp_plan_reserved_count(&reg->opts.plan), (long long)held,
		       (long long)quarantined);
}

/* $1..$9 of SQL_NS_INSERT and SQL_ALLOCATE_AT: the new record's fields. */
static void record_params(const struct alloc_ctx *ctx, int64_t n, const char *cidr, int64_t at,
			  struct vp_db_param *p)
{
	p[0] = VP_DB_INT_PARAM(n);
	p[1] = VP_DB_TEXT_PARAM(ctx->account);
	p[2] = VP_DB_TEXT_PARAM(ctx->client_ref);
	p[3] = VP_DB_TEXT_PARAM(cidr);
	p[4] = VP_DB_TEXT_PARAM(ctx->labels);
	p[5] = VP_DB_INT_PARAM(at);
	p[6] = VP_DB_INT_PARAM(ctx->ttl > 0 ? at + ctx->ttl : 0);
	p[7] = VP_DB_TEXT_PARAM(ctx->request_id);
	p[8] = VP_DB_TEXT_PARAM(ctx->principal);
}

/* A row of SQL_ALLOCATE_AT: the record, then whether it is new. */
struct alloc_row {
	struct vp_namespace_record *rec;
	bool created;
};

static void read_alloc_row(const struct vp_db_ops *ops, struct vp_db_rows *rows, void *out)
{
	struct alloc_row *row = out;

	vp_registry_read_namespace(ops, rows, row->rec);
	row->created = ops->get_int(rows, 16) != 0;
}

/* The allocated event's detail, as text into detail[VP_REGISTRY_DETAIL_MAX + 1]. */
static vp_code allocated_detail(const char *client_ref, const char *cidr, char *detail,
				struct vp_error *err)
{
	json_t *obj = json_pack("{ss ss}", "client_ref", client_ref, "vpc_cidr", cidr);
	vp_code code = vp_registry_json_text(NULL, obj, VP_REGISTRY_DETAIL_MAX, "event detail",
					     detail, err);

	json_decref(obj);
	return code;
}

/*
 * The allocation at reg->alloc_next (n, the lowest of its run ..hi) in one statement
 * (SQL_ALLOCATE_AT). *done false: the guess was stale and nothing was written (the caller
 * finds n the long way). After a new record, the next n of the run becomes the guess
 * when it is usable and not the run's last; a replay leaves the guess as it was.
 */
static vp_code allocate_at(struct vp_registry *reg, struct vp_db_conn *conn, struct alloc_ctx *ctx,
			   int64_t at, bool *done, struct vp_error *err)
{
	int64_t n = reg->alloc_next.n, hi = reg->alloc_next.hi, next;
	struct alloc_row row = {.rec = &ctx->rec};
	char cidr[VP_CIDR_STRLEN], detail[VP_REGISTRY_DETAIL_MAX + 1];
	struct vp_namespace_plan ns;
	struct vp_db_param p[12];
	vp_code code;

	reg->alloc_next.valid = false;
	if ((code = vp_plan_namespace(&reg->opts.plan, n, &ns, err)) != VP_OK)
		return code;
	vp_cidr_format(ns.vpc, cidr);
	if ((code = allocated_detail(ctx->client_ref, cidr, detail, err)) != VP_OK)
		return code;
	record_params(ctx, n, cidr, at, p);
	p[9] = VP_DB_INT_PARAM(hi);
	p[10] = VP_DB_INT_PARAM(at - reg->opts.quarantine_seconds);
	p[11] = VP_DB_TEXT_PARAM(detail);
	code = vp_registry_query_row(reg, conn, SQL_ALLOCATE_AT, p, 12, read_alloc_row, &row, done,
				     err);
	if (code != VP_OK || !*done)
		return code;
	ctx->created = row.created;
	next = row.created
		       ? first_unreserved(reg, n + 1, hi < reg->capacity ? hi : reg->capacity - 1)
		       : n;
	if (next == (row.created ? n + 1 : n) && next < hi)
		reg->alloc_next =
			(struct vp_registry_alloc_next){.n = next, .hi = hi, .valid = true};
	return VP_OK;
}

static vp_code alloc_tx(struct vp_registry *reg, struct vp_db_conn *conn, void *ctx_,
			struct vp_error *err)
{
	struct alloc_ctx *ctx = ctx_;
	struct vp_namespace_plan ns;
	char cidr[VP_CIDR_STRLEN], detail[VP_REGISTRY_DETAIL_MAX + 1];
	int64_t at = vp_registry_now(reg), n = 0, lo = 0, hi = 0;
	bool found = false;
	vp_code code;
	struct vp_db_param p[9];

	/* Within a batch, the n after the one the last allocation took, in one statement. */
	if (reg->alloc_next.valid) {
		bool done = false;
		code = allocate_at(reg, conn, ctx, at, &done, err);
		if (code != VP_OK || done)
			return code;
	}
	/* The same key again: the same namespace, nothing allocated. */
	code = vp_registry_query_live_ref(reg, conn, ctx->account, ctx->client_ref, &ctx->rec,
					  &found, err);
	if (code != VP_OK || found) {
		ctx->created = false;
		return code;
	}
	if ((code = reclaim(reg, conn, at, err)) != VP_OK)
		return code;
	code = find_free(reg, conn, &n, &lo, &hi, err);
	if (code == VP_ERR_EXHAUSTED)
		return exhausted(reg, conn, err);
	if (code != VP_OK)
		return code;
	if (reg->ops->writable_cte && n == lo && n < hi) {
		reg->alloc_next = (struct vp_registry_alloc_next){.n = n, .hi = hi, .valid = true};
		code = allocate_at(reg, conn, ctx, at, &found, err);
		if (code != VP_OK || found)
			return code;
	}
	if ((code = take_free(reg, conn, n, lo, hi, err)) != VP_OK)
		return code;
	if ((code = vp_plan_namespace(&reg->opts.plan, n, &ns, err)) != VP_OK)
		return code;
	vp_cidr_format(ns.vpc, cidr);

	if ((code = vp_registry_account_ensure(reg, conn, ctx->account, at, err)) != VP_OK)
		return code;
	record_params(ctx, n, cidr, at, p);
	code = vp_registry_query_row(reg, conn, SQL_NS_INSERT, p, 9, vp_registry_read_namespace,
				     &ctx->rec, &found, err);
	if (code != VP_OK)
		return code;
	if (!found)
		return vp_fail(err, VP_ERR_INTERNAL, "insert returned no row");
	ctx->created = true;
	if ((code = allocated_detail(ctx->client_ref, cidr, detail, err)) != VP_OK)
		return code;
	return vp_registry_add_event(reg, conn, at, n, ctx->account, "allocated", detail,
				     ctx->request_id, err);
}

vp_code vp_registry_allocate(struct vp_registry *reg, const char *account, const char *client_ref,
			     const char *labels, const char *request_id, int64_t pending_ttl,
			     struct vp_namespace_record *out, bool *created, struct vp_error *err)
{
	return vp_registry_allocate_by(reg, account, "", client_ref, labels, request_id,
				       pending_ttl, out, created, err);
}

vp_code vp_registry_allocate_by(struct vp_registry *reg, const char *account, const char *principal,
				const char *client_ref, const char *labels, const char *request_id,
				int64_t pending_ttl, struct vp_namespace_record *out, bool *created,
				struct vp_error *err)
{
	struct alloc_ctx *ctx;
	char labels_text[VP_REGISTRY_LABELS_MAX + 1];
	vp_code code;

	if ((code = vp_ids_account_check(account, err)) != VP_OK ||
	    (code = vp_ids_client_ref_check(client_ref, err)) != VP_OK ||
	    (code = vp_registry_check_field(request_id, VP_REGISTRY_REQUEST_ID_MAX, "request id",
					    err)) != VP_OK ||
	    (code = vp_registry_check_field(principal, VP_REGISTRY_ARN_MAX, "principal", err)) !=
		    VP_OK ||
	    (code = vp_registry_json_text(labels, NULL, VP_REGISTRY_LABELS_MAX, "labels",
					  labels_text, err)) != VP_OK)
		return code;
	if (pending_ttl < 0)
		return vp_fail(err, VP_ERR_INVALID, "pending TTL %lld is negative",
			       (long long)pending_ttl);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	ctx->account = account;
	ctx->principal = principal ? principal : "";
	ctx->client_ref = client_ref;
	ctx->labels = labels_text;
	ctx->request_id = request_id ? request_id : "";
	ctx->ttl = pending_ttl;
	code = vp_registry_run_tx(reg, true, VP_DB_LOCK_ALLOCATE, alloc_tx, ctx, err);
	if (code == VP_OK) {
		if (out)
			*out = ctx->rec;
		if (created)
			*created = ctx->created;
	}
	free(ctx);
	return code;
}
