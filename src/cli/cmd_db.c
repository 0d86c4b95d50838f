/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer db: migrate the registry's database, or show its schema status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "registry/registry.h"
#include "registry/url.h"

#define DEFAULT_DB "sqlite:vpcpeer.db"

enum { OPT_HELP = 1, OPT_DB, OPT_JSON };

/* status's output: the shared --output, and --json as its old spelling. */

static const struct cli_option db_command_options[] = {
	{"db", 0, "URL", OPT_DB,
	 "the registry: sqlite:PATH or postgresql://... (default " DEFAULT_DB ")", CLI_OPT_ENV},
	{"json", 0, NULL, OPT_JSON, "status: the same as --output json", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_db_tables[] = {db_command_options, cli_output_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer db migrate [--db URL]\n"
	       "       vpcpeer db status [--db URL] [--json]\n"
	       "\n"
	       "migrate applies the registry's pending schema migrations (one transaction);\n"
	       "status shows the database's schema version and the latest this program knows\n"
	       "(exit status 1 when migrations are pending or the SQLite file is missing:\n"
	       "status creates nothing), as a table on a terminal, JSON otherwise. A\n"
	       "database whose schema is newer than the program is refused.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_db_tables);
}

static int open_registry(const char *url, struct vp_registry **reg)
{
	struct vp_registry_options opts;
	struct vp_error err;
	vp_code code;

	vp_registry_options_init(&opts);
	opts.migrate = false; /* migrate reports what it applied itself */
	opts.pool_size = 1;
	code = vp_registry_open(url, &opts, reg, &err);
	if (code != VP_OK) {
		cli_error("db", "%s", err.message);
		return code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

static int do_migrate(const char *url)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;
	int rc = open_registry(url, &reg), applied = 0, current = 0, latest = 0;

	if (rc != CLI_EXIT_OK)
		return rc;
	if (vp_registry_migrate(reg, &applied, &err) != VP_OK ||
	    vp_registry_schema_version(reg, &current, &latest, &err) != VP_OK) {
		cli_error("db", "%s", err.message);
		vp_registry_close(reg);
		return CLI_EXIT_FAILED;
	}
	printf("%s: schema version %d (applied %d migration%s)\n", vp_registry_backend(reg),
	       current, applied, applied == 1 ? "" : "s");
	vp_registry_close(reg);
	return CLI_EXIT_OK;
}

/*
 * Status only looks: opening a SQLite file that is not there would create it
 * (an empty database, schema version 0), so a missing file is said instead.
 */
static int check_exists(const char *url)
{
	struct vp_registry_url parsed;
	struct vp_error err;

	if (vp_registry_url_parse(url, strlen(url), &parsed, &err) != VP_OK) {
		cli_error("db", "%s", err.message);
		return CLI_EXIT_USAGE;
	}
	if (parsed.scheme == VP_REGISTRY_SQLITE && access(parsed.target, F_OK) != 0) {
		cli_error("db",
			  "no database at %.200s (status creates none): check --db, or create it "
			  "with 'vpcpeer db migrate --db %.200s'",
			  parsed.target, url);
		return CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

static int do_status(const char *url, enum cli_output output)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;
	int rc = check_exists(url), current = 0, latest = 0;
	bool json = cli_output_is_json(output);

	if (rc == CLI_EXIT_OK)
		rc = open_registry(url, &reg);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (vp_registry_schema_version(reg, &current, &latest, &err) != VP_OK) {
		cli_error("db", "%s", err.message);
		vp_registry_close(reg);
		return CLI_EXIT_FAILED;
	}
	if (json) {
		json_t *obj = json_pack("{ss si si sb}", "Backend", vp_registry_backend(reg),
					"SchemaVersion", current, "LatestVersion", latest,
					"UpToDate", current == latest);
		if (!obj || json_dumpf(obj, stdout, JSON_COMPACT) != 0 || putchar('\n') == EOF)
			rc = CLI_EXIT_FAILED;
		json_decref(obj);
	} else {
		printf("backend         %s\n", vp_registry_backend(reg));
		printf("schema version  %d\n", current);
		printf("latest version  %d\n", latest);
		printf("status          %s\n", current == latest
						       ? "up to date"
						       : "migrations pending (vpcpeer db migrate)");
	}
	vp_registry_close(reg);
	if (rc == CLI_EXIT_OK && current != latest)
		rc = CLI_EXIT_FAILED;
	return rc;
}

int cmd_db_main(int argc, char **argv)
{
	const char *url = NULL, *action = NULL;
	enum cli_output output = CLI_OUTPUT_AUTO, alias = CLI_OUTPUT_AUTO;
	const struct cli_arg *arg;
	struct cli_walk w;
	bool json = false;

	cli_walk_start(&w, "db", argc, argv, cmd_db_tables, OPT_HELP, print_help);
	while ((arg = cli_walk_next(&w))) {
		switch (arg->id) {
		case OPT_DB:
			url = arg->value;
			break;
		case OPT_JSON:
			json = true;
			alias = CLI_OUTPUT_JSON;
			break;
		case CLI_OUTPUT_OPT_OUTPUT:
			cli_output_apply("db", &output, arg, &w.failed);
			break;
		default:
			if (action)
				cli_walk_unexpected(&w, arg);
			else
				action = arg->value;
		}
	}
	output = cli_output_choose(output, alias);
	if (w.stopped)
		return w.status;
	if (!url || !*url)
		url = DEFAULT_DB;
	if (!strchr(url, ':')) {
		cli_error(
			"db",
			"--db '%.200s' is not a database URL: for a SQLite file give sqlite:%.200s "
			"(or postgresql://...)",
			url, url);
		return CLI_EXIT_USAGE;
	}
	if (!action) {
		cli_error("db", "missing action: migrate or status (see 'vpcpeer db --help')");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(action, "migrate") == 0) {
		if (json || output != CLI_OUTPUT_AUTO) {
			cli_error("db", "--json and --output are for status");
			return CLI_EXIT_USAGE;
		}
		return do_migrate(url);
	}
	if (strcmp(action, "status") == 0)
		return do_status(url, output);
	cli_error("db", "unknown action '%s' (use migrate or status)", action);
	return CLI_EXIT_USAGE;
}
