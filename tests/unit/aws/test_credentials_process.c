/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A profile's credential_process (issue 22): the command split as the AWS CLI documents it
 * and run without a shell, its JSON, refresh before its Expiration; and an IAM Identity
 * Center profile refused by name instead of falling through to instance metadata.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/chain.h"
#include "aws/credentials.h"
#include "aws/credentials_process.h"

#define T0 ((time_t)1893456000) /* 2030-01-01T00:00:00Z */

static time_t now_value = T0;
static char dir[64];

static time_t test_clock(void *ctx)
{
	(void)ctx;
	return now_value;
}

static const char *path_of(const char *name)
{
	static char path[4][160];
	static int n;
	char *p = path[n++ % 4];
	snprintf(p, 160, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	FILE *f = fopen(path_of(name), "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path_of(name), mode), 0);
}

/* A config file whose [profile dev] has these lines. */
static void profile(const char *lines)
{
	char text[1024];
	snprintf(text, sizeof(text), "[profile dev]\n%s\n", lines);
	write_file("config", text, 0600);
}

static struct vp_aws_credentials_provider *chain(vp_code expect, struct vp_error *err)
{
	struct vp_aws_chain_options o = {.profile = "dev", .clock = test_clock};
	struct vp_aws_credentials_provider *p = NULL;
	vp_code rc = vp_aws_credentials_provider_new_chain(&o, &p, err);

	if (rc != expect)
		fail_msg("chain: %s (%d, wanted %d)", rc ? err->message : "ok", rc, expect);
	return p;
}

static int setup(void **state)
{
	(void)state;
	now_value = T0;
	write_file("credentials", "", 0600);
	setenv("AWS_CONFIG_FILE", path_of("config"), 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("credentials"), 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_PROFILE");
	return 0;
}

static void test_split(void **state)
{
	static const struct {
		const char *line;
		const char *argv[5];
	} good[] = {
		{"/opt/bin/awscreds-custom --username helen",
		 {"/opt/bin/awscreds-custom", "--username", "helen"}},
		{"\"/Users/Dave/path to/credentials.sh\" parameterWithoutSpaces \"parameter with "
		 "spaces\"",
		 {"/Users/Dave/path to/credentials.sh", "parameterWithoutSpaces",
		  "parameter with spaces"}},
		{"  tool\t--x  ", {"tool", "--x"}},
		{"tool --name=\"a b\"", {"tool", "--name=a b"}},
		{"tool $HOME ~", {"tool", "$HOME", "~"}}, /* no shell: taken literally */
	};
	static const char *const bad[] = {"", "   ", "\"unterminated x", "\"\" arg"};
	struct vp_error err;
	(void)state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char **argv = NULL;
		size_t n = 0;
		if (vp_aws_process_split(good[i].line, &argv, &err) != VP_OK)
			fail_msg("%s: %s", good[i].line, err.message);
		for (; good[i].argv[n]; n++)
			assert_string_equal(argv[n], good[i].argv[n]);
		assert_null(argv[n]);
		vp_aws_process_argv_free(argv);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **argv = NULL;
		assert_int_equal(vp_aws_process_split(bad[i], &argv, &err), VP_ERR_INVALID);
		assert_null(argv);
	}
}

static void test_parse(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",               /* no Version */
		"{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}", /* version 2 */
		"{\"Version\":\"1\",\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
		"{\"Version\":1,\"SecretAccessKey\":\"S\"}",
		"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"\"}",
		"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"SessionToken\":"
		"7}",
		"{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
		"\"soon\"}",
		"{\"Version\":1,\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":"
		"\"S\"}",
	};
	const char good[] = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": "
			    "\"proc-secret\", \"SessionToken\": \"proc-token\", \"Expiration\": "
			    "\"2030-01-01T01:00:00Z\"}";
	struct vp_aws_credentials c;
	struct vp_error err;
	(void)state;

	vp_aws_credentials_init(&c);
	assert_int_equal(vp_aws_process_parse(good, strlen(good), &c, &err), VP_OK);
	assert_string_equal(c.access_key_id, "ASIAPROC");
	assert_string_equal(c.session_token, "proc-token");
	assert_int_equal(c.expiration, T0 + 3600);
	vp_aws_credentials_cleanup(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vp_aws_process_parse(bad[i], strlen(bad[i]), &c, &err) != VP_ERR_AUTH)
			fail_msg("accepted: %s", bad[i]);
		assert_null(strstr(err.message, "proc-secret"));
		assert_null(c.access_key_id);
	}
}

/*
 * The profile's process runs (its path has a space, an argument has spaces), its
 * credentials are used, and fetched again in the advisory window before Expiration.
 */
static void test_process_profile(void **state)
{
	struct vp_aws_credentials_provider *p;
	struct vp_aws_credentials c;
	struct vp_error err;
	char line[512];
	(void)state;

	/* It prints its second argument as the token, and counts its runs in a file. */
	snprintf(line, sizeof(line),
		 "#!/bin/sh\necho run >> '%s'\nprintf '{\"Version\":1,\"AccessKeyId\":\"ASIAPROC\","
		 "\"SecretAccessKey\":\"proc-secret\",\"SessionToken\":\"%%s\","
		 "\"Expiration\":\"2030-01-01T01:00:00Z\"}' \"$2\"\n",
		 path_of("runs"));
	write_file("my tool.sh", line, 0700);
	snprintf(line, sizeof(line), "credential_process = \"%s\" --token \"tok with space\"",
		 path_of("my tool.sh"));
	profile(line);
	p = chain(VP_OK, &err);
	assert_string_equal(vp_aws_credentials_provider_source(p), "process");
	vp_aws_credentials_init(&c);
	if (vp_aws_credentials_provider_get(p, &c, &err) != VP_OK)
		fail_msg("%s", err.message);
	assert_string_equal(c.access_key_id, "ASIAPROC");
	assert_string_equal(c.session_token, "tok with space");
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 1);
	now_value = T0 + 3600 - 15 * 60 - 1; /* cached */
	assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_OK);
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 1);
	now_value = T0 + 3600 - 15 * 60; /* advisory window: run again */
	assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_OK);
	assert_int_equal(vp_aws_credentials_provider_fetches(p), 2);
	vp_aws_credentials_cleanup(&c);
	vp_aws_credentials_provider_free(p);
}

static void expect_get_fails(const char *lines, const char *reason)
{
	struct vp_aws_credentials_provider *p;
	struct vp_aws_credentials c;
	struct vp_error err;

	profile(lines);
	p = chain(VP_OK, &err);
	vp_aws_credentials_init(&c);
	assert_int_equal(vp_aws_credentials_provider_get(p, &c, &err), VP_ERR_AUTH);
	if (!strstr(err.message, reason) || !strstr(err.message, "profile 'dev'"))
		fail_msg("'%s' does not say '%s'", err.message, reason);
	assert_null(strstr(err.message, "proc-secret"));
	vp_aws_credentials_provider_free(p);
}

static void test_process_failures(void **state)
{
	char line[512];
	(void)state;

	write_file("fails.sh",
		   "#!/bin/sh\necho '{\"Version\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		   "\"proc-secret\"}'\nexit 3\n",
		   0700);
	snprintf(line, sizeof(line), "credential_process = %s", path_of("fails.sh"));
	expect_get_fails(line, "exited with status 3");
	write_file("v2.sh",
		   "#!/bin/sh\necho '{\"Version\":2,\"AccessKeyId\":\"A\",\"SecretAccessKey\":"
		   "\"proc-secret\"}'\n",
		   0700);
	snprintf(line, sizeof(line), "credential_process = %s", path_of("v2.sh"));
	expect_get_fails(line, "\"Version\": 1");
	snprintf(line, sizeof(line), "credential_process = %s", path_of("missing"));
	expect_get_fails(line, "cannot run");
	/* a shell would run both commands; without one, ';' is only an argument */
	snprintf(line, sizeof(line), "credential_process = /bin/echo x ; touch %s",
		 path_of("pwned"));
	expect_get_fails(line, "no JSON object");
	assert_int_equal(access(path_of("pwned"), F_OK), -1);
}

/* IAM Identity Center: refused by name, never instance metadata in its place. */
static void test_sso_profile_refused(void **state)
{
	static const char *const profiles[] = {
		"sso_session = my-sso\nsso_account_id = 111111111111\nsso_role_name = Admin",
		"sso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n"
		"sso_account_id = 111111111111\nsso_role_name = Admin",
	};
	struct vp_error err;
	(void)state;

	/* IMDS would be next in the chain: the refusal must come first */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9", 1);
	for (size_t i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		profile(profiles[i]);
		assert_null(chain(VP_ERR_AUTH, &err));
		assert_non_null(strstr(err.message, "profile 'dev' uses IAM Identity Center"));
		assert_non_null(strstr(err.message, "credential_process"));
	}
	unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

static int group_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vp-credproc-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state)
{
	static const char *const files[] = {"config",   "credentials", "my tool.sh", "runs",
					    "fails.sh", "v2.sh",       NULL};
	(void)state;
	for (size_t i = 0; files[i]; i++)
		unlink(path_of(files[i]));
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_parse, setup),
		cmocka_unit_test_setup(test_process_profile, setup),
		cmocka_unit_test_setup(test_process_failures, setup),
		cmocka_unit_test_setup(test_sso_profile_refused, setup),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
