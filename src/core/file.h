/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a small file whole (tokens, PEM files, AWS config files), bounded.
 */
#ifndef VP_CORE_FILE_H
#define VP_CORE_FILE_H
#include <stddef.h>
#include "core/error.h"

/*
 * Read the file at path, at most max bytes, into a new NUL-terminated buffer:
 * *out (the caller's to free; to wipe first when it holds a secret) and *len
 * (may be NULL). Errors, each naming the path: VP_ERR_NOT_FOUND when it does
 * not exist (ENOENT, ENOTDIR), VP_ERR_IO when it cannot be read,
 * VP_ERR_RANGE when it is larger than max, VP_ERR_NOMEM. On failure nothing
 * is allocated and the outputs are untouched; what was read is wiped.
 */
VP_NODISCARD vp_code vp_file_read(const char *path, size_t max, char **out, size_t *len,
				  struct vp_error *err);

#endif
