/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One error value for AWS failures: what AWS said (code, message, request id,
 * HTTP status) and what the client concluded (retryable, throttling, how many
 * attempts), plus the project's own vp_error for people and programs.
 *
 * Both wire formats are understood (aws-wire.md §0):
 *   IAM/STS  <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>
 *   EC2      <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *
 * Storage is caller-owned and fixed-size: nothing to free.
 */
#ifndef VP_AWS_ERROR_H
#define VP_AWS_ERROR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"

#define VP_AWS_CODE_MAX       128
#define VP_AWS_REQUEST_ID_MAX 128

struct vp_aws_error {
	struct vp_error error;      /* vp code + one line for people (always set on failure) */
	char code[VP_AWS_CODE_MAX]; /* AWS's error code ("Throttling"); "" when AWS never answered
				     */
	char message[VP_ERROR_MESSAGE_MAX]; /* AWS's own message, "" when none */
	char request_id[VP_AWS_REQUEST_ID_MAX];
	long http_status; /* 0 when there was no HTTP answer (connection error) */
	bool retryable;   /* the standard retry mode would retry this */
	bool throttling;  /* a throttling code (EC2 RequestLimitExceeded, IAM Throttling...) */
	int attempts;     /* attempts the call made (1 = no retry) */
};

/* Reset to "no error". e may be NULL. */
void vp_aws_error_clear(struct vp_aws_error *e);

/*
 * Read an AWS error document (either format) answered with `http_status`
 * into e->code, e->message, e->request_id and e->http_status. Returns VP_OK
 * when the body was an error document; otherwise VP_ERR_INVALID with e->code
 * left "" (a bare 503 from a load balancer, HTML, truncated XML...). Does not
 * touch e->error.
 */
VP_NODISCARD vp_code vp_aws_error_parse(long http_status, const char *body, size_t len,
					struct vp_aws_error *e);

/*
 * The vp code an AWS error code maps to: NotFound/NoSuchEntity -> NOT_FOUND,
 * throttling and 5xx -> UNAVAILABLE, bad keys/signature -> AUTH,
 * AccessDenied/UnauthorizedOperation -> FORBIDDEN, quotas (LimitExceeded,
 * RouteLimitExceeded...) -> EXHAUSTED, AlreadyExists/state errors -> CONFLICT,
 * validation errors -> INVALID, anything else -> AWS.
 */
/*
 * A REST-JSON error answer (RAM): the code is the x-amzn-ErrorType header
 * (`error_type`, may be NULL or "") or else the body's "__type" or "code",
 * each cut at ':' and after the last '#' ("aws.ram#UnknownResourceException:
 * http://..." -> "UnknownResourceException"); the message is "message" or
 * "Message". VP_OK when a code was found, as vp_aws_error_parse.
 */
VP_NODISCARD vp_code vp_aws_error_parse_json(long http_status, const char *error_type,
					     const char *body, size_t len, struct vp_aws_error *e);

VP_NODISCARD vp_code vp_aws_error_map(const char *aws_code, long http_status);

/*
 * Fill e->error from the AWS fields: "WHAT: Code: message (HTTP n, request
 * id X)". Returns the mapped vp code. e may be NULL (then only the code is
 * computed, from nothing: VP_ERR_AWS).
 */
VP_NODISCARD vp_code vp_aws_error_finish(struct vp_aws_error *e, const char *what);

/*
 * Record a failure that is not an AWS answer (no credentials, a bad
 * parameter, a connection error, an unreadable response): e->code "" and
 * e->error set. Returns `code`.
 */
vp_code vp_aws_error_fail(struct vp_aws_error *e, vp_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Copy a vp_error into e->error (for failures reported by lower layers). */
VP_NODISCARD vp_code vp_aws_error_from(struct vp_aws_error *e, const struct vp_error *err);

#endif
