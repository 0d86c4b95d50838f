/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer confirm: tell the broker the peering is up (POST /v1/namespaces/{n}/confirm). */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ids.h"
#include "cli/cli.h"

enum { OPT_HELP = 1, OPT_PEERING_ID, OPT_VPC_ID, OPT_ATTACHMENT_ID, OPT_CLIENT_REF };

static const struct cli_option confirm_options[] = {
	{"peering-id", 0, "PCX", OPT_PEERING_ID, "the VPC peering connection (pcx-...)", 0},
	{"vpc-id", 0, "VPC", OPT_VPC_ID, "this client's VPC (vpc-...)", 0},
	{"attachment-id", 0, "TGW_ATTACH", OPT_ATTACHMENT_ID,
	 "a transit-gateway hub: the VPC's attachment (tgw-attach-...) instead of --peering-id", 0},
	{"client-ref", 0, "REF", OPT_CLIENT_REF,
	 "confirm N only while it holds this registration (the client_ref it was registered with)",
	 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_confirm_tables[] = {confirm_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer confirm --broker URL N --peering-id PCX --vpc-id VPC [--client-ref "
	       "REF]\n"
	       "       vpcpeer confirm --broker URL N --attachment-id TGW_ATTACH --vpc-id VPC\n"
	       "                       [--client-ref REF]\n"
	       "\n"
	       "Confirm namespace N: the broker checks that the peering connection joins\n"
	       "this account's VPC (with exactly N's CIDR) to the hub VPC, accepts it in\n"
	       "broker mode (in peer-role mode it must be active already), then routes\n"
	       "N's CIDR from the hub. A transit-gateway hub (\"Attach\": \"transit-gateway\")\n"
	       "takes the VPC's attachment instead: it checks, accepts and routes it.\n"
	       "Prints the namespace object (--output). With --client-ref, the broker refuses\n"
	       "(409) once that registration has ended and N holds another of the account's.\n"
	       "\n"
	       "When its HostedZoneId is not null (the broker's --hosted-zone), the broker\n"
	       "has authorized the VPC to join the hub's private hosted zone: associate it\n"
	       "from this account, then run the same confirm again (the broker then deletes\n"
	       "the authorization):\n"
	       "  aws route53 associate-vpc-with-hosted-zone --hosted-zone-id ZONE \\\n"
	       "      --vpc VPCRegion=REGION,VPCId=VPC\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_confirm_tables);
}

int cmd_confirm_main(int argc, char **argv)
{
	const char *peering = NULL, *vpc = NULL, *n_text = NULL, *attachment = NULL;
	const char *client_ref = NULL;
	char path[64], *text = NULL;
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	json_t *body = NULL;
	int64_t n;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker, "confirm");
	cli_walk_start(&w, "confirm", argc, argv, cmd_confirm_tables, OPT_HELP, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		switch (arg->id) {
		case OPT_PEERING_ID:
			peering = arg->value;
			break;
		case OPT_VPC_ID:
			vpc = arg->value;
			break;
		case OPT_ATTACHMENT_ID:
			attachment = arg->value;
			break;
		case OPT_CLIENT_REF:
			client_ref = arg->value;
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
	if (peering && attachment) {
		cli_error("confirm", "give --peering-id or --attachment-id, not both");
		goto done;
	}
	if (!vpc || (!peering && !attachment)) {
		cli_error("confirm", "--%s is required%s", !vpc ? "vpc-id VPC" : "peering-id PCX",
			  !vpc ? ""
			       : " (or, to a transit-gateway hub, --attachment-id TGW_ATTACH)");
		goto done;
	}
	if ((peering && vp_ids_aws_id_check(peering, "pcx", "--peering-id", &err) != VP_OK) ||
	    (attachment &&
	     vp_ids_aws_id_check(attachment, "tgw-attach", "--attachment-id", &err) != VP_OK) ||
	    vp_ids_aws_id_check(vpc, "vpc", "--vpc-id", &err) != VP_OK ||
	    (client_ref && vp_ids_client_ref_check(client_ref, &err) != VP_OK)) {
		cli_error("confirm", "%s", err.message);
		goto done;
	}
	body = json_pack("{ss ss}",
			 peering ? "vpc_peering_connection_id" : "transit_gateway_attachment_id",
			 peering ? peering : attachment, "vpc_id", vpc);
	if (body && client_ref &&
	    json_object_set_new(body, "client_ref", json_string(client_ref)) != 0) {
		json_decref(body);
		body = NULL;
	}
	text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	if (!text) {
		cli_error("confirm", "out of memory");
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64 "/confirm", n);
	broker.waits_for = "it checks the peering, accepts it and waits for it to become active "
			   "(its --accept-wait, 20 s by default), then routes the namespace";
	rc = cli_broker_open("confirm", &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run("confirm", &broker, "POST", path, text);
done:
	cli_broker_close(&broker);
	free(text);
	json_decref(body);
	return rc;
}
