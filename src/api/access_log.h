/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the HTTP server records of each request: its id (X-Request-Id), and
 * once it is answered (or the client went away first) one JSON access-log line ("msg": "request")
 * and the request metrics, vpcpeer_http_requests_total{route,method,status} and the histogram
 * vpcpeer_http_request_duration_seconds{route}. docs/serving.md lists the fields and the series.
 */
#ifndef VP_API_ACCESS_LOG_H
#define VP_API_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vp_metrics;

#define VP_REQUEST_ID_LEN 32

/* A new request id: 16 random bytes as 32 hex digits, NUL-terminated. */
void vp_access_log_request_id(char out[VP_REQUEST_ID_LEN + 1]);

/* One request, as logged. The strings are borrowed for the call. */
struct vp_access_entry {
	const char *request_id;
	const char *method;     /* as sent; the metrics label only the known ones */
	const char *route;      /* the route's template ("/v1/namespaces/{n}") or "unmatched" */
	unsigned status;        /* 499: the client left before the answer */
	const char *account;    /* the verified caller; NULL when there is none */
	const char *source;     /* the client's address (api/proxy.h); NULL or "": unknown */
	int64_t n;              /* the namespace answered about, or -1 */
	double latency;         /* seconds from the first byte to the answer */
	size_t bytes;           /* the answer's body */
	const char *error_code; /* the API error code, NULL on success */
	bool aborted;           /* nothing was answered */
};

/* Declare the request metrics in m; declared already (a second server) is fine. */
void vp_access_log_declare(struct vp_metrics *m);

/*
 * Count the request in m (NULL: no metrics) and write its log line (WARN for
 * a 5xx, INFO otherwise). Best effort: out of memory loses the line.
 */
void vp_access_log_write(struct vp_metrics *m, const struct vp_access_entry *e);

#endif
