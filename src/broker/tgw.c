/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway mode (tgw.h): its settings checked against AWS at
 * start-up, the register checks and the share's principals.
 */
#include "broker/tgw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2.h"
#include "aws/ec2_tgw.h"
#include "aws/ram.h"
#include "core/log.h"

static bool is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The settings alone, before any AWS call. */
vp_code vp_broker_tgw_check_config(enum vp_broker_attach attach,
				   const struct vp_broker_tgw_config *cfg, struct vp_error *err)
{
	const char *rtb[] = {cfg->client_table, cfg->hub_table, cfg->verify_table};
	const char *rtb_flag[] = {"--transit-gateway-client-table", "--transit-gateway-hub-table",
				  "--transit-gateway-verify-table"};

	if (attach != VP_BROKER_ATTACH_TRANSIT_GATEWAY)
		return VP_OK;
	if (!cfg->transit_gateway)
		return vp_fail(err, VP_ERR_INVALID,
			       "--attach transit-gateway needs --transit-gateway tgw-...");
	if (vp_ids_aws_id_check(cfg->transit_gateway, "tgw", "--transit-gateway", err) != VP_OK)
		return VP_ERR_INVALID;
	if (!cfg->resource_share || strncmp(cfg->resource_share, "arn:", 4) != 0 ||
	    !strstr(cfg->resource_share, ":resource-share/") ||
	    strlen(cfg->resource_share) > VP_BROKER_TGW_ARN_MAX)
		return vp_fail(err, VP_ERR_INVALID,
			       "--resource-share '%.64s' is not a RAM resource share ARN "
			       "(arn:aws:ram:REGION:ACCOUNT:resource-share/ID)",
			       cfg->resource_share ? cfg->resource_share : "");
	for (size_t i = 0; i < 3; i++) {
		if (!rtb[i])
			return vp_fail(err, VP_ERR_INVALID, "--attach transit-gateway needs %s",
				       rtb_flag[i]);
		if (vp_ids_aws_id_check(rtb[i], "tgw-rtb", rtb_flag[i], err) != VP_OK)
			return VP_ERR_INVALID;
	}
	if (is(rtb[0], rtb[1]))
		return vp_fail(
			err, VP_ERR_INVALID,
			"the clients' and the hub's transit gateway route tables must differ "
			"(%s): one table for both would route clients to each other",
			rtb[0]);
	/* The verify table only ever holds propagated routes of the attachment being confirmed:
	 * one of the other two would carry them to the hub or to clients. */
	for (size_t i = 0; i < 2; i++)
		if (is(rtb[2], rtb[i]))
			return vp_fail(err, VP_ERR_INVALID,
				       "--transit-gateway-verify-table %s is also %s: give a third "
				       "route table, associated with nothing, where confirm reads "
				       "a client VPC's CIDR blocks",
				       rtb[2], rtb_flag[i]);
	if (cfg->max_attachments < 0 || cfg->max_attachments > VP_BROKER_TGW_MAX_ATTACHMENTS)
		return vp_fail(
			err, VP_ERR_INVALID,
			"--transit-gateway-max-attachments %d is outside 1..%d (AWS's quota, "
			"which cannot be raised)",
			cfg->max_attachments, VP_BROKER_TGW_MAX_ATTACHMENTS);
	if (cfg->max_routes < 0 || cfg->max_principals < 0)
		return vp_fail(err, VP_ERR_INVALID, "a transit-gateway quota is negative");
	return VP_OK;
}

static bool ours(const struct vp_broker *b, const char *table)
{
	return is(table, b->tgw->client_table) || is(table, b->tgw->hub_table) ||
	       is(table, b->tgw->verify_table);
}

/* The gateway: the hub account's, available, no auto-accept, no default table. */
static vp_code check_gateway(struct vp_broker *b, struct vp_error *err)
{
	const char *ids[] = {b->tgw->tgw};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_tgw_list *list = NULL;
	struct vp_aws_error aerr;
	const struct vp_aws_tgw *t;
	vp_code code = vp_aws_ec2_describe_transit_gateways(b->aws, &q, &list, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeTransitGateways", code, &aerr);
	if (code == VP_ERR_NOT_FOUND || (code == VP_OK && list->count == 0)) {
		vp_aws_tgw_list_free(list);
		return vp_fail(err, VP_ERR_INVALID,
			       "transit gateway %s not found in region %s (--transit-gateway)",
			       b->tgw->tgw, b->hub_region);
	}
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the transit gateway");
	t = &list->items[0];
	if (!is(t->owner_id, b->hub_account))
		code = vp_fail(err, VP_ERR_INVALID,
			       "transit gateway %s belongs to account %s, not the hub account %s",
			       b->tgw->tgw, t->owner_id ? t->owner_id : "?", b->hub_account);
	else if (!is(t->state, "available"))
		code = vp_fail(err, VP_ERR_INVALID, "transit gateway %s is %s, not available",
			       b->tgw->tgw, t->state ? t->state : "(no state)");
	else if (t->auto_accept_shared_attachments)
		code = vp_fail(err, VP_ERR_INVALID,
			       "transit gateway %s accepts shared attachments automatically: the "
			       "broker must verify each before accepting it (set "
			       "AutoAcceptSharedAttachments to disable)",
			       b->tgw->tgw);
	/* EC2 shows the propagation option only as the default table's id (which may stay
	 * after the option is turned off): refused when it is one of the broker's tables. */
	else if (t->default_route_table_association ||
		 ours(b, t->association_default_route_table_id) ||
		 ours(b, t->propagation_default_route_table_id))
		code = vp_fail(err, VP_ERR_INVALID,
			       "transit gateway %s associates or propagates new attachments by "
			       "default: one would be routed before the broker checks it (set "
			       "DefaultRouteTableAssociation and DefaultRouteTablePropagation to "
			       "disable)",
			       b->tgw->tgw);
	vp_aws_tgw_list_free(list);
	return code;
}

/* The route tables belong to the gateway: a search in each (one route at most, by filter). */
static vp_code check_tables(struct vp_broker *b, struct vp_error *err)
{
	const char *tables[] = {b->tgw->client_table, b->tgw->hub_table, b->tgw->verify_table};
	const char *flags[] = {"--transit-gateway-client-table", "--transit-gateway-hub-table",
			       "--transit-gateway-verify-table"};
	const char *stat[] = {"static"};
	struct vp_aws_ec2_filter f = {"type", stat, 1};

	for (size_t i = 0; i < 3; i++) {
		struct vp_aws_tgw_route_list *routes = NULL;
		struct vp_aws_error aerr;
		vp_code code =
			vp_aws_ec2_search_tgw_routes(b->aws, tables[i], &f, 1, &routes, &aerr);

		vp_broker_note_aws(b->metrics, "SearchTransitGatewayRoutes", code, &aerr);
		if (code == VP_ERR_NOT_FOUND || code == VP_ERR_INVALID)
			return vp_fail(err, VP_ERR_INVALID,
				       "%s %s is not a route table of transit gateway %s: %s",
				       flags[i], tables[i], b->tgw->tgw, aerr.error.message);
		if (code != VP_OK)
			return vp_broker_aws_fail(err, &aerr,
						  "reading a transit gateway route table");
		if (i == 0) /* the clients' table: the hub's route; the hub table's are clients' */
			b->tgw->other_routes = (int64_t)routes->count;
		vp_aws_tgw_route_list_free(routes);
	}
	return VP_OK;
}

/* The verify table has no association: a client's block propagated there for a moment must
 * carry no traffic (tgw_attach.c). */
static vp_code check_verify_table(struct vp_broker *b, struct vp_error *err)
{
	struct vp_aws_tgw_association_list *list = NULL;
	struct vp_aws_error aerr;
	bool more = false;
	vp_code code = vp_aws_ec2_get_tgw_table_associations(b->aws, b->tgw->verify_table, &list,
							     &more, &aerr);

	vp_broker_note_aws(b->metrics, "GetTransitGatewayRouteTableAssociations", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the verify table's associations");
	if (list->count > 0 || more)
		code = vp_fail(err, VP_ERR_INVALID,
			       "--transit-gateway-verify-table %s is associated with %s: give a "
			       "route table associated with nothing (confirm propagates client "
			       "blocks there, which must carry no traffic)",
			       b->tgw->verify_table,
			       list->count > 0 && list->items[0].attachment_id
				       ? list->items[0].attachment_id
				       : "an attachment");
	vp_aws_tgw_association_list_free(list);
	return code;
}

/* The share: the hub account's, holding the gateway; its principals counted. */
static vp_code check_share(struct vp_broker *b, struct vp_error *err)
{
	struct vp_aws_ram_shares *shares = NULL;
	struct vp_aws_ram_associations *res = NULL, *pri = NULL;
	struct vp_aws_ram_association_query rq = {.association_type = "RESOURCE",
						  .resource_share_arn = b->tgw->share};
	struct vp_aws_ram_association_query pq = {.association_type = "PRINCIPAL",
						  .resource_share_arn = b->tgw->share};
	struct vp_aws_error aerr;
	char tgw_arn[VP_BROKER_TGW_ARN_MAX + 1];
	bool holds = false, org = false;
	vp_code code;

	snprintf(tgw_arn, sizeof(tgw_arn), "arn:%s:ec2:%s:%s:transit-gateway/%s", b->partition,
		 b->hub_region, b->hub_account, b->tgw->tgw);
	code = vp_aws_ram_get_shares(b->aws, "SELF", b->tgw->share, &shares, &aerr);
	vp_broker_note_aws(b->metrics, "GetResourceShares", code, &aerr);
	if (code == VP_OK && shares->count == 0)
		code = vp_fail(err, VP_ERR_INVALID,
			       "resource share %s is not the hub account's (--resource-share)",
			       b->tgw->share);
	else if (code == VP_ERR_NOT_FOUND)
		code = vp_fail(err, VP_ERR_INVALID, "resource share %s not found: %s",
			       b->tgw->share, aerr.error.message);
	else if (code != VP_OK)
		code = vp_broker_aws_fail(err, &aerr, "reading the resource share");
	if (code == VP_OK && !is(shares->items[0].status, "ACTIVE"))
		code = vp_fail(err, VP_ERR_INVALID, "resource share %s is %s, not ACTIVE",
			       b->tgw->share,
			       shares->items[0].status ? shares->items[0].status : "(no status)");
	if (code == VP_OK) {
		code = vp_aws_ram_get_associations(b->aws, &rq, &res, &aerr);
		vp_broker_note_aws(b->metrics, "GetResourceShareAssociations", code, &aerr);
		if (code != VP_OK)
			code = vp_broker_aws_fail(err, &aerr, "reading the resource share");
	}
	for (size_t i = 0; code == VP_OK && i < res->count; i++)
		if (is(res->items[i].associated_entity, tgw_arn) &&
		    is(res->items[i].status, "ASSOCIATED"))
			holds = true;
	if (code == VP_OK && !holds)
		code = vp_fail(err, VP_ERR_INVALID,
			       "resource share %s does not hold transit gateway %s (%s): associate "
			       "it with the share",
			       b->tgw->share, b->tgw->tgw, tgw_arn);
	if (code == VP_OK) {
		code = vp_aws_ram_get_associations(b->aws, &pq, &pri, &aerr);
		vp_broker_note_aws(b->metrics, "GetResourceShareAssociations", code, &aerr);
		if (code != VP_OK)
			code = vp_broker_aws_fail(err, &aerr, "reading the resource share");
	}
	for (size_t i = 0; code == VP_OK && i < pri->count; i++) {
		const char *who = pri->items[i].associated_entity;
		if (!is(pri->items[i].status, "ASSOCIATED") &&
		    !is(pri->items[i].status, "ASSOCIATING"))
			continue;
		if (who && strstr(who, ":organization/"))
			org = true;
		else if (vp_ids_account_valid(who))
			b->tgw->principals++;
	}
	if (code == VP_OK)
		b->tgw->org_only = org && !shares->items[0].allow_external_principals;
	vp_aws_ram_shares_free(shares);
	vp_aws_ram_associations_free(res);
	vp_aws_ram_associations_free(pri);
	return code;
}

/* The gateway's attachments: the hub VPC's is there; the ones no live namespace holds. */
static vp_code count_attachments(struct vp_broker *b, struct vp_error *err)
{
	const char *tgw[] = {b->tgw->tgw};
	struct vp_aws_ec2_filter f = {"transit-gateway-id", tgw, 1};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	struct vp_aws_tgw_attachment_list *list = NULL;
	struct vp_aws_error aerr;
	bool hub = false;
	int64_t counted = 0, live = 0;
	vp_code code = vp_aws_ec2_describe_tgw_vpc_attachments(b->aws, &q, &list, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeTransitGatewayVpcAttachments", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the transit gateway's attachments");
	for (size_t i = 0; i < list->count; i++) {
		const struct vp_aws_tgw_attachment *a = &list->items[i];
		if (is(a->state, "deleted") || is(a->state, "rejected") || is(a->state, "failed"))
			continue;
		counted++;
		if (is(a->vpc_id, b->hub_vpc) && is(a->state, "available"))
			hub = true;
	}
	vp_aws_tgw_attachment_list_free(list);
	if (!hub)
		return vp_fail(err, VP_ERR_INVALID,
			       "the hub VPC %s has no available attachment to transit gateway %s: "
			       "attach it and associate it with %s",
			       b->hub_vpc, b->tgw->tgw, b->tgw->hub_table);
	if ((code = vp_registry_count_live(b->registry, &live, err)) != VP_OK)
		return code;
	b->tgw->other_attachments = counted > live ? counted - live : 1;
	return VP_OK;
}

/* The hub VPC's route tables: the pool to the gateway, made once (a route to another target
 * for the pool is refused: the broker does not take over what someone else routes). */
static vp_code route_pool(struct vp_broker *b, struct vp_error *err)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_ec2_route_target target = {.transit_gateway_id = b->tgw->tgw};
	char pool[VP_CIDR_STRLEN];
	vp_code code = vp_broker_describe_tables(b, &tables, err);

	vp_cidr_format(b->plan.pool, pool);
	for (size_t i = 0; code == VP_OK && i < tables->count; i++) {
		const struct vp_aws_ec2_route_table *t = &tables->items[i];
		bool there = false;
		struct vp_aws_error aerr;

		for (size_t k = 0; k < t->route_count && code == VP_OK; k++) {
			const struct vp_aws_ec2_route *r = &t->routes[k];
			if (!is(r->destination_cidr_block, pool))
				continue;
			if (is(r->transit_gateway_id, b->tgw->tgw))
				there = true;
			else
				code = vp_fail(err, VP_ERR_INVALID,
					       "hub route table %s routes the client pool %s "
					       "elsewhere; remove that route (the transit-gateway "
					       "mode routes the pool to %s)",
					       t->route_table_id, pool, b->tgw->tgw);
		}
		if (code != VP_OK || there)
			continue;
		code = vp_aws_ec2_create_route(b->aws, t->route_table_id, pool, &target, &aerr);
		vp_broker_note_aws(b->metrics, "CreateRoute", code, &aerr);
		if (code != VP_OK)
			code = vp_broker_aws_fail(err, &aerr,
						  "routing the client pool to the transit gateway");
	}
	vp_aws_ec2_route_table_list_free(tables);
	return code;
}

vp_code vp_broker_tgw_start(struct vp_broker *b, enum vp_broker_attach attach,
			    const struct vp_broker_tgw_config *cfg, struct vp_error *err)
{
	struct vp_broker_tgw *t;
	vp_code code;

	if (attach != VP_BROKER_ATTACH_TRANSIT_GATEWAY)
		return VP_OK;
	if ((code = vp_broker_tgw_check_config(attach, cfg, err)) != VP_OK)
		return code;
	if (!(t = calloc(1, sizeof(*t))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	snprintf(t->tgw, sizeof(t->tgw), "%s", cfg->transit_gateway);
	snprintf(t->share, sizeof(t->share), "%s", cfg->resource_share);
	snprintf(t->client_table, sizeof(t->client_table), "%s", cfg->client_table);
	snprintf(t->hub_table, sizeof(t->hub_table), "%s", cfg->hub_table);
	snprintf(t->verify_table, sizeof(t->verify_table), "%s", cfg->verify_table);
	t->max_attachments =
		cfg->max_attachments ? cfg->max_attachments : VP_BROKER_TGW_MAX_ATTACHMENTS;
	t->max_routes = cfg->max_routes ? cfg->max_routes : VP_BROKER_TGW_MAX_ROUTES;
	t->max_principals =
		cfg->max_principals ? cfg->max_principals : VP_BROKER_TGW_MAX_PRINCIPALS;
	pthread_mutex_init(&t->mu, NULL);
	vp_broker_tgw_share_init(t);
	b->tgw = t;
	b->peering_dns = false; /* no peering to set it on */
	if ((code = check_gateway(b, err)) != VP_OK || (code = check_tables(b, err)) != VP_OK ||
	    (code = check_verify_table(b, err)) != VP_OK || (code = check_share(b, err)) != VP_OK ||
	    (code = count_attachments(b, err)) != VP_OK || (code = route_pool(b, err)) != VP_OK) {
		b->tgw = NULL;
		vp_broker_tgw_free(t);
		return code;
	}
	vp_log(VP_LOG_INFO,
	       "broker: transit-gateway mode: %s, share %s (%s), clients' table %s, hub table %s, "
	       "verify table %s; %lld other attachment(s), %lld principal(s)",
	       t->tgw, t->share, t->org_only ? "organization only" : "principals added per account",
	       t->client_table, t->hub_table, t->verify_table, (long long)t->other_attachments,
	       (long long)t->principals);
	return VP_OK;
}

void vp_broker_tgw_free(struct vp_broker_tgw *t)
{
	if (!t)
		return;
	vp_broker_tgw_share_destroy(t);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

vp_code vp_broker_tgw_check_region(struct vp_broker *b, const char *region, struct vp_error *err)
{
	if (!b->tgw || !region || !region[0] || is(region, b->hub_region))
		return VP_OK;
	return vp_fail(err, VP_ERR_INVALID,
		       "region '%.32s': this hub's transit gateway %s serves region %s only (a "
		       "transit gateway serves one region); build the client VPC in %s, or use "
		       "a hub in peering mode",
		       region, b->tgw->tgw, b->hub_region, b->hub_region);
}

vp_code vp_broker_tgw_check_quota(struct vp_broker *b, int64_t held, bool new_account,
				  struct vp_error *err)
{
	struct vp_broker_tgw *t = b->tgw;
	int64_t attachments, routes, principals;

	pthread_mutex_lock(&t->mu);
	attachments = t->other_attachments + held;
	routes = t->other_routes + held;
	principals = t->principals + (new_account ? 1 : 0);
	pthread_mutex_unlock(&t->mu);
	if (attachments > t->max_attachments)
		return vp_fail(err, VP_ERR_EXHAUSTED,
			       "transit gateway %s is full: %lld attachments would pass the quota "
			       "of %d attachments per transit gateway (AWS's, which cannot be "
			       "raised: add another hub)",
			       t->tgw, (long long)attachments, t->max_attachments);
	if (routes > t->max_routes)
		return vp_fail(
			err, VP_ERR_EXHAUSTED,
			"transit gateway %s is full: %lld static routes would pass the quota "
			"of %d routes per transit gateway (raise it in Service Quotas, then "
			"--transit-gateway-max-routes)",
			t->tgw, (long long)routes, t->max_routes);
	if (!t->org_only && principals > t->max_principals)
		return vp_fail(err, VP_ERR_EXHAUSTED,
			       "resource share %s is full: %lld principals would pass the quota of "
			       "%d principals per resource share (raise it in Service Quotas, then "
			       "--share-max-principals)",
			       t->share, (long long)principals, t->max_principals);
	return VP_OK;
}

void vp_broker_tgw_count_principal(struct vp_broker *b, int delta)
{
	pthread_mutex_lock(&b->tgw->mu);
	b->tgw->principals += delta;
	if (b->tgw->principals < 0)
		b->tgw->principals = 0;
	pthread_mutex_unlock(&b->tgw->mu);
}
