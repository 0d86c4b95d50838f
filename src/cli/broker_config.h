/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's configuration flags, shared by `vpcpeer serve` and `vpcpeer
 * reconcile` (the same flags configure the same broker): the registry, the
 * hub, the peer roles and route tables, callers, quotas, timings, logging and
 * the address plan. Parsing, checking, and starting the pieces a broker needs
 * (AWS client, registry, metrics, broker) with one error line on failure.
 *
 * Memory: the values point into the parsed arguments (argv or the
 * environment copy in struct cli_args), which must outlive the config.
 * cli_broker_runtime_close() frees what cli_broker_runtime_open() made.
 */
#ifndef VP_CLI_BROKER_CONFIG_H
#define VP_CLI_BROKER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "broker/broker.h"
#include "cli/cli.h"
#include "core/log.h"

/* Option ids of cli_broker_config_options: above every command's own. */
enum {
	CLI_BCFG_OPT_DB = 300,
	CLI_BCFG_OPT_HUB_ACCOUNT,
	CLI_BCFG_OPT_HUB_VPC,
	CLI_BCFG_OPT_HUB_REGION,
	CLI_BCFG_OPT_PEER_ROLE,
	CLI_BCFG_OPT_HUB_ROUTE_TABLE,
	CLI_BCFG_OPT_ALLOW_ACCOUNT,
	CLI_BCFG_OPT_ALLOW_ANY_ACCOUNT,
	CLI_BCFG_OPT_ADMIN_ARN,
	CLI_BCFG_OPT_PENDING_TTL,
	CLI_BCFG_OPT_QUARANTINE,
	CLI_BCFG_OPT_REGISTRY_WAIT,
	CLI_BCFG_OPT_GRANT_SETTLE,
	CLI_BCFG_OPT_MAX_PEERINGS,
	CLI_BCFG_OPT_MAX_ROUTES,
	CLI_BCFG_OPT_TRUST_QUOTA,
	CLI_BCFG_OPT_PEERING_ACCEPTER,
	CLI_BCFG_OPT_MAX_NS_PER_ACCOUNT, /* the limits (issue 13) */
	CLI_BCFG_OPT_QUOTA_REFRESH,
	CLI_BCFG_OPT_ACCEPT_WAIT,
	CLI_BCFG_OPT_LOG_LEVEL,
	CLI_BCFG_OPT_LOG_FORMAT,
	CLI_BCFG_OPT_AWS_RETRY_BASE,
	CLI_BCFG_OPT_PREFIX_LIST, /* the hub side beyond routes (issue 19) */
	CLI_BCFG_OPT_HOSTED_ZONE, /* the hub's private hosted zone (issue 19) */
	CLI_BCFG_OPT_PEERING_DNS,
	CLI_BCFG_OPT_AUTHORIZE, /* issue 14 */
	CLI_BCFG_OPT_ATTACH,    /* the transit-gateway mode (issue 16) */
	CLI_BCFG_OPT_TRANSIT_GATEWAY,
	CLI_BCFG_OPT_RESOURCE_SHARE,
	CLI_BCFG_OPT_TGW_CLIENT_TABLE,
	CLI_BCFG_OPT_TGW_HUB_TABLE,
	CLI_BCFG_OPT_TGW_MAX_ATTACHMENTS,
	CLI_BCFG_OPT_TGW_MAX_ROUTES,
	CLI_BCFG_OPT_SHARE_MAX_PRINCIPALS,
	CLI_BCFG_OPT_TGW_VERIFY_TABLE, /* issue 16 */
	CLI_BCFG_OPT_REGISTRY_SECRET,  /* issue 18; the last: cli_broker_config_apply's range */
};

#define CLI_BROKER_DEFAULT_DB "sqlite:vpcpeer.db"

extern const struct cli_option cli_broker_config_options[];

struct cli_broker_config {
	struct vp_broker_config broker;
	const char *db;
	bool db_given;               /* --db was set (else the default) */
	const char *registry_secret; /* --registry-secret: the credentials of a PostgreSQL db */
	int64_t quarantine;
	int64_t registry_wait; /* seconds a call waits for the registry's lock (default 5) */
	enum vp_log_level log_level;
	enum vp_log_format log_format;
	int64_t aws_retry_base_ms; /* 0: the AWS client's default (1 s) */
	/* The account of each --peer-role given as a role ARN (checked against the hub's). */
	char peer_role_account[VP_BROKER_MAX_PEER_ROLES][13];
};

void cli_broker_config_init(struct cli_broker_config *c);

/*
 * --registry-secret: fetch secret_arn through `aws` and build the registry
 * URL from --db (NULL: not given) and it (vp_aws_rds_secret_url); the
 * secret is wiped after. registry_secret.c.
 */
struct vp_aws_client;
VP_NODISCARD vp_code cli_registry_secret_fetch(struct vp_aws_client *aws, const char *secret_arn,
					       const char *db, char *out, size_t cap,
					       struct vp_error *err);

/*
 * Apply one argument when it is a broker or plan flag: returns true when it
 * was one; on a bad value prints the error for `command` and sets *failed.
 */
bool cli_broker_config_apply(const char *command, struct cli_broker_config *c,
			     const struct cli_arg *arg, bool *failed);

/*
 * The required flags and the plan; need_callers: an allow-list (or
 * --allow-any-account) is required too (serve). Prints the error; false when bad.
 */
bool cli_broker_config_check(const char *command, const struct cli_broker_config *c,
			     bool need_callers);

/* What a broker runs on. */
struct cli_broker_runtime {
	struct vp_aws_client *aws;
	struct vp_registry *registry;
	struct vp_metrics *metrics;
	struct vp_broker *broker;
	bool aws_global;
};

/*
 * Start the AWS client, the registry (pool_size connections), the metrics and
 * the broker (its start-up checks of the hub). Returns CLI_EXIT_OK, or the
 * exit status after printing one line for `command`. Close in any case.
 */
int cli_broker_runtime_open(const char *command, struct cli_broker_config *c, int pool_size,
			    struct cli_broker_runtime *rt);
void cli_broker_runtime_close(struct cli_broker_runtime *rt);

#endif
