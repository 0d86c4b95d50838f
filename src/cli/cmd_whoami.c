/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer whoami: the AWS identity of the credentials in use (sts:GetCallerIdentity). */
#include <jansson.h>
#include <stdio.h>

#include "aws/chain.h"
#include "aws/sts.h"
#include "cli/cli.h"

enum { OPT_HELP = 1, OPT_JSON, OPT_REGION, OPT_PROFILE };

static const struct cli_option whoami_options[] = {
	{"json", 0, NULL, OPT_JSON, "the same as --output json", 0},
	{"region", 0, "REGION", OPT_REGION, "AWS region (default: AWS_REGION, the profile's)", 0},
	{"profile", 0, "PROFILE", OPT_PROFILE, "profile of the shared AWS config files", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_whoami_tables[] = {whoami_options, cli_output_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer whoami [--json] [--region REGION] [--profile PROFILE]\n"
	       "\n"
	       "Show the AWS account, ARN and user id of the credentials found the way the\n"
	       "AWS SDKs find them (environment, profile, web identity, container, EC2\n"
	       "instance metadata), like 'aws sts get-caller-identity'. A table on a\n"
	       "terminal, one JSON object otherwise (--output).\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_whoami_tables);
}

static int print_identity(const struct vp_aws_caller_identity *id, bool json)
{
	if (json) {
		json_t *obj = json_pack("{ss ss ss}", "UserId", id->user_id, "Account", id->account,
					"Arn", id->arn);
		int rc = obj && json_dumpf(obj, stdout, JSON_COMPACT) == 0 && putchar('\n') != EOF
				 ? CLI_EXIT_OK
				 : CLI_EXIT_FAILED;
		json_decref(obj);
		return rc;
	}
	printf("Account  %s\nArn      %s\nUserId   %s\n", id->account, id->arn, id->user_id);
	return CLI_EXIT_OK;
}

int cmd_whoami_main(int argc, char **argv)
{
	struct vp_aws_client_config cfg = {0};
	struct vp_aws_client *client = NULL;
	struct vp_aws_caller_identity *id = NULL;
	struct vp_aws_error aerr;
	const struct cli_arg *arg;
	struct vp_error err;
	struct cli_walk w;
	enum cli_output output = CLI_OUTPUT_AUTO, alias = CLI_OUTPUT_AUTO;
	int rc;

	cli_walk_start(&w, "whoami", argc, argv, cmd_whoami_tables, OPT_HELP, print_help);
	while ((arg = cli_walk_next(&w))) {
		switch (arg->id) {
		case OPT_JSON:
			alias = CLI_OUTPUT_JSON;
			break;
		case CLI_OUTPUT_OPT_OUTPUT:
			cli_output_apply("whoami", &output, arg, &w.failed);
			break;
		case OPT_REGION:
			cfg.region = arg->value;
			break;
		case OPT_PROFILE:
			cfg.profile = arg->value;
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	if (w.stopped)
		return w.status;
	/* This command is an edge: it owns libcurl's and libxml2's global state. */
	if (vp_aws_global_init(&err) != VP_OK) {
		cli_error("whoami", "%s", err.message);
		return CLI_EXIT_FAILED;
	}
	if (vp_aws_client_new_default(&cfg, &client, &err) != VP_OK) {
		cli_error("whoami", "%s", err.message);
		rc = err.code == VP_ERR_INVALID || err.code == VP_ERR_NOT_FOUND ||
				     err.code == VP_ERR_RANGE
			     ? CLI_EXIT_USAGE
			     : CLI_EXIT_FAILED;
		goto done;
	}
	if (vp_aws_sts_get_caller_identity(client, &id, &aerr) != VP_OK) {
		cli_error("whoami", "%s", aerr.error.message);
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	rc = print_identity(id, cli_output_is_json(cli_output_choose(output, alias)));
done:
	vp_aws_caller_identity_free(id);
	vp_aws_client_free(client);
	vp_aws_global_cleanup();
	return rc;
}
