/* SPDX-License-Identifier: Apache-2.0 */
/* The shared config and credentials files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "aws/config.h"

static struct vp_aws_config *parse2(const char *config, const char *credentials)
{
	struct vp_aws_config *cfg = NULL;
	struct vp_error err;

	assert_int_equal(vp_aws_config_new(&cfg, &err), VP_OK);
	if (vp_aws_config_parse(cfg, VP_AWS_CONFIG_FILE, "config", config, strlen(config), &err) !=
	    VP_OK)
		fail_msg("%s", err.message);
	if (vp_aws_config_parse(cfg, VP_AWS_CREDENTIALS_FILE, "credentials", credentials,
				strlen(credentials), &err) != VP_OK)
		fail_msg("%s", err.message);
	return cfg;
}

static void test_profiles_and_sections(void **state)
{
	struct vp_aws_config *cfg = parse2(
		"# comment\n; another\n[default]\nregion = eu-west-1\r\n"
		"[profile dev]\nrole_arn=arn:aws:iam::1:role/r\n  source_profile  =  base  \n"
		"services = mine\n[services mine]\nec2 =\n  endpoint_url = http://e:1\n"
		"  retry = 2\nsts =\n  endpoint_url = http://s:2\n[sso-session x]\nsso_region = y\n"
		"[notaprofile]\nregion = ignored\n",
		"[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n[base]\n"
		"aws_access_key_id=B\naws_secret_access_key=BS\n[dev]\nregion = "
		"from-credentials\n");
	(void)state;

	assert_string_equal(vp_aws_config_value(cfg, "default", "region"), "eu-west-1");
	assert_string_equal(vp_aws_config_file_value(cfg, VP_AWS_CREDENTIALS_FILE, "default",
						     "aws_access_key_id"),
			    "AKID");
	assert_null(
		vp_aws_config_file_value(cfg, VP_AWS_CONFIG_FILE, "default", "aws_access_key_id"));
	assert_string_equal(vp_aws_config_value(cfg, "dev", "source_profile"), "base");
	/* the credentials file comes first */
	assert_string_equal(vp_aws_config_value(cfg, "dev", "region"), "from-credentials");
	assert_string_equal(vp_aws_config_service_value(cfg, "dev", "ec2", "endpoint_url"),
			    "http://e:1");
	assert_string_equal(vp_aws_config_service_value(cfg, "dev", "sts", "endpoint_url"),
			    "http://s:2");
	assert_null(vp_aws_config_service_value(cfg, "default", "ec2", "endpoint_url"));
	assert_null(vp_aws_config_value(cfg, "notaprofile", "region"));
	assert_true(vp_aws_config_has_profile(cfg, "base"));
	assert_false(vp_aws_config_has_profile(cfg, "nope"));
	vp_aws_config_free(cfg);
}

static void test_refusals(void **state)
{
	static const char *const bad[] = {"region = x\n", "[default\n", "[default]\njunk line\n",
					  "[default]\n = v\n", "[default]\na\0b = c\n"};
	struct vp_aws_config *cfg = NULL;
	struct vp_error err;
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = i == 4 ? 18 : strlen(bad[i]);
		assert_int_equal(vp_aws_config_new(&cfg, &err), VP_OK);
		assert_int_equal(
			vp_aws_config_parse(cfg, VP_AWS_CONFIG_FILE, "f", bad[i], len, &err),
			VP_ERR_INVALID);
		assert_non_null(strstr(err.message, "f:"));
		vp_aws_config_free(cfg);
	}
	/* a missing file is an empty one */
	assert_int_equal(vp_aws_config_load("/nonexistent/c", "/nonexistent/k", &cfg, &err), VP_OK);
	assert_null(vp_aws_config_value(cfg, "default", "region"));
	vp_aws_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profiles_and_sections),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
