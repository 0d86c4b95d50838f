/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer: the table of subcommands. Each one lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/version.h"

static const struct cli_command commands[] = {
	{"serve", "run the broker: the REST API for client registrations", cmd_serve_main,
	 cmd_serve_tables},
	{"reconcile", "compare the registry with AWS once and repair the drift (or --dry-run)",
	 cmd_reconcile_main, cmd_reconcile_tables},
	{"plan", "show a namespace's address plan, or the plan's capacity", cmd_plan_main,
	 cmd_plan_tables},
	{"whoami", "show the AWS account, ARN and user id of the credentials in use",
	 cmd_whoami_main, cmd_whoami_tables},
	{"db", "migrate the registry's database, or show its schema status", cmd_db_main,
	 cmd_db_tables},
	{"register", "register this AWS account with the broker: a namespace and its plan",
	 cmd_register_main, cmd_register_tables},
	{"confirm", "confirm a namespace's peering; the broker routes it from the hub",
	 cmd_confirm_main, cmd_confirm_tables},
	{"release", "release a namespace (hub routes, peer-role trust, the number)",
	 cmd_release_main, cmd_release_tables},
	{"show", "show one namespace as the broker records it", cmd_show_main, cmd_show_tables},
	{"list", "list the namespaces this account (or an admin) may see", cmd_list_main,
	 cmd_list_tables},
	{"lambda", "run the CloudFormation custom-resource handler (Lambda custom runtime)",
	 cmd_lambda_main, cmd_lambda_tables},
	{"version", "print the version", NULL, NULL},
};

#define COMMAND_COUNT (sizeof(commands) / sizeof(commands[0]))

enum { OPT_HELP = 1, OPT_VERSION };

static const struct cli_option global_options[] = {
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	{"version", 'V', NULL, OPT_VERSION, "print the version", 0},
	CLI_OPTIONS_END,
};
static const struct cli_option *const global_tables[] = {global_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer [--help] [--version] COMMAND [options]\n"
	       "\n"
	       "vpcpeer lets client VPCs, each in its own AWS account, join a hub VPC\n"
	       "through VPC peering, with non-overlapping address plans.\n"
	       "\n"
	       "Commands:\n");
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		printf("  %-10s %s\n", commands[i].name, commands[i].summary);
	printf("\nOptions:\n");
	cli_print_options(stdout, global_tables);
	printf("\nRun 'vpcpeer COMMAND --help' for a command's options.\n");
}

static const struct cli_command *find_command(const char *name)
{
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Whether --name (no '=') takes a value in any command: then the next word is not a command. */
static bool takes_value_anywhere(const char *arg)
{
	if (strncmp(arg, "--", 2) != 0 || strchr(arg, '='))
		return false;
	for (size_t i = 0; i < COMMAND_COUNT; i++)
		if (commands[i].tables && cli_option_takes_value(commands[i].tables, arg + 2))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	char *reordered[CLI_MAX_ARGS + 1];
	const struct cli_command *command = NULL;
	struct cli_args args;
	int at = -1, count = 0;

	/* A Lambda custom runtime's entry point is an executable named bootstrap. */
	if (argc > 0 && strcmp(basename(argv[0]), "bootstrap") == 0)
		return cmd_lambda_main(argc, argv);
	/* The first word that is not an option or an option's value names the command. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (argv[i][0] == '-') {
			if (takes_value_anywhere(argv[i]))
				i++;
			continue;
		}
		at = i;
		break;
	}
	if (at < 0) {
		if (!cli_parse(NULL, argc - 1, argv + 1, global_tables, &args))
			return CLI_EXIT_USAGE;
		for (size_t i = 0; i < args.count; i++) {
			if (args.items[i].id == OPT_VERSION) {
				printf("vpcpeer %s\n", VP_VERSION);
				return CLI_EXIT_OK;
			}
		}
		print_help();
		return args.count > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
	}
	command = find_command(argv[at]);
	if (!command) {
		cli_error(NULL, "unknown command '%s' (see 'vpcpeer --help')", argv[at]);
		return CLI_EXIT_USAGE;
	}
	if (!command->main) {
		printf("vpcpeer %s\n", VP_VERSION);
		return CLI_EXIT_OK;
	}
	if (argc > CLI_MAX_ARGS) {
		cli_error(command->name, "too many arguments (at most %d)", CLI_MAX_ARGS);
		return CLI_EXIT_USAGE;
	}
	/* Options given before the command go to it too: vpcpeer --pool X plan 3. */
	reordered[count++] = argv[at];
	for (int i = 1; i < argc; i++)
		if (i != at)
			reordered[count++] = argv[i];
	reordered[count] = NULL;
	return command->main(count, reordered);
}
