/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The PROXY v2 layout (haproxy's proxy-protocol.txt, section 2.2):
 *   12 bytes  signature \r\n\r\n\0\r\nQUIT\n
 *    1 byte   version (high nibble, 2) and command (low: 0 LOCAL, 1 PROXY)
 *    1 byte   family (high: 1 INET, 2 INET6) and transport (low: 1 STREAM)
 *    2 bytes  length of what follows, network order
 *   then      source address, destination address, source port, destination port
 *             (12 bytes for IPv4, 36 for IPv6), then TLVs up to the length.
 */
#include "api/proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

static const unsigned char SIGNATURE[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
					    0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

/* One address (no port) into family and 4 or 16 bytes; false when it is none. */
static bool parse_addr(const char *s, int *family, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static vp_code parse_range(const char *s, size_t len, struct vp_proxy_range *out,
			   struct vp_error *err)
{
	char text[64];
	char *slash;
	unsigned max, prefix = 0;

	if (len == 0 || len >= sizeof(text))
		return vp_fail(err, VP_ERR_INVALID, "'%.*s' is not a CIDR block", (int)len, s);
	memcpy(text, s, len);
	text[len] = '\0';
	slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	memset(out, 0, sizeof(*out));
	if (!parse_addr(text, &out->family, out->addr))
		return vp_fail(err, VP_ERR_INVALID,
			       "'%s' is not a CIDR block (as in 10.0.0.0/16 or 2001:db8::/32)",
			       text);
	max = out->family == AF_INET ? 32 : 128;
	if (!slash) {
		out->prefix = max;
		return VP_OK;
	}
	for (const char *p = slash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || p - slash > 3)
			return vp_fail(err, VP_ERR_INVALID, "'%.*s': the prefix must be 0..%u",
				       (int)len, s, max);
		prefix = prefix * 10 + (unsigned)(*p - '0');
	}
	if (!slash[1] || prefix > max)
		return vp_fail(err, VP_ERR_INVALID, "'%.*s': the prefix must be 0..%u", (int)len, s,
			       max);
	out->prefix = prefix;
	return VP_OK;
}

vp_code vp_proxy_trust_parse(const char *list, struct vp_proxy_trust *out, struct vp_error *err)
{
	struct vp_proxy_trust t;
	const char *p = list ? list : "";

	memset(&t, 0, sizeof(t));
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *s = p;
		size_t n = len;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (n) {
			if (t.count == VP_PROXY_TRUST_MAX)
				return vp_fail(err, VP_ERR_INVALID,
					       "at most %d trusted proxy ranges",
					       VP_PROXY_TRUST_MAX);
			if (parse_range(s, n, &t.ranges[t.count], err) != VP_OK)
				return err ? err->code : VP_ERR_INVALID;
			t.count++;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = t;
	return VP_OK;
}

static bool in_range(const struct vp_proxy_range *r, const unsigned char *addr)
{
	unsigned full = r->prefix / 8, rest = r->prefix % 8;

	if (memcmp(r->addr, addr, full) != 0)
		return false;
	if (rest) {
		unsigned char mask = (unsigned char)(0xff << (8 - rest));
		if ((r->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

static bool trusted_bytes(const struct vp_proxy_trust *trust, int family, const unsigned char *a)
{
	for (size_t i = 0; i < trust->count; i++)
		if (trust->ranges[i].family == family && in_range(&trust->ranges[i], a))
			return true;
	return false;
}

bool vp_proxy_trusted(const struct vp_proxy_trust *trust, const struct sockaddr *sa)
{
	if (!trust || !sa)
		return false;
	if (sa->sa_family == AF_INET)
		return trusted_bytes(
			trust, AF_INET,
			(const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return trusted_bytes(trust, AF_INET6,
				     ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr);
	return false;
}

void vp_proxy_addr_string(const struct sockaddr *sa, char out[VP_PROXY_SOURCE_MAX])
{
	const void *a = NULL;

	if (sa && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, out, VP_PROXY_SOURCE_MAX))
		snprintf(out, VP_PROXY_SOURCE_MAX, "?");
}

vp_code vp_proxy_parse(const unsigned char *buf, size_t len, size_t *need,
		       struct vp_proxy_header *out, struct vp_error *err)
{
	struct vp_proxy_header h;
	size_t cmp = len < sizeof(SIGNATURE) ? len : sizeof(SIGNATURE), total;
	unsigned family;

	if (memcmp(buf, SIGNATURE, cmp) != 0)
		return vp_fail(err, VP_ERR_INVALID, "no PROXY protocol v2 header");
	if (len < VP_PROXY_PREFIX_LEN) {
		*need = VP_PROXY_PREFIX_LEN;
		return VP_OK;
	}
	if ((buf[12] >> 4) != 2 || (buf[12] & 0x0f) > 1)
		return vp_fail(err, VP_ERR_INVALID,
			       "PROXY header: version %u command %u (only 2, LOCAL or PROXY)",
			       (unsigned)(buf[12] >> 4), (unsigned)(buf[12] & 0x0f));
	total = VP_PROXY_PREFIX_LEN + ((size_t)buf[14] << 8 | buf[15]);
	if (total > VP_PROXY_HEADER_MAX)
		return vp_fail(err, VP_ERR_INVALID, "PROXY header of %zu bytes, more than %d",
			       total, VP_PROXY_HEADER_MAX);
	if (len < total) {
		*need = total;
		return VP_OK;
	}
	memset(&h, 0, sizeof(h));
	h.length = total;
	family = buf[13];
	if ((buf[12] & 0x0f) == 0) {
		h.local = true; /* the addresses, if any, are to be ignored */
	} else if (family == 0x11 && total >= VP_PROXY_PREFIX_LEN + 12) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&h.source;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, buf + 16, 4);
		memcpy(&sin->sin_port, buf + 24, 2);
		h.source_len = sizeof(*sin);
	} else if (family == 0x21 && total >= VP_PROXY_PREFIX_LEN + 36) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&h.source;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, buf + 16, 16);
		memcpy(&sin6->sin6_port, buf + 48, 2);
		h.source_len = sizeof(*sin6);
	} else {
		return vp_fail(err, VP_ERR_INVALID,
			       "PROXY header: family 0x%02x with %zu address bytes (only TCP over "
			       "IPv4 or IPv6)",
			       family, total - VP_PROXY_PREFIX_LEN);
	}
	*need = 0;
	*out = h;
	return VP_OK;
}

bool vp_proxy_forwarded_for(const struct vp_proxy_trust *trust, const char *value,
			    char out[VP_PROXY_SOURCE_MAX])
{
	size_t end = value ? strlen(value) : 0;

	while (end > 0) {
		char text[VP_PROXY_SOURCE_MAX];
		unsigned char a[16];
		size_t start = end, n;
		bool leftmost;
		int family;

		while (start > 0 && value[start - 1] != ',')
			start--;
		leftmost = start == 0;
		n = end - start;
		end = start ? start - 1 : 0;
		while (n && (value[start] == ' ' || value[start] == '\t')) {
			start++;
			n--;
		}
		while (n && (value[start + n - 1] == ' ' || value[start + n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof(text))
			return false;
		memcpy(text, value + start, n);
		text[n] = '\0';
		if (!parse_addr(text, &family, a))
			return false;
		if (leftmost || !trusted_bytes(trust, family, a)) {
			/* The canonical spelling, whatever the proxy wrote. */
			return inet_ntop(family, a, out, VP_PROXY_SOURCE_MAX) != NULL;
		}
	}
	return false;
}
