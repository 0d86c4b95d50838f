/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub page's files (src/api/web/), compiled into the binary by
 * cmake/embed_web.cmake: no file to install, nothing fetched at run time.
 * Static data; nothing to free.
 */
#ifndef VP_API_ADMIN_ASSETS_H
#define VP_API_ADMIN_ASSETS_H

#include <stddef.h>

struct vp_admin_asset {
	const char *name; /* "" for index.html (GET /admin/), "app.js", "style.css" */
	const char *content_type;
	const unsigned char *data;
	size_t len;
};

extern const struct vp_admin_asset vp_admin_assets[];
extern const size_t vp_admin_asset_count;

/* The index of the asset served at /admin/NAME, or -1. */
int vp_admin_asset_find(const char *name);

#endif
