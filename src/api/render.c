/* SPDX-License-Identifier: Apache-2.0 */
#include "api/render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr/cidr.h"
#include "core/log.h"
#include "core/redact.h"
#include "registry/state.h"

/* What a client is told to wait after a 503 (AWS throttling, registry busy). */
#define UNAVAILABLE_RETRY_AFTER 5

static const char fallback_500[] =
	"{\"error\":{\"code\":\"internal\",\"message\":\"out of memory while answering\"}}";

unsigned vp_render_status(vp_code code)
{
	switch (code) {
	case VP_OK:
		return 200;
	case VP_ERR_INVALID:
	case VP_ERR_RANGE:
		return 400;
	case VP_ERR_AUTH:
		return 401;
	case VP_ERR_FORBIDDEN:
		return 403;
	case VP_ERR_NOT_FOUND:
		return 404;
	case VP_ERR_CONFLICT:
	case VP_ERR_EXHAUSTED:
		return 409;
	case VP_ERR_UNAVAILABLE:
	case VP_ERR_DB:
	case VP_ERR_IO:
		return 503;
	case VP_ERR_AWS:
		return 502;
	case VP_ERR_NOMEM:
	case VP_ERR_INTERNAL:
	default:
		return 500;
	}
}

const char *vp_render_code(vp_code code)
{
	switch (code) {
	case VP_ERR_INVALID:
	case VP_ERR_RANGE:
		return "invalid";
	case VP_ERR_AUTH:
		return "unauthenticated";
	case VP_ERR_FORBIDDEN:
		return "forbidden";
	case VP_ERR_NOT_FOUND:
		return "not_found";
	case VP_ERR_CONFLICT:
		return "conflict";
	case VP_ERR_EXHAUSTED:
		return "exhausted";
	case VP_ERR_UNAVAILABLE:
	case VP_ERR_DB:
	case VP_ERR_IO:
		return "unavailable";
	case VP_ERR_AWS:
		return "aws";
	default:
		return "internal";
	}
}

json_t *vp_render_time(int64_t t)
{
	char text[32];
	struct tm utc;
	time_t when = (time_t)t;

	if (t <= 0 || !gmtime_r(&when, &utc) ||
	    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		return json_null();
	return json_string(text);
}

static json_t *string_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* The record's labels (JSON object text); {} when absent or unreadable. */
static json_t *labels_object(const char *text)
{
	json_t *doc = text && *text ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

	if (json_is_object(doc))
		return doc;
	json_decref(doc);
	return json_object();
}

json_t *vp_render_namespace(const struct vp_registration *reg)
{
	const struct vp_namespace_record *r = &reg->record;
	char cidr[VP_CIDR_STRLEN];
	json_t *obj = json_object();
	int bad = 0;

	if (!obj)
		return NULL;
	bad |= json_object_set_new(obj, "NamespaceId", json_integer(r->n));
	bad |= json_object_set_new(obj, "State", json_string(vp_registry_state_name(r->state)));
	bad |= json_object_set_new(obj, "AccountId", json_string(r->account));
	bad |= json_object_set_new(obj, "ClientRef", json_string(r->client_ref));
	bad |= json_object_set_new(obj, "VpcCidrBlock",
				   json_string(vp_cidr_format(reg->plan.vpc, cidr)));
	for (unsigned i = 0; i < reg->plan.subnet_count && i < VP_PLAN_MAX_SUBNETS; i++) {
		char key[32];
		snprintf(key, sizeof(key), "Subnet%cCidrBlock", 'A' + (int)i);
		bad |= json_object_set_new(obj, key,
					   json_string(vp_cidr_format(reg->plan.subnets[i], cidr)));
	}
	bad |= json_object_set_new(obj, "PeerVpcId", json_string(reg->peer_vpc_id));
	bad |= json_object_set_new(obj, "PeerOwnerId", json_string(reg->peer_owner_id));
	bad |= json_object_set_new(obj, "PeerRegion", json_string(reg->peer_region));
	bad |= json_object_set_new(obj, "PeeringAccepter", json_string(reg->peering_accepter));
	bad |= json_object_set_new(obj, "PeerRoleArn", string_or_null(r->peer_role_arn));
	bad |= json_object_set_new(obj, "PeerCidrBlock", json_string(reg->peer_cidr));
	bad |= json_object_set_new(obj, "HostedZoneId", string_or_null(reg->hosted_zone));
	bad |= json_object_set_new(obj, "VpcId", string_or_null(r->vpc_id));
	/* The transit-gateway mode (issue 16): the attachment's id where the peering's was. */
	if (strcmp(reg->attach, "transit-gateway") == 0) {
		bad |= json_object_set_new(obj, "VpcPeeringConnectionId", json_null());
		bad |= json_object_set_new(obj, "TransitGatewayAttachmentId",
					   string_or_null(r->peering_id));
		bad |= json_object_set_new(obj, "TransitGatewayId",
					   json_string(reg->transit_gateway_id));
		bad |= json_object_set_new(obj, "ResourceShareArn",
					   json_string(reg->resource_share_arn));
	} else {
		bad |= json_object_set_new(obj, "VpcPeeringConnectionId",
					   string_or_null(r->peering_id));
	}
	bad |= json_object_set_new(obj, "Attach",
				   json_string(reg->attach[0] ? reg->attach : "peering"));
	bad |= json_object_set_new(obj, "Labels", labels_object(r->labels));
	bad |= json_object_set_new(obj, "CreatedAt", vp_render_time(r->created_at));
	bad |= json_object_set_new(obj, "UpdatedAt", vp_render_time(r->updated_at));
	bad |= json_object_set_new(obj, "ExpiresAt",
				   r->state == VP_NS_PENDING ? vp_render_time(r->expires_at)
							     : json_null());
	bad |= json_object_set_new(obj, "ReleasedAt", vp_render_time(r->released_at));
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

static void set_payload(struct vp_api_call *call, unsigned status, char *payload,
			const char *content_type)
{
	free(call->payload);
	if (!payload) {
		status = 500;
		call->error_code = "internal";
		payload = strdup(fallback_500);
		content_type = "application/json";
	}
	call->status = status;
	call->payload = payload;
	call->payload_len = payload ? strlen(payload) : 0;
	call->content_type = content_type;
}

void vp_render_json(struct vp_api_call *call, unsigned status, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	char *line = NULL;

	/* One line per answer: a trailing newline keeps `curl` output readable. */
	if (text) {
		size_t len = strlen(text);
		line = malloc(len + 2);
		if (line) {
			memcpy(line, text, len);
			line[len] = '\n';
			line[len + 1] = '\0';
		}
		free(text);
	}
	json_decref(doc);
	set_payload(call, status, line, "application/json");
}

void vp_render_problem(struct vp_api_call *call, unsigned status, const char *api_code,
		       const char *message)
{
	json_t *doc = json_pack("{s{ssss}}", "error", "code", api_code, "message",
				message && *message ? message : api_code);

	call->error_code = api_code;
	vp_render_json(call, status, doc);
}

/*
 * Whether an error's own text stays out of the answer: the registry's and
 * internal errors name the database (its address, a path; issue 14). A 503
 * of ours (STS, AWS, an accept still settling) keeps its reason unless it
 * names the registry (a lock held by another broker).
 */
static bool detail_hidden(vp_code code, const char *message)
{
	switch (code) {
	case VP_ERR_DB:
	case VP_ERR_IO:
	case VP_ERR_NOMEM:
	case VP_ERR_INTERNAL:
		return true;
	case VP_ERR_UNAVAILABLE:
		return strstr(message, "postgres") || strstr(message, "sqlite:");
	default:
		return false;
	}
}

/* The detail goes to the log (passwords masked), the caller gets the request id to quote. */
static void hide_detail(const struct vp_api_call *call, vp_code code, const char *message,
			char *generic, size_t cap)
{
	char shown[1024];
	const char *id = call->request_id ? call->request_id : "-";

	vp_redact(message, strlen(message), shown, sizeof(shown));
	vp_log(VP_LOG_ERROR, "request %s: %s: %s", id, vp_render_code(code), shown);
	if (code == VP_ERR_NOMEM || code == VP_ERR_INTERNAL)
		snprintf(generic, cap, "internal error (request id %s)", id);
	else
		snprintf(generic, cap, "registry unavailable (request id %s); retry later", id);
}

void vp_render_error(struct vp_api_call *call, vp_code code, const char *message)
{
	char generic[128];
	unsigned status;

	if (code == VP_OK) { /* a failure that forgot its code is a bug, not a success */
		code = VP_ERR_INTERNAL;
		message = "an operation failed without saying why";
	}
	if (!message)
		message = "";
	if (detail_hidden(code, message)) {
		hide_detail(call, code, message, generic, sizeof(generic));
		message = generic;
	}
	status = vp_render_status(code);
	if (status == 503)
		call->retry_after = UNAVAILABLE_RETRY_AFTER;
	vp_render_problem(call, status, vp_render_code(code), message);
}

void vp_render_text(struct vp_api_call *call, unsigned status, char *text, const char *content_type)
{
	set_payload(call, status, text, content_type);
}

void vp_api_call_cleanup(struct vp_api_call *call)
{
	free(call->payload);
	call->payload = NULL;
	call->payload_len = 0;
}
