/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Registry URLs: which backend, and where.
 *   sqlite:PATH                         a file (created when missing)
 *   postgresql://... or postgres://...  handed to libpq as given
 * The parser takes (pointer, length), refuses control characters and
 * anything past VP_REGISTRY_URL_MAX, and makes a copy safe to show in
 * messages (a PostgreSQL password, in the userinfo or a password= parameter,
 * replaced by "***": core/redact.h).
 */
#ifndef VP_REGISTRY_URL_H
#define VP_REGISTRY_URL_H

#include <stddef.h>

#include "core/error.h"

#define VP_REGISTRY_URL_CAP 1024 /* == VP_REGISTRY_URL_MAX */

enum vp_registry_scheme { VP_REGISTRY_SQLITE, VP_REGISTRY_POSTGRES };

struct vp_registry_url {
	enum vp_registry_scheme scheme;
	char target[VP_REGISTRY_URL_CAP + 1]; /* SQLite: the path; PostgreSQL: the whole URL */
	char shown[VP_REGISTRY_URL_CAP + 1];  /* for messages: no password */
};

/* VP_ERR_INVALID naming the problem (unknown scheme, empty path, ...). */
VP_NODISCARD vp_code vp_registry_url_parse(const char *url, size_t len, struct vp_registry_url *out,
					   struct vp_error *err);

#endif
