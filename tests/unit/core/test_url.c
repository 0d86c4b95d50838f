/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/url.h"

static void test_parts(void **state)
{
	struct vp_url u;
	(void)state;
	assert_int_equal(
		vp_url_parse("HTTPS://user@Broker.example.com:8443/v1/x?a=1#frag", &u, NULL),
		VP_OK);
	assert_string_equal(u.scheme, "https");
	assert_string_equal(u.host, "Broker.example.com");
	assert_string_equal(u.port, "8443");
	assert_string_equal(u.path, "/v1/x");
	assert_string_equal(u.query, "a=1");
	assert_string_equal(u.user, "user");
	assert_string_equal(u.fragment, "frag");
	vp_url_cleanup(&u);
	vp_url_cleanup(&u); /* twice is a no-op */
	assert_int_equal(vp_url_parse("http://[::1]", &u, NULL), VP_OK);
	assert_string_equal(u.host, "[::1]");
	assert_null(u.port);
	assert_string_equal(u.path, "/");
	assert_null(u.query);
	assert_null(u.user);
	assert_null(u.fragment);
	vp_url_cleanup(&u);
}

static void test_refused(void **state)
{
	struct vp_url u;
	struct vp_error err;
	const char *bad[] = {"", "not a url", "http://", "http://exa mple.com/", "://x"};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vp_url_parse(bad[i], &u, &err), VP_ERR_INVALID);
		assert_non_null(strstr(err.message, "is not a URL"));
		assert_null(u.scheme);
		assert_null(u.host);
	}
	assert_int_equal(vp_url_parse(NULL, &u, &err), VP_ERR_INVALID);
}

/* Loopback from the parsed address (issue 14): a DNS name starting "127." is not. */
static void test_loopback(void **state)
{
	const char *yes[] = {"localhost",         "LocalHost",         "127.0.0.1",
			     "127.1.2.3",         "127.255.255.255",   "[::1]",
			     "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]"};
	const char *no[] = {"127.evil.example",
			    "127.0.0.1.evil.example",
			    "localhost.evil.example",
			    "128.0.0.1",
			    "10.0.0.1",
			    "[::2]",
			    "[::]",
			    "::1",
			    "0.0.0.0",
			    "",
			    "127.0.0.256",
			    "[fe80::1]",
			    "evil.localhost",
			    "[::1"};
	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(vp_url_host_is_loopback(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(vp_url_host_is_loopback(no[i]));
	assert_false(vp_url_host_is_loopback(NULL));
}

/* The host as vp_url_parse gives it, from a URL: "http://127.evil.example/" is no loopback. */
static void test_loopback_from_url(void **state)
{
	struct vp_url u;
	(void)state;
	assert_int_equal(vp_url_parse("http://127.evil.example:8080/", &u, NULL), VP_OK);
	assert_false(vp_url_host_is_loopback(u.host));
	vp_url_cleanup(&u);
	assert_int_equal(vp_url_parse("http://[::1]:8080/", &u, NULL), VP_OK);
	assert_true(vp_url_host_is_loopback(u.host));
	vp_url_cleanup(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_loopback_from_url),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
