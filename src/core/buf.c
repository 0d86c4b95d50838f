/* SPDX-License-Identifier: Apache-2.0 */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vp_buf_init(struct vp_buf *buf, size_t max)
{
	buf->data = NULL;
	buf->len = 0;
	buf->alloc = 0;
	buf->max = max;
}

void vp_buf_cleanup(struct vp_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->alloc = 0;
}

void vp_buf_reset(struct vp_buf *buf)
{
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

/* Make room for `extra` more bytes plus the NUL. */
static vp_code buf_reserve(struct vp_buf *buf, size_t extra)
{
	size_t need, size;
	char *grown;

	if (extra > buf->max - buf->len)
		return VP_ERR_NOMEM;
	need = buf->len + extra + 1;
	if (need <= buf->alloc)
		return VP_OK;
	size = buf->alloc ? buf->alloc : 64;
	while (size < need)
		size *= 2;
	if (size > buf->max + 1)
		size = buf->max + 1;
	grown = realloc(buf->data, size);
	if (!grown)
		return VP_ERR_NOMEM;
	buf->data = grown;
	buf->alloc = size;
	return VP_OK;
}

vp_code vp_buf_append(struct vp_buf *buf, const void *bytes, size_t len)
{
	vp_code rc = buf_reserve(buf, len);
	if (rc != VP_OK)
		return rc;
	if (len)
		memcpy(buf->data + buf->len, bytes, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return VP_OK;
}

vp_code vp_buf_appends(struct vp_buf *buf, const char *str)
{
	return vp_buf_append(buf, str, strlen(str));
}

vp_code vp_buf_appendf(struct vp_buf *buf, const char *fmt, ...)
{
	va_list ap;
	int n;
	vp_code rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return VP_ERR_INVALID;
	rc = buf_reserve(buf, (size_t)n);
	if (rc != VP_OK)
		return rc;
	va_start(ap, fmt);
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf->len += (size_t)n;
	return VP_OK;
}

const char *vp_buf_str(const struct vp_buf *buf)
{
	return buf->data ? buf->data : "";
}

char *vp_buf_steal(struct vp_buf *buf)
{
	char *out = buf->data ? buf->data : strdup("");
	buf->data = NULL;
	buf->len = 0;
	buf->alloc = 0;
	return out;
}
