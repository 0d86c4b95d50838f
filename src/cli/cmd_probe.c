/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer probe: from a host in the client VPC, does it reach the hub?
 * TCP connects and HTTP(S) requests with a deadline (src/probe/), one line
 * per target in words that say where to look.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cfn/probe_mode.h"
#include "probe/probe.h"

enum {
	OPT_HELP = 1,
	OPT_TIMEOUT,
	OPT_ATTEMPT_TIMEOUT,
	OPT_INTERVAL,
	OPT_CA_FILE,
	OPT_JSON,
	OPT_TABLE
};

static const struct cli_option probe_options[] = {
	{"timeout", 0, "DUR", OPT_TIMEOUT, "each target's deadline (default 10s)", 0},
	{"attempt-timeout", 0, "DUR", OPT_ATTEMPT_TIMEOUT,
	 "one attempt at most (default 3s): connect, and for a URL the answer", 0},
	{"interval", 0, "DUR", OPT_INTERVAL,
	 "the first wait between attempts (default 1s), doubling up to 5s", 0},
	{"ca-file", 0, "FILE", OPT_CA_FILE, "https: PEM bundle of the CA (the system's otherwise)",
	 CLI_OPT_ENV},
	{"json", 0, NULL, OPT_JSON, "the same as --output json", 0},
	{"table", 0, NULL, OPT_TABLE, "the same as --output table", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_probe_tables[] = {probe_options, cli_output_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer probe [options] TARGET...\n"
	       "\n"
	       "From a host in the client VPC, check that it reaches the hub: a TCP connect\n"
	       "for HOST:PORT ([IPV6]:PORT, or a DNS name), a GET that must answer 2xx or 3xx\n"
	       "for an http:// or https:// URL (redirects are not followed). Each target is\n"
	       "tried until it answers or its deadline passes, all targets at once.\n"
	       "\n"
	       "Outcomes: connected; refused (the host answered: nothing listens there);\n"
	       "timed_out (dropped on the way: a route, a security group or a network ACL;\n"
	       "the message names this VPC's and the hub's route tables); no_route (this\n"
	       "host's own routing table); not_resolved; http_status (answered, not 2xx or\n"
	       "3xx); no_answer (connected, no HTTP answer); tls_failed; error.\n"
	       "\n"
	       "Output: a table on a terminal, one JSON object otherwise\n"
	       "({\"Reached\": ..., \"Targets\": [...]}). DUR: 10, 10s or 500ms.\n"
	       "Exit status: 0 every target reached, 1 any target not reached,\n"
	       "2 bad usage or a bad target (then nothing is sent).\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_probe_tables);
}

/* "10" or "10s" (seconds) or "500ms", 1 ms..1 h (0 allowed when zero_ok). */
static bool duration_arg(const char *flag, const char *value, bool zero_ok, int64_t *out_ms)
{
	size_t digits = strspn(value, "0123456789");
	const char *unit = value + digits;
	int64_t n = 0, scale;

	if (strcmp(unit, "ms") == 0)
		scale = 1;
	else if (unit[0] == '\0' || strcmp(unit, "s") == 0)
		scale = 1000;
	else
		digits = 0;
	if (digits == 0 || digits > 7) {
		cli_error("probe", "%s takes a duration, 10, 10s or 500ms, not '%.40s'", flag,
			  value);
		return false;
	}
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (value[i] - '0');
	n *= scale;
	if ((n == 0 && !zero_ok) || n > 3600 * 1000) {
		cli_error("probe", "%s must be %s..1h, not '%.40s'", flag, zero_ok ? "0" : "1ms",
			  value);
		return false;
	}
	*out_ms = n;
	return true;
}

/* The same JSON as the probe function's answer (cfn/probe_mode.h), so the two cannot drift. */
static int print_json(const struct vp_probe_target *targets, const struct vp_probe_result *results,
		      int count)
{
	json_t *obj = vp_cfn_probe_json(targets, results, count);
	int rc;

	rc = obj && json_dumpf(obj, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) == 0 &&
			     putchar('\n') != EOF
		     ? CLI_EXIT_OK
		     : CLI_EXIT_FAILED;
	json_decref(obj);
	return rc;
}

static void print_table(const struct vp_probe_target *targets,
			const struct vp_probe_result *results, int count)
{
	int width = (int)strlen("TARGET");

	for (int i = 0; i < count; i++) {
		int len = (int)strlen(targets[i].text);
		width = len > width ? (len < 60 ? len : 60) : width;
	}
	printf("%-*s  %-12s  %8s  %8s  %s\n", width, "TARGET", "OUTCOME", "TIME", "ATTEMPTS",
	       "MESSAGE");
	for (int i = 0; i < count; i++) {
		const struct vp_probe_result *r = &results[i];
		char time[24];
		snprintf(time, sizeof(time), "%lld ms", (long long)r->time_ms);
		printf("%-*s  %-12s  %8s  %8d  %s\n", width, targets[i].text,
		       vp_probe_outcome_name(r->outcome), time, r->attempts, r->message);
	}
}

int cmd_probe_main(int argc, char **argv)
{
	static struct vp_probe_target targets[VP_PROBE_MAX_TARGETS];
	static struct vp_probe_result results[VP_PROBE_MAX_TARGETS];
	struct vp_probe_options options;
	const struct cli_arg *arg;
	struct cli_walk w;
	struct vp_error err;
	enum cli_output output = CLI_OUTPUT_AUTO, alias = CLI_OUTPUT_AUTO;
	int count = 0;
	bool json;
	bool all = true;

	vp_probe_options_init(&options);
	cli_walk_start(&w, "probe", argc, argv, cmd_probe_tables, OPT_HELP, print_help);
	while ((arg = cli_walk_next(&w))) {
		switch (arg->id) {
		case OPT_TIMEOUT:
			w.failed =
				!duration_arg("--timeout", arg->value, false, &options.timeout_ms);
			break;
		case OPT_ATTEMPT_TIMEOUT:
			w.failed = !duration_arg("--attempt-timeout", arg->value, false,
						 &options.attempt_timeout_ms);
			break;
		case OPT_INTERVAL:
			w.failed =
				!duration_arg("--interval", arg->value, true, &options.interval_ms);
			break;
		case OPT_CA_FILE:
			options.ca_file = arg->value;
			break;
		case CLI_OUTPUT_OPT_OUTPUT:
			cli_output_apply("probe", &output, arg, &w.failed);
			break;
		case OPT_JSON:
			alias = CLI_OUTPUT_JSON;
			break;
		case OPT_TABLE:
			alias = CLI_OUTPUT_TABLE;
			break;
		case 0:
			if (count == VP_PROBE_MAX_TARGETS) {
				cli_error("probe", "at most %d targets", VP_PROBE_MAX_TARGETS);
				w.failed = true;
				break;
			}
			if (vp_probe_target_parse(arg->value, strlen(arg->value), &targets[count],
						  &err) != VP_OK) {
				cli_error("probe", "bad target: %s", err.message);
				w.failed = true;
				break;
			}
			count++;
			break;
		default:
			cli_walk_unexpected(&w, arg);
		}
	}
	output = cli_output_choose(output, alias);
	if (w.stopped)
		return w.status;
	if (count == 0) {
		cli_error("probe", "missing TARGET (see 'vpcpeer probe --help')");
		return CLI_EXIT_USAGE;
	}
	if (vp_probe_run(targets, count, &options, results, &err) != VP_OK) {
		cli_error("probe", "%s", err.message);
		return err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
	for (int i = 0; i < count; i++)
		all = all && results[i].reached;
	json = cli_output_is_json(output);
	if (json) {
		if (print_json(targets, results, count) != CLI_EXIT_OK) {
			cli_error("probe", "cannot write the answer");
			return CLI_EXIT_FAILED;
		}
	} else {
		print_table(targets, results, count);
	}
	return all ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}
