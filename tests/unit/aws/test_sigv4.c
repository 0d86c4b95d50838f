/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SigV4 against AWS's published test suite (aws-sig-v4-test-suite, as in
 * aws-sdk-js-v3's suite.fixture.ts), the IAM documentation example, and two
 * requests signed independently by botocore (session token + extra signed
 * header, the identity-proof shape; a host with a port).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/sigv4.h"

#define T20150830 ((time_t)1440938160) /* 2015-08-30T12:36:00Z */
#define AKID      "AKIDEXAMPLE"
#define SECRET    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define STS_TOKEN                                                                                  \
	"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRX"   \
	"mxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburE"   \
	"Dy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkU"    \
	"L64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

struct vector {
	const char *name;
	const char *method;
	const char *url;
	struct vp_aws_header headers[3];
	size_t header_count;
	const char *body;
	const char *signed_headers;
	const char *signature;
};

static const struct vector suite[] = {
	{"get-vanilla",
	 "GET",
	 "https://example.amazonaws.com/",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
	{"get-header-key-duplicate",
	 "GET",
	 "https://example.amazonaws.com/",
	 {{"My-Header1", "value2,value2,value1"}},
	 1,
	 "",
	 "host;my-header1;x-amz-date",
	 "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
	{"get-header-value-order",
	 "GET",
	 "https://example.amazonaws.com/",
	 {{"My-Header1", "value4,value1,value3,value2"}},
	 1,
	 "",
	 "host;my-header1;x-amz-date",
	 "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
	{"get-header-value-trim",
	 "GET",
	 "https://example.amazonaws.com/",
	 {{"My-Header1", "value1"}, {"My-Header2", "\"a   b   c\""}},
	 2,
	 "",
	 "host;my-header1;my-header2;x-amz-date",
	 "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
	{"get-unreserved",
	 "GET",
	 "https://example.amazonaws.com/"
	 "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
	{"get-vanilla-empty-query-key",
	 "GET",
	 "https://example.amazonaws.com/?Param1=value1",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
	{"get-vanilla-query-order-key-case",
	 "GET",
	 "https://example.amazonaws.com/?Param2=value2&Param1=value1",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
	{"get-vanilla-query-unreserved",
	 "GET",
	 "https://example.amazonaws.com/"
	 "?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	 "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
	{"get-vanilla-utf8-query",
	 "GET",
	 "https://example.amazonaws.com/?%E1%88%B4=bar",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
	{"post-header-key-case",
	 "POST",
	 "https://example.amazonaws.com/",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
	{"post-header-key-sort",
	 "POST",
	 "https://example.amazonaws.com/",
	 {{"My-Header1", "value1"}},
	 1,
	 "",
	 "host;my-header1;x-amz-date",
	 "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
	{"post-header-value-case",
	 "POST",
	 "https://example.amazonaws.com/",
	 {{"My-Header1", "VALUE1"}},
	 1,
	 "",
	 "host;my-header1;x-amz-date",
	 "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
	{"post-vanilla-query",
	 "POST",
	 "https://example.amazonaws.com/?Param1=value1",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
	{"post-vanilla-query-nonunreserved",
	 "POST",
	 "https://example.amazonaws.com/"
	 "?%40%23%24%25%5E=&%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e"},
	{"post-vanilla-query-space",
	 "POST",
	 "https://example.amazonaws.com/?p=",
	 {{0}},
	 0,
	 "",
	 "host;x-amz-date",
	 "e71688addb58a26418614085fb730ba3faa623b461c17f48f2fbdb9361b94a9b"},
	{"post-x-www-form-urlencoded",
	 "POST",
	 "https://example.amazonaws.com/",
	 {{"Content-Type", "application/x-www-form-urlencoded"}},
	 1,
	 "Param1=value1",
	 "content-type;host;x-amz-date",
	 "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
	{"post-x-www-form-urlencoded-parameters",
	 "POST",
	 "https://example.amazonaws.com/",
	 {{"Content-Type", "application/x-www-form-urlencoded; charset=utf8"}},
	 1,
	 "Param1=value1",
	 "content-type;host;x-amz-date",
	 "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
};

static void check(const struct vector *v, const char *region, const char *service,
		  const char *token)
{
	struct vp_aws_sigv4_params p = {AKID, SECRET, token, region, service, T20150830};
	struct vp_aws_signed_request *r = NULL;
	struct vp_error err;
	char expect[512];
	vp_code rc = vp_aws_sigv4_sign(v->method, v->url, v->headers, v->header_count, v->body,
				       strlen(v->body), &p, &r, &err);

	if (rc != VP_OK)
		fail_msg("%s: %s", v->name, err.message);
	snprintf(expect, sizeof(expect),
		 "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/%s/%s/aws4_request, "
		 "SignedHeaders=%s, Signature=%s",
		 region, service, v->signed_headers, v->signature);
	if (strcmp(vp_aws_signed_request_header(r, "Authorization"), expect) != 0)
		fail_msg("%s:\n got %s\nwant %s", v->name,
			 vp_aws_signed_request_header(r, "Authorization"), expect);
	assert_string_equal(r->signature, v->signature);
	vp_aws_signed_request_free(r);
}

static void test_aws_suite(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(suite) / sizeof(suite[0]); i++)
		check(&suite[i], "us-east-1", "service", NULL);
}

static void test_get_vanilla_pieces(void **state)
{
	struct vp_aws_header h[] = {{"Host", "example.amazonaws.com"},
				    {"X-Amz-Date", "20150830T123600Z"}};
	struct vp_buf canon, names;
	struct vp_error err;
	unsigned char key[32];
	char hex[65];
	(void)state;

	vp_buf_init(&canon, 1 << 16);
	vp_buf_init(&names, 1024);
	assert_int_equal(vp_aws_sigv4_canonical_request("GET", "https://example.amazonaws.com/", h,
							2, "", 0, &canon, &names, &err),
			 VP_OK);
	assert_string_equal(vp_buf_str(&canon),
			    "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
			    "host;x-amz-date\n"
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	vp_aws_sha256_hex(canon.data, canon.len, hex);
	assert_string_equal(hex,
			    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
	assert_int_equal(
		vp_aws_sigv4_signing_key(SECRET, "20150830", "us-east-1", "service", key, &err),
		VP_OK);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	assert_string_equal(hex,
			    "938127b5336810ddb6a5d6af445fcac9e371f9ed418ed386b022aed82901be75");
	vp_buf_cleanup(&canon);
	vp_buf_cleanup(&names);
}

static void test_iam_documentation_example(void **state)
{
	static const struct vector v = {
		"iam-list-users",
		"GET",
		"https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
		{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
		1,
		"",
		"content-type;host;x-amz-date",
		"5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"};
	unsigned char key[32];
	char hex[65];
	struct vp_error err;
	(void)state;

	check(&v, "us-east-1", "iam", NULL);
	assert_int_equal(
		vp_aws_sigv4_signing_key(SECRET, "20150830", "us-east-1", "iam", key, &err), VP_OK);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	assert_string_equal(hex,
			    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}

/* Cross-checked with botocore's SigV4Auth at the same time and keys. */
static void test_session_token_and_extra_header_are_signed(void **state)
{
	static const struct vector v = {
		"sts-identity-proof",
		"POST",
		"https://sts.us-east-1.amazonaws.com/",
		{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
		 {"X-Vault-AWS-IAM-Server-ID", "broker.example"}},
		2,
		"Action=GetCallerIdentity&Version=2011-06-15",
		"content-type;host;x-amz-date;x-amz-security-token;x-vault-aws-iam-server-id",
		"8a9a0830defdb5a39782ad0dbfe2b775b4fd6755ae966e5dcb6463591197b07c"};
	struct vp_aws_sigv4_params p = {AKID, SECRET, STS_TOKEN, "us-east-1", "sts", T20150830};
	struct vp_aws_signed_request *r = NULL;
	(void)state;

	check(&v, "us-east-1", "sts", STS_TOKEN);
	assert_int_equal(vp_aws_sigv4_sign(v.method, v.url, v.headers, v.header_count, v.body,
					   strlen(v.body), &p, &r, NULL),
			 VP_OK);
	/* everything a verifier needs is in the unsent request */
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->url, "https://sts.us-east-1.amazonaws.com/");
	assert_string_equal(r->body, "Action=GetCallerIdentity&Version=2011-06-15");
	assert_string_equal(vp_aws_signed_request_header(r, "host"), "sts.us-east-1.amazonaws.com");
	assert_string_equal(vp_aws_signed_request_header(r, "x-amz-date"), "20150830T123600Z");
	assert_string_equal(vp_aws_signed_request_header(r, "x-amz-security-token"), STS_TOKEN);
	assert_string_equal(vp_aws_signed_request_header(r, "x-vault-aws-iam-server-id"),
			    "broker.example");
	vp_aws_signed_request_free(r);
}

static void test_host_keeps_a_non_default_port(void **state)
{
	static const struct vector v = {
		"ec2-loopback",
		"POST",
		"http://127.0.0.1:8443/",
		{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
		1,
		"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=vpc-id&Filter.1.Value.1=vpc-"
		"1a2b",
		"content-type;host;x-amz-date",
		"a4cbf561014d8a535da0a925ac4f9cdfeba1c819c09a18fdbb06a4a201ce7b16"};
	struct vp_aws_sigv4_params p = {AKID, SECRET, NULL, "eu-west-1", "ec2", T20150830};
	struct vp_aws_signed_request *r = NULL;
	(void)state;

	check(&v, "eu-west-1", "ec2", NULL);
	assert_int_equal(vp_aws_sigv4_sign("GET", "https://example.amazonaws.com:443/", NULL, 0, "",
					   0, &p, &r, NULL),
			 VP_OK);
	assert_string_equal(vp_aws_signed_request_header(r, "Host"), "example.amazonaws.com");
	vp_aws_signed_request_free(r);
}

static void test_uri_encoding(void **state)
{
	struct vp_buf b;
	(void)state;

	vp_buf_init(&b, 1024);
	assert_int_equal(vp_aws_uri_encode(&b, "a b+c/d~e*f%", 12, false), VP_OK);
	assert_string_equal(vp_buf_str(&b), "a%20b%2Bc%2Fd~e%2Af%25");
	vp_buf_reset(&b);
	assert_int_equal(vp_aws_uri_encode(&b, "/x y/\xe1\x88\xb4", 8, true), VP_OK);
	assert_string_equal(vp_buf_str(&b), "/x%20y/%E1%88%B4");
	vp_buf_cleanup(&b);
}

static void test_canonical_query_sorts_and_reencodes(void **state)
{
	struct vp_aws_header h[] = {{"Host", "h"}};
	struct vp_buf canon, names;
	(void)state;

	vp_buf_init(&canon, 1 << 16);
	vp_buf_init(&names, 1024);
	/* '+' is a literal plus (the sender should have sent %2B), lower-case hex is normalised,
	   equal names sort by value, a bare key has an empty value */
	assert_int_equal(vp_aws_sigv4_canonical_request("GET", "https://h/?b=2&a=z&a=y&c&d=%7e%2a+",
							h, 1, "", 0, &canon, &names, NULL),
			 VP_OK);
	assert_non_null(strstr(vp_buf_str(&canon), "\na=y&a=z&b=2&c=&d=~%2A%2B\n"));
	vp_buf_cleanup(&canon);
	vp_buf_cleanup(&names);
}

static void test_refusals(void **state)
{
	struct vp_aws_sigv4_params p = {AKID, SECRET, NULL, "us-east-1", "sts", T20150830};
	struct vp_aws_header host[] = {{"Host", "evil"}};
	struct vp_aws_signed_request *r = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_aws_sigv4_sign("GET", "ftp://x/", NULL, 0, "", 0, &p, &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_sigv4_sign("GET", "not a url", NULL, 0, "", 0, &p, &r, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_sigv4_sign("GET", "https://x/", host, 1, "", 0, &p, &r, &err),
			 VP_ERR_INVALID);
	p.secret_access_key = "";
	assert_int_equal(vp_aws_sigv4_sign("GET", "https://x/", NULL, 0, "", 0, &p, &r, &err),
			 VP_ERR_AUTH);
	assert_null(r);
	vp_aws_signed_request_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_suite),
		cmocka_unit_test(test_get_vanilla_pieces),
		cmocka_unit_test(test_iam_documentation_example),
		cmocka_unit_test(test_session_token_and_extra_header_are_signed),
		cmocka_unit_test(test_host_keeps_a_non_default_port),
		cmocka_unit_test(test_uri_encoding),
		cmocka_unit_test(test_canonical_query_sorts_and_reencodes),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
