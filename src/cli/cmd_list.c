/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer list: namespaces the caller may see (GET /v1/namespaces), one page. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/ids.h"
#include "core/num.h"

enum { OPT_HELP = 1, OPT_STATE, OPT_ACCOUNT, OPT_CURSOR, OPT_LIMIT };

static const struct cli_option list_options[] = {
	{"state", 0, "STATE", OPT_STATE, "only pending, active, failed, releasing or released", 0},
	{"account", 0, "ACCOUNT", OPT_ACCOUNT, "only this AWS account's (12 digits)", 0},
	{"limit", 0, "N", OPT_LIMIT, "at most N per page (the broker's default otherwise)", 0},
	{"cursor", 0, "CURSOR", OPT_CURSOR, "the page after NextCursor of a previous answer", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_list_tables[] = {list_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer list --broker URL [--state STATE] [--account ACCOUNT]\n"
	       "                    [--limit N] [--cursor CURSOR]\n"
	       "\n"
	       "List namespaces as one JSON object {\"Namespaces\": [...], \"NextCursor\": ...}:\n"
	       "this account's, or every account's for an admin. When NextCursor is not\n"
	       "null, --cursor NEXTCURSOR gives the next page.\n"
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

int cmd_list_main(int argc, char **argv)
{
	const char *state = NULL, *account = NULL, *cursor = NULL, *limit = NULL;
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	struct vp_buf path;
	int64_t n;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker);
	vp_buf_init(&path, 2048);
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
		case OPT_LIMIT:
			limit = arg->value;
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
	if (limit && (strspn(limit, "0123456789") != strlen(limit) ||
		      vp_parse_int64(limit, 1, 100000, "--limit", &n, &err) != VP_OK)) {
		cli_error("list", "--limit must be a number from 1 to 100000, not '%.40s'", limit);
		goto done;
	}
	if (cursor && (strlen(cursor) == 0 || strlen(cursor) > 1024)) {
		cli_error("list", "--cursor must be 1..1024 characters");
		goto done;
	}
	if ((state && !add_param(&path, "state", state)) ||
	    (account && !add_param(&path, "account", account)) ||
	    (cursor && !add_param(&path, "cursor", cursor)) ||
	    (limit && !add_param(&path, "limit", limit))) {
		cli_error("list", "out of memory");
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	rc = cli_broker_open("list", &broker);
	if (rc == CLI_EXIT_OK) {
		char url_path[2100];
		snprintf(url_path, sizeof(url_path), "/v1/namespaces%s", vp_buf_str(&path));
		rc = cli_broker_run("list", &broker, "GET", url_path, NULL);
	}
done:
	cli_broker_close(&broker);
	vp_buf_cleanup(&path);
	return rc;
}
