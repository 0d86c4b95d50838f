/* SPDX-License-Identifier: Apache-2.0 */
#include "api/emf.h"

#include <jansson.h>
#include <stdio.h>

char *vp_emf_request_line(const struct vp_emf_request *r)
{
	char status_class[4] = "bad";
	json_t *doc;
	char *line;

	/* Statuses outside 100..599 cannot be answered; say so rather than invent a class. */
	if (r->status >= 100 && r->status <= 599) {
		status_class[0] = (char)('0' + r->status / 100);
		status_class[1] = status_class[2] = 'x';
	}
	doc = json_pack("{s{sI s[{ss s[[sss][s]] s[{ssss}{ssss}]}]} ss ss ss si sf ss*}", "_aws",
			"Timestamp", (json_int_t)r->timestamp_ms, "CloudWatchMetrics", "Namespace",
			VP_EMF_NAMESPACE, "Dimensions", "Route", "Method", "StatusClass",
			"StatusClass", "Metrics", "Name", "Requests", "Unit", "Count", "Name",
			"Latency", "Unit", "Milliseconds", "Route", r->route, "Method", r->method,
			"StatusClass", status_class, "Requests", 1, "Latency", r->latency_ms,
			"RequestId", r->request_id);
	line = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	return line;
}
