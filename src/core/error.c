/* SPDX-License-Identifier: Apache-2.0 */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *vp_code_name(vp_code code)
{
	switch (code) {
	case VP_OK:
		return "ok";
	case VP_ERR_INVALID:
		return "invalid";
	case VP_ERR_RANGE:
		return "out_of_range";
	case VP_ERR_NOMEM:
		return "no_memory";
	case VP_ERR_NOT_FOUND:
		return "not_found";
	case VP_ERR_CONFLICT:
		return "conflict";
	case VP_ERR_EXHAUSTED:
		return "exhausted";
	case VP_ERR_UNAVAILABLE:
		return "unavailable";
	case VP_ERR_AUTH:
		return "unauthenticated";
	case VP_ERR_FORBIDDEN:
		return "forbidden";
	case VP_ERR_IO:
		return "io";
	case VP_ERR_DB:
		return "database";
	case VP_ERR_AWS:
		return "aws";
	case VP_ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}

vp_code vp_fail(struct vp_error *err, vp_code code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

void vp_error_prefix(struct vp_error *err, const char *fmt, ...)
{
	char prefix[VP_ERROR_MESSAGE_MAX];
	size_t prefix_len, old_len;
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* "<prefix>: <old>", cutting the old message when the two do not fit. */
	prefix_len = strlen(prefix);
	if (prefix_len > VP_ERROR_MESSAGE_MAX - 3)
		prefix_len = VP_ERROR_MESSAGE_MAX - 3;
	old_len = strnlen(err->message, VP_ERROR_MESSAGE_MAX - 1);
	if (prefix_len + 2 + old_len > VP_ERROR_MESSAGE_MAX - 1)
		old_len = VP_ERROR_MESSAGE_MAX - 1 - prefix_len - 2;
	memmove(err->message + prefix_len + 2, err->message, old_len);
	memcpy(err->message, prefix, prefix_len);
	memcpy(err->message + prefix_len, ": ", 2);
	err->message[prefix_len + 2 + old_len] = '\0';
}

void vp_error_clear(struct vp_error *err)
{
	if (err) {
		err->code = VP_OK;
		err->message[0] = '\0';
	}
}
