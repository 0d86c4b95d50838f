/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler's report: the names of kinds and outcomes, the items a
 * check adds and what became of them, the report as JSON (reconcile.h has the
 * contract, docs/reconciler.md the design).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/reconcile/internal.h"

static const char *const kind_names[VP_RECONCILE_KIND_COUNT] = {
	"release_expired", "finish_release",   "peering_lost",
	"create_route",    "delete_route",     "foreign_route",
	"add_trust",       "remove_trust",     "account_record",
	"adopt",           "adopt_conflict",   "stray_peering",
	"foreign_request", "add_prefix_entry", "remove_prefix_entry",
	"authorize_zone",  "deauthorize_zone", "disassociate_zone",
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
	case VP_RECONCILE_HELD:
		return "held";
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

/* Add an item (its fields filled by the caller through the pointer); NULL when full. */
struct vp_reconcile_item *vp_reconcile_add_item(struct vp_reconcile_pass *p,
						enum vp_reconcile_kind kind, int64_t n,
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
	vp_reconcile_copy(it->account, sizeof(it->account), account);
	return it;
}

void vp_reconcile_detail(struct vp_reconcile_item *it, const char *fmt, ...)
{
	va_list ap;

	if (!it)
		return;
	va_start(ap, fmt);
	vsnprintf(it->detail, sizeof(it->detail), fmt, ap);
	va_end(ap);
}

void vp_reconcile_set_outcome(struct vp_reconcile_item *it, enum vp_reconcile_outcome o,
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

void vp_reconcile_set_error(struct vp_reconcile_item *it, const struct vp_error *e)
{
	vp_reconcile_set_outcome(
		it, e->code == VP_ERR_UNAVAILABLE ? VP_RECONCILE_SKIPPED : VP_RECONCILE_FAILED, e);
}

void vp_reconcile_route_item(struct vp_reconcile_item *it, const char *table, const char *cidr,
			     const char *target)
{
	if (!it)
		return;
	vp_reconcile_copy(it->table, sizeof(it->table), table);
	vp_reconcile_copy(it->cidr, sizeof(it->cidr), cidr);
	vp_reconcile_copy(it->target, sizeof(it->target), target);
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
	doc = json_pack("{sb sI sI s{sI sI sI sI sI sI} s{sI sI sI sI sI sI sI sI} so}", "dry_run",
			r->dry_run, "started_at", (json_int_t)r->started_at, "finished_at",
			(json_int_t)r->finished_at, "checked", "namespaces",
			(json_int_t)r->namespaces, "route_tables", (json_int_t)r->route_tables,
			"routes", (json_int_t)r->routes, "roles", (json_int_t)r->roles,
			"trust_entries", (json_int_t)r->trust_entries, "peerings",
			(json_int_t)r->peerings, "summary", "planned", (json_int_t)r->planned,
			"changed", (json_int_t)r->changed, "failed", (json_int_t)r->failed,
			"reported", (json_int_t)r->reported, "skipped", (json_int_t)r->skipped,
			"dropped", (json_int_t)r->dropped, "held", (json_int_t)r->held,
			"destructive", (json_int_t)r->destructive, "items", items);
	return doc;
}
