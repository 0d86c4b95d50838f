/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer reconcile --once [--dry-run] [--json]: one reconcile pass with the
 * configuration of `vpcpeer serve` (the same flags and VPCPEER_* variables;
 * serve's server flags are accepted and ignored), printing what it found and
 * what it changed. It takes the leader lease "reconciler" first, so it does
 * not run beside a broker's reconciler on a shared PostgreSQL registry.
 * docs/reconciler.md.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "api/server.h"
#include "broker/reconcile.h"
#include "cli/broker_config.h"
#include "cli/cli.h"
#include "core/log.h"
#include "registry/registry.h"

#define REGISTRY_POOL  4
#define LEADER_WAIT_MS 10000

enum { OPT_HELP = 1, OPT_ONCE = 500, OPT_DRY_RUN, OPT_JSON, OPT_WAIT, OPT_FORCE, OPT_DETAILED };

static const struct cli_option reconcile_options[] = {
	{"once", 0, NULL, OPT_ONCE, "run one pass and exit (required)", 0},
	{"dry-run", 'n', NULL, OPT_DRY_RUN, "print the changes it would make; make none", 0},
	{"json", 0, NULL, OPT_JSON, "the same as --output json", 0},
	{"detailed-exitcode", 0, NULL, OPT_DETAILED,
	 "exit status 3 when the pass found drift (and nothing failed), 0 when none", 0},
	{"force", 0, NULL, OPT_FORCE,
	 "make every destructive repair, past --max-destructive-repairs", 0},
	{"lock-wait", 0, "MS", OPT_WAIT,
	 "wait this long for another broker's reconciler (default 10000)", 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

const struct cli_option *const cmd_reconcile_tables[] = {reconcile_options,
							 cli_output_options,
							 cli_broker_config_options,
							 cli_reconcile_limit_options,
							 cmd_serve_server_options,
							 cli_plan_options,
							 NULL};

static void print_help(void)
{
	printf("usage: vpcpeer reconcile --once [--dry-run] [--json] --hub-account ID\n"
	       "                         --hub-vpc VPC_ID [--peering-accepter MODE]\n"
	       "                         [--peer-role NAME...] [serve's options]\n"
	       "\n"
	       "Compare the registry with AWS once and converge them: release pending\n"
	       "registrations past their TTL and finish stuck releases; mark active\n"
	       "namespaces whose peering is gone failed; re-create missing hub routes and\n"
	       "delete the broker's routes that no active namespace explains (other routes\n"
	       "toward namespace blocks are only reported); put live accounts back into the\n"
	       "trust policies and take broker-added accounts with no live namespace out;\n"
	       "adopt peerings this registry tagged but lost (a restored backup); report\n"
	       "stray peerings into the hub (peer-role mode: delete active ones after\n"
	       "--stray-peering-grace) and reject foreign requests after\n"
	       "--foreign-request-grace. Past --max-destructive-repairs in one pass the\n"
	       "rest is held back (exit status 1) until --force.\n"
	       "With --dry-run nothing is changed. Takes the same configuration as\n"
	       "'vpcpeer serve' (flags or VPCPEER_* variables; serve's server flags are\n"
	       "ignored). The report: text on a terminal, one JSON object otherwise\n"
	       "(--output). Exit status 0 when nothing failed, 1 when a change failed or the\n"
	       "pass could not run, 2 for bad usage; with --detailed-exitcode, 3 when the\n"
	       "pass found drift (something planned, changed, reported or held back) and\n"
	       "nothing failed, so 'reconcile --once --dry-run --detailed-exitcode' tells\n"
	       "drift (3) from an error (1). See docs/reconciler.md.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_reconcile_tables);
}

static void print_text(const struct vp_reconcile_report *r)
{
	printf("%s: %zu namespace(s), %zu route table(s), %zu route(s) toward namespace "
	       "blocks, %zu peer role(s) with %zu trust entr%s, %zu peering(s)\n",
	       r->dry_run ? "dry run" : "reconciled", r->namespaces, r->route_tables, r->routes,
	       r->roles, r->trust_entries, r->trust_entries == 1 ? "y" : "ies", r->peerings);
	for (size_t i = 0; i < r->count; i++) {
		const struct vp_reconcile_item *it = &r->items[i];
		printf("%-8s %-15s", vp_reconcile_outcome_name(it->outcome),
		       vp_reconcile_kind_name(it->kind));
		if (it->n)
			printf(" n=%" PRId64, it->n);
		if (it->account[0])
			printf(" account=%s", it->account);
		if (it->table[0])
			printf(" table=%s", it->table);
		if (it->cidr[0])
			printf(" cidr=%s", it->cidr);
		if (it->target[0])
			printf(" target=%s", it->target);
		if (it->role[0])
			printf(" role=%s", it->role);
		printf(": %s\n", it->detail);
	}
	if (r->dropped)
		printf("... and %zu more finding(s) not listed\n", r->dropped);
	printf("%zu planned, %zu changed, %zu failed, %zu reported, %zu skipped, %zu held back\n",
	       r->planned, r->changed, r->failed, r->reported, r->skipped, r->held);
}

int cmd_reconcile_main(int argc, char **argv)
{
	struct cli_broker_config c;
	struct cli_broker_runtime rt = {0};
	struct vp_server_config server;
	struct vp_reconcile_options opts = {.request_id = "reconcile-once"};
	struct vp_reconcile_report *report = NULL;
	struct vp_registry_fence fence;
	const struct cli_arg *arg;
	struct cli_walk w;
	struct vp_error err;
	const char *server_id = NULL;
	int64_t ignored = 0, wait_ms = LEADER_WAIT_MS;
	enum cli_output output = CLI_OUTPUT_AUTO, alias = CLI_OUTPUT_AUTO;
	bool once = false, detailed = false;
	int rc;

	cli_broker_config_init(&c);
	vp_reconcile_limits_init(&opts.limits);
	vp_server_config_init(&server);
	c.log_level = VP_LOG_WARN; /* a one-shot command: the report is the output */
	cli_walk_start(&w, "reconcile", argc, argv, cmd_reconcile_tables, OPT_HELP, print_help);
	cli_walk_help_first(&w);
	while ((arg = cli_walk_next(&w))) {
		if (cli_broker_config_apply("reconcile", &c, arg, &w.failed) ||
		    cli_reconcile_limits_apply("reconcile", &opts.limits, arg, &w.failed) ||
		    cmd_serve_server_apply("reconcile", &server, &server_id, &ignored, &ignored,
					   arg, &w.failed))
			continue;
		switch (arg->id) {
		case OPT_ONCE:
			once = true;
			break;
		case OPT_DRY_RUN:
			opts.dry_run = true;
			break;
		case OPT_JSON:
			alias = CLI_OUTPUT_JSON;
			break;
		case CLI_OUTPUT_OPT_OUTPUT:
			cli_output_apply("reconcile", &output, arg, &w.failed);
			break;
		case OPT_DETAILED:
			detailed = true;
			break;
		case OPT_FORCE:
			opts.force = true;
			break;
		case OPT_WAIT:
			if (!cli_number_arg("reconcile", "--lock-wait", arg->value, 0, 600000,
					    &wait_ms))
				w.failed = true;
			break;
		default:
			cli_error("reconcile",
				  "unexpected argument '%s' (see 'vpcpeer reconcile "
				  "--help')",
				  arg->value);
			w.failed = true;
		}
	}
	output = cli_output_choose(output, alias);
	if (w.stopped)
		return w.status;
	if (!once) {
		cli_error("reconcile", "give --once (the broker reconciles on its own in 'vpcpeer "
				       "serve --reconcile-interval')");
		return CLI_EXIT_USAGE;
	}
	if (!cli_broker_config_check("reconcile", &c, false))
		return CLI_EXIT_USAGE;
	vp_log_setup(c.log_level, c.log_format, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = cli_broker_runtime_open("reconcile", &c, REGISTRY_POOL, &rt);
	memset(&fence, 0, sizeof(fence));
	if (rc == CLI_EXIT_OK &&
	    vp_reconcile_lease_take(rt.broker, &opts.limits, wait_ms > 0 ? (int)wait_ms : 1, &fence,
				    &err) != VP_OK) {
		cli_error("reconcile", "another broker is reconciling (%s); try again",
			  err.message);
		rc = CLI_EXIT_FAILED;
	}
	opts.fence = &fence;
	if (rc == CLI_EXIT_OK && vp_broker_reconcile(rt.broker, &opts, &report, &err) != VP_OK) {
		cli_error("reconcile", "%s", err.message);
		rc = CLI_EXIT_FAILED;
	}
	if (fence.epoch > 0)
		vp_reconcile_lease_end(rt.broker, &fence);
	if (report) {
		if (cli_output_is_json(output)) {
			json_t *doc = vp_reconcile_report_json(report);
			if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) != 0 ||
			    putchar('\n') == EOF) {
				cli_error("reconcile", "cannot write the report");
				rc = CLI_EXIT_FAILED;
			}
			json_decref(doc);
		} else {
			print_text(report);
		}
		if (fflush(stdout) != 0)
			rc = CLI_EXIT_FAILED;
		if (report->failed > 0 || report->held > 0)
			rc = CLI_EXIT_FAILED;
		else if (rc == CLI_EXIT_OK && detailed &&
			 report->planned + report->changed + report->reported + report->held > 0)
			rc = CLI_EXIT_DRIFT;
		if (report->held > 0)
			cli_error("reconcile",
				  "%zu destructive repair(s) held back past "
				  "--max-destructive-repairs %lld: check them, then run again with "
				  "--force",
				  report->held, (long long)opts.limits.max_destructive);
	}
	vp_reconcile_report_free(report);
	cli_broker_runtime_close(&rt);
	return rc;
}
