/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the broker's client commands (register, confirm, release, show, list)
 * share: the connection flags, the AWS client that signs the proofs, one call
 * and how its answer is printed.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "api/auth.h"
#include "aws/chain.h"
#include "cli/cli.h"
#include "client/broker_client.h"
#include "core/num.h"

const struct cli_option cli_broker_options[] = {
	{"broker", 0, "URL", CLI_BROKER_OPT_BROKER, "the broker's URL (https://host[:port])",
	 CLI_OPT_ENV},
	{"server-id", 0, "ID", CLI_BROKER_OPT_SERVER_ID,
	 "the broker's server id (default: the URL's host:port)", CLI_OPT_ENV},
	{"ca-file", 0, "FILE", CLI_BROKER_OPT_CA_FILE,
	 "PEM file of the CA that signed the broker's certificate", CLI_OPT_ENV},
	{"timeout", 0, "SECONDS", CLI_BROKER_OPT_TIMEOUT, "give up after this long (default 60)",
	 0},
	{"region", 0, "REGION", CLI_BROKER_OPT_REGION,
	 "AWS region for the proof's STS endpoint (default: AWS_REGION)", 0},
	{"profile", 0, "PROFILE", CLI_BROKER_OPT_PROFILE,
	 "AWS profile for the credentials (default: AWS_PROFILE)", 0},
	CLI_OPTIONS_END,
};

void cli_broker_init(struct cli_broker *b)
{
	memset(b, 0, sizeof(*b));
}

bool cli_broker_apply(const char *command, struct cli_broker *b, const struct cli_arg *arg,
		      bool *failed)
{
	int64_t seconds;

	switch (arg->id) {
	case CLI_BROKER_OPT_BROKER:
		b->url = arg->value;
		return true;
	case CLI_BROKER_OPT_SERVER_ID:
		b->server_id = arg->value;
		return true;
	case CLI_BROKER_OPT_CA_FILE:
		b->ca_file = arg->value;
		return true;
	case CLI_BROKER_OPT_REGION:
		b->region = arg->value;
		return true;
	case CLI_BROKER_OPT_PROFILE:
		b->profile = arg->value;
		return true;
	case CLI_BROKER_OPT_TIMEOUT:
		if (cli_number_arg(command, "--timeout", arg->value, 1, 3600, &seconds))
			b->timeout_ms = (long)seconds * 1000L;
		else
			*failed = true;
		return true;
	default:
		return false;
	}
}

const struct cli_arg *cli_broker_walk_next(struct cli_walk *w, struct cli_broker *b)
{
	const struct cli_arg *arg;

	while ((arg = cli_walk_next(w)) && cli_broker_apply(w->command, b, arg, &w->failed))
		;
	return arg;
}

int cli_broker_open(const char *command, struct cli_broker *b)
{
	struct vp_aws_client_config aws_cfg = {.region = b->region, .profile = b->profile};
	struct vp_broker_client_config cfg = {0};
	struct vp_error err;

	if (!b->url) {
		cli_error(command, "--broker URL is required (or set VPCPEER_BROKER)");
		return CLI_EXIT_USAGE;
	}
	/* The edge owns libcurl's and libxml2's global state. */
	if (vp_aws_global_init(&err) != VP_OK) {
		cli_error(command, "%s", err.message);
		return CLI_EXIT_FAILED;
	}
	b->initialised = true;
	if (vp_aws_client_new_default(&aws_cfg, &b->aws, &err) != VP_OK) {
		cli_error(command, "%s", err.message);
		return err.code == VP_ERR_INVALID || err.code == VP_ERR_NOT_FOUND ||
				       err.code == VP_ERR_RANGE
			       ? CLI_EXIT_USAGE
			       : CLI_EXIT_FAILED;
	}
	cfg.base_url = b->url;
	cfg.server_id = b->server_id;
	cfg.ca_file = b->ca_file;
	cfg.aws = b->aws;
	cfg.timeout_ms = b->timeout_ms;
	if (vp_broker_client_new(&cfg, &b->client, &err) != VP_OK) {
		cli_error(command, "%s", err.message);
		return err.code == VP_ERR_INVALID || err.code == VP_ERR_RANGE ? CLI_EXIT_USAGE
									      : CLI_EXIT_FAILED;
	}
	return CLI_EXIT_OK;
}

void cli_broker_close(struct cli_broker *b)
{
	vp_broker_client_free(b->client);
	vp_aws_client_free(b->aws);
	if (b->initialised)
		vp_aws_global_cleanup();
	cli_broker_init(b);
}

/* "409 conflict: message" from the broker's error object, or what can be said without one. */
static void print_refusal(const char *command, long status, const struct vp_buf *body)
{
	json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, NULL);
	json_t *error = json_object_get(doc, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *message = json_string_value(json_object_get(error, "message"));

	if (code && message) {
		cli_error(command, "%ld %s: %.400s", status, code, message);
	} else {
		char snippet[121];
		size_t n = body->len < sizeof(snippet) - 1 ? body->len : sizeof(snippet) - 1;
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)body->data[i];
			snippet[i] = ch < 0x20 || ch > 0x7e ? ' ' : (char)ch;
		}
		snippet[n] = '\0';
		cli_error(command, "HTTP %ld from the broker%s%s", status, n ? ": " : "", snippet);
	}
	json_decref(doc);
}

int cli_broker_run(const char *command, struct cli_broker *b, const char *method, const char *path,
		   const char *json_body)
{
	struct vp_broker_response resp;
	struct vp_error err;
	json_t *doc;
	int rc;

	vp_broker_response_init(&resp);
	if (vp_broker_client_call(b->client, method, path, json_body, &resp, &err) != VP_OK) {
		cli_error(command, "%s", err.message);
		vp_broker_response_cleanup(&resp);
		return CLI_EXIT_FAILED;
	}
	if (resp.status < 200 || resp.status > 299) {
		print_refusal(command, resp.status, &resp.body);
		vp_broker_response_cleanup(&resp);
		return CLI_EXIT_FAILED;
	}
	doc = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
	if (!json_is_object(doc)) {
		cli_error(command, "the broker answered HTTP %ld without a JSON object",
			  resp.status);
		rc = CLI_EXIT_FAILED;
	} else if (json_dumpf(doc, stdout, JSON_COMPACT) != 0 || putchar('\n') == EOF ||
		   fflush(stdout) != 0) {
		cli_error(command, "cannot write the answer");
		rc = CLI_EXIT_FAILED;
	} else {
		rc = CLI_EXIT_OK;
	}
	json_decref(doc);
	vp_broker_response_cleanup(&resp);
	return rc;
}

bool cli_namespace_arg(const char *command, const char *text, int64_t *out)
{
	struct vp_error err;
	size_t n = strlen(text);

	/* Plain decimal, as the API's paths: no sign, no leading zeros. */
	if (n == 0 || strspn(text, "0123456789") != n || (n > 1 && text[0] == '0') ||
	    vp_parse_int64(text, 0, INT32_MAX, "namespace", out, &err) != VP_OK) {
		cli_error(command,
			  "the namespace must be a plain decimal number below 2^31, not "
			  "'%.40s'",
			  text);
		return false;
	}
	return true;
}

int cli_broker_namespace_command(const char *command, const char *method, int argc, char **argv,
				 const struct cli_option *const *tables, int help_id,
				 void (*print_help)(void))
{
	const char *n_text = NULL;
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	char path[48];
	int64_t n;
	int rc;

	cli_broker_init(&broker);
	cli_walk_start(&w, command, argc, argv, tables, help_id, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		if (arg->id != 0 || n_text)
			cli_walk_unexpected(&w, arg);
		else
			n_text = arg->value;
	}
	if (w.stopped)
		return w.status;
	if (!n_text) {
		cli_error(command, "which namespace? (vpcpeer %s --broker URL N)", command);
		return CLI_EXIT_USAGE;
	}
	if (!cli_namespace_arg(command, n_text, &n))
		return CLI_EXIT_USAGE;
	snprintf(path, sizeof(path), "/v1/namespaces/%" PRId64, n);
	rc = cli_broker_open(command, &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run(command, &broker, method, path, NULL);
	cli_broker_close(&broker);
	return rc;
}
