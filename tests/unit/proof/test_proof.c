/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity proofs without STS: proofs made by vp_proof_make() (static
 * keys, a fixed clock, an STS endpoint nobody listens on) and edited copies
 * of them, checked by vp_proof_parse() / vp_auth_verify(). Every check
 * that refuses before the replay, each with its reason; the server-id
 * default; the proof's format (docs/api.md). The replay and the cache are
 * tested against awsenv in tests/integration/auth/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "api/auth.h"
#include "aws/client.h"
#include "proof/proof.h"
#include "static_client.h"

/* The request every proof here is bound to (issue 14). */
#define TEST_REQUEST "GET /v1/namespaces"
static const struct vp_auth_request test_req = {"GET", "/v1/namespaces", 14};

#define STS_URL   "http://127.0.0.1:9" /* never reached: these proofs are refused first */
#define SERVER_ID "broker.test:443"
#define KEY       "AKIACLIENTB222222222"
#define SECRET    "clientBSecret000000000000000000000000000"
#define T0        1790000000 /* 2026-09-21T14:13:20Z */

static int64_t broker_now = T0;
static time_t client_now = T0;

static int64_t broker_clock(void *ctx)
{
	(void)ctx;
	return broker_now;
}

static time_t client_clock(void *ctx)
{
	(void)ctx;
	return client_now;
}

static struct vp_aws_client *make_client(const char *region, const char *endpoint,
					 const char *token)
{
	struct vp_aws_client_config cfg = {
		.region = region,
		.endpoint_url = endpoint,
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.clock = client_clock,
	};

	return vp_test_static_client(cfg, KEY, SECRET, token);
}

static struct vp_auth *make_auth(const char *partition, const char *endpoint)
{
	struct vp_auth_config cfg = {
		.proof = {.server_id = SERVER_ID,
			  .partition = partition,
			  .sts_endpoint = endpoint,
			  .clock = broker_clock},
	};
	struct vp_auth *a = NULL;
	struct vp_error err;

	if (vp_auth_new(&cfg, &a, &err) != VP_OK)
		fail_msg("%s", err.message);
	return a;
}

static char *proof_from(struct vp_aws_client *c, const char *server_id)
{
	char *proof = NULL;
	struct vp_error err;

	if (vp_proof_make(c, server_id, TEST_REQUEST, &proof, &err) != VP_OK)
		fail_msg("%s", err.message);
	return proof;
}

static char *good_proof(void)
{
	struct vp_aws_client *c = make_client("us-east-1", STS_URL, NULL);
	char *proof = proof_from(c, SERVER_ID);

	vp_aws_client_free(c);
	return proof;
}

/* The JSON inside a proof (caller decrefs). */
static json_t *unpack(const char *proof)
{
	const char *b64 = proof + strlen(VP_PROOF_SCHEME " ");
	size_t len = strlen(b64);
	unsigned char *raw = malloc(len);
	json_t *doc;
	int n;

	assert_non_null(raw);
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
	assert_true(n > 0);
	while (n > 0 && raw[n - 1] == '\0')
		n--;
	doc = json_loadb((char *)raw, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	free(raw);
	assert_non_null(doc);
	return doc;
}

static char *pack_text(const char *text, size_t len)
{
	char *out = malloc(strlen(VP_PROOF_SCHEME " ") + 4 * ((len + 2) / 3) + 1);

	assert_non_null(out);
	memcpy(out, VP_PROOF_SCHEME " ", strlen(VP_PROOF_SCHEME " ") + 1);
	EVP_EncodeBlock((unsigned char *)out + strlen(out), (const unsigned char *)text, (int)len);
	return out;
}

static char *pack(json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	char *out;

	assert_non_null(text);
	out = pack_text(text, strlen(text));
	free(text);
	return out;
}

/* Verify and expect VP_ERR_AUTH with `reason` in the message. */
static void refused(struct vp_auth *a, const char *proof, const char *reason)
{
	struct vp_identity id;
	struct vp_error err;
	vp_code rc = vp_auth_verify(a, proof, &test_req, &id, &err);

	if (rc != VP_ERR_AUTH)
		fail_msg("expected a refusal naming '%s', got %s: %s", reason, vp_code_name(rc),
			 rc == VP_OK ? "" : err.message);
	if (!strstr(err.message, reason))
		fail_msg("refusal '%s' does not say '%s'", err.message, reason);
}

/* A copy of the good proof with one header set (NULL: removed). */
static char *with_header(const char *name, const char *value)
{
	char *proof = good_proof(), *out;
	json_t *doc = unpack(proof), *headers = json_object_get(doc, "headers");

	if (value)
		json_object_set_new(headers, name, json_string(value));
	else
		assert_int_equal(json_object_del(headers, name), 0);
	out = pack(doc);
	json_decref(doc);
	free(proof);
	return out;
}

static char *with_field(const char *field, json_t *value)
{
	char *proof = good_proof(), *out;
	json_t *doc = unpack(proof);

	if (value)
		json_object_set_new(doc, field, value);
	else
		json_object_del(doc, field);
	out = pack(doc);
	json_decref(doc);
	free(proof);
	return out;
}

static void reset_clocks(void)
{
	broker_now = T0;
	client_now = T0;
}

static int setup(void **state)
{
	(void)state;
	reset_clocks();
	return 0;
}

/* ------------------------------------------------------------------ tests */

static void test_proof_format(void **state)
{
	char *proof = good_proof();
	json_t *doc, *headers;
	const char *authz;
	(void)state;

	assert_memory_equal(proof, "Vpcpeer-Proof ", 14);
	assert_true(strlen(proof) <= VP_PROOF_MAX_HEADER);
	doc = unpack(proof);
	assert_int_equal(json_object_size(doc), 4);
	assert_string_equal(json_string_value(json_object_get(doc, "method")), "POST");
	assert_string_equal(json_string_value(json_object_get(doc, "url")), STS_URL "/");
	assert_string_equal(json_string_value(json_object_get(doc, "body")),
			    "Action=GetCallerIdentity&Version=2011-06-15");
	headers = json_object_get(doc, "headers");
	assert_string_equal(json_string_value(json_object_get(headers, "Host")), "127.0.0.1:9");
	assert_string_equal(json_string_value(json_object_get(headers, "X-Vpcpeer-Server-Id")),
			    SERVER_ID);
	assert_string_equal(json_string_value(json_object_get(headers, "X-Amz-Date")),
			    "20260921T141320Z");
	assert_null(json_object_get(headers, "X-Amz-Security-Token"));
	authz = json_string_value(json_object_get(headers, "Authorization"));
	assert_non_null(strstr(authz, "AWS4-HMAC-SHA256 Credential=" KEY
				      "/20260921/us-east-1/sts/aws4_request"));
	assert_non_null(strstr(authz, "x-vpcpeer-server-id"));
	assert_null(strstr(proof, SECRET));
	json_decref(doc);
	free(proof);
}

static void test_parse_good_proof(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	struct vp_proof p, q;
	struct vp_error err;
	char *proof = good_proof();
	(void)state;

	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, &err), VP_OK);
	assert_string_equal(p.method, "POST");
	assert_string_equal(p.url, STS_URL "/");
	assert_int_equal(p.signed_at, T0);
	assert_int_equal(strlen(p.signature), 64);
	/* the same proof, the same digest; the cache compares it */
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &q, &err), VP_OK);
	assert_memory_equal(p.digest, q.digest, sizeof(p.digest));
	vp_proof_cleanup(&p);
	vp_proof_cleanup(&p); /* twice: a no-op */
	vp_proof_cleanup(&q);
	free(proof);
	vp_auth_free(a);
}

static void test_scheme_and_encoding(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *proof = good_proof(), *lower, *text;
	struct vp_proof p;
	(void)state;

	refused(a, NULL, "no identity proof");
	refused(a, "", "no identity proof");
	refused(a, "Bearer abc", "scheme is 'Bearer'");
	refused(a, "AWS4-HMAC-SHA256 Credential=x", "scheme is 'AWS4-HMAC-SHA256'");
	refused(a, "Vpcpeer-Proof", "is empty");
	refused(a, "Vpcpeer-Proof   ", "is empty");
	refused(a, "Vpcpeer-Proof abc", "not a multiple of 4");
	refused(a, "Vpcpeer-Proof ab*d", "bad character at position 3");
	refused(a, "Vpcpeer-Proof ab=d", "bad character");
	refused(a, "Vpcpeer-Proof e3\n=", "bad character at position 3");
	refused(a, "Vpcpeer-Proof bm90IGpzb24=", "not valid JSON"); /* "not json" */
	text = pack_text("[1,2]", 5);
	refused(a, text, "must be a JSON object");
	free(text);
	text = pack_text("{\"method\":\"POST\",\"method\":\"POST\"}", 34);
	refused(a, text, "not valid JSON (or repeats a field)");
	free(text);
	/* the scheme is case-insensitive (RFC 9110), extra blanks are fine */
	lower = strdup(proof);
	memcpy(lower, "vpcpeer-proof", 13);
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), lower, &p, NULL), VP_OK);
	vp_proof_cleanup(&p);
	free(lower);
	/* too long */
	{
		char *big = malloc(VP_PROOF_MAX_HEADER + 2);
		memset(big, 'A', VP_PROOF_MAX_HEADER + 1);
		memcpy(big, "Vpcpeer-Proof ", 14);
		big[VP_PROOF_MAX_HEADER + 1] = '\0';
		refused(a, big, "longer than 8192 bytes");
		free(big);
	}
	free(proof);
	vp_auth_free(a);
}

static void test_fields(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *proof;
	(void)state;

	proof = with_field("extra", json_true());
	refused(a, proof, "unknown field");
	free(proof);
	proof = with_field("body", NULL);
	refused(a, proof, "lacks its body field");
	free(proof);
	proof = with_field("headers", NULL);
	refused(a, proof, "lacks its headers field");
	free(proof);
	proof = with_field("method", json_integer(1));
	refused(a, proof, "method must be a string");
	free(proof);
	proof = with_field("headers", json_string("Host: x"));
	refused(a, proof, "headers must be an object");
	free(proof);
	proof = with_field("headers", json_pack("{si}", "Host", 1));
	refused(a, proof, "header values must be strings");
	free(proof);
	vp_auth_free(a);
}

static void test_method_url_body(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	static const struct {
		const char *url, *reason;
	} urls[] = {
		{"https://sts.evil.example/", "not an STS endpoint of partition aws"},
		{"http://127.0.0.1:10/", "not an STS endpoint"},
		{"https://127.0.0.1:9/", "not an STS endpoint"},
		{"http://sts.amazonaws.com/", "must use https://"},
		{"http://sts.us-east-1.amazonaws.com/", "must use https://"},
		{"https://sts.cn-north-1.amazonaws.com.cn/",
		 "not an STS endpoint of partition aws"},
		{"https://sts.us-gov-west-1.amazonaws.com/", "not an STS endpoint"},
		{"https://sts.amazonaws.com.evil.example/", "not an STS endpoint"},
		{"https://sts.s3.amazonaws.com/", "not an STS endpoint"},
		{"https://sts.amazonaws.com:8443/", "not an STS endpoint"},
		{"http://127.0.0.1:9/?Action=GetCallerIdentity", "query string"},
		{"http://user:pw@127.0.0.1:9/", "user name"},
		{"http://127.0.0.1:9/x", "path '/'"},
		{"http://127.0.0.1:9/#frag", "fragment"},
		{"http://127.0.0.1:9/./", "written exactly 'http://127.0.0.1:9/'"},
		{"http://127.0.0.1:9", "written exactly"},
		{"not a url", "space or a control character"},
		{"sts.amazonaws.com/", "not a valid URL"},
	};
	char *proof;
	(void)state;

	proof = with_field("method", json_string("GET"));
	refused(a, proof, "method is 'GET', not POST");
	free(proof);
	proof = with_field("method", json_string("post"));
	refused(a, proof, "not POST");
	free(proof);
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		proof = with_field("url", json_string(urls[i].url));
		refused(a, proof, urls[i].reason);
		free(proof);
	}
	proof = with_field("body", json_string("Action=GetCallerIdentity&Version=2011-06-15&X=1"));
	refused(a, proof, "body is not exactly Action=GetCallerIdentity&Version=2011-06-15");
	free(proof);
	proof = with_field("body", json_string("Action=AssumeRole&Version=2011-06-15"));
	refused(a, proof, "body is not exactly");
	free(proof);
	proof = with_field("body", json_string(""));
	refused(a, proof, "body is not exactly");
	free(proof);
	/* the other parameter order passes the local check (STS judges the signature) */
	{
		struct vp_proof p;
		proof = with_field("body",
				   json_string("Version=2011-06-15&Action=GetCallerIdentity"));
		assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
		vp_proof_cleanup(&p);
		free(proof);
	}
	vp_auth_free(a);
}

static void test_partition_hosts(void **state)
{
	static const struct {
		const char *partition, *url;
		bool ok;
	} cases[] = {
		{"aws", "https://sts.amazonaws.com/", true},
		{"aws", "https://sts.eu-west-1.amazonaws.com/", true},
		{"aws", "https://sts.il-central-1.amazonaws.com/", true},
		{"aws", "https://sts.us-gov-west-1.amazonaws.com/", false},
		{"aws", "https://sts.zz-west-1.amazonaws.com/", false},
		{"aws", "https://sts.eu-west.amazonaws.com/", false},
		{"aws", "https://sts.EU-west-1.amazonaws.com/", false},
		{"aws-cn", "https://sts.cn-north-1.amazonaws.com.cn/", true},
		{"aws-cn", "https://sts.amazonaws.com/", false},
		{"aws-cn", "https://sts.eu-west-1.amazonaws.com/", false},
		{"aws-us-gov", "https://sts.us-gov-west-1.amazonaws.com/", true},
		{"aws-us-gov", "https://sts.us-east-1.amazonaws.com/", false},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_auth *a = make_auth(cases[i].partition, NULL);
		char *proof = with_field("url", json_string(cases[i].url));
		struct vp_proof p;
		struct vp_error err;
		vp_code rc = vp_proof_parse(vp_auth_rules(a), proof, &p, &err);

		/* The Host header is the awsenv one: drop it so the URL check decides. */
		if (rc == VP_ERR_AUTH && strstr(err.message, "Host header")) {
			json_t *doc = unpack(proof);
			json_object_del(json_object_get(doc, "headers"), "Host");
			free(proof);
			proof = pack(doc);
			json_decref(doc);
			rc = vp_proof_parse(vp_auth_rules(a), proof, &p, &err);
		}
		if (cases[i].ok != (rc == VP_OK))
			fail_msg("%s %s: %s", cases[i].partition, cases[i].url,
				 rc == VP_OK ? "accepted" : err.message);
		if (rc == VP_OK)
			vp_proof_cleanup(&p);
		free(proof);
		vp_auth_free(a);
	}
}

static void test_headers(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *proof, *authz;
	json_t *doc;
	(void)state;

	proof = with_header("X-Vpcpeer-Server-Id", NULL);
	refused(a, proof, "no X-Vpcpeer-Server-Id header");
	free(proof);
	proof = with_header("X-Vpcpeer-Server-Id", "other.broker:443");
	refused(a, proof,
		"is for server id 'other.broker:443', not this broker's 'broker.test:443'");
	free(proof);
	proof = with_header("X-Amz-Date", NULL);
	refused(a, proof, "no X-Amz-Date");
	free(proof);
	proof = with_header("Authorization", NULL);
	refused(a, proof, "no Authorization header");
	free(proof);
	proof = with_header("Host", "sts.amazonaws.com");
	refused(a, proof, "Host header 'sts.amazonaws.com' does not match its URL's '127.0.0.1:9'");
	free(proof);
	proof = with_header("X-Forwarded-For", "1.2.3.4");
	refused(a, proof, "header 'X-Forwarded-For' that is not allowed");
	free(proof);
	proof = with_header("x-amz-date", "20260921T141320Z");
	refused(a, proof, "the header X-Amz-Date twice");
	free(proof);
	proof = with_header("Content-Type", "application/json");
	refused(a, proof, "Content-Type must be application/x-www-form-urlencoded");
	free(proof);
	proof = with_header("Content-Length", "7");
	refused(a, proof, "Content-Length does not match");
	free(proof);
	proof = with_header("X-Amz-Security-Token", "FQoGZXIvYXdzEBYaD");
	refused(a, proof, "X-Amz-Security-Token header is not signed");
	free(proof);
	proof = with_header("X-Amz-Date", "2026-09-21T14:13:20Z");
	refused(a, proof, "is not YYYYMMDDTHHMMSSZ");
	free(proof);
	proof = with_header("X-Amz-Date", "20260231T141320Z");
	refused(a, proof, "is not YYYYMMDDTHHMMSSZ");
	free(proof);
	proof = with_header("X-Amz-Date", "20260922T141320Z");
	refused(a, proof, "credential scope date");
	free(proof);
	proof = with_header("Host\r\nX", "1");
	refused(a, proof, "not an HTTP token");
	free(proof);
	proof = with_header("Host", "127.0.0.1:9\r\nX-Injected: 1");
	refused(a, proof, "control character");
	free(proof);
	/* Content-Length equal to the body's, and no Host (curl sends the URL's): fine */
	{
		struct vp_proof p;
		proof = with_header("Content-Length", "43");
		assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
		vp_proof_cleanup(&p);
		free(proof);
		proof = with_header("Host", NULL);
		assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
		vp_proof_cleanup(&p);
		free(proof);
	}

	/* the Authorization header itself */
	{
		static const struct {
			const char *from, *to, *reason;
		} edits[] = {
			{"AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1", "not AWS4-HMAC-SHA256"},
			{"/sts/", "/iam/", "not for service sts"},
			{"aws4_request", "aws4_reqxest", "does not end in aws4_request"},
			{"x-vpcpeer-server-id", "x-vpcpeer-server-xx", "is not signed"},
			{"host;", "hxst;", "SignedHeaders lacks host"},
			{";x-amz-date", ";x-amz-datx", "SignedHeaders lacks x-amz-date"},
			{"Signature=", "Signature=0", "not 64 hex digits"},
			{"SignedHeaders=", "SignedHeaders=zz;", "names a header it does not carry"},
			{"Credential=", "Credential=x", "access key id is malformed"},
			{", Signature=", ", Foo=1, Signature=", "unknown or repeated part"},
		};
		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			char *good = good_proof(), *edited, *at;
			json_t *headers;
			size_t flen = strlen(edits[i].from), tlen = strlen(edits[i].to);

			doc = unpack(good);
			headers = json_object_get(doc, "headers");
			authz = strdup(
				json_string_value(json_object_get(headers, "Authorization")));
			at = strstr(authz, edits[i].from);
			if (!at)
				fail_msg("'%s' not in %s", edits[i].from, authz);
			edited = malloc(strlen(authz) + tlen + 1);
			memcpy(edited, authz, (size_t)(at - authz));
			memcpy(edited + (at - authz), edits[i].to, tlen);
			memcpy(edited + (at - authz) + tlen, at + flen, strlen(at + flen) + 1);
			json_object_set_new(headers, "Authorization", json_string(edited));
			proof = pack(doc);
			refused(a, proof, edits[i].reason);
			free(proof);
			free(edited);
			free(authz);
			json_decref(doc);
			free(good);
		}
	}
	vp_auth_free(a);
}

static void test_freshness(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	struct vp_proof p;
	char *proof = good_proof();
	(void)state;

	broker_now = T0 + 300; /* the edge is still fresh */
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
	vp_proof_cleanup(&p);
	broker_now = T0 + 301;
	refused(a, proof, "stale: signed at 20260921T141320Z, 301 s before");
	/* ahead of the broker's clock only by the small skew (issue 14), not max age */
	broker_now = T0 - VP_PROOF_MAX_SKEW;
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
	vp_proof_cleanup(&p);
	broker_now = T0 - VP_PROOF_MAX_SKEW - 1;
	refused(a, proof, "in the future: signed at 20260921T141320Z, 61 s after");
	broker_now = T0 - 300;
	refused(a, proof, "300 s after this broker's clock (at most 60 s)");
	reset_clocks();
	free(proof);
	vp_auth_free(a);
}

/* A proof made for one request, or for none. */
static char *proof_for(const char *request)
{
	struct vp_aws_client *c = make_client("us-east-1", STS_URL, NULL);
	char *proof = NULL;
	struct vp_error err;

	if (vp_proof_make(c, SERVER_ID, request, &proof, &err) != VP_OK)
		fail_msg("%s", err.message);
	vp_aws_client_free(c);
	return proof;
}

static vp_code verify_as(struct vp_auth *a, const char *proof, const char *method, const char *path,
			 struct vp_error *err)
{
	struct vp_auth_request req = {method, path, strlen(path)};
	struct vp_identity id;

	return vp_auth_verify(a, proof, &req, &id, err);
}

/*
 * Attack (issue 14): a proof captured from a GET is replayed as a DELETE of
 * the same namespace, or for another path. Refused before any STS call (the
 * STS here is unreachable: reaching it would be UNAVAILABLE, not AUTH).
 */
static void test_proof_bound_to_request(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *proof = proof_for("GET /v1/namespaces/3");
	struct vp_error err;
	json_t *doc;
	(void)state;

	doc = unpack(proof);
	assert_string_equal(json_string_value(json_object_get(json_object_get(doc, "headers"),
							      VP_PROOF_REQUEST_HEADER)),
			    "GET /v1/namespaces/3");
	assert_non_null(strstr(json_string_value(json_object_get(json_object_get(doc, "headers"),
								 "Authorization")),
			       "x-vpcpeer-request"));
	json_decref(doc);
	assert_int_equal(verify_as(a, proof, "DELETE", "/v1/namespaces/3", &err), VP_ERR_AUTH);
	assert_non_null(strstr(err.message, "the proof is for 'GET /v1/namespaces/3', not for "
					    "this request 'DELETE /v1/namespaces/3'"));
	assert_int_equal(verify_as(a, proof, "GET", "/v1/namespaces/4", &err), VP_ERR_AUTH);
	assert_int_equal(verify_as(a, proof, "POST", "/v1/namespaces/3/confirm", &err),
			 VP_ERR_AUTH);
	/* its own request passes every local check and goes on to STS */
	assert_int_equal(verify_as(a, proof, "GET", "/v1/namespaces/3", &err), VP_ERR_UNAVAILABLE);
	free(proof);
	vp_auth_free(a);
}

/* An unbound proof (an old client) is refused unless --accept-unbound-proofs. */
static void test_unbound_proof(void **state)
{
	struct vp_auth_config cfg = {
		.proof = {.server_id = SERVER_ID,
			  .partition = "aws",
			  .sts_endpoint = STS_URL,
			  .clock = broker_clock},
	};
	struct vp_auth *strict = make_auth("aws", STS_URL), *lenient = NULL;
	char *proof = proof_for(NULL);
	struct vp_error err;
	(void)state;

	assert_int_equal(verify_as(strict, proof, "DELETE", "/v1/namespaces/3", &err), VP_ERR_AUTH);
	assert_non_null(strstr(err.message, "not bound to a request"));
	assert_non_null(strstr(err.message, "--accept-unbound-proofs"));
	cfg.accept_unbound = true;
	assert_int_equal(vp_auth_new(&cfg, &lenient, &err), VP_OK);
	assert_int_equal(verify_as(lenient, proof, "DELETE", "/v1/namespaces/3", &err),
			 VP_ERR_UNAVAILABLE);
	free(proof);
	vp_auth_free(strict);
	vp_auth_free(lenient);
}

/* The binding header must be signed: an added, unsigned one binds nothing. */
static void test_unsigned_binding_refused(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *unbound = proof_for(NULL), *proof;
	json_t *doc = unpack(unbound);
	(void)state;

	json_object_set_new(json_object_get(doc, "headers"), VP_PROOF_REQUEST_HEADER,
			    json_string(TEST_REQUEST));
	proof = pack(doc);
	json_decref(doc);
	refused(a, proof, "X-Vpcpeer-Request header is not signed");
	free(proof);
	free(unbound);
	vp_auth_free(a);
}

/* The cache key is what the signature covers: an unsigned header does not change it. */
static void test_digest_covers_signed_content_only(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *plain = good_proof(), *agent_a = with_header("User-Agent", "a/1"),
	     *agent_b = with_header("User-Agent", "b/2"), *other = proof_for("GET /v1/x");
	struct vp_proof p, q, r, o;
	(void)state;

	assert_int_equal(vp_proof_parse(vp_auth_rules(a), plain, &p, NULL), VP_OK);
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), agent_a, &q, NULL), VP_OK);
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), agent_b, &r, NULL), VP_OK);
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), other, &o, NULL), VP_OK);
	assert_memory_equal(p.digest, q.digest, sizeof(p.digest));
	assert_memory_equal(p.digest, r.digest, sizeof(p.digest));
	assert_memory_not_equal(p.digest, o.digest, sizeof(p.digest));
	vp_proof_cleanup(&p);
	vp_proof_cleanup(&q);
	vp_proof_cleanup(&r);
	vp_proof_cleanup(&o);
	free(plain);
	free(agent_a);
	free(agent_b);
	free(other);
	vp_auth_free(a);
}

static void test_request_line(void **state)
{
	char out[VP_PROOF_REQUEST_MAX + 1];
	struct vp_error err;
	(void)state;

	assert_int_equal(
		vp_proof_request_line("DELETE", "/v1/namespaces/3?x=1", 16, out, sizeof(out), &err),
		VP_OK);
	assert_string_equal(out, "DELETE /v1/namespaces/3");
	assert_int_equal(vp_proof_request_line("get", "/v1", 3, out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_proof_request_line("GET", "v1", 2, out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_proof_request_line("GET", "/a b", 4, out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_proof_request_line("GET", "/ab", 3, out, 5, &err), VP_ERR_RANGE);
}

static void test_refusals_never_echo_secrets(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	struct vp_aws_client *c = make_client("us-east-1", STS_URL, "SeCrEtSessionToken0123456789");
	char *proof = proof_from(c, "other.broker:443");
	json_t *doc = unpack(proof);
	const char *authz = json_string_value(
		json_object_get(json_object_get(doc, "headers"), "Authorization"));
	const char *sig = strstr(authz, "Signature=") + 10;
	struct vp_identity id;
	struct vp_error err;
	(void)state;

	assert_non_null(json_object_get(json_object_get(doc, "headers"), "X-Amz-Security-Token"));
	assert_int_equal(vp_auth_verify(a, proof, &test_req, &id, &err), VP_ERR_AUTH);
	assert_null(strstr(err.message, sig));
	assert_null(strstr(err.message, "SeCrEt"));
	assert_null(strstr(err.message, KEY));
	json_decref(doc);
	free(proof);
	vp_aws_client_free(c);
	vp_auth_free(a);
}

static void test_temporary_credentials_sign_the_token(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	struct vp_aws_client *c = make_client("us-east-1", STS_URL, "SessionToken0123456789");
	char *proof = proof_from(c, SERVER_ID);
	struct vp_proof p;
	json_t *doc = unpack(proof);
	const char *authz = json_string_value(
		json_object_get(json_object_get(doc, "headers"), "Authorization"));
	(void)state;

	assert_non_null(strstr(authz, "x-amz-security-token"));
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
	vp_proof_cleanup(&p);
	json_decref(doc);
	free(proof);
	vp_aws_client_free(c);
	vp_auth_free(a);
}

static void test_real_sts_hosts(void **state)
{
	/* Without an endpoint URL the client signs for the real STS host, which the broker takes.
	 */
	struct vp_auth *a = make_auth("aws", NULL);
	struct vp_aws_client *c = make_client("eu-west-1", NULL, NULL);
	char *proof = proof_from(c, SERVER_ID);
	struct vp_proof p;
	struct vp_error err;
	(void)state;

	if (vp_proof_parse(vp_auth_rules(a), proof, &p, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(p.url, "https://sts.eu-west-1.amazonaws.com/");
	vp_proof_cleanup(&p);
	free(proof);
	vp_aws_client_free(c);
	vp_auth_free(a);
}

static void test_config(void **state)
{
	struct vp_auth_config cfg = {.proof = {.server_id = SERVER_ID}};
	struct vp_auth *a = NULL;
	struct vp_error err;
	(void)state;

	cfg.proof.partition = "aws-mars";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "unknown partition 'aws-mars'"));
	cfg.proof.partition = NULL;
	cfg.proof.sts_endpoint = "ftp://127.0.0.1/";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.sts_endpoint = "http://127.0.0.1:5/sts?x=1";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.sts_endpoint = NULL;
	cfg.proof.server_id = "";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.server_id = "has space";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.server_id = SERVER_ID;
	cfg.proof.max_age_seconds = -1;
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.max_age_seconds = 0;
	cfg.proof.sts_endpoint = "http://127.0.0.1:5/";
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_OK);
	vp_auth_free(a);
	vp_auth_free(NULL);

	/* the client refuses a bad server id too */
	{
		struct vp_aws_client *c = make_client("us-east-1", STS_URL, NULL);
		char *proof = NULL;
		assert_int_equal(vp_proof_make(c, "bad id", TEST_REQUEST, &proof, &err),
				 VP_ERR_INVALID);
		assert_null(proof);
		vp_aws_client_free(c);
	}
}

static void test_default_server_id(void **state)
{
	static const struct {
		const char *url, *id;
	} good[] = {
		{"https://broker.example.com", "broker.example.com:443"},
		{"https://Broker.Example.com/", "broker.example.com:443"},
		{"https://broker.example.com:8443/v1", "broker.example.com:8443"},
		{"http://127.0.0.1:8080", "127.0.0.1:8080"},
		{"http://localhost", "localhost:80"},
		{"https://[::1]:9443/", "[::1]:9443"},
	};
	char out[VP_PROOF_SERVER_ID_MAX + 1];
	struct vp_error err;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (vp_proof_default_server_id(good[i].url, out, sizeof(out), &err) != VP_OK)
			fail_msg("%s: %s", good[i].url, err.message);
		assert_string_equal(out, good[i].id);
	}
	assert_int_equal(vp_proof_default_server_id("broker.example.com", out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_int_equal(
		vp_proof_default_server_id("ftp://broker.example.com", out, sizeof(out), &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "not an http:// or https:// URL"));
	assert_int_equal(vp_proof_default_server_id("https://", out, sizeof(out), &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_proof_default_server_id("https://broker.example.com", out, 8, &err),
			 VP_ERR_RANGE);
}

/* A proof is at most 8 KiB, so request line and headers fit API Gateway's 10,240 bytes. */
static void test_proof_size_cap(void **state)
{
	struct vp_auth *a = make_auth("aws", STS_URL);
	char *pad = malloc(6001), *proof;
	(void)state;

	assert_non_null(pad);
	memset(pad, 'a', 6000);
	pad[6000] = '\0';
	/* a well-formed proof padded with an allowed (unsigned) header: over 8 KiB, under 12 */
	proof = with_header("User-Agent", pad);
	assert_true(strlen(proof) > 8192 && strlen(proof) < 10240);
	refused(a, proof, "longer than 8192 bytes");
	free(proof);
	free(pad);
	vp_auth_free(a);
}

/* STS refuses a request signed more than 15 minutes ago: so does the broker's setting. */
static void test_max_age_capped(void **state)
{
	struct vp_auth_config cfg = {.proof = {.server_id = SERVER_ID, .clock = broker_clock}};
	struct vp_auth *a = NULL;
	struct vp_proof p;
	struct vp_error err;
	char *proof = good_proof();
	(void)state;

	cfg.proof.max_age_seconds = 901;
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "1..900 seconds"));
	cfg.proof.max_age_seconds = 3600;
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_ERR_INVALID);
	cfg.proof.max_age_seconds = 900;
	cfg.proof.sts_endpoint = STS_URL;
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_OK);
	broker_now = T0 + 900;
	assert_int_equal(vp_proof_parse(vp_auth_rules(a), proof, &p, NULL), VP_OK);
	vp_proof_cleanup(&p);
	broker_now = T0 + 901;
	refused(a, proof, "stale");
	reset_clocks();
	free(proof);
	vp_auth_free(a);
}

/* A proof for url, its Host header dropped (the URL check decides), parsed by a. */
static vp_code parse_for_url(struct vp_auth *a, const char *url, struct vp_error *err)
{
	char *proof = with_field("url", json_string(url));
	json_t *doc = unpack(proof);
	struct vp_proof p;
	vp_code rc;

	json_object_del(json_object_get(doc, "headers"), "Host");
	free(proof);
	proof = pack(doc);
	json_decref(doc);
	rc = vp_proof_parse(vp_auth_rules(a), proof, &p, err);
	if (rc == VP_OK)
		vp_proof_cleanup(&p);
	free(proof);
	return rc;
}

/* FIPS hosts by default; a VPC endpoint's host only when the operator lists it, https only. */
static void test_extra_sts_hosts(void **state)
{
	static const char *const hosts[] = {
		"vpce-0abc-1234.sts.us-east-1.vpce.amazonaws.com",
		"https://sts.example.internal:8443",
		"https://sts2.example.internal:443",
	};
	struct vp_auth_config cfg = {.proof = {.server_id = SERVER_ID, .clock = broker_clock}};
	struct vp_auth *a = make_auth("aws", NULL), *b = NULL;
	struct vp_error err;
	(void)state;

	assert_int_equal(parse_for_url(a, "https://sts-fips.us-east-1.amazonaws.com/", &err),
			 VP_OK);
	assert_int_equal(parse_for_url(a, "https://sts-fips.us-west-2.amazonaws.com/", &err),
			 VP_OK);
	assert_int_equal(parse_for_url(a, "https://sts-fips.zz-west-2.amazonaws.com/", &err),
			 VP_ERR_AUTH);
	assert_int_equal(
		parse_for_url(a, "https://vpce-0abc-1234.sts.us-east-1.vpce.amazonaws.com/", &err),
		VP_ERR_AUTH);
	assert_non_null(strstr(err.message, "--sts-endpoint"));
	vp_auth_free(a);

	cfg.proof.sts_hosts = hosts;
	cfg.proof.sts_host_count = 3;
	assert_int_equal(vp_auth_new(&cfg, &b, &err), VP_OK);
	assert_int_equal(
		parse_for_url(b, "https://vpce-0abc-1234.sts.us-east-1.vpce.amazonaws.com/", &err),
		VP_OK);
	assert_int_equal(parse_for_url(b, "https://sts.example.internal:8443/", &err), VP_OK);
	assert_int_equal(parse_for_url(b, "https://sts2.example.internal/", &err), VP_OK);
	/* the same host over plain http, or on another port, is another endpoint */
	assert_int_equal(
		parse_for_url(b, "http://vpce-0abc-1234.sts.us-east-1.vpce.amazonaws.com/", &err),
		VP_ERR_AUTH);
	assert_int_equal(parse_for_url(b, "https://sts.example.internal/", &err), VP_ERR_AUTH);
	vp_auth_free(b);

	/* http is refused at start-up, and so are more than 8 */
	{
		static const char *const bad[] = {"http://sts.example.internal"};
		static const char *const many[9] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
		cfg.proof.sts_hosts = bad;
		cfg.proof.sts_host_count = 1;
		assert_int_equal(vp_auth_new(&cfg, &b, &err), VP_ERR_INVALID);
		assert_non_null(strstr(err.message, "must be https://"));
		cfg.proof.sts_hosts = many;
		cfg.proof.sts_host_count = 9;
		assert_int_equal(vp_auth_new(&cfg, &b, &err), VP_ERR_INVALID);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_proof_format, setup),
		cmocka_unit_test_setup(test_parse_good_proof, setup),
		cmocka_unit_test_setup(test_scheme_and_encoding, setup),
		cmocka_unit_test_setup(test_fields, setup),
		cmocka_unit_test_setup(test_method_url_body, setup),
		cmocka_unit_test_setup(test_partition_hosts, setup),
		cmocka_unit_test_setup(test_headers, setup),
		cmocka_unit_test_setup(test_freshness, setup),
		cmocka_unit_test_setup(test_refusals_never_echo_secrets, setup),
		cmocka_unit_test_setup(test_proof_bound_to_request, setup),
		cmocka_unit_test_setup(test_unbound_proof, setup),
		cmocka_unit_test_setup(test_unsigned_binding_refused, setup),
		cmocka_unit_test_setup(test_digest_covers_signed_content_only, setup),
		cmocka_unit_test_setup(test_request_line, setup),
		cmocka_unit_test_setup(test_temporary_credentials_sign_the_token, setup),
		cmocka_unit_test_setup(test_real_sts_hosts, setup),
		cmocka_unit_test_setup(test_config, setup),
		cmocka_unit_test_setup(test_default_server_id, setup),
		cmocka_unit_test_setup(test_proof_size_cap, setup),
		cmocka_unit_test_setup(test_max_age_capped, setup),
		cmocka_unit_test_setup(test_extra_sts_hosts, setup),
	};
	struct vp_error err;
	int rc;

	/* The endpoints must come from the tests, not from the environment. */
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_STS");
	unsetenv("AWS_STS_REGIONAL_ENDPOINTS");
	unsetenv("AWS_PROFILE");
	if (vp_aws_global_init(&err) != VP_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_aws_global_cleanup();
	return rc;
}
