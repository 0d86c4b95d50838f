/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer db: migrate the registry's database, or show its schema status. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "registry/registry.h"

#define DEFAULT_DB "sqlite:vpcpeer.db"

enum { OPT_HELP = 1, OPT_DB, OPT_JSON };

static const struct cli_option db_command_options[] = {
	{"db", 0, "URL", OPT_DB,
	 "the registry: sqlite:PATH or postgresql://... (default " DEFAULT_DB ")", CLI_OPT_ENV},
	{"json", 0, NULL, OPT_JSON, "status: print one JSON object", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_db_tables[] = {db_command_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer db migrate [--db URL]\n"
	       "       vpcpeer db status [--db URL] [--json]\n"
	       "\n"
	       "migrate applies the registry's pending schema migrations (one transaction);\n"
	       "status shows the database's schema version and the latest this program knows\n"
	       "(exit status 1 when migrations are pending). A database whose schema is newer\n"
	       "than the program is refused.\n"
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

static int do_status(const char *url, bool json)
{
	struct vp_registry *reg = NULL;
	struct vp_error err;
	int rc = open_registry(url, &reg), current = 0, latest = 0;

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
			break;
		default:
			if (action)
				cli_walk_unexpected(&w, arg);
			else
				action = arg->value;
		}
	}
	if (w.stopped)
		return w.status;
	if (!url || !*url)
		url = DEFAULT_DB;
	if (!action) {
		cli_error("db", "missing action: migrate or status (see 'vpcpeer db --help')");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(action, "migrate") == 0) {
		if (json) {
			cli_error("db", "--json is for status");
			return CLI_EXIT_USAGE;
		}
		return do_migrate(url);
	}
	if (strcmp(action, "status") == 0)
		return do_status(url, json);
	cli_error("db", "unknown action '%s' (use migrate or status)", action);
	return CLI_EXIT_USAGE;
}
