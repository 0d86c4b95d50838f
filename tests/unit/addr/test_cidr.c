/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr/cidr.h"

static struct vp_cidr parse_ok(const char *s)
{
	struct vp_cidr c;
	struct vp_error err;
	vp_code rc = vp_cidr_parse(s, strlen(s), &c, &err);
	if (rc != VP_OK)
		fail_msg("'%s' refused: %s", s, err.message);
	return c;
}

static void test_parse_and_format_round_trip(void **state)
{
	const char *good[] = {"0.0.0.0/0",       "10.0.0.0/8",         "10.0.4.0/22",
			      "10.255.252.0/22", "172.16.0.0/12",      "100.64.0.0/10",
			      "192.168.1.7/32",  "255.255.255.255/32", "10.4.176.0/22"};
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char out[VP_CIDR_STRLEN];
		assert_string_equal(vp_cidr_format(parse_ok(good[i]), out), good[i]);
	}
	assert_int_equal(parse_ok("10.0.4.0/22").addr, 0x0a000400u);
	assert_int_equal(parse_ok("10.0.4.0/22").prefix, 22);
}

/* Each way to be wrong has its own message: the fragment we expect in it. */
static void test_refusals_say_what_is_wrong(void **state)
{
	static const struct {
		const char *input;
		const char *fragment;
	} cases[] = {
		{"", "empty"},
		{"10.0.0.0", "no prefix length"},
		{"10.0.0.1/22", "host bits set; the block's network address is 10.0.0.0/22"},
		{"10.0.0.0/33", "more than 32"},
		{"10.0.0.0/100", "more than 32"},
		{"10.0.0.0/08", "leading zero"},
		{"010.0.0.0/8", "part 1 has a leading zero"},
		{"10.00.0.0/16", "part 2 has a leading zero"},
		{"10.0.0/24", "has 3 parts"},
		{"10.0/16", "has 2 parts"},
		{"10.0.0./24", "part 4 of the address is missing"},
		{"10..0.0/16", "part 2 of the address is not a number"},
		{"256.0.0.0/8", "part 1 is 256, more than 255"},
		{"1000.0.0.0/8", "more than 3 digits"},
		{"10.0.0.0/8x", "unexpected text after the prefix length"},
		{"10.0.0.0/8 ", "unexpected text after the prefix length"},
		{"10.0.0.0.0/8", "unexpected text after the address"},
		{"10.0.0.0/", "no prefix length after the '/'"},
		{"/8", "no address before the '/'"},
		{"10.0.0.0/-1", "prefix length is not a number"},
		{" 10.0.0.0/8", "part 1 of the address is not a number"},
		{"10.0.0.0/+8", "prefix length is not a number"},
		{"a.b.c.d/8", "part 1 of the address is not a number"},
		{"10.0.0.0/8/8", "unexpected text after the prefix length"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_cidr c = {0x01020304u, 7};
		struct vp_error err;
		vp_code rc = vp_cidr_parse(cases[i].input, strlen(cases[i].input), &c, &err);
		if (rc == VP_OK)
			fail_msg("'%s' was accepted", cases[i].input);
		if (!strstr(err.message, cases[i].fragment))
			fail_msg("'%s': message '%s' lacks '%s'", cases[i].input, err.message,
				 cases[i].fragment);
		assert_int_equal(c.addr, 0x01020304u); /* output untouched */
	}
}

static void test_parse_respects_length_not_nul(void **state)
{
	struct vp_cidr c;
	const char text[] = "10.0.0.0/8garbage";
	(void)state;
	assert_int_equal(vp_cidr_parse(text, 10, &c, NULL), VP_OK);
	assert_int_equal(c.prefix, 8);
	assert_int_not_equal(vp_cidr_parse("10.0.0.0/8\0", 11, &c, NULL), VP_OK);
}

static void test_ipv4_parse(void **state)
{
	uint32_t a = 0;
	char out[VP_IPV4_STRLEN];
	(void)state;
	assert_int_equal(vp_ipv4_parse("10.0.4.1", 8, &a, NULL), VP_OK);
	assert_int_equal(a, 0x0a000401u);
	assert_string_equal(vp_ipv4_format(a, out), "10.0.4.1");
	assert_int_not_equal(vp_ipv4_parse("10.0.4.1/32", 11, &a, NULL), VP_OK);
	assert_int_not_equal(vp_ipv4_parse("", 0, &a, NULL), VP_OK);
}

static void test_overlap_and_containment(void **state)
{
	struct vp_cidr pool = parse_ok("10.0.0.0/8");
	struct vp_cidr n1 = parse_ok("10.0.4.0/22");
	struct vp_cidr n2 = parse_ok("10.0.8.0/22");
	struct vp_cidr sub = parse_ok("10.0.5.0/24");
	struct vp_cidr all = parse_ok("0.0.0.0/0");
	struct vp_cidr other = parse_ok("172.16.0.0/12");
	(void)state;
	assert_true(vp_cidr_overlaps(n1, sub));
	assert_true(vp_cidr_overlaps(sub, n1));
	assert_false(vp_cidr_overlaps(n1, n2));
	assert_true(vp_cidr_overlaps(all, other));
	assert_false(vp_cidr_overlaps(pool, other));
	assert_true(vp_cidr_contains(pool, n1));
	assert_true(vp_cidr_contains(n1, sub));
	assert_false(vp_cidr_contains(sub, n1));
	assert_true(vp_cidr_contains(n1, n1));
	assert_true(vp_cidr_contains(all, pool));
	assert_int_equal(vp_cidr_size(all), (uint64_t)1 << 32);
	assert_int_equal(vp_cidr_size(n1), 1024);
	assert_int_equal(vp_cidr_last(n1), 0x0a0007ffu);
	assert_int_equal(vp_prefix_mask(0), 0);
	assert_int_equal(vp_prefix_mask(32), 0xffffffffu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format_round_trip),
		cmocka_unit_test(test_refusals_say_what_is_wrong),
		cmocka_unit_test(test_parse_respects_length_not_nul),
		cmocka_unit_test(test_ipv4_parse),
		cmocka_unit_test(test_overlap_and_containment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
