/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A URL split into its parts by libcurl's URL API (RFC 3986 as curl reads
 * it), so that no module repeats the curl_url()/curl_url_get()/curl_free()
 * sequence. Caller-owned storage: vp_url_cleanup() frees the parts (twice is
 * a no-op).
 */
#ifndef VP_CORE_URL_H
#define VP_CORE_URL_H
#include <stdbool.h>

#include "core/error.h"

struct vp_url {
	char *scheme;   /* lower case, always set */
	char *host;     /* always set; an IPv6 address keeps its brackets: "[::1]" */
	char *port;     /* NULL when the URL names none */
	char *path;     /* "/" when the URL names none */
	char *query;    /* NULL when absent; without the '?' */
	char *user;     /* NULL when absent */
	char *fragment; /* NULL when absent; without the '#' */
};

/*
 * Split url. VP_ERR_INVALID ("'URL' is not a URL: <curl's reason>", the URL
 * cut to 200 characters) for anything curl refuses or without a host;
 * VP_ERR_NOMEM. On failure *out is zeroed, nothing to clean up.
 */
VP_NODISCARD vp_code vp_url_parse(const char *url, struct vp_url *out, struct vp_error *err);
void vp_url_cleanup(struct vp_url *u);

/*
 * Whether a URL's host (as vp_url_parse gives it) names this machine: the
 * name "localhost", an IPv4 address in 127.0.0.0/8 or the IPv6 address ::1
 * (in brackets), decided from the parsed address, never from a prefix of the
 * text ("127.evil.example" is a DNS name, not loopback).
 */
bool vp_url_host_is_loopback(const char *host);

#endif
