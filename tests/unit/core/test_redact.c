/* SPDX-License-Identifier: Apache-2.0 */
/* core/redact.c: passwords out of log and message text (issue 14). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/redact.h"

static const char *redact(const char *in, char *out, size_t cap)
{
	vp_redact(in, strlen(in), out, cap);
	return out;
}

static void test_passwords_masked(void **state)
{
	static const char *const cases[][2] = {
		{"cannot connect to postgresql://broker:s3cret@10.0.0.5:5432/vp: timeout",
		 "cannot connect to postgresql://broker:***@10.0.0.5:5432/vp: timeout"},
		{"postgres://u:a@b@h/db", "postgres://u:***@h/db"},
		{"postgres://h/db?password=x&sslmode=require",
		 "postgres://h/db?password=***&sslmode=require"},
		{"host=db user=u password=p dbname=vp", "host=db user=u password=*** dbname=vp"},
		{"'postgresql://u:p@h/d?Password=q'", "'postgresql://u:***@h/d?Password=***'"},
		{"https://example.com/a?b=c", "https://example.com/a?b=c"},
		{"postgres://u@h/db?x=a:b@c", "postgres://u@h/db?x=a:b@c"},
		{"no secret here", "no secret here"},
		{"password=", "password=***"},
	};
	char out[256];
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_string_equal(redact(cases[i][0], out, sizeof(out)), cases[i][1]);
}

static void test_cut_to_fit(void **state)
{
	char out[12];
	(void)state;
	assert_int_equal(vp_redact("postgres://u:p@h/db", 19, out, sizeof(out)), 11);
	assert_string_equal(out, "postgres://");
	assert_int_equal(vp_redact("abc", 3, out, 1), 0);
	assert_string_equal(out, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwords_masked),
		cmocka_unit_test(test_cut_to_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
