/* SPDX-License-Identifier: Apache-2.0 */
/* The /v1/namespaces routes (docs/api.md "Routes"): parse, call the broker, render. */
#include <stdio.h>
#include <stdlib.h>

#include "api/query.h"
#include "api/render.h"
#include "broker/broker.h"

static void answer_registration(struct vp_api_call *call, unsigned status,
				const struct vp_registration *reg)
{
	call->n = reg->record.n;
	vp_render_json(call, status, vp_render_namespace(reg));
}

void vp_api_namespaces_register(struct vp_api_call *call)
{
	struct vp_register_request req;
	struct vp_registration reg;
	struct vp_error err;
	bool created = false;

	if (vp_register_request_parse(call->body, call->body_len, &req, &err) != VP_OK ||
	    vp_broker_register(call->broker, call->caller, &req, call->request_id, &reg, &created,
			       &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	answer_registration(call, created ? 201 : 200, &reg);
}

void vp_api_namespace_get(struct vp_api_call *call)
{
	struct vp_registration reg;
	struct vp_error err;

	call->n = call->match.namespace_id;
	if (vp_broker_get(call->broker, call->caller, call->match.namespace_id, &reg, &err) !=
	    VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	answer_registration(call, 200, &reg);
}

void vp_api_namespace_confirm(struct vp_api_call *call)
{
	struct vp_confirm_request req;
	struct vp_registration reg;
	struct vp_error err;

	call->n = call->match.namespace_id;
	if (vp_confirm_request_parse(call->body, call->body_len, &req, &err) != VP_OK ||
	    vp_broker_confirm(call->broker, call->caller, call->match.namespace_id, &req,
			      call->request_id, &reg, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	answer_registration(call, 200, &reg);
}

void vp_api_namespace_release(struct vp_api_call *call)
{
	struct vp_registration reg;
	struct vp_error err;

	call->n = call->match.namespace_id;
	if (vp_broker_release(call->broker, call->caller, call->match.namespace_id,
			      call->request_id, &reg, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	answer_registration(call, 200, &reg);
}

void vp_api_namespaces_list(struct vp_api_call *call)
{
	struct vp_list_query q;
	struct vp_registration *page = NULL;
	struct vp_error err;
	size_t count = 0;
	int64_t next = 0;
	json_t *doc = NULL, *items;

	if (vp_list_query_parse(call->query, call->query_len, &q, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	page = calloc(q.limit, sizeof(*page));
	if (!page) {
		vp_render_error(call, VP_ERR_NOMEM, "out of memory for a page of namespaces");
		return;
	}
	if (vp_broker_list(call->broker, call->caller, q.states, q.account[0] ? q.account : NULL,
			   q.cursor, page, q.limit, &count, &next, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		goto done;
	}
	items = json_array();
	for (size_t i = 0; items && i < count && i < q.limit; i++) {
		json_t *obj = vp_render_namespace(&page[i]);
		if (!obj || json_array_append_new(items, obj) != 0) {
			json_decref(items);
			items = NULL;
		}
	}
	if (items) {
		char cursor[24];
		snprintf(cursor, sizeof(cursor), "%lld", (long long)next);
		doc = json_pack("{so so}", "Namespaces", items, "NextCursor",
				next > 0 ? json_string(cursor) : json_null());
	}
	vp_render_json(call, 200, doc);
done:
	free(page);
}
