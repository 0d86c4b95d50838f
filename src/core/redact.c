/* SPDX-License-Identifier: Apache-2.0 */
#include "core/redact.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define MASK "***"

struct out {
	char *p;
	size_t cap, len;
};

static void put(struct out *o, const char *s, size_t n)
{
	size_t room = o->cap - 1 - o->len;

	if (n > room)
		n = room;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Where a URL's authority or a parameter's value ends. */
static bool ends_authority(char c)
{
	return c == '/' || c == '?' || c == '#' || c == ' ' || c == '\t' || c == '"' || c == '\'' ||
	       c == '\n';
}

static bool ends_value(char c)
{
	return c == '&' || c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ';' || c == ',' ||
	       c == '\n' || c == ')';
}

/* At in[i] "://": the length of the userinfo's password after the ':' (0: none) and where. */
static size_t userinfo_password(const char *in, size_t len, size_t i, size_t *start)
{
	size_t a = i + 3, end = a, at = 0, colon = 0;
	bool has_at = false;

	while (end < len && !ends_authority(in[end]))
		end++;
	for (size_t k = a; k < end; k++)
		if (in[k] == '@') {
			at = k;
			has_at = true;
		}
	if (!has_at)
		return 0;
	for (size_t k = a; k < at && !colon; k++)
		if (in[k] == ':')
			colon = k;
	if (!colon)
		return 0;
	*start = colon + 1;
	return at - colon - 1;
}

size_t vp_redact(const char *in, size_t len, char *out, size_t cap)
{
	static const char key[] = "password=";
	const size_t key_len = sizeof(key) - 1;
	struct out o = {out, cap, 0};
	size_t i = 0;

	if (cap == 0)
		return 0;
	while (i < len) {
		size_t start, n;
		if (i + 3 <= len && memcmp(in + i, "://", 3) == 0) {
			n = userinfo_password(in, len, i, &start);
			if (n) {
				put(&o, in + i, start - i);
				put(&o, MASK, strlen(MASK));
				i = start + n;
				continue;
			}
		}
		if (i + key_len <= len && strncasecmp(in + i, key, key_len) == 0) {
			put(&o, in + i, key_len);
			put(&o, MASK, strlen(MASK));
			i += key_len;
			while (i < len && !ends_value(in[i]))
				i++;
			continue;
		}
		put(&o, in + i, 1);
		i++;
	}
	out[o.len] = '\0';
	return o.len;
}
