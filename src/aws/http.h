/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP for the AWS client, on libcurl.
 *
 * A struct vp_aws_http is a small pool of curl easy handles that share one
 * DNS cache and TLS session cache (a curl share object with locks). Each
 * handle keeps its own connections alive (libcurl cannot share a connection
 * cache between concurrent threads), and handles are reused, so connections
 * are too. Each request borrows a handle for its duration; any number of
 * threads may call vp_aws_http_send() on the same object at once.
 *
 * Only http and https, no redirects, no proxy from the environment unless
 * libcurl's own variables say so, no signals (threads). The response body is
 * bounded (max_response); a larger one fails the request.
 *
 * libcurl must have been initialised once (vp_aws_global_init, client.h).
 */
#ifndef VP_AWS_HTTP_H
#define VP_AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "aws/sigv4.h"
#include "core/buf.h"
#include "core/error.h"

struct vp_aws_http;

VP_NODISCARD vp_code vp_aws_http_new(struct vp_aws_http **out, struct vp_error *err);
/* Closes every kept-alive connection. NULL is a no-op. No request may be in flight. */
void vp_aws_http_free(struct vp_aws_http *http);

struct vp_aws_http_request {
	const char *method; /* "GET", "POST", "PUT" */
	const char *url;
	const struct vp_aws_header *headers; /* sent as given; an empty value sends "Name:" */
	size_t header_count;
	const void *body; /* may be NULL */
	size_t body_len;
	long connect_timeout_ms; /* 0: 10 s */
	long timeout_ms;         /* whole transfer; 0: 60 s */
	size_t max_response;     /* 0: VP_AWS_XML_MAX */
};

enum vp_aws_http_failure {
	VP_AWS_HTTP_OK = 0,    /* an HTTP answer arrived (any status) */
	VP_AWS_HTTP_CONNECT,   /* could not connect / resolve */
	VP_AWS_HTTP_TIMEOUT,   /* connect or transfer timed out */
	VP_AWS_HTTP_TRANSPORT, /* the connection broke, bad answer */
	VP_AWS_HTTP_TOO_LARGE, /* the body passed max_response */
};

struct vp_aws_http_response {
	long status;
	struct vp_buf body;
	char request_id[128];    /* x-amzn-RequestId / x-amz-request-id, "" when none */
	char error_type[128];    /* x-amzn-ErrorType (REST-JSON errors), "" when none */
	char function_error[32]; /* X-Amz-Function-Error (Lambda Invoke), "" when none */
	enum vp_aws_http_failure failure;
	long new_connections; /* connections opened for this request (0 = reused) */
};

void vp_aws_http_response_init(struct vp_aws_http_response *resp);
void vp_aws_http_response_cleanup(struct vp_aws_http_response *resp);
/* The same, wiping the body first (it may hold credentials). */
void vp_aws_http_response_wipe(struct vp_aws_http_response *resp);

/*
 * Send one request. VP_OK when an HTTP answer arrived, whatever its status
 * (resp->status); VP_ERR_IO otherwise, with resp->failure saying why.
 * resp must have been initialised; its body is replaced.
 */
VP_NODISCARD vp_code vp_aws_http_send(struct vp_aws_http *http,
				      const struct vp_aws_http_request *req,
				      struct vp_aws_http_response *resp, struct vp_error *err);

#endif
