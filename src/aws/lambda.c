/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/lambda.h"

#include <stdio.h>
#include <string.h>

#include "aws/client.h"

#define INVOKE_PATH "/2015-03-31/functions/"

bool vp_aws_lambda_function_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n >= 1 && n <= VP_AWS_LAMBDA_FUNCTION_MAX &&
	       strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:.$") == n;
}

vp_code vp_aws_lambda_invoke(struct vp_aws_client *c, const char *function, const char *payload,
			     long timeout_ms, struct vp_buf *result,
			     struct vp_aws_lambda_result *out, struct vp_aws_error *err)
{
	/* RequestResponse is Invoke's default; said anyway, so a change of default cannot turn
	 * the probe into a fire-and-forget Event invocation. */
	static const struct vp_aws_header headers[] = {
		{"X-Amz-Invocation-Type", "RequestResponse"},
	};
	char path[sizeof(INVOKE_PATH) + 3 * VP_AWS_LAMBDA_FUNCTION_MAX + 16];
	char kind[VP_AWS_FUNCTION_ERROR_MAX];
	struct vp_aws_rest_request req = {
		.method = "POST",
		.path = path,
		.body = payload,
		.body_len = payload ? strlen(payload) : 0,
		.headers = headers,
		.header_count = sizeof(headers) / sizeof(headers[0]),
		.timeout_ms = timeout_ms,
		/* One attempt: the function may have run for all of timeout_ms, and a second
		 * would end past the caller's deadline (its answer to CloudFormation). */
		.max_attempts = 1,
		.json_errors = true,
	};
	size_t len = sizeof(INVOKE_PATH) - 1;
	vp_code rc;

	memset(out, 0, sizeof(*out));
	if (!vp_aws_lambda_function_name_valid(function) || !payload) {
		vp_aws_error_clear(err);
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "lambda Invoke: '%.180s' is not a function name or ARN "
					 "(1 to %d characters: letters, digits, - _ : . $)",
					 function ? function : "", VP_AWS_LAMBDA_FUNCTION_MAX);
	}
	/* ':' of an ARN percent-encoded, as the SDKs send it; the rest needs none. */
	memcpy(path, INVOKE_PATH, len);
	for (const char *p = function; *p; p++) {
		if (*p == ':') {
			memcpy(path + len, "%3A", 3);
			len += 3;
		} else if (*p == '$') {
			memcpy(path + len, "%24", 3);
			len += 3;
		} else {
			path[len++] = *p;
		}
	}
	snprintf(path + len, sizeof(path) - len, "/invocations");
	rc = vp_aws_client_rest_ex(c, VP_AWS_LAMBDA, "Invoke", &req, result, kind, err);
	if (rc != VP_OK)
		return rc;
	snprintf(out->error_kind, sizeof(out->error_kind), "%s", kind);
	out->function_error = kind[0] != '\0';
	return VP_OK;
}
