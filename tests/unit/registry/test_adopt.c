/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vp_registry_adopt, once per backend (argv[1]): the record of a lost
 * namespace re-created active with the plan's CIDR and an "adopted" event;
 * its n held again (taken out of the free list and the quarantine, never
 * handed out by a later allocation); refused, with nothing written, when a
 * live record holds n, the peering or the key, and for an n the plan reserves
 * or does not have.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "registry_test.h"

static struct vp_registry_adoption adoption(int64_t n, const char *ref, const char *pcx)
{
	return (struct vp_registry_adoption){.n = n,
					     .account = "333333333333",
					     .client_ref = ref,
					     .peering_id = pcx,
					     .vpc_id = "vpc-0000000a",
					     .reason = "test"};
}

static int64_t allocate(struct vp_registry *reg, const char *ref)
{
	struct vp_namespace_record rec;
	bool created = false;
	struct vp_error err;

	assert_int_equal(
		vp_registry_allocate(reg, "222222222222", ref, NULL, "r", 0, &rec, &created, &err),
		VP_OK);
	assert_true(created);
	return rec.n;
}

/* A fresh registry of the test's backend: the test options, this quarantine. */
static struct vp_registry *open_registry(int64_t quarantine_seconds)
{
	struct vp_registry_options opts;
	char url[1024];

	reg_test_options(&opts);
	opts.quarantine_seconds = quarantine_seconds;
	return reg_test_open(&opts, url, sizeof(url));
}

/* n has `want` events, the first (if any) of type `first`; its detail names `detail`. */
static void assert_events(struct vp_registry *reg, int64_t n, size_t want, const char *first,
			  const char *detail)
{
	struct vp_event_record events[4];
	size_t count = 0;
	struct vp_error err;

	assert_int_equal(vp_registry_events(reg, n, 0, events, 4, &count, &err), VP_OK);
	assert_int_equal(count, want);
	if (first) {
		assert_string_equal(events[0].type, first);
		assert_non_null(strstr(events[0].detail, detail));
	}
}

static void test_adopt_holds_n(void **state)
{
	struct vp_registry *reg = open_registry(VP_REGISTRY_DEFAULT_QUARANTINE);
	struct vp_registry_adoption in = adoption(3, "stack-c", "pcx-0000000c");
	struct vp_namespace_record rec;
	struct vp_error err;
	(void)state;

	assert_int_equal(vp_registry_adopt(reg, &in, "r1", &rec, &err), VP_OK);
	assert_int_equal(rec.n, 3);
	assert_int_equal(rec.state, VP_NS_ACTIVE);
	assert_string_equal(rec.account, "333333333333");
	assert_string_equal(rec.client_ref, "stack-c");
	assert_string_equal(rec.peering_id, "pcx-0000000c");
	assert_string_equal(rec.vpc_id, "vpc-0000000a");
	assert_string_equal(rec.vpc_cidr, "10.0.12.0/22");
	assert_int_equal(rec.expires_at, 0);
	assert_events(reg, 3, 1, "adopted", "pcx-0000000c");
	/* the free list skips it: 1, 2, then 4 */
	assert_int_equal(allocate(reg, "a"), 1);
	assert_int_equal(allocate(reg, "b"), 2);
	assert_int_equal(allocate(reg, "c"), 4);
	/* the client's retry of its registration finds the adopted record */
	assert_int_equal(vp_registry_find(reg, "333333333333", "stack-c", &rec, &err), VP_OK);
	assert_int_equal(rec.n, 3);
	vp_registry_close(reg);
}

static void test_adopt_from_quarantine(void **state)
{
	struct vp_registry *reg = open_registry(10);
	struct vp_registry_adoption in = adoption(1, "stack-c", "pcx-0000000c");
	struct vp_error err;
	(void)state;

	assert_int_equal(allocate(reg, "a"), 1);
	assert_int_equal(vp_registry_transition(reg, 1, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(reg, 1, VP_NS_STATE_BIT(VP_NS_RELEASING),
						VP_NS_RELEASED, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_OK);
	reg_test_now += 100; /* the quarantine is over: 1 must not come back from it */
	assert_int_equal(allocate(reg, "b"), 2);
	vp_registry_close(reg);
}

static void test_adopt_conflicts(void **state)
{
	struct vp_registry *reg = open_registry(VP_REGISTRY_DEFAULT_QUARANTINE);
	struct vp_registry_adoption in = adoption(1, "stack-c", "pcx-0000000c");
	struct vp_namespace_record rec;
	struct vp_error err;
	(void)state;

	assert_int_equal(allocate(reg, "a"), 1);
	/* n held by another registration */
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", &rec, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "222222222222"));
	/* the peering held by a live record */
	in = adoption(5, "stack-c", "pcx-0000000c");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_OK);
	in = adoption(6, "stack-other", "pcx-0000000c");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "pcx-0000000c"));
	/* the key held by a live record */
	in = adoption(6, "stack-c", "pcx-0000000d");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "stack-c"));
	/* nothing written by the refusals */
	assert_int_equal(vp_registry_get(reg, 6, &rec, &err), VP_ERR_NOT_FOUND);
	assert_events(reg, 6, 0, NULL, NULL);
	/* outside the plan, bad ids */
	in = adoption(0, "stack-x", "pcx-0000000e");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_INVALID);
	in = adoption(1 << 20, "stack-x", "pcx-0000000e");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_INVALID);
	in = adoption(7, "stack-x", "vpc-0000000e");
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_INVALID);
	vp_registry_close(reg);
}

static void test_adopt_reserved(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_registry_adoption in = adoption(2, "stack-c", "pcx-0000000c");
	struct vp_cidr range;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	assert_int_equal(vp_cidr_parse("10.0.8.0/22", 11, &range, &err), VP_OK);
	assert_int_equal(vp_plan_reserve(&opts.plan, range, &err), VP_OK);
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(vp_registry_adopt(reg, &in, "r1", NULL, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "reserved"));
	vp_registry_close(reg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_adopt_holds_n),
		cmocka_unit_test(test_adopt_from_quarantine),
		cmocka_unit_test(test_adopt_conflicts),
		cmocka_unit_test(test_adopt_reserved),
	};

	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
