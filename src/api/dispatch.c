/* SPDX-License-Identifier: Apache-2.0 */
#include "api/dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "api/admin.h"
#include "api/auth.h"
#include "api/ratelimit.h"
#include "api/render.h"
#include "broker/broker.h"
#include "core/clock.h"
#include "core/metrics.h"

#define M_RATE_LIMITED "vpcpeer_http_rate_limited_total"

void vp_dispatch_request_init(struct vp_dispatch_request *r, const struct vp_dispatch *d)
{
	memset(r, 0, sizeof(*r));
	r->d = d;
	r->start = (double)vp_clock_monotonic_ms() / 1e3;
	r->path = "";
	vp_access_log_request_id(r->id);
	r->call.n = -1;
	r->call.request_id = r->id;
	r->call.broker = d->broker;
	r->call.metrics = d->metrics;
	r->call.ready = d->ready;
	r->call.query = "";
}

static void drop_authorization(struct vp_dispatch_request *r)
{
	if (r->authorization) {
		OPENSSL_cleanse(r->authorization, strlen(r->authorization));
		free(r->authorization);
		r->authorization = NULL;
	}
}

void vp_dispatch_request_cleanup(struct vp_dispatch_request *r)
{
	drop_authorization(r);
	vp_api_call_cleanup(&r->call);
}

enum vp_dispatch_next vp_dispatch_begin(struct vp_dispatch_request *r, const char *method,
					char *uri)
{
	struct vp_api_call *call = &r->call;
	struct vp_error err = {VP_OK, ""};
	char *query;
	vp_code rc;

	snprintf(r->method, sizeof(r->method), "%s", method);
	query = strchr(uri, '?');
	if (query) {
		call->query = query + 1;
		call->query_len = strlen(query + 1);
		*query = '\0'; /* the path for routing; the query stays readable after it */
	} else {
		call->query = "";
	}
	r->path = uri;
	rc = vp_route_match(method, uri, &r->match, &err);
	if (rc == VP_ERR_CONFLICT) {
		call->allow = r->match.allowed_methods;
		vp_render_problem(call, 405, "method_not_allowed", err.message);
		return VP_DISPATCH_ANSWER;
	}
	if (rc != VP_OK) {
		vp_render_error(call, VP_ERR_NOT_FOUND, err.message);
		return VP_DISPATCH_ANSWER;
	}
	if (!vp_route_on_listener(r->match.route, r->d->metrics_listener)) {
		vp_render_error(call, VP_ERR_NOT_FOUND, "no such route on this listener");
		return VP_DISPATCH_ANSWER;
	}
	r->matched = true;
	call->match = r->match;
	return VP_DISPATCH_RUN;
}

enum vp_dispatch_next vp_dispatch_admit(struct vp_dispatch_request *r, const char *authorization)
{
	struct vp_api_call *call = &r->call;

	switch (r->match.route) {
	case VP_ROUTE_HEALTHZ:
		vp_api_healthz(call);
		return VP_DISPATCH_RENDERED;
	case VP_ROUTE_METRICS:
		vp_api_metrics(call);
		return VP_DISPATCH_RENDERED;
	default:
		if (r->match.route == VP_ROUTE_READYZ || vp_route_is_admin(r->match.route))
			return VP_DISPATCH_RUN; /* without a proof */
	}
	if (!authorization || !*authorization) {
		vp_render_error(call, VP_ERR_AUTH,
				"no identity proof: send 'Authorization: " VP_PROOF_SCHEME
				" ...' (docs/api.md)");
		return VP_DISPATCH_ANSWER;
	}
	if (strlen(authorization) > VP_PROOF_MAX_HEADER) {
		/* The same cap for serve and serve-lambda: what fits API Gateway's 10,240 bytes. */
		char msg[128];
		snprintf(msg, sizeof(msg),
			 "the identity proof is larger than %d bytes (docs/api.md, \"Identity "
			 "proof\")",
			 VP_PROOF_MAX_HEADER);
		vp_render_error(call, VP_ERR_AUTH, msg);
		return VP_DISPATCH_ANSWER;
	}
	r->authorization = strdup(authorization);
	return r->authorization ? VP_DISPATCH_RUN : VP_DISPATCH_NOMEM;
}

void vp_dispatch_set_body(struct vp_dispatch_request *r, const char *body, size_t len)
{
	r->call.body = body;
	r->call.body_len = len;
}

/* The /v1 routes' handlers (a proof and a caller first). */
static void (*const handlers[])(struct vp_api_call *call) = {
	[VP_ROUTE_NAMESPACES_LIST] = vp_api_namespaces_list,
	[VP_ROUTE_NAMESPACES_REGISTER] = vp_api_namespaces_register,
	[VP_ROUTE_NAMESPACE_GET] = vp_api_namespace_get,
	[VP_ROUTE_NAMESPACE_RELEASE] = vp_api_namespace_release,
	[VP_ROUTE_NAMESPACE_CONFIRM] = vp_api_namespace_confirm,
	[VP_ROUTE_EVENTS_LIST] = vp_api_events_list,
};

void vp_dispatch_run(struct vp_dispatch_request *r)
{
	const struct vp_dispatch *d = r->d;
	struct vp_api_call *call = &r->call;
	struct vp_error err = {VP_OK, ""};
	unsigned retry_after = 0;
	vp_code rc;

	if (r->match.route == VP_ROUTE_READYZ || vp_route_is_admin(r->match.route)) {
		/* no proof: a probe, or the hub page's operator on the admin listener */
		(r->match.route == VP_ROUTE_READYZ ? vp_api_readyz : vp_api_admin_call)(call);
		return;
	}
	if (!d->auth || !r->authorization) {
		vp_render_error(call, VP_ERR_INTERNAL, "no proof verifier for this route");
		return;
	}
	rc = vp_auth_verify_from(d->auth, r->authorization,
				 &(struct vp_auth_request){r->method, r->path, strlen(r->path)},
				 r->source, &r->identity, &retry_after, &err);
	drop_authorization(r);
	if (rc != VP_OK) {
		vp_render_error(call, err.code, err.message);
		if (retry_after)
			call->retry_after = retry_after;
		return;
	}
	r->identified = true;
	if (vp_broker_check_caller(d->broker, &r->identity, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	if (d->rate && !vp_ratelimit_take(d->rate, r->identity.account, &retry_after)) {
		char message[128];
		snprintf(message, sizeof(message),
			 "account %s sends more than %g requests per second; retry after %u s",
			 r->identity.account, d->account_rate, retry_after);
		if (d->metrics)
			vp_metrics_add(d->metrics, M_RATE_LIMITED, NULL, 1);
		vp_render_problem(call, 429, "rate_limited", message);
		call->retry_after = retry_after;
		return;
	}
	call->caller = &r->identity;
	if (r->match.route < sizeof(handlers) / sizeof(handlers[0]) && handlers[r->match.route])
		handlers[r->match.route](call);
	else
		vp_render_error(call, VP_ERR_INTERNAL, "route has no worker handler");
}

bool vp_dispatch_headers(const struct vp_dispatch_request *r,
			 bool (*add)(void *ctx, const char *name, const char *value), void *ctx)
{
	const struct vp_api_call *call = &r->call;
	char retry[16];
	bool ok;

	ok = add(ctx, "Content-Type",
		 call->content_type ? call->content_type : "application/json") &&
	     add(ctx, "X-Request-Id", r->id) && add(ctx, "Cache-Control", "no-store");
	if (ok && call->retry_after) {
		snprintf(retry, sizeof(retry), "%u", call->retry_after);
		ok = add(ctx, "Retry-After", retry);
	}
	if (ok && call->allow)
		ok = add(ctx, "Allow", call->allow);
	for (size_t i = 0; ok && call->headers && call->headers[i]; i += 2)
		ok = add(ctx, call->headers[i], call->headers[i + 1]);
	if (ok && call->status == 401)
		ok = add(ctx, "WWW-Authenticate", VP_PROOF_SCHEME);
	return ok;
}

void vp_dispatch_log(const struct vp_dispatch_request *r, unsigned status, bool aborted)
{
	const struct vp_access_entry entry = {
		.request_id = r->id,
		.method = r->method,
		.route = r->matched ? vp_route_template(r->match.route) : "unmatched",
		.status = status,
		.account = r->identified ? r->identity.account : NULL,
		.source = r->source,
		.n = r->call.n,
		.latency = (double)vp_clock_monotonic_ms() / 1e3 - r->start,
		.bytes = r->call.payload_len,
		.error_code = r->call.error_code,
		.aborted = aborted,
	};

	vp_access_log_write(r->d->metrics, &entry);
}

void vp_dispatch_declare_metrics(struct vp_metrics *m)
{
	struct vp_error err;

	/* Declared already (a second server on the same metrics) is fine. */
	vp_access_log_declare(m);
	vp_ignore(vp_metrics_declare(m, M_RATE_LIMITED, VP_METRIC_COUNTER,
				     "Requests refused by the per-account rate limit (429).",
				     &err));
}
