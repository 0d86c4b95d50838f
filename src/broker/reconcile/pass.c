/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler's pass: read the registry and the hub's peerings, run the
 * checks in order (adoption, stale releases, peerings, strays, hub routes,
 * trust entries), count and log what they found; and the helpers the checks
 * share for changing one namespace under its lock and for the limit on
 * destructive repairs.
 */
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "broker/quota.h"
#include "broker/hub_view.h"
#include "broker/reconcile/internal.h"
#include "core/log.h"
#include "core/metrics.h"

bool vp_reconcile_stopping(const struct vp_reconcile_pass *p)
{
	if (p->opts->fence && atomic_load(&p->opts->fence->lost))
		return true; /* deposed: its writes would be refused anyway */
	return p->opts->stop && atomic_load(p->opts->stop);
}

void vp_reconcile_limits_init(struct vp_reconcile_limits *limits)
{
	limits->stray_grace_s = VP_RECONCILE_DEFAULT_STRAY_GRACE;
	limits->foreign_grace_s = VP_RECONCILE_DEFAULT_FOREIGN_GRACE;
	limits->max_destructive = VP_RECONCILE_DEFAULT_MAX_DESTRUCTIVE;
	limits->lease_ttl_s = VP_RECONCILE_DEFAULT_LEASE_TTL;
	limits->lease_renew_s = VP_RECONCILE_DEFAULT_LEASE_RENEW;
}

bool vp_reconcile_peer_role_mode(const struct vp_reconcile_pass *p)
{
	return p->b->accepter == VP_PEERING_ACCEPTER_PEER_ROLE;
}

bool vp_reconcile_may_destroy(struct vp_reconcile_pass *p, struct vp_reconcile_item *it)
{
	if (p->opts->force || (int64_t)p->r->destructive < p->limits.max_destructive) {
		p->r->destructive++;
		return true;
	}
	if (it) {
		size_t len = strlen(it->detail);
		snprintf(it->detail + len, sizeof(it->detail) - len,
			 "%sheld back: this pass made %lld destructive repairs already "
			 "(--max-destructive-repairs); needs --force",
			 len ? "; " : "", (long long)p->limits.max_destructive);
	}
	vp_reconcile_set_outcome(it, VP_RECONCILE_HELD, NULL);
	return false;
}

bool vp_reconcile_owned(const struct vp_reconcile_pass *p, const char *pcx)
{
	for (size_t i = 0; pcx && i < p->live_count; i++)
		if (strcmp(p->live[i].peering_id, pcx) == 0)
			return true;
	return false;
}

bool vp_reconcile_known(const struct vp_reconcile_pass *p, const char *pcx)
{
	for (size_t i = 0; pcx && i < p->known_count; i++)
		if (strcmp(p->known[i], pcx) == 0)
			return true;
	return false;
}

/*
 * The hub VPC's peerings (every status, paged), once per pass: the pass's
 * checks and the quota view (refreshed from them) share this one read.
 */
static vp_code read_peerings(struct vp_reconcile_pass *p, struct vp_error *err)
{
	vp_code code = vp_broker_describe_hub_peerings(p->b, &p->peerings, err);

	if (code != VP_OK)
		return code;
	p->r->peerings = p->peerings->count;
	return VP_OK;
}

/*
 * The array with room for one more element at `count` (doubling from `first`
 * elements): the same array, a moved one, or NULL (out of memory: the array
 * is left as it was).
 */
static void *room_for_one(void *array, size_t *cap, size_t count, size_t size, size_t first)
{
	size_t more_cap;
	void *more;

	if (count < *cap)
		return array;
	more_cap = *cap ? *cap * 2 : first;
	if (!(more = realloc(array, more_cap * size)))
		return NULL;
	*cap = more_cap;
	return more;
}

/* Every record: the live ones (not released) and every peering id any record names. */
static vp_code load_records(struct vp_reconcile_pass *p, struct vp_error *err)
{
	struct vp_registry_filter filter = {.states = 0};
	struct vp_namespace_record *page = malloc(VP_REGISTRY_PAGE_MAX * sizeof(*page));
	size_t live_cap = 0, known_cap = 0;
	vp_code code = VP_OK;

	free(p->live);
	free(p->known);
	p->live = NULL;
	p->known = NULL;
	p->live_count = p->known_count = 0;
	if (!page)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	do {
		size_t got = 0;
		int64_t next = 0;
		code = vp_registry_list(p->b->registry, &filter, page, VP_REGISTRY_PAGE_MAX, &got,
					&next, err);
		if (code != VP_OK)
			break;
		for (size_t i = 0; i < got && code == VP_OK; i++) {
			const struct vp_namespace_record *rec = &page[i];
			void *more;

			if (rec->peering_id[0]) {
				more = room_for_one(p->known, &known_cap, p->known_count,
						    sizeof(*p->known), 256);
				if (!more) {
					code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
					break;
				}
				p->known = more;
				vp_reconcile_copy(p->known[p->known_count++], sizeof(p->known[0]),
						  rec->peering_id);
			}
			if (rec->state == VP_NS_RELEASED)
				continue;
			if (!(more = room_for_one(p->live, &live_cap, p->live_count,
						  sizeof(*p->live), 64))) {
				code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
				break;
			}
			p->live = more;
			p->live[p->live_count++] = *rec;
		}
		filter.after_id = next;
	} while (code == VP_OK && filter.after_id != 0);
	free(page);
	return code;
}

static int ns_wait(const struct vp_reconcile_pass *p)
{
	return p->opts->ns_lock_timeout_ms > 0 ? p->opts->ns_lock_timeout_ms
					       : VP_RECONCILE_DEFAULT_NS_WAIT;
}

/* Take namespace n's lock (not waiting long) and read its record again. */
static vp_code lock_ns(struct vp_reconcile_pass *p, int64_t n, struct vp_registry_lock **lock,
		       struct vp_namespace_record *rec, bool *live, struct vp_error *err)
{
	vp_code code;

	if ((code = vp_broker_lock_namespace(p->b, n, ns_wait(p), lock, err)) != VP_OK)
		return code;
	code = vp_registry_get(p->b->registry, n, rec, err);
	*live = code == VP_OK && rec->state != VP_NS_RELEASED;
	if (code == VP_ERR_NOT_FOUND)
		code = VP_OK;
	if (code != VP_OK) {
		vp_registry_unlock(*lock);
		*lock = NULL;
	}
	return code;
}

struct vp_namespace_record *vp_reconcile_lock_record(struct vp_reconcile_pass *p, int64_t n,
						     struct vp_reconcile_item *it,
						     struct vp_registry_lock **lock, bool *live)
{
	struct vp_namespace_record *now = malloc(sizeof(*now));
	struct vp_error e;

	*live = false;
	if (!now) {
		vp_reconcile_set_outcome(it, VP_RECONCILE_FAILED, NULL);
		return NULL;
	}
	if (lock_ns(p, n, lock, now, live, &e) != VP_OK) {
		vp_reconcile_set_error(it, &e);
		free(now);
		return NULL;
	}
	return now;
}

void vp_reconcile_release(struct vp_reconcile_pass *p, const struct vp_namespace_record *seen,
			  unsigned states, bool expired, struct vp_reconcile_item *it)
{
	struct vp_error e;

	if (p->opts->dry_run)
		return;
	if (vp_broker_release_system(p->b, seen, states, expired, p->rid, ns_wait(p), NULL, &e) ==
	    VP_OK)
		return;
	/* A lost race changed nothing: someone else moved the record on first. */
	if (e.code == VP_ERR_CONFLICT && strstr(e.message, "lost race"))
		vp_reconcile_set_outcome(it, VP_RECONCILE_SKIPPED, &e);
	else
		vp_reconcile_set_error(it, &e);
}

static void count_and_log(struct vp_reconcile_pass *p)
{
	struct vp_reconcile_report *r = p->r;

	for (size_t i = 0; i < r->count; i++) {
		const struct vp_reconcile_item *it = &r->items[i];
		json_t *fields;
		switch (it->outcome) {
		case VP_RECONCILE_PLANNED:
			r->planned++;
			break;
		case VP_RECONCILE_DONE:
			r->changed++;
			break;
		case VP_RECONCILE_FAILED:
			r->failed++;
			break;
		case VP_RECONCILE_REPORTED:
			r->reported++;
			break;
		case VP_RECONCILE_SKIPPED:
			r->skipped++;
			break;
		case VP_RECONCILE_HELD:
			r->held++;
			break;
		}
		if (p->b->metrics && !r->dry_run)
			vp_metrics_add(p->b->metrics, VP_BROKER_METRIC_RECONCILE_CHANGES,
				       (const char *const[]){
					       "kind", vp_reconcile_kind_name(it->kind), "outcome",
					       vp_reconcile_outcome_name(it->outcome), NULL},
				       1);
		if (r->dry_run || !vp_log_enabled(VP_LOG_INFO))
			continue;
		fields = json_pack("{ss ss sI ss ss}", "kind", vp_reconcile_kind_name(it->kind),
				   "outcome", vp_reconcile_outcome_name(it->outcome), "n",
				   (json_int_t)it->n, "account", it->account, "detail", it->detail);
		vp_log_event(it->kind == VP_RECONCILE_ADOPT_CONFLICT ? VP_LOG_ERROR
			     : it->outcome == VP_RECONCILE_FAILED ||
					     it->outcome == VP_RECONCILE_HELD ||
					     it->kind == VP_RECONCILE_STRAY_PEERING
				     ? VP_LOG_WARN
				     : VP_LOG_INFO,
			     "reconcile", fields);
	}
}

static vp_code run_pass(struct vp_broker *b, const struct vp_reconcile_options *opts,
			struct vp_reconcile_report **out, struct vp_error *err)
{
	static const struct vp_reconcile_options defaults = {0};
	struct vp_reconcile_pass p = {.b = b, .opts = opts ? opts : &defaults};
	vp_code code;

	p.rid = p.opts->request_id && *p.opts->request_id ? p.opts->request_id : "reconcile";
	if (opts)
		p.limits = opts->limits;
	else
		vp_reconcile_limits_init(&p.limits);
	if (!(p.r = calloc(1, sizeof(*p.r))) ||
	    !(p.r->items = calloc(VP_RECONCILE_MAX_ITEMS, sizeof(*p.r->items)))) {
		vp_reconcile_report_free(p.r);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	p.r->dry_run = p.opts->dry_run;
	p.r->started_at = p.now = (int64_t)time(NULL);

	code = load_records(&p, err);
	if (code == VP_OK)
		code = vp_registry_id(b->registry, p.registry_id, err);
	if (code == VP_OK)
		code = read_peerings(&p, err);
	/* Adoption first: a record it re-creates is then neither a stray nor a free n. */
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_adopt(&p, err);
	if (code == VP_OK) /* the quota view from the same read, with the adopted records */
		vp_broker_quota_refresh_from(b, p.peerings);
	if (p.opts->adopt_only)
		goto done;
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_release_expired(&p, err);
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_finish_releases(&p, err);
	/* Releases changed the records: read them again (a dry run keeps its view). */
	if (code == VP_OK && !p.opts->dry_run && !vp_reconcile_stopping(&p))
		code = load_records(&p, err);
	if (code == VP_OK)
		p.r->namespaces = p.live_count;
	if (code == VP_OK && b->tgw && !vp_reconcile_stopping(&p)) /* issue 16 */
		code = vp_reconcile_check_tgw(&p, err);
	if (code == VP_OK && !b->tgw && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_peerings(&p, err);
	if (code == VP_OK && !b->tgw && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_strays(&p, err);
	if (code == VP_OK && !b->tgw && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_routes(&p, err);
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_trust(&p, err);
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_prefix_list(&p, err);
	if (code == VP_OK && !vp_reconcile_stopping(&p))
		code = vp_reconcile_check_hosted_zone(&p, err);
done:
	free(p.live);
	free(p.known);
	vp_aws_ec2_peering_list_free(p.peerings);
	if (code != VP_OK) {
		if (b->metrics)
			vp_metrics_add(b->metrics, VP_BROKER_METRIC_RECONCILE_RUNS,
				       (const char *const[]){"outcome", "failed", NULL}, 1);
		vp_reconcile_report_free(p.r);
		vp_error_prefix(err, "reconcile");
		return code;
	}
	p.r->finished_at = (int64_t)time(NULL);
	count_and_log(&p);
	if (b->metrics && !p.r->dry_run)
		vp_metrics_add(b->metrics, VP_BROKER_METRIC_RECONCILE_RUNS,
			       (const char *const[]){
				       "outcome",
				       p.opts->fence && atomic_load(&p.opts->fence->lost) ? "fenced"
											  : "ok",
				       NULL},
			       1);
	*out = p.r;
	return VP_OK;
}

vp_code vp_broker_reconcile(struct vp_broker *b, const struct vp_reconcile_options *opts,
			    struct vp_reconcile_report **out, struct vp_error *err)
{
	vp_code code;

	/* Every registry write this thread makes during the pass carries the lease's epoch. */
	vp_registry_fence_set(opts ? opts->fence : NULL);
	code = run_pass(b, opts, out, err);
	vp_registry_fence_set(NULL);
	if (code == VP_OK && !(opts && opts->adopt_only))
		vp_broker_note_pass(b, *out); /* the hub page's "last pass" (not start-up's step) */
	return code;
}
