/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A growable byte buffer with a hard size cap, always NUL-terminated.
 *
 * Storage is caller-owned: vp_buf_init() before use, vp_buf_cleanup() after
 * (which frees the bytes; safe to call twice). An append that would pass the
 * cap, or cannot allocate, fails and leaves the contents as they were.
 */
#ifndef VP_CORE_BUF_H
#define VP_CORE_BUF_H

#include <stddef.h>

#include "core/error.h"

struct vp_buf {
	char *data;   /* NULL until the first append; then NUL-terminated */
	size_t len;   /* bytes held, not counting the terminating NUL */
	size_t alloc; /* bytes allocated */
	size_t max;   /* cap on len */
};

void vp_buf_init(struct vp_buf *buf, size_t max);
void vp_buf_cleanup(struct vp_buf *buf);
/* Empty the buffer, keeping its allocation. */
void vp_buf_reset(struct vp_buf *buf);

/* VP_ERR_NOMEM when the cap would be passed or memory runs out. */
VP_NODISCARD vp_code vp_buf_append(struct vp_buf *buf, const void *bytes, size_t len);
VP_NODISCARD vp_code vp_buf_appends(struct vp_buf *buf, const char *str);
VP_NODISCARD vp_code vp_buf_appendf(struct vp_buf *buf, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The contents as a string ("" when empty); valid until the next change. */
const char *vp_buf_str(const struct vp_buf *buf);

/*
 * Hand the contents to the caller, who frees them with free(); the buffer is
 * left empty. An empty buffer gives ""; NULL only when memory runs out.
 */
char *vp_buf_steal(struct vp_buf *buf);

#endif
