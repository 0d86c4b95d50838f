/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CloudWatch embedded metric format (issue 18): the function's metrics as one
 * JSON line per answered request in its log, which CloudWatch Logs turns into
 * metrics of namespace "vpcpeer" with no agent and no API call
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
 * A function instance's own counters die with it and no one scrapes them;
 * these lines sum across instances. Metrics: Requests (Count) and Latency
 * (Milliseconds), by Route, Method and StatusClass ("2xx".."5xx"), and by
 * StatusClass alone; RequestId rides along as a property (not a dimension).
 */
#ifndef VP_API_EMF_H
#define VP_API_EMF_H

#include <stdint.h>

#define VP_EMF_NAMESPACE "vpcpeer"

struct vp_emf_request {
	const char *route;      /* the route's template ("/v1/namespaces/{n}") or "unmatched" */
	const char *method;     /* "GET" */
	unsigned status;        /* the HTTP status answered */
	double latency_ms;      /* receipt to answer */
	int64_t timestamp_ms;   /* unix milliseconds */
	const char *request_id; /* may be NULL */
};

/* The line, without its newline; the caller frees it. NULL when out of memory. */
char *vp_emf_request_line(const struct vp_emf_request *r);

#endif
