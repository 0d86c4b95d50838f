/* SPDX-License-Identifier: Apache-2.0 */
/* The /v1/namespaces routes (docs/api.md "Routes"): parse, call the broker, render. */
#include <stdbool.h>
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
	char client_ref[VP_CLIENT_REF_MAX + 1];
	struct vp_registration reg;
	struct vp_error err;

	call->n = call->match.namespace_id;
	if (vp_release_query_parse(call->query, call->query_len, client_ref, &err) != VP_OK ||
	    vp_broker_release(call->broker, call->caller, call->match.namespace_id, client_ref,
			      call->request_id, &reg, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	answer_registration(call, 200, &reg);
}

/*
 * A page is read from the broker in chunks of LIST_CHUNK records. A whole page at once
 * (100 by default, about 4.5 KB each) was two allocations of hundreds of KiB per request,
 * which glibc maps and unmaps every time (serve fixes the mmap threshold at 128 KiB): page
 * faults and TLB shoot-downs made an authenticated GET cost 4x its CPU (bench/broker.py,
 * issue 13). A chunk stays on the heap and is reused.
 */
#define LIST_CHUNK 16

/* Appends one chunk's namespaces to items; false when out of memory. */
static bool append_chunk(json_t *items, const struct vp_registration *chunk, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		json_t *obj = vp_render_namespace(&chunk[i]);
		if (!obj || json_array_append_new(items, obj) != 0)
			return false;
	}
	return true;
}

void vp_api_namespaces_list(struct vp_api_call *call)
{
	struct vp_list_query q;
	struct vp_registration *chunk = NULL;
	struct vp_error err;
	size_t total = 0;
	int64_t cursor, next = 0;
	json_t *doc = NULL, *items = NULL;
	char cursor_text[24];

	if (vp_list_query_parse(call->query, call->query_len, &q, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	chunk = malloc(LIST_CHUNK * sizeof(*chunk));
	items = json_array();
	if (!chunk || !items) {
		vp_render_error(call, VP_ERR_NOMEM, "out of memory for a page of namespaces");
		goto done;
	}
	for (cursor = q.cursor; total < q.limit; cursor = next) {
		size_t ask = q.limit - total < LIST_CHUNK ? q.limit - total : LIST_CHUNK, got = 0;

		if (vp_broker_list(call->broker, call->caller, q.states,
				   q.account[0] ? q.account : NULL, cursor, chunk, ask, &got, &next,
				   &err) != VP_OK) {
			vp_render_error(call, err.code, err.message);
			goto done;
		}
		if (got > ask || !append_chunk(items, chunk, got)) {
			vp_render_error(call, VP_ERR_NOMEM,
					"out of memory for a page of namespaces");
			goto done;
		}
		total += got;
		if (next <= 0 || got < ask)
			break;
	}
	snprintf(cursor_text, sizeof(cursor_text), "%lld", (long long)next);
	doc = json_pack("{sO so}", "Namespaces", items, "NextCursor",
			next > 0 ? json_string(cursor_text) : json_null());
	vp_render_json(call, 200, doc);
done:
	json_decref(items);
	free(chunk);
}
