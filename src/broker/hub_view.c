/* SPDX-License-Identifier: Apache-2.0 */
/* What the hub page and GET /v1/events read (hub_view.h, issue 17). */
#include "broker/hub_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/internal.h"
#include "broker/reconcile.h"
#include "broker/tgw.h"

vp_code vp_broker_hub(struct vp_broker *b, struct vp_broker_hub *out, struct vp_error *err)
{
	struct vp_broker_hub h;
	vp_code code;

	memset(&h, 0, sizeof(h));
	code = vp_registry_count_states(b->registry, h.states, err);
	if (code != VP_OK)
		return code;
	snprintf(h.account, sizeof(h.account), "%s", b->hub_account);
	snprintf(h.vpc, sizeof(h.vpc), "%s", b->hub_vpc);
	snprintf(h.cidr, sizeof(h.cidr), "%s", b->hub_cidr);
	snprintf(h.region, sizeof(h.region), "%s", b->hub_region);
	h.accepter = vp_broker_accepter_name(b->accepter);
	h.attach = vp_broker_attach_name(b->tgw ? VP_BROKER_ATTACH_TRANSIT_GATEWAY
						: VP_BROKER_ATTACH_PEERING);
	if (b->tgw)
		snprintf(h.transit_gateway_id, sizeof(h.transit_gateway_id), "%s", b->tgw->tgw);
	for (int s = 0; s < VP_NS_STATE_COUNT; s++)
		if (s != VP_NS_RELEASED)
			h.live += h.states[s];
	/* As vpcpeer_capacity_total has it (broker.c): the plan's room and AWS's cap. */
	h.plan_room = vp_plan_capacity(&b->plan) - 1 - vp_plan_reserved_count(&b->plan);
	h.aws_room = b->tgw ? b->tgw->max_attachments - 1 : b->max_peerings;
	h.capacity = h.plan_room < h.aws_room ? h.plan_room : h.aws_room;
	h.max_routes_per_table = b->tgw ? b->tgw->max_routes : b->max_routes_per_table;
	h.route_tables = b->table_count;
	h.trust_quota = b->trust_quota;
	*out = h;
	return VP_OK;
}

vp_code vp_broker_events(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
			 const char *account, int64_t cursor, struct vp_event_record *out,
			 size_t max, size_t *count, int64_t *next_cursor, struct vp_error *err)
{
	size_t got = 0;
	vp_code code;

	if (caller && !vp_broker_is_admin(b, caller))
		return vp_fail(err, VP_ERR_FORBIDDEN,
			       "only an admin may read the events (--admin-arn names them)");
	if (n < 0 || cursor < 0)
		return vp_fail(err, VP_ERR_INVALID, "n and cursor must not be negative");
	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	code = vp_registry_events_recent(b->registry, n, account, cursor, out, max, &got, err);
	if (code != VP_OK)
		return code;
	*count = got;
	/* A full page may have more below it; the next page starts under its last id. */
	*next_cursor = got == max && out[got - 1].id > 1 ? out[got - 1].id : 0;
	return VP_OK;
}

vp_code vp_broker_records(struct vp_broker *b, unsigned states, const char *account, int64_t cursor,
			  struct vp_registration *out, size_t max, size_t *count,
			  int64_t *next_cursor, struct vp_error *err)
{
	if (max == 0 || max > VP_REGISTRY_PAGE_MAX)
		return vp_fail(err, VP_ERR_INVALID, "page size %zu is not 1..%d", max,
			       VP_REGISTRY_PAGE_MAX);
	return vp_broker_page(b, states, account, cursor, out, max, count, next_cursor, err);
}

void vp_broker_note_pass(struct vp_broker *b, const struct vp_reconcile_report *report)
{
	json_t *doc = vp_reconcile_report_json(report);
	json_t *items = doc ? json_object_get(doc, "items") : NULL;
	char *text = NULL;

	if (!doc)
		return; /* out of memory: the page keeps the pass before */
	/* Bounded: the page shows the first items; the summary counts them all. */
	json_object_set_new(doc, "item_count", json_integer((json_int_t)report->count));
	while (json_array_size(items) > VP_BROKER_LAST_PASS_ITEMS)
		json_array_remove(items, json_array_size(items) - 1);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (!text)
		return;
	pthread_mutex_lock(&b->pass_lock);
	free(b->last_pass);
	b->last_pass = text;
	pthread_mutex_unlock(&b->pass_lock);
}

json_t *vp_broker_last_pass(struct vp_broker *b)
{
	json_t *doc = NULL;

	pthread_mutex_lock(&b->pass_lock);
	if (b->last_pass)
		doc = json_loads(b->last_pass, 0, NULL);
	pthread_mutex_unlock(&b->pass_lock);
	return doc;
}
