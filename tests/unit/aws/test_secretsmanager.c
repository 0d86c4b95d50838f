/* SPDX-License-Identifier: Apache-2.0 */
/* Secrets Manager's GetSecretValue answer and RDS's secret format (aws/secretsmanager.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "aws/endpoint.h"
#include "aws/secretsmanager.h"

static vp_code parse(const char *json, struct vp_aws_rds_secret *s, struct vp_error *err)
{
	return vp_aws_rds_secret_parse(json, strlen(json), s, err);
}

static void test_rds_secret(void **state)
{
	struct vp_aws_rds_secret s;
	struct vp_error err;
	(void)state;

	/* RDS's managed master secret: username and password only. */
	assert_int_equal(parse("{\"username\":\"vpcpeer\",\"password\":\"p@ss:/w\"}", &s, &err),
			 VP_OK);
	assert_string_equal(s.username, "vpcpeer");
	assert_string_equal(s.password, "p@ss:/w");
	assert_string_equal(s.host, "");
	assert_int_equal(s.port, 0);
	/* The rotation format: the address too; port a number or a string. */
	assert_int_equal(parse("{\"engine\":\"postgres\",\"host\":\"db.example\",\"username\":"
			       "\"u\",\"password\":\"p\",\"dbname\":\"vp\",\"port\":5432}",
			       &s, &err),
			 VP_OK);
	assert_string_equal(s.engine, "postgres");
	assert_string_equal(s.host, "db.example");
	assert_string_equal(s.dbname, "vp");
	assert_int_equal(s.port, 5432);
	assert_int_equal(
		parse("{\"username\":\"u\",\"password\":\"p\",\"port\":\"6432\"}", &s, &err),
		VP_OK);
	assert_int_equal(s.port, 6432);
}

static void test_rds_secret_refused(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"not json",
		"{\"password\":\"p\"}",
		"{\"username\":\"u\"}",
		"{\"username\":7,\"password\":\"p\"}",
		"{\"username\":\"\",\"password\":\"p\"}",
		"{\"username\":\"u\",\"password\":\"p\\u0000q\"}",
		"{\"username\":\"u\\n\",\"password\":\"p\"}",
		"{\"username\":\"u\",\"password\":\"p\",\"port\":0}",
		"{\"username\":\"u\",\"password\":\"p\",\"port\":70000}",
		"{\"username\":\"u\",\"password\":\"p\",\"port\":\"54x\"}",
		"{\"username\":\"u\",\"password\":\"p\",\"port\":\"-1\"}",
		"{\"username\":\"u\",\"password\":\"p\",\"port\":5432.5}",
		"{\"username\":\"u\",\"password\":\"p\",\"host\":[]}",
		"{\"username\":\"u\",\"password\":\"p\",\"username\":\"v\"}",
	};
	struct vp_aws_rds_secret s;
	struct vp_error err;
	char big[400];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.message[0] = '\0';
		if (parse(bad[i], &s, &err) != VP_ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err.message[0] != '\0');
		assert_string_equal(s.password, ""); /* wiped */
	}
	snprintf(big, sizeof(big), "{\"username\":\"%0100d\",\"password\":\"p\"}", 0);
	assert_int_equal(parse(big, &s, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "username"));
}

static void test_get_secret_value_answer(void **state)
{
	static const char answer[] =
		"{\"ARN\":\"arn:aws:secretsmanager:us-east-1:111111111111:secret:db-AbCdEf\","
		"\"Name\":\"db\",\"SecretString\":\"{\\\"username\\\":\\\"u\\\"}\","
		"\"VersionId\":\"v1\",\"VersionStages\":[\"AWSCURRENT\"],\"CreatedDate\":1.7E9}";
	struct vp_buf value;
	struct vp_error err;
	(void)state;

	vp_buf_init(&value, VP_AWS_SECRET_MAX + 1);
	assert_int_equal(vp_aws_secretsmanager_parse_value(answer, strlen(answer), &value, &err),
			 VP_OK);
	assert_string_equal(vp_buf_str(&value), "{\"username\":\"u\"}");
	assert_int_equal(
		vp_aws_secretsmanager_parse_value("{\"SecretBinary\":\"AAAA\"}", 23, &value, &err),
		VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "SecretString"));
	assert_int_equal(vp_aws_secretsmanager_parse_value("{", 1, &value, &err), VP_ERR_INVALID);
	vp_buf_cleanup(&value);
}

static void test_endpoint(void **state)
{
	struct vp_aws_endpoint e;
	struct vp_error err;
	(void)state;

	assert_int_equal(
		vp_aws_endpoint_default(VP_AWS_SECRETSMANAGER, "eu-west-1", false, &e, &err),
		VP_OK);
	assert_string_equal(e.url, "https://secretsmanager.eu-west-1.amazonaws.com");
	assert_string_equal(e.service, "secretsmanager");
	assert_string_equal(vp_aws_service_env_id(VP_AWS_SECRETSMANAGER), "SECRETS_MANAGER");
	assert_int_equal(vp_aws_endpoint_default(VP_AWS_SECRETSMANAGER, NULL, false, &e, &err),
			 VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rds_secret),
		cmocka_unit_test(test_rds_secret_refused),
		cmocka_unit_test(test_get_secret_value_answer),
		cmocka_unit_test(test_endpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
