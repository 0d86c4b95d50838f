/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer confirm: tell the broker the peering is up (POST /v1/namespaces/{n}/confirm). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ids.h"
#include "cli/cli.h"

enum { OPT_HELP = 1, OPT_PEERING_ID, OPT_VPC_ID };

static const struct cli_option confirm_options[] = {
	{"peering-id", 0, "PCX", OPT_PEERING_ID, "the VPC peering connection (pcx-...)", 0},
	{"vpc-id", 0, "VPC", OPT_VPC_ID, "this client's VPC (vpc-...)", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_confirm_tables[] = {confirm_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer confirm --broker URL N --peering-id PCX --vpc-id VPC\n"
	       "\n"
	       "Confirm namespace N: the broker checks that the peering connection joins\n"
	       "this account's VPC (with exactly N's CIDR) to the hub VPC, accepts it in\n"
	       "broker mode (in peer-role mode it must be active already), then routes\n"
	       "N's CIDR from the hub. Prints the namespace object as JSON.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_confirm_tables);
}

int cmd_confirm_main(int argc, char **argv)
{
	const char *peering = NULL, *vpc = NULL, *n_text = NULL;
	char path[64], *text = NULL;
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	json_t *body = NULL;
	int64_t n;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker);
	cli_walk_start(&w, "confirm", argc, argv, cmd_confirm_tables, OPT_HELP, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		switch (arg->id) {
		case OPT_PEERING_ID:
			peering = arg->value;
			break;
		case OPT_VPC_ID:
			vpc = arg->value;
			break;
		case 0:
			if (n_text) {
				cli_error("confirm", "one namespace only (got '%s' too)",
					  arg->value);
				w.failed = true;
			}
			n_text = arg->value;
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	if (w.stopped) {
		rc = w.status;
		goto done;
	}
	if (!n_text) {
		cli_error("confirm",
			  "which namespace? (vpcpeer confirm N --peering-id PCX --vpc-id VPC)");
		goto done;
	}
	if (!cli_namespace_arg("confirm", n_text, &n))
		goto done;
	if (!peering || !vpc) {
		cli_error("confirm", "--%s is required",
			  !peering ? "peering-id PCX" : "vpc-id VPC");
		goto done;
	}
	if (vp_ids_aws_id_check(peering, "pcx", "--peering-id", &err) != VP_OK ||
	    vp_ids_aws_id_check(vpc, "vpc", "--vpc-id", &err) != VP_OK) {
		cli_error("confirm", "%s", err.message);
		goto done;
	}
	body = json_pack("{ss ss}", "vpc_peering_connection_id", peering, "vpc_id", vpc);
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		cli_error("confirm", "out of memory");
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64 "/confirm", n);
	rc = cli_broker_open("confirm", &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run("confirm", &broker, "POST", path, text);
done:
	cli_broker_close(&broker);
	free(text);
	json_decref(body);
	return rc;
}
