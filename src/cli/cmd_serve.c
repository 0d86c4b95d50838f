/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vpcpeer serve: the broker. Reads its configuration from flags (each also
 * VPCPEER_<NAME>), checks the hub, serves the REST API (docs/api.md) until
 * SIGTERM or SIGINT, then stops gracefully and exits 0; SIGHUP reloads the
 * TLS certificate and key. docs/serving.md has
 * the configuration table, TLS, limits, metrics and logs.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/listen.h"
#include "proof/proof.h"
#include "core/metrics.h"
#include "api/server.h"
#include "aws/client.h"
#include "broker/broker.h"
#include "broker/reconcile.h"
#include "cli/broker_config.h"
#include "cli/cli.h"
#include "core/log.h"
#include "registry/registry.h"

#define DEFAULT_LISTEN             "127.0.0.1:8080"
#define DEFAULT_METRICS_LISTEN     "127.0.0.1:9464"
#define REGISTRY_POOL              8
#define DEFAULT_RECONCILE_INTERVAL 60
/* glibc's malloc: blocks from this size on are mmapped (unless MALLOC_MMAP_THRESHOLD_ says). */
#define MMAP_THRESHOLD (128 * 1024)
/* ... and a thread's arena keeps this much free memory at its top instead of returning it. */
#define TRIM_THRESHOLD     (4 * 1024 * 1024)
#define ADOPT_LOCK_WAIT_MS 10000 /* for another broker's reconciler at start-up */

/* serve's own options; the broker's are in broker_config.c (shared with reconcile). */
enum {
	OPT_HELP = 1,
	OPT_LISTEN,
	OPT_SERVER_ID,
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
	OPT_RECONCILE_INTERVAL,
	OPT_METRICS_LISTEN,
	OPT_ACCEPT_UNBOUND_PROOFS,
	OPT_PUBLIC_URL,
	OPT_PER_SOURCE,
	OPT_REQUEST_DEADLINE,
	OPT_MAX_QUEUE,
	OPT_TRUSTED_PROXIES,
	OPT_PROXY_PROTOCOL,
	OPT_STS_CONCURRENCY,
	OPT_STS_SOURCE_RATE,
	OPT_STS_SOURCE_BURST,
	OPT_STS_KEY_RATE,
	OPT_STS_KEY_BURST,
	OPT_STS_ENDPOINT,
};

#define E CLI_OPT_ENV

const struct cli_option cmd_serve_server_options[] = {
	{"listen", 0, "HOST:PORT", OPT_LISTEN,
	 "address to serve on (default " DEFAULT_LISTEN "; [::1]:PORT for IPv6; port 0: any)", E},
	{"server-id", 0, "TEXT", OPT_SERVER_ID,
	 "the name proofs must carry (default: --public-url's HOST:PORT; required, or "
	 "--public-url, off loopback)",
	 E},

	{"tls-cert", 0, "FILE", OPT_TLS_CERT, "PEM certificate (chain) for HTTPS", E},
	{"tls-key", 0, "FILE", OPT_TLS_KEY, "PEM private key for HTTPS", E},
	{"insecure-http", 0, NULL, OPT_INSECURE_HTTP,
	 "allow plain HTTP on a non-loopback address (behind a TLS proxy)", E},
	{"proof-max-age", 0, "SECONDS", OPT_PROOF_MAX_AGE,
	 "accept proofs signed this close to the broker's clock (default 300, at most 900: "
	 "STS refuses older requests)",
	 E},
	{"sts-endpoint", 0, "HOST", OPT_STS_ENDPOINT,
	 "also accept proofs signed for this STS host, https only (an STS VPC endpoint's name; "
	 "repeatable, at most 8)",
	 E | CLI_OPT_REPEAT},
	{"threads", 0, "N", OPT_THREADS, "HTTP threads (default 2 x cores)", E},
	{"workers", 0, "N", OPT_WORKERS, "threads running API calls (default 64)", E},
	{"max-connections", 0, "N", OPT_MAX_CONNECTIONS, "open connections at most (default 1024)",
	 E},
	{"connection-timeout", 0, "SECONDS", OPT_CONNECTION_TIMEOUT,
	 "close connections idle this long (default 30)", E},
	{"rate-limit", 0, "N", OPT_RATE_LIMIT, "requests per second per account (default 20)", E},
	{"rate-burst", 0, "N", OPT_RATE_BURST, "burst per account (default 40)", E},
	{"shutdown-grace", 0, "SECONDS", OPT_SHUTDOWN_GRACE,
	 "on SIGTERM, wait this long for requests in flight (default 10)", E},
	{"reconcile-interval", 0, "SECONDS", OPT_RECONCILE_INTERVAL,
	 "run the reconciler this often (default 60; 0: never). See docs/reconciler.md", E},
	{"max-connections-per-source", 0, "N", OPT_PER_SOURCE,
	 "open connections per client address at most (default 128)", E},
	{"request-deadline", 0, "SECONDS", OPT_REQUEST_DEADLINE,
	 "a request's headers and body must arrive within this (default 10)", E},
	{"max-queue", 0, "N", OPT_MAX_QUEUE,
	 "API calls waiting for a worker at most; more get 503 (default 256)", E},
	{"trusted-proxies", 0, "CIDR,...", OPT_TRUSTED_PROXIES,
	 "load balancers whose X-Forwarded-For or PROXY header names the client", E},
	{"proxy-protocol", 0, NULL, OPT_PROXY_PROTOCOL,
	 "connections start with a PROXY v2 header (AWS NLB); only from --trusted-proxies", E},
	{"sts-concurrency", 0, "N", OPT_STS_CONCURRENCY,
	 "identity proofs verified with STS at once at most (default 48)", E},
	{"sts-source-rate", 0, "N", OPT_STS_SOURCE_RATE,
	 "new identity proofs per minute per client address (default 6000)", E},
	{"sts-source-burst", 0, "N", OPT_STS_SOURCE_BURST,
	 "burst of new identity proofs per client address (default 500)", E},
	{"sts-key-rate", 0, "N", OPT_STS_KEY_RATE,
	 "new identity proofs per minute per access key id (default 1200)", E},
	{"sts-key-burst", 0, "N", OPT_STS_KEY_BURST,
	 "burst of new identity proofs per access key id (default 200)", E},
	CLI_OPTIONS_END,
};

static const struct cli_option serve_options[] = {
	{"metrics-listen", 0, "HOST:PORT", OPT_METRICS_LISTEN,
	 "serve /metrics (and /healthz, /readyz) here, plain HTTP (default " DEFAULT_METRICS_LISTEN
	 "; off: nowhere)",
	 E},
	{"public-url", 0, "URL", OPT_PUBLIC_URL,
	 "the URL clients use (https://broker.example.com); the server id is its HOST:PORT", E},
	{"accept-unbound-proofs", 0, NULL, OPT_ACCEPT_UNBOUND_PROOFS,
	 "also accept proofs not bound to a request (older clients; each use logged and counted)",
	 E},
	{"help", 'h', NULL, OPT_HELP, "show this help", 0},
	CLI_OPTIONS_END,
};

#undef E

const struct cli_option *const cmd_serve_tables[] = {cli_broker_config_options,
						     cmd_serve_server_options,
						     cli_reconcile_limit_options,
						     cli_plan_options,
						     serve_options,
						     NULL};

static void print_help(void)
{
	printf("usage: vpcpeer serve --hub-account ID --hub-vpc VPC_ID\n"
	       "                     [--peering-accepter broker | --peering-accepter peer-role\n"
	       "                      --peer-role NAME...]\n"
	       "                     (--allow-account ID... | --allow-any-account) [options]\n"
	       "\n"
	       "Run the broker: the REST API of docs/api.md. At start-up it opens (and\n"
	       "migrates) the registry and checks the hub with AWS (the VPC, its CIDR against\n"
	       "the plan, the peer roles if any, the route tables); a misconfiguration stops it "
	       "with\n"
	       "one line on stderr and exit status 1 (2 for a bad flag). AWS credentials come\n"
	       "from the default chain; AWS_ENDPOINT_URL is honoured. When ready it logs one\n"
	       "line at level info whose message is 'serving on URL' (the URL with the port\n"
	       "actually bound). SIGTERM or SIGINT stops it gracefully (exit status 0);\n"
	       "SIGHUP reloads --tls-cert and --tls-key for new connections.\n"
	       "A reconciler thread repairs drift every --reconcile-interval seconds\n"
	       "(docs/reconciler.md); brokers sharing a registry take turns.\n"
	       "Every option can also be set in the environment: VPCPEER_<NAME>, e.g.\n"
	       "VPCPEER_LISTEN; repeatable ones as a comma-separated list. See docs/serving.md.\n"
	       "\n"
	       "Options:\n");
	cli_print_options(stdout, cmd_serve_tables);
}

struct serve_config {
	struct vp_server_config server;
	const char *metrics_listen; /* NULL: off */
	struct cli_broker_config bc;
	const char *server_id;
	const char *public_url;
	char derived_id[VP_PROOF_SERVER_ID_MAX + 1]; /* --public-url's HOST:PORT */
	bool accept_unbound_proofs;
	int64_t proof_max_age;
	int64_t reconcile_interval;
	struct vp_reconcile_limits limits;
};

/* The flags of the connection guard and of admission control (docs/serving.md "Limits"). */
static bool cmd_serve_guard_apply(const char *command, struct vp_server_config *s,
				  const struct cli_arg *arg, bool *failed)
{
	struct vp_admission_config *adm = &s->admission;
	int64_t n;
	bool ok = true;

	switch (arg->id) {
	case OPT_PER_SOURCE:
		if ((ok = cli_number_arg(command, "--max-connections-per-source", arg->value, 1,
					 65536, &n)))
			s->per_source = (unsigned)n;
		break;
	case OPT_REQUEST_DEADLINE:
		if ((ok = cli_number_arg(command, "--request-deadline", arg->value, 1, 3600, &n)))
			s->request_deadline = (unsigned)n;
		break;
	case OPT_MAX_QUEUE:
		if ((ok = cli_number_arg(command, "--max-queue", arg->value, 1, 1000000, &n)))
			s->max_queue = (unsigned)n;
		break;
	case OPT_TRUSTED_PROXIES:
		s->trusted_proxies = arg->value;
		break;
	case OPT_PROXY_PROTOCOL:
		s->proxy_protocol = true;
		break;
	case OPT_STS_CONCURRENCY:
		if ((ok = cli_number_arg(command, "--sts-concurrency", arg->value, 1, 4096, &n)))
			adm->max_replays = (unsigned)n;
		break;
	case OPT_STS_SOURCE_RATE:
	case OPT_STS_KEY_RATE:
		if ((ok = cli_number_arg(command,
					 arg->id == OPT_STS_KEY_RATE ? "--sts-key-rate"
								     : "--sts-source-rate",
					 arg->value, 1, 6000000, &n)))
			*(arg->id == OPT_STS_KEY_RATE ? &adm->key_rate : &adm->source_rate) =
				(double)n / 60.0;
		break;
	case OPT_STS_SOURCE_BURST:
	case OPT_STS_KEY_BURST:
		if ((ok = cli_number_arg(command,
					 arg->id == OPT_STS_KEY_BURST ? "--sts-key-burst"
								      : "--sts-source-burst",
					 arg->value, 1, 1000000, &n)))
			*(arg->id == OPT_STS_KEY_BURST ? &adm->key_burst : &adm->source_burst) =
				(double)n;
		break;
	default:
		return false;
	}
	if (!ok)
		*failed = true;
	return true;
}

bool cmd_serve_server_apply(const char *command, struct vp_server_config *s, const char **server_id,
			    int64_t *proof_max_age, int64_t *reconcile_interval,
			    const struct cli_arg *arg, bool *failed)
{
	int64_t n;
	bool ok = true;

	switch (arg->id) {
	case OPT_LISTEN:
		s->listen = arg->value;
		break;
	case OPT_SERVER_ID:
		*server_id = arg->value;
		break;
	case OPT_TLS_CERT:
		s->tls_cert_file = arg->value;
		break;
	case OPT_TLS_KEY:
		s->tls_key_file = arg->value;
		break;
	case OPT_INSECURE_HTTP:
		s->insecure_http = true;
		break;
	case OPT_PROOF_MAX_AGE:
		ok = cli_number_arg(command, "--proof-max-age", arg->value, 1, VP_PROOF_MAX_MAX_AGE,
				    proof_max_age);
		break;
	case OPT_STS_ENDPOINT:
		/* The rest of the checks are vp_proof_rules_init's, at start-up. */
		if (strstr(arg->value, "://") && strncmp(arg->value, "https://", 8) != 0) {
			cli_error(command,
				  "--sts-endpoint '%.200s' must be https:// or a bare host",
				  arg->value);
			ok = false;
		} else if (s->sts_host_count >= VP_PROOF_MAX_STS_HOSTS) {
			cli_error(command, "--sts-endpoint: at most %d values",
				  VP_PROOF_MAX_STS_HOSTS);
			ok = false;
		} else {
			s->sts_hosts[s->sts_host_count++] = arg->value;
		}
		break;
	case OPT_THREADS:
		if ((ok = cli_number_arg(command, "--threads", arg->value, 1, 256, &n)))
			s->threads = (unsigned)n;
		break;
	case OPT_WORKERS:
		if ((ok = cli_number_arg(command, "--workers", arg->value, 1, 1024, &n)))
			s->workers = (unsigned)n;
		break;
	case OPT_MAX_CONNECTIONS:
		if ((ok = cli_number_arg(command, "--max-connections", arg->value, 1, 65536, &n)))
			s->max_connections = (unsigned)n;
		break;
	case OPT_CONNECTION_TIMEOUT:
		if ((ok = cli_number_arg(command, "--connection-timeout", arg->value, 1, 3600, &n)))
			s->connection_timeout = (unsigned)n;
		break;
	case OPT_RATE_LIMIT:
		if ((ok = cli_number_arg(command, "--rate-limit", arg->value, 1, 1000000, &n)))
			s->account_rate = (double)n;
		break;
	case OPT_RATE_BURST:
		if ((ok = cli_number_arg(command, "--rate-burst", arg->value, 1, 1000000, &n)))
			s->account_burst = (double)n;
		break;
	case OPT_SHUTDOWN_GRACE:
		if ((ok = cli_number_arg(command, "--shutdown-grace", arg->value, 1, 3600, &n)))
			s->shutdown_grace = (unsigned)n;
		break;
	case OPT_RECONCILE_INTERVAL:
		ok = cli_number_arg(command, "--reconcile-interval", arg->value, 0, 7 * 86400,
				    reconcile_interval);
		break;
	default:
		return cmd_serve_guard_apply(command, s, arg, failed);
	}
	if (!ok)
		*failed = true;
	return true;
}

/* One argument into the configuration; false (the error printed) when it is bad. */
static bool apply(struct serve_config *c, const struct cli_arg *arg)
{
	bool failed = false;

	if (arg->id == OPT_PUBLIC_URL) {
		c->public_url = arg->value;
		return true;
	}
	if (arg->id == OPT_ACCEPT_UNBOUND_PROOFS) {
		c->accept_unbound_proofs = true;
		return true;
	}
	if (cli_broker_config_apply("serve", &c->bc, arg, &failed) ||
	    cli_reconcile_limits_apply("serve", &c->limits, arg, &failed) ||
	    cmd_serve_server_apply("serve", &c->server, &c->server_id, &c->proof_max_age,
				   &c->reconcile_interval, arg, &failed))
		return !failed;
	if (arg->id == OPT_METRICS_LISTEN) {
		c->metrics_listen = strcmp(arg->value, "off") == 0 ? NULL : arg->value;
		return true;
	}
	cli_error("serve", "unexpected argument '%s' (see 'vpcpeer serve --help')", arg->value);
	return false;
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

static bool check_metrics_listen(const char *listen)
{
	struct vp_listen_addr addr;
	struct vp_error err;

	if (listen && vp_listen_parse(listen, strlen(listen), &addr, &err) != VP_OK) {
		cli_error("serve", "--metrics-listen: %s (or 'off')", err.message);
		return false;
	}
	return true;
}

/*
 * The server id (issue 14): --server-id, else --public-url's HOST:PORT. Off
 * loopback one of them is required: the bound address (0.0.0.0:443) is no
 * name a client signs by default, and every broker behind a load balancer
 * would share it, so proofs could be replayed from one broker to another.
 */
static bool check_server_id(struct serve_config *c)
{
	struct vp_listen_addr addr;
	struct vp_error err;

	if (c->public_url && vp_proof_default_server_id(c->public_url, c->derived_id,
							sizeof(c->derived_id), &err) != VP_OK) {
		cli_error("serve", "--public-url: %s", err.message);
		return false;
	}
	if (c->server_id && vp_proof_server_id_check(c->server_id, &err) != VP_OK) {
		cli_error("serve", "--server-id: %s", err.message);
		return false;
	}
	if (c->server_id || c->public_url ||
	    vp_listen_parse(c->server.listen, strlen(c->server.listen), &addr, &err) != VP_OK ||
	    addr.loopback)
		return true;
	cli_error("serve",
		  "refusing to serve on %s, which is not a loopback address, without a server id: "
		  "give --server-id (the name clients sign, e.g. broker.example.com:443) or "
		  "--public-url https://broker.example.com (its HOST:PORT becomes the server id); "
		  "the bound address is no client's default and would be the same for every "
		  "broker",
		  c->server.listen);
	return false;
}

static bool check_required(struct serve_config *c)
{
	return cli_broker_config_check("serve", &c->bc, true) && check_listen(&c->server) &&
	       check_metrics_listen(c->metrics_listen) && check_server_id(c);
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "a signal";
}

/* SIGHUP: the TLS certificate and key again, for new connections (docs/serving.md). */
static void reload_tls(struct vp_server *server)
{
	struct vp_error err;

	if (vp_server_reload_tls(server, &err) == VP_OK)
		vp_log(VP_LOG_INFO, "SIGHUP: reloaded the TLS certificate and key");
	else
		vp_log(VP_LOG_ERROR, "SIGHUP: kept the old TLS certificate: %s", err.message);
}

/* Everything the broker holds, torn down in reverse order by serve_cleanup(). */
struct serve_state {
	struct cli_broker_runtime rt;
	struct vp_auth *auth;
	struct vp_server *server;
	struct vp_server *metrics_server; /* --metrics-listen; NULL when off */
	struct vp_reconciler *reconciler;
};

static void serve_cleanup(struct serve_state *st)
{
	/* The reconciler first: a pass in progress ends at its next step (it is asked to stop). */
	vp_reconciler_stop(st->reconciler);
	vp_server_stop(st->server);
	vp_server_stop(st->metrics_server);
	vp_auth_free(st->auth);
	cli_broker_runtime_close(&st->rt);
}

/* The second listener: /metrics, /healthz and /readyz, plain HTTP, a thread and a worker. */
static vp_code start_metrics(const struct serve_config *c, struct serve_state *st,
			     struct vp_error *err)
{
	struct vp_server_config cfg;
	vp_code rc;

	vp_server_config_init(&cfg);
	cfg.listen = c->metrics_listen;
	cfg.insecure_http = true; /* metrics are not secret; the operator picks the address */
	cfg.metrics_only = true;
	cfg.threads = 1;
	cfg.workers = 1;
	cfg.max_connections = 64;
	cfg.connection_timeout = c->server.connection_timeout;
	cfg.shutdown_grace = c->server.shutdown_grace;
	rc = vp_server_start(&cfg, st->rt.broker, NULL, st->rt.metrics, &st->metrics_server, err);
	if (rc != VP_OK)
		vp_error_prefix(err, "--metrics-listen");
	return rc;
}

static bool allowed_caller(void *broker, const struct vp_identity *id)
{
	return vp_broker_check_caller(broker, id, NULL) == VP_OK;
}

/* Start everything; on failure print one line and return the exit status. */
static int serve_start(struct serve_config *c, struct serve_state *st)
{
	struct vp_auth_config auth_cfg = {0};
	const struct vp_aws_endpoint *sts;
	struct vp_error err;
	json_t *fields;
	int status = CLI_EXIT_FAILED;

	status = cli_broker_runtime_open("serve", &c->bc, REGISTRY_POOL, &st->rt);
	if (status != CLI_EXIT_OK)
		return status;
	status = CLI_EXIT_FAILED;
	/* A peering of this registry that it lost (restored from a backup) gets its n back
	 * before any registration could be handed that n (docs/reconciler.md, "Adoption"). */
	if (vp_reconcile_adopt_once(st->rt.broker, ADOPT_LOCK_WAIT_MS, &err) != VP_OK) {
		if (err.code != VP_ERR_UNAVAILABLE)
			goto failed;
		/* Another broker holds the leader lock: its passes adopt. */
		vp_log(VP_LOG_WARN, "adoption at start-up skipped: %s", err.message);
	}
	if (vp_server_bind(&c->server, &st->server, &err) != VP_OK)
		goto failed;
	auth_cfg.proof.server_id = c->server_id    ? c->server_id
				   : c->public_url ? c->derived_id
						   : vp_server_host_port(st->server);
	auth_cfg.accept_unbound = c->accept_unbound_proofs;
	auth_cfg.metrics = st->rt.metrics;
	if (c->accept_unbound_proofs)
		vp_log(VP_LOG_WARN, "--accept-unbound-proofs: proofs not bound to a request are "
				    "accepted (each use is logged and counted); turn it off once "
				    "every client is upgraded");
	auth_cfg.proof.partition = vp_aws_client_partition(st->rt.aws)->name;
	sts = vp_aws_client_endpoint(st->rt.aws, VP_AWS_STS);
	auth_cfg.proof.sts_endpoint = sts && sts->custom ? sts->url : NULL;
	auth_cfg.proof.max_age_seconds = c->proof_max_age;
	auth_cfg.proof.sts_hosts = c->server.sts_hosts;
	auth_cfg.proof.sts_host_count = c->server.sts_host_count;
	auth_cfg.admission = c->server.admission;
	if (vp_auth_new(&auth_cfg, &st->auth, &err) != VP_OK) {
		vp_error_prefix(&err, "identity proofs");
		status = err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto failed;
	}
	/* Only allowed accounts' proofs are cached: a refused account's cannot push them out. */
	vp_auth_set_cacheable(st->auth, allowed_caller, st->rt.broker);
	if (vp_server_run(st->server, st->rt.broker, st->auth, st->rt.metrics, &err) != VP_OK)
		goto failed;
	if (c->metrics_listen && start_metrics(c, st, &err) != VP_OK)
		goto failed;
	if (c->reconcile_interval > 0 &&
	    vp_reconciler_start(st->rt.broker, c->reconcile_interval, &c->limits, &st->reconciler,
				&err) != VP_OK)
		goto failed;
	fields = json_pack(
		"{ss so ss ss ss sI}", "url", vp_server_url(st->server), "metrics_url",
		st->metrics_server ? json_string(vp_server_url(st->metrics_server)) : json_null(),
		"server_id", auth_cfg.proof.server_id, "hub_vpc", c->bc.broker.hub_vpc, "region",
		c->bc.broker.hub_region, "registry", vp_registry_backend(st->rt.registry),
		"reconcile_interval", (json_int_t)c->reconcile_interval);
	{
		char msg[160];
		snprintf(msg, sizeof(msg), "serving on %s", vp_server_url(st->server));
		vp_log_event(VP_LOG_INFO, msg, fields);
	}
	return CLI_EXIT_OK;
failed:
	cli_error("serve", "%s", err.message);
	return status;
}

/*
 * The broker's memory (issue 13, docs/serving.md "Performance"). A call
 * allocates pages of records (100 to 1,000 of 3.7 KB) and frees them; glibc
 * raises its mmap threshold to the largest block freed, so from the first
 * page on these blocks came from the threads' arenas, were cleared (touched)
 * by calloc and stayed resident: peak RSS grew with the workers (62 MiB at
 * 32, 140 MiB at 128 under 64 clients listing). A fixed threshold keeps large
 * blocks in mmap: pages never touched are never resident, and a freed block
 * goes back to the system (24 MiB at 32 workers, 28 MiB at 128). It costs a map and an
 * unmap per large block (the list route's rate halves on this box): the
 * pages should be sized to what they return. Fixing the mmap threshold also
 * fixes the trim threshold at 128 KiB: every free that left more than that at
 * the top of a worker's arena gave it back with madvise, and the next call
 * faulted it in again; on a 2-core VM the TLB shootdowns of those madvise
 * calls were a third of the broker's CPU per registration (perf, issue 13).
 * A 4 MiB trim threshold keeps that memory (about 2 MiB more peak RSS) and cut
 * the broker's CPU per registration from 1.7 to 1.2 ms. MALLOC_MMAP_THRESHOLD_
 * and MALLOC_TRIM_THRESHOLD_ in the environment still win, for an operator
 * who measures otherwise.
 */
static void tune_memory(void)
{
	if (!getenv("MALLOC_MMAP_THRESHOLD_"))
		mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
	if (!getenv("MALLOC_TRIM_THRESHOLD_"))
		mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD);
}

int cmd_serve_main(int argc, char **argv)
{
	struct serve_config c;
	struct serve_state st = {0};
	struct cli_walk w;
	const struct cli_arg *arg;
	sigset_t stop_signals;
	int rc, sig = 0;

	memset(&c, 0, sizeof(c));
	vp_server_config_init(&c.server);
	c.metrics_listen = DEFAULT_METRICS_LISTEN;
	cli_broker_config_init(&c.bc);
	c.reconcile_interval = DEFAULT_RECONCILE_INTERVAL;
	vp_reconcile_limits_init(&c.limits);
	cli_walk_start(&w, "serve", argc, argv, cmd_serve_tables, OPT_HELP, print_help);
	cli_walk_help_first(&w);
	while ((arg = cli_walk_next(&w)))
		w.failed = !apply(&c, arg);
	if (w.stopped)
		return w.status;
	if (!check_required(&c))
		return CLI_EXIT_USAGE;
	vp_log_setup(c.bc.log_level, c.bc.log_format, NULL);

	/* Before any thread starts: every thread inherits the mask, and sigwait() below takes them.
	 */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	tune_memory();

	rc = serve_start(&c, &st);
	if (rc == CLI_EXIT_OK) {
		for (;;) {
			if (sigwait(&stop_signals, &sig) != 0)
				continue;
			if (sig != SIGHUP)
				break;
			reload_tls(st.server);
		}
		vp_log(VP_LOG_INFO, "stopping on %s", signal_name(sig));
	}
	serve_cleanup(&st);
	if (rc == CLI_EXIT_OK)
		vp_log(VP_LOG_INFO, "stopped");
	return rc;
}
