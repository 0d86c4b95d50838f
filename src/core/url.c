/* SPDX-License-Identifier: Apache-2.0 */
#include "core/url.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

/* An optional part: NULL when the URL has none. */
static CURLUcode get_optional(CURLU *h, CURLUPart part, char **out)
{
	CURLUcode rc = curl_url_get(h, part, out, 0);

	if (rc == CURLUE_NO_PORT || rc == CURLUE_NO_QUERY || rc == CURLUE_NO_USER ||
	    rc == CURLUE_NO_FRAGMENT) {
		*out = NULL;
		return CURLUE_OK;
	}
	return rc;
}

vp_code vp_url_parse(const char *url, struct vp_url *out, struct vp_error *err)
{
	CURLU *h = curl_url();
	struct vp_url u;
	CURLUcode rc;

	memset(out, 0, sizeof(*out));
	memset(&u, 0, sizeof(u));
	if (!h)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory parsing a URL");
	rc = curl_url_set(h, CURLUPART_URL, url ? url : "", 0);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_SCHEME, &u.scheme, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_HOST, &u.host, 0);
	if (rc == CURLUE_OK)
		rc = curl_url_get(h, CURLUPART_PATH, &u.path, 0);
	if (rc == CURLUE_OK)
		rc = get_optional(h, CURLUPART_PORT, &u.port);
	if (rc == CURLUE_OK)
		rc = get_optional(h, CURLUPART_QUERY, &u.query);
	if (rc == CURLUE_OK)
		rc = get_optional(h, CURLUPART_USER, &u.user);
	if (rc == CURLUE_OK)
		rc = get_optional(h, CURLUPART_FRAGMENT, &u.fragment);
	curl_url_cleanup(h);
	if (rc != CURLUE_OK) {
		vp_url_cleanup(&u);
		if (rc == CURLUE_OUT_OF_MEMORY)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory parsing a URL");
		return vp_fail(err, VP_ERR_INVALID, "'%.200s' is not a URL: %s", url ? url : "",
			       curl_url_strerror(rc));
	}
	*out = u;
	return VP_OK;
}

void vp_url_cleanup(struct vp_url *u)
{
	if (!u)
		return;
	curl_free(u->scheme);
	curl_free(u->host);
	curl_free(u->port);
	curl_free(u->path);
	curl_free(u->query);
	curl_free(u->user);
	curl_free(u->fragment);
	memset(u, 0, sizeof(*u));
}

bool vp_url_host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char inner[INET6_ADDRSTRLEN + 1];
	size_t len = host ? strlen(host) : 0;

	if (len == 0)
		return false;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (host[0] != '[' || host[len - 1] != ']' || len - 2 >= sizeof(inner))
		return false;
	memcpy(inner, host + 1, len - 2);
	inner[len - 2] = '\0';
	if (inet_pton(AF_INET6, inner, &v6) != 1)
		return false;
	if (IN6_IS_ADDR_V4MAPPED(&v6))
		return v6.s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(&v6);
}
