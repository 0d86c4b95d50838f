/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "registry/state.h"

static void test_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < VP_NS_STATE_COUNT; s++) {
		enum vp_ns_state parsed = VP_NS_RELEASED;
		assert_int_equal(vp_registry_state_parse(vp_registry_state_name(s), &parsed, NULL),
				 VP_OK);
		assert_int_equal(parsed, s);
	}
	assert_string_equal(vp_registry_state_name(VP_NS_RELEASING), "releasing");
	assert_string_equal(vp_registry_state_name((enum vp_ns_state)42), "unknown");
}

static void test_parse_refuses(void **state)
{
	enum vp_ns_state parsed = VP_NS_ACTIVE;
	struct vp_error err;
	(void)state;
	assert_int_equal(vp_registry_state_parse("Active", &parsed, &err), VP_ERR_INVALID);
	assert_int_equal(parsed, VP_NS_ACTIVE);
	assert_non_null(strstr(err.message, "'Active'"));
	assert_int_equal(vp_registry_state_parse("", &parsed, &err), VP_ERR_INVALID);
}

/* The machine, edge by edge: exactly these six are legal. */
static void test_machine(void **state)
{
	int legal = 0;
	(void)state;
	assert_true(vp_registry_transition_allowed(VP_NS_PENDING, VP_NS_ACTIVE));
	assert_true(vp_registry_transition_allowed(VP_NS_PENDING, VP_NS_FAILED));
	assert_true(vp_registry_transition_allowed(VP_NS_ACTIVE, VP_NS_FAILED));
	assert_true(vp_registry_transition_allowed(VP_NS_PENDING, VP_NS_RELEASING));
	assert_true(vp_registry_transition_allowed(VP_NS_ACTIVE, VP_NS_RELEASING));
	assert_true(vp_registry_transition_allowed(VP_NS_FAILED, VP_NS_RELEASING));
	assert_true(vp_registry_transition_allowed(VP_NS_RELEASING, VP_NS_RELEASED));
	for (int from = 0; from < VP_NS_STATE_COUNT; from++)
		for (int to = 0; to < VP_NS_STATE_COUNT; to++)
			legal += vp_registry_transition_allowed(from, to);
	assert_int_equal(legal, 7);
	assert_false(vp_registry_transition_allowed(VP_NS_RELEASED, VP_NS_PENDING));
	assert_false(vp_registry_transition_allowed(VP_NS_ACTIVE, VP_NS_ACTIVE));
	assert_false(vp_registry_transition_allowed(VP_NS_FAILED, VP_NS_ACTIVE));
	assert_false(vp_registry_transition_allowed((enum vp_ns_state) - 1, VP_NS_ACTIVE));
}

static void test_check_messages(void **state)
{
	struct vp_error err;
	(void)state;
	assert_int_equal(vp_registry_transition_check(7, VP_NS_ACTIVE, VP_NS_PENDING, &err),
			 VP_ERR_CONFLICT);
	assert_string_equal(err.message, "namespace 7: illegal transition active -> pending");
	assert_int_equal(vp_registry_transition_check(7, VP_NS_RELEASED, VP_NS_RELEASING, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "released -> releasing"));
	assert_int_equal(vp_registry_transition_check(7, VP_NS_PENDING, VP_NS_ACTIVE, &err), VP_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names_round_trip),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_machine),
		cmocka_unit_test(test_check_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
