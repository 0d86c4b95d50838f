/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer show: one namespace as the broker records it (GET /v1/namespaces/{n}). */
#include <inttypes.h>
#include <stdio.h>

#include "cli/cli.h"

enum { OPT_HELP = 1 };

static const struct cli_option show_options[] = {
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_show_tables[] = {show_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer show --broker URL N\n"
	       "\n"
	       "Show namespace N as the broker records it (state, account, CIDRs, peering,\n"
	       "times) as one JSON object. A caller sees its own account's namespaces.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_show_tables);
}

int cmd_show_main(int argc, char **argv)
{
	const char *n_text = NULL;
	struct cli_broker broker;
	struct cli_args args;
	bool failed = false;
	char path[48];
	int64_t n;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker);
	if (!cli_parse("show", argc - 1, argv + 1, cmd_show_tables, &args))
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < args.count && !failed; i++) {
		const struct cli_arg *arg = &args.items[i];
		if (cli_broker_apply("show", &broker, arg, &failed))
			continue;
		if (arg->id == OPT_HELP) {
			print_help();
			return CLI_EXIT_OK;
		}
		if (arg->id != 0 || n_text) {
			cli_error("show", "unexpected argument '%s'", arg->value);
			return CLI_EXIT_USAGE;
		}
		n_text = arg->value;
	}
	if (failed)
		return CLI_EXIT_USAGE;
	if (!n_text) {
		cli_error("show", "which namespace? (vpcpeer show --broker URL N)");
		return CLI_EXIT_USAGE;
	}
	if (!cli_namespace_arg("show", n_text, &n))
		return CLI_EXIT_USAGE;
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, n);
	rc = cli_broker_open("show", &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run("show", &broker, "GET", path, NULL);
	cli_broker_close(&broker);
	return rc;
}
