/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer release: give namespace N back (DELETE /v1/namespaces/{n}). */
#include <stdio.h>

#include "cli/cli.h"

enum { OPT_HELP = 1, OPT_CLIENT_REF };

static const struct cli_option release_options[] = {
	{"client-ref", 0, "REF", OPT_CLIENT_REF,
	 "release N only while it holds this registration (the client_ref it was registered with)",
	 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_release_tables[] = {release_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer release --broker URL [--client-ref REF] N\n"
	       "\n"
	       "Release namespace N: the broker removes the hub routes to it, takes the\n"
	       "account out of the peer role when it has no other live namespace, and\n"
	       "frees N after a quarantine. Idempotent. Prints the namespace object.\n"
	       "With --client-ref, N is released only while it holds that registration: once\n"
	       "it has ended and N was given to another of the account's registrations, the\n"
	       "broker answers 404 and releases nothing.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_release_tables);
}

int cmd_release_main(int argc, char **argv)
{
	return cli_broker_namespace_command("release", "DELETE", argc, argv, cmd_release_tables,
					    OPT_HELP, OPT_CLIENT_REF, print_help,
					    "it removes the hub's routes to the namespace and, in "
					    "peer-role mode, this account's trust entry");
}
