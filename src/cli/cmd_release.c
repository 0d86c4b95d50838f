/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer release: give namespace N back (DELETE /v1/namespaces/{n}). */
#include <stdio.h>

#include "cli/cli.h"

enum { OPT_HELP = 1 };

static const struct cli_option release_options[] = {
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_release_tables[] = {release_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer release --broker URL N\n"
	       "\n"
	       "Release namespace N: the broker removes the hub routes to it, takes the\n"
	       "account out of the peer role when it has no other live namespace, and\n"
	       "frees N after a quarantine. Idempotent. Prints the namespace object as JSON.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_release_tables);
}

int cmd_release_main(int argc, char **argv)
{
	return cli_broker_namespace_command("release", "DELETE", argc, argv, cmd_release_tables,
					    OPT_HELP, print_help);
}
