/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer lambda: the CloudFormation custom-resource handler as a Lambda
 * custom runtime (provided.al2023). The same program named `bootstrap` runs
 * this (main.c). docs/lambda.md.
 *
 * Two modes, one program (issue 21): "handler" (the default) answers
 * CloudFormation; "probe" answers probe events from inside the client VPC
 * (cfn/probe_mode.h), for the template's ProbeFunction. The mode comes from
 * --lambda-mode / VPCPEER_LAMBDA_MODE, else from the function's Handler
 * setting (Lambda's _HANDLER): "probe" means the probe mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/chain.h"
#include "cfn/handler.h"
#include "cfn/probe_mode.h"
#include "cfn/runtime.h"
#include "cli/cli.h"
#include "core/log.h"

enum {
	OPT_HELP = 1,
	OPT_RUNTIME_API,
	OPT_CA_FILE,
	OPT_BROKER_CA_FILE,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_HEALTH_TIMEOUT,
	OPT_RESERVE,
	OPT_MAX_EVENTS,
	OPT_BROKER_URL,
	OPT_SERVER_ID,
	OPT_MODE,
};

static const struct cli_option lambda_options[] = {
	{"lambda-mode", 0, "MODE", OPT_MODE,
	 "handler (the custom-resource handler) or probe (the probe function: probe events, "
	 "docs/lambda.md); default: probe when the function's Handler is 'probe', else handler",
	 CLI_OPT_ENV},
	{"broker-url", 0, "URL", OPT_BROKER_URL,
	 "the only broker to sign identity proofs for (an event naming another is refused; "
	 "templates/client.yaml sets it)",
	 CLI_OPT_ENV},
	{"server-id", 0, "ID", OPT_SERVER_ID,
	 "that broker's server id (default: the URL's host:port)", CLI_OPT_ENV},
	{"runtime-api", 0, "HOST:PORT", OPT_RUNTIME_API,
	 "the Lambda Runtime API (default: AWS_LAMBDA_RUNTIME_API)", 0},
	{"ca-file", 0, "FILE", OPT_CA_FILE,
	 "CA bundle for the broker and the ResponseURL (default: SSL_CERT_FILE, the system's)",
	 CLI_OPT_ENV},
	{"broker-ca-file", 0, "FILE", OPT_BROKER_CA_FILE,
	 "CA bundle for the broker only, e.g. a private CA's (default: --ca-file's)", CLI_OPT_ENV},
	{"log-level", 0, "LEVEL", OPT_LOG_LEVEL, "debug, info (default), warn or error",
	 CLI_OPT_ENV},
	{"log-format", 0, "FORMAT", OPT_LOG_FORMAT, "json (default) or text", CLI_OPT_ENV},
	{"health-check-timeout", 0, "SECONDS", OPT_HEALTH_TIMEOUT,
	 "how long a HealthCheck keeps trying (default 20)", CLI_OPT_ENV},
	{"reserve", 0, "MS", OPT_RESERVE,
	 "milliseconds kept for the answer before the deadline (default 2000)", CLI_OPT_ENV},
	{"max-events", 0, "N", OPT_MAX_EVENTS, "stop after N invocations (tests; default: never)",
	 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_lambda_tables[] = {lambda_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer lambda [--runtime-api HOST:PORT] [options]\n"
	       "\n"
	       "Run the CloudFormation custom-resource handler (Custom::PeeringRegistration,\n"
	       "Custom::PeeringConfirmation) as a Lambda custom runtime: fetch each event\n"
	       "from the Runtime API, call the broker with an identity proof signed by the\n"
	       "function's role, and answer CloudFormation. Named 'bootstrap', vpcpeer runs\n"
	       "this directly. Logs one JSON line per request on stderr. With --lambda-mode\n"
	       "probe it is the client template's probe function instead: each event\n"
	       "{\"targets\": [...], \"timeout_s\": N} is probed from where it runs and\n"
	       "answered with vpcpeer probe's JSON. See docs/lambda.md.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_lambda_tables);
}

/* Debian's libcurl looks for Debian's bundle; Amazon Linux keeps it elsewhere. */
static const char *system_ca_file(void)
{
	static const char *const candidates[] = {
		"/etc/pki/tls/certs/ca-bundle.crt",   /* Amazon Linux, Fedora */
		"/etc/ssl/certs/ca-certificates.crt", /* Debian */
	};
	const char *env = getenv("SSL_CERT_FILE");

	if (env && env[0])
		return env;
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

int cmd_lambda_main(int argc, char **argv)
{
	struct vp_cfn_handler_config cfg = {0};
	struct vp_aws_client_config aws_cfg = {0};
	struct vp_lambda_runtime *rt = NULL;
	const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
	enum vp_log_level level = VP_LOG_INFO;
	enum vp_log_format format = VP_LOG_JSON;
	int64_t max_events = 0, value;
	const char *mode = NULL;
	bool probe_mode;
	const struct cli_arg *arg;
	struct vp_error err;
	struct cli_walk w;
	int rc = CLI_EXIT_FAILED;

	cli_walk_start(&w, "lambda", argc, argv, cmd_lambda_tables, OPT_HELP, print_help);
	while ((arg = cli_walk_next(&w))) {
		switch (arg->id) {
		case OPT_RUNTIME_API:
			api = arg->value;
			break;
		case OPT_CA_FILE:
			cfg.ca_file = arg->value;
			break;
		case OPT_BROKER_CA_FILE:
			cfg.broker_ca_file = arg->value;
			break;
		case OPT_BROKER_URL:
			cfg.broker_url = arg->value;
			break;
		case OPT_SERVER_ID:
			cfg.server_id = arg->value;
			break;
		case OPT_MODE:
			mode = arg->value;
			if (strcmp(mode, "handler") != 0 && strcmp(mode, "probe") != 0) {
				cli_error("lambda", "--lambda-mode: '%s' is not handler or probe",
					  mode);
				w.failed = true;
			}
			break;
		case OPT_LOG_LEVEL:
			if (vp_log_level_parse(arg->value, &level, &err) != VP_OK) {
				cli_error("lambda", "%s", err.message);
				w.failed = true;
			}
			break;
		case OPT_LOG_FORMAT:
			if (vp_log_format_parse(arg->value, &format, &err) != VP_OK) {
				cli_error("lambda", "%s", err.message);
				w.failed = true;
			}
			break;
		case OPT_HEALTH_TIMEOUT:
			if (cli_number_arg("lambda", "--health-check-timeout", arg->value, 1, 900,
					   &value))
				cfg.health_timeout_ms = (long)value * 1000L;
			else
				w.failed = true;
			break;
		case OPT_RESERVE:
			if (cli_number_arg("lambda", "--reserve", arg->value, 100, 60000, &value))
				cfg.reserve_ms = (long)value;
			else
				w.failed = true;
			break;
		case OPT_MAX_EVENTS:
			w.failed = !cli_number_arg("lambda", "--max-events", arg->value, 1,
						   INT32_MAX, &max_events);
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	if (w.stopped)
		return w.status;
	if (!cfg.ca_file)
		cfg.ca_file = system_ca_file();
	vp_log_setup(level, format, NULL);
	/*
	 * This command is an edge: it owns libcurl's and libxml2's global state.
	 * No OpenSSL configuration file unless OPENSSL_CONF names one: it is
	 * not in the Lambda image, and looking for it costs start time.
	 */
	if (vp_aws_global_init_lean(true, &err) != VP_OK) {
		cli_error("lambda", "%s", err.message);
		return CLI_EXIT_FAILED;
	}
	if (vp_lambda_runtime_new(api, &rt, &err) != VP_OK) {
		cli_error("lambda", "%s", err.message);
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	probe_mode = mode ? strcmp(mode, "probe") == 0
			  : getenv("_HANDLER") && strcmp(getenv("_HANDLER"), "probe") == 0;
	if (probe_mode) {
		/* No AWS call, no credentials: the probe only connects to its targets. */
		struct vp_cfn_probe_config pcfg = {.ca_file = cfg.ca_file,
						   .reserve_ms = cfg.reserve_ms};
		vp_log(VP_LOG_INFO, "vpcpeer lambda probe ready");
		if (vp_lambda_run(rt, vp_cfn_probe_lambda_handler, &pcfg, (unsigned long)max_events,
				  &err) != VP_OK) {
			vp_log(VP_LOG_ERROR, "%s", err.message);
			goto done;
		}
		rc = CLI_EXIT_OK;
		goto done;
	}
	/* The role's credentials and region come from the environment Lambda sets. */
	if (vp_aws_client_new_default(&aws_cfg, &cfg.aws, &err) != VP_OK) {
		struct vp_error rerr;
		vp_log(VP_LOG_ERROR, "cannot set up the AWS client: %s", err.message);
		if (vp_lambda_report_error(rt, NULL, "InitError", err.message, &rerr) != VP_OK)
			vp_log(VP_LOG_ERROR, "%s", rerr.message);
		goto done;
	}
	vp_log(VP_LOG_INFO, "vpcpeer lambda handler ready");
	if (vp_lambda_run(rt, vp_cfn_lambda_handler, &cfg, (unsigned long)max_events, &err) !=
	    VP_OK) {
		vp_log(VP_LOG_ERROR, "%s", err.message);
		goto done;
	}
	rc = CLI_EXIT_OK;
done:
	vp_aws_client_free(cfg.aws);
	vp_lambda_runtime_free(rt);
	vp_aws_global_cleanup();
	return rc;
}
