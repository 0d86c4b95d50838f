/* SPDX-License-Identifier: Apache-2.0 */
#include "api/query.h"

#include <stdbool.h>
#include <string.h>

#include "core/ids.h"
#include "core/num.h"
#include "registry/registry.h"
#include "registry/state.h"

/* The longest decoded value of GET /v1/namespaces: a list of every state name. */
#define VALUE_MAX 64
/* The longest of the admin page's (a label K=V). */
#define LONG_VALUE_MAX 330

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

/* ---- one walk over name=value pairs, shared by every parser below ---- */

/* One name=value pair, the value decoded; names[] lists the accepted ones. */
struct query_walk {
	const char *query;
	size_t len, at;
	const char *const *names; /* NULL-terminated */
	const char *expected;     /* for the unknown-parameter message */
	unsigned seen;
};

/* The next pair: *which its index in names, value decoded into value[size]. 0 at the end,
 * 1 for a pair, -1 with err filled. */
static int walk_next(struct query_walk *w, unsigned *which, char *value, size_t size,
		     struct vp_error *err)
{
	while (w->at < w->len) {
		const char *pair = w->query + w->at, *amp, *eq;
		size_t pair_len, name_len, value_len;
		unsigned i;

		amp = memchr(pair, '&', w->len - w->at);
		pair_len = amp ? (size_t)(amp - pair) : w->len - w->at;
		w->at += pair_len + 1;
		if (pair_len == 0)
			continue;
		eq = memchr(pair, '=', pair_len);
		name_len = eq ? (size_t)(eq - pair) : pair_len;
		value_len = eq ? pair_len - name_len - 1 : 0;
		for (i = 0; w->names[i]; i++)
			if (strlen(w->names[i]) == name_len &&
			    memcmp(pair, w->names[i], name_len) == 0)
				break;
		if (!w->names[i]) {
			vp_fail(err, VP_ERR_INVALID, "unknown query parameter '%.*s' (%s)",
				(int)(name_len > 32 ? 32 : name_len), pair, w->expected);
			return -1;
		}
		if (w->seen & (1u << i)) {
			vp_fail(err, VP_ERR_INVALID, "query parameter '%s' is given twice",
				w->names[i]);
			return -1;
		}
		w->seen |= 1u << i;
		if (!decode(eq ? eq + 1 : pair, value_len, value, size) || !value[0]) {
			vp_fail(err, VP_ERR_INVALID,
				"query parameter '%s' has an empty, malformed or too long value",
				w->names[i]);
			return -1;
		}
		*which = i;
		return 1;
	}
	return 0;
}

/* The parameters the list parsers share: account, cursor, limit. */
static vp_code common_param(const char *name, const char *value, char account[13], int64_t *cursor,
			    unsigned *limit, struct vp_error *err)
{
	struct vp_error num_err;
	int64_t n;

	if (strcmp(name, "account") == 0) {
		if (vp_ids_account_check(value, err) != VP_OK) {
			vp_error_prefix(err, "account");
			return VP_ERR_INVALID;
		}
		memcpy(account, value, 13);
	} else if (strcmp(name, "cursor") == 0) {
		if (vp_parse_int64(value, 0, INT64_MAX, "cursor", &n, &num_err) != VP_OK)
			return vp_fail(err, VP_ERR_INVALID, "%s", num_err.message);
		*cursor = n;
	} else {
		if (vp_parse_int64(value, 1, VP_LIST_LIMIT_MAX, "limit", &n, &num_err) != VP_OK)
			return vp_fail(err, VP_ERR_INVALID, "%s", num_err.message);
		*limit = (unsigned)n;
	}
	return VP_OK;
}

/*
 * A page of namespaces or of events: FIRST (state or n, one filter of its own) and the
 * shared account, cursor and limit. n is NULL for a list of namespaces (FIRST is state).
 */
static vp_code parse_page(const char *query, size_t len, const char *const names[],
			  const char *expected, struct vp_list_query *q, int64_t *n,
			  struct vp_error *err)
{
	struct query_walk w = {query, len, 0, names, expected, 0};
	char value[VALUE_MAX + 1];
	struct vp_error num_err;
	unsigned which;
	int got;

	if (len > VP_LIST_QUERY_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the query string is longer than %d bytes",
			       VP_LIST_QUERY_MAX);
	while ((got = walk_next(&w, &which, value, sizeof(value), err)) > 0) {
		if (which == 0 && n) {
			if (vp_parse_int64(value, 1, INT32_MAX, "n", n, &num_err) != VP_OK)
				return vp_fail(err, VP_ERR_INVALID, "%s", num_err.message);
		} else if (which == 0) {
			if (parse_states(value, &q->states, err) != VP_OK)
				return VP_ERR_INVALID;
		} else if (common_param(names[which], value, q->account, &q->cursor, &q->limit,
					err) != VP_OK) {
			return VP_ERR_INVALID;
		}
	}
	return got < 0 ? VP_ERR_INVALID : VP_OK;
}

vp_code vp_list_query_parse(const char *query, size_t len, struct vp_list_query *out,
			    struct vp_error *err)
{
	static const char *const names[] = {"state", "account", "cursor", "limit", NULL};
	struct vp_list_query q = {0, "", 0, VP_LIST_LIMIT_DEFAULT};

	if (parse_page(query, len, names, "state, account, cursor, limit", &q, NULL, err) != VP_OK)
		return VP_ERR_INVALID;
	*out = q;
	return VP_OK;
}

vp_code vp_events_query_parse(const char *query, size_t len, struct vp_events_query *out,
			      struct vp_error *err)
{
	static const char *const names[] = {"n", "account", "cursor", "limit", NULL};
	struct vp_list_query q = {0, "", 0, VP_LIST_LIMIT_DEFAULT};
	int64_t n = 0;

	if (parse_page(query, len, names, "n, account, cursor, limit", &q, &n, err) != VP_OK)
		return VP_ERR_INVALID;
	out->n = n;
	memcpy(out->account, q.account, sizeof(out->account));
	out->cursor = q.cursor;
	out->limit = q.limit;
	return VP_OK;
}

vp_code vp_release_query_parse(const char *query, size_t len, char *out, struct vp_error *err)
{
	static const char *const names[] = {"client_ref", NULL};
	struct query_walk w = {query, len, 0, names, "a release takes client_ref only", 0};
	char value[VP_CLIENT_REF_MAX + 1];
	unsigned which;
	int got;

	out[0] = '\0';
	while ((got = walk_next(&w, &which, value, sizeof(value), err)) > 0)
		if (vp_ids_client_ref_check(value, err) != VP_OK)
			return VP_ERR_INVALID;
	if (got < 0)
		return VP_ERR_INVALID;
	if (!w.seen && len > 0) /* "&", "&&": a query, yet no client_ref in it */
		return vp_fail(err, VP_ERR_INVALID,
			       "a release takes one query parameter, client_ref, once");
	if (w.seen)
		memcpy(out, value, strlen(value) + 1);
	return VP_OK;
}

static bool printable_text(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

vp_code vp_admin_ns_query_parse(const char *query, size_t len, struct vp_admin_ns_query *out,
				struct vp_error *err)
{
	static const char *const names[] = {"state", "account", "cursor", "limit",
					    "label", "q",       NULL};
	struct query_walk w = {query, len, 0, names, "state, account, cursor, limit, label, q", 0};
	struct vp_admin_ns_query q;
	char value[LONG_VALUE_MAX + 1];
	unsigned which;
	int got;

	memset(&q, 0, sizeof(q));
	q.list.limit = VP_LIST_LIMIT_DEFAULT;
	if (len > VP_LIST_QUERY_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the query string is longer than %d bytes",
			       VP_LIST_QUERY_MAX);
	while ((got = walk_next(&w, &which, value, sizeof(value), err)) > 0) {
		const char *eq;
		size_t key_len;

		switch (which) {
		case 0:
			if (strlen(value) > VALUE_MAX ||
			    parse_states(value, &q.list.states, err) != VP_OK)
				return vp_fail(err, VP_ERR_INVALID,
					       "state: not a list of states "
					       "(pending, active, failed, "
					       "releasing, released)");
			break;
		case 4:
			eq = strchr(value, '=');
			key_len = eq ? (size_t)(eq - value) : strlen(value);
			if (key_len == 0 || key_len >= sizeof(q.label_key) ||
			    (eq && strlen(eq + 1) >= sizeof(q.label_value)) ||
			    !printable_text(value))
				return vp_fail(err, VP_ERR_INVALID,
					       "label: give NAME or NAME=VALUE (printable ASCII, "
					       "a name of 1..64 characters)");
			memcpy(q.label_key, value, key_len);
			q.label_key[key_len] = '\0';
			if (eq) {
				q.label_has_value = 1;
				memcpy(q.label_value, eq + 1, strlen(eq + 1) + 1);
			}
			break;
		case 5:
			if (strlen(value) > VP_ADMIN_SEARCH_MAX || !printable_text(value))
				return vp_fail(err, VP_ERR_INVALID,
					       "q: at most %d printable ASCII characters",
					       VP_ADMIN_SEARCH_MAX);
			memcpy(q.q, value, strlen(value) + 1);
			break;
		default:
			if (common_param(names[which], value, q.list.account, &q.list.cursor,
					 &q.list.limit, err) != VP_OK)
				return VP_ERR_INVALID;
		}
	}
	if (got < 0)
		return VP_ERR_INVALID;
	*out = q;
	return VP_OK;
}
