/* SPDX-License-Identifier: Apache-2.0 */
/*
 * API Gateway HTTP API events (payload format 2.0) in, their answers out
 * (issue 18): the wire of the function that serves the broker's API behind
 * an HTTP API. The format:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 * (fields version, rawPath, rawQueryString, headers with lower-case names
 * and duplicates joined by commas, cookies, requestContext.http.method and
 * .sourceIp, requestContext.domainName, body, isBase64Encoded; the answer
 * statusCode, headers, body, isBase64Encoded). The limits:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
 * (request line and header values 10,240 bytes together).
 *
 * Memory: a struct vp_apigw_request is caller storage (_init/_cleanup; the
 * proof is wiped); vp_apigw_response() gives the caller a string to free().
 */
#ifndef VP_API_APIGW_H
#define VP_API_APIGW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "api/dispatch.h"
#include "core/error.h"

#define VP_APIGW_MAX_HEAD   10240 /* the request line and the header values, at most */
#define VP_APIGW_DOMAIN_MAX 253   /* a DNS name */
#define VP_APIGW_METHOD_MAX 15

struct vp_apigw_request {
	char method[VP_APIGW_METHOD_MAX + 1];
	char *uri;           /* rawPath, then '?' and rawQueryString when there is one */
	char *authorization; /* the authorization header, or NULL */
	char source[VP_PROXY_SOURCE_MAX];     /* requestContext.http.sourceIp, or "" */
	char domain[VP_APIGW_DOMAIN_MAX + 1]; /* requestContext.domainName, or "" */
	char *body;                           /* decoded (isBase64Encoded), NUL-terminated */
	size_t body_len;
	/* An HTTP request the function refuses before routing it: status (0: none), code, why. */
	unsigned reject_status;
	const char *reject_code;
	char reject_message[160];
};

void vp_apigw_request_init(struct vp_apigw_request *req);
void vp_apigw_request_cleanup(struct vp_apigw_request *req);

/*
 * Parse an event of `len` bytes. VP_ERR_INVALID, naming what is wrong, for
 * one that is not an HTTP API 2.0 event (not JSON, another version, no
 * method or rawPath, a field of the wrong type): the invocation's error,
 * not an HTTP answer. VP_OK for an HTTP request, with reject_status set
 * when it must be refused: 400 for a body that is not base64 though
 * isBase64Encoded says it is, 413 for a request line and headers over
 * VP_APIGW_MAX_HEAD or a body over max_body. VP_ERR_NOMEM. On failure *req
 * holds nothing to use (cleanup still frees it).
 */
VP_NODISCARD vp_code vp_apigw_event_parse(const char *event, size_t len, size_t max_body,
					  struct vp_apigw_request *req, struct vp_error *err);

/*
 * An EventBridge Scheduled Event
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html: "source":
 * "aws.events", "detail-type": "Scheduled Event"), the reconciler's invocation, not an HTTP
 * request. False for anything else (HTTP API events carry a requestContext and no such members).
 */
bool vp_apigw_scheduled_event(const char *event, size_t len);

/*
 * The answer of a dispatched request as the function's response object
 * (statusCode, headers from vp_dispatch_headers, body; a body that is not
 * UTF-8 goes base64 with isBase64Encoded true). NULL when out of memory.
 */
char *vp_apigw_response(const struct vp_dispatch_request *r);

/*
 * One event, answered: parse it, then the dispatch steps (dispatch.h) with
 * the event's source address, then the response object in *response (the
 * caller frees it) and the access-log line. `auth_for` makes the proof
 * verifier the first time a /v1 route needs one, from the event's domain
 * name (the server id when none is configured); d->auth is set then.
 * VP_ERR_INVALID for an event that is not an HTTP API event (nothing
 * answered, nothing logged); VP_ERR_NOMEM.
 */
struct vp_apigw_function {
	struct vp_dispatch dispatch;
	size_t max_body;
	vp_code (*auth_for)(void *ctx, const char *domain, struct vp_auth **out,
			    struct vp_error *err);
	void *ctx;
	FILE *emf; /* NULL, or where an embedded-metric-format line per request goes (api/emf.h) */
};

VP_NODISCARD vp_code vp_apigw_handle(struct vp_apigw_function *f, const char *event, size_t len,
				     char **response, struct vp_error *err);

#endif
