/* SPDX-License-Identifier: Apache-2.0 */
#include "registry/url.h"

#include <string.h>

#include "core/redact.h"

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);
	return len >= plen && memcmp(s, prefix, plen) == 0;
}

vp_code vp_registry_url_parse(const char *url, size_t len, struct vp_registry_url *out,
			      struct vp_error *err)
{
	struct vp_registry_url parsed;
	size_t scheme_len;

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "empty database URL (use sqlite:PATH or postgresql://...)");
	if (len > VP_REGISTRY_URL_CAP)
		return vp_fail(err, VP_ERR_INVALID, "database URL is %zu bytes, longer than %d",
			       len, VP_REGISTRY_URL_CAP);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)url[i] < 0x20 || url[i] == 0x7f)
			return vp_fail(err, VP_ERR_INVALID,
				       "database URL has a control character at byte %zu", i);
	if (has_prefix(url, len, "sqlite:")) {
		scheme_len = strlen("sqlite:");
		parsed.scheme = VP_REGISTRY_SQLITE;
		/* Accept sqlite://PATH too, as many tools write it. */
		if (has_prefix(url + scheme_len, len - scheme_len, "//"))
			scheme_len += 2;
		if (len == scheme_len)
			return vp_fail(err, VP_ERR_INVALID,
				       "database URL '%.*s' has no path (use sqlite:PATH)",
				       (int)len, url);
		if (len - scheme_len == strlen(":memory:") &&
		    memcmp(url + scheme_len, ":memory:", len - scheme_len) == 0)
			return vp_fail(err, VP_ERR_INVALID,
				       "sqlite::memory: is not durable and not shared between "
				       "connections; use a file");
		memcpy(parsed.target, url + scheme_len, len - scheme_len);
		parsed.target[len - scheme_len] = '\0';
		memcpy(parsed.shown, url, len);
		parsed.shown[len] = '\0';
	} else if (has_prefix(url, len, "postgresql://") || has_prefix(url, len, "postgres://")) {
		parsed.scheme = VP_REGISTRY_POSTGRES;
		scheme_len = has_prefix(url, len, "postgres://") ? strlen("postgres://")
								 : strlen("postgresql://");
		memcpy(parsed.target, url, len);
		parsed.target[len] = '\0';
		vp_redact(url, len, parsed.shown, sizeof(parsed.shown));
	} else {
		const char *colon = memchr(url, ':', len);
		int shown = colon ? (int)(colon - url) : (int)len;
		return vp_fail(
			err, VP_ERR_INVALID,
			"unknown database scheme '%.*s' (use sqlite:PATH or postgresql://...)",
			shown > 64 ? 64 : shown, url);
	}
	*out = parsed;
	return VP_OK;
}
