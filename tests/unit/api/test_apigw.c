/* SPDX-License-Identifier: Apache-2.0 */
/* API Gateway HTTP API events in, response objects out (api/apigw.h, issue 18). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "api/apigw.h"
#include "api/render.h"

#define MAX_BODY 16384

/* The documentation's example event, trimmed to what a request has. */
#define EVENT(method, path, query, headers, body, b64)                                             \
	"{\"version\":\"2.0\",\"routeKey\":\"$default\",\"rawPath\":\"" path                       \
	"\",\"rawQueryString\":\"" query "\",\"headers\":{" headers "},"                           \
	"\"requestContext\":{\"domainName\":\"api.example.com\",\"http\":{\"method\":\"" method    \
	"\",\"path\":\"" path "\",\"sourceIp\":\"203.0.113.7\"}},\"body\":" body                   \
	",\"isBase64Encoded\":" b64 "}"

static vp_code parse(const char *event, struct vp_apigw_request *req, struct vp_error *err)
{
	vp_apigw_request_init(req);
	return vp_apigw_event_parse(event, strlen(event), MAX_BODY, req, err);
}

static void test_a_request(void **state)
{
	const char *ev = EVENT("POST", "/v1/namespaces/7/confirm", "client_ref=a%20b&x=1",
			       "\"authorization\":\"Vpcpeer-Proof abc\",\"content-type\":"
			       "\"application/json\",\"x-multi\":\"a,b\"",
			       "\"{\\\"k\\\":1}\"", "false");
	struct vp_apigw_request req;
	struct vp_error err;

	(void)state;
	if (parse(ev, &req, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(req.method, "POST");
	assert_string_equal(req.uri, "/v1/namespaces/7/confirm?client_ref=a%20b&x=1");
	assert_string_equal(req.authorization, "Vpcpeer-Proof abc");
	assert_string_equal(req.source, "203.0.113.7");
	assert_string_equal(req.domain, "api.example.com");
	assert_string_equal(req.body, "{\"k\":1}");
	assert_int_equal(req.body_len, 7);
	assert_int_equal(req.reject_status, 0);
	vp_apigw_request_cleanup(&req);
}

static void test_no_query_no_body_no_headers(void **state)
{
	const char *ev = "{\"version\":\"2.0\",\"rawPath\":\"/healthz\",\"requestContext\":"
			 "{\"http\":{\"method\":\"GET\"}}}";
	struct vp_apigw_request req;
	struct vp_error err;

	(void)state;
	if (parse(ev, &req, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(req.uri, "/healthz");
	assert_null(req.authorization);
	assert_string_equal(req.source, "");
	assert_string_equal(req.domain, "");
	assert_int_equal(req.body_len, 0);
	vp_apigw_request_cleanup(&req);
}

static void test_base64_body(void **state)
{
	struct vp_apigw_request req;
	struct vp_error err;

	(void)state;
	/* "{\"a\":\"\xff\"}" and "ab" with padding */
	assert_int_equal(parse(EVENT("POST", "/v1/namespaces", "", "", "\"eyJhIjoi/yJ9\"", "true"),
			       &req, &err),
			 VP_OK);
	assert_int_equal(req.reject_status, 0);
	assert_int_equal(req.body_len, 9);
	assert_memory_equal(req.body, "{\"a\":\"\xff\"}", 9);
	vp_apigw_request_cleanup(&req);
	assert_int_equal(
		parse(EVENT("POST", "/v1/namespaces", "", "", "\"YWI=\"", "true"), &req, &err),
		VP_OK);
	assert_int_equal(req.body_len, 2);
	assert_string_equal(req.body, "ab");
	vp_apigw_request_cleanup(&req);
}

static void test_base64_garbage_is_400(void **state)
{
	static const char *const bad[] = {"\"YWI\"", "\"Y=WI\"", "\"YW!=\"", "\"YQ==YQ==\"",
					  "\"====\""};
	char ev[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vp_apigw_request req;
		struct vp_error err;
		snprintf(ev, sizeof(ev),
			 "{\"version\":\"2.0\",\"rawPath\":\"/v1/namespaces\",\"requestContext\":"
			 "{\"http\":{\"method\":\"POST\"}},\"body\":%s,\"isBase64Encoded\":true}",
			 bad[i]);
		assert_int_equal(parse(ev, &req, &err), VP_OK);
		if (req.reject_status != 400)
			fail_msg("%s: %u", bad[i], req.reject_status);
		assert_string_equal(req.reject_code, "invalid");
		vp_apigw_request_cleanup(&req);
	}
}

static void test_oversized_is_413(void **state)
{
	struct vp_apigw_request req;
	struct vp_error err;
	size_t big = 24000;
	char *ev = malloc(big + 512), *value = malloc(big + 1);

	(void)state;
	assert_non_null(ev);
	assert_non_null(value);
	memset(value, 'a', big);
	value[big] = '\0';
	/* the headers over API Gateway's 10,240 bytes */
	value[11000] = '\0';
	snprintf(ev, big + 512,
		 "{\"version\":\"2.0\",\"rawPath\":\"/v1/namespaces\",\"headers\":{\"x-big\":"
		 "\"%s\"},\"requestContext\":{\"http\":{\"method\":\"GET\"}}}",
		 value);
	assert_int_equal(parse(ev, &req, &err), VP_OK);
	assert_int_equal(req.reject_status, 413);
	assert_string_equal(req.reject_code, "too_large");
	vp_apigw_request_cleanup(&req);
	/* a body over max_body, plain and base64 */
	memset(value, 'a', big);
	value[MAX_BODY + 1] = '\0';
	snprintf(ev, big + 512,
		 "{\"version\":\"2.0\",\"rawPath\":\"/v1/namespaces\",\"requestContext\":{\"http\":"
		 "{\"method\":\"POST\"}},\"body\":\"%s\"}",
		 value);
	assert_int_equal(parse(ev, &req, &err), VP_OK);
	assert_int_equal(req.reject_status, 413);
	/* refused unread, yet an accepted event always has a body (the fuzzer's invariant) */
	assert_non_null(req.body);
	assert_int_equal(req.body_len, 0);
	vp_apigw_request_cleanup(&req);
	memset(value, 'a', big);
	value[(MAX_BODY / 3 + 1) * 4] = '\0'; /* "aaaa" decodes to 3 bytes each */
	snprintf(ev, big + 512,
		 "{\"version\":\"2.0\",\"rawPath\":\"/v1/namespaces\",\"requestContext\":{\"http\":"
		 "{\"method\":\"POST\"}},\"body\":\"%s\",\"isBase64Encoded\":true}",
		 value);
	assert_int_equal(parse(ev, &req, &err), VP_OK);
	assert_int_equal(req.reject_status, 413);
	vp_apigw_request_cleanup(&req);
	free(value);
	free(ev);
}

static void test_not_an_http_api_event(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"[]",
		"{}",
		"{\"version\":\"1.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":"
		"\"GET\"}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/\"}",
		"{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":{\"http\":{\"method\":"
		"\"G ET\"}}}",
		"{\"version\":\"2.0\",\"requestContext\":{\"http\":{\"method\":\"GET\"}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"v1\",\"requestContext\":{\"http\":{\"method\":"
		"\"GET\"}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/"
		"\",\"headers\":[],\"requestContext\":{\"http\":"
		"{\"method\":\"GET\"}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/\",\"headers\":{\"a\":1},\"requestContext\":"
		"{\"http\":{\"method\":\"GET\"}}}",
		"{\"version\":\"2.0\",\"rawPath\":\"/\",\"body\":{},\"requestContext\":{\"http\":"
		"{\"method\":\"GET\"}}}",
		"{\"version\":\"2.0\",\"version\":\"2.0\",\"rawPath\":\"/\",\"requestContext\":"
		"{\"http\":{\"method\":\"GET\"}}}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vp_apigw_request req;
		struct vp_error err;
		if (parse(bad[i], &req, &err) != VP_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err.message[0] != '\0');
		vp_apigw_request_cleanup(&req);
	}
}

static void test_response_object(void **state)
{
	static const struct vp_dispatch d = {0};
	struct vp_dispatch_request r;
	json_t *doc, *headers;
	char *out;

	(void)state;
	vp_dispatch_request_init(&r, &d);
	vp_render_error(&r.call, VP_ERR_AUTH, "no proof");
	out = vp_apigw_response(&r);
	assert_non_null(out);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "statusCode")), 401);
	assert_true(json_is_false(json_object_get(doc, "isBase64Encoded")));
	headers = json_object_get(doc, "headers");
	assert_string_equal(json_string_value(json_object_get(headers, "Content-Type")),
			    "application/json");
	assert_string_equal(json_string_value(json_object_get(headers, "X-Request-Id")), r.id);
	assert_string_equal(json_string_value(json_object_get(headers, "WWW-Authenticate")),
			    "Vpcpeer-Proof");
	assert_non_null(strstr(json_string_value(json_object_get(doc, "body")), "no proof"));
	json_decref(doc);
	free(out);
	vp_dispatch_request_cleanup(&r);

	/* A body that is not UTF-8 goes base64. */
	vp_dispatch_request_init(&r, &d);
	vp_render_text(&r.call, 200, strdup("a\xff"), "text/plain");
	out = vp_apigw_response(&r);
	assert_non_null(out);
	doc = json_loads(out, 0, NULL);
	assert_true(json_is_true(json_object_get(doc, "isBase64Encoded")));
	assert_string_equal(json_string_value(json_object_get(doc, "body")), "Yf8=");
	json_decref(doc);
	free(out);
	vp_dispatch_request_cleanup(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_request),
		cmocka_unit_test(test_no_query_no_body_no_headers),
		cmocka_unit_test(test_base64_body),
		cmocka_unit_test(test_base64_garbage_is_400),
		cmocka_unit_test(test_oversized_is_413),
		cmocka_unit_test(test_not_an_http_api_event),
		cmocka_unit_test(test_response_object),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
