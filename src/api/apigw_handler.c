/* SPDX-License-Identifier: Apache-2.0 */
/* One API Gateway event through the dispatch steps (apigw.h): the function's vp_server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/apigw.h"
#include "api/emf.h"
#include "api/render.h"
#include "core/clock.h"

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

/* The request's metrics as one EMF line; a line that cannot be made is left out. */
static void write_emf(FILE *out, const struct vp_dispatch_request *r)
{
	struct timespec now;
	struct vp_emf_request m = {
		.route = r->matched ? vp_route_template(r->match.route) : "unmatched",
		.method = r->method,
		.status = r->call.status,
		.latency_ms = (double)vp_clock_monotonic_ms() - r->start * 1e3,
		.request_id = r->id,
	};
	char *line;

	clock_gettime(CLOCK_REALTIME, &now);
	m.timestamp_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	line = vp_emf_request_line(&m);
	if (line) {
		/* One write per line: CloudWatch Logs reads an EMF object only whole. */
		fprintf(out, "%s\n", line);
		fflush(out);
	}
	free(line);
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
	if (*response) {
		vp_dispatch_log(&r, r.call.status, false);
		if (f->emf)
			write_emf(f->emf, &r);
	} else
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory for the response");
	vp_dispatch_request_cleanup(&r);
	vp_apigw_request_cleanup(&req);
	return rc;
}
