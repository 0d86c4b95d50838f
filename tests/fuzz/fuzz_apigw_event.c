/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API Gateway HTTP API events (api/apigw.h, issue 18) on arbitrary bytes:
 * never a crash; a refusal says why; an accepted request keeps the limits
 * (a method token, a path from '/', a body within max_body unless refused)
 * and, answered with an error, makes a response object.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/apigw.h"
#include "api/render.h"
#include "fuzz_check.h"

#define MAX_BODY 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct vp_dispatch d = {0};
	struct vp_apigw_request req;
	struct vp_dispatch_request r;
	struct vp_error err = {VP_OK, ""};
	vp_code rc;
	char *out;

	vp_apigw_request_init(&req);

	/* An event is a schedule or a request, never both. */
	if (vp_apigw_scheduled_event((const char *)data, size) &&
	    vp_apigw_event_parse((const char *)data, size, MAX_BODY, &req, &err) == VP_OK)
		abort();
	vp_apigw_request_cleanup(&req);
	vp_apigw_request_init(&req);
	rc = vp_apigw_event_parse((const char *)data, size, MAX_BODY, &req, &err);
	fuzz_refused_with_reason(rc, &err);
	if (rc == VP_OK) {
		if (!req.method[0] || !req.uri || req.uri[0] != '/' || !req.body)
			abort();
		if (req.reject_status == 0 && req.body_len > MAX_BODY)
			abort();
		if (req.reject_status && (!req.reject_code || !req.reject_message[0]))
			abort();
		vp_dispatch_request_init(&r, &d);
		vp_render_problem(&r.call, req.reject_status ? req.reject_status : 400, "invalid",
				  req.uri);
		out = vp_apigw_response(&r);
		if (!out)
			abort();
		free(out);
		vp_dispatch_request_cleanup(&r);
	}
	vp_apigw_request_cleanup(&req);
	return 0;
}
