/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The credentials chain: each source, their precedence, refresh before
 * expiry (with an injected clock), and threads. Loopback stand-ins (stub.c)
 * play IMDS, the container endpoint and STS.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/config.h"
#include "aws/chain.h"
#include "aws/container.h"
#include "aws/credentials.h"
#include "core/clock.h"
#include "stub.h"

#define T0      ((time_t)1893456000) /* 2030-01-01T00:00:00Z */
#define EXPIRES "2030-01-01T01:00:00Z"

static time_t now_value = T0;
static time_t test_clock(void *ctx)
{
	(void)ctx;
	return now_value;
}

static const char imds_creds[] =
	"{\"Code\":\"Success\",\"LastUpdated\":\"2029-12-31T23:55:00Z\",\"Type\":\"AWS-HMAC\","
	"\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"imds-secret\",\"Token\":\"imds-token\","
	"\"Expiration\":\"" EXPIRES "\"}";
static const char container_creds[] =
	"{\"AccessKeyId\":\"ASIACONTAINER\",\"SecretAccessKey\":\"c-secret\",\"Token\":\"c-token\","
	"\"Expiration\":\"" EXPIRES "\"}";
static const char assume_role_xml[] =
	"<AssumeRoleResponse><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/"
	"s"
	"</Arn><AssumedRoleId>AROA:s</AssumedRoleId></AssumedRoleUser><Credentials>"
	"<AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>"
	"<SessionToken>role-token</SessionToken><Expiration>" EXPIRES "</Expiration></Credentials>"
	"</AssumeRoleResult></AssumeRoleResponse>";
static const char web_identity_xml[] =
	"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>"
	"<SubjectFromWebIdentityToken>sub</SubjectFromWebIdentityToken><Credentials>"
	"<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>web-secret</SecretAccessKey>"
	"<SessionToken>web-token</SessionToken><Expiration>" EXPIRES "</Expiration></Credentials>"
	"</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";

static struct stub *stub;
static char dir[64];

static void clear_env(void)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
					   "AWS_SECRET_ACCESS_KEY",
					   "AWS_SESSION_TOKEN",
					   "AWS_SECURITY_TOKEN",
					   "AWS_CREDENTIAL_EXPIRATION",
					   "AWS_PROFILE",
					   "AWS_DEFAULT_PROFILE",
					   "AWS_WEB_IDENTITY_TOKEN_FILE",
					   "AWS_ROLE_ARN",
					   "AWS_ROLE_SESSION_NAME",
					   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
					   "AWS_CONTAINER_CREDENTIALS_FULL_URI",
					   "AWS_CONTAINER_AUTHORIZATION_TOKEN",
					   "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
					   "AWS_EC2_METADATA_DISABLED",
					   "AWS_EC2_METADATA_SERVICE_ENDPOINT",
					   "AWS_EC2_METADATA_V1_DISABLED",
					   "AWS_ENDPOINT_URL",
					   "AWS_ENDPOINT_URL_STS",
					   "AWS_REGION",
					   "AWS_DEFAULT_REGION",
					   NULL};
	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static void write_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char *path_of(const char *name)
{
	static char path[4][128];
	static int n;
	char *p = path[n++ % 4];
	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

static int setup(void **state)
{
	(void)state;
	clear_env();
	write_file("config", "");
	write_file("credentials", "");
	setenv("AWS_CONFIG_FILE", path_of("config"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials"), 1);
	stub_reset(stub);
	now_value = T0;
	return 0;
}

static struct vp_aws_credentials_provider *chain(const char *profile, vp_code expect)
{
	struct vp_aws_chain_options o = {.profile = profile,
					 .clock = test_clock,
					 .sts_endpoint_url = stub_url(stub),
					 .retry_base_delay = 0.001,
					 .container_attempts = 2,
					 .container_timeout_ms = 2000,
					 .imds_timeout_ms = 2000};
	struct vp_aws_credentials_provider *p = NULL;
	struct vp_error err;
	vp_code rc = vp_aws_credentials_provider_new_chain(&o, &p, &err);

	if (rc != expect)
		fail_msg("chain: %s (%d, wanted %d)", rc ? err.message : "ok", rc, expect);
	return p;
}

static void get(struct vp_aws_credentials_provider *p, const char *akid, const char *token)
{
	struct vp_aws_credentials c;
	struct vp_error err;

	vp_aws_credentials_init(&c);
	if (vp_aws_credentials_provider_get(p, &c, &err) != VP_OK)
		fail_msg("get (%s): %s", vp_aws_credentials_provider_source(p), err.message);
	assert_string_equal(c.access_key_id, akid);
	if (token)
		assert_string_equal(c.session_token, token);
	else
		assert_null(c.session_token);
	vp_aws_credentials_cleanup(&c);
}

static void test_environment(void **state)
{
	struct vp_aws_credentials_provider *p;
	(void)state;

	setenv("AWS_ACCESS_KEY_ID", "AKIAENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	setenv("AWS_SECURITY_TOKEN", "legacy-token", 1);
	write_file("credentials",
		   "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = s\n"
		   "[other]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = s\n");
	p = chain(NULL, VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "environment");
	get(p, "AKIAENV", "legacy-token");
	vp_aws_credentials_provider_free(p);
	setenv("AWS_SESSION_TOKEN", "token", 1);
	p = chain(NULL, VP_OK);
	get(p, "AKIAENV", "token");
	vp_aws_credentials_provider_free(p);
	/* AWS_PROFILE does not beat the environment; an explicit profile does */
	setenv("AWS_PROFILE", "other", 1);
	p = chain(NULL, VP_OK);
	get(p, "AKIAENV", "token");
	vp_aws_credentials_provider_free(p);
	p = chain("other", VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "shared-credentials-file");
	get(p, "AKIAOTHER", NULL);
	vp_aws_credentials_provider_free(p);
	/* an expired environment is refused */
	setenv("AWS_CREDENTIAL_EXPIRATION", "2029-12-31T00:00:00Z", 1);
	unsetenv("AWS_PROFILE");
	p = chain(NULL, VP_OK);
	{
		struct vp_aws_credentials c;
		struct vp_error err;
		vp_aws_credentials_init(&c);
		assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
		assert_non_null(strstr(err.message, "expired"));
		assert_null(strstr(err.message, "env-secret"));
	}
	vp_aws_credentials_provider_free(p);
}

static void test_files_and_profiles(void **state)
{
	struct vp_aws_credentials_provider *p;
	(void)state;

	write_file("config",
		   "[default]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n"
		   "[profile only-config]\naws_access_key_id = AKIAONLYCONFIG\n"
		   "aws_secret_access_key = s\naws_session_token = t\n"
		   "[profile half]\naws_access_key_id = AKIAHALF\n");
	write_file("credentials",
		   "[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n");
	p = chain(NULL, VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "shared-credentials-file");
	get(p, "AKIACREDS", NULL);
	vp_aws_credentials_provider_free(p);
	p = chain("only-config", VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "config-file");
	get(p, "AKIAONLYCONFIG", "t");
	vp_aws_credentials_provider_free(p);
	chain("half", VP_ERR_AUTH);
	chain("missing", VP_ERR_NOT_FOUND);
	setenv("AWS_PROFILE", "missing", 1);
	chain(NULL, VP_ERR_NOT_FOUND);
	unsetenv("AWS_PROFILE");
	write_file("credentials", "");
	write_file("config", "");
	chain(NULL, VP_ERR_AUTH); /* nothing at all (IMDS disabled) */
}

static void test_container(void **state)
{
	struct vp_aws_credentials_provider *p;
	char url[128];
	(void)state;

	stub_on(stub, "GET", "/v2/credentials/abc", -1, 200, container_creds);
	snprintf(url, sizeof(url), "%s/v2/credentials/abc", stub_url(stub));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "literal-token", 1);
	write_file("token", "file-token-1\n");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path_of("token"), 1);
	p = chain(NULL, VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "container");
	get(p, "ASIACONTAINER", "c-token");
	assert_string_equal(stub_request_at(stub, 0).authorization, "file-token-1");
	/* the token file is read again on refresh */
	write_file("token", "file-token-2");
	now_value = T0 + 3600 - 15 * 60; /* advisory window */
	get(p, "ASIACONTAINER", "c-token");
	assert_int_equal(stub_request_count(stub), 2);
	assert_string_equal(stub_request_at(stub, 1).authorization, "file-token-2");
	vp_aws_credentials_provider_free(p);

	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	now_value = T0;
	p = chain(NULL, VP_OK);
	get(p, "ASIACONTAINER", "c-token");
	assert_string_equal(stub_request_at(stub, 2).authorization, "literal-token");
	vp_aws_credentials_provider_free(p);

	/* http only to loopback and the ECS/EKS hosts */
	assert_true(vp_aws_container_uri_allowed("http://127.0.0.1:9/x"));
	assert_true(vp_aws_container_uri_allowed("http://169.254.170.23/v1/credentials"));
	assert_true(vp_aws_container_uri_allowed("http://[fd00:ec2::23]/v1"));
	assert_true(vp_aws_container_uri_allowed("https://anything.example/"));
	assert_false(vp_aws_container_uri_allowed("http://example.com/"));
	assert_false(vp_aws_container_uri_allowed("http://10.0.0.1/"));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://example.com/creds", 1);
	chain(NULL, VP_ERR_AUTH);
	/* a failing endpoint is an error after the attempts */
	stub_reset(stub);
	stub_on(stub, "GET", "*", -1, 500, "oops");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	p = chain(NULL, VP_OK);
	{
		struct vp_aws_credentials c;
		struct vp_error err;
		vp_aws_credentials_init(&c);
		assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
		assert_non_null(strstr(err.message, "HTTP 500"));
		assert_null(strstr(err.message, "literal-token"));
	}
	assert_int_equal(stub_request_count(stub), 2); /* container_attempts = 2 */
	vp_aws_credentials_provider_free(p);
}

static void imds_rules(int token_status)
{
	stub_on(stub, "PUT", "/latest/api/token", -1, token_status,
		token_status == 200 ? "imds-session" : "");
	stub_on(stub, "GET", "/latest/meta-data/iam/security-credentials/", -1, 200, "role1\n");
	stub_on(stub, "GET", "/latest/meta-data/iam/security-credentials/role1", -1, 200,
		imds_creds);
}

static void test_imds_v2(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct stub_request r;
	(void)state;

	imds_rules(200);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(stub), 1);
	p = chain(NULL, VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "imds");
	get(p, "ASIAIMDS", "imds-token");
	assert_int_equal(stub_request_count(stub), 3);
	r = stub_request_at(stub, 0);
	assert_string_equal(r.method, "PUT");
	assert_string_equal(r.imds_ttl, "21600");
	r = stub_request_at(stub, 2);
	assert_string_equal(r.path, "/latest/meta-data/iam/security-credentials/role1");
	assert_string_equal(r.imds_token, "imds-session");
	vp_aws_credentials_provider_free(p);

	/* the token call refused with 403/404/405: IMDSv1, unless v1 is disabled */
	stub_reset(stub);
	imds_rules(404);
	p = chain(NULL, VP_OK);
	get(p, "ASIAIMDS", "imds-token");
	assert_string_equal(stub_request_at(stub, 1).imds_token, "");
	vp_aws_credentials_provider_free(p);
	setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
	p = chain(NULL, VP_OK);
	{
		struct vp_aws_credentials c;
		struct vp_error err;
		vp_aws_credentials_init(&c);
		assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
		assert_non_null(strstr(err.message, "HTTP 404"));
	}
	vp_aws_credentials_provider_free(p);
}

/* Issue 22: a token request with no answer (hop limit 1 in a container) falls back to IMDSv1. */
static void test_imds_token_unanswered(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct vp_aws_credentials c;
	struct vp_error err;
	(void)state;

	imds_rules(0);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(stub), 1);
	p = chain(NULL, VP_OK);
	get(p, "ASIAIMDS", "imds-token");
	assert_string_equal(stub_request_at(stub, 0).method, "PUT");
	assert_string_equal(stub_request_at(stub, 1).imds_token, "");
	vp_aws_credentials_provider_free(p);
	/* unless IMDSv1 is disabled: then the missing token is the error */
	setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
	p = chain(NULL, VP_OK);
	vp_aws_credentials_init(&c);
	assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
	assert_non_null(strstr(err.message, "IMDSv1 is disabled"));
	vp_aws_credentials_provider_free(p);
}

static void test_refresh_before_expiry(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct vp_aws_credentials c;
	struct vp_error err;
	(void)state;

	imds_rules(200);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(stub), 1);
	p = chain(NULL, VP_OK);
	get(p, "ASIAIMDS", "imds-token");
	now_value = T0 + 3600 - 15 * 60 - 1; /* just before the advisory window: cached */
	get(p, "ASIAIMDS", "imds-token");
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 1);
	now_value = T0 + 3600 - 15 * 60; /* advisory: refreshed */
	get(p, "ASIAIMDS", "imds-token");
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 2);

	/* IMDS now fails: in the advisory window the cached credentials still serve */
	stub_reset(stub);
	stub_on(stub, "*", "*", -1, 500, "down");
	now_value = T0 + 3600 - 12 * 60;
	get(p, "ASIAIMDS", "imds-token");
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 3);
	/* within the mandatory window they do not */
	now_value = T0 + 3600 - 10 * 60;
	vp_aws_credentials_init(&c);
	assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
	vp_aws_credentials_provider_free(p);
}

struct thread_arg {
	struct vp_aws_credentials_provider *p;
	int failures;
};

static void *hammer(void *arg)
{
	struct thread_arg *a = arg;
	for (int i = 0; i < 50; i++) {
		struct vp_aws_credentials c;
		vp_aws_credentials_init(&c);
		if (vp_aws_credentials_provider_get(a->p, &c, NULL) != VP_OK ||
		    strcmp(c.access_key_id, "ASIAIMDS") != 0)
			a->failures++;
		vp_aws_credentials_cleanup(&c);
	}
	return NULL;
}

static void test_threads_share_one_fetch(void **state)
{
	pthread_t t[8];
	struct thread_arg a[8];
	struct vp_aws_credentials_provider *p;
	(void)state;

	imds_rules(200);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(stub), 1);
	p = chain(NULL, VP_OK);
	for (int i = 0; i < 8; i++) {
		a[i] = (struct thread_arg){p, 0};
		pthread_create(&t[i], NULL, hammer, &a[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(a[i].failures, 0);
	}
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 1);
	vp_aws_credentials_provider_free(p);
}

static void test_web_identity(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct stub_request r;
	(void)state;

	stub_on(stub, "POST", "/", -1, 200, web_identity_xml);
	write_file("oidc", "eyJ.web.token\n");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path_of("oidc"), 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::111111111111:role/web", 1);
	setenv("AWS_ROLE_SESSION_NAME", "sess", 1);
	write_file("credentials",
		   "[default]\naws_access_key_id = AKIACREDS\naws_secret_access_key = s\n");
	p = chain(NULL, VP_OK); /* web identity comes before the credentials file */
	assert_string_equal(vp_aws_credentials_provider_source(p), "web-identity");
	get(p, "ASIAWEB", "web-token");
	r = stub_request_at(stub, 0);
	assert_string_equal(r.authorization, ""); /* unsigned */
	assert_non_null(strstr(r.body, "Action=AssumeRoleWithWebIdentity"));
	assert_non_null(strstr(r.body, "RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fweb"));
	assert_non_null(strstr(r.body, "RoleSessionName=sess"));
	assert_non_null(strstr(r.body, "WebIdentityToken=eyJ.web.token&") ||
			strstr(r.body, "WebIdentityToken=eyJ.web.token"));
	vp_aws_credentials_provider_free(p);
}

static void test_assume_role_profile(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct stub_request r;
	(void)state;

	stub_on(stub, "POST", "/", -1, 200, assume_role_xml);
	write_file(
		"config",
		"[profile peer]\nrole_arn = arn:aws:iam::111111111111:role/peer\n"
		"source_profile = base\nrole_session_name = broker\nexternal_id = ext-1\n"
		"duration_seconds = 900\n"
		"[profile chained]\nrole_arn = arn:aws:iam::1:role/second\nsource_profile = peer\n"
		"[profile envsrc]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = "
		"Environment\n"
		"[profile loop-a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = loop-b\n"
		"[profile loop-b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = loop-a\n"
		"[profile bad-source]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = "
		"Moon\n");
	write_file("credentials",
		   "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n");
	setenv("AWS_ACCESS_KEY_ID", "AKIAENV",
	       1); /* explicit profile: the environment is skipped */
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	p = chain("peer", VP_OK);
	assert_string_equal(vp_aws_credentials_provider_source(p), "assume-role");
	get(p, "ASIAROLE", "role-token");
	r = stub_request_at(stub, 0);
	assert_non_null(strstr(r.authorization, "Credential=AKIABASE/"));
	assert_non_null(strstr(r.body, "Action=AssumeRole&"));
	assert_non_null(strstr(r.body, "RoleSessionName=broker"));
	assert_non_null(strstr(r.body, "ExternalId=ext-1"));
	assert_non_null(strstr(r.body, "DurationSeconds=900"));
	vp_aws_credentials_provider_free(p);

	/* a role whose source is a role: the second call is signed with the first's keys */
	stub_reset(stub);
	stub_on(stub, "POST", "/", -1, 200, assume_role_xml);
	p = chain("chained", VP_OK);
	get(p, "ASIAROLE", "role-token");
	assert_int_equal(stub_request_count(stub), 2);
	assert_non_null(strstr(stub_request_at(stub, 0).authorization, "Credential=AKIABASE/"));
	assert_non_null(strstr(stub_request_at(stub, 1).authorization, "Credential=ASIAROLE/"));
	vp_aws_credentials_provider_free(p);

	stub_reset(stub);
	stub_on(stub, "POST", "/", -1, 200, assume_role_xml);
	p = chain("envsrc", VP_OK);
	get(p, "ASIAROLE", "role-token");
	assert_non_null(strstr(stub_request_at(stub, 0).authorization, "Credential=AKIAENV/"));
	vp_aws_credentials_provider_free(p);

	chain("loop-a", VP_ERR_INVALID);
	chain("bad-source", VP_ERR_INVALID);

	/* STS refuses: the error names the role and what STS said */
	stub_reset(stub);
	stub_on(stub, "POST", "/", -1, 403,
		"<ErrorResponse><Error><Code>AccessDenied</Code><Message>not "
		"allowed</Message></Error>"
		"</ErrorResponse>");
	p = chain("peer", VP_OK);
	{
		struct vp_aws_credentials c;
		struct vp_error err;
		vp_aws_credentials_init(&c);
		assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
		assert_non_null(strstr(err.message, "arn:aws:iam::111111111111:role/peer"));
		assert_non_null(strstr(err.message, "AccessDenied"));
		assert_null(strstr(err.message, "base-secret"));
	}
	vp_aws_credentials_provider_free(p);
}

static void test_precedence_container_before_imds(void **state)
{
	struct vp_aws_credentials_provider *p;
	char url[128];
	(void)state;

	imds_rules(200);
	stub_on(stub, "GET", "/creds", -1, 200, container_creds);
	snprintf(url, sizeof(url), "%s/creds", stub_url(stub));
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", stub_url(stub), 1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	p = chain(NULL, VP_OK);
	get(p, "ASIACONTAINER", "c-token");
	vp_aws_credentials_provider_free(p);
	/* the config file beats the container */
	write_file("config",
		   "[default]\naws_access_key_id = AKIACONFIG\naws_secret_access_key = s\n");
	p = chain(NULL, VP_OK);
	get(p, "AKIACONFIG", NULL);
	vp_aws_credentials_provider_free(p);
}

static void test_iso8601(void **state)
{
	int64_t t;
	(void)state;
	assert_int_equal(vp_clock_parse_iso8601("2030-01-01T01:00:00Z", &t, NULL), VP_OK);
	assert_int_equal(t, T0 + 3600);
	assert_int_equal(vp_clock_parse_iso8601("2030-01-01T01:00:00.123Z", &t, NULL), VP_OK);
	assert_int_equal(vp_clock_parse_iso8601("2030-01-01T01:00:00+00:00", &t, NULL), VP_OK);
	assert_int_equal(t, T0 + 3600);
	assert_int_equal(vp_clock_parse_iso8601("2030-01-01T01:00:00+02:00", &t, NULL),
			 VP_ERR_INVALID);
	assert_int_equal(vp_clock_parse_iso8601("yesterday", &t, NULL), VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_environment, setup),
		cmocka_unit_test_setup(test_files_and_profiles, setup),
		cmocka_unit_test_setup(test_container, setup),
		cmocka_unit_test_setup(test_imds_v2, setup),
		cmocka_unit_test_setup(test_imds_token_unanswered, setup),
		cmocka_unit_test_setup(test_refresh_before_expiry, setup),
		cmocka_unit_test_setup(test_threads_share_one_fetch, setup),
		cmocka_unit_test_setup(test_web_identity, setup),
		cmocka_unit_test_setup(test_assume_role_profile, setup),
		cmocka_unit_test_setup(test_precedence_container_before_imds, setup),
		cmocka_unit_test(test_iso8601),
	};
	int rc;

	snprintf(dir, sizeof(dir), "/tmp/vp-aws-creds-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	if (vp_aws_global_init(NULL) != VP_OK)
		return 1;
	stub = stub_start();
	if (!stub)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	stub_stop(stub);
	vp_aws_global_cleanup();
	for (const char *const *f =
		     (const char *const[]){"config", "credentials", "token", "oidc", NULL};
	     *f; f++)
		unlink(path_of(*f));
	rmdir(dir);
	return rc;
}
