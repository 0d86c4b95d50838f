/* SPDX-License-Identifier: Apache-2.0 */
#include "addr/cidr.h"

#include <stdio.h>
#include <string.h>

/* Shown in messages: the input, cut to a readable length and made printable. */
static const char *quote_input(const char *str, size_t len, char out[64])
{
	size_t n = len < 40 ? len : 40;
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (str[i] >= 0x20 && str[i] < 0x7f) ? str[i] : '?';
	if (n < len) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Read a decimal number of at most `max_digits` digits at str[*pos]. Returns
 * the number of digits read (0 when none); the value goes to *value.
 */
static size_t read_decimal(const char *str, size_t len, size_t *pos, unsigned max_digits,
			   unsigned *value)
{
	size_t start = *pos;
	unsigned v = 0;

	while (*pos < len && is_digit(str[*pos]) && *pos - start < max_digits) {
		v = v * 10 + (unsigned)(str[*pos] - '0');
		(*pos)++;
	}
	*value = v;
	return *pos - start;
}

/* Parse the address part str[0..len); its own errors name `whole` for context. */
static vp_code parse_octets(const char *str, size_t len, const char *whole, uint32_t *out,
			    struct vp_error *err)
{
	uint32_t addr = 0;
	size_t pos = 0;

	for (int octet = 0; octet < 4; octet++) {
		size_t start = pos;
		unsigned value;
		size_t digits;

		if (octet > 0) {
			if (pos >= len)
				return vp_fail(err, VP_ERR_INVALID,
					       "'%s' has %d parts; an IPv4 address has 4 (A.B.C.D)",
					       whole, octet);
			if (str[pos] != '.')
				return vp_fail(err, VP_ERR_INVALID,
					       "'%s': unexpected '%c' after part %d of the address",
					       whole, str[pos], octet);
			pos++;
			start = pos;
		}
		digits = read_decimal(str, len, &pos, 4, &value);
		if (digits == 0)
			return vp_fail(err, VP_ERR_INVALID,
				       pos >= len ? "'%s': part %d of the address is missing"
						  : "'%s': part %d of the address is not a number",
				       whole, octet + 1);
		if (digits > 1 && str[start] == '0')
			return vp_fail(err, VP_ERR_INVALID,
				       "'%s': part %d has a leading zero (ambiguous; write it "
				       "without the zero)",
				       whole, octet + 1);
		if (digits > 3)
			return vp_fail(err, VP_ERR_RANGE, "'%s': part %d has more than 3 digits",
				       whole, octet + 1);
		if (value > 255)
			return vp_fail(err, VP_ERR_RANGE, "'%s': part %d is %u, more than 255",
				       whole, octet + 1, value);
		addr = (addr << 8) | value;
	}
	if (pos != len)
		return vp_fail(err, VP_ERR_INVALID, "'%s': unexpected text after the address",
			       whole);
	*out = addr;
	return VP_OK;
}

vp_code vp_ipv4_parse(const char *str, size_t len, uint32_t *out, struct vp_error *err)
{
	char shown[64];

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "empty IPv4 address");
	return parse_octets(str, len, quote_input(str, len, shown), out, err);
}

vp_code vp_cidr_parse(const char *str, size_t len, struct vp_cidr *out, struct vp_error *err)
{
	char shown[64];
	const char *slash;
	size_t addr_len, pos;
	unsigned prefix;
	uint32_t addr;
	vp_code rc;

	if (len == 0)
		return vp_fail(err, VP_ERR_INVALID, "empty CIDR block (expected A.B.C.D/P)");
	quote_input(str, len, shown);
	slash = memchr(str, '/', len);
	if (!slash)
		return vp_fail(err, VP_ERR_INVALID,
			       "'%s' has no prefix length (expected A.B.C.D/P, e.g. 10.0.0.0/8)",
			       shown);
	addr_len = (size_t)(slash - str);
	if (addr_len == 0)
		return vp_fail(err, VP_ERR_INVALID, "'%s' has no address before the '/'", shown);
	rc = parse_octets(str, addr_len, shown, &addr, err);
	if (rc != VP_OK)
		return rc;

	pos = addr_len + 1;
	if (pos == len)
		return vp_fail(err, VP_ERR_INVALID, "'%s' has no prefix length after the '/'",
			       shown);
	if (!is_digit(str[pos]))
		return vp_fail(err, VP_ERR_INVALID, "'%s': the prefix length is not a number",
			       shown);
	if (str[pos] == '0' && pos + 1 < len && is_digit(str[pos + 1]))
		return vp_fail(err, VP_ERR_INVALID, "'%s': the prefix length has a leading zero",
			       shown);
	read_decimal(str, len, &pos, 3, &prefix);
	if (pos < len && is_digit(str[pos]))
		return vp_fail(err, VP_ERR_RANGE, "'%s': the prefix length is more than 32", shown);
	if (pos != len)
		return vp_fail(err, VP_ERR_INVALID, "'%s': unexpected text after the prefix length",
			       shown);
	if (prefix > 32)
		return vp_fail(err, VP_ERR_RANGE, "'%s': the prefix length %u is more than 32",
			       shown, prefix);
	if (addr & ~vp_prefix_mask(prefix)) {
		char fixed[VP_CIDR_STRLEN];
		struct vp_cidr network = {addr & vp_prefix_mask(prefix), (uint8_t)prefix};
		return vp_fail(err, VP_ERR_INVALID,
			       "'%s' has host bits set; the block's network address is %s", shown,
			       vp_cidr_format(network, fixed));
	}
	out->addr = addr;
	out->prefix = (uint8_t)prefix;
	return VP_OK;
}

char *vp_ipv4_format(uint32_t addr, char *out)
{
	snprintf(out, VP_IPV4_STRLEN, "%u.%u.%u.%u", (addr >> 24) & 0xffu, (addr >> 16) & 0xffu,
		 (addr >> 8) & 0xffu, addr & 0xffu);
	return out;
}

char *vp_cidr_format(struct vp_cidr cidr, char *out)
{
	uint32_t a = cidr.addr;

	snprintf(out, VP_CIDR_STRLEN, "%u.%u.%u.%u/%u", (a >> 24) & 0xffu, (a >> 16) & 0xffu,
		 (a >> 8) & 0xffu, a & 0xffu, cidr.prefix & 0x3fu);
	return out;
}

uint32_t vp_prefix_mask(unsigned prefix)
{
	return prefix == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - prefix));
}

uint64_t vp_cidr_size(struct vp_cidr cidr)
{
	return (uint64_t)1 << (32 - cidr.prefix);
}

uint32_t vp_cidr_last(struct vp_cidr cidr)
{
	return cidr.addr | ~vp_prefix_mask(cidr.prefix);
}

bool vp_cidr_overlaps(struct vp_cidr a, struct vp_cidr b)
{
	return a.addr <= vp_cidr_last(b) && b.addr <= vp_cidr_last(a);
}

bool vp_cidr_contains(struct vp_cidr outer, struct vp_cidr inner)
{
	return inner.prefix >= outer.prefix && inner.addr >= outer.addr &&
	       vp_cidr_last(inner) <= vp_cidr_last(outer);
}

bool vp_cidr_equal(struct vp_cidr a, struct vp_cidr b)
{
	return a.addr == b.addr && a.prefix == b.prefix;
}
