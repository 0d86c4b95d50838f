/* SPDX-License-Identifier: Apache-2.0 */
#include "api/auth_replay.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "core/ids.h"

#define STS_MAX_RESPONSE ((size_t)64 << 10)

/* AWS's message, first line only, and nothing that repeats the proof's secrets. */
static void safe_message(const char *msg, const struct vp_proof *p, char *out, size_t size)
{
	size_t n = strcspn(msg, "\r\n");

	if (n >= size)
		n = size - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] > 0x7e)
			out[i] = '?';
	if (strstr(out, p->signature)) {
		snprintf(out, size, "(message withheld)");
		return;
	}
	for (size_t i = 0; i < p->header_count; i++) {
		if (strcasecmp(p->headers[i].name, "X-Amz-Security-Token") == 0 &&
		    strlen(p->headers[i].value) >= 8 && strstr(out, p->headers[i].value)) {
			snprintf(out, size, "(message withheld)");
			return;
		}
	}
}

vp_code vp_auth_replay(struct vp_aws_http *http, long timeout_ms, const struct vp_proof *p,
		       struct vp_identity *out, struct vp_error *err)
{
	struct vp_aws_header headers[VP_PROOF_MAX_PROOF_HEADERS];
	struct vp_aws_http_request req = {
		.method = "POST",
		.url = p->url,
		.headers = headers,
		.body = p->body,
		.body_len = p->body_len,
		.connect_timeout_ms = timeout_ms,
		.timeout_ms = timeout_ms,
		.max_response = STS_MAX_RESPONSE,
	};
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_http_response resp;
	struct vp_aws_error aerr;
	struct vp_error herr;
	char msg[200];
	vp_code rc;

	/* Content-Length is curl's to send (the same value: it was checked). */
	for (size_t i = 0; i < p->header_count; i++)
		if (strcasecmp(p->headers[i].name, "Content-Length") != 0)
			headers[req.header_count++] =
				(struct vp_aws_header){p->headers[i].name, p->headers[i].value};
	vp_aws_http_response_init(&resp);
	if (vp_aws_http_send(http, &req, &resp, &herr) != VP_OK) {
		rc = vp_fail(err, VP_ERR_UNAVAILABLE, "STS could not be reached: %s", herr.message);
		goto done;
	}
	if (resp.status == 200) {
		if (vp_aws_sts_parse_caller_identity(resp.body.data, resp.body.len, &id, &herr) !=
		    VP_OK) {
			rc = vp_fail(err, VP_ERR_AWS, "STS answered the proof unreadably: %s",
				     herr.message);
			goto done;
		}
		if (!vp_ids_account_valid(id->account) || strlen(id->arn) >= sizeof(out->arn) ||
		    strlen(id->user_id) >= sizeof(out->user_id)) {
			rc = vp_fail(err, VP_ERR_AWS, "STS answered an identity that does not fit");
			goto done;
		}
		memset(out, 0, sizeof(*out));
		memcpy(out->account, id->account, sizeof(out->account));
		memcpy(out->arn, id->arn, strlen(id->arn) + 1);
		memcpy(out->user_id, id->user_id, strlen(id->user_id) + 1);
		rc = VP_OK;
		goto done;
	}
	vp_aws_error_clear(&aerr);
	if (vp_aws_error_parse(resp.status, resp.body.data ? resp.body.data : "", resp.body.len,
			       &aerr) == VP_OK) {
		safe_message(aerr.message, p, msg, sizeof(msg));
		if (vp_aws_error_map(aerr.code, resp.status) == VP_ERR_UNAVAILABLE)
			rc = vp_fail(err, VP_ERR_UNAVAILABLE,
				     "STS is unavailable: %s: %s (HTTP %ld)", aerr.code, msg,
				     resp.status);
		else
			rc = vp_fail(err, VP_ERR_AUTH, "STS refused the proof: %s: %s", aerr.code,
				     msg);
	} else if (resp.status >= 500 || resp.status == 429) {
		rc = vp_fail(err, VP_ERR_UNAVAILABLE, "STS is unavailable: HTTP %ld", resp.status);
	} else {
		rc = vp_fail(err, VP_ERR_AUTH, "STS refused the proof: HTTP %ld", resp.status);
	}
done:
	vp_aws_caller_identity_free(id);
	vp_aws_http_response_cleanup(&resp);
	return rc;
}
