/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker: configuration, the checks of the hub at start-up, who may do
 * what (callers, admins), reading namespaces (get, list), readiness, metrics
 * and the helpers the workflow files share. The workflows themselves are in
 * register.c, confirm.c and release.c; trust policies in grants.c.
 */
#include "broker/broker.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/metrics.h"
#include "core/version.h"
#include "core/ids.h"
#include "aws/client.h"
#include "aws/ec2.h"
#include "aws/iam.h"
#include "broker/grants.h"
#include "broker/internal.h"
#include "broker/policy.h"
#include "broker/hub_side.h"
#include "broker/prefix_list.h"
#include "broker/hosted_zone.h"
#include "broker/quota.h"
#include "broker/tgw.h"
#include "core/log.h"

static bool copy_bounded(char *dst, size_t size, const char *src)
{
	size_t len = src ? strlen(src) : 0;
	if (len >= size)
		return false;
	memcpy(dst, src ? src : "", len);
	dst[len] = '\0';
	return true;
}

void vp_broker_config_init(struct vp_broker_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->peering_accepter = VP_PEERING_ACCEPTER_BROKER;
	cfg->pending_ttl = VP_BROKER_DEFAULT_PENDING_TTL;
	cfg->grant_settle_ms = 10000;
	cfg->max_peerings = VP_BROKER_DEFAULT_MAX_PEERINGS;
	cfg->max_routes_per_table = VP_BROKER_DEFAULT_MAX_ROUTES;
	cfg->trust_policy_quota = VP_BROKER_DEFAULT_TRUST_QUOTA;
	cfg->max_namespaces_per_account = VP_BROKER_DEFAULT_MAX_NS_PER_ACCOUNT;
	cfg->quota_refresh = VP_BROKER_DEFAULT_QUOTA_REFRESH;
	cfg->accept_wait = VP_BROKER_DEFAULT_ACCEPT_WAIT;
	vp_plan_init(&cfg->plan);
}

/* ---- shared helpers ---- */

void vp_broker_fill(const struct vp_broker *b, const struct vp_namespace_record *rec,
		    struct vp_registration *out)
{
	memset(out, 0, sizeof(*out));
	out->record = *rec;
	/* A pending namespace's peering and VPC are confirm's intent, not yet its state. */
	if (rec->state == VP_NS_PENDING) {
		out->record.peering_id[0] = '\0';
		out->record.vpc_id[0] = '\0';
	}
	if (vp_plan_namespace(&b->plan, rec->n, &out->plan, NULL) != VP_OK)
		out->plan.id = rec->n;
	copy_bounded(out->peer_vpc_id, sizeof(out->peer_vpc_id), b->hub_vpc);
	copy_bounded(out->peer_owner_id, sizeof(out->peer_owner_id), b->hub_account);
	copy_bounded(out->peer_region, sizeof(out->peer_region), b->hub_region);
	copy_bounded(out->peer_cidr, sizeof(out->peer_cidr), b->hub_cidr);
	copy_bounded(out->peering_accepter, sizeof(out->peering_accepter),
		     vp_broker_accepter_name(b->accepter));
	/* In broker mode nobody assumes a role in the hub (a record from an earlier
	 * peer-role mode keeps its ARN in the registry, not in the answer). */
	if (b->accepter == VP_PEERING_ACCEPTER_BROKER)
		out->record.peer_role_arn[0] = '\0';
	if (rec->state == VP_NS_ACTIVE)
		copy_bounded(out->hosted_zone, sizeof(out->hosted_zone), b->hosted_zone);
	copy_bounded(out->attach, sizeof(out->attach),
		     vp_broker_attach_name(b->tgw ? VP_BROKER_ATTACH_TRANSIT_GATEWAY
						  : VP_BROKER_ATTACH_PEERING));
	if (b->tgw) {
		copy_bounded(out->transit_gateway_id, sizeof(out->transit_gateway_id), b->tgw->tgw);
		copy_bounded(out->resource_share_arn, sizeof(out->resource_share_arn),
			     b->tgw->share);
	}
}

vp_code vp_broker_describe_tables(struct vp_broker *b, struct vp_aws_ec2_route_table_list **out,
				  struct vp_error *err)
{
	const char *ids[VP_BROKER_MAX_ROUTE_TABLES];
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = b->table_count};
	struct vp_aws_error aerr;
	vp_code code;

	for (size_t i = 0; i < b->table_count; i++)
		ids[i] = b->tables[i];
	code = vp_aws_ec2_describe_route_tables(b->aws, &q, out, &aerr);
	vp_broker_note_aws(b->metrics, "DescribeRouteTables", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub route tables");
	return VP_OK;
}

vp_code vp_broker_delete_route(struct vp_broker *b, const char *table, const char *cidr,
			       const char *what, struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_delete_route(b->aws, table, cidr, &aerr);

	vp_broker_note_aws(b->metrics, "DeleteRoute", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, what);
	return VP_OK;
}

void vp_broker_outcome(struct vp_broker *b, const char *workflow, const char *request_id,
		       const char *account, int64_t n, vp_code code, const struct vp_error *err)
{
	enum vp_log_level level = VP_LOG_INFO;
	json_t *fields;

	if (b->metrics)
		vp_metrics_add(b->metrics, VP_BROKER_METRIC_WORKFLOWS,
			       (const char *const[]){"workflow", workflow, "outcome",
						     code == VP_OK ? "ok" : vp_code_name(code),
						     NULL},
			       1);
	if (code == VP_ERR_AWS || code == VP_ERR_DB || code == VP_ERR_INTERNAL ||
	    code == VP_ERR_UNAVAILABLE || code == VP_ERR_NOMEM)
		level = VP_LOG_WARN;
	if (!vp_log_enabled(level))
		return;
	fields = json_pack("{ss ss ss sI ss}", "workflow", workflow, "request_id",
			   request_id ? request_id : "", "account", account ? account : "", "n",
			   (json_int_t)n, "outcome", code == VP_OK ? "ok" : vp_code_name(code));
	if (fields && code != VP_OK && err)
		json_object_set_new(fields, "error", json_string(err->message));
	vp_log_event(level, code == VP_OK ? "broker: done" : "broker: refused or failed", fields);
}

vp_code vp_broker_lock_namespace(struct vp_broker *b, int64_t n, int timeout_ms,
				 struct vp_registry_lock **lock, struct vp_error *err)
{
	char name[48];

	snprintf(name, sizeof(name), "namespace:%lld", (long long)n);
	return vp_registry_lock(b->registry, name, timeout_ms, lock, err);
}

vp_code vp_broker_run_locked(struct vp_broker *b, const struct vp_broker_locked_call *call,
			     struct vp_registration *out, struct vp_namespace_record *rec_out,
			     struct vp_error *err)
{
	struct vp_namespace_record *rec = calloc(1, sizeof(*rec));
	const char *request_id = call->request_id ? call->request_id : "";
	const struct vp_identity *caller = call->system ? NULL : call->caller;
	struct vp_registry_lock *lock = NULL;
	vp_code code = VP_OK;

	if (!rec)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (!call->system)
		code = vp_broker_check_caller(b, caller, err);
	if (code == VP_OK)
		code = vp_broker_lock_namespace(b, call->n, call->lock_timeout_ms, &lock, err);
	if (code == VP_OK)
		code = call->step(b, caller, call->n, call->input, request_id, rec, err);
	vp_registry_unlock(lock);
	if (code == VP_OK) {
		if (out)
			vp_broker_fill(b, rec, out);
		if (rec_out)
			*rec_out = *rec;
	}
	vp_broker_outcome(b, call->workflow, request_id,
			  call->system ? rec->account : (caller ? caller->account : ""), call->n,
			  code, err);
	free(rec);
	return code;
}

/* ---- callers ---- */

/* "arn:P:sts::ACCT:assumed-role/ROLE/SESSION" matches an admin "arn:P:iam::ACCT:role/[PATH/]ROLE".
 */
static bool assumed_role_matches(const char *caller, const char *admin)
{
	const char *c_part, *c_rest, *a_rest, *role, *slash, *a_role;
	size_t part_len, acct_len, role_len;

	if (strncmp(caller, "arn:", 4) != 0 || strncmp(admin, "arn:", 4) != 0)
		return false;
	c_part = caller + 4;
	if (!(c_rest = strchr(c_part, ':')))
		return false;
	part_len = (size_t)(c_rest - c_part);
	if (strncmp(admin + 4, c_part, part_len) != 0 || admin[4 + part_len] != ':')
		return false;
	if (strncmp(c_rest, ":sts::", 6) != 0)
		return false;
	c_rest += 6; /* ACCT:assumed-role/ROLE/SESSION */
	a_rest = admin + 4 + part_len;
	if (strncmp(a_rest, ":iam::", 6) != 0)
		return false;
	a_rest += 6; /* ACCT:role/[PATH/]ROLE */
	if (!(slash = strchr(c_rest, ':')))
		return false;
	acct_len = (size_t)(slash - c_rest);
	if (strncmp(a_rest, c_rest, acct_len) != 0 || a_rest[acct_len] != ':')
		return false;
	if (strncmp(slash, ":assumed-role/", 14) != 0 ||
	    strncmp(a_rest + acct_len, ":role/", 6) != 0)
		return false;
	role = slash + 14;
	if (!(slash = strchr(role, '/')))
		return false;
	role_len = (size_t)(slash - role);
	a_role = strrchr(a_rest + acct_len + 6, '/');
	a_role = a_role ? a_role + 1 : a_rest + acct_len + 6;
	return role_len > 0 && strlen(a_role) == role_len && strncmp(a_role, role, role_len) == 0;
}

bool vp_broker_is_admin(const struct vp_broker *b, const struct vp_identity *caller)
{
	for (size_t i = 0; i < b->admin_count; i++)
		if (strcmp(caller->arn, b->admins[i]) == 0 ||
		    assumed_role_matches(caller->arn, b->admins[i]))
			return true;
	return false;
}

vp_code vp_broker_check_caller(const struct vp_broker *b, const struct vp_identity *caller,
			       struct vp_error *err)
{
	if (!caller || !vp_ids_account_valid(caller->account))
		return vp_fail(err, VP_ERR_AUTH, "no verified caller identity");
	if (b->allow_any || vp_broker_is_admin(b, caller))
		return VP_OK;
	for (size_t i = 0; i < b->allow_count; i++)
		if (strcmp(b->allow[i], caller->account) == 0)
			return VP_OK;
	return vp_fail(err, VP_ERR_FORBIDDEN,
		       "account %s may not use this broker (not in --allow-account)",
		       caller->account);
}

vp_code vp_broker_load(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
		       struct vp_namespace_record *rec, struct vp_error *err)
{
	vp_code code;

	if (n < 1)
		return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld does not exist",
			       (long long)n);
	if ((code = vp_registry_get(b->registry, n, rec, err)) != VP_OK) {
		if (code == VP_ERR_NOT_FOUND)
			return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld does not exist",
				       (long long)n);
		return code;
	}
	/* Another account's is answered as absent: a 403 told callers which n are taken (issue 14).
	 */
	if (caller && strcmp(rec->account, caller->account) != 0 && !vp_broker_is_admin(b, caller))
		return vp_fail(err, VP_ERR_NOT_FOUND, "namespace %lld does not exist",
			       (long long)n);
	return VP_OK;
}

/* ---- reading ---- */

vp_code vp_broker_get(struct vp_broker *b, const struct vp_identity *caller, int64_t n,
		      struct vp_registration *out, struct vp_error *err)
{
	struct vp_namespace_record *rec = malloc(sizeof(*rec));
	vp_code code;

	if (!rec)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_broker_check_caller(b, caller, err);
	if (code == VP_OK)
		code = vp_broker_load(b, caller, n, rec, err);
	if (code == VP_OK)
		vp_broker_fill(b, rec, out);
	free(rec);
	return code;
}

vp_code vp_broker_page(struct vp_broker *b, unsigned states, const char *account, int64_t cursor,
		       struct vp_registration *out, size_t max, size_t *count, int64_t *next_cursor,
		       struct vp_error *err)
{
	struct vp_registry_filter filter = {
		.states = states, .account = account, .after_id = cursor};
	struct vp_namespace_record *recs;
	size_t got = 0;
	int64_t next = 0;
	vp_code code;

	if (!(recs = calloc(max, sizeof(*recs))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	code = vp_registry_list(b->registry, &filter, recs, max, &got, &next, err);
	if (code == VP_OK) {
		for (size_t i = 0; i < got; i++)
			vp_broker_fill(b, &recs[i], &out[i]);
		*count = got;
		*next_cursor = next;
	}
	free(recs);
	return code;
}

vp_code vp_broker_list(struct vp_broker *b, const struct vp_identity *caller, unsigned states,
		       const char *account, int64_t cursor, struct vp_registration *out, size_t max,
		       size_t *count, int64_t *next_cursor, struct vp_error *err)
{
	vp_code code;

	if ((code = vp_broker_check_caller(b, caller, err)) != VP_OK)
		return code;
	if (account && *account && vp_ids_account_check(account, err) != VP_OK)
		return VP_ERR_INVALID;
	if (!vp_broker_is_admin(b, caller)) {
		if (account && *account && strcmp(account, caller->account) != 0)
			return vp_fail(err, VP_ERR_FORBIDDEN,
				       "only an admin may list another account's namespaces");
		account = caller->account;
	}
	if (cursor < 0)
		return vp_fail(err, VP_ERR_INVALID, "cursor must not be negative");
	if (max == 0) {
		*count = 0;
		*next_cursor = 0;
		return VP_OK;
	}
	if (max > VP_REGISTRY_PAGE_MAX)
		max = VP_REGISTRY_PAGE_MAX;
	return vp_broker_page(b, states, account, cursor, out, max, count, next_cursor, err);
}

const char *vp_broker_readiness(struct vp_broker *b)
{
	char holder[96], host[64] = "";
	struct vp_error e;
	int64_t live;

	if (vp_registry_count_live(b->registry, &live, &e) != VP_OK) {
		vp_log(VP_LOG_WARN, "readiness: registry_read: %s", e.message);
		return "registry_read";
	}
	gethostname(host, sizeof(host) - 1);
	snprintf(holder, sizeof(holder), "broker:%.63s:%ld", host, (long)getpid());
	if (vp_registry_heartbeat(b->registry, holder, &e) != VP_OK) {
		vp_log(VP_LOG_WARN, "readiness: registry_write: %s", e.message);
		return "registry_write";
	}
	return NULL;
}

bool vp_broker_ready(struct vp_broker *b)
{
	return vp_broker_readiness(b) == NULL;
}

/* ---- start-up ---- */

static vp_code check_config(const struct vp_broker_config *cfg, struct vp_error *err)
{
	if (!cfg->hub_account || !vp_ids_account_valid(cfg->hub_account))
		return vp_fail(err, VP_ERR_INVALID, "--hub-account must be a 12-digit account id");
	if (!cfg->hub_vpc || vp_ids_aws_id_check(cfg->hub_vpc, "vpc", "--hub-vpc", err) != VP_OK)
		return cfg->hub_vpc ? VP_ERR_INVALID
				    : vp_fail(err, VP_ERR_INVALID, "--hub-vpc is required");
	if (cfg->peering_accepter != VP_PEERING_ACCEPTER_BROKER &&
	    cfg->peering_accepter != VP_PEERING_ACCEPTER_PEER_ROLE)
		return vp_fail(err, VP_ERR_INVALID,
			       "--peering-accepter must be broker or peer-role");
	if (cfg->peering_accepter == VP_PEERING_ACCEPTER_PEER_ROLE && cfg->peer_role_count < 1)
		return vp_fail(err, VP_ERR_INVALID,
			       "--peering-accepter peer-role needs the peer roles clients assume: "
			       "give 1 to %d --peer-role names",
			       VP_BROKER_MAX_PEER_ROLES);
	if (cfg->peer_role_count > VP_BROKER_MAX_PEER_ROLES)
		return vp_fail(err, VP_ERR_INVALID, "give at most %d --peer-role names (got %zu)",
			       VP_BROKER_MAX_PEER_ROLES, cfg->peer_role_count);
	for (size_t i = 0; i < cfg->peer_role_count; i++)
		if (!cfg->peer_roles[i] || !*cfg->peer_roles[i] ||
		    strlen(cfg->peer_roles[i]) > VP_GRANTS_ROLE_NAME_MAX)
			return vp_fail(err, VP_ERR_INVALID, "--peer-role %zu is empty or too long",
				       i + 1);
	if (cfg->route_table_count > VP_BROKER_MAX_ROUTE_TABLES)
		return vp_fail(err, VP_ERR_INVALID, "at most %d --hub-route-table",
			       VP_BROKER_MAX_ROUTE_TABLES);
	for (size_t i = 0; i < cfg->route_table_count; i++)
		if (!cfg->route_tables[i] || vp_ids_aws_id_check(cfg->route_tables[i], "rtb",
								 "--hub-route-table", err) != VP_OK)
			return cfg->route_tables[i]
				       ? VP_ERR_INVALID
				       : vp_fail(err, VP_ERR_INVALID, "--hub-route-table is empty");
	if (cfg->allow_account_count > VP_BROKER_MAX_ACCOUNTS)
		return vp_fail(err, VP_ERR_INVALID, "at most %d --allow-account",
			       VP_BROKER_MAX_ACCOUNTS);
	for (size_t i = 0; i < cfg->allow_account_count; i++)
		if (!cfg->allow_accounts[i] || !vp_ids_account_valid(cfg->allow_accounts[i]))
			return vp_fail(err, VP_ERR_INVALID,
				       "--allow-account '%.32s' is not a 12-digit account id",
				       cfg->allow_accounts[i] ? cfg->allow_accounts[i] : "");
	if (cfg->admin_arn_count > VP_BROKER_MAX_ADMINS)
		return vp_fail(err, VP_ERR_INVALID, "at most %d --admin-arn", VP_BROKER_MAX_ADMINS);
	for (size_t i = 0; i < cfg->admin_arn_count; i++)
		if (!cfg->admin_arns[i] || strncmp(cfg->admin_arns[i], "arn:", 4) != 0 ||
		    strlen(cfg->admin_arns[i]) > VP_REGISTRY_ARN_MAX)
			return vp_fail(err, VP_ERR_INVALID, "--admin-arn '%.64s' is not an ARN",
				       cfg->admin_arns[i] ? cfg->admin_arns[i] : "");
	if (cfg->max_peerings < 1 || cfg->max_peerings > VP_BROKER_HARD_MAX_PEERINGS)
		return vp_fail(err, VP_ERR_INVALID,
			       "--max-peerings %d is outside 1..%d (AWS allows at most %d active "
			       "peering connections per VPC)",
			       cfg->max_peerings, VP_BROKER_HARD_MAX_PEERINGS,
			       VP_BROKER_HARD_MAX_PEERINGS);
	if (cfg->max_routes_per_table < 1 || cfg->max_routes_per_table > 1000)
		return vp_fail(err, VP_ERR_INVALID,
			       "--max-routes-per-table %d is outside 1..1000 (AWS's highest quota)",
			       cfg->max_routes_per_table);
	if (cfg->trust_policy_quota < 128 || cfg->trust_policy_quota > 8192)
		return vp_fail(err, VP_ERR_INVALID,
			       "trust policy quota %zu is outside 128..8192 (IAM's ACLSizePerRole "
			       "is 2048 by default, 8192 at most)",
			       cfg->trust_policy_quota);
	if (cfg->pending_ttl < 0)
		return vp_fail(err, VP_ERR_INVALID, "--pending-ttl must not be negative");
	if (cfg->grant_settle_ms < 0 || cfg->grant_settle_ms > 600000)
		return vp_fail(err, VP_ERR_INVALID, "--grant-settle must be 0..600 s");
	if (cfg->accept_wait < 1 || cfg->accept_wait > VP_BROKER_MAX_ACCEPT_WAIT)
		return vp_fail(err, VP_ERR_INVALID, "--accept-wait %lld is outside 1..%d s",
			       (long long)cfg->accept_wait, VP_BROKER_MAX_ACCEPT_WAIT);
	if (vp_plan_validate(&cfg->plan, err) != VP_OK) {
		vp_error_prefix(err, "address plan");
		return VP_ERR_INVALID;
	}
	return vp_broker_tgw_check_config(cfg->attach, &cfg->tgw, err);
}

/* The hub VPC: exists in the hub account; its CIDR overlaps no client namespace. */
static vp_code check_hub_vpc(struct vp_broker *b, struct vp_error *err)
{
	const char *ids[] = {b->hub_vpc};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_ec2_vpc_list *vpcs = NULL;
	struct vp_aws_error aerr;
	struct vp_cidr hub;
	char text[20];
	vp_code code;

	code = vp_aws_ec2_describe_vpcs(b->aws, &q, &vpcs, &aerr);
	vp_broker_note_aws(b->metrics, "DescribeVpcs", code, &aerr);
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && vpcs->count == 0)) {
		vp_aws_ec2_vpc_list_free(vpcs);
		return vp_fail(err, VP_ERR_INVALID, "hub VPC %s not found in region %s (--hub-vpc)",
			       b->hub_vpc, b->hub_region);
	}
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub VPC");
	if (vpcs->items[0].owner_id && strcmp(vpcs->items[0].owner_id, b->hub_account) != 0) {
		code = vp_fail(err, VP_ERR_INVALID, "hub VPC %s belongs to account %s, not %s",
			       b->hub_vpc, vpcs->items[0].owner_id, b->hub_account);
	} else if (!vpcs->items[0].cidr_block ||
		   vp_cidr_parse(vpcs->items[0].cidr_block, strlen(vpcs->items[0].cidr_block), &hub,
				 err) != VP_OK) {
		code = vp_fail(err, VP_ERR_AWS, "hub VPC %s has no readable CIDR block",
			       b->hub_vpc);
	}
	vp_aws_ec2_vpc_list_free(vpcs);
	if (code != VP_OK)
		return code;
	vp_cidr_format(hub, text);
	copy_bounded(b->hub_cidr, sizeof(b->hub_cidr), text);

	/* Which client namespaces (n >= 1, not reserved) the hub's block overlaps. */
	{
		uint32_t lo = hub.addr > b->plan.pool.addr ? hub.addr : b->plan.pool.addr;
		uint32_t hub_last = vp_cidr_last(hub), pool_last = vp_cidr_last(b->plan.pool);
		uint32_t hi = hub_last < pool_last ? hub_last : pool_last;

		if (lo <= hi) {
			int64_t first = vp_plan_namespace_of(&b->plan, lo);
			int64_t last = vp_plan_namespace_of(&b->plan, hi);
			for (int64_t n = first < 1 ? 1 : first; n <= last; n++)
				if (!vp_plan_reserved_overlap(&b->plan, n))
					return vp_fail(
						err, VP_ERR_INVALID,
						"the hub VPC's CIDR %s overlaps client namespace "
						"%lld of the address plan: reserve it "
						"(--reserve %s) or use a pool that does not "
						"hold it",
						text, (long long)n, text);
		}
	}
	return VP_OK;
}

/*
 * A gateway route table (edge-associated with an internet or virtual private
 * gateway) takes no peering or transit gateway target (VPC user guide,
 * "Gateway route tables"): its gateway, else NULL.
 */
static const char *edge_gateway(const struct vp_aws_ec2_route_table *t)
{
	for (size_t i = 0; i < t->association_count; i++)
		if (t->associations[i].gateway_id && *t->associations[i].gateway_id)
			return t->associations[i].gateway_id;
	return NULL;
}

/*
 * The route tables: the configured ones belong to the hub VPC and are not gateway route
 * tables; none configured: all of its but its gateway route tables.
 */
static vp_code check_route_tables(struct vp_broker *b, const struct vp_broker_config *cfg,
				  struct vp_error *err)
{
	const char *vpc[] = {b->hub_vpc};
	struct vp_aws_ec2_filter f = {"vpc-id", vpc, 1};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_error aerr;
	vp_code code;

	if (cfg->route_table_count > 0) {
		for (size_t i = 0; i < cfg->route_table_count; i++)
			copy_bounded(b->tables[i], sizeof(b->tables[i]), cfg->route_tables[i]);
		b->table_count = cfg->route_table_count;
		q = (struct vp_aws_ec2_query){.ids = cfg->route_tables,
					      .id_count = cfg->route_table_count};
	}
	code = vp_aws_ec2_describe_route_tables(b->aws, &q, &tables, &aerr);
	vp_broker_note_aws(b->metrics, "DescribeRouteTables", code, &aerr);
	if (code == VP_ERR_NOT_FOUND)
		return vp_fail(err, VP_ERR_INVALID, "a --hub-route-table does not exist: %s",
			       aerr.error.message);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub route tables");
	if (cfg->route_table_count > 0) {
		for (size_t i = 0; i < b->table_count && code == VP_OK; i++) {
			bool found = false;
			for (size_t k = 0; k < tables->count; k++) {
				const struct vp_aws_ec2_route_table *t = &tables->items[k];
				if (!t->route_table_id ||
				    strcmp(t->route_table_id, b->tables[i]) != 0)
					continue;
				found = true;
				if (!t->vpc_id || strcmp(t->vpc_id, b->hub_vpc) != 0)
					code = vp_fail(err, VP_ERR_INVALID,
						       "route table %s belongs to %s, not the hub "
						       "VPC %s",
						       b->tables[i], t->vpc_id ? t->vpc_id : "?",
						       b->hub_vpc);
				else if (edge_gateway(t))
					code = vp_fail(
						err, VP_ERR_INVALID,
						"route table %s is a gateway route table "
						"(associated with %s): AWS allows no peering "
						"target in it; name another --hub-route-table",
						b->tables[i], edge_gateway(t));
			}
			if (!found && code == VP_OK)
				code = vp_fail(err, VP_ERR_INVALID, "route table %s does not exist",
					       b->tables[i]);
		}
	} else {
		size_t usable = 0;
		for (size_t i = 0; i < tables->count; i++)
			usable += edge_gateway(&tables->items[i]) == NULL;
		if (usable == 0 || usable > VP_BROKER_MAX_ROUTE_TABLES)
			code = vp_fail(
				err, VP_ERR_INVALID,
				"the hub VPC %s has %zu route tables that take a peering "
				"route (gateway route tables left out); the broker handles 1 "
				"to %d (name them with --hub-route-table)",
				b->hub_vpc, usable, VP_BROKER_MAX_ROUTE_TABLES);
		for (size_t i = 0; code == VP_OK && i < tables->count; i++) {
			const struct vp_aws_ec2_route_table *t = &tables->items[i];
			if (edge_gateway(t)) {
				vp_log(VP_LOG_INFO,
				       "hub route table %s is a gateway route table (associated "
				       "with %s): not routed",
				       t->route_table_id ? t->route_table_id : "?",
				       edge_gateway(t));
				continue;
			}
			if (!t->route_table_id ||
			    !copy_bounded(b->tables[b->table_count], sizeof(b->tables[0]),
					  t->route_table_id))
				code = vp_fail(err, VP_ERR_AWS, "a hub route table has a bad id");
			else
				b->table_count++;
		}
	}
	vp_aws_ec2_route_table_list_free(tables);
	return code;
}

vp_code vp_broker_new(const struct vp_broker_config *cfg, struct vp_registry *registry,
		      struct vp_aws_client *aws, struct vp_metrics *metrics, struct vp_broker **out,
		      struct vp_error *err)
{
	struct vp_grants_config gc = {0};
	struct vp_aws_iam_role *roles[VP_BROKER_MAX_PEER_ROLES] = {0};
	struct vp_broker *b;
	const char *region;
	vp_code code;

	if (!cfg || !registry || !aws)
		return vp_fail(err, VP_ERR_INVALID,
			       "the broker needs a configuration, a registry "
			       "and an AWS client");
	if ((code = check_config(cfg, err)) != VP_OK)
		return code;
	region = cfg->hub_region && *cfg->hub_region ? cfg->hub_region : vp_aws_client_region(aws);
	if (!region || !*region)
		return vp_fail(err, VP_ERR_INVALID,
			       "--hub-region is required (no region configured)");
	if ((b = calloc(1, sizeof(*b))))
		pthread_mutex_init(&b->pass_lock, NULL);
	if (!b)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	b->registry = registry;
	b->aws = aws;
	b->metrics = metrics;
	copy_bounded(b->hub_account, sizeof(b->hub_account), cfg->hub_account);
	copy_bounded(b->hub_vpc, sizeof(b->hub_vpc), cfg->hub_vpc);
	if (!copy_bounded(b->hub_region, sizeof(b->hub_region), region)) {
		free(b);
		return vp_fail(err, VP_ERR_INVALID, "--hub-region is too long");
	}
	copy_bounded(b->partition, sizeof(b->partition), vp_aws_client_partition(aws)->name);
	for (size_t i = 0; i < cfg->allow_account_count; i++)
		copy_bounded(b->allow[i], sizeof(b->allow[i]), cfg->allow_accounts[i]);
	b->allow_count = cfg->allow_account_count;
	b->allow_any = cfg->allow_any_account;
	for (size_t i = 0; i < cfg->admin_arn_count; i++)
		copy_bounded(b->admins[i], sizeof(b->admins[i]), cfg->admin_arns[i]);
	b->admin_count = cfg->admin_arn_count;
	b->authorize = cfg->authorize;
	b->pending_ttl = cfg->pending_ttl;
	b->accept_wait_ms = cfg->accept_wait * 1000;
	b->max_peerings = cfg->max_peerings;
	b->max_routes_per_table = cfg->max_routes_per_table;
	b->trust_quota = cfg->trust_policy_quota;
	b->accepter = cfg->peering_accepter;
	b->plan = cfg->plan;

	if ((code = vp_registry_id(registry, b->registry_id, err)) != VP_OK) {
		vp_error_prefix(err, "reading the registry's id");
		goto fail;
	}
	if ((code = vp_broker_metrics_declare(metrics, err)) != VP_OK ||
	    (code = check_hub_vpc(b, err)) != VP_OK ||
	    (code = check_route_tables(b, cfg, err)) != VP_OK ||
	    (code = vp_broker_quota_new(b, cfg->max_namespaces_per_account, cfg->quota_refresh,
					&b->quota, err)) != VP_OK ||
	    (code = vp_broker_hub_side_start(b, cfg->prefix_list, cfg->peering_dns, err)) !=
		    VP_OK ||
	    (code = vp_broker_hosted_zone_start(b, cfg->hosted_zone, err)) != VP_OK ||
	    (code = vp_broker_tgw_start(b, cfg->attach, &cfg->tgw, err)) != VP_OK)
		goto fail;

	for (size_t i = 0; i < cfg->peer_role_count; i++) {
		struct vp_aws_error aerr;
		char prefix[64];

		code = vp_aws_iam_get_role(aws, cfg->peer_roles[i], &roles[i], &aerr);
		vp_broker_note_aws(metrics, "GetRole", code, &aerr);
		if (code == VP_ERR_NOT_FOUND) {
			code = vp_fail(
				err, VP_ERR_INVALID,
				"peer role %s does not exist in the hub account (--peer-role)",
				cfg->peer_roles[i]);
			goto fail;
		}
		if (code != VP_OK) {
			vp_broker_aws_fail(err, &aerr, "reading a peer role");
			goto fail;
		}
		snprintf(prefix, sizeof(prefix), ":iam::%s:role/", b->hub_account);
		if (!roles[i]->arn || !strstr(roles[i]->arn, prefix)) {
			code = vp_fail(err, VP_ERR_INVALID,
				       "peer role %s is not a role of account %s",
				       cfg->peer_roles[i], b->hub_account);
			goto fail;
		}
		gc.roles[i] = (struct vp_grants_role){cfg->peer_roles[i], roles[i]->arn,
						      roles[i]->assume_role_policy_document};
	}
	gc.role_count = cfg->peer_role_count;
	gc.aws = aws;
	gc.registry = registry;
	gc.metrics = metrics;
	gc.partition = b->partition;
	gc.quota = cfg->trust_policy_quota;
	gc.settle_ms = cfg->grant_settle_ms;
	if (cfg->peer_role_count > 0 && (code = vp_grants_new(&gc, &b->grants, err)) != VP_OK)
		goto fail;
	for (size_t i = 0; i < cfg->peer_role_count; i++)
		vp_aws_iam_role_free(roles[i]);
	if (metrics) {
		int64_t plan_room =
			vp_plan_capacity(&b->plan) - 1 - vp_plan_reserved_count(&b->plan);
		/* AWS's cap: peerings per VPC, or attachments per transit gateway */
		int64_t aws_room = b->tgw ? b->tgw->max_attachments - 1 : b->max_peerings;
		vp_metrics_set(metrics, VP_BROKER_METRIC_CAPACITY_LIMIT, NULL,
			       (double)(plan_room < aws_room ? plan_room : aws_room));
	}
	if (metrics)
		vp_metrics_on_render(metrics, vp_broker_metrics_collect, b);
	vp_log(VP_LOG_INFO,
	       "broker: hub VPC %s (%s) in %s, account %s; peering accepter %s; %zu peer "
	       "role(s), %zu route table(s)",
	       b->hub_vpc, b->hub_cidr, b->hub_region, b->hub_account,
	       vp_broker_accepter_name(b->accepter), cfg->peer_role_count, b->table_count);
	if (b->accepter == VP_PEERING_ACCEPTER_BROKER)
		vp_broker_warn_old_grants(b);
	*out = b;
	return VP_OK;

fail:
	for (size_t i = 0; i < cfg->peer_role_count; i++)
		vp_aws_iam_role_free(roles[i]);
	vp_broker_quota_free(b->quota);
	vp_broker_prefix_list_free(b->prefix_list);
	vp_broker_tgw_free(b->tgw);
	free(b->last_pass);
	pthread_mutex_destroy(&b->pass_lock);
	free(b);
	return code;
}

void vp_broker_free(struct vp_broker *b)
{
	if (!b)
		return;
	if (b->metrics)
		vp_metrics_on_render(b->metrics, NULL, NULL);
	vp_broker_quota_free(b->quota);
	vp_broker_prefix_list_free(b->prefix_list);
	vp_grants_free(b->grants);
	vp_broker_tgw_free(b->tgw);
	free(b->last_pass);
	pthread_mutex_destroy(&b->pass_lock);
	free(b);
}
