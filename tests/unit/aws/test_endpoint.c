/* SPDX-License-Identifier: Apache-2.0 */
/* Partitions, default endpoints, and the client's endpoint and region resolution. */
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
#include "aws/endpoint.h"
#include "static_client.h"

static void test_partitions(void **state)
{
	(void)state;
	assert_string_equal(vp_aws_partition_for_region("us-east-1")->name, "aws");
	assert_string_equal(vp_aws_partition_for_region("eu-central-2")->name, "aws");
	assert_string_equal(vp_aws_partition_for_region("il-central-1")->name, "aws");
	assert_string_equal(vp_aws_partition_for_region("cn-north-1")->name, "aws-cn");
	assert_string_equal(vp_aws_partition_for_region("cn-northwest-1")->dns_suffix,
			    "amazonaws.com.cn");
	assert_string_equal(vp_aws_partition_for_region("us-gov-west-1")->name, "aws-us-gov");
	assert_string_equal(vp_aws_partition_for_region("us-gov-east-1")->dns_suffix,
			    "amazonaws.com");
	assert_string_equal(vp_aws_partition_for_region("mars-1")->name, "aws");
	assert_string_equal(vp_aws_partition_for_region(NULL)->name, "aws");
	assert_true(vp_aws_region_valid("ap-southeast-4"));
	assert_false(vp_aws_region_valid("US-EAST-1"));
	assert_false(vp_aws_region_valid("us east"));
	assert_false(vp_aws_region_valid(""));
}

/* Issue 22: a region of an unknown partition is refused, not taken for "aws". */
static void test_unknown_partitions_refused(void **state)
{
	static const char *const refused[] = {"us-iso-east-1", "us-isob-east-1", "eusc-de-east-1",
					      "mars-north-1", "us-isof-south-1"};
	static const char *const known[] = {"us-east-1",        "cn-north-1", "us-gov-west-1",
					    "mx-central-1",     "aws-global", "aws-cn-global",
					    "aws-us-gov-global"};
	struct vp_error err;
	(void)state;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct vp_aws_client_config cfg = {.region = refused[i],
						   .anonymous = true,
						   .config_file = "/nonexistent",
						   .credentials_file = "/nonexistent"};
		struct vp_aws_client *c = NULL;

		assert_int_equal(vp_aws_region_check(refused[i], &err), VP_ERR_INVALID);
		assert_non_null(strstr(err.message, refused[i]));
		/* even with an explicit endpoint: the ARN partition would still be a guess */
		cfg.endpoint_url = "https://ec2.example.internal";
		assert_int_equal(vp_aws_client_new(&cfg, &c, &err), VP_ERR_INVALID);
		assert_null(c);
		assert_non_null(strstr(err.message, "in no partition vpcpeer knows"));
	}
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		assert_int_equal(vp_aws_region_check(known[i], NULL), VP_OK);
	assert_int_equal(vp_aws_region_check(NULL, NULL), VP_OK);
}

static void expect(enum vp_aws_service svc, const char *region, bool legacy, const char *url,
		   const char *signing_region)
{
	struct vp_aws_endpoint e;
	struct vp_error err;

	if (vp_aws_endpoint_default(svc, region, legacy, &e, &err) != VP_OK)
		fail_msg("%s %s: %s", vp_aws_service_name(svc), region, err.message);
	assert_string_equal(e.url, url);
	assert_string_equal(e.signing_region, signing_region);
	assert_string_equal(e.service, vp_aws_service_name(svc));
}

static void test_default_endpoints(void **state)
{
	struct vp_aws_endpoint e;
	struct vp_error err;
	(void)state;

	expect(VP_AWS_EC2, "eu-west-1", false, "https://ec2.eu-west-1.amazonaws.com", "eu-west-1");
	expect(VP_AWS_EC2, "cn-north-1", false, "https://ec2.cn-north-1.amazonaws.com.cn",
	       "cn-north-1");
	expect(VP_AWS_EC2, "us-gov-west-1", false, "https://ec2.us-gov-west-1.amazonaws.com",
	       "us-gov-west-1");
	expect(VP_AWS_STS, "eu-west-1", false, "https://sts.eu-west-1.amazonaws.com", "eu-west-1");
	expect(VP_AWS_STS, "eu-west-1", true, "https://sts.amazonaws.com", "us-east-1");
	expect(VP_AWS_STS, "ap-east-1", true, "https://sts.ap-east-1.amazonaws.com", "ap-east-1");
	expect(VP_AWS_STS, NULL, false, "https://sts.amazonaws.com", "us-east-1");
	expect(VP_AWS_STS, "aws-global", false, "https://sts.amazonaws.com", "us-east-1");
	expect(VP_AWS_STS, "cn-north-1", true, "https://sts.cn-north-1.amazonaws.com.cn",
	       "cn-north-1");
	expect(VP_AWS_IAM, "eu-west-1", false, "https://iam.amazonaws.com", "us-east-1");
	expect(VP_AWS_IAM, "cn-northwest-1", false, "https://iam.cn-north-1.amazonaws.com.cn",
	       "cn-north-1");
	expect(VP_AWS_IAM, "us-gov-east-1", false, "https://iam.us-gov.amazonaws.com",
	       "us-gov-west-1");
	/* Route 53 is global per partition (docs.aws.amazon.com/general/latest/gr/r53.html) */
	expect(VP_AWS_ROUTE53, "eu-west-1", false, "https://route53.amazonaws.com", "us-east-1");
	expect(VP_AWS_ROUTE53, NULL, false, "https://route53.amazonaws.com", "us-east-1");
	expect(VP_AWS_ROUTE53, "cn-north-1", false, "https://route53.amazonaws.com.cn",
	       "cn-northwest-1");
	expect(VP_AWS_ROUTE53, "us-gov-east-1", false, "https://route53.us-gov.amazonaws.com",
	       "us-gov-west-1");
	assert_string_equal(vp_aws_service_env_id(VP_AWS_ROUTE53), "ROUTE_53");
	assert_string_equal(vp_aws_service_config_key(VP_AWS_ROUTE53), "route_53");
	assert_string_equal(vp_aws_service_config_key(VP_AWS_EC2), "ec2");
	assert_int_equal(
		vp_aws_endpoint_custom(VP_AWS_ROUTE53, "http://127.0.0.1:1", "eu-west-1", &e, &err),
		VP_OK);
	assert_string_equal(e.signing_region, "us-east-1");
	assert_string_equal(e.service, "route53");
	assert_int_equal(vp_aws_endpoint_default(VP_AWS_EC2, NULL, false, &e, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "region"));
	/* RAM is regional, signed as "ram"
	 * (https://docs.aws.amazon.com/general/latest/gr/ram.html). */
	expect(VP_AWS_RAM, "eu-west-1", false, "https://ram.eu-west-1.amazonaws.com", "eu-west-1");
	expect(VP_AWS_RAM, "cn-north-1", false, "https://ram.cn-north-1.amazonaws.com.cn",
	       "cn-north-1");
	assert_string_equal(vp_aws_service_name(VP_AWS_RAM), "ram");
	assert_string_equal(vp_aws_service_env_id(VP_AWS_RAM), "RAM");
	assert_int_equal(vp_aws_endpoint_default(VP_AWS_RAM, NULL, false, &e, &err),
			 VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "RAM needs a region"));
	assert_int_equal(vp_aws_endpoint_custom(VP_AWS_EC2, "ftp://x", "us-east-1", &e, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_aws_endpoint_custom(VP_AWS_EC2, "http://127.0.0.1:1/", NULL, &e, &err),
			 VP_OK);
	assert_string_equal(e.url, "http://127.0.0.1:1");
	assert_string_equal(e.signing_region, "us-east-1");
	assert_true(e.custom);
}

static void clear_env(void)
{
	static const char *const vars[] = {"AWS_REGION",
					   "AWS_DEFAULT_REGION",
					   "AWS_ENDPOINT_URL",
					   "AWS_ENDPOINT_URL_STS",
					   "AWS_ENDPOINT_URL_IAM",
					   "AWS_ENDPOINT_URL_EC2",
					   "AWS_ENDPOINT_URL_RAM",
					   "AWS_ENDPOINT_URL_ROUTE_53",
					   "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
					   "AWS_STS_REGIONAL_ENDPOINTS",
					   "AWS_PROFILE",
					   "AWS_DEFAULT_PROFILE",
					   "AWS_MAX_ATTEMPTS",
					   NULL};
	for (size_t i = 0; vars[i]; i++)
		unsetenv(vars[i]);
}

static struct vp_aws_client *client_with(const char *config_text, const char *region)
{
	static char path[64];
	struct vp_aws_client_config cfg = {.region = region, .credentials_file = "/nonexistent"};
	struct vp_aws_client *c;

	snprintf(path, sizeof(path), "/tmp/vp-aws-endpoint-%d.ini", (int)getpid());
	if (config_text) {
		FILE *f = fopen(path, "w");
		fputs(config_text, f);
		fclose(f);
		cfg.config_file = path;
	} else {
		cfg.config_file = "/nonexistent";
	}
	c = vp_test_static_client(cfg, "AKID", "SECRET", NULL);
	unlink(path);
	return c;
}

static void test_client_resolution(void **state)
{
	struct vp_aws_client *c;
	(void)state;

	clear_env();
	c = client_with(NULL, NULL);
	assert_null(vp_aws_client_region(c));
	assert_null(vp_aws_client_endpoint(c, VP_AWS_EC2));
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_STS)->url,
			    "https://sts.amazonaws.com");
	vp_aws_client_free(c);

	/* AWS_REGION before AWS_DEFAULT_REGION before the profile */
	setenv("AWS_DEFAULT_REGION", "eu-west-2", 1);
	c = client_with("[default]\nregion = ap-south-1\n", NULL);
	assert_string_equal(vp_aws_client_region(c), "eu-west-2");
	vp_aws_client_free(c);
	setenv("AWS_REGION", "eu-west-3", 1);
	c = client_with(NULL, NULL);
	assert_string_equal(vp_aws_client_region(c), "eu-west-3");
	vp_aws_client_free(c);
	clear_env();
	c = client_with("[default]\nregion = cn-north-1\n", NULL);
	assert_string_equal(vp_aws_client_partition(c)->name, "aws-cn");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->url,
			    "https://ec2.cn-north-1.amazonaws.com.cn");
	vp_aws_client_free(c);

	/* AWS_ENDPOINT_URL_<SVC> over AWS_ENDPOINT_URL over the services section over endpoint_url
	 */
	c = client_with("[default]\nendpoint_url = http://profile:1\nservices = local\n"
			"[services local]\niam =\n  endpoint_url = http://services-iam:2\n",
			"us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_IAM)->url, "http://services-iam:2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_IAM)->signing_region, "us-east-1");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->signing_region, "us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->url, "http://profile:1");
	vp_aws_client_free(c);
	setenv("AWS_ENDPOINT_URL", "http://global:3", 1);
	setenv("AWS_ENDPOINT_URL_STS", "http://sts-only:4/", 1);
	c = client_with("[default]\nservices = local\n[services local]\niam =\n"
			"  endpoint_url = http://services-iam:2\n",
			"us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_STS)->url, "http://sts-only:4");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_IAM)->url, "http://global:3");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->url, "http://global:3");
	vp_aws_client_free(c);
	/* Route 53: AWS_ENDPOINT_URL_ROUTE_53, the services key route_53; signed for us-east-1 */
	c = client_with(NULL, "us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_ROUTE53)->url, "http://global:3");
	vp_aws_client_free(c);
	setenv("AWS_ENDPOINT_URL_ROUTE_53", "http://r53-only:5", 1);
	c = client_with(NULL, "us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_ROUTE53)->url, "http://r53-only:5");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_ROUTE53)->signing_region, "us-east-1");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->url, "http://global:3");
	vp_aws_client_free(c);
	unsetenv("AWS_ENDPOINT_URL_ROUTE_53");
	unsetenv("AWS_ENDPOINT_URL");
	c = client_with("[default]\nservices = local\n[services local]\nroute_53 =\n"
			"  endpoint_url = http://services-r53:6\n",
			"us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_ROUTE53)->url,
			    "http://services-r53:6");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_EC2)->url,
			    "https://ec2.us-west-2.amazonaws.com");
	vp_aws_client_free(c);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	c = client_with(NULL, "us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_STS)->url,
			    "https://sts.us-west-2.amazonaws.com");
	vp_aws_client_free(c);
	clear_env();
	setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy", 1);
	c = client_with(NULL, "us-west-2");
	assert_string_equal(vp_aws_client_endpoint(c, VP_AWS_STS)->url,
			    "https://sts.amazonaws.com");
	vp_aws_client_free(c);
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_unknown_partitions_refused),
		cmocka_unit_test(test_default_endpoints),
		cmocka_unit_test(test_client_resolution),
	};
	int rc;

	if (vp_aws_global_init(NULL) != VP_OK)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_aws_global_cleanup();
	return rc;
}
