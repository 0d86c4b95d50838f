/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer release: give namespace N back (DELETE /v1/namespaces/{n}). */
#include <inttypes.h>
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
	const char *n_text = NULL;
	struct cli_broker broker;
	struct cli_args args;
	bool failed = false;
	char path[48];
	int64_t n;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker);
	if (!cli_parse("release", argc - 1, argv + 1, cmd_release_tables, &args))
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < args.count && !failed; i++) {
		const struct cli_arg *arg = &args.items[i];
		if (cli_broker_apply("release", &broker, arg, &failed))
			continue;
		if (arg->id == OPT_HELP) {
			print_help();
			return CLI_EXIT_OK;
		}
		if (arg->id != 0 || n_text) {
			cli_error("release", "unexpected argument '%s'", arg->value);
			return CLI_EXIT_USAGE;
		}
		n_text = arg->value;
	}
	if (failed)
		return CLI_EXIT_USAGE;
	if (!n_text) {
		cli_error("release", "which namespace? (vpcpeer release --broker URL N)");
		return CLI_EXIT_USAGE;
	}
	if (!cli_namespace_arg("release", n_text, &n))
		return CLI_EXIT_USAGE;
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, n);
	rc = cli_broker_open("release", &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run("release", &broker, "DELETE", path, NULL);
	cli_broker_close(&broker);
	return rc;
}
