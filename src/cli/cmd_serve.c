/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer serve: the broker. Reads its configuration from flags (each also
 * VPCPEER_<NAME>), checks the hub, serves the REST API (docs/api.md) until
 * SIGTERM or SIGINT, then stops gracefully and exits 0. docs/serving.md has
 * the configuration table, TLS, limits, metrics and logs.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/listen.h"
#include "api/metrics.h"
#include "api/server.h"
#include "aws/client.h"
#include "broker/broker.h"
#include "cli/cli.h"
#include "core/log.h"
#include "core/num.h"
#include "registry/registry.h"

#define DEFAULT_DB     "sqlite:vpcpeer.db"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define REGISTRY_POOL  8

enum {
	OPT_HELP = 1,
	OPT_LISTEN,
	OPT_DB,
	OPT_HUB_ACCOUNT,
	OPT_HUB_VPC,
	OPT_HUB_REGION,
	OPT_PEER_ROLE,
	OPT_HUB_ROUTE_TABLE,
	OPT_ALLOW_ACCOUNT,
	OPT_ALLOW_ANY_ACCOUNT,
	OPT_ADMIN_ARN,
	OPT_SERVER_ID,
	OPT_PENDING_TTL,
	OPT_QUARANTINE,
	OPT_GRANT_SETTLE,
	OPT_MAX_PEERINGS,
	OPT_MAX_ROUTES,
	OPT_TRUST_QUOTA,
	OPT_ACCEPT_PENDING,
	OPT_TLS_CERT,
	OPT_TLS_KEY,
	OPT_INSECURE_HTTP,
	OPT_PROOF_MAX_AGE,
	OPT_THREADS,
	OPT_WORKERS,
	OPT_MAX_CONNECTIONS,
	OPT_CONNECTION_TIMEOUT,
	OPT_RATE_LIMIT,
	OPT_RATE_BURST,
	OPT_SHUTDOWN_GRACE,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
};

#define E  CLI_OPT_ENV
#define ER (CLI_OPT_ENV | CLI_OPT_REPEAT)

static const struct cli_option serve_options[] = {
    {"listen", 0, "HOST:PORT", OPT_LISTEN,
     "address to serve on (default " DEFAULT_LISTEN "; [::1]:PORT for IPv6; port 0: any)", E},
    {"db", 0, "URL", OPT_DB,
     "the registry: sqlite:PATH or postgresql://... (default " DEFAULT_DB ")", E},
    {"hub-account", 0, "ID", OPT_HUB_ACCOUNT, "the hub's AWS account id (required)", E},
    {"hub-vpc", 0, "VPC_ID", OPT_HUB_VPC, "the hub VPC (required)", E},
    {"hub-region", 0, "REGION", OPT_HUB_REGION,
     "the hub's region (default: AWS_REGION, the profile's)", E},
    {"peer-role", 0, "NAME", OPT_PEER_ROLE,
     "peer role clients assume to accept peerings; the pool, in order (required, repeatable)", ER},
    {"hub-route-table", 0, "RTB_ID", OPT_HUB_ROUTE_TABLE,
     "hub route table for client routes (repeatable; default every table of the hub VPC)", ER},
    {"allow-account", 0, "ID", OPT_ALLOW_ACCOUNT, "account that may register (repeatable)", ER},
    {"allow-any-account", 0, NULL, OPT_ALLOW_ANY_ACCOUNT,
     "let every authenticated account register", E},
    {"admin-arn", 0, "ARN", OPT_ADMIN_ARN,
     "principal that may see and act on every namespace (repeatable)", ER},
    {"server-id", 0, "TEXT", OPT_SERVER_ID,
     "the name proofs must carry (default: the bound HOST:PORT)", E},
    {"pending-ttl", 0, "SECONDS", OPT_PENDING_TTL,
     "release registrations not confirmed within this (default 3600; 0: never)", E},
    {"quarantine", 0, "SECONDS", OPT_QUARANTINE, "keep a released n unused this long (default 600)",
     E},
    {"grant-settle", 0, "MS", OPT_GRANT_SETTLE,
     "milliseconds to wait after a trust-policy change (IAM propagation; default 10000)", E},
    {"max-peerings", 0, "N", OPT_MAX_PEERINGS,
     "live namespaces the hub VPC may peer with (default 50; AWS allows at most 125)", E},
    {"max-routes-per-table", 0, "N", OPT_MAX_ROUTES,
     "routes a hub route table may hold (default 50, AWS's default quota)", E},
    {"trust-policy-quota", 0, "N", OPT_TRUST_QUOTA,
     "characters of a role's trust policy (IAM's ACLSizePerRole; default 2048)", E},
    {"accept-pending", 0, NULL, OPT_ACCEPT_PENDING,
     "confirm accepts a pending-acceptance peering itself", E},
    {"tls-cert", 0, "FILE", OPT_TLS_CERT, "PEM certificate (chain) for HTTPS", E},
    {"tls-key", 0, "FILE", OPT_TLS_KEY, "PEM private key for HTTPS", E},
    {"insecure-http", 0, NULL, OPT_INSECURE_HTTP,
     "allow plain HTTP on a non-loopback address (behind a TLS proxy)", E},
    {"proof-max-age", 0, "SECONDS", OPT_PROOF_MAX_AGE,
     "accept proofs signed this close to the broker's clock (default 300)", E},
    {"threads", 0, "N", OPT_THREADS, "HTTP threads (default 2 x cores)", E},
    {"workers", 0, "N", OPT_WORKERS, "threads running API calls (default 32)", E},
    {"max-connections", 0, "N", OPT_MAX_CONNECTIONS, "open connections at most (default 1024)", E},
    {"connection-timeout", 0, "SECONDS", OPT_CONNECTION_TIMEOUT,
     "close connections idle this long (default 30)", E},
    {"rate-limit", 0, "N", OPT_RATE_LIMIT, "requests per second per account (default 20)", E},
    {"rate-burst", 0, "N", OPT_RATE_BURST, "burst per account (default 40)", E},
    {"shutdown-grace", 0, "SECONDS", OPT_SHUTDOWN_GRACE,
     "on SIGTERM, wait this long for requests in flight (default 10)", E},
    {"log-level", 0, "LEVEL", OPT_LOG_LEVEL, "debug, info, warn or error (default info)", E},
    {"log-format", 0, "FORMAT", OPT_LOG_FORMAT, "text or json (default text)", E},
    {"help", 'h', NULL, OPT_HELP, "show this help", 0},
    CLI_OPTIONS_END,
};

#undef E
#undef ER

const struct cli_option *const cmd_serve_tables[] = {serve_options, cli_plan_options, NULL};

static void print_help(void)
{
	printf("usage: vpcpeer serve --hub-account ID --hub-vpc VPC_ID --peer-role NAME...\n"
	       "                     (--allow-account ID... | --allow-any-account) [options]\n"
	       "\n"
	       "Run the broker: the REST API of docs/api.md. At start-up it opens (and\n"
	       "migrates) the registry and checks the hub with AWS (the VPC, its CIDR against\n"
	       "the plan, the peer roles, the route tables); a misconfiguration stops it with\n"
	       "one line on stderr and exit status 1 (2 for a bad flag). AWS credentials come\n"
	       "from the default chain; AWS_ENDPOINT_URL is honoured. When ready it logs one\n"
	       "line at level info whose message is 'serving on URL' (the URL with the port\n"
	       "actually bound). SIGTERM or SIGINT stops it gracefully (exit status 0).\n"
	       "Every option can also be set in the environment: VPCPEER_<NAME>, e.g.\n"
	       "VPCPEER_LISTEN; repeatable ones as a comma-separated list. See docs/serving.md.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_serve_tables);
}

struct serve_config {
	struct vp_server_config server;
	struct vp_broker_config broker;
	const char *db;
	const char *server_id;
	int64_t quarantine;
	int64_t proof_max_age;
	enum vp_log_level log_level;
	enum vp_log_format log_format;
};

static bool parse_number(const char *flag, const char *value, int64_t min, int64_t max,
                         int64_t *out)
{
	struct vp_error err;

	if (vp_parse_int64(value, min, max, flag, out, &err) != VP_OK) {
		cli_error("serve", "%s", err.message);
		return false;
	}
	return true;
}

static bool add_item(const char *flag, const char **items, size_t *count, size_t max,
                     const char *value)
{
	if (*count >= max) {
		cli_error("serve", "--%s: at most %zu values", flag, max);
		return false;
	}
	items[(*count)++] = value;
	return true;
}

static bool check_account(const char *flag, const char *value)
{
	struct vp_error err;

	if (vp_registry_check_account(value, &err) != VP_OK) {
		cli_error("serve", "--%s: %s", flag, err.message);
		return false;
	}
	return true;
}

/* One argument into the configuration; false (the error printed) when it is bad. */
static bool apply(struct serve_config *c, const struct cli_arg *arg, bool *plan_failed)
{
	struct vp_broker_config *b = &c->broker;
	struct vp_server_config *s = &c->server;
	struct vp_error err;
	int64_t n;

	switch (arg->id) {
	case OPT_LISTEN:
		s->listen = arg->value;
		return true;
	case OPT_DB:
		c->db = arg->value;
		return true;
	case OPT_HUB_ACCOUNT:
		b->hub_account = arg->value;
		return check_account("hub-account", arg->value);
	case OPT_HUB_VPC:
		b->hub_vpc = arg->value;
		return true;
	case OPT_HUB_REGION:
		b->hub_region = arg->value;
		return true;
	case OPT_PEER_ROLE:
		return add_item("peer-role", b->peer_roles, &b->peer_role_count,
		                VP_BROKER_MAX_PEER_ROLES, arg->value);
	case OPT_HUB_ROUTE_TABLE:
		return add_item("hub-route-table", b->route_tables, &b->route_table_count,
		                VP_BROKER_MAX_ROUTE_TABLES, arg->value);
	case OPT_ALLOW_ACCOUNT:
		return check_account("allow-account", arg->value) &&
		       add_item("allow-account", b->allow_accounts, &b->allow_account_count,
		                VP_BROKER_MAX_ACCOUNTS, arg->value);
	case OPT_ALLOW_ANY_ACCOUNT:
		b->allow_any_account = true;
		return true;
	case OPT_ADMIN_ARN:
		return add_item("admin-arn", b->admin_arns, &b->admin_arn_count,
		                VP_BROKER_MAX_ADMINS, arg->value);
	case OPT_SERVER_ID:
		c->server_id = arg->value;
		return true;
	case OPT_PENDING_TTL:
		return parse_number("--pending-ttl", arg->value, 0, 10LL * 365 * 86400,
		                    &b->pending_ttl);
	case OPT_QUARANTINE:
		return parse_number("--quarantine", arg->value, 0, 10LL * 365 * 86400,
		                    &c->quarantine);
	case OPT_GRANT_SETTLE:
		return parse_number("--grant-settle", arg->value, 0, 600000, &b->grant_settle_ms);
	case OPT_MAX_PEERINGS:
		if (!parse_number("--max-peerings", arg->value, 1, VP_BROKER_HARD_MAX_PEERINGS, &n))
			return false;
		b->max_peerings = (int)n;
		return true;
	case OPT_MAX_ROUTES:
		if (!parse_number("--max-routes-per-table", arg->value, 1, 1000, &n))
			return false;
		b->max_routes_per_table = (int)n;
		return true;
	case OPT_TRUST_QUOTA:
		if (!parse_number("--trust-policy-quota", arg->value, 256, 65536, &n))
			return false;
		b->trust_policy_quota = (size_t)n;
		return true;
	case OPT_ACCEPT_PENDING:
		b->accept_pending = true;
		return true;
	case OPT_TLS_CERT:
		s->tls_cert_file = arg->value;
		return true;
	case OPT_TLS_KEY:
		s->tls_key_file = arg->value;
		return true;
	case OPT_INSECURE_HTTP:
		s->insecure_http = true;
		return true;
	case OPT_PROOF_MAX_AGE:
		return parse_number("--proof-max-age", arg->value, 1, 3600, &c->proof_max_age);
	case OPT_THREADS:
		if (!parse_number("--threads", arg->value, 1, 256, &n))
			return false;
		s->threads = (unsigned)n;
		return true;
	case OPT_WORKERS:
		if (!parse_number("--workers", arg->value, 1, 1024, &n))
			return false;
		s->workers = (unsigned)n;
		return true;
	case OPT_MAX_CONNECTIONS:
		if (!parse_number("--max-connections", arg->value, 1, 65536, &n))
			return false;
		s->max_connections = (unsigned)n;
		return true;
	case OPT_CONNECTION_TIMEOUT:
		if (!parse_number("--connection-timeout", arg->value, 1, 3600, &n))
			return false;
		s->connection_timeout = (unsigned)n;
		return true;
	case OPT_RATE_LIMIT:
		if (!parse_number("--rate-limit", arg->value, 1, 1000000, &n))
			return false;
		s->account_rate = (double)n;
		return true;
	case OPT_RATE_BURST:
		if (!parse_number("--rate-burst", arg->value, 1, 1000000, &n))
			return false;
		s->account_burst = (double)n;
		return true;
	case OPT_SHUTDOWN_GRACE:
		if (!parse_number("--shutdown-grace", arg->value, 1, 3600, &n))
			return false;
		s->shutdown_grace = (unsigned)n;
		return true;
	case OPT_LOG_LEVEL:
		if (vp_log_level_parse(arg->value, &c->log_level, &err) != VP_OK) {
			cli_error("serve", "--log-level: %s", err.message);
			return false;
		}
		return true;
	case OPT_LOG_FORMAT:
		if (vp_log_format_parse(arg->value, &c->log_format, &err) != VP_OK) {
			cli_error("serve", "--log-format: %s", err.message);
			return false;
		}
		return true;
	default:
		if (cli_plan_apply("serve", &b->plan, arg, plan_failed))
			return !*plan_failed;
		cli_error("serve", "unexpected argument '%s' (see 'vpcpeer serve --help')",
		          arg->value);
		return false;
	}
}

/* What the server would refuse at bind time, refused before anything starts. */
static bool check_listen(const struct vp_server_config *s)
{
	struct vp_listen_addr addr;
	struct vp_error err;

	if (vp_listen_parse(s->listen, strlen(s->listen), &addr, &err) != VP_OK) {
		cli_error("serve", "--listen: %s", err.message);
		return false;
	}
	if (!s->tls_cert_file != !s->tls_key_file) {
		cli_error("serve", "HTTPS needs both --tls-cert and --tls-key");
		return false;
	}
	if (!s->tls_cert_file && !addr.loopback && !s->insecure_http) {
		cli_error("serve",
		          "refusing plain HTTP on %s, which is not a loopback address: give "
		          "--tls-cert and --tls-key, or --insecure-http behind a TLS proxy",
		          s->listen);
		return false;
	}
	return true;
}

static bool check_required(const struct serve_config *c)
{
	const struct vp_broker_config *b = &c->broker;

	if (!b->hub_account || !b->hub_vpc || b->peer_role_count == 0) {
		cli_error("serve", "missing %s (see 'vpcpeer serve --help')",
		          !b->hub_account ? "--hub-account ID"
		          : !b->hub_vpc   ? "--hub-vpc VPC_ID"
		                          : "--peer-role NAME");
		return false;
	}
	if (b->allow_any_account && b->allow_account_count) {
		cli_error("serve", "give --allow-account or --allow-any-account, not both");
		return false;
	}
	if (!b->allow_any_account && !b->allow_account_count) {
		cli_error("serve", "no account may register: give --allow-account ID (repeatable) "
		                   "or --allow-any-account");
		return false;
	}
	return check_listen(&c->server) && cli_plan_check("serve", &b->plan);
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

/* Everything the broker holds, torn down in reverse order by serve_cleanup(). */
struct serve_state {
	struct vp_aws_client *aws;
	struct vp_registry *registry;
	struct vp_metrics *metrics;
	struct vp_broker *broker;
	struct vp_auth *auth;
	struct vp_server *server;
	bool aws_global;
};

static void serve_cleanup(struct serve_state *st)
{
	vp_server_stop(st->server);
	vp_auth_free(st->auth);
	vp_broker_free(st->broker);
	vp_metrics_free(st->metrics);
	vp_registry_close(st->registry);
	vp_aws_client_free(st->aws);
	if (st->aws_global)
		vp_aws_global_cleanup();
}

/* Start everything; on failure print one line and return the exit status. */
static int serve_start(struct serve_config *c, struct serve_state *st)
{
	struct vp_aws_client_config aws_cfg = {0};
	struct vp_registry_options reg_opts;
	struct vp_auth_config auth_cfg = {0};
	const struct vp_aws_endpoint *sts;
	struct vp_error err;
	json_t *fields;
	int status = CLI_EXIT_FAILED;

	if (vp_aws_global_init(&err) != VP_OK)
		goto failed;
	st->aws_global = true;
	aws_cfg.region = c->broker.hub_region;
	if (vp_aws_client_new(&aws_cfg, &st->aws, &err) != VP_OK) {
		cli_error("serve", "AWS client: %s", err.message);
		return err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
	c->broker.hub_region = vp_aws_client_region(st->aws);
	if (!c->broker.hub_region) {
		cli_error("serve", "no AWS region: give --hub-region or set AWS_REGION");
		return CLI_EXIT_USAGE;
	}
	vp_registry_options_init(&reg_opts);
	reg_opts.quarantine_seconds = c->quarantine;
	reg_opts.pool_size = REGISTRY_POOL;
	reg_opts.plan = c->broker.plan;
	if (vp_registry_open(c->db, &reg_opts, &st->registry, &err) != VP_OK) {
		vp_error_prefix(&err, "registry");
		status = err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto failed;
	}
	st->metrics = vp_metrics_new();
	if (!st->metrics) {
		vp_fail(&err, VP_ERR_NOMEM, "out of memory for the metrics");
		goto failed;
	}
	if (vp_broker_new(&c->broker, st->registry, st->aws, st->metrics, &st->broker, &err) !=
	    VP_OK)
		goto failed;
	if (vp_server_bind(&c->server, &st->server, &err) != VP_OK)
		goto failed;
	auth_cfg.server_id = c->server_id ? c->server_id : vp_server_host_port(st->server);
	auth_cfg.partition = vp_aws_client_partition(st->aws)->name;
	sts = vp_aws_client_endpoint(st->aws, VP_AWS_STS);
	auth_cfg.sts_endpoint = sts && sts->custom ? sts->url : NULL;
	auth_cfg.max_age_seconds = c->proof_max_age;
	if (vp_auth_new(&auth_cfg, &st->auth, &err) != VP_OK) {
		vp_error_prefix(&err, "identity proofs");
		status = err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto failed;
	}
	if (vp_server_run(st->server, st->broker, st->auth, st->metrics, &err) != VP_OK)
		goto failed;
	fields = json_pack("{ss ss ss ss ss}", "url", vp_server_url(st->server), "server_id",
	                   auth_cfg.server_id, "hub_vpc", c->broker.hub_vpc, "region",
	                   c->broker.hub_region, "registry", vp_registry_backend(st->registry));
	{
		char msg[160];
		snprintf(msg, sizeof(msg), "serving on %s", vp_server_url(st->server));
		vp_log_event(VP_LOG_INFO, msg, fields);
	}
	return CLI_EXIT_OK;
failed:
	/* A hub that does not match its configuration is a failed start (1), not a bad flag. */
	cli_error("serve", "%s", err.message);
	return status;
}

int cmd_serve_main(int argc, char **argv)
{
	struct serve_config c;
	struct serve_state st = {0};
	struct cli_args args;
	sigset_t stop_signals;
	bool plan_failed = false;
	int rc, sig = 0;

	memset(&c, 0, sizeof(c));
	vp_server_config_init(&c.server);
	vp_broker_config_init(&c.broker);
	vp_plan_init(&c.broker.plan);
	c.db = DEFAULT_DB;
	c.quarantine = VP_REGISTRY_DEFAULT_QUARANTINE;
	c.log_level = VP_LOG_INFO;
	c.log_format = VP_LOG_TEXT;
	if (!cli_parse("serve", argc - 1, argv + 1, cmd_serve_tables, &args))
		return CLI_EXIT_USAGE;
	for (size_t i = 0; i < args.count; i++) {
		if (args.items[i].id == OPT_HELP) {
			print_help();
			return CLI_EXIT_OK;
		}
	}
	for (size_t i = 0; i < args.count; i++)
		if (!apply(&c, &args.items[i], &plan_failed))
			return CLI_EXIT_USAGE;
	if (!check_required(&c))
		return CLI_EXIT_USAGE;
	vp_log_setup(c.log_level, c.log_format, NULL);

	/* Before any thread starts: every thread inherits the mask, and sigwait() below takes them.
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = serve_start(&c, &st);
	if (rc == CLI_EXIT_OK) {
		while (sigwait(&stop_signals, &sig) != 0)
			;
		vp_log(VP_LOG_INFO, "stopping on %s", signal_name(sig));
	}
	serve_cleanup(&st);
	if (rc == CLI_EXIT_OK)
		vp_log(VP_LOG_INFO, "stopped");
	return rc;
}
