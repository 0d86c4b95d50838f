/* SPDX-License-Identifier: Apache-2.0 */
#include "api/query.h"

#include <stdbool.h>
#include <string.h>

#include "core/ids.h"
#include "core/num.h"
#include "registry/registry.h"
#include "registry/state.h"

/* The longest decoded value: a list of every state name. */
#define VALUE_MAX 64

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..len) into out (NUL-terminated). False when malformed or too long. */
static bool decode(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;
			if (len - i < 3)
				return false;
			hi = hex_value(s[i + 1]);
			lo = hex_value(s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		/* A decoded control character (NUL included) is never a valid value. */
		if ((unsigned char)c < 0x20 || c == 0x7f || o + 1 >= size)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

static vp_code parse_states(const char *value, unsigned *out, struct vp_error *err)
{
	unsigned states = 0;
	const char *p = value;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char name[VALUE_MAX + 1];
		enum vp_ns_state s;

		memcpy(name, p, len);
		name[len] = '\0';
		if (vp_registry_state_parse(name, &s, err) != VP_OK) {
			vp_error_prefix(err, "state");
			return VP_ERR_INVALID;
		}
		states |= VP_NS_STATE_BIT(s);
		if (!comma)
			break;
		p = comma + 1;
	}
	*out = states;
	return VP_OK;
}

enum { P_STATE = 1, P_ACCOUNT = 2, P_CURSOR = 4, P_LIMIT = 8 };

vp_code vp_list_query_parse(const char *query, size_t len, struct vp_list_query *out,
			    struct vp_error *err)
{
	struct vp_list_query q = {0, "", 0, VP_LIST_LIMIT_DEFAULT};
	unsigned seen = 0;
	size_t at = 0;

	if (len > VP_LIST_QUERY_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the query string is longer than %d bytes",
			       VP_LIST_QUERY_MAX);
	while (at < len) {
		const char *pair = query + at, *amp, *eq;
		size_t pair_len, name_len, value_len;
		char value[VALUE_MAX + 1];
		struct vp_error num_err;
		unsigned which;
		int64_t n;

		amp = memchr(pair, '&', len - at);
		pair_len = amp ? (size_t)(amp - pair) : len - at;
		at += pair_len + 1;
		if (pair_len == 0)
			continue; /* "a=1&&b=2", a trailing '&' */
		eq = memchr(pair, '=', pair_len);
		name_len = eq ? (size_t)(eq - pair) : pair_len;
		value_len = eq ? pair_len - name_len - 1 : 0;
		if (name_len == 5 && memcmp(pair, "state", 5) == 0)
			which = P_STATE;
		else if (name_len == 7 && memcmp(pair, "account", 7) == 0)
			which = P_ACCOUNT;
		else if (name_len == 6 && memcmp(pair, "cursor", 6) == 0)
			which = P_CURSOR;
		else if (name_len == 5 && memcmp(pair, "limit", 5) == 0)
			which = P_LIMIT;
		else
			return vp_fail(err, VP_ERR_INVALID,
				       "unknown query parameter '%.*s' (state, account, cursor, "
				       "limit)",
				       (int)(name_len > 32 ? 32 : name_len), pair);
		if (seen & which)
			return vp_fail(err, VP_ERR_INVALID, "query parameter '%.*s' is given twice",
				       (int)name_len, pair);
		seen |= which;
		if (!decode(eq ? eq + 1 : pair, value_len, value, sizeof(value)) || !value[0])
			return vp_fail(err, VP_ERR_INVALID,
				       "query parameter '%.*s' has an empty, malformed or too long "
				       "value",
				       (int)name_len, pair);
		switch (which) {
		case P_STATE:
			if (parse_states(value, &q.states, err) != VP_OK)
				return VP_ERR_INVALID;
			break;
		case P_ACCOUNT:
			if (vp_ids_account_check(value, err) != VP_OK) {
				vp_error_prefix(err, "account");
				return VP_ERR_INVALID;
			}
			memcpy(q.account, value, sizeof(q.account));
			break;
		case P_CURSOR:
			if (vp_parse_int64(value, 0, INT64_MAX, "cursor", &n, &num_err) != VP_OK)
				return vp_fail(err, VP_ERR_INVALID, "%s", num_err.message);
			q.cursor = n;
			break;
		default:
			if (vp_parse_int64(value, 1, VP_LIST_LIMIT_MAX, "limit", &n, &num_err) !=
			    VP_OK)
				return vp_fail(err, VP_ERR_INVALID, "%s", num_err.message);
			q.limit = (unsigned)n;
		}
	}
	*out = q;
	return VP_OK;
}
