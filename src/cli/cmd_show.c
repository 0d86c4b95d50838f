/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer show: one namespace as the broker records it (GET /v1/namespaces/{n}). */
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
	       "times): a table on a terminal, one JSON object otherwise (--output). A\n"
	       "caller sees its own account's namespaces.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_show_tables);
}

int cmd_show_main(int argc, char **argv)
{
	return cli_broker_namespace_command("show", "GET", argc, argv, cmd_show_tables, OPT_HELP, 0,
					    print_help, NULL);
}
