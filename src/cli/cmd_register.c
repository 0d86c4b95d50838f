/* SPDX-License-Identifier: Apache-2.0 */
/* vpcpeer register: ask the broker for a namespace (POST /v1/namespaces). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/types.h"
#include "cli/cli.h"

enum { OPT_HELP = 1, OPT_CLIENT_REF, OPT_LABEL };

static const struct cli_option register_options[] = {
	{"client-ref", 0, "REF", OPT_CLIENT_REF,
	 "idempotency key: the same REF again gives the same namespace", 0},
	{"label", 0, "KEY=VALUE", OPT_LABEL, "a label to record (repeatable)", CLI_OPT_REPEAT},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_register_tables[] = {register_options, cli_broker_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer register --broker URL --client-ref REF [--label KEY=VALUE ...]\n"
	       "\n"
	       "Register this AWS account with the broker: it allocates the lowest free\n"
	       "namespace and its address plan. Prints the namespace object (--output). The\n"
	       "same --client-ref again answers the same namespace and allocates nothing.\n"
	       "\n"
	       "Then request a VPC peering from this account to the hub VPC and run\n"
	       "`vpcpeer confirm`. A broker in broker mode (the default) accepts the\n"
	       "request itself once confirm has checked it: no role is involved. A broker\n"
	       "in peer-role mode also lets this account into one of the hub's peer roles,\n"
	       "named in PeerRoleArn, for the request to be accepted through.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_register_tables);
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

/* KEY=VALUE into labels; the broker's limits, checked here first. */
static bool add_label(json_t *labels, const char *text)
{
	const char *eq = strchr(text, '=');
	char key[VP_LABEL_KEY_MAX + 1];
	size_t klen = eq ? (size_t)(eq - text) : 0;

	if (!eq || klen == 0 || klen > VP_LABEL_KEY_MAX) {
		cli_error("register",
			  "--label must be KEY=VALUE with a key of 1..%d characters, "
			  "not '%.80s'",
			  VP_LABEL_KEY_MAX, text);
		return false;
	}
	memcpy(key, text, klen);
	key[klen] = '\0';
	if (!printable(key) || !printable(eq + 1) || strlen(eq + 1) > VP_LABEL_VALUE_MAX) {
		cli_error("register",
			  "label '%s' must be printable ASCII, its value at most %d "
			  "characters",
			  key, VP_LABEL_VALUE_MAX);
		return false;
	}
	if (json_object_get(labels, key)) {
		cli_error("register", "label '%s' is given twice", key);
		return false;
	}
	if (json_object_size(labels) >= VP_LABELS_MAX) {
		cli_error("register", "at most %d labels", VP_LABELS_MAX);
		return false;
	}
	return json_object_set_new(labels, key, json_string(eq + 1)) == 0;
}

int cmd_register_main(int argc, char **argv)
{
	const char *client_ref = NULL;
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	json_t *body = json_object(), *labels = json_object();
	char *text = NULL;
	int rc = CLI_EXIT_USAGE;

	cli_broker_init(&broker, "register");
	if (!body || !labels)
		goto done;
	cli_walk_start(&w, "register", argc, argv, cmd_register_tables, OPT_HELP, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		switch (arg->id) {
		case OPT_CLIENT_REF:
			client_ref = arg->value;
			break;
		case OPT_LABEL:
			w.failed = !add_label(labels, arg->value);
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	if (w.stopped) {
		rc = w.status;
		goto done;
	}
	if (!client_ref) {
		cli_error("register", "--client-ref REF is required");
		goto done;
	}
	if (vp_ids_client_ref_check(client_ref, &err) != VP_OK) {
		cli_error("register", "--client-ref: %s", err.message);
		goto done;
	}
	json_object_set_new(body, "client_ref", json_string(client_ref));
	if (json_object_size(labels) > 0)
		json_object_set(body, "labels", labels);
	text = json_dumps(body, JSON_COMPACT);
	if (!text) {
		cli_error("register", "out of memory");
		rc = CLI_EXIT_FAILED;
		goto done;
	}
	broker.waits_for = "it allocates a namespace; in peer-role mode it then lets this account "
			   "into a peer role and waits for IAM to settle (its --grant-settle, 10 s "
			   "by default)";
	rc = cli_broker_open("register", &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run("register", &broker, "POST", "/v1/namespaces", text);
done:
	cli_broker_close(&broker);
	free(text);
	json_decref(labels);
	json_decref(body);
	return rc;
}
