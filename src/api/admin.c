/* SPDX-License-Identifier: Apache-2.0 */
/* The hub page's routes and GET /v1/events (admin.h, issue 17). */
#include "api/admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/query.h"
#include "api/render.h"
#include "broker/broker.h"
#include "broker/hub_view.h"
#include "registry/state.h"

const char *const vp_admin_headers[] = {
	"Content-Security-Policy",
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; "
	"frame-ancestors 'none'",
	"X-Content-Type-Options",
	"nosniff",
	"X-Frame-Options",
	"DENY",
	"Referrer-Policy",
	"no-referrer",
	NULL,
};

/* The summary draws each namespace up to this many live ones, else aggregates them. */
#define PICTURE_EACH_MAX 60
/* Accounts the aggregated picture names; the rest are summed as "other". */
#define PICTURE_ACCOUNTS 24
/* A table page scans at most this many records for its filter (then answers a short page
 * with a cursor): a request stays bounded at any registry size. */
#define SCAN_MAX 20000
#define CHUNK    200

int vp_admin_asset_find(const char *name)
{
	for (size_t i = 0; i < vp_admin_asset_count; i++)
		if (strcmp(name, vp_admin_assets[i].name) == 0)
			return (int)i;
	return -1;
}

static void admin_asset(struct vp_api_call *call)
{
	const struct vp_admin_asset *a;
	char *copy;

	if (call->match.asset < 0 || (size_t)call->match.asset >= vp_admin_asset_count) {
		vp_render_error(call, VP_ERR_NOT_FOUND, "no such file");
		return;
	}
	a = &vp_admin_assets[call->match.asset];
	copy = malloc(a->len + 1);
	if (copy) {
		memcpy(copy, a->data, a->len);
		copy[a->len] = '\0';
	}
	vp_render_text(call, 200, copy, a->content_type);
}

static json_t *render_event(const struct vp_event_record *e)
{
	json_t *detail = json_loads(e->detail[0] ? e->detail : "{}", 0, NULL);

	if (!json_is_object(detail)) {
		json_decref(detail);
		detail = json_object();
	}
	return json_pack("{sI so sI ss ss so ss}", "EventId", (json_int_t)e->id, "At",
			 vp_render_time(e->at), "NamespaceId", (json_int_t)e->n, "AccountId",
			 e->account, "Type", e->type, "Detail", detail, "RequestId", e->request_id);
}

/* A page of events, caller NULL for the operator. */
static void answer_events(struct vp_api_call *call, const struct vp_identity *caller)
{
	struct vp_events_query q;
	struct vp_event_record *events = NULL;
	struct vp_error err;
	size_t got = 0;
	int64_t next = 0;
	json_t *items = NULL;
	char cursor_text[24];

	if (vp_events_query_parse(call->query, call->query_len, &q, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	events = calloc(q.limit, sizeof(*events));
	items = json_array();
	if (!events || !items) {
		vp_render_error(call, VP_ERR_NOMEM, "out of memory for a page of events");
		goto done;
	}
	if (vp_broker_events(call->broker, caller, q.n, q.account, q.cursor, events, q.limit, &got,
			     &next, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		goto done;
	}
	for (size_t i = 0; i < got; i++) {
		json_t *e = render_event(&events[i]);
		if (!e || json_array_append_new(items, e) != 0) {
			vp_render_error(call, VP_ERR_NOMEM, "out of memory for a page of events");
			goto done;
		}
	}
	snprintf(cursor_text, sizeof(cursor_text), "%lld", (long long)next);
	vp_render_json(call, 200,
		       json_pack("{sO so}", "Events", items, "NextCursor",
				 next > 0 ? json_string(cursor_text) : json_null()));
done:
	json_decref(items);
	free(events);
}

void vp_api_events_list(struct vp_api_call *call)
{
	answer_events(call, call->caller);
}

static void admin_events(struct vp_api_call *call)
{
	answer_events(call, NULL);
}

/* Whether the namespace's labels hold key (=value), and the search text is in one of its
 * fields: the table's filters the registry has no index for. */
static bool matches(const struct vp_registration *reg, const struct vp_admin_ns_query *q)
{
	const struct vp_namespace_record *r = &reg->record;
	char n[24];

	if (q->label_key[0]) {
		json_t *labels = json_loads(r->labels, 0, NULL);
		const char *v = json_string_value(json_object_get(labels, q->label_key));
		bool ok = v && (!q->label_has_value || strcmp(v, q->label_value) == 0);
		json_decref(labels);
		if (!ok)
			return false;
	}
	if (!q->q[0])
		return true;
	snprintf(n, sizeof(n), "%lld", (long long)r->n);
	return strcmp(n, q->q) == 0 || strstr(r->client_ref, q->q) || strstr(r->vpc_cidr, q->q) ||
	       strstr(r->vpc_id, q->q) || strstr(r->peering_id, q->q) || strstr(r->account, q->q);
}

static void admin_namespaces(struct vp_api_call *call)
{
	struct vp_admin_ns_query q;
	struct vp_registration *chunk = NULL;
	struct vp_error err;
	size_t total = 0, scanned = 0;
	int64_t cursor, next = 0, resume = 0;
	json_t *items = NULL;
	char cursor_text[24];

	if (vp_admin_ns_query_parse(call->query, call->query_len, &q, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	chunk = malloc(CHUNK * sizeof(*chunk));
	items = json_array();
	if (!chunk || !items) {
		vp_render_error(call, VP_ERR_NOMEM, "out of memory for a page of namespaces");
		goto done;
	}
	for (cursor = q.list.cursor; total < q.list.limit && scanned < SCAN_MAX; cursor = next) {
		size_t got = 0, i;

		if (vp_broker_records(call->broker,
				      q.list.states ? q.list.states : VP_NS_STATES_LIVE,
				      q.list.account[0] ? q.list.account : NULL, cursor, chunk,
				      CHUNK, &got, &next, &err) != VP_OK) {
			vp_render_error(call, err.code, err.message);
			goto done;
		}
		for (i = 0; i < got && total < q.list.limit; i++) {
			resume = chunk[i].record.id;
			if (!matches(&chunk[i], &q))
				continue;
			if (json_array_append_new(items, vp_render_namespace(&chunk[i])) != 0) {
				vp_render_error(call, VP_ERR_NOMEM, "out of memory");
				goto done;
			}
			total++;
		}
		scanned += i;
		if (i < got) { /* the page filled inside the chunk: go on after its last item */
			next = resume;
			break;
		}
		if (next <= 0)
			break;
	}
	if (scanned >= SCAN_MAX && next <= 0 && resume > 0)
		next = resume;
	snprintf(cursor_text, sizeof(cursor_text), "%lld", (long long)next);
	vp_render_json(call, 200,
		       json_pack("{sO so}", "Namespaces", items, "NextCursor",
				 next > 0 ? json_string(cursor_text) : json_null()));
done:
	json_decref(items);
	free(chunk);
}

/* The summary's namespace part: each one (few), or counts by account (many). */
static json_t *picture(struct vp_broker *b, int64_t live, struct vp_error *err)
{
	struct vp_registration *chunk = malloc(CHUNK * sizeof(*chunk));
	json_t *each = json_array(), *accounts = json_object(), *doc = NULL;
	int64_t cursor = 0, next = 0;
	bool aggregate = live > PICTURE_EACH_MAX;

	if (!chunk || !each || !accounts) {
		vp_fail(err, VP_ERR_NOMEM, "out of memory for the picture");
		goto done;
	}
	do {
		size_t got = 0;
		if (vp_broker_records(b, VP_NS_STATES_LIVE, NULL, cursor, chunk, CHUNK, &got, &next,
				      err) != VP_OK)
			goto done;
		for (size_t i = 0; i < got; i++) {
			const struct vp_registration *reg = &chunk[i];
			const char *state = vp_registry_state_name(reg->record.state);
			json_t *acc = json_object_get(accounts, reg->record.account);

			if (!acc) {
				acc = json_pack("{sI sI sI sI}", "pending", (json_int_t)0, "active",
						(json_int_t)0, "failed", (json_int_t)0, "releasing",
						(json_int_t)0);
				json_object_set_new(accounts, reg->record.account, acc);
			}
			json_object_set_new(
				acc, state,
				json_integer(json_integer_value(json_object_get(acc, state)) + 1));
			if (!aggregate)
				json_array_append_new(each, vp_render_namespace(reg));
		}
		cursor = next;
	} while (next > 0);
	doc = json_pack("{ss sO sO}", "mode", aggregate ? "aggregate" : "each", "namespaces", each,
			"by_account", accounts);
	if (!doc)
		vp_fail(err, VP_ERR_NOMEM, "out of memory for the picture");
done:
	json_decref(each);
	json_decref(accounts);
	free(chunk);
	return doc;
}

static json_t *gauge(const char *name, const char *what, int64_t used, int64_t of, const char *flag)
{
	return json_pack("{ss ss sI sI ss}", "name", name, "what", what, "used", (json_int_t)used,
			 "of", (json_int_t)of, "raise", flag);
}

static void admin_summary(struct vp_api_call *call)
{
	struct vp_broker_hub h;
	struct vp_error err;
	json_t *states, *gauges, *pic, *pass, *doc;
	bool tgw;

	if (vp_broker_hub(call->broker, &h, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	if (!(pic = picture(call->broker, h.live, &err))) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	tgw = strcmp(h.attach, "transit-gateway") == 0;
	states = json_object();
	for (int s = 0; s < VP_NS_STATE_COUNT; s++)
		json_object_set_new(states, vp_registry_state_name((enum vp_ns_state)s),
				    json_integer(h.states[s]));
	gauges = json_array();
	json_array_append_new(gauges,
			      gauge("namespaces", "live namespaces of the hub's capacity", h.live,
				    h.capacity, "the plan (--pool) or AWS's quota"));
	json_array_append_new(gauges,
			      gauge(tgw ? "attachments" : "peerings",
				    tgw ? "attachments of the transit gateway's quota"
					: "peerings of the hub VPC's quota (live namespaces)",
				    h.live, h.aws_room,
				    tgw ? "the transit gateway's quota" : "--max-peerings"));
	json_array_append_new(gauges,
			      gauge("routes", "the broker's routes per hub route table (active)",
				    h.states[VP_NS_ACTIVE], h.max_routes_per_table,
				    "--max-routes-per-table"));
	pass = vp_broker_last_pass(call->broker);
	doc = json_pack("{s{ss ss ss ss ss ss ss sI} so so so so}", "hub", "account", h.account,
			"vpc", h.vpc, "cidr", h.cidr, "region", h.region, "accepter", h.accepter,
			"attach", h.attach, "transit_gateway_id", h.transit_gateway_id,
			"route_tables", (json_int_t)h.route_tables, "states", states, "gauges",
			gauges, "picture", pic, "last_pass", pass ? pass : json_null());
	vp_render_json(call, 200, doc);
}

void vp_api_admin_call(struct vp_api_call *call)
{
	call->headers = vp_admin_headers;
	switch (call->match.route) {
	case VP_ROUTE_ADMIN_ASSET:
		admin_asset(call);
		break;
	case VP_ROUTE_ADMIN_SUMMARY:
		admin_summary(call);
		break;
	case VP_ROUTE_ADMIN_NAMESPACES:
		admin_namespaces(call);
		break;
	case VP_ROUTE_ADMIN_EVENTS:
		admin_events(call);
		break;
	default:
		vp_render_error(call, VP_ERR_INTERNAL, "not a route of the hub page");
	}
}
