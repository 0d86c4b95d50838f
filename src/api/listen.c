/* SPDX-License-Identifier: Apache-2.0 */
#include "api/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_BACKLOG 511

/* Plain decimal 0..65535, no sign, no leading zeros. */
static bool parse_port(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = v;
	return true;
}

vp_code vp_listen_parse(const char *str, size_t len, struct vp_listen_addr *out,
			struct vp_error *err)
{
	struct vp_listen_addr a;
	char host[VP_LISTEN_MAX + 1];
	const char *colon, *port;
	size_t host_len;

	memset(&a, 0, sizeof(a));
	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "the listen address is empty (use HOST:PORT)");
	if (len > VP_LISTEN_MAX || memchr(str, '\0', len))
		return vp_fail(err, VP_ERR_INVALID,
			       "the listen address is not HOST:PORT of at most %d characters",
			       VP_LISTEN_MAX);
	if (str[0] == '[') {
		const char *close = memchr(str, ']', len);
		if (!close || close + 1 >= str + len || close[1] != ':')
			return vp_fail(err, VP_ERR_INVALID,
				       "'%.*s' is not [IPV6]:PORT (as in [::1]:8080)", (int)len,
				       str);
		host_len = (size_t)(close - str - 1);
		memcpy(host, str + 1, host_len);
		colon = close + 1;
		a.family = AF_INET6;
	} else {
		colon = NULL;
		for (const char *p = str; p < str + len; p++)
			if (*p == ':')
				colon = p;
		if (!colon)
			return vp_fail(err, VP_ERR_INVALID,
				       "'%.*s' has no port (use HOST:PORT, as in 127.0.0.1:8080)",
				       (int)len, str);
		host_len = (size_t)(colon - str);
		memcpy(host, str, host_len);
		a.family = AF_INET;
	}
	host[host_len] = '\0';
	port = colon + 1;
	if (!parse_port(port, (size_t)(str + len - port), &a.port))
		return vp_fail(err, VP_ERR_INVALID, "'%.*s': the port must be a number 0..65535",
			       (int)len, str);
	if (a.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a.sa;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return vp_fail(err, VP_ERR_INVALID, "'%s' is not an IPv6 address", host);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)a.port);
		a.sa_len = sizeof(*sin6);
		a.loopback = IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
		snprintf(a.host, sizeof(a.host), "[%s]", host);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&a.sa;
		if (strcmp(host, "localhost") == 0)
			memcpy(host, "127.0.0.1", sizeof("127.0.0.1"));
		/* inet_pton takes only the dotted quad, not inet_aton's shorthands. */
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return vp_fail(err, VP_ERR_INVALID,
				       "'%s' is not an IPv4 address (IPv6 goes in brackets: "
				       "[::1]:8080)",
				       host);
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)a.port);
		a.sa_len = sizeof(*sin);
		a.loopback = (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		snprintf(a.host, sizeof(a.host), "%s", host);
	}
	*out = a;
	return VP_OK;
}

vp_code vp_listen_open(struct vp_listen_addr *addr, const char *name, int *fd, struct vp_error *err)
{
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);
	int one = 1, s;

	s = socket(addr->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return vp_fail(err, VP_ERR_IO, "cannot create a socket: %s", strerror(errno));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr->family == AF_INET6)
		setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)&addr->sa, addr->sa_len) != 0 ||
	    listen(s, LISTEN_BACKLOG) != 0 ||
	    getsockname(s, (struct sockaddr *)&bound, &bound_len) != 0) {
		int e = errno;
		close(s);
		return vp_fail(err, VP_ERR_IO, "cannot listen on %s: %s", name, strerror(e));
	}
	addr->port =
		ntohs(addr->family == AF_INET6 ? ((const struct sockaddr_in6 *)&bound)->sin6_port
					       : ((const struct sockaddr_in *)&bound)->sin_port);
	*fd = s;
	return VP_OK;
}
