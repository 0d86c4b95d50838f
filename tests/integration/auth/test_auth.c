/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Identity proofs end to end against awsenv (moto behind a proxy that
 * verifies every signature with botocore): proofs made by
 * vp_proof_make(), verified by vp_auth_verify() with a fixed broker
 * clock, replayed to awsenv's STS. The account comes from STS; a proof seen
 * before is answered from the cache (STS calls counted by awsenv); what STS
 * refuses is a 401 with STS's code; an STS that fails or cannot be reached
 * is VP_ERR_UNAVAILABLE.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "api/auth.h"
#include "awsenv_client.h"
#include "aws/client.h"
#include "aws/sts.h"
#include "core/metrics.h"
#include "static_client.h"

/* The request every proof here is bound to (issue 14). */
#define TEST_REQUEST "GET /v1/namespaces"
static const struct vp_auth_request test_req = {"GET", "/v1/namespaces", 14};

#define HUB        "111111111111"
#define HUB_KEY    "AKIAHUB1111111111111"
#define HUB_SECRET "hubSecret0000000000000000000000000000000"
#define B          "222222222222"
#define B_KEY      "AKIACLIENTB222222222"
#define B_SECRET   "clientBSecret000000000000000000000000000"
#define SERVER_ID  "broker.test:443"

static struct vp_test_awsenv env;
static int64_t t0;         /* real time at the start: awsenv checks dates too */
static time_t client_now;  /* the signing clock */
static int64_t broker_now; /* the broker's clock */

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

static struct vp_aws_client *client_for(const char *endpoint, const char *key, const char *secret,
					const char *token)
{
	struct vp_aws_client_config cfg = {
		.region = "us-east-1",
		.endpoint_url = endpoint,
		.config_file = "/nonexistent",
		.credentials_file = "/nonexistent",
		.retry_base_delay = 0.005,
		.clock = client_clock,
	};

	return vp_test_static_client(cfg, key, secret, token);
}

static struct vp_auth *auth_for(const char *endpoint, size_t cache_entries)
{
	struct vp_auth_config cfg = {
		.proof = {.server_id = SERVER_ID,
			  .partition = "aws",
			  .sts_endpoint = endpoint,
			  .clock = broker_clock},
		.cache_entries = cache_entries,
		.sts_timeout_ms = 5000,
	};
	struct vp_auth *a = NULL;
	struct vp_error err;

	if (vp_auth_new(&cfg, &a, &err) != VP_OK)
		fail_msg("%s", err.message);
	return a;
}

/* A proof signed at `at` with the given keys. */
static char *proof_at(time_t at, const char *key, const char *secret, const char *token)
{
	struct vp_aws_client *c = client_for(env.url, key, secret, token);
	char *proof = NULL;
	struct vp_error err;

	client_now = at;
	if (vp_proof_make(c, SERVER_ID, TEST_REQUEST, &proof, &err) != VP_OK)
		fail_msg("%s", err.message);
	vp_aws_client_free(c);
	return proof;
}

/* GetCallerIdentity requests awsenv has seen since the last reset. */
static long sts_calls(void)
{
	char out[16384];
	json_t *doc, *n;
	long total = 0;

	assert_int_equal(
		vp_test_awsenv_control(&env, "GET", "/_awsenv/calls", NULL, out, sizeof(out)), 200);
	doc = json_loads(out, 0, NULL);
	assert_non_null(doc);
	n = json_object_get(json_object_get(json_object_get(json_object_get(doc, "calls"), "sts"),
					    "GetCallerIdentity"),
			    "total");
	if (n)
		total = (long)json_integer_value(n);
	json_decref(doc);
	return total;
}

static void faults(const char *json)
{
	char out[2048];

	if (vp_test_awsenv_control(&env, "POST", "/_awsenv/faults", json, out, sizeof(out)) != 200)
		fail_msg("faults: %s", out);
}

/* Re-pack a proof with `from` replaced by `to` inside its JSON text. */
static char *tamper(const char *proof, const char *from, const char *to)
{
	const char *b64 = proof + strlen(VP_PROOF_SCHEME " ");
	size_t len = strlen(b64), tlen = strlen(to), flen = strlen(from);
	unsigned char *raw = malloc(len + 1);
	char *text, *at, *out;
	int n;

	assert_non_null(raw);
	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
	while (n > 0 && raw[n - 1] == '\0')
		n--;
	raw[n] = '\0';
	at = strstr((char *)raw, from);
	if (!at)
		fail_msg("'%s' not in the proof", from);
	text = malloc((size_t)n + tlen + 1);
	memcpy(text, raw, (size_t)(at - (char *)raw));
	memcpy(text + (at - (char *)raw), to, tlen);
	memcpy(text + (at - (char *)raw) + tlen, at + flen, strlen(at + flen) + 1);
	len = strlen(text);
	out = malloc(strlen(VP_PROOF_SCHEME " ") + 4 * ((len + 2) / 3) + 1);
	memcpy(out, VP_PROOF_SCHEME " ", strlen(VP_PROOF_SCHEME " ") + 1);
	EVP_EncodeBlock((unsigned char *)out + strlen(out), (unsigned char *)text, (int)len);
	free(text);
	free(raw);
	return out;
}

/* The signature inside a proof, to flip one digit of it. */
static char *flip_signature(const char *proof)
{
	const char *b64 = proof + strlen(VP_PROOF_SCHEME " ");
	size_t len = strlen(b64);
	unsigned char *raw = malloc(len + 1);
	char from[80], to[80], *sig, *out;
	int n;

	n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
	raw[n] = '\0';
	sig = strstr((char *)raw, "Signature=");
	assert_non_null(sig);
	snprintf(from, sizeof(from), "%.74s", sig);
	memcpy(to, from, sizeof(to));
	to[10] = to[10] == '0' ? '1' : '0';
	free(raw);
	out = tamper(proof, from, to);
	return out;
}

static void expect(struct vp_auth *a, const char *proof, vp_code code, const char *reason)
{
	struct vp_identity id;
	struct vp_error err;
	vp_code rc = vp_auth_verify(a, proof, &test_req, &id, &err);

	if (rc != code)
		fail_msg("expected %s (%s), got %s: %s", vp_code_name(code), reason ? reason : "",
			 vp_code_name(rc), rc == VP_OK ? id.arn : err.message);
	if (rc != VP_OK && reason && !strstr(err.message, reason))
		fail_msg("'%s' does not say '%s'", err.message, reason);
}

static int reset(void **state)
{
	(void)state;
	t0 = (int64_t)time(NULL);
	broker_now = t0;
	client_now = (time_t)t0;
	return vp_test_awsenv_reset(&env);
}

/* ------------------------------------------------------------------ tests */

static void test_good_proof_then_cached(void **state)
{
	struct vp_auth *a = auth_for(env.url, 0);
	char *proof = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
	struct vp_identity id;
	struct vp_error err;
	(void)state;

	if (vp_auth_verify(a, proof, &test_req, &id, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(id.account, B);
	assert_string_equal(id.arn, "arn:aws:iam::" B ":user/client-b");
	assert_memory_equal(id.user_id, "AIDA", 4);
	assert_int_equal(sts_calls(), 1);

	/* the same proof again, a little later: from the cache */
	broker_now = t0 + 100;
	memset(&id, 0, sizeof(id));
	assert_int_equal(vp_auth_verify(a, proof, &test_req, &id, &err), VP_OK);
	assert_string_equal(id.account, B);
	assert_int_equal(sts_calls(), 1);

	/* past its max age it is stale, cached or not */
	broker_now = t0 + 301;
	expect(a, proof, VP_ERR_AUTH, "stale");
	assert_int_equal(sts_calls(), 1);

	/* a new proof (signed a second later) is a new signature: STS again */
	broker_now = t0 + 1;
	free(proof);
	proof = proof_at((time_t)t0 + 1, HUB_KEY, HUB_SECRET, NULL);
	assert_int_equal(vp_auth_verify(a, proof, &test_req, &id, &err), VP_OK);
	assert_string_equal(id.account, HUB);
	assert_int_equal(sts_calls(), 2);
	free(proof);
	vp_auth_free(a);
}

static void test_cache_is_bounded_lru(void **state)
{
	struct vp_auth *a = auth_for(env.url, 2);
	char *p1 = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
	char *p2 = proof_at((time_t)t0 + 1, B_KEY, B_SECRET, NULL);
	char *p3 = proof_at((time_t)t0 + 2, B_KEY, B_SECRET, NULL);
	(void)state;

	expect(a, p1, VP_OK, NULL);
	expect(a, p2, VP_OK, NULL);
	expect(a, p1, VP_OK, NULL); /* p1 is now the most recent */
	assert_int_equal(sts_calls(), 2);
	expect(a, p3, VP_OK, NULL); /* evicts p2 */
	assert_int_equal(sts_calls(), 3);
	expect(a, p1, VP_OK, NULL);
	expect(a, p3, VP_OK, NULL);
	assert_int_equal(sts_calls(), 3);
	expect(a, p2, VP_OK, NULL);
	assert_int_equal(sts_calls(), 4);
	free(p1);
	free(p2);
	free(p3);
	vp_auth_free(a);
}

static void test_sts_refuses(void **state)
{
	struct vp_auth *a = auth_for(env.url, 0);
	char *good = proof_at((time_t)t0, B_KEY, B_SECRET, NULL), *bad;
	(void)state;

	/* the other parameter order passes the local checks, but was not what was signed */
	bad = tamper(good, "Action=GetCallerIdentity&Version=2011-06-15",
		     "Version=2011-06-15&Action=GetCallerIdentity");
	expect(a, bad, VP_ERR_AUTH, "STS refused the proof: SignatureDoesNotMatch");
	free(bad);
	bad = flip_signature(good);
	expect(a, bad, VP_ERR_AUTH, "STS refused the proof: SignatureDoesNotMatch");
	free(bad);
	/* a valid signature with a tampered, cached-looking twin: never from the cache */
	expect(a, good, VP_OK, NULL);
	{
		char d0[17], d1[17];
		vp_aws_amz_date((time_t)t0, d0);
		vp_aws_amz_date((time_t)t0 + 1, d1);
		bad = tamper(good, d0, d1);
		expect(a, bad, VP_ERR_AUTH, "SignatureDoesNotMatch");
		free(bad);
	}
	free(good);

	good = proof_at((time_t)t0, B_KEY, "wrongSecret00000000000000000000000000000", NULL);
	expect(a, good, VP_ERR_AUTH, "STS refused the proof: SignatureDoesNotMatch");
	free(good);
	good = proof_at((time_t)t0, "AKIAUNKNOWN000000000", B_SECRET, NULL);
	expect(a, good, VP_ERR_AUTH, "STS refused the proof: InvalidClientTokenId");
	free(good);
	vp_auth_free(a);
}

/*
 * Attack (issue 14): the same proof with a different unsigned User-Agent each
 * time forced a fresh STS call; the cache key is the signed content now.
 */
static void test_unsigned_header_changes_hit_the_cache(void **state)
{
	struct vp_auth *a = auth_for(env.url, 0);
	char *good = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
	char *ua1 = tamper(good, "\"headers\":{", "\"headers\":{\"User-Agent\":\"x/1\",");
	char *ua2 = tamper(good, "\"headers\":{", "\"headers\":{\"User-Agent\":\"y/2\",");
	(void)state;

	expect(a, good, VP_OK, NULL);
	expect(a, ua1, VP_OK, NULL);
	expect(a, ua2, VP_OK, NULL);
	assert_int_equal(sts_calls(), 1);
	free(good);
	free(ua1);
	free(ua2);
	vp_auth_free(a);
}

/* --accept-unbound-proofs: an old client's proof is accepted, and each use is counted. */
static void test_unbound_proof_accepted_and_counted(void **state)
{
	struct vp_metrics *m = vp_metrics_new();
	struct vp_auth_config cfg = {
		.proof = {.server_id = SERVER_ID,
			  .partition = "aws",
			  .sts_endpoint = env.url,
			  .clock = broker_clock},
		.sts_timeout_ms = 5000,
		.accept_unbound = true,
		.metrics = m,
	};
	struct vp_aws_client *c = client_for(env.url, B_KEY, B_SECRET, NULL);
	struct vp_auth *a = NULL;
	struct vp_error err;
	char *proof = NULL, *text;
	(void)state;

	assert_non_null(m);
	assert_int_equal(vp_auth_new(&cfg, &a, &err), VP_OK);
	client_now = (time_t)t0;
	assert_int_equal(vp_proof_make(c, SERVER_ID, NULL, &proof, &err), VP_OK);
	expect(a, proof, VP_OK, NULL);
	expect(a, proof, VP_OK, NULL); /* cached, still counted */
	text = vp_metrics_render(m);
	assert_non_null(text);
	if (!strstr(text, VP_AUTH_METRIC_UNBOUND " 2"))
		fail_msg("no count of 2 unbound proofs in:\n%s", text);
	free(text);
	free(proof);
	vp_aws_client_free(c);
	vp_auth_free(a);
	vp_metrics_free(m);
}

static void test_temporary_credentials(void **state)
{
	struct vp_aws_client *hub = client_for(env.url, HUB_KEY, HUB_SECRET, NULL);
	struct vp_aws_client *b = client_for(env.url, B_KEY, B_SECRET, NULL);
	struct vp_aws_assume_role_input in = {.role_arn = "arn:aws:iam::" HUB ":role/peer",
					      .session_name = "proof"};
	struct vp_aws_assumed_role *r = NULL;
	struct vp_aws_params p;
	struct vp_aws_error aerr;
	struct vp_buf body;
	struct vp_auth *a = auth_for(env.url, 0);
	struct vp_identity id;
	struct vp_error err;
	char *proof, *bad;
	(void)state;

	vp_aws_params_init(&p, VP_AWS_IAM, "CreateRole");
	vp_aws_params_add(&p, "RoleName", "peer");
	vp_aws_params_add(&p, "AssumeRolePolicyDocument",
			  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
			  "\"Principal\":{\"AWS\":\"arn:aws:iam::" B ":root\"},"
			  "\"Action\":\"sts:AssumeRole\"}]}");
	vp_buf_init(&body, 1 << 20);
	if (vp_aws_client_call(hub, VP_AWS_IAM, "CreateRole", &p, &body, &aerr) != VP_OK)
		fail_msg("%s", aerr.error.message);
	vp_buf_cleanup(&body);
	vp_aws_params_cleanup(&p);
	client_now = (time_t)t0;
	if (vp_aws_sts_assume_role(b, &in, &r, &aerr) != VP_OK)
		fail_msg("%s", aerr.error.message);

	proof = proof_at((time_t)t0, r->credentials.access_key_id, r->credentials.secret_access_key,
			 r->credentials.session_token);
	if (vp_auth_verify(a, proof, &test_req, &id, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(id.account, HUB);
	assert_string_equal(id.arn, "arn:aws:sts::" HUB ":assumed-role/peer/proof");

	/* another token: STS does not know the pair */
	bad = proof_at((time_t)t0 + 1, r->credentials.access_key_id,
		       r->credentials.secret_access_key, "AQoDYXdzEJr...wrongtoken");
	expect(a, bad, VP_ERR_AUTH, "STS refused the proof: InvalidClientTokenId");
	free(bad);
	free(proof);
	vp_aws_assumed_role_free(r);
	vp_aws_client_free(hub);
	vp_aws_client_free(b);
	vp_auth_free(a);
}

static void test_sts_unavailable(void **state)
{
	struct vp_auth *a = auth_for(env.url, 0), *nowhere;
	char *proof = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
	struct vp_aws_client *c;
	struct vp_error err;
	(void)state;

	faults("{\"rules\": [{\"service\": \"sts\", \"fault\": \"error\", \"count\": 1}]}");
	expect(a, proof, VP_ERR_UNAVAILABLE, "STS is unavailable: InternalFailure");
	faults("{\"rules\": [{\"service\": \"sts\", \"fault\": \"throttle\", \"count\": 1}]}");
	expect(a, proof, VP_ERR_UNAVAILABLE, "STS is unavailable: Throttling");
	faults("{\"rules\": [{\"service\": \"sts\", \"fault\": \"error\", \"status\": 503, "
	       "\"code\": \"ServiceUnavailable\", \"count\": 1}]}");
	expect(a, proof, VP_ERR_UNAVAILABLE, "ServiceUnavailable");
	/* the faults are spent: the same proof now works (failures are not cached) */
	expect(a, proof, VP_OK, NULL);
	free(proof);

	/* an STS endpoint nobody listens on */
	nowhere = auth_for("http://127.0.0.1:1", 0);
	c = client_for("http://127.0.0.1:1", B_KEY, B_SECRET, NULL);
	client_now = (time_t)t0;
	assert_int_equal(vp_proof_make(c, SERVER_ID, TEST_REQUEST, &proof, &err), VP_OK);
	expect(nowhere, proof, VP_ERR_UNAVAILABLE, "STS could not be reached");
	free(proof);
	vp_aws_client_free(c);
	vp_auth_free(nowhere);
	vp_auth_free(a);
}

struct worker {
	struct vp_auth *auth;
	char *proofs[4];
	int ok;
};

static void *verify_all(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 4; i++) {
			struct vp_identity id;
			if (vp_auth_verify(w->auth, w->proofs[i], &test_req, &id, NULL) == VP_OK &&
			    strcmp(id.account, B) == 0)
				w->ok++;
		}
	return NULL;
}

static void test_threads(void **state)
{
	struct vp_auth *a = auth_for(env.url, 8);
	struct worker w[6];
	pthread_t t[6];
	(void)state;

	for (int i = 0; i < 6; i++) {
		w[i].auth = a;
		w[i].ok = 0;
		for (int j = 0; j < 4; j++)
			w[i].proofs[j] =
				proof_at((time_t)t0 + i * 4 + j - 12, B_KEY, B_SECRET, NULL);
	}
	for (int i = 0; i < 6; i++)
		assert_int_equal(pthread_create(&t[i], NULL, verify_all, &w[i]), 0);
	for (int i = 0; i < 6; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(w[i].ok, 12);
		for (int j = 0; j < 4; j++)
			free(w[i].proofs[j]);
	}
	/* 24 proofs, 8 cache entries: somewhere between 24 and 72 STS calls */
	assert_true(sts_calls() >= 24 && sts_calls() <= 72);
	vp_auth_free(a);
}

/* ------------------------------------------------------------------ admission control (issue 14)
 */

static struct vp_auth *auth_admitting(const struct vp_admission_config *adm, size_t cache_entries)
{
	struct vp_auth_config cfg = {
		.proof = {.server_id = SERVER_ID,
			  .partition = "aws",
			  .sts_endpoint = env.url,
			  .clock = broker_clock},
		.cache_entries = cache_entries,
		.sts_timeout_ms = 5000,
		.admission = *adm,
	};
	struct vp_auth *a = NULL;
	struct vp_error err;

	if (vp_auth_new(&cfg, &a, &err) != VP_OK)
		fail_msg("%s", err.message);
	return a;
}

/* A proof under a made-up access key id (as anyone can mint): STS refuses it, after a call. */
static char *random_key_proof(unsigned i)
{
	char key[21];

	snprintf(key, sizeof(key), "ASIA%08X%08X", (unsigned)rand(), i);
	return proof_at((time_t)t0, key, "randomSecret00000000000000000000000000000", NULL);
}

/* 100 proofs with random access keys from one source: at most the source's burst reach STS. */
static void test_admission_per_source(void **state)
{
	struct vp_admission_config adm = {
		.max_replays = 64,
		.source_rate = 1.0 / 60,
		.source_burst = 5,
		.key_rate = 100,
		.key_burst = 100,
	};
	struct vp_auth *a = auth_admitting(&adm, 0);
	int refused = 0;
	(void)state;

	for (unsigned i = 0; i < 100; i++) {
		char *proof = random_key_proof(i);
		struct vp_identity id;
		struct vp_error err;
		unsigned retry_after = 0;
		vp_code rc = vp_auth_verify_from(a, proof, &test_req, "198.51.100.7", &id,
						 &retry_after, &err);
		if (rc == VP_ERR_UNAVAILABLE) {
			assert_true(retry_after >= 1);
			assert_non_null(strstr(err.message, "198.51.100.7"));
			refused++;
		}
		free(proof);
	}
	/* 5 in the burst, one more if a minute passed (a token a minute) */
	assert_true(sts_calls() >= 5 && sts_calls() <= 6);
	assert_true(refused >= 94);
	/* another source still gets through */
	{
		char *proof = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
		struct vp_identity id;
		struct vp_error err;
		unsigned retry_after;
		assert_int_equal(vp_auth_verify_from(a, proof, &test_req, "198.51.100.8", &id,
						     &retry_after, &err),
				 VP_OK);
		free(proof);
	}
	vp_auth_free(a);
}

/* One access key from many sources: at most the key's burst reach STS. */
static void test_admission_per_key(void **state)
{
	struct vp_admission_config adm = {
		.max_replays = 64,
		.source_rate = 100,
		.source_burst = 100,
		.key_rate = 1.0 / 60,
		.key_burst = 3,
	};
	struct vp_auth *a = auth_admitting(&adm, 0);
	(void)state;

	for (unsigned i = 0; i < 20; i++) {
		char source[32];
		char *proof = proof_at((time_t)t0 - (time_t)i, B_KEY, B_SECRET, NULL);
		struct vp_identity id;
		struct vp_error err;
		unsigned retry_after;
		snprintf(source, sizeof(source), "203.0.113.%u", i + 1);
		vp_code rc =
			vp_auth_verify_from(a, proof, &test_req, source, &id, &retry_after, &err);
		assert_true(rc == VP_OK ||
			    (rc == VP_ERR_UNAVAILABLE && strstr(err.message, B_KEY)));
		free(proof);
	}
	assert_true(sts_calls() >= 3 && sts_calls() <= 4);
	vp_auth_free(a);
}

static bool only_b(void *ctx, const struct vp_identity *id)
{
	(void)ctx;
	return strcmp(id->account, B) == 0;
}

/* Proofs of a refused account (the hub's, here) do not push an allowed one out of the cache. */
static void test_refused_accounts_not_cached(void **state)
{
	struct vp_auth *a = auth_for(env.url, 4);
	char *legit = proof_at((time_t)t0, B_KEY, B_SECRET, NULL);
	(void)state;

	vp_auth_set_cacheable(a, only_b, NULL);
	expect(a, legit, VP_OK, NULL);
	assert_int_equal(sts_calls(), 1);
	for (int i = 1; i <= 20; i++) {
		char *flood = proof_at((time_t)t0 - i, HUB_KEY, HUB_SECRET, NULL);
		expect(a, flood, VP_OK, NULL); /* verified; the server refuses the account later */
		free(flood);
	}
	assert_int_equal(sts_calls(), 21);
	expect(a, legit, VP_OK, NULL); /* still cached: no STS call */
	assert_int_equal(sts_calls(), 21);
	free(legit);
	vp_auth_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good_proof_then_cached, reset),
		cmocka_unit_test_setup(test_cache_is_bounded_lru, reset),
		cmocka_unit_test_setup(test_sts_refuses, reset),
		cmocka_unit_test_setup(test_unsigned_header_changes_hit_the_cache, reset),
		cmocka_unit_test_setup(test_unbound_proof_accepted_and_counted, reset),
		cmocka_unit_test_setup(test_temporary_credentials, reset),
		cmocka_unit_test_setup(test_sts_unavailable, reset),
		cmocka_unit_test_setup(test_threads, reset),
		cmocka_unit_test_setup(test_admission_per_source, reset),
		cmocka_unit_test_setup(test_admission_per_key, reset),
		cmocka_unit_test_setup(test_refused_accounts_not_cached, reset),
	};
	int rc;

	if (vp_test_awsenv_setup("test_auth", &env) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_test_awsenv_teardown("test_auth", &env);
	return rc;
}
