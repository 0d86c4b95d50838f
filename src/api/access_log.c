/* SPDX-License-Identifier: Apache-2.0 */
#include "api/access_log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"

#define M_REQUESTS "vpcpeer_http_requests_total"
#define M_DURATION "vpcpeer_http_request_duration_seconds"

void vp_access_log_request_id(char out[VP_REQUEST_ID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	static unsigned long fallback;
	unsigned char bytes[VP_REQUEST_ID_LEN / 2];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
		/* Unique, if not unpredictable: the id is for correlation, not a secret. */
		unsigned long n = __atomic_add_fetch(&fallback, 1, __ATOMIC_RELAXED);
		int64_t t = vp_clock_monotonic_ms();
		memcpy(bytes, &n, sizeof(n));
		memcpy(bytes + 8, &t, sizeof(t));
	}
	for (size_t i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[VP_REQUEST_ID_LEN] = '\0';
}

void vp_access_log_declare(struct vp_metrics *m)
{
	static const double bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
					0.5,   1,    2.5,   5,    10,  30};
	struct vp_error err;

	vp_ignore(vp_metrics_declare(m, M_REQUESTS, VP_METRIC_COUNTER,
				     "HTTP requests answered, by route, method and status.", &err));
	vp_ignore(vp_metrics_declare_histogram(
		m, M_DURATION, "Time from a request's first byte to its answer, by route.", bounds,
		sizeof(bounds) / sizeof(bounds[0]), &err));
}

/* A bounded set of method labels: whatever a client sends, the series stay few. */
static const char *method_label(const char *method)
{
	static const char *const known[] = {"GET",   "POST", "DELETE", "PUT",
					    "PATCH", "HEAD", "OPTIONS"};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(method, known[i]) == 0)
			return known[i];
	return "other";
}

static void count(struct vp_metrics *m, const struct vp_access_entry *e)
{
	char status_text[8];
	const char *const labels[] = {"route",  e->route,    "method", method_label(e->method),
				      "status", status_text, NULL};
	const char *const route_only[] = {"route", e->route, NULL};

	snprintf(status_text, sizeof(status_text), "%u", e->status);
	vp_metrics_add(m, M_REQUESTS, labels, 1);
	vp_metrics_observe(m, M_DURATION, route_only, e->latency);
}

void vp_access_log_write(struct vp_metrics *m, const struct vp_access_entry *e)
{
	json_t *fields;

	if (m)
		count(m, e);
	fields = json_object();
	if (!fields)
		return;
	json_object_set_new(fields, "request_id", json_string(e->request_id));
	json_object_set_new(fields, "method", json_string(e->method));
	json_object_set_new(fields, "route", json_string(e->route));
	json_object_set_new(fields, "status", json_integer(e->status));
	json_object_set_new(fields, "account", e->account ? json_string(e->account) : json_null());
	if (e->source && *e->source)
		json_object_set_new(fields, "source", json_string(e->source));
	if (e->n >= 0)
		json_object_set_new(fields, "n", json_integer(e->n));
	/* Whole milliseconds, the clock's resolution: a real would print as 8.0000000000000002. */
	json_object_set_new(fields, "latency_ms",
			    json_integer((json_int_t)llround(e->latency * 1e3)));
	json_object_set_new(fields, "bytes", json_integer((json_int_t)e->bytes));
	if (e->error_code)
		json_object_set_new(fields, "error", json_string(e->error_code));
	if (e->aborted)
		json_object_set_new(fields, "aborted", json_true());
	vp_log_event(e->status >= 500 ? VP_LOG_WARN : VP_LOG_INFO, "request", fields);
}
