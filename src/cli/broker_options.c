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
#include <time.h>
#include <unistd.h>

#include "api/auth.h"
#include "aws/chain.h"
#include "aws/sigv4.h"
#include "cli/cli.h"
#include "client/broker_client.h"
#include "core/buf.h"
#include "core/ids.h"
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
	{"output", 'o', "FORMAT", CLI_OUTPUT_OPT_OUTPUT,
	 "table or json (default: a table on a terminal, JSON otherwise)", CLI_OPT_ENV},
	{"quiet", 'q', NULL, CLI_BROKER_OPT_QUIET,
	 "no progress lines on stderr while the broker works or a call is retried", CLI_OPT_ENV},
	CLI_OPTIONS_END,
};

/* Attempts of one call answered 429/503 with Retry-After, and the longest wait taken. */
#define CALL_ATTEMPTS     3
#define RETRY_AFTER_MAX_S 30
/* The first progress line after this long without an answer; then every PROGRESS_EVERY_S. */
#define PROGRESS_FIRST_S 2
#define PROGRESS_EVERY_S 10

void cli_broker_init(struct cli_broker *b, const char *command)
{
	memset(b, 0, sizeof(*b));
	b->command = command;
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
	case CLI_BROKER_OPT_QUIET:
		b->quiet = true;
		return true;
	case CLI_OUTPUT_OPT_OUTPUT:
		return cli_output_apply(command, &b->output, arg, failed);
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

/* The progress line while a call waits: what the broker is doing, and for how long at most. */
static void on_wait(void *ctx, long waited_ms)
{
	const struct cli_broker *b = ctx;
	long s = waited_ms / 1000, limit = (b->timeout_ms > 0 ? b->timeout_ms : 60000L) / 1000;

	if (b->quiet || s < PROGRESS_FIRST_S || (s - PROGRESS_FIRST_S) % PROGRESS_EVERY_S != 0)
		return;
	fprintf(stderr,
		"vpcpeer %s: still waiting for the broker after %ld s (this command gives up after "
		"%ld s, --timeout)%s%s\n",
		b->command, s, limit, b->waits_for ? ": " : "", b->waits_for ? b->waits_for : "");
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
	cfg.base_url = b->url;
	cfg.server_id = b->server_id;
	cfg.ca_file = b->ca_file;
	cfg.timeout_ms = b->timeout_ms;
	cfg.on_wait = on_wait;
	cfg.on_wait_ctx = b;
	/* The inputs first: a bad URL is a usage error whatever the credentials. */
	if (vp_broker_client_config_check(&cfg, &err) != VP_OK) {
		cli_error(command, "%s", err.message);
		return err.code == VP_ERR_INVALID || err.code == VP_ERR_RANGE ? CLI_EXIT_USAGE
									      : CLI_EXIT_FAILED;
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
	cfg.aws = b->aws;
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
	cli_broker_init(b, b->command);
}

/* The broker's error object of an answer: its code and message, or false when it has none. */
static bool broker_error(json_t *doc, const char **code, const char **message)
{
	json_t *error = json_object_get(doc, "error");

	*code = json_string_value(json_object_get(error, "code"));
	*message = json_string_value(json_object_get(error, "message"));
	return *code && *message;
}

/*
 * "409 conflict: message" from the broker's error object. An answer without
 * one did not come from a vpcpeer broker (every error of the API has it,
 * docs/api.md): a web server or a proxy answered, and its HTML is no help.
 */
static void print_refusal(const char *command, const struct cli_broker *b, long status, json_t *doc)
{
	const char *code, *message;

	if (broker_error(doc, &code, &message))
		cli_error(command, "%ld %s: %.400s", status, code, message);
	else
		cli_error(command,
			  "HTTP %ld from %s, which is not a vpcpeer broker's answer (no vpcpeer "
			  "JSON error): check that --broker is the broker's URL, or the proxy in "
			  "front of it",
			  status, b->url);
}

/* Whether to ask again: 429 or 503 with Retry-After that fits in what is left of --timeout. */
static bool retry_wait(const struct cli_broker *b, const struct vp_broker_response *resp,
		       int attempt, long spent_ms, long *wait_s)
{
	long budget_ms = b->timeout_ms > 0 ? b->timeout_ms : 60000L;

	if ((resp->status != 429 && resp->status != 503) || resp->retry_after_s <= 0 ||
	    attempt >= CALL_ATTEMPTS)
		return false;
	*wait_s = resp->retry_after_s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : resp->retry_after_s;
	return spent_ms + *wait_s * 1000L < budget_ms;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

int cli_broker_call(const char *command, struct cli_broker *b, const char *method, const char *path,
		    const char *json_body, json_t **doc)
{
	struct vp_broker_response resp;
	struct vp_error err;
	long start = now_ms(), wait_s = 0;
	json_t *answer = NULL;
	int rc = CLI_EXIT_FAILED;

	*doc = NULL;
	vp_broker_response_init(&resp);
	for (int attempt = 1;; attempt++) {
		const char *code, *message;
		if (vp_broker_client_call(b->client, method, path, json_body, &resp, &err) !=
		    VP_OK) {
			cli_error(command, "%s", err.message);
			goto done;
		}
		json_decref(answer);
		answer = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		if (!retry_wait(b, &resp, attempt, now_ms() - start, &wait_s))
			break;
		if (!b->quiet) {
			bool known = broker_error(answer, &code, &message);
			fprintf(stderr,
				"vpcpeer %s: the broker answered %ld%s%s%s%.300s; asking again in "
				"%ld s (Retry-After), attempt %d of %d\n",
				command, resp.status, known ? " " : "", known ? code : "",
				known ? ": " : "", known ? message : "", wait_s, attempt + 1,
				CALL_ATTEMPTS);
		}
		sleep((unsigned)wait_s);
	}
	if (resp.status < 200 || resp.status > 299) {
		print_refusal(command, b, resp.status, answer);
	} else if (!json_is_object(answer)) {
		cli_error(command,
			  "HTTP %ld from %s without a JSON object: not a vpcpeer broker? check "
			  "--broker",
			  resp.status, b->url);
	} else {
		*doc = answer;
		answer = NULL;
		rc = CLI_EXIT_OK;
	}
done:
	json_decref(answer);
	vp_broker_response_cleanup(&resp);
	return rc;
}

int cli_broker_run(const char *command, struct cli_broker *b, const char *method, const char *path,
		   const char *json_body)
{
	json_t *doc = NULL;
	int rc = cli_broker_call(command, b, method, path, json_body, &doc);

	if (rc == CLI_EXIT_OK)
		rc = cli_output_print(command, b->output, doc);
	json_decref(doc);
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
				 int client_ref_id, void (*print_help)(void), const char *waits_for)
{
	const char *n_text = NULL, *client_ref = NULL;
	struct vp_buf path; /* "/v1/namespaces/N", "?client_ref=R" */
	const struct cli_arg *arg;
	struct cli_broker broker;
	struct cli_walk w;
	struct vp_error err;
	int64_t n;
	int rc;

	cli_broker_init(&broker, command);
	broker.waits_for = waits_for;
	cli_walk_start(&w, command, argc, argv, tables, help_id, print_help);
	while ((arg = cli_broker_walk_next(&w, &broker))) {
		if (client_ref_id != 0 && arg->id == client_ref_id)
			client_ref = arg->value;
		else if (arg->id != 0 || n_text)
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
	if (client_ref && vp_ids_client_ref_check(client_ref, &err) != VP_OK) {
		cli_error(command, "--client-ref: %s", err.message);
		return CLI_EXIT_USAGE;
	}
	vp_buf_init(&path, 64 + 3 * VP_CLIENT_REF_MAX);
	if (vp_buf_appendf(&path, "/v1/namespaces/%" PRId64, n) != VP_OK ||
	    (client_ref &&
	     (vp_buf_appends(&path, "?client_ref=") != VP_OK ||
	      vp_aws_uri_encode(&path, client_ref, strlen(client_ref), false) != VP_OK))) {
		vp_buf_cleanup(&path);
		cli_error(command, "out of memory");
		return CLI_EXIT_FAILED;
	}
	rc = cli_broker_open(command, &broker);
	if (rc == CLI_EXIT_OK)
		rc = cli_broker_run(command, &broker, method, vp_buf_str(&path), NULL);
	cli_broker_close(&broker);
	vp_buf_cleanup(&path);
	return rc;
}
