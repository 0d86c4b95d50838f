/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer serve-lambda: the broker's API as a Lambda function behind an API
 * Gateway HTTP API (issue 18, docs/serverless.md). The broker is built as
 * `serve` builds it, from the same flags and VPCPEER_* variables; instead of
 * listening it takes HTTP API events (payload format 2.0) from the Runtime
 * API one at a time and answers each through the routes `serve` uses
 * (api/apigw.h, api/dispatch.h). A command of its own, not a mode of
 * `vpcpeer lambda` (the client's custom-resource handler): the two run in
 * different accounts with different roles and settings, and the broker's
 * libraries (libpq, SQLite) stay out of the client's zip.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/apigw.h"
#include "api/auth.h"
#include "api/ratelimit.h"
#include "api/server.h"
#include "aws/client.h"
#include "broker/broker.h"
#include "broker/reconcile.h"
#include "cfn/runtime.h"
#include "cli/broker_config.h"
#include "cli/cli.h"
#include "core/log.h"
#include "proof/proof.h"
#include "registry/registry.h"

#define REGISTRY_POOL      1    /* one event at a time */
#define ADOPT_LOCK_WAIT_MS 1000 /* another instance adopting: its pass is as good */
/* A scheduled pass has no thread to renew the lease: it holds it for an invocation's 30 s. */
#define SCHEDULED_LEASE_TTL 30

enum {
	OPT_HELP = 1,
	OPT_PUBLIC_URL = 200, /* above the server options' ids (cmd_serve.c) */
	OPT_ACCEPT_UNBOUND_PROOFS,
	OPT_METRICS_LISTEN,
	OPT_RUNTIME_API,
	OPT_MAX_EVENTS,
};

#define E CLI_OPT_ENV

static const struct cli_option serve_lambda_options[] = {
	{"public-url", 0, "URL", OPT_PUBLIC_URL,
	 "the API's URL (https://broker.example.com); the server id is its HOST:PORT (default: "
	 "the event's requestContext.domainName, port 443)",
	 E},
	{"accept-unbound-proofs", 0, NULL, OPT_ACCEPT_UNBOUND_PROOFS,
	 "also accept proofs not bound to a request (older clients; each use logged and counted)",
	 E},
	{"metrics-listen", 0, "HOST:PORT", OPT_METRICS_LISTEN,
	 "accepted for serve's configuration and ignored: a function has no listener", E},
	{"runtime-api", 0, "HOST:PORT", OPT_RUNTIME_API,
	 "the Lambda Runtime API (default: AWS_LAMBDA_RUNTIME_API)", 0},
	{"max-events", 0, "N", OPT_MAX_EVENTS, "stop after N invocations (tests; default: never)",
	 0},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

#undef E

const struct cli_option *const cmd_serve_lambda_tables[] = {
	cli_broker_config_options, cmd_serve_server_options, cli_reconcile_limit_options,
	cli_plan_options,          serve_lambda_options,     NULL};

static void print_help(void)
{
	printf("usage: vpcpeer serve-lambda --hub-account ID --hub-vpc VPC_ID [serve's options]\n"
	       "                            [--runtime-api HOST:PORT]\n"
	       "\n"
	       "Run the broker's REST API (docs/api.md) as a Lambda custom runtime behind an\n"
	       "API Gateway HTTP API (payload format 2.0): the same broker as 'vpcpeer serve',\n"
	       "from the same options and VPCPEER_<NAME> variables, answering each event\n"
	       "through the same routes, identity proofs and access-log line. The listener's\n"
	       "options (--listen, TLS, connections, threads, workers, the PROXY protocol,\n"
	       "--metrics-listen, the reconciler's interval) are accepted and ignored: API\n"
	       "Gateway serves TLS and the custom domain. The server id is --server-id, else\n"
	       "--public-url's HOST:PORT, else the event's domain name with port 443.\n"
	       "An EventBridge Scheduled Event runs one reconciler pass under the leader\n"
	       "lease (another instance leading: it skips) and answers a summary.\n"
	       "An event that is neither is answered with an invocation error.\n"
	       "SIGTERM stops it after the event in progress (exit status 0).\n"
	       "See docs/serverless.md.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_serve_lambda_tables);
}

struct lambda_config {
	struct vp_server_config server; /* the limits that apply: rates, body, admission */
	struct cli_broker_config bc;
	struct vp_reconcile_limits limits; /* the scheduled passes' */
	const char *server_id, *public_url, *runtime_api;
	char derived_id[VP_PROOF_SERVER_ID_MAX + 1];
	bool accept_unbound_proofs;
	int64_t proof_max_age, reconcile_interval, max_events;
};

static bool apply(struct lambda_config *c, const struct cli_arg *arg)
{
	bool failed = false;

	switch (arg->id) {
	case OPT_PUBLIC_URL:
		c->public_url = arg->value;
		return true;
	case OPT_ACCEPT_UNBOUND_PROOFS:
		c->accept_unbound_proofs = true;
		return true;
	case OPT_METRICS_LISTEN:
		return true;
	case OPT_RUNTIME_API:
		c->runtime_api = arg->value;
		return true;
	case OPT_MAX_EVENTS:
		return cli_number_arg("serve-lambda", "--max-events", arg->value, 1, INT32_MAX,
				      &c->max_events);
	default:
		break;
	}
	if (cli_broker_config_apply("serve-lambda", &c->bc, arg, &failed) ||
	    cli_reconcile_limits_apply("serve-lambda", &c->limits, arg, &failed) ||
	    cmd_serve_server_apply("serve-lambda", &c->server, &c->server_id, &c->proof_max_age,
				   &c->reconcile_interval, arg, &failed))
		return !failed;
	cli_error("serve-lambda", "unexpected argument '%s' (see 'vpcpeer serve-lambda --help')",
		  arg->value);
	return false;
}

static bool check_server_id(struct lambda_config *c)
{
	struct vp_error err;

	if (c->public_url && vp_proof_default_server_id(c->public_url, c->derived_id,
							sizeof(c->derived_id), &err) != VP_OK) {
		cli_error("serve-lambda", "--public-url: %s", err.message);
		return false;
	}
	if (c->server_id && vp_proof_server_id_check(c->server_id, &err) != VP_OK) {
		cli_error("serve-lambda", "--server-id: %s", err.message);
		return false;
	}
	return true;
}

/* What the function holds, torn down by lambda_cleanup(). */
struct lambda_state {
	struct lambda_config *c;
	struct cli_broker_runtime rt;
	struct vp_ratelimit *rate;
	struct vp_api_ready_cache ready;
	bool ready_init;
	struct vp_apigw_function fn;
	struct vp_lambda_runtime *lambda;
	struct vp_reconcile_memory *memory; /* first-seen strays, across this instance's passes */
};

static bool allowed_caller(void *broker, const struct vp_identity *id)
{
	return vp_broker_check_caller(broker, id, NULL) == VP_OK;
}

/*
 * The proof verifier, made for the first /v1 event (apigw.h auth_for): the
 * server id is the configured one, else the API's domain name as a client
 * names it in https://DOMAIN (port 443).
 */
static vp_code auth_for(void *ctx, const char *domain, struct vp_auth **out, struct vp_error *err)
{
	struct lambda_state *st = ctx;
	struct lambda_config *c = st->c;
	struct vp_auth_config cfg = {0};
	const struct vp_aws_endpoint *sts;
	char url[VP_APIGW_DOMAIN_MAX + 16];
	vp_code rc;

	cfg.proof.server_id = c->server_id ? c->server_id : c->public_url ? c->derived_id : NULL;
	if (!cfg.proof.server_id) {
		if (!domain[0])
			return vp_fail(err, VP_ERR_INTERNAL,
				       "no server id: give --server-id (or --public-url), or let "
				       "API Gateway send requestContext.domainName");
		snprintf(url, sizeof(url), "https://%s", domain);
		rc = vp_proof_default_server_id(url, c->derived_id, sizeof(c->derived_id), err);
		if (rc != VP_OK)
			return rc;
		cfg.proof.server_id = c->derived_id;
	}
	cfg.accept_unbound = c->accept_unbound_proofs;
	cfg.metrics = st->rt.metrics;
	cfg.proof.partition = vp_aws_client_partition(st->rt.aws)->name;
	sts = vp_aws_client_endpoint(st->rt.aws, VP_AWS_STS);
	cfg.proof.sts_endpoint = sts && sts->custom ? sts->url : NULL;
	cfg.proof.max_age_seconds = c->proof_max_age;
	cfg.proof.sts_hosts = c->server.sts_hosts;
	cfg.proof.sts_host_count = c->server.sts_host_count;
	cfg.admission = c->server.admission;
	rc = vp_auth_new(&cfg, out, err);
	if (rc != VP_OK) {
		vp_error_prefix(err, "identity proofs");
		return rc;
	}
	vp_auth_set_cacheable(*out, allowed_caller, st->rt.broker);
	vp_log(VP_LOG_INFO, "identity proofs for server id %s", cfg.proof.server_id);
	return VP_OK;
}

/* What a pass did, for the scheduler's answer (the findings are in the log). */
static json_t *pass_summary(const struct vp_reconcile_report *r, int64_t epoch)
{
	return json_pack("{ss sI sI sI sI sI sI sI sI sI}", "reconcile", "ran", "epoch",
			 (json_int_t)epoch, "namespaces", (json_int_t)r->namespaces, "peerings",
			 (json_int_t)r->peerings, "changed", (json_int_t)r->changed, "failed",
			 (json_int_t)r->failed, "reported", (json_int_t)r->reported, "skipped",
			 (json_int_t)r->skipped, "planned", (json_int_t)r->planned, "held",
			 (json_int_t)r->held);
}

/*
 * An EventBridge Scheduled Event: one reconciler pass under the leader
 * lease, taken without waiting (another instance leading: this one skips, as
 * serve's reconciler threads do). The answer sums the pass up; a pass that
 * cannot read the registry or AWS is the invocation's error.
 */
static vp_code on_schedule(struct lambda_state *st, const char *request_id, struct vp_buf *response,
			   char *error_type, size_t error_type_size, struct vp_error *err)
{
	struct vp_reconcile_options opts = {
		.request_id = request_id, .limits = st->c->limits, .memory = st->memory};
	struct vp_reconcile_report *report = NULL;
	struct vp_registry_fence fence;
	json_t *doc = NULL;
	int64_t epoch;
	char *text;
	vp_code rc;

	memset(&fence, 0, sizeof(fence));
	if (opts.limits.lease_ttl_s < SCHEDULED_LEASE_TTL)
		opts.limits.lease_ttl_s = SCHEDULED_LEASE_TTL;
	rc = vp_reconcile_lease_take(st->rt.broker, &opts.limits, 0, &fence, err);
	if (rc == VP_ERR_UNAVAILABLE) {
		vp_log(VP_LOG_INFO, "reconcile: skipped: %s", err->message);
		doc = json_pack("{ss ss}", "reconcile", "skipped", "reason", err->message);
		rc = VP_OK;
	} else if (rc == VP_OK) {
		epoch = fence.epoch;
		opts.fence = &fence;
		rc = vp_broker_reconcile(st->rt.broker, &opts, &report, err);
		vp_reconcile_lease_end(st->rt.broker, &fence);
		if (rc == VP_OK) {
			vp_log(VP_LOG_INFO,
			       "reconcile: pass epoch=%lld changed=%zu failed=%zu held=%zu",
			       (long long)epoch, report->changed, report->failed, report->held);
			doc = pass_summary(report, epoch);
		}
	}
	vp_reconcile_report_free(report);
	if (rc != VP_OK) {
		snprintf(error_type, error_type_size, "ReconcileFailed");
		vp_log(VP_LOG_ERROR, "reconcile: %s", err->message);
		return rc;
	}
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	json_decref(doc);
	rc = text ? vp_buf_append(response, text, strlen(text)) : VP_ERR_NOMEM;
	free(text);
	if (rc != VP_OK)
		vp_fail(err, rc, "out of memory for the reconciler's answer");
	return rc;
}

static vp_code on_event(void *ctx, const struct vp_lambda_invocation *inv, struct vp_buf *response,
			char *error_type, size_t error_type_size, struct vp_error *err)
{
	struct lambda_state *st = ctx;
	char *answer = NULL;
	vp_code rc;

	if (vp_apigw_scheduled_event(vp_buf_str(&inv->event), inv->event.len))
		return on_schedule(st, inv->request_id, response, error_type, error_type_size, err);
	rc = vp_apigw_handle(&st->fn, vp_buf_str(&inv->event), inv->event.len, &answer, err);
	if (rc == VP_ERR_INVALID) {
		snprintf(error_type, error_type_size, "InvalidEvent");
		vp_log(VP_LOG_WARN, "event %s refused: %s", inv->request_id, err->message);
	}
	if (rc == VP_OK)
		rc = vp_buf_append(response, answer, strlen(answer));
	free(answer);
	if (rc == VP_ERR_NOMEM)
		vp_fail(err, VP_ERR_NOMEM, "the response is larger than the Runtime API takes");
	return rc;
}

static void lambda_cleanup(struct lambda_state *st)
{
	vp_lambda_runtime_free(st->lambda);
	vp_reconcile_memory_free(st->memory);
	vp_auth_free(st->fn.dispatch.auth);
	vp_ratelimit_free(st->rate);
	if (st->ready_init)
		vp_api_ready_cache_cleanup(&st->ready);
	cli_broker_runtime_close(&st->rt);
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* Build the broker as serve does; CLI_EXIT_OK, or the exit status after saying why. */
static int lambda_start(struct lambda_config *c, struct lambda_state *st)
{
	struct vp_error err;
	int status;

	status = cli_broker_runtime_open("serve-lambda", &c->bc, REGISTRY_POOL, &st->rt);
	if (status != CLI_EXIT_OK)
		return status;
	if (vp_reconcile_adopt_once(st->rt.broker, ADOPT_LOCK_WAIT_MS, &err) != VP_OK) {
		if (err.code != VP_ERR_UNAVAILABLE)
			goto failed;
		vp_log(VP_LOG_WARN, "adoption at start-up skipped: %s", err.message);
	}
	vp_server_config_fill(&c->server);
	st->memory = vp_reconcile_memory_new();
	if (!st->memory) {
		vp_fail(&err, VP_ERR_NOMEM, "out of memory");
		goto failed;
	}
	if (vp_ratelimit_new(c->server.account_rate, c->server.account_burst, &st->rate, &err) !=
	    VP_OK)
		goto failed;
	vp_api_ready_cache_init(&st->ready, c->server.ready_cache_ms);
	st->ready_init = true;
	st->fn = (struct vp_apigw_function){
		.dispatch = {.broker = st->rt.broker,
			     .metrics = st->rt.metrics,
			     .rate = st->rate,
			     .account_rate = c->server.account_rate,
			     .ready = &st->ready},
		.max_body = c->server.max_body,
		.auth_for = auth_for,
		.ctx = st,
		.emf = stdout, /* CloudWatch Logs reads the function's output */
	};
	if (st->rt.metrics)
		vp_dispatch_declare_metrics(st->rt.metrics);
	if (vp_lambda_runtime_new(c->runtime_api, &st->lambda, &err) != VP_OK) {
		cli_error("serve-lambda", "%s", err.message);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
failed:
	cli_error("serve-lambda", "%s", err.message);
	return CLI_EXIT_FAILED;
}

/* A broker that did not start is the function's init error (the Runtime API shows it). */
static void report_init_error(const char *api)
{
	struct vp_lambda_runtime *rt = NULL;
	struct vp_error err;

	if (vp_lambda_runtime_new(api, &rt, &err) == VP_OK &&
	    vp_lambda_report_error(rt, NULL, "InitError",
				   "the broker did not start: its log says why", &err) != VP_OK)
		vp_log(VP_LOG_ERROR, "%s", err.message);
	vp_lambda_runtime_free(rt);
}

int cmd_serve_lambda_main(int argc, char **argv)
{
	struct lambda_config c;
	struct lambda_state st = {0};
	struct sigaction sa;
	const struct cli_arg *arg;
	struct cli_walk w;
	struct vp_error err;
	json_t *fields;
	int rc;

	memset(&c, 0, sizeof(c));
	vp_server_config_init(&c.server);
	cli_broker_config_init(&c.bc);
	vp_reconcile_limits_init(&c.limits);
	c.runtime_api = getenv("AWS_LAMBDA_RUNTIME_API");
	cli_walk_start(&w, "serve-lambda", argc, argv, cmd_serve_lambda_tables, OPT_HELP,
		       print_help);
	cli_walk_help_first(&w);
	while ((arg = cli_walk_next(&w)))
		w.failed = !apply(&c, arg);
	if (w.stopped)
		return w.status;
	if (!cli_broker_config_check("serve-lambda", &c.bc, true) || !check_server_id(&c))
		return CLI_EXIT_USAGE;
	if (!c.runtime_api || !c.runtime_api[0]) {
		/* Before the broker's start-up: outside Lambda that is the whole mistake. */
		cli_error("serve-lambda", "AWS_LAMBDA_RUNTIME_API is not set (run under Lambda, or "
					  "give --runtime-api HOST:PORT)");
		return CLI_EXIT_USAGE;
	}
	vp_log_setup(c.bc.log_level, c.bc.log_format, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	st.c = &c;
	/* As `vpcpeer lambda`: no OpenSSL configuration file (the zip's libcrypto would look for
	 * the build machine's, which the Lambda image lacks; docs/lambda.md). First, before any
	 * other use of OpenSSL; the broker's own initialisation nests inside. */
	if (vp_aws_global_init_lean(true, &err) != VP_OK) {
		cli_error("serve-lambda", "%s", err.message);
		return CLI_EXIT_FAILED;
	}
	rc = lambda_start(&c, &st);
	if (rc != CLI_EXIT_OK) {
		if (rc == CLI_EXIT_FAILED)
			report_init_error(c.runtime_api);
		lambda_cleanup(&st);
		vp_aws_global_cleanup();
		return rc;
	}
	vp_lambda_runtime_set_stop(st.lambda, &stop_requested);
	fields = json_pack("{ss ss* ss ss ss}", "runtime_api", c.runtime_api, "server_id",
			   c.server_id    ? c.server_id
			   : c.public_url ? c.derived_id
					  : NULL,
			   "hub_vpc", c.bc.broker.hub_vpc, "region", c.bc.broker.hub_region,
			   "registry", vp_registry_backend(st.rt.registry));
	vp_log_event(VP_LOG_INFO, "serve-lambda ready for events", fields);
	if (vp_lambda_run(st.lambda, on_event, &st, (unsigned long)c.max_events, &err) != VP_OK) {
		vp_log(VP_LOG_ERROR, "%s", err.message);
		rc = CLI_EXIT_FAILED;
	} else if (stop_requested) {
		vp_log(VP_LOG_INFO, "stopped on a signal");
	}
	lambda_cleanup(&st);
	vp_aws_global_cleanup();
	return rc;
}
