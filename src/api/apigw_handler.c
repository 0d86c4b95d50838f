/* SPDX-License-Identifier: Apache-2.0 */
/* One API Gateway event through the dispatch steps (apigw.h): the function's vp_server. */
#include <stdio.h>
#include <string.h>

#include "api/apigw.h"
#include "api/render.h"

/* The steps after parsing; the answer is in r->call when it returns. */
static void answer_event(struct vp_apigw_function *f, struct vp_apigw_request *req,
			 struct vp_dispatch_request *r)
{
	struct vp_api_call *call = &r->call;
	struct vp_error err = {VP_OK, ""};
	char message[96];

	if (req->reject_status) {
		/* Refused before routing, as the server refuses a request it cannot read. */
		snprintf(r->method, sizeof(r->method), "%s", req->method);
		vp_render_problem(call, req->reject_status, req->reject_code, req->reject_message);
		return;
	}
	if (vp_dispatch_begin(r, req->method, req->uri) == VP_DISPATCH_ANSWER)
		return;
	if (req->body_len > f->max_body) {
		snprintf(message, sizeof(message), "the body is larger than %zu bytes",
			 f->max_body);
		vp_render_problem(call, 413, "too_large", message);
		return;
	}
	switch (vp_dispatch_admit(r, req->authorization)) {
	case VP_DISPATCH_ANSWER:
	case VP_DISPATCH_RENDERED:
		return;
	case VP_DISPATCH_RUN:
		break;
	default:
		vp_render_error(call, VP_ERR_NOMEM, "out of memory");
		return;
	}
	vp_dispatch_set_body(r, req->body, req->body_len);
	if (r->authorization && !f->dispatch.auth && f->auth_for &&
	    f->auth_for(f->ctx, req->domain, &f->dispatch.auth, &err) != VP_OK) {
		vp_render_error(call, err.code, err.message);
		return;
	}
	vp_dispatch_run(r);
}

vp_code vp_apigw_handle(struct vp_apigw_function *f, const char *event, size_t len, char **response,
			struct vp_error *err)
{
	struct vp_apigw_request req;
	struct vp_dispatch_request r;
	vp_code rc;

	vp_apigw_request_init(&req);
	rc = vp_apigw_event_parse(event, len, f->max_body, &req, err);
	if (rc != VP_OK) {
		vp_apigw_request_cleanup(&req);
		return rc;
	}
	vp_dispatch_request_init(&r, &f->dispatch);
	snprintf(r.source, sizeof(r.source), "%s", req.source);
	answer_event(f, &req, &r);
	*response = vp_apigw_response(&r);
	if (*response)
		vp_dispatch_log(&r, r.call.status, false);
	else
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory for the response");
	vp_dispatch_request_cleanup(&r);
	vp_apigw_request_cleanup(&req);
	return rc;
}
