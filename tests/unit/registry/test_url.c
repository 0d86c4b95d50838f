/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "registry/url.h"

static vp_code parse(const char *s, struct vp_registry_url *out, struct vp_error *err)
{
	return vp_registry_url_parse(s, strlen(s), out, err);
}

static void test_sqlite(void **state)
{
	struct vp_registry_url url;
	(void)state;
	assert_int_equal(parse("sqlite:vpcpeer.db", &url, NULL), VP_OK);
	assert_int_equal(url.scheme, VP_REGISTRY_SQLITE);
	assert_string_equal(url.target, "vpcpeer.db");
	assert_string_equal(url.shown, "sqlite:vpcpeer.db");
	assert_int_equal(parse("sqlite:///var/lib/vpcpeer.db", &url, NULL), VP_OK);
	assert_string_equal(url.target, "/var/lib/vpcpeer.db");
	assert_int_equal(parse("sqlite:/tmp/a b.db", &url, NULL), VP_OK);
	assert_string_equal(url.target, "/tmp/a b.db");
}

static void test_postgres_hides_password(void **state)
{
	struct vp_registry_url url;
	(void)state;
	assert_int_equal(parse("postgresql://broker:s3cret@db.internal:5432/vpcpeer", &url, NULL),
			 VP_OK);
	assert_int_equal(url.scheme, VP_REGISTRY_POSTGRES);
	assert_string_equal(url.target, "postgresql://broker:s3cret@db.internal:5432/vpcpeer");
	assert_string_equal(url.shown, "postgresql://broker:***@db.internal:5432/vpcpeer");
	assert_int_equal(parse("postgres://u@h/db?x=a:b@c", &url, NULL), VP_OK);
	assert_string_equal(url.shown, "postgres://u@h/db?x=a:b@c");
	assert_int_equal(parse("postgres:///db?host=/tmp/pg", &url, NULL), VP_OK);
	assert_string_equal(url.shown, "postgres:///db?host=/tmp/pg");
	assert_int_equal(parse("postgresql://a:b@c@h/db", &url, NULL), VP_OK);
	assert_null(strstr(url.shown, "b@c"));
	/* issue 14: a password= query parameter was shown as given */
	assert_int_equal(
		parse("postgresql://u:pw1@db:5432/vp?sslmode=require&password=pw2&x=1", &url, NULL),
		VP_OK);
	assert_string_equal(url.shown,
			    "postgresql://u:***@db:5432/vp?sslmode=require&password=***&x=1");
	assert_int_equal(parse("postgres:///vp?PASSWORD=pw3", &url, NULL), VP_OK);
	assert_string_equal(url.shown, "postgres:///vp?PASSWORD=***");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
		"",           "sqlite:",  "sqlite://",     "sqlite::memory:", "mysql://h/db",
		"vpcpeer.db", "Sqlite:x", "postgresql:/x", "sqlite:a\nb"};
	struct vp_registry_url url;
	struct vp_error err;
	char long_url[VP_REGISTRY_URL_CAP + 16];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i], &url, &err), VP_ERR_INVALID);
		assert_true(err.message[0] != '\0');
	}
	assert_int_equal(vp_registry_url_parse("sqlite:a\0b", 10, &url, &err), VP_ERR_INVALID);
	memset(long_url, 'a', sizeof(long_url));
	memcpy(long_url, "sqlite:", 7);
	assert_int_equal(vp_registry_url_parse(long_url, sizeof(long_url), &url, &err),
			 VP_ERR_INVALID);
	assert_int_equal(parse("redis://x", &url, &err), VP_ERR_INVALID);
	assert_string_equal(
		err.message,
		"unknown database scheme 'redis' (use sqlite:PATH or postgresql://...)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sqlite),
		cmocka_unit_test(test_postgres_hides_password),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
