/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler: one pass over the registry, the hub route tables, the
 * peerings and the peer roles' trust policies (reconcile.h has the contract,
 * docs/reconciler.md the design), and the thread that runs it in serve.
 */
#include "broker/reconcile.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/metrics.h"
#include "aws/ec2.h"
#include "aws/iam.h"
#include "broker/grants.h"
#include "broker/internal.h"
#include "broker/policy.h"
#include "core/log.h"

/* ---- the report ---- */

static const char *const kind_names[VP_RECONCILE_KIND_COUNT] = {
	"release_expired", "finish_release", "peering_lost", "create_route",   "delete_route",
	"foreign_route",   "add_trust",      "remove_trust", "account_record",
};

const char *vp_reconcile_kind_name(enum vp_reconcile_kind kind)
{
	return kind < VP_RECONCILE_KIND_COUNT ? kind_names[kind] : "?";
}

const char *vp_reconcile_outcome_name(enum vp_reconcile_outcome outcome)
{
	switch (outcome) {
	case VP_RECONCILE_PLANNED:
		return "planned";
	case VP_RECONCILE_DONE:
		return "done";
	case VP_RECONCILE_FAILED:
		return "failed";
	case VP_RECONCILE_REPORTED:
		return "reported";
	case VP_RECONCILE_SKIPPED:
		return "skipped";
	}
	return "?";
}

void vp_reconcile_report_free(struct vp_reconcile_report *r)
{
	if (!r)
		return;
	free(r->items);
	free(r);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* A pass's working state. */
struct pass {
	struct vp_broker *b;
	const struct vp_reconcile_options *opts;
	const char *rid;
	struct vp_reconcile_report *r;
	struct vp_namespace_record *live; /* pending, active, failed, releasing */
	size_t live_count;
	char (*known)[VP_REGISTRY_AWS_ID_MAX + 1]; /* every peering id the registry has seen */
	size_t known_count;
};

static bool stopping(const struct pass *p)
{
	return p->opts->stop && atomic_load(p->opts->stop);
}

/* Add an item (its fields filled by the caller through the pointer); NULL when full. */
static struct vp_reconcile_item *add_item(struct pass *p, enum vp_reconcile_kind kind, int64_t n,
					  const char *account)
{
	struct vp_reconcile_item *it;

	if (p->r->count >= VP_RECONCILE_MAX_ITEMS) {
		p->r->dropped++;
		return NULL;
	}
	it = &p->r->items[p->r->count++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->n = n;
	it->outcome = p->opts->dry_run ? VP_RECONCILE_PLANNED : VP_RECONCILE_DONE;
	copy_str(it->account, sizeof(it->account), account);
	return it;
}

static void detail(struct vp_reconcile_item *it, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void detail(struct vp_reconcile_item *it, const char *fmt, ...)
{
	va_list ap;

	if (!it)
		return;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

static void set_outcome(struct vp_reconcile_item *it, enum vp_reconcile_outcome o,
			const struct vp_error *e)
{
	if (!it)
		return;
	it->outcome = o;
	if (e && o == VP_RECONCILE_FAILED) {
		size_t len = strlen(it->detail);
		snprintf(it->detail + len, sizeof(it->detail) - len, "%s%s", len ? ": " : "",
			 e->message);
	}
}

/* ---- reading the registry ---- */

static vp_code load_records(struct pass *p, struct vp_error *err)
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
			if (rec->peering_id[0]) {
				if (p->known_count == known_cap) {
					size_t cap = known_cap ? known_cap * 2 : 256;
					void *more = realloc(p->known, cap * sizeof(*p->known));
					if (!more) {
						code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
						break;
					}
					p->known = more;
					known_cap = cap;
				}
				copy_str(p->known[p->known_count++], sizeof(p->known[0]),
					 rec->peering_id);
			}
			if (rec->state == VP_NS_RELEASED)
				continue;
			if (p->live_count == live_cap) {
				size_t cap = live_cap ? live_cap * 2 : 64;
				void *more = realloc(p->live, cap * sizeof(*p->live));
				if (!more) {
					code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
					break;
				}
				p->live = more;
				live_cap = cap;
			}
			p->live[p->live_count++] = *rec;
		}
		filter.after_id = next;
	} while (code == VP_OK && filter.after_id != 0);
	free(page);
	return code;
}

static bool known_peering(const struct pass *p, const char *pcx)
{
	for (size_t i = 0; pcx && i < p->known_count; i++)
		if (strcmp(p->known[i], pcx) == 0)
			return true;
	return false;
}

static struct vp_namespace_record *live_of(struct pass *p, int64_t n)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].n == n)
			return &p->live[i];
	return NULL;
}

/* The namespace whose VPC block is exactly `cidr_text`, or -1. */
static int64_t namespace_of_block(const struct vp_plan *plan, const char *cidr_text)
{
	struct vp_namespace_plan ns;
	struct vp_cidr c;
	int64_t n;

	if (!cidr_text || vp_cidr_parse(cidr_text, strlen(cidr_text), &c, NULL) != VP_OK)
		return -1;
	if (!vp_cidr_contains(plan->pool, c))
		return -1;
	n = vp_plan_namespace_of(plan, c.addr);
	if (n < 1 || vp_plan_namespace(plan, n, &ns, NULL) != VP_OK || !vp_cidr_equal(ns.vpc, c))
		return -1;
	return n;
}

/* Take namespace n's lock (not waiting long) and read its record again. */
static vp_code lock_ns(struct pass *p, int64_t n, struct vp_registry_lock **lock,
		       struct vp_namespace_record *rec, bool *live, struct vp_error *err)
{
	char name[48];
	int wait = p->opts->ns_lock_timeout_ms > 0 ? p->opts->ns_lock_timeout_ms
						   : VP_RECONCILE_DEFAULT_NS_WAIT;
	vp_code code;

	snprintf(name, sizeof(name), "namespace:%lld", (long long)n);
	if ((code = vp_registry_lock(p->b->registry, name, wait, lock, err)) != VP_OK)
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

/* ---- 1. expired and stuck releases ---- */

static vp_code release_stale(struct pass *p, struct vp_error *err)
{
	struct vp_namespace_record *expired = calloc(VP_REGISTRY_PAGE_MAX, sizeof(*expired));
	size_t count = 0;
	vp_code code;

	if (!expired)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_list_expired(p->b->registry, expired, VP_REGISTRY_PAGE_MAX, &count, err);
	for (size_t i = 0; code == VP_OK && i < count && !stopping(p); i++) {
		struct vp_reconcile_item *it =
			add_item(p, VP_RECONCILE_RELEASE_EXPIRED, expired[i].n, expired[i].account);
		struct vp_error e;
		detail(it, "pending since %lld, TTL passed at %lld",
		       (long long)expired[i].created_at, (long long)expired[i].expires_at);
		if (p->opts->dry_run)
			continue;
		if (vp_broker_release_system(p->b, expired[i].n, p->rid,
					     p->opts->ns_lock_timeout_ms > 0
						     ? p->opts->ns_lock_timeout_ms
						     : VP_RECONCILE_DEFAULT_NS_WAIT,
					     NULL, &e) != VP_OK)
			set_outcome(it,
				    e.code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED
								 : VP_RECONCILE_FAILED,
				    &e);
	}
	for (size_t i = 0; code == VP_OK && i < p->live_count && !stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_reconcile_item *it;
		struct vp_error e;
		if (rec->state != VP_NS_RELEASING)
			continue;
		it = add_item(p, VP_RECONCILE_FINISH_RELEASE, rec->n, rec->account);
		detail(it, "left releasing since %lld", (long long)rec->updated_at);
		if (p->opts->dry_run)
			continue;
		if (vp_broker_release_system(p->b, rec->n, p->rid,
					     p->opts->ns_lock_timeout_ms > 0
						     ? p->opts->ns_lock_timeout_ms
						     : VP_RECONCILE_DEFAULT_NS_WAIT,
					     NULL, &e) != VP_OK)
			set_outcome(it,
				    e.code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED
								 : VP_RECONCILE_FAILED,
				    &e);
	}
	free(expired);
	return code;
}

/* ---- 2. peerings of active namespaces ---- */

static bool peering_gone(const char *status)
{
	static const char *const gone[] = {"deleted", "deleting", "rejected", "failed", "expired"};

	if (!status)
		return false;
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (strcmp(status, gone[i]) == 0)
			return true;
	return false;
}

/* The status of one peering asked for by id: NULL (and *missing) when EC2 does not know it. */
static vp_code peering_status(struct pass *p, const char *pcx, char *status, size_t size,
			      bool *missing, struct vp_error *err)
{
	const char *ids[] = {pcx};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_ec2_peering_list *list = NULL;
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_vpc_peering_connections(p->b->aws, &q, &list, &aerr);

	vp_broker_note_aws(p->b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	*missing = false;
	status[0] = '\0';
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && list->count == 0)) {
		*missing = true;
		code = VP_OK;
	} else if (code != VP_OK) {
		code = vp_broker_aws_fail(err, &aerr, "reading a peering connection");
	} else {
		copy_str(status, size, list->items[0].status_code);
	}
	vp_aws_ec2_peering_list_free(list);
	return code;
}

static vp_code check_peerings(struct pass *p, struct vp_error *err)
{
	const char *vpc[] = {p->b->hub_vpc};
	struct vp_aws_ec2_filter f = {"accepter-vpc-info.vpc-id", vpc, 1};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	struct vp_aws_ec2_peering_list *list = NULL;
	struct vp_aws_error aerr;
	bool any_active = false;
	vp_code code;

	for (size_t i = 0; i < p->live_count; i++)
		any_active |= p->live[i].state == VP_NS_ACTIVE;
	if (!any_active)
		return VP_OK;
	code = vp_aws_ec2_describe_vpc_peering_connections(p->b->aws, &q, &list, &aerr);
	vp_broker_note_aws(p->b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub VPC's peering connections");
	p->r->peerings = list->count;

	for (size_t i = 0; i < p->live_count && !stopping(p); i++) {
		struct vp_namespace_record *rec = &p->live[i];
		char status[64] = "";
		bool found = false, missing = false;
		struct vp_reconcile_item *it;
		struct vp_registry_lock *lock = NULL;
		struct vp_namespace_record *now;
		bool live = false;
		struct vp_error e;

		if (rec->state != VP_NS_ACTIVE || !rec->peering_id[0])
			continue;
		for (size_t k = 0; k < list->count; k++)
			if (list->items[k].vpc_peering_connection_id &&
			    strcmp(list->items[k].vpc_peering_connection_id, rec->peering_id) ==
				    0) {
				copy_str(status, sizeof(status), list->items[k].status_code);
				found = true;
			}
		if (!found) { /* not listed with the hub VPC as accepter: ask for it by id */
			if (peering_status(p, rec->peering_id, status, sizeof(status), &missing,
					   &e) != VP_OK) {
				it = add_item(p, VP_RECONCILE_PEERING_LOST, rec->n, rec->account);
				detail(it, "could not check peering %s", rec->peering_id);
				set_outcome(it, VP_RECONCILE_FAILED, &e);
				continue;
			}
		}
		if (!missing && !peering_gone(status))
			continue;
		it = add_item(p, VP_RECONCILE_PEERING_LOST, rec->n, rec->account);
		if (it)
			copy_str(it->target, sizeof(it->target), rec->peering_id);
		detail(it, "peering %s is %s", rec->peering_id,
		       missing ? "gone (unknown to EC2)" : status);
		if (p->opts->dry_run) {
			rec->state = VP_NS_FAILED; /* what the rest of the pass would see */
			continue;
		}
		if (!(now = malloc(sizeof(*now)))) {
			set_outcome(it, VP_RECONCILE_FAILED, NULL);
			continue;
		}
		if (lock_ns(p, rec->n, &lock, now, &live, &e) != VP_OK) {
			set_outcome(it,
				    e.code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED
								 : VP_RECONCILE_FAILED,
				    &e);
		} else if (!live || now->state != VP_NS_ACTIVE ||
			   strcmp(now->peering_id, rec->peering_id) != 0) {
			set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* changed meanwhile */
		} else {
			json_t *d =
				json_pack("{ss ss ss}", "reason", "peering gone", "peering_id",
					  rec->peering_id, "status", missing ? "unknown" : status);
			char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
			struct vp_registry_change change = {.detail = text};
			json_decref(d);
			if (vp_registry_transition(p->b->registry, rec->n,
						   VP_NS_STATE_BIT(VP_NS_ACTIVE), VP_NS_FAILED,
						   &change, p->rid, now, &e) != VP_OK) {
				set_outcome(it, VP_RECONCILE_FAILED, &e);
			} else {
				*rec = *now;
				if (p->b->metrics)
					vp_metrics_add(p->b->metrics,
						       VP_BROKER_METRIC_PEERINGS_LOST, NULL, 1);
				vp_log(VP_LOG_WARN,
				       "reconcile: namespace %lld (account %s) failed: peering %s "
				       "is %s",
				       (long long)rec->n, rec->account, rec->peering_id,
				       missing ? "gone" : status);
			}
			free(text);
		}
		vp_registry_unlock(lock);
		free(now);
	}
	vp_aws_ec2_peering_list_free(list);
	return VP_OK;
}

/* ---- 3. hub routes ---- */

static bool route_is_blackhole(const struct vp_aws_ec2_route *r)
{
	return r->state && strcmp(r->state, "blackhole") == 0;
}

/* The target of a route, for reports. */
static const char *route_target(const struct vp_aws_ec2_route *r)
{
	if (r->vpc_peering_connection_id)
		return r->vpc_peering_connection_id;
	if (r->gateway_id)
		return r->gateway_id;
	if (r->transit_gateway_id)
		return r->transit_gateway_id;
	if (r->nat_gateway_id)
		return r->nat_gateway_id;
	if (r->network_interface_id)
		return r->network_interface_id;
	return "";
}

/* Whether the record explains the route: active, through its peering, not a blackhole. */
static bool explains(const struct vp_namespace_record *rec, const struct vp_aws_ec2_route *r)
{
	return rec && rec->state == VP_NS_ACTIVE && r->vpc_peering_connection_id &&
	       strcmp(r->vpc_peering_connection_id, rec->peering_id) == 0 && !route_is_blackhole(r);
}

static void delete_route(struct pass *p, const char *table, const struct vp_aws_ec2_route *r,
			 int64_t n, struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now = malloc(sizeof(*now));
	struct vp_aws_error aerr;
	struct vp_error e;
	bool live = false;
	vp_code code;

	if (!now) {
		set_outcome(it, VP_RECONCILE_FAILED, NULL);
		return;
	}
	if (lock_ns(p, n, &lock, now, &live, &e) != VP_OK) {
		set_outcome(it,
			    e.code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED
							 : VP_RECONCILE_FAILED,
			    &e);
		free(now);
		return;
	}
	if (live && explains(now, r)) {
		set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* confirmed meanwhile */
	} else {
		code = vp_aws_ec2_delete_route(p->b->aws, table, r->destination_cidr_block, &aerr);
		vp_broker_note_aws(p->b->metrics, "DeleteRoute", code, &aerr);
		if (code != VP_OK) {
			vp_broker_aws_fail(&e, &aerr, "deleting the route");
			set_outcome(it, VP_RECONCILE_FAILED, &e);
		}
	}
	vp_registry_unlock(lock);
	free(now);
}

static void create_route(struct pass *p, const char *table, const struct vp_namespace_record *rec,
			 struct vp_reconcile_item *it)
{
	struct vp_registry_lock *lock = NULL;
	struct vp_namespace_record *now = malloc(sizeof(*now));
	struct vp_aws_ec2_route_target target = {.vpc_peering_connection_id = rec->peering_id};
	struct vp_aws_error aerr;
	struct vp_error e;
	bool live = false;
	vp_code code;

	if (!now) {
		set_outcome(it, VP_RECONCILE_FAILED, NULL);
		return;
	}
	if (lock_ns(p, rec->n, &lock, now, &live, &e) != VP_OK) {
		set_outcome(it,
			    e.code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED
							 : VP_RECONCILE_FAILED,
			    &e);
		free(now);
		return;
	}
	if (!live || now->state != VP_NS_ACTIVE || strcmp(now->peering_id, rec->peering_id) != 0) {
		set_outcome(it, VP_RECONCILE_SKIPPED, NULL); /* released or failed meanwhile */
	} else {
		code = vp_aws_ec2_create_route(p->b->aws, table, rec->vpc_cidr, &target, &aerr);
		vp_broker_note_aws(p->b->metrics, "CreateRoute", code, &aerr);
		if (code != VP_OK) {
			vp_broker_aws_fail(&e, &aerr, "creating the route");
			set_outcome(it, VP_RECONCILE_FAILED, &e);
		}
	}
	vp_registry_unlock(lock);
	free(now);
}

static vp_code check_routes(struct pass *p, struct vp_error *err)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	vp_code code = vp_broker_describe_tables(p->b, &tables, err);

	if (code != VP_OK)
		return code;
	p->r->route_tables = tables->count;
	for (size_t t = 0; t < tables->count && !stopping(p); t++) {
		const struct vp_aws_ec2_route_table *tab = &tables->items[t];
		const char *tid = tab->route_table_id ? tab->route_table_id : "";
		bool *has = calloc(p->live_count + 1, sizeof(*has)); /* live[i] routed here */
		bool *blocked = calloc(p->live_count + 1, sizeof(*blocked));

		if (!has || !blocked) {
			free(has);
			free(blocked);
			vp_aws_ec2_route_table_list_free(tables);
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
		}
		/* Routes toward namespace blocks: explained, or the broker's to delete, or not. */
		for (size_t k = 0; k < tab->route_count && !stopping(p); k++) {
			const struct vp_aws_ec2_route *r = &tab->routes[k];
			int64_t n = namespace_of_block(&p->b->plan, r->destination_cidr_block);
			struct vp_namespace_record *rec;
			struct vp_reconcile_item *it;
			bool ours;

			if (n < 1)
				continue;
			p->r->routes++;
			rec = live_of(p, n);
			if (explains(rec, r)) {
				has[rec - p->live] = true;
				continue;
			}
			/* The broker made it: through a peering it recorded, or a blackhole through
			 * a peering (a peering that is gone, as release.c counts it). */
			ours = r->vpc_peering_connection_id &&
			       (known_peering(p, r->vpc_peering_connection_id) ||
				route_is_blackhole(r));
			it = add_item(p,
				      ours ? VP_RECONCILE_DELETE_ROUTE : VP_RECONCILE_FOREIGN_ROUTE,
				      n, rec ? rec->account : "");
			if (it) {
				copy_str(it->table, sizeof(it->table), tid);
				copy_str(it->cidr, sizeof(it->cidr), r->destination_cidr_block);
				copy_str(it->target, sizeof(it->target), route_target(r));
			}
			detail(it, "route toward namespace %lld's block (%s) through %s%s: %s",
			       (long long)n, rec ? vp_registry_state_name(rec->state) : "not live",
			       route_target(r), route_is_blackhole(r) ? " (blackhole)" : "",
			       ours ? "made by the broker, not explained by an active namespace"
				    : "not made by the broker: left as it is");
			if (!ours) {
				set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				if (rec)
					blocked[rec - p->live] = true;
				continue;
			}
			if (!p->opts->dry_run)
				delete_route(p, tid, r, n, it);
			if (it && it->outcome != VP_RECONCILE_DONE &&
			    it->outcome != VP_RECONCILE_PLANNED && rec)
				blocked[rec - p->live] = true;
		}
		/* Active namespaces without their route here. */
		for (size_t i = 0; i < p->live_count && !stopping(p); i++) {
			const struct vp_namespace_record *rec = &p->live[i];
			struct vp_reconcile_item *it;

			if (rec->state != VP_NS_ACTIVE || has[i])
				continue;
			it = add_item(p, VP_RECONCILE_CREATE_ROUTE, rec->n, rec->account);
			if (it) {
				copy_str(it->table, sizeof(it->table), tid);
				copy_str(it->cidr, sizeof(it->cidr), rec->vpc_cidr);
				copy_str(it->target, sizeof(it->target), rec->peering_id);
			}
			if (blocked[i]) {
				detail(it,
				       "hub route of active namespace %lld missing, but the table "
				       "holds another route toward its block",
				       (long long)rec->n);
				set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				continue;
			}
			detail(it, "hub route of active namespace %lld missing", (long long)rec->n);
			if (!p->opts->dry_run)
				create_route(p, tid, rec, it);
		}
		free(has);
		free(blocked);
	}
	vp_aws_ec2_route_table_list_free(tables);
	return VP_OK;
}

/* ---- 4. trust policies ---- */

/* Whether the account has a namespace pending, active or failed (in this pass's view). */
static bool account_live(const struct pass *p, const char *account)
{
	for (size_t i = 0; i < p->live_count; i++)
		if (p->live[i].state != VP_NS_RELEASING && strcmp(p->live[i].account, account) == 0)
			return true;
	return false;
}

/*
 * Whether this registry has ever had the account (an account record, or any
 * namespace record, released ones included). An entry of an account it never
 * knew was not added through it: another broker's registry, or a broker started
 * on a new, empty database by mistake. Such entries are reported, not removed,
 * so that mistake cannot strip every client's trust.
 */
static bool account_known(const struct pass *p, const char *account)
{
	struct vp_registry_filter filter = {0, account, 0};
	struct vp_namespace_record one;
	struct vp_account_record rec;
	int64_t next = 0;
	size_t count = 0;

	if (vp_registry_account_get(p->b->registry, account, &rec, NULL) == VP_OK)
		return true;
	/* When the registry cannot say, err on the side of keeping the entry. */
	return vp_registry_list(p->b->registry, &filter, &one, 1, &count, &next, NULL) == VP_OK &&
	       count > 0;
}

struct role_doc {
	char (*accounts)[VP_ACCOUNT_ID_LEN + 1];
	size_t count;
};

static bool in_doc(const struct role_doc *d, const char *account)
{
	for (size_t i = 0; i < d->count; i++)
		if (strcmp(d->accounts[i], account) == 0)
			return true;
	return false;
}

static vp_code read_role(struct pass *p, size_t index, struct role_doc *out, struct vp_error *err)
{
	const char *arn = vp_grants_role_arn(p->b->grants, index);
	const char *name = strrchr(arn, '/');
	struct vp_aws_iam_role *role = NULL;
	struct vp_trust_policy *policy = NULL;
	struct vp_aws_error aerr;
	size_t total;
	vp_code code;

	name = name ? name + 1 : arn;
	code = vp_aws_iam_get_role(p->b->aws, name, &role, &aerr);
	vp_broker_note_aws(p->b->metrics, "GetRole", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading a peer role's trust policy");
	if (!role->assume_role_policy_document) {
		vp_aws_iam_role_free(role);
		return vp_fail(err, VP_ERR_AWS, "peer role %s has no trust policy", name);
	}
	code = vp_policy_parse(role->assume_role_policy_document,
			       strlen(role->assume_role_policy_document), &policy, err);
	vp_aws_iam_role_free(role);
	if (code != VP_OK) {
		vp_error_prefix(err, "trust policy of %s", name);
		return code;
	}
	total = vp_policy_accounts(policy, NULL, 0);
	out->accounts = calloc(total + 1, sizeof(*out->accounts));
	if (!out->accounts) {
		vp_policy_free(policy);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	out->count = vp_policy_accounts(policy, out->accounts, total);
	if (out->count > total)
		out->count = total;
	vp_policy_free(policy);
	return VP_OK;
}

static const char *role_name(struct pass *p, size_t index)
{
	const char *arn = vp_grants_role_arn(p->b->grants, index);
	const char *slash = strrchr(arn, '/');
	return slash ? slash + 1 : arn;
}

static vp_code check_trust(struct pass *p, struct vp_error *err)
{
	size_t roles = vp_grants_role_count(p->b->grants);
	struct role_doc docs[VP_GRANTS_MAX_ROLES] = {0};
	vp_code code = VP_OK;

	p->r->roles = roles;
	for (size_t i = 0; i < roles && code == VP_OK; i++) {
		code = read_role(p, i, &docs[i], err);
		if (code == VP_OK)
			p->r->trust_entries += docs[i].count;
	}
	if (code != VP_OK)
		goto out;

	/* Broker-added entries of accounts with no live namespace: removed. */
	for (size_t i = 0; i < roles && !stopping(p); i++) {
		for (size_t k = 0; k < docs[i].count; k++) {
			const char *acct = docs[i].accounts[k];
			struct vp_reconcile_item *it;
			bool removed = false;
			struct vp_error e;

			if (account_live(p, acct))
				continue;
			it = add_item(p, VP_RECONCILE_REMOVE_TRUST, 0, acct);
			if (it)
				copy_str(it->role, sizeof(it->role), role_name(p, i));
			if (!account_known(p, acct)) {
				detail(it,
				       "account %s is in %s's trust policy but unknown to this "
				       "registry: "
				       "kept (is this broker on the right --db? remove it by hand "
				       "if stale)",
				       acct, role_name(p, i));
				set_outcome(it, VP_RECONCILE_REPORTED, NULL);
				continue;
			}
			detail(it, "account %s is in %s's trust policy with no live namespace",
			       acct, role_name(p, i));
			if (p->opts->dry_run)
				continue;
			if (vp_grants_remove(p->b->grants, acct, i, p->rid, &removed, &e) != VP_OK)
				set_outcome(it, VP_RECONCILE_FAILED, &e);
			else if (!removed)
				set_outcome(it, VP_RECONCILE_SKIPPED,
					    NULL); /* registered meanwhile */
		}
	}

	/* Live accounts missing from every statement: added; records set right. */
	for (size_t i = 0; i < p->live_count && !stopping(p); i++) {
		const struct vp_namespace_record *rec = &p->live[i];
		struct vp_account_record acct;
		struct vp_reconcile_item *it;
		int where = -1, preferred = -1;
		bool seen = false, has_record;
		struct vp_error e;

		if (rec->state == VP_NS_RELEASING)
			continue;
		for (size_t k = 0; k < i && !seen; k++) /* each account once */
			seen = p->live[k].state != VP_NS_RELEASING &&
			       strcmp(p->live[k].account, rec->account) == 0;
		if (seen)
			continue;
		has_record =
			vp_registry_account_get(p->b->registry, rec->account, &acct, &e) == VP_OK;
		if (has_record)
			preferred = vp_grants_role_index(p->b->grants, acct.peer_role_arn);
		if (preferred >= 0 && in_doc(&docs[preferred], rec->account))
			where = preferred;
		for (size_t k = 0; k < roles && where < 0; k++)
			if (in_doc(&docs[k], rec->account))
				where = (int)k;
		if (where >= 0) {
			const char *arn = vp_grants_role_arn(p->b->grants, (size_t)where);
			if (has_record && acct.granted && strcmp(acct.peer_role_arn, arn) == 0)
				continue;
			it = add_item(p, VP_RECONCILE_ACCOUNT_RECORD, 0, rec->account);
			if (it)
				copy_str(it->role, sizeof(it->role), role_name(p, (size_t)where));
			detail(it, "account %s is in %s's trust policy; its record said %s",
			       rec->account, role_name(p, (size_t)where),
			       has_record && acct.granted ? "another role" : "not granted");
			if (!p->opts->dry_run &&
			    vp_registry_account_upsert(p->b->registry, rec->account, arn, true,
						       p->rid, NULL, &e) != VP_OK)
				set_outcome(it, VP_RECONCILE_FAILED, &e);
			continue;
		}
		if (preferred < 0) {
			int from_ns = vp_grants_role_index(p->b->grants, rec->peer_role_arn);
			preferred = from_ns;
		}
		it = add_item(p, VP_RECONCILE_ADD_TRUST, rec->n, rec->account);
		if (it && preferred >= 0)
			copy_str(it->role, sizeof(it->role), role_name(p, (size_t)preferred));
		detail(it,
		       "account %s has live namespace %lld but is in no peer role's trust policy",
		       rec->account, (long long)rec->n);
		if (!p->opts->dry_run) {
			size_t role = 0;
			if (vp_grants_add(p->b->grants, rec->account, preferred, p->rid, &role,
					  NULL, &e) != VP_OK)
				set_outcome(it, VP_RECONCILE_FAILED, &e);
			else if (it)
				copy_str(it->role, sizeof(it->role), role_name(p, role));
		}
	}
out:
	for (size_t i = 0; i < roles; i++)
		free(docs[i].accounts);
	return code;
}

/* ---- the pass ---- */

static void count_and_log(struct pass *p)
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
		vp_log_event(it->outcome == VP_RECONCILE_FAILED ? VP_LOG_WARN : VP_LOG_INFO,
			     "reconcile", fields);
	}
}

vp_code vp_broker_reconcile(struct vp_broker *b, const struct vp_reconcile_options *opts,
			    struct vp_reconcile_report **out, struct vp_error *err)
{
	static const struct vp_reconcile_options defaults = {0};
	struct pass p = {.b = b, .opts = opts ? opts : &defaults};
	vp_code code;

	p.rid = p.opts->request_id && *p.opts->request_id ? p.opts->request_id : "reconcile";
	if (!(p.r = calloc(1, sizeof(*p.r))) ||
	    !(p.r->items = calloc(VP_RECONCILE_MAX_ITEMS, sizeof(*p.r->items)))) {
		vp_reconcile_report_free(p.r);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	p.r->dry_run = p.opts->dry_run;
	p.r->started_at = (int64_t)time(NULL);

	code = load_records(&p, err);
	if (code == VP_OK && !stopping(&p))
		code = release_stale(&p, err);
	/* Releases changed the records: read them again (a dry run keeps its view). */
	if (code == VP_OK && !p.opts->dry_run && !stopping(&p))
		code = load_records(&p, err);
	if (code == VP_OK)
		p.r->namespaces = p.live_count;
	if (code == VP_OK && !stopping(&p))
		code = check_peerings(&p, err);
	if (code == VP_OK && !stopping(&p))
		code = check_routes(&p, err);
	if (code == VP_OK && !stopping(&p))
		code = check_trust(&p, err);
	free(p.live);
	free(p.known);
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
			       (const char *const[]){"outcome", "ok", NULL}, 1);
	if (!p.r->dry_run)
		vp_broker_refresh_gauges(b);
	*out = p.r;
	return VP_OK;
}

json_t *vp_reconcile_report_json(const struct vp_reconcile_report *r)
{
	json_t *items = json_array();
	json_t *doc;

	if (!items)
		return NULL;
	for (size_t i = 0; i < r->count; i++) {
		const struct vp_reconcile_item *it = &r->items[i];
		json_t *o =
			json_pack("{ss ss sI ss ss}", "kind", vp_reconcile_kind_name(it->kind),
				  "outcome", vp_reconcile_outcome_name(it->outcome), "n",
				  (json_int_t)it->n, "account", it->account, "detail", it->detail);
		if (!o) {
			json_decref(items);
			return NULL;
		}
		if (it->table[0])
			json_object_set_new(o, "route_table", json_string(it->table));
		if (it->cidr[0])
			json_object_set_new(o, "cidr", json_string(it->cidr));
		if (it->target[0])
			json_object_set_new(o, "target", json_string(it->target));
		if (it->role[0])
			json_object_set_new(o, "role", json_string(it->role));
		json_array_append_new(items, o);
	}
	doc = json_pack("{sb sI sI s{sI sI sI sI sI sI} s{sI sI sI sI sI sI} so}", "dry_run",
			r->dry_run, "started_at", (json_int_t)r->started_at, "finished_at",
			(json_int_t)r->finished_at, "checked", "namespaces",
			(json_int_t)r->namespaces, "route_tables", (json_int_t)r->route_tables,
			"routes", (json_int_t)r->routes, "roles", (json_int_t)r->roles,
			"trust_entries", (json_int_t)r->trust_entries, "peerings",
			(json_int_t)r->peerings, "summary", "planned", (json_int_t)r->planned,
			"changed", (json_int_t)r->changed, "failed", (json_int_t)r->failed,
			"reported", (json_int_t)r->reported, "skipped", (json_int_t)r->skipped,
			"dropped", (json_int_t)r->dropped, "items", items);
	return doc;
}

/* ---- the thread in serve ---- */

struct vp_reconciler {
	struct vp_broker *b;
	int64_t interval_s;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_bool stop;
};

static void one_pass(struct vp_reconciler *rc)
{
	struct vp_reconcile_options opts = {.request_id = "reconcile", .stop = &rc->stop};
	struct vp_reconcile_report *report = NULL;
	struct vp_registry_lock *lock = NULL;
	struct vp_error e;

	/* One broker reconciles at a time; the others skip (no wait). */
	if (vp_registry_lock(rc->b->registry, VP_RECONCILE_LOCK, 200, &lock, &e) != VP_OK) {
		if (rc->b->metrics)
			vp_metrics_add(rc->b->metrics, VP_BROKER_METRIC_RECONCILE_RUNS,
				       (const char *const[]){"outcome", "skipped", NULL}, 1);
		vp_log(VP_LOG_DEBUG, "reconcile: skipped: %s", e.message);
		return;
	}
	if (vp_broker_reconcile(rc->b, &opts, &report, &e) != VP_OK)
		vp_log(VP_LOG_WARN, "%s", e.message);
	else if (report->count > 0)
		vp_log(VP_LOG_INFO,
		       "reconcile: %zu namespace(s), %zu hub route(s), %zu trust entr%s: %zu "
		       "changed, %zu failed, %zu reported, %zu skipped",
		       report->namespaces, report->routes, report->trust_entries,
		       report->trust_entries == 1 ? "y" : "ies", report->changed, report->failed,
		       report->reported, report->skipped);
	vp_reconcile_report_free(report);
	vp_registry_unlock(lock);
}

static void *run(void *arg)
{
	struct vp_reconciler *rc = arg;

	while (!atomic_load(&rc->stop)) {
		struct timespec deadline;
		one_pass(rc);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += (time_t)rc->interval_s;
		pthread_mutex_lock(&rc->mu);
		while (!atomic_load(&rc->stop) &&
		       pthread_cond_timedwait(&rc->cv, &rc->mu, &deadline) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&rc->mu);
	}
	return NULL;
}

vp_code vp_reconciler_start(struct vp_broker *b, int64_t interval_s, struct vp_reconciler **out,
			    struct vp_error *err)
{
	struct vp_reconciler *rc;
	pthread_condattr_t attr;

	if (interval_s < 1)
		return vp_fail(err, VP_ERR_INVALID, "the reconcile interval must be at least 1 s");
	if (!(rc = calloc(1, sizeof(*rc))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	rc->b = b;
	rc->interval_s = interval_s;
	atomic_init(&rc->stop, false);
	pthread_mutex_init(&rc->mu, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&rc->cv, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&rc->thread, NULL, run, rc) != 0) {
		pthread_cond_destroy(&rc->cv);
		pthread_mutex_destroy(&rc->mu);
		free(rc);
		return vp_fail(err, VP_ERR_INTERNAL, "cannot start the reconciler thread");
	}
	*out = rc;
	return VP_OK;
}

void vp_reconciler_stop(struct vp_reconciler *rc)
{
	if (!rc)
		return;
	pthread_mutex_lock(&rc->mu);
	atomic_store(&rc->stop, true);
	pthread_cond_broadcast(&rc->cv);
	pthread_mutex_unlock(&rc->mu);
	pthread_join(rc->thread, NULL);
	pthread_cond_destroy(&rc->cv);
	pthread_mutex_destroy(&rc->mu);
	free(rc);
}
