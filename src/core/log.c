/* SPDX-License-Identifier: Apache-2.0 */
#include "core/log.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

/* Bounded so that one runaway field cannot produce an unbounded line. */
#define LOG_LINE_MAX 16384

static enum vp_log_level log_min_level = VP_LOG_INFO;
static enum vp_log_format log_format = VP_LOG_TEXT;
static FILE *log_out;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void vp_log_setup(enum vp_log_level min_level, enum vp_log_format format, FILE *out)
{
	log_min_level = min_level;
	log_format = format;
	log_out = out;
}

vp_code vp_log_level_parse(const char *name, enum vp_log_level *out, struct vp_error *err)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum vp_log_level)i;
			return VP_OK;
		}
	}
	return vp_fail(err, VP_ERR_INVALID, "unknown log level '%s' (debug, info, warn, error)",
		       name);
}

vp_code vp_log_format_parse(const char *name, enum vp_log_format *out, struct vp_error *err)
{
	if (strcmp(name, "text") == 0)
		*out = VP_LOG_TEXT;
	else if (strcmp(name, "json") == 0)
		*out = VP_LOG_JSON;
	else
		return vp_fail(err, VP_ERR_INVALID, "unknown log format '%s' (text, json)", name);
	return VP_OK;
}

int vp_log_enabled(enum vp_log_level level)
{
	return level >= log_min_level;
}

static void format_time(char out[32])
{
	struct timespec now;
	struct tm utc;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &utc);
	len = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &utc);
	snprintf(out + len, 32 - len, ".%03dZ", (int)(now.tv_nsec / 1000000));
}

/* A line that does not fit is cut (vp_buf keeps what fits): the appends are not checked. */
static void append_text_fields(struct vp_buf *line, json_t *fields)
{
	const char *key;
	json_t *value;

	json_object_foreach(fields, key, value)
	{
		if (json_is_string(value)) {
			const char *s = json_string_value(value);
			/* Quote values a reader could not split on spaces. */
			if (*s == '\0' || strpbrk(s, " \t\"="))
				vp_ignore(vp_buf_appendf(line, " %s=\"%s\"", key, s));
			else
				vp_ignore(vp_buf_appendf(line, " %s=%s", key, s));
		} else {
			char *dumped = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
			if (dumped) {
				vp_ignore(vp_buf_appendf(line, " %s=%s", key, dumped));
				free(dumped);
			}
		}
	}
}

static void write_line(enum vp_log_level level, const char *msg, json_t *fields)
{
	FILE *out = log_out ? log_out : stderr;
	char when[32];
	struct vp_buf line;

	format_time(when);
	vp_buf_init(&line, LOG_LINE_MAX);
	if (log_format == VP_LOG_JSON) {
		json_t *obj = json_object();
		char *dumped;

		json_object_set_new(obj, "time", json_string(when));
		json_object_set_new(obj, "level", json_string(level_names[level]));
		json_object_set_new(obj, "msg", json_string(msg));
		if (fields)
			json_object_update_missing(obj, fields);
		dumped = json_dumps(obj, JSON_COMPACT);
		/* A line that does not fit is cut rather than left unwritten. */
		if (dumped && vp_buf_appends(&line, dumped) != VP_OK)
			vp_ignore(vp_buf_append(&line, dumped, LOG_LINE_MAX));
		free(dumped);
		json_decref(obj);
	} else {
		vp_ignore(vp_buf_appendf(&line, "%s %-5s %s", when, level_names[level], msg));
		if (fields)
			append_text_fields(&line, fields);
	}
	/* One locked write of the whole line keeps threads from interleaving. */
	flockfile(out);
	fwrite(vp_buf_str(&line), 1, line.len, out);
	/* fputc, not putc_unlocked: the inlined macro's buffer access is invisible to
	 * ThreadSanitizer's view of flockfile and was reported as a race (issue 14). */
	fputc('\n', out);
	fflush(out);
	funlockfile(out);
	vp_buf_cleanup(&line);
}

void vp_log(enum vp_log_level level, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (!vp_log_enabled(level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	write_line(level, msg, NULL);
}

void vp_log_event(enum vp_log_level level, const char *msg, json_t *fields)
{
	if (vp_log_enabled(level))
		write_line(level, msg, fields);
	json_decref(fields);
}
