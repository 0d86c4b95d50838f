/* SPDX-License-Identifier: Apache-2.0 */
/* The embedded-metric-format line (api/emf.h): the shape CloudWatch reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/emf.h"

static json_t *line_of(const struct vp_emf_request *r)
{
	char *line = vp_emf_request_line(r);
	json_t *doc;

	assert_non_null(line);
	assert_null(strchr(line, '\n')); /* one line */
	doc = json_loads(line, 0, NULL);
	assert_non_null(doc);
	free(line);
	return doc;
}

static void test_shape(void **state)
{
	const struct vp_emf_request r = {.route = "/v1/namespaces/{n}",
					 .method = "POST",
					 .status = 201,
					 .latency_ms = 12.5,
					 .timestamp_ms = 1796612400123,
					 .request_id = "req-1"};
	json_t *doc = line_of(&r), *cw, *dims, *metrics;
	(void)state;

	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(doc, "_aws"), "Timestamp")),
		1796612400123);
	cw = json_array_get(json_object_get(json_object_get(doc, "_aws"), "CloudWatchMetrics"), 0);
	assert_string_equal(json_string_value(json_object_get(cw, "Namespace")), "vpcpeer");
	/* Every dimension and metric named has its member at the top level. */
	dims = json_object_get(cw, "Dimensions");
	assert_int_equal(json_array_size(dims), 2);
	for (size_t i = 0; i < json_array_size(dims); i++)
		for (size_t j = 0; j < json_array_size(json_array_get(dims, i)); j++) {
			const char *d =
				json_string_value(json_array_get(json_array_get(dims, i), j));
			assert_true(json_is_string(json_object_get(doc, d)));
		}
	metrics = json_object_get(cw, "Metrics");
	assert_int_equal(json_array_size(metrics), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(metrics, 0), "Name")),
			    "Requests");
	assert_string_equal(json_string_value(json_object_get(json_array_get(metrics, 0), "Unit")),
			    "Count");
	assert_string_equal(json_string_value(json_object_get(json_array_get(metrics, 1), "Name")),
			    "Latency");
	assert_string_equal(json_string_value(json_object_get(json_array_get(metrics, 1), "Unit")),
			    "Milliseconds");
	assert_int_equal(json_integer_value(json_object_get(doc, "Requests")), 1);
	assert_true(json_real_value(json_object_get(doc, "Latency")) == 12.5);
	assert_string_equal(json_string_value(json_object_get(doc, "Route")), "/v1/namespaces/{n}");
	assert_string_equal(json_string_value(json_object_get(doc, "Method")), "POST");
	assert_string_equal(json_string_value(json_object_get(doc, "StatusClass")), "2xx");
	assert_string_equal(json_string_value(json_object_get(doc, "RequestId")), "req-1");
	json_decref(doc);
}

static void test_status_classes(void **state)
{
	struct vp_emf_request r = {.route = "unmatched", .method = "GET", .status = 404};
	json_t *doc;
	(void)state;

	doc = line_of(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "StatusClass")), "4xx");
	assert_null(json_object_get(doc, "RequestId")); /* none given: none written */
	json_decref(doc);
	r.status = 503;
	doc = line_of(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "StatusClass")), "5xx");
	json_decref(doc);
	r.status = 0;
	doc = line_of(&r);
	assert_string_equal(json_string_value(json_object_get(doc, "StatusClass")), "bad");
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_status_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
