/* SPDX-License-Identifier: Apache-2.0 */
/* The broker's configuration flags, shared by serve and reconcile (broker_config.h). */
#include "cli/broker_config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "core/metrics.h"
#include "aws/chain.h"
#include "aws/route53.h"
#include "core/ids.h"
#include "registry/registry.h"
#include "registry/url.h"

#define E  CLI_OPT_ENV
#define ER (CLI_OPT_ENV | CLI_OPT_REPEAT)

#define DEFAULT_REGISTRY_WAIT 5 /* seconds: a request waits no longer for a locked registry */

const struct cli_option cli_broker_config_options[] = {
	{"db", 0, "URL", CLI_BCFG_OPT_DB,
	 "the registry: sqlite:PATH or postgresql://... (default " CLI_BROKER_DEFAULT_DB ")", E},
	{"hub-account", 0, "ID", CLI_BCFG_OPT_HUB_ACCOUNT, "the hub's AWS account id (required)",
	 E},
	{"hub-vpc", 0, "VPC_ID", CLI_BCFG_OPT_HUB_VPC, "the hub VPC (required)", E},
	{"hub-region", 0, "REGION", CLI_BCFG_OPT_HUB_REGION,
	 "the hub's region (default: AWS_REGION, the profile's)", E},
	{"peer-role", 0, "NAME", CLI_BCFG_OPT_PEER_ROLE,
	 "peer role clients assume to accept peerings; the pool, in order (repeatable; required "
	 "with --peering-accepter peer-role, in broker mode only to revoke old grants)",
	 ER},
	{"hub-route-table", 0, "RTB_ID", CLI_BCFG_OPT_HUB_ROUTE_TABLE,
	 "hub route table for client routes (repeatable; default every table of the hub VPC)", ER},
	{"allow-account", 0, "ID", CLI_BCFG_OPT_ALLOW_ACCOUNT,
	 "account that may register (repeatable)", ER},
	{"allow-any-account", 0, NULL, CLI_BCFG_OPT_ALLOW_ANY_ACCOUNT,
	 "let every authenticated account register", E},
	{"admin-arn", 0, "ARN", CLI_BCFG_OPT_ADMIN_ARN,
	 "principal that may see and act on every namespace (repeatable)", ER},
	{"authorize", 0, "MODE", CLI_BCFG_OPT_AUTHORIZE,
	 "who may confirm and release a namespace: principal (default: the principal that "
	 "registered it, or an --admin-arn) or account (any principal of its account)",
	 E},
	{"pending-ttl", 0, "SECONDS", CLI_BCFG_OPT_PENDING_TTL,
	 "release registrations not confirmed within this (default 1800; 0: never)", E},
	{"quarantine", 0, "SECONDS", CLI_BCFG_OPT_QUARANTINE,
	 "keep a released n unused this long (default 600)", E},
	{"registry-wait", 0, "SECONDS", CLI_BCFG_OPT_REGISTRY_WAIT,
	 "wait at most this for a registry held by another process, then 503 (default 5)", E},
	{"grant-settle", 0, "MS", CLI_BCFG_OPT_GRANT_SETTLE,
	 "milliseconds to wait after a trust-policy change (IAM propagation; default 10000)", E},
	{"max-peerings", 0, "N", CLI_BCFG_OPT_MAX_PEERINGS,
	 "live namespaces the hub VPC may peer with (default 50; AWS allows at most 125)", E},
	{"max-routes-per-table", 0, "N", CLI_BCFG_OPT_MAX_ROUTES,
	 "routes a hub route table may hold (default 50, AWS's default quota)", E},
	{"trust-policy-quota", 0, "N", CLI_BCFG_OPT_TRUST_QUOTA,
	 "characters of a role's trust policy (IAM's ACLSizePerRole; default 2048)", E},
	{"peering-accepter", 0, "MODE", CLI_BCFG_OPT_PEERING_ACCEPTER,
	 "who accepts a client's peering: broker (default: confirm checks it, the broker "
	 "accepts it) or peer-role (the client, through --peer-role)",
	 E},
	{"max-namespaces-per-account", 0, "N", CLI_BCFG_OPT_MAX_NS_PER_ACCOUNT,
	 "live namespaces one account may hold (default 5; 0: no cap)", E},
	{"quota-refresh", 0, "SECONDS", CLI_BCFG_OPT_QUOTA_REFRESH,
	 "re-read the hub's peerings and route tables for the quotas after this (default 30)", E},
	{"accept-wait", 0, "SECONDS", CLI_BCFG_OPT_ACCEPT_WAIT,
	 "broker mode: how long confirm waits for a peering it accepted to become active, then "
	 "answers 503 'in progress, confirm again' (default and at most 20)",
	 E},
	{"log-level", 0, "LEVEL", CLI_BCFG_OPT_LOG_LEVEL,
	 "debug, info, warn or error (default info)", E},
	{"log-format", 0, "FORMAT", CLI_BCFG_OPT_LOG_FORMAT, "text or json (default text)", E},
	{"aws-retry-base-delay", 0, "MS", CLI_BCFG_OPT_AWS_RETRY_BASE,
	 "base of the AWS retries' exponential backoff with jitter (default 1000)", E},
	{"prefix-list", 0, "PL_ID", CLI_BCFG_OPT_PREFIX_LIST,
	 "managed prefix list the broker keeps holding exactly the active clients' CIDRs (its "
	 "MaxEntries must be at least --max-peerings)",
	 E},
	{"peering-dns", 0, "auto|on|off", CLI_BCFG_OPT_PEERING_DNS,
	 "broker mode: let clients resolve the hub's DNS names over the peering (default auto: "
	 "on when the hub VPC has DNS hostnames and resolution on)",
	 E},
	{"hosted-zone", 0, "ZONE_ID", CLI_BCFG_OPT_HOSTED_ZONE,
	 "the hub's private hosted zone (Z...): at confirm the broker authorizes the client's VPC "
	 "to associate with it, at release disassociates it",
	 E},
	{"attach", 0, "MODE", CLI_BCFG_OPT_ATTACH,
	 "how client VPCs reach the hub: peering (default) or transit-gateway (one attachment "
	 "per client to --transit-gateway, shared through --resource-share)",
	 E},
	{"transit-gateway", 0, "TGW_ID", CLI_BCFG_OPT_TRANSIT_GATEWAY,
	 "transit-gateway mode: the hub's transit gateway (auto-accept and default route table "
	 "association and propagation off)",
	 E},
	{"resource-share", 0, "ARN", CLI_BCFG_OPT_RESOURCE_SHARE,
	 "transit-gateway mode: the RAM resource share holding the transit gateway; client "
	 "accounts are added as its principals",
	 E},
	{"transit-gateway-client-table", 0, "TGW_RTB_ID", CLI_BCFG_OPT_TGW_CLIENT_TABLE,
	 "transit-gateway mode: the route table of every client attachment (the hub's route "
	 "only)",
	 E},
	{"transit-gateway-hub-table", 0, "TGW_RTB_ID", CLI_BCFG_OPT_TGW_HUB_TABLE,
	 "transit-gateway mode: the hub attachment's route table (one static route per client)", E},
	{"transit-gateway-max-attachments", 0, "N", CLI_BCFG_OPT_TGW_MAX_ATTACHMENTS,
	 "attachments the transit gateway may have (default and most 5000, AWS's quota)", E},
	{"transit-gateway-max-routes", 0, "N", CLI_BCFG_OPT_TGW_MAX_ROUTES,
	 "static routes the transit gateway may hold (default 10000, AWS's quota)", E},
	{"share-max-principals", 0, "N", CLI_BCFG_OPT_SHARE_MAX_PRINCIPALS,
	 "principals the resource share may hold (default 5000)", E},
	{"transit-gateway-verify-table", 0, "TGW_RTB_ID", CLI_BCFG_OPT_TGW_VERIFY_TABLE,
	 "transit-gateway mode: a third route table of the gateway, associated with nothing: "
	 "confirm propagates a client's attachment there for a moment to read its VPC's CIDR",
	 E},
	{"registry-secret", 0, "ARN", CLI_BCFG_OPT_REGISTRY_SECRET,
	 "a Secrets Manager secret in RDS's format (username, password; host, port, dbname): the "
	 "PostgreSQL registry's credentials, added to --db's URL (or the URL, without --db)",
	 E},
	CLI_OPTIONS_END,
};

#undef E
#undef ER

void cli_broker_config_init(struct cli_broker_config *c)
{
	memset(c, 0, sizeof(*c));
	vp_broker_config_init(&c->broker);
	vp_plan_init(&c->broker.plan);
	c->db = CLI_BROKER_DEFAULT_DB;
	c->quarantine = VP_REGISTRY_DEFAULT_QUARANTINE;
	c->registry_wait = DEFAULT_REGISTRY_WAIT;
	c->log_level = VP_LOG_INFO;
	c->log_format = VP_LOG_TEXT;
}

static bool add_item(const char *command, const char *flag, const char **items, size_t *count,
		     size_t max, const char *value)
{
	if (*count >= max) {
		cli_error(command, "--%s: at most %zu values", flag, max);
		return false;
	}
	items[(*count)++] = value;
	return true;
}

static bool check_account(const char *command, const char *flag, const char *value)
{
	struct vp_error err;

	if (vp_ids_account_check(value, &err) != VP_OK) {
		cli_error(command, "--%s: %s", flag, err.message);
		return false;
	}
	return true;
}

/* A flag of the transit-gateway mode (issue 16); the ids are checked at start-up. */
static bool apply_tgw(const char *command, struct vp_broker_config *b, const struct cli_arg *arg)
{
	struct vp_error err;
	int64_t n = 0;

	switch (arg->id) {
	case CLI_BCFG_OPT_ATTACH:
		if (vp_broker_attach_parse(arg->value, &b->attach, &err) != VP_OK) {
			cli_error(command, "%s", err.message);
			return false;
		}
		return true;
	case CLI_BCFG_OPT_TRANSIT_GATEWAY:
		b->tgw.transit_gateway = arg->value;
		return true;
	case CLI_BCFG_OPT_RESOURCE_SHARE:
		b->tgw.resource_share = arg->value;
		return true;
	case CLI_BCFG_OPT_TGW_CLIENT_TABLE:
		b->tgw.client_table = arg->value;
		return true;
	case CLI_BCFG_OPT_TGW_HUB_TABLE:
		b->tgw.hub_table = arg->value;
		return true;
	case CLI_BCFG_OPT_TGW_VERIFY_TABLE:
		b->tgw.verify_table = arg->value;
		return true;
	case CLI_BCFG_OPT_TGW_MAX_ATTACHMENTS:
		if (!cli_number_arg(command, "--transit-gateway-max-attachments", arg->value, 1,
				    5000, &n))
			return false;
		b->tgw.max_attachments = (int)n;
		return true;
	case CLI_BCFG_OPT_TGW_MAX_ROUTES:
		if (!cli_number_arg(command, "--transit-gateway-max-routes", arg->value, 1, 1000000,
				    &n))
			return false;
		b->tgw.max_routes = (int)n;
		return true;
	case CLI_BCFG_OPT_SHARE_MAX_PRINCIPALS:
		if (!cli_number_arg(command, "--share-max-principals", arg->value, 1, 1000000, &n))
			return false;
		b->tgw.max_principals = (int)n;
		return true;
	default:
		return false;
	}
}

/*
 * --peer-role takes a role name; a role ARN of the form IAM gives
 * (arn:PARTITION:iam::ACCOUNT:role/NAME) is taken for its name, its account
 * remembered for cli_broker_config_check to compare with the hub's. A role
 * with a path is refused: the broker names its roles by name alone.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
static bool add_peer_role(const char *command, struct cli_broker_config *c, const char *value)
{
	struct vp_broker_config *b = &c->broker;
	const char *iam, *role;
	size_t slot = b->peer_role_count;

	if (strncmp(value, "arn:", 4) != 0)
		return add_item(command, "peer-role", b->peer_roles, &b->peer_role_count,
				VP_BROKER_MAX_PEER_ROLES, value);
	iam = strstr(value, ":iam::");
	role = iam ? iam + 6 + 12 : NULL;
	if (!iam || strlen(iam + 6) < 12 + 6 || strspn(iam + 6, "0123456789") != 12 ||
	    strncmp(role, ":role/", 6) != 0 || !role[6]) {
		cli_error(command,
			  "--peer-role takes a role's name (e.g. vpcpeer-peer-1) or its ARN "
			  "arn:aws:iam::HUB_ACCOUNT:role/NAME, not '%.200s'",
			  value);
		return false;
	}
	if (strchr(role + 6, '/')) {
		cli_error(command,
			  "--peer-role '%.200s' has a path: give the name of a hub role without a "
			  "path (the broker names its roles by name alone)",
			  value);
		return false;
	}
	if (!add_item(command, "peer-role", b->peer_roles, &b->peer_role_count,
		      VP_BROKER_MAX_PEER_ROLES, role + 6))
		return false;
	memcpy(c->peer_role_account[slot], iam + 6, 12);
	c->peer_role_account[slot][12] = '\0';
	return true;
}

/* One broker flag into the configuration; false (the error printed) when it is bad. */
static bool apply_one(const char *command, struct cli_broker_config *c, const struct cli_arg *arg)
{
	struct vp_broker_config *b = &c->broker;
	struct vp_error err;
	int64_t n;

	switch (arg->id) {
	case CLI_BCFG_OPT_DB:
		c->db = arg->value;
		c->db_given = true;
		return true;
	case CLI_BCFG_OPT_REGISTRY_SECRET:
		c->registry_secret = arg->value;
		return true;
	case CLI_BCFG_OPT_HUB_ACCOUNT:
		b->hub_account = arg->value;
		return check_account(command, "hub-account", arg->value);
	case CLI_BCFG_OPT_HUB_VPC:
		b->hub_vpc = arg->value;
		return true;
	case CLI_BCFG_OPT_HUB_REGION:
		b->hub_region = arg->value;
		return true;
	case CLI_BCFG_OPT_PEER_ROLE:
		return add_peer_role(command, c, arg->value);
	case CLI_BCFG_OPT_HUB_ROUTE_TABLE:
		return add_item(command, "hub-route-table", b->route_tables, &b->route_table_count,
				VP_BROKER_MAX_ROUTE_TABLES, arg->value);
	case CLI_BCFG_OPT_ALLOW_ACCOUNT:
		return check_account(command, "allow-account", arg->value) &&
		       add_item(command, "allow-account", b->allow_accounts,
				&b->allow_account_count, VP_BROKER_MAX_ACCOUNTS, arg->value);
	case CLI_BCFG_OPT_ALLOW_ANY_ACCOUNT:
		b->allow_any_account = true;
		return true;
	case CLI_BCFG_OPT_AUTHORIZE:
		if (vp_broker_authorize_parse(arg->value, &b->authorize, &err) != VP_OK) {
			cli_error(command, "%s", err.message);
			return false;
		}
		return true;
	case CLI_BCFG_OPT_ADMIN_ARN:
		return add_item(command, "admin-arn", b->admin_arns, &b->admin_arn_count,
				VP_BROKER_MAX_ADMINS, arg->value);
	case CLI_BCFG_OPT_PENDING_TTL:
		return cli_number_arg(command, "--pending-ttl", arg->value, 0, 10LL * 365 * 86400,
				      &b->pending_ttl);
	case CLI_BCFG_OPT_REGISTRY_WAIT:
		return cli_number_arg(command, "--registry-wait", arg->value, 1, 3600,
				      &c->registry_wait);
	case CLI_BCFG_OPT_QUARANTINE:
		return cli_number_arg(command, "--quarantine", arg->value, 0, 10LL * 365 * 86400,
				      &c->quarantine);
	case CLI_BCFG_OPT_GRANT_SETTLE:
		return cli_number_arg(command, "--grant-settle", arg->value, 0, 600000,
				      &b->grant_settle_ms);
	case CLI_BCFG_OPT_MAX_PEERINGS:
		if (!cli_number_arg(command, "--max-peerings", arg->value, 1,
				    VP_BROKER_HARD_MAX_PEERINGS, &n))
			return false;
		b->max_peerings = (int)n;
		return true;
	case CLI_BCFG_OPT_MAX_ROUTES:
		if (!cli_number_arg(command, "--max-routes-per-table", arg->value, 1, 1000, &n))
			return false;
		b->max_routes_per_table = (int)n;
		return true;
	case CLI_BCFG_OPT_TRUST_QUOTA:
		if (!cli_number_arg(command, "--trust-policy-quota", arg->value, 256, 65536, &n))
			return false;
		b->trust_policy_quota = (size_t)n;
		return true;
	case CLI_BCFG_OPT_MAX_NS_PER_ACCOUNT:
		if (!cli_number_arg(command, "--max-namespaces-per-account", arg->value, 0, 100000,
				    &n))
			return false;
		b->max_namespaces_per_account = (int)n;
		return true;
	case CLI_BCFG_OPT_QUOTA_REFRESH:
		return cli_number_arg(command, "--quota-refresh", arg->value, 1, 86400,
				      &b->quota_refresh);
	case CLI_BCFG_OPT_ACCEPT_WAIT:
		return cli_number_arg(command, "--accept-wait", arg->value, 1,
				      VP_BROKER_MAX_ACCEPT_WAIT, &b->accept_wait);
	case CLI_BCFG_OPT_PEERING_ACCEPTER:
		if (vp_broker_accepter_parse(arg->value, &b->peering_accepter, &err) != VP_OK) {
			cli_error(command, "%s", err.message);
			return false;
		}
		return true;
	case CLI_BCFG_OPT_LOG_LEVEL:
		if (vp_log_level_parse(arg->value, &c->log_level, &err) != VP_OK) {
			cli_error(command, "--log-level: %s", err.message);
			return false;
		}
		return true;
	case CLI_BCFG_OPT_LOG_FORMAT:
		if (vp_log_format_parse(arg->value, &c->log_format, &err) != VP_OK) {
			cli_error(command, "--log-format: %s", err.message);
			return false;
		}
		return true;
	case CLI_BCFG_OPT_AWS_RETRY_BASE:
		return cli_number_arg(command, "--aws-retry-base-delay", arg->value, 1, 60000,
				      &c->aws_retry_base_ms);
	case CLI_BCFG_OPT_PREFIX_LIST:
		if (strncmp(arg->value, "pl-", 3) != 0 ||
		    vp_ids_aws_id_check(arg->value, "pl", "--prefix-list", &err) != VP_OK) {
			cli_error(command, "--prefix-list must be a prefix list id (pl-...)");
			return false;
		}
		b->prefix_list = arg->value;
		return true;
	case CLI_BCFG_OPT_HOSTED_ZONE: {
		char zone[VP_AWS_ROUTE53_ZONE_MAX];
		if (vp_aws_route53_zone_id(arg->value, zone, &err) != VP_OK) {
			cli_error(command,
				  "--hosted-zone \"%.40s\" is not a hosted zone id: give Z... (the "
				  "Id of aws route53 list-hosted-zones, with or without "
				  "/hostedzone/)",
				  arg->value);
			return false;
		}
		b->hosted_zone = arg->value;
		return true;
	}
	case CLI_BCFG_OPT_PEERING_DNS:
		if (strcmp(arg->value, "auto") == 0)
			b->peering_dns = VP_PEERING_DNS_AUTO;
		else if (strcmp(arg->value, "on") == 0)
			b->peering_dns = VP_PEERING_DNS_ON;
		else if (strcmp(arg->value, "off") == 0)
			b->peering_dns = VP_PEERING_DNS_OFF;
		else {
			cli_error(command, "--peering-dns must be auto, on or off");
			return false;
		}
		return true;
	default:
		return apply_tgw(command, b, arg);
	}
}

bool cli_broker_config_apply(const char *command, struct cli_broker_config *c,
			     const struct cli_arg *arg, bool *failed)
{
	if (arg->id >= CLI_BCFG_OPT_DB && arg->id <= CLI_BCFG_OPT_REGISTRY_SECRET) {
		if (!apply_one(command, c, arg))
			*failed = true;
		return true;
	}
	return cli_plan_apply(command, &c->broker.plan, arg, failed);
}

bool cli_broker_config_check(const char *command, const struct cli_broker_config *c,
			     bool need_callers)
{
	const struct vp_broker_config *b = &c->broker;

	if (!b->hub_account || !b->hub_vpc ||
	    (b->peering_accepter == VP_PEERING_ACCEPTER_PEER_ROLE && b->peer_role_count == 0)) {
		cli_error(command, "missing %s (see 'vpcpeer %s --help')",
			  !b->hub_account ? "--hub-account ID"
			  : !b->hub_vpc
				  ? "--hub-vpc VPC_ID"
				  : "--peer-role NAME (--peering-accepter peer-role needs it)",
			  command);
		return false;
	}
	for (size_t i = 0; i < b->peer_role_count; i++)
		if (c->peer_role_account[i][0] &&
		    strcmp(c->peer_role_account[i], b->hub_account) != 0) {
			cli_error(command,
				  "--peer-role %s: that role ARN is in account %s, not the hub "
				  "account %s: give the name of a role in the hub account",
				  b->peer_roles[i], c->peer_role_account[i], b->hub_account);
			return false;
		}
	if (c->db && c->db[0] && !strchr(c->db, ':')) {
		cli_error(command,
			  "--db '%.200s' is not a database URL: for a SQLite file give "
			  "sqlite:%.200s (or postgresql://...)",
			  c->db, c->db);
		return false;
	}
	if (b->attach == VP_BROKER_ATTACH_TRANSIT_GATEWAY &&
	    (!b->tgw.transit_gateway || !b->tgw.resource_share || !b->tgw.client_table ||
	     !b->tgw.hub_table || !b->tgw.verify_table)) {
		cli_error(command,
			  "--attach transit-gateway needs --transit-gateway, --resource-share, "
			  "--transit-gateway-client-table, --transit-gateway-hub-table and "
			  "--transit-gateway-verify-table");
		return false;
	}
	if (b->allow_any_account && b->allow_account_count) {
		cli_error(command, "give --allow-account or --allow-any-account, not both");
		return false;
	}
	if (need_callers && !b->allow_any_account && !b->allow_account_count) {
		cli_error(command, "no account may register: give --allow-account ID (repeatable) "
				   "or --allow-any-account");
		return false;
	}
	return cli_plan_check(command, &b->plan);
}

int cli_broker_runtime_open(const char *command, struct cli_broker_config *c, int pool_size,
			    struct cli_broker_runtime *rt)
{
	struct vp_aws_client_config aws_cfg = {0};
	struct vp_registry_options reg_opts;
	struct vp_error err;
	int status = CLI_EXIT_FAILED;
	char db[VP_REGISTRY_URL_CAP + 1];
	vp_code rc;

	if (vp_aws_global_init(&err) != VP_OK)
		goto failed;
	rt->aws_global = true;
	aws_cfg.region = c->broker.hub_region;
	aws_cfg.retry_base_delay = (double)c->aws_retry_base_ms / 1000.0;
	if (vp_aws_client_new_default(&aws_cfg, &rt->aws, &err) != VP_OK) {
		cli_error(command, "AWS client: %s", err.message);
		return err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
	}
	c->broker.hub_region = vp_aws_client_region(rt->aws);
	if (!c->broker.hub_region) {
		cli_error(command, "no AWS region: give --hub-region or set AWS_REGION");
		return CLI_EXIT_USAGE;
	}
	vp_registry_options_init(&reg_opts);
	reg_opts.quarantine_seconds = c->quarantine;
	reg_opts.busy_timeout_ms = (int)(c->registry_wait * 1000);
	reg_opts.pool_size = pool_size;
	reg_opts.plan = c->broker.plan;
	if (c->registry_secret)
		rc = cli_registry_secret_fetch(rt->aws, c->registry_secret,
					       c->db_given ? c->db : NULL, db, sizeof(db), &err);
	else
		rc = vp_registry_open(c->db, &reg_opts, &rt->registry, &err);
	if (rc == VP_OK && c->registry_secret) {
		rc = vp_registry_open(db, &reg_opts, &rt->registry, &err);
		OPENSSL_cleanse(db, sizeof(db)); /* the password */
	}
	if (rc != VP_OK) {
		vp_error_prefix(&err, "registry");
		status = err.code == VP_ERR_INVALID ? CLI_EXIT_USAGE : CLI_EXIT_FAILED;
		goto failed;
	}
	rt->metrics = vp_metrics_new();
	if (!rt->metrics) {
		vp_fail(&err, VP_ERR_NOMEM, "out of memory for the metrics");
		goto failed;
	}
	vp_metrics_with_process(rt->metrics);
	if (vp_broker_new(&c->broker, rt->registry, rt->aws, rt->metrics, &rt->broker, &err) !=
	    VP_OK)
		goto failed;
	return CLI_EXIT_OK;
failed:
	/* A hub that does not match its configuration is a failed start (1), not a bad flag. */
	cli_error(command, "%s", err.message);
	return status;
}

void cli_broker_runtime_close(struct cli_broker_runtime *rt)
{
	vp_broker_free(rt->broker);
	vp_metrics_free(rt->metrics);
	vp_registry_close(rt->registry);
	vp_aws_client_free(rt->aws);
	if (rt->aws_global)
		vp_aws_global_cleanup();
	memset(rt, 0, sizeof(*rt));
}
