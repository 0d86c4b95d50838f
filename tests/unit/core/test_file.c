/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/file.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	assert_int_equal(fclose(f), 0);
}

static void test_reads_whole_file(void **state)
{
	char path[] = "/tmp/vp_test_file_XXXXXX";
	char *data = NULL;
	size_t len = 0;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "token\n");
	assert_int_equal(vp_file_read(path, 6, &data, &len, NULL), VP_OK);
	assert_string_equal(data, "token\n");
	assert_int_equal(len, 6);
	free(data);
	write_file(path, "");
	assert_int_equal(vp_file_read(path, 6, &data, NULL, NULL), VP_OK);
	assert_string_equal(data, "");
	free(data);
	unlink(path);
}

static void test_bounds_and_errors(void **state)
{
	char path[] = "/tmp/vp_test_file_XXXXXX";
	static char untouched[] = "untouched";
	char *data = untouched;
	size_t len = 99;
	struct vp_error err;
	int fd = mkstemp(path);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "1234567");
	assert_int_equal(vp_file_read(path, 6, &data, &len, &err), VP_ERR_RANGE);
	assert_non_null(strstr(err.message, path));
	assert_non_null(strstr(err.message, "larger than 6 bytes"));
	unlink(path);
	assert_int_equal(vp_file_read(path, 6, &data, &len, &err), VP_ERR_NOT_FOUND);
	assert_non_null(strstr(err.message, path));
	assert_int_equal(vp_file_read("/tmp", 6, &data, &len, &err), VP_ERR_IO);
	assert_string_equal(data, "untouched");
	assert_int_equal(len, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_whole_file),
		cmocka_unit_test(test_bounds_and_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
