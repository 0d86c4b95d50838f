/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "addr/plan.h"

static struct vp_cidr cidr(const char *s)
{
	struct vp_cidr c;
	struct vp_error err;
	if (vp_cidr_parse(s, strlen(s), &c, &err) != VP_OK)
		fail_msg("%s", err.message);
	return c;
}

static void assert_cidr(struct vp_cidr c, const char *expected)
{
	char out[VP_CIDR_STRLEN];
	assert_string_equal(vp_cidr_format(c, out), expected);
}

/* docs/design.md "The address plan", row by row. */
static void test_design_table(void **state)
{
	static const char *const table[][6] = {
		{"0", "10.0.0.0/22", "10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"},
		{"1", "10.0.4.0/22", "10.0.4.0/24", "10.0.5.0/24", "10.0.6.0/24", "10.0.7.0/24"},
		{"2", "10.0.8.0/22", "10.0.8.0/24", "10.0.9.0/24", "10.0.10.0/24", "10.0.11.0/24"},
		{"300", "10.4.176.0/22", "10.4.176.0/24", "10.4.177.0/24", "10.4.178.0/24",
		 "10.4.179.0/24"},
	};
	struct vp_plan plan;
	(void)state;
	vp_plan_init(&plan);
	assert_int_equal(vp_plan_validate(&plan, NULL), VP_OK);
	for (size_t row = 0; row < 4; row++) {
		struct vp_namespace_plan ns;
		assert_int_equal(vp_plan_namespace(&plan, atoll(table[row][0]), &ns, NULL), VP_OK);
		assert_cidr(ns.vpc, table[row][1]);
		assert_int_equal(ns.subnet_count, 4);
		for (int s = 0; s < 4; s++)
			assert_cidr(ns.subnets[s], table[row][2 + s]);
	}
}

static void test_bounds_name_the_capacity(void **state)
{
	struct vp_namespace_plan ns;
	struct vp_plan plan;
	struct vp_error err;
	(void)state;
	vp_plan_init(&plan);
	assert_int_equal(vp_plan_capacity(&plan), 16384);
	assert_int_equal(vp_plan_namespace(&plan, 16383, &ns, NULL), VP_OK);
	assert_cidr(ns.vpc, "10.255.252.0/22");
	assert_cidr(ns.subnets[3], "10.255.255.0/24");
	assert_int_equal(vp_plan_namespace(&plan, 16384, &ns, &err), VP_ERR_RANGE);
	assert_non_null(strstr(err.message, "16384 namespaces"));
	assert_int_equal(vp_plan_namespace(&plan, -1, &ns, &err), VP_ERR_RANGE);
	assert_non_null(strstr(err.message, "16384 namespaces"));
	assert_int_equal(vp_plan_namespace(&plan, INT64_MIN, &ns, &err), VP_ERR_RANGE);
	assert_int_equal(vp_plan_namespace(&plan, INT64_MAX, &ns, &err), VP_ERR_RANGE);
}

/* Every namespace: inside the pool, its subnets inside it, and disjoint from its neighbours. */
static void check_whole_plan(const struct vp_plan *plan)
{
	int64_t capacity = vp_plan_capacity(plan);
	struct vp_namespace_plan ns, prev;

	for (int64_t n = 0; n < capacity; n++) {
		assert_int_equal(vp_plan_namespace(plan, n, &ns, NULL), VP_OK);
		assert_true(vp_cidr_contains(plan->pool, ns.vpc));
		assert_int_equal(ns.vpc.prefix, plan->vpc_prefix);
		assert_int_equal(vp_plan_namespace_of(plan, ns.vpc.addr), n);
		for (unsigned s = 0; s < ns.subnet_count; s++) {
			assert_true(vp_cidr_contains(ns.vpc, ns.subnets[s]));
			if (s > 0)
				assert_false(vp_cidr_overlaps(ns.subnets[s - 1], ns.subnets[s]));
		}
		/* Blocks are laid out in order, so disjoint neighbours mean all are disjoint. */
		if (n > 0) {
			assert_false(vp_cidr_overlaps(prev.vpc, ns.vpc));
			assert_true(prev.vpc.addr < ns.vpc.addr);
		}
		prev = ns;
	}
}

static void test_every_default_namespace_is_distinct_and_inside(void **state)
{
	struct vp_plan plan;
	(void)state;
	vp_plan_init(&plan);
	check_whole_plan(&plan);
}

static void test_other_pools(void **state)
{
	struct vp_namespace_plan ns;
	struct vp_plan plan;
	(void)state;

	vp_plan_init(&plan);
	plan.pool = cidr("172.16.0.0/12");
	plan.vpc_prefix = 20;
	plan.subnet_prefix = 22;
	plan.subnet_count = 3;
	assert_int_equal(vp_plan_validate(&plan, NULL), VP_OK);
	assert_int_equal(vp_plan_capacity(&plan), 256);
	assert_int_equal(vp_plan_namespace(&plan, 1, &ns, NULL), VP_OK);
	assert_cidr(ns.vpc, "172.16.16.0/20");
	assert_int_equal(ns.subnet_count, 3);
	assert_cidr(ns.subnets[0], "172.16.16.0/22");
	assert_cidr(ns.subnets[1], "172.16.20.0/22");
	assert_cidr(ns.subnets[2], "172.16.24.0/22");
	assert_int_equal(vp_plan_namespace(&plan, 255, &ns, NULL), VP_OK);
	assert_cidr(ns.vpc, "172.31.240.0/20");
	check_whole_plan(&plan);

	vp_plan_init(&plan);
	plan.pool = cidr("100.64.0.0/10");
	assert_int_equal(vp_plan_validate(&plan, NULL), VP_OK);
	assert_int_equal(vp_plan_capacity(&plan), 4096);
	assert_int_equal(vp_plan_namespace(&plan, 4095, &ns, NULL), VP_OK);
	assert_cidr(ns.vpc, "100.127.252.0/22");
	check_whole_plan(&plan);
}

static void test_invalid_plans_say_why(void **state)
{
	static const struct {
		const char *pool;
		unsigned vpc, subnet, count;
		const char *fragment;
	} cases[] = {
		{"10.0.0.0/8", 15, 24, 4, "VPC prefix /15 is outside AWS's limits"},
		{"10.0.0.0/8", 29, 29, 1, "VPC prefix /29 is outside AWS's limits"},
		{"10.0.0.0/8", 22, 29, 4, "subnet prefix /29 is outside AWS's limits"},
		{"10.0.0.0/24", 22, 24, 4, "does not fit into the pool 10.0.0.0/24"},
		{"10.0.0.0/8", 24, 22, 1, "a /22 subnet does not fit into a /24 VPC block"},
		{"10.0.0.0/8", 22, 24, 5,
		 "5 /24 subnets do not fit into a /22 VPC block (it holds 4)"},
		{"10.0.0.0/8", 22, 24, 0, "subnet count 0"},
		{"10.0.0.0/8", 22, 24, 27, "subnet count 27"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vp_plan plan;
		struct vp_error err;
		vp_plan_init(&plan);
		plan.pool = cidr(cases[i].pool);
		plan.vpc_prefix = cases[i].vpc;
		plan.subnet_prefix = cases[i].subnet;
		plan.subnet_count = cases[i].count;
		assert_int_equal(vp_plan_validate(&plan, &err), VP_ERR_INVALID);
		if (!strstr(err.message, cases[i].fragment))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.message, cases[i].fragment);
	}
}

static void test_reserved_ranges(void **state)
{
	struct vp_namespace_range ranges[VP_PLAN_MAX_RESERVED];
	struct vp_plan plan;
	const struct vp_cidr *hit;
	(void)state;

	vp_plan_init(&plan);
	assert_null(vp_plan_reserved_overlap(&plan, 5));
	assert_int_equal(vp_plan_reserve(&plan, cidr("10.0.16.0/20"), NULL), VP_OK);   /* 4..7 */
	assert_int_equal(vp_plan_reserve(&plan, cidr("10.0.21.7/32"), NULL), VP_OK);   /* 5 */
	assert_int_equal(vp_plan_reserve(&plan, cidr("10.0.32.0/24"), NULL), VP_OK);   /* 8 */
	assert_int_equal(vp_plan_reserve(&plan, cidr("192.168.0.0/16"), NULL), VP_OK); /* outside */
	assert_int_equal(vp_plan_reserve(&plan, cidr("10.255.255.0/24"), NULL), VP_OK); /* 16383 */
	assert_null(vp_plan_reserved_overlap(&plan, 3));
	hit = vp_plan_reserved_overlap(&plan, 4);
	assert_non_null(hit);
	assert_cidr(*hit, "10.0.16.0/20");
	assert_non_null(vp_plan_reserved_overlap(&plan, 8));
	assert_null(vp_plan_reserved_overlap(&plan, 9));
	assert_non_null(vp_plan_reserved_overlap(&plan, 16383));
	assert_null(vp_plan_reserved_overlap(&plan, 16384));

	/* 4..7 and 8 are adjacent: merged into one run. */
	assert_int_equal(vp_plan_reserved_ranges(&plan, ranges), 2);
	assert_int_equal(ranges[0].first, 4);
	assert_int_equal(ranges[0].last, 8);
	assert_int_equal(ranges[1].first, 16383);
	assert_int_equal(ranges[1].last, 16383);
	assert_int_equal(vp_plan_reserved_count(&plan), 6);

	/* A range bigger than the pool clips to it. */
	vp_plan_init(&plan);
	assert_int_equal(vp_plan_reserve(&plan, cidr("0.0.0.0/0"), NULL), VP_OK);
	assert_int_equal(vp_plan_reserved_count(&plan), 16384);
}

static void test_reserved_list_is_bounded(void **state)
{
	struct vp_plan plan;
	struct vp_error err;
	(void)state;
	vp_plan_init(&plan);
	for (int i = 0; i < VP_PLAN_MAX_RESERVED; i++)
		assert_int_equal(vp_plan_reserve(&plan, cidr("10.0.0.0/22"), NULL), VP_OK);
	assert_int_equal(vp_plan_reserve(&plan, cidr("10.0.0.0/22"), &err), VP_ERR_EXHAUSTED);
	assert_non_null(strstr(err.message, "at most 64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_design_table),
		cmocka_unit_test(test_bounds_name_the_capacity),
		cmocka_unit_test(test_every_default_namespace_is_distinct_and_inside),
		cmocka_unit_test(test_other_pools),
		cmocka_unit_test(test_invalid_plans_say_why),
		cmocka_unit_test(test_reserved_ranges),
		cmocka_unit_test(test_reserved_list_is_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
