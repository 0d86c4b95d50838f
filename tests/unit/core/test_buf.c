/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

static void test_empty_buffer_reads_as_empty_string(void **state)
{
	struct vp_buf buf;
	(void)state;
	vp_buf_init(&buf, 16);
	assert_string_equal(vp_buf_str(&buf), "");
	assert_int_equal(buf.len, 0);
	vp_buf_cleanup(&buf);
	vp_buf_cleanup(&buf); /* twice is safe */
}

static void test_append_grows_and_terminates(void **state)
{
	struct vp_buf buf;
	(void)state;
	vp_buf_init(&buf, 4096);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vp_buf_appendf(&buf, "%02d", i), VP_OK);
	assert_int_equal(buf.len, 200);
	assert_int_equal(strlen(vp_buf_str(&buf)), 200);
	assert_memory_equal(vp_buf_str(&buf) + 196, "9899", 4);
	vp_buf_cleanup(&buf);
}

static void test_cap_is_enforced_and_contents_kept(void **state)
{
	struct vp_buf buf;
	(void)state;
	vp_buf_init(&buf, 8);
	assert_int_equal(vp_buf_appends(&buf, "12345678"), VP_OK);
	assert_int_equal(vp_buf_appends(&buf, "9"), VP_ERR_NOMEM);
	assert_int_equal(vp_buf_appendf(&buf, "%d", 9), VP_ERR_NOMEM);
	assert_string_equal(vp_buf_str(&buf), "12345678");
	vp_buf_reset(&buf);
	assert_string_equal(vp_buf_str(&buf), "");
	assert_int_equal(vp_buf_appends(&buf, "abc"), VP_OK);
	assert_string_equal(vp_buf_str(&buf), "abc");
	vp_buf_cleanup(&buf);
}

static void test_steal_hands_over_ownership(void **state)
{
	struct vp_buf buf;
	char *out;
	(void)state;
	vp_buf_init(&buf, 64);
	out = vp_buf_steal(&buf);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(vp_buf_appends(&buf, "hello"), VP_OK);
	out = vp_buf_steal(&buf);
	assert_string_equal(out, "hello");
	assert_int_equal(buf.len, 0);
	assert_null(buf.data);
	free(out);
}

static void test_binary_bytes_are_kept(void **state)
{
	struct vp_buf buf;
	(void)state;
	vp_buf_init(&buf, 64);
	assert_int_equal(vp_buf_append(&buf, "a\0b", 3), VP_OK);
	assert_int_equal(buf.len, 3);
	assert_memory_equal(buf.data, "a\0b", 4);
	vp_buf_cleanup(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_buffer_reads_as_empty_string),
		cmocka_unit_test(test_append_grows_and_terminates),
		cmocka_unit_test(test_cap_is_enforced_and_contents_kept),
		cmocka_unit_test(test_steal_hands_over_ownership),
		cmocka_unit_test(test_binary_bytes_are_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
