/* SPDX-License-Identifier: Apache-2.0 */
#include "core/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

vp_code vp_file_read(const char *path, size_t max, char **out, size_t *len, struct vp_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;
	vp_code rc = VP_OK;

	if (!f)
		return vp_fail(err,
			       errno == ENOENT || errno == ENOTDIR ? VP_ERR_NOT_FOUND : VP_ERR_IO,
			       "cannot read %s: %s", path, strerror(errno));
	/* One byte more than max tells "exactly max" from "larger". */
	if (max == (size_t)-1 || !(buf = malloc(max + 1))) {
		fclose(f);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory reading %s", path);
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f))
		rc = vp_fail(err, VP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
	else if (n > max)
		rc = vp_fail(err, VP_ERR_RANGE, "%s is larger than %zu bytes", path, max);
	fclose(f);
	if (rc != VP_OK) {
		OPENSSL_cleanse(buf, n);
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return VP_OK;
}
