/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/log.h"

/* Run fn with the log going to a memory stream; return what it wrote. */
static char *capture(enum vp_log_level level, enum vp_log_format format, void (*fn)(void))
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	assert_non_null(mem);
	vp_log_setup(level, format, mem);
	fn();
	fclose(mem);
	vp_log_setup(VP_LOG_INFO, VP_LOG_TEXT, NULL);
	return out;
}

static void log_some(void)
{
	vp_log(VP_LOG_DEBUG, "hidden %d", 1);
	vp_log(VP_LOG_INFO, "serving on %s", "http://127.0.0.1:8080");
	vp_log_event(VP_LOG_WARN, "request done",
		     json_pack("{ss si}", "account", "222222222222", "status", 409));
}

static void test_text_lines_respect_the_level(void **state)
{
	char *out = capture(VP_LOG_INFO, VP_LOG_TEXT, log_some);
	(void)state;
	assert_null(strstr(out, "hidden"));
	assert_non_null(strstr(out, "info  serving on http://127.0.0.1:8080\n"));
	assert_non_null(strstr(out, "warn  request done account=222222222222 status=409\n"));
	free(out);
}

static void test_json_lines_are_one_object_each(void **state)
{
	char *out = capture(VP_LOG_DEBUG, VP_LOG_JSON, log_some);
	char *line, *save = NULL;
	int lines = 0;
	(void)state;
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *obj = json_loads(line, 0, &jerr);
		assert_non_null(obj);
		assert_non_null(json_object_get(obj, "time"));
		assert_non_null(json_object_get(obj, "level"));
		assert_non_null(json_object_get(obj, "msg"));
		if (lines == 2) {
			assert_string_equal(json_string_value(json_object_get(obj, "account")),
					    "222222222222");
			assert_int_equal(json_integer_value(json_object_get(obj, "status")), 409);
		}
		json_decref(obj);
		lines++;
	}
	assert_int_equal(lines, 3);
	free(out);
}

static void test_level_and_format_names(void **state)
{
	enum vp_log_level level;
	enum vp_log_format format;
	struct vp_error err;
	(void)state;
	assert_int_equal(vp_log_level_parse("warn", &level, &err), VP_OK);
	assert_int_equal(level, VP_LOG_WARN);
	assert_int_equal(vp_log_level_parse("loud", &level, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "loud"));
	assert_int_equal(vp_log_format_parse("json", &format, &err), VP_OK);
	assert_int_equal(format, VP_LOG_JSON);
	assert_int_equal(vp_log_format_parse("xml", &format, &err), VP_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_lines_respect_the_level),
		cmocka_unit_test(test_json_lines_are_one_object_each),
		cmocka_unit_test(test_level_and_format_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
