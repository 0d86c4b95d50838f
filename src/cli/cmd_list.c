/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer list: namespaces the caller may see (GET /v1/namespaces), every page
 * (following NextCursor) up to --limit, optionally only those with given
 * labels. The API filters by state and account; labels are filtered here.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "broker/types.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "core/buf.h"
#include "core/ids.h"
#include "core/num.h"

enum { OPT_HELP = 1, OPT_STATE, OPT_ACCOUNT, OPT_CURSOR, OPT_LIMIT, OPT_LABEL };

#define LIST_MAX_LABELS 16
/* A broker that keeps answering the same cursor would keep this loop going: a bound. */
#define LIST_MAX_PAGES 100000

static const struct cli_option list_options[] = {
	{"state", 0, "STATE", OPT_STATE, "only pending, active, failed, releasing or released", 0},
	{"account", 0, "ACCOUNT", OPT_ACCOUNT, "only this AWS account's (12 digits)", 0},
	{"label", 0, "KEY=VALUE", OPT_LABEL,
	 "only those with this label (repeatable: all of them; filtered by this command)",
	 CLI_OPT_REPEAT},
	{"limit", 0, "N", OPT_LIMIT, "at most N namespaces (default: every page)", 0},
	{"cursor", 0, "CURSOR", OPT_CURSOR, "start after a previous answer's NextCursor", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_list_tables[] = {list_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer list --broker URL [--state STATE] [--account ACCOUNT]\n"
	       "                    [--label KEY=VALUE ...] [--limit N] [--cursor CURSOR]\n"
	       "\n"
	       "List namespaces: this account's, or every account's for an admin. Follows\n"
	       "the broker's pages (NextCursor) to the end, or until --limit namespaces.\n"
	       "On a terminal a table (namespace, state, account, CIDR, peering or\n"
	       "attachment, client_ref, a stack's as stack/NAME/.../LOGICAL_ID, labels);\n"
	       "otherwise (or --output json) one JSON object {\"Namespaces\": [...],\n"
	       "\"NextCursor\": ...}, NextCursor not null when --limit stopped it before the\n"
	       "end (--cursor NEXTCURSOR goes on). --label is filtered here, after the\n"
	       "broker's pages (the API has no label filter); --state and --account by\n"
	       "the broker.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_list_tables);
}

static bool valid_state(const char *s)
{
	static const char *const states[] = {"pending",   "active",   "failed",
					     "releasing", "released", NULL};
	for (size_t i = 0; states[i]; i++)
		if (strcmp(s, states[i]) == 0)
			return true;
	return false;
}

/* "&name=value", the value percent-encoded. */
static bool add_param(struct vp_buf *q, const char *name, const char *value)
{
	char *esc = curl_easy_escape(NULL, value, (int)strlen(value));
	bool ok = esc && vp_buf_appendf(q, "%s%s=%s", q->len ? "&" : "?", name, esc) == VP_OK;

	curl_free(esc);
	return ok;
}

struct label_filter {
	const char *text[LIST_MAX_LABELS]; /* "KEY=VALUE" */
	size_t count;
};

/* Whether the namespace has every label of the filter. */
static bool labels_match(const struct label_filter *f, json_t *ns)
{
	json_t *labels = json_object_get(ns, "Labels");

	for (size_t i = 0; i < f->count; i++) {
		const char *eq = strchr(f->text[i], '=');
		char key[VP_LABEL_KEY_MAX + 1];
		size_t klen = (size_t)(eq - f->text[i]);
		const char *value;

		memcpy(key, f->text[i], klen);
		key[klen] = '\0';
		value = json_string_value(json_object_get(labels, key));
		if (!value || strcmp(value, eq + 1) != 0)
			return false;
	}
	return true;
}

static bool add_label(struct label_filter *f, const char *text)
{
	const char *eq = strchr(text, '=');

	if (!eq || eq == text || (size_t)(eq - text) > VP_LABEL_KEY_MAX) {
		cli_error("list",
			  "--label must be KEY=VALUE with a key of 1..%d characters, not '%.80s'",
			  VP_LABEL_KEY_MAX, text);
		return false;
	}
	if (f->count >= LIST_MAX_LABELS) {
		cli_error("list", "at most %d --label filters", LIST_MAX_LABELS);
		return false;
	}
	f->text[f->count++] = text;
	return true;
}

static const char *text_of(json_t *ns, const char *key)
{
	return json_string_value(json_object_get(ns, key));
}

/*
 * A stack's client_ref (its stack id and logical id, docs/lambda.md) shortened
 * for the table to what tells stacks apart: "stack/NAME/.../LOGICAL_ID". Any
 * other client_ref is shown as it is (cut at the column's width).
 */
static const char *short_ref(const char *ref, char *buf, size_t size)
{
	const char *stack = ref ? strstr(ref, ":stack/") : NULL;
	const char *name = stack ? stack + 7 : NULL;
	const char *uuid = name ? strchr(name, '/') : NULL;
	const char *logical = uuid ? strchr(uuid + 1, '/') : NULL;

	if (strncmp(ref ? ref : "", "arn:", 4) != 0 || !logical)
		return ref;
	snprintf(buf, size, "stack/%.*s/.../%s", (int)(uuid - name), name, logical + 1);
	return buf;
}

static int print_table(json_t *namespaces)
{
	static const char *const headers[] = {"NAMESPACE", "STATE",      "ACCOUNT", "VPC CIDR",
					      "PEERING",   "CLIENT REF", "LABELS"};
	struct cli_table t;
	struct vp_buf labels;
	json_t *ns;
	size_t i;
	bool ok = true;

	cli_table_init(&t, 7, headers);
	cli_table_limit(&t, 5, 40, false);
	cli_table_limit(&t, 6, 40, false);
	vp_buf_init(&labels, 64 * 1024);
	json_array_foreach(namespaces, i, ns)
	{
		char n[24], ref[VP_CLIENT_REF_MAX + 16];
		const char *attach = text_of(ns, "VpcPeeringConnectionId");
		const char *row[7];
		json_t *id = json_object_get(ns, "NamespaceId");
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		if (!attach)
			attach = text_of(ns, "TransitGatewayAttachmentId");
		ok = ok && cli_output_value_text(json_object_get(ns, "Labels"), &labels);
		row[0] = n;
		row[1] = text_of(ns, "State");
		row[2] = text_of(ns, "AccountId");
		row[3] = text_of(ns, "VpcCidrBlock");
		row[4] = attach;
		row[5] = short_ref(text_of(ns, "ClientRef"), ref, sizeof(ref));
		row[6] = labels.len ? vp_buf_str(&labels) : NULL;
		ok = ok && cli_table_add(&t, row);
	}
	if (!ok)
		cli_error("list", "out of memory");
	else if (t.rows == 0)
		ok = fprintf(stderr, "vpcpeer list: no namespaces\n") > 0;
	else if (!cli_table_print(&t, stdout)) {
		cli_error("list", "cannot write the answer");
		ok = false;
	}
	vp_buf_cleanup(&labels);
	cli_table_cleanup(&t);
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

/*
 * Every page from `cursor` on (NULL: the first) into `all`, at most `limit`
 * matches (0: no limit). *next is the cursor after the last page read when
 * the limit stopped it, NULL at the end; the caller frees it.
 */
static int fetch_pages(struct cli_broker *b, const struct vp_buf *filters, const char *cursor,
		       int64_t limit, const struct label_filter *labels, json_t *all, char **next)
{
	char *at = cursor ? strdup(cursor) : NULL;
	struct vp_buf path, query;
	int rc = CLI_EXIT_OK;

	*next = NULL;
	vp_buf_init(&path, 4096);
	vp_buf_init(&query, 4096);
	if (cursor && !at)
		rc = CLI_EXIT_FAILED;
	for (long page = 0; rc == CLI_EXIT_OK && page < LIST_MAX_PAGES; page++) {
		int64_t left = limit > 0 ? limit - (int64_t)json_array_size(all) : 0;
		json_t *doc = NULL, *items, *ns;
		const char *after;
		size_t i;
		char count[24];

		vp_buf_reset(&query);
		vp_buf_reset(&path);
		snprintf(count, sizeof(count), "%lld", (long long)left);
		if (vp_buf_appends(&query, vp_buf_str(filters)) != VP_OK ||
		    (at && !add_param(&query, "cursor", at)) ||
		    (left > 0 && !add_param(&query, "limit", count)) ||
		    vp_buf_appendf(&path, "/v1/namespaces%s", vp_buf_str(&query)) != VP_OK) {
			cli_error("list", "out of memory");
			rc = CLI_EXIT_FAILED;
			break;
		}
		rc = cli_broker_call("list", b, "GET", vp_buf_str(&path), NULL, &doc);
		if (rc != CLI_EXIT_OK)
			break;
		items = json_object_get(doc, "Namespaces");
		after = json_string_value(json_object_get(doc, "NextCursor"));
		if (!json_is_array(items)) {
			cli_error("list", "the broker's answer has no Namespaces list");
			rc = CLI_EXIT_FAILED;
		}
		json_array_foreach(items, i,
				   ns) if (rc == CLI_EXIT_OK && labels_match(labels, ns) &&
					   json_array_append(all, ns) != 0) rc = CLI_EXIT_FAILED;
		if (rc == CLI_EXIT_OK && after && at && strcmp(after, at) == 0) {
			cli_error("list", "the broker answered the same NextCursor twice");
			rc = CLI_EXIT_FAILED;
		}
		free(at);
		at = after && rc == CLI_EXIT_OK ? strdup(after) : NULL;
		json_decref(doc);
		if (!at || (limit > 0 && (int64_t)json_array_size(all) >= limit))
			break;
	}
	*next = at;
	vp_buf_cleanup(&query);
	vp_buf_cleanup(&path);
	return rc;
}

int cmd_list_main(int argc, char **argv)
{
	const char *state = NULL, *account = NULL, *cursor = NULL;
	struct label_filter labels = {0};
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	struct vp_buf filters;
	json_t *all = json_array(), *doc = NULL;
	char *next = NULL;
	int64_t limit = 0;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker, "list");
	vp_buf_init(&filters, 2048);
	cli_walk_start(&w, "list", argc, argv, cmd_list_tables, OPT_HELP, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		switch (arg->id) {
		case OPT_STATE:
			state = arg->value;
			break;
		case OPT_ACCOUNT:
			account = arg->value;
			break;
		case OPT_CURSOR:
			cursor = arg->value;
			break;
		case OPT_LABEL:
			w.failed = !add_label(&labels, arg->value);
			break;
		case OPT_LIMIT:
			if (strspn(arg->value, "0123456789") != strlen(arg->value) ||
			    vp_parse_int64(arg->value, 1, 100000, "--limit", &limit, &err) !=
				    VP_OK) {
				cli_error("list",
					  "--limit must be a number from 1 to 100000, not '%.40s'",
					  arg->value);
				w.failed = true;
			}
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	if (w.stopped) {
		rc = w.status;
		goto done;
	}
	if (state && !valid_state(state)) {
		cli_error("list",
			  "--state must be pending, active, failed, releasing or released, "
			  "not '%.40s'",
			  state);
		goto done;
	}
	if (account && !vp_ids_account_valid(account)) {
		cli_error("list", "--account must be a 12-digit AWS account id, not '%.40s'",
			  account);
		goto done;
	}
	if (cursor && (strlen(cursor) == 0 || strlen(cursor) > 1024)) {
		cli_error("list", "--cursor must be 1..1024 characters");
		goto done;
	}
	if (!all || (state && !add_param(&filters, "state", state)) ||
	    (account && !add_param(&filters, "account", account))) {
		cli_error("list", "out of memory");
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	rc = cli_broker_open("list", &broker);
	if (rc == CLI_EXIT_OK)
		rc = fetch_pages(&broker, &filters, cursor, limit, &labels, all, &next);
	if (rc != CLI_EXIT_OK)
		goto done;
	if (!cli_output_is_json(broker.output)) {
		rc = print_table(all);
		if (rc == CLI_EXIT_OK && next && !broker.quiet)
			fprintf(stderr, "vpcpeer list: more after --limit %lld: --cursor %s\n",
				(long long)limit, next);
		goto done;
	}
	doc = json_pack("{sO so}", "Namespaces", all, "NextCursor",
			next ? json_string(next) : json_null());
	rc = doc ? cli_output_json("list", doc) : CLI_EXIT_FAILED;
done:
	json_decref(doc);
	json_decref(all);
	free(next);
	cli_broker_close(&broker);
	vp_buf_cleanup(&filters);
	return rc;
}
