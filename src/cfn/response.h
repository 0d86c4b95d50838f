/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The answer to a CloudFormation custom-resource request: the response
 * document and its PUT to the pre-signed ResponseURL (aws-wire.md §7).
 *
 * The document is at most VP_CFN_RESPONSE_MAX bytes: a long Reason is cut to
 * fit (marked " [...]"), Data never is. The PUT sends an empty Content-Type
 * (a pre-signed S3 URL signs none) and a Content-Length, follows no redirect,
 * and is retried on 5xx answers and connection failures until its attempts
 * or the deadline run out; a 4xx answer (an expired or wrongly signed URL) is
 * final and never retried.
 */
#ifndef VP_CFN_RESPONSE_H
#define VP_CFN_RESPONSE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/error.h"

#define VP_CFN_RESPONSE_MAX 4096

struct vp_cfn_response {
	bool success;                                   /* "SUCCESS" or "FAILED" */
	const char *reason;                             /* may be NULL on success; cut to fit */
	const char *physical_id;                        /* required, non-empty */
	const char *stack_id, *request_id, *logical_id; /* copied from the request */
	const json_t *data; /* an object of strings, or NULL (borrowed) */
};

/*
 * Render the document into `out` (reset first; its cap must be at least
 * VP_CFN_RESPONSE_MAX). VP_ERR_RANGE when it cannot fit even with the Reason
 * cut to a few characters (so Data or the ids are too large): the message
 * says how large; `out` is then empty.
 */
VP_NODISCARD vp_code vp_cfn_response_render(const struct vp_cfn_response *r, struct vp_buf *out,
					    struct vp_error *err);

struct vp_cfn_put_options {
	const char *ca_file;     /* NULL: libcurl's default CA bundle */
	int attempts;            /* 0: 4 */
	long retry_delay_ms;     /* before the second attempt, doubling; 0: 250 */
	long attempt_timeout_ms; /* 0: 10 s */
	int64_t deadline_ms;     /* unix ms after which no attempt starts; 0: none */
	int64_t (*now_ms)(void); /* NULL: the real clock */
};

/*
 * PUT `body` to `url` (http(s)://; plain http only to a loopback address).
 * VP_OK on a 2xx answer; VP_ERR_FORBIDDEN on a 4xx one (final: no attempt
 * can succeed); VP_ERR_IO otherwise, with the last status or connection
 * error and the attempts made. Never puts the URL (a credential)
 * in the message, only its host.
 */
VP_NODISCARD vp_code vp_cfn_response_put(const char *url, const char *body, size_t len,
					 const struct vp_cfn_put_options *opt,
					 struct vp_error *err);

/* Milliseconds since the epoch (CLOCK_REALTIME), as Lambda-Runtime-Deadline-Ms. */
int64_t vp_cfn_now_ms(void);

#endif
