/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/request.h"

static void test_routes(void **state)
{
	static const struct {
		const char *method, *path;
		enum vp_route route;
		int64_t n;
	} good[] = {
		{"GET", "/healthz", VP_ROUTE_HEALTHZ, -1},
		{"GET", "/readyz", VP_ROUTE_READYZ, -1},
		{"GET", "/metrics", VP_ROUTE_METRICS, -1},
		{"GET", "/v1/namespaces", VP_ROUTE_NAMESPACES_LIST, -1},
		{"POST", "/v1/namespaces", VP_ROUTE_NAMESPACES_REGISTER, -1},
		{"GET", "/v1/namespaces/7", VP_ROUTE_NAMESPACE_GET, 7},
		{"DELETE", "/v1/namespaces/0", VP_ROUTE_NAMESPACE_RELEASE, 0},
		{"POST", "/v1/namespaces/16383/confirm", VP_ROUTE_NAMESPACE_CONFIRM, 16383},
		{"GET", "/v1/namespaces/2147483647", VP_ROUTE_NAMESPACE_GET, 2147483647},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct vp_route_match m;
		struct vp_error err;
		if (vp_route_match(good[i].method, good[i].path, &m, &err) != VP_OK)
			fail_msg("%s %s: %s", good[i].method, good[i].path, err.message);
		assert_int_equal(m.route, good[i].route);
		assert_int_equal(m.namespace_id, good[i].n);
	}
}

static void test_unknown_paths_and_tricks_are_404(void **state)
{
	static const char *const bad[] = {
		"/",
		"",
		"/v1",
		"/v1/namespaces/",
		"/v1/namespaces//7",
		"/v1/namespaces/07",
		"/v1/namespaces/-1",
		"/v1/namespaces/+1",
		"/v1/namespaces/1x",
		"/v1/namespaces/2147483648",
		"/v1/namespaces/99999999999999999999",
		"/v1/namespaces/1/",
		"/v1/namespaces/1/confirm/",
		"/v1/namespaces/1/../2",
		"/v1/namespaces/%31",
		"/v1/namespaces/1/confirmx",
		"/v1/namespacesx",
		"/healthz/",
		"/v2/namespaces",
		"/v1/namespaces/ 1",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vp_route_match m;
		struct vp_error err;
		if (vp_route_match("GET", bad[i], &m, &err) != VP_ERR_NOT_FOUND)
			fail_msg("'%s' was not refused as 404", bad[i]);
		if (vp_route_match("POST", bad[i], &m, &err) != VP_ERR_NOT_FOUND)
			fail_msg("POST '%s' was not refused as 404", bad[i]);
	}
}

static void test_wrong_method_names_the_allowed_ones(void **state)
{
	struct vp_route_match m;
	struct vp_error err;
	(void)state;
	assert_int_equal(vp_route_match("PUT", "/v1/namespaces/3", &m, &err), VP_ERR_CONFLICT);
	assert_string_equal(m.allowed_methods, "GET, DELETE");
	assert_int_equal(vp_route_match("GET", "/v1/namespaces/3/confirm", &m, &err),
			 VP_ERR_CONFLICT);
	assert_string_equal(m.allowed_methods, "POST");
	assert_int_equal(vp_route_match("DELETE", "/v1/namespaces", &m, &err), VP_ERR_CONFLICT);
	assert_string_equal(m.allowed_methods, "GET, POST");
	assert_int_equal(vp_route_match("POST", "/healthz", &m, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "POST"));
}

static vp_code reg(const char *body, struct vp_register_request *out, struct vp_error *err)
{
	return vp_register_request_parse(body, strlen(body), out, err);
}

static void test_register_body(void **state)
{
	struct vp_register_request r;
	struct vp_error err;
	(void)state;
	assert_int_equal(reg("{\"client_ref\": \"arn:aws:cloudformation:us-east-1:222222222222:"
			     "stack/app/1b2c/Registration\"}",
			     &r, &err),
			 VP_OK);
	assert_string_equal(
		r.client_ref,
		"arn:aws:cloudformation:us-east-1:222222222222:stack/app/1b2c/Registration");
	assert_int_equal(r.label_count, 0);
	assert_int_equal(
		reg("{\"labels\": {\"team\": \"ops\", \"env\": \"\"}, \"client_ref\": \"a\"}", &r,
		    &err),
		VP_OK);
	assert_int_equal(r.label_count, 2);
	assert_string_equal(r.labels[0].key, "team");
	assert_string_equal(r.labels[0].value, "ops");
	assert_string_equal(r.labels[1].value, "");
}

static void test_register_body_refusals(void **state)
{
	char big[VP_API_MAX_BODY + 64];
	char long_ref[VP_CLIENT_REF_MAX + 40];
	static const struct {
		const char *body;
		const char *fragment;
	} bad[] = {
		{"", "not valid JSON"},
		{"{", "not valid JSON"},
		{"[]", "must be a JSON object"},
		{"\"x\"", "not valid JSON"},
		{"{}", "client_ref is missing"},
		{"{\"client_ref\": 7}", "client_ref must be a string"},
		{"{\"client_ref\": \"\"}", "client_ref is empty"},
		{"{\"client_ref\": \"a b\"}",
		 "space at position 2: use printable ASCII without spaces"},
		{"{\"client_ref\": \"a\\u0000b\"}", "not valid JSON"},
		{"{\"client_ref\": \"a\", \"client_ref\": \"b\"}", "not valid JSON"},
		{"{\"client_ref\": \"a\", \"account\": \"222222222222\"}",
		 "unknown field 'account'"},
		{"{\"client_ref\": \"a\", \"labels\": []}", "labels must be an object"},
		{"{\"client_ref\": \"a\", \"labels\": {\"k\": 1}}",
		 "a label value must be a string"},
		{"{\"client_ref\": \"a\", \"labels\": {\"\": \"v\"}}", "label names"},
		{"{\"client_ref\": \"a\", \"labels\": {\"k\": \"\\n\"}}", "not printable"},
	};
	struct vp_register_request r;
	struct vp_error err;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&r, 0x5a, sizeof(r));
		assert_int_not_equal(reg(bad[i].body, &r, &err), VP_OK);
		if (!strstr(err.message, bad[i].fragment))
			fail_msg("'%s': '%s' lacks '%s'", bad[i].body, err.message,
				 bad[i].fragment);
		assert_int_equal((unsigned char)r.client_ref[0], 0x5a); /* untouched */
	}
	memset(long_ref, 'x', sizeof(long_ref));
	snprintf(long_ref, sizeof(long_ref), "{\"client_ref\": \"%0*d\"}", VP_CLIENT_REF_MAX + 1,
		 0);
	assert_int_equal(reg(long_ref, &r, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "more than 256"));
	memset(big, ' ', sizeof(big));
	memcpy(big, "{\"client_ref\": \"a\"}", 19);
	assert_int_equal(vp_register_request_parse(big, sizeof(big), &r, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "more than 16384"));
}

static void test_too_many_labels(void **state)
{
	char body[2048];
	size_t len = (size_t)snprintf(body, sizeof(body), "{\"client_ref\": \"a\", \"labels\": {");
	struct vp_register_request r;
	struct vp_error err;
	(void)state;
	for (int i = 0; i <= VP_LABELS_MAX; i++)
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s\"k%d\": \"v\"",
					i ? ", " : "", i);
	snprintf(body + len, sizeof(body) - len, "}}");
	assert_int_equal(reg(body, &r, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "more than 16"));
}

static void test_confirm_body(void **state)
{
	static const struct {
		const char *body;
		const char *fragment; /* NULL: accepted */
	} cases[] = {
		{"{\"vpc_peering_connection_id\": \"pcx-0123456789abcdef0\", \"vpc_id\": "
		 "\"vpc-01234567\"}",
		 NULL},
		{"{\"vpc_peering_connection_id\": \"pcx-0123456789abcdef0\"}", "vpc_id is missing"},
		{"{\"vpc_id\": \"vpc-01234567\"}", "vpc_peering_connection_id is missing"},
		{"{\"vpc_peering_connection_id\": \"vpc-01234567\", \"vpc_id\": \"vpc-01234567\"}",
		 "must start with 'pcx-'"},
		{"{\"vpc_peering_connection_id\": \"pcx-0123\", \"vpc_id\": \"vpc-01234567\"}",
		 "8 or 17 hex digits"},
		{"{\"vpc_peering_connection_id\": \"pcx-0123456G\", \"vpc_id\": \"vpc-01234567\"}",
		 "lower-case hex"},
		{"{\"vpc_peering_connection_id\": \"pcx-01234567\", \"vpc_id\": 5}",
		 "must be a string"},
		{"{\"vpc_peering_connection_id\": \"pcx-01234567\", \"vpc_id\": \"vpc-01234567\", "
		 "\"x\": 1}",
		 "unknown field 'x'"},
		{"{\"vpc_peering_connection_id\": \"pcx-0123456789abcdef0123456789\", "
		 "\"vpc_id\": \"vpc-01234567\"}",
		 "more than 28"},
		/* A pcx's real maximum is 21 (issue 11: the API allowed 22 before the shared rule);
		 * the bound is 28, a transit gateway attachment's (issue 16). */
		{"{\"vpc_peering_connection_id\": \"pcx-0123456789abcdef01\", \"vpc_id\": "
		 "\"vpc-01234567\"}",
		 "8 or 17 hex digits"},
		{"{\"transit_gateway_attachment_id\": \"tgw-attach-0123456789abcdef0\", "
		 "\"vpc_id\": \"vpc-01234567\"}",
		 NULL},
		{"{\"transit_gateway_attachment_id\": \"pcx-01234567\", \"vpc_id\": "
		 "\"vpc-01234567\"}",
		 "must start with 'tgw-attach-'"},
		{"{\"transit_gateway_attachment_id\": \"tgw-attach-01234567\", "
		 "\"vpc_peering_connection_id\": \"pcx-01234567\", \"vpc_id\": \"vpc-01234567\"}",
		 "not both"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_confirm_request c;
		struct vp_error err;
		vp_code rc =
			vp_confirm_request_parse(cases[i].body, strlen(cases[i].body), &c, &err);
		if (!cases[i].fragment) {
			assert_int_equal(rc, VP_OK);
			/* one of the two ids, as given */
			assert_true(strcmp(c.peering_id, "pcx-0123456789abcdef0") == 0 ||
				    strcmp(c.attachment_id, "tgw-attach-0123456789abcdef0") == 0);
			assert_true(!c.peering_id[0] || !c.attachment_id[0]);
			assert_string_equal(c.vpc_id, "vpc-01234567");
		} else {
			assert_int_equal(rc, VP_ERR_INVALID);
			if (!strstr(err.message, cases[i].fragment))
				fail_msg("'%s': '%s' lacks '%s'", cases[i].body, err.message,
					 cases[i].fragment);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_unknown_paths_and_tricks_are_404),
		cmocka_unit_test(test_wrong_method_names_the_allowed_ones),
		cmocka_unit_test(test_register_body),
		cmocka_unit_test(test_register_body_refusals),
		cmocka_unit_test(test_too_many_labels),
		cmocka_unit_test(test_confirm_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
