/* SPDX-License-Identifier: Apache-2.0 */
/* Probe targets: HOST:PORT or an http(s) URL, checked before anything is sent. */
#include "probe/target.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "core/url.h"

#define FORMS "HOST:PORT, [IPV6]:PORT, http://HOST[:PORT]/PATH or https://..."

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* 1..65535, plain decimal: no sign, no leading zero, at most five digits. */
static bool parse_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long v = 0;

	if (len == 0 || len > 5 || s[0] == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

static bool name_char(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
	       c == '_';
}

/*
 * A DNS name: labels of 1..63 name characters, not starting or ending with
 * '-', an optional final dot, and a last label that is not all digits (else
 * the resolver's inet_aton would read "10.1.2" as the address 10.1.0.2).
 */
static bool valid_name(const char *s, size_t len)
{
	size_t label = 0, last_start = 0;
	bool last_all_digits = true;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > VP_PROBE_HOST_MAX)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			last_all_digits = true;
			for (size_t j = last_start; j < i; j++)
				last_all_digits = last_all_digits && is_digit(s[j]);
			label = 0;
			last_start = i + 1;
			continue;
		}
		if (!name_char(s[i]) || (label == 0 && s[i] == '-'))
			return false;
		label++;
	}
	return !last_all_digits;
}

/*
 * host[0..len) as an address or a name into out->host and out->family.
 * bracketed: the text was inside [...], so only an IPv6 address will do.
 */
static vp_code set_host(const char *host, size_t len, bool bracketed, struct vp_probe_target *out,
			struct vp_error *err)
{
	unsigned char addr[16];
	char copy[VP_PROBE_HOST_MAX + 1];

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "the host is empty (expected " FORMS ")");
	if (len > VP_PROBE_HOST_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the host is longer than %d characters",
			       VP_PROBE_HOST_MAX);
	memcpy(copy, host, len);
	copy[len] = '\0';
	if (bracketed) {
		if (inet_pton(AF_INET6, copy, addr) != 1)
			return vp_fail(
				err, VP_ERR_INVALID,
				"'[%.60s]' is not an IPv6 address (no zone: '%%' is refused)",
				copy);
		out->family = AF_INET6;
	} else if (memchr(copy, ':', len)) {
		return vp_fail(err, VP_ERR_INVALID,
			       "'%.60s' has a ':' in its host: an IPv6 address goes in brackets, "
			       "[ADDR]:PORT",
			       copy);
	} else if (inet_pton(AF_INET, copy, addr) == 1) {
		out->family = AF_INET;
	} else if (valid_name(copy, len)) {
		out->family = AF_UNSPEC;
	} else {
		return vp_fail(err, VP_ERR_INVALID,
			       "'%.60s' is neither an IPv4 address (four dotted parts) nor a DNS "
			       "name (letters, digits, '-', labels of 1..63)",
			       copy);
	}
	memcpy(out->host, copy, len + 1);
	return VP_OK;
}

/*
 * HOST:PORT, [IPV6]:PORT, or (port_optional, in a URL) the same without
 * ":PORT", which leaves out->port as it was.
 */
static vp_code parse_authority(const char *s, size_t len, bool port_optional,
			       struct vp_probe_target *out, struct vp_error *err)
{
	const char *host = s, *colon = NULL;
	size_t host_len;
	bool bracketed = false;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return vp_fail(err, VP_ERR_INVALID, "'[' without its ']' in '%.80s'",
				       out->text);
		host = s + 1;
		host_len = (size_t)(close - host);
		bracketed = true;
		if (close + 1 < s + len) {
			if (close[1] != ':')
				return vp_fail(err, VP_ERR_INVALID,
					       "after ']' comes ':PORT' in '%.80s'", out->text);
			colon = close + 1;
		}
	} else {
		for (size_t i = len; i > 0; i--) {
			if (s[i - 1] == ':') {
				colon = s + i - 1;
				break;
			}
		}
		host_len = colon ? (size_t)(colon - s) : len;
	}
	if (!colon && !port_optional)
		return vp_fail(err, VP_ERR_INVALID, "'%.80s' has no port (expected " FORMS ")",
			       out->text);
	if (colon && !parse_port(colon + 1, (size_t)(s + len - colon - 1), &out->port))
		return vp_fail(err, VP_ERR_INVALID,
			       "the port of '%.80s' must be 1..65535 in plain decimal", out->text);
	return set_host(host, host_len, bracketed, out, err);
}

static vp_code parse_url(const char *text, size_t scheme_len, struct vp_probe_target *out,
			 struct vp_error *err)
{
	const char *auth = text + scheme_len + 3; /* past "://" */
	size_t auth_len = strcspn(auth, "/?#");
	struct vp_url url;
	vp_code rc;

	if (memchr(auth, '@', auth_len))
		return vp_fail(err, VP_ERR_INVALID,
			       "the URL carries a user or password: leave them out, the probe "
			       "prints its targets");
	out->port = out->kind == VP_PROBE_HTTPS ? 443 : 80;
	rc = parse_authority(auth, auth_len, true, out, err);
	if (rc != VP_OK)
		return rc;
	/* The rest of the URL as libcurl, which will send it, reads it. */
	rc = vp_url_parse(text, &url, err);
	if (rc != VP_OK)
		return rc;
	/* curl rewrites some hosts ("10.1.2" to "10.1.0.2"): it must read ours as we do. */
	size_t host_len = strlen(url.host);
	bool same = url.host[0] == '['
			    ? host_len >= 2 && strlen(out->host) == host_len - 2 &&
				      strncasecmp(url.host + 1, out->host, host_len - 2) == 0
			    : strcasecmp(url.host, out->host) == 0;
	vp_url_cleanup(&url);
	if (!same)
		return vp_fail(err, VP_ERR_INVALID, "libcurl reads the host of '%.80s' otherwise",
			       text);
	return VP_OK;
}

vp_code vp_probe_target_parse(const char *text, size_t len, struct vp_probe_target *out,
			      struct vp_error *err)
{
	struct vp_probe_target t;
	vp_code rc;

	memset(&t, 0, sizeof(t));
	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "an empty target (expected " FORMS ")");
	if (len > VP_PROBE_TARGET_MAX)
		return vp_fail(err, VP_ERR_INVALID, "a target longer than %d characters",
			       VP_PROBE_TARGET_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c <= ' ' || c >= 0x7f)
			return vp_fail(err, VP_ERR_INVALID,
				       "a target is printable ASCII without spaces (byte %zu is "
				       "0x%02x)",
				       i, c);
	}
	memcpy(t.text, text, len);
	t.text[len] = '\0';
	if (len > 7 && strncasecmp(t.text, "http://", 7) == 0) {
		t.kind = VP_PROBE_HTTP;
		rc = parse_url(t.text, 4, &t, err);
	} else if (len > 8 && strncasecmp(t.text, "https://", 8) == 0) {
		t.kind = VP_PROBE_HTTPS;
		rc = parse_url(t.text, 5, &t, err);
	} else if (strstr(t.text, "://")) {
		return vp_fail(err, VP_ERR_INVALID,
			       "'%.80s': only http:// and https:// URLs (or HOST:PORT for TCP)",
			       t.text);
	} else {
		t.kind = VP_PROBE_TCP;
		rc = parse_authority(t.text, len, false, &t, err);
	}
	if (rc != VP_OK)
		return rc;
	*out = t;
	return VP_OK;
}

const char *vp_probe_kind_name(enum vp_probe_kind kind)
{
	switch (kind) {
	case VP_PROBE_TCP:
		return "tcp";
	case VP_PROBE_HTTP:
		return "http";
	case VP_PROBE_HTTPS:
		return "https";
	}
	return "tcp";
}
