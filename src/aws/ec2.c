/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/ec2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/ec2_internal.h"
#include "aws/xml.h"

/* --- freeing ------------------------------------------------------------------ */

void vp_aws_ec2_tags_cleanup(struct vp_aws_ec2_tags *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].key);
		free(t->items[i].value);
	}
	free(t->items);
	t->items = NULL;
	t->count = 0;
}

const char *vp_aws_ec2_tag(const struct vp_aws_ec2_tags *t, const char *key)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->items[i].key && strcmp(t->items[i].key, key) == 0)
			return t->items[i].value;
	return NULL;
}

static void vpc_cleanup(struct vp_aws_ec2_vpc *v)
{
	free(v->vpc_id);
	free(v->state);
	free(v->cidr_block);
	free(v->owner_id);
	vp_aws_ec2_tags_cleanup(&v->tags);
}

void vp_aws_ec2_vpc_list_free(struct vp_aws_ec2_vpc_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		vpc_cleanup(&l->items[i]);
	free(l->items);
	free(l);
}

static void route_cleanup(struct vp_aws_ec2_route *r)
{
	free(r->destination_cidr_block);
	free(r->vpc_peering_connection_id);
	free(r->gateway_id);
	free(r->transit_gateway_id);
	free(r->nat_gateway_id);
	free(r->network_interface_id);
	free(r->state);
	free(r->origin);
}

static void route_table_cleanup(struct vp_aws_ec2_route_table *t)
{
	free(t->route_table_id);
	free(t->vpc_id);
	free(t->owner_id);
	for (size_t i = 0; i < t->route_count; i++)
		route_cleanup(&t->routes[i]);
	free(t->routes);
	for (size_t i = 0; i < t->association_count; i++) {
		free(t->associations[i].association_id);
		free(t->associations[i].subnet_id);
		free(t->associations[i].gateway_id);
	}
	free(t->associations);
	vp_aws_ec2_tags_cleanup(&t->tags);
}

void vp_aws_ec2_route_table_list_free(struct vp_aws_ec2_route_table_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		route_table_cleanup(&l->items[i]);
	free(l->items);
	free(l);
}

static void vpc_info_cleanup(struct vp_aws_ec2_vpc_info *v)
{
	free(v->owner_id);
	free(v->vpc_id);
	free(v->cidr_block);
	for (size_t i = 0; i < v->cidr_block_count; i++)
		free(v->cidr_blocks[i]);
	free(v->cidr_blocks);
	free(v->region);
}

static void peering_cleanup(struct vp_aws_ec2_peering *p)
{
	free(p->vpc_peering_connection_id);
	vpc_info_cleanup(&p->requester);
	vpc_info_cleanup(&p->accepter);
	free(p->status_code);
	free(p->status_message);
	free(p->expiration_time);
	vp_aws_ec2_tags_cleanup(&p->tags);
}

void vp_aws_ec2_peering_list_free(struct vp_aws_ec2_peering_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		peering_cleanup(&l->items[i]);
	free(l->items);
	free(l);
}

void vp_aws_ec2_peering_free(struct vp_aws_ec2_peering *p)
{
	if (!p)
		return;
	peering_cleanup(p);
	free(p);
}

/* --- parsing -------------------------------------------------------------------- */

/* Room for one more element of `size` bytes in *items (zeroed). */
void *vp_aws_ec2_grow(void **items, size_t *count, size_t size, struct vp_error *err)
{
	char *g;

	if (*count >= VP_AWS_EC2_MAX_ITEMS) {
		vp_fail(err, VP_ERR_RANGE, "answer has more than %d items", VP_AWS_EC2_MAX_ITEMS);
		return NULL;
	}
	g = realloc(*items, (*count + 1) * size);
	if (!g) {
		vp_fail(err, VP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	*items = g;
	memset(g + *count * size, 0, size);
	return g + (*count)++ * size;
}

vp_code vp_aws_ec2_parse_tags(const xmlNode *parent, struct vp_aws_ec2_tags *tags,
			      struct vp_error *err)
{
	vp_code rc = VP_OK;

	FOR_ITEMS(item, vp_aws_xml_child(parent, "tagSet"))
	{
		struct vp_aws_ec2_tag *t =
			vp_aws_ec2_grow((void **)&tags->items, &tags->count, sizeof(*t), err);
		if (!t)
			return err ? err->code : VP_ERR_NOMEM;
		rc = vp_aws_xml_text(item, "key", true, &t->key, err);
		if (rc == VP_OK)
			rc = vp_aws_xml_text(item, "value", false, &t->value, err);
		if (rc != VP_OK)
			return rc;
	}
	return rc;
}

/* The root, and the page's nextToken. */
vp_code vp_aws_ec2_page_root(const char *body, size_t len, xmlDoc **doc, xmlNode **root,
			     char **next_token, struct vp_error *err)
{
	vp_code rc = vp_aws_xml_parse(body, len, doc, err);

	if (rc != VP_OK)
		return rc;
	*root = xmlDocGetRootElement(*doc);
	if (next_token) {
		rc = vp_aws_xml_text(*root, "nextToken", false, next_token, err);
		if (rc == VP_OK && *next_token && !(*next_token)[0]) {
			free(*next_token);
			*next_token = NULL;
		}
	}
	if (rc != VP_OK) {
		xmlFreeDoc(*doc);
		*doc = NULL;
	}
	return rc;
}

static vp_code parse_vpc(const xmlNode *item, struct vp_aws_ec2_vpc *v, struct vp_error *err)
{
	vp_code rc = vp_aws_xml_text(item, "vpcId", true, &v->vpc_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "state", false, &v->state, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "cidrBlock", false, &v->cidr_block, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "ownerId", false, &v->owner_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_bool(item, "isDefault", false, &v->is_default, err);
	if (rc == VP_OK)
		rc = vp_aws_ec2_parse_tags(item, &v->tags, err);
	return rc;
}

vp_code vp_aws_ec2_parse_vpcs(const char *body, size_t len, struct vp_aws_ec2_vpc_list **list,
			      char **next_token, struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_ec2_vpc_list, struct vp_aws_ec2_vpc, "vpcSet", parse_vpc,
		   vpc_cleanup);
}

static vp_code parse_route(const xmlNode *item, struct vp_aws_ec2_route *r, struct vp_error *err)
{
	vp_code rc = vp_aws_xml_text(item, "destinationCidrBlock", false,
				     &r->destination_cidr_block, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "vpcPeeringConnectionId", false,
				     &r->vpc_peering_connection_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "gatewayId", false, &r->gateway_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "transitGatewayId", false, &r->transit_gateway_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "natGatewayId", false, &r->nat_gateway_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "networkInterfaceId", false, &r->network_interface_id,
				     err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "state", false, &r->state, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "origin", false, &r->origin, err);
	return rc;
}

static vp_code parse_route_table(const xmlNode *item, struct vp_aws_ec2_route_table *t,
				 struct vp_error *err)
{
	vp_code rc = vp_aws_xml_text(item, "routeTableId", true, &t->route_table_id, err);

	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "vpcId", false, &t->vpc_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "ownerId", false, &t->owner_id, err);
	if (rc != VP_OK)
		return rc;
	FOR_ITEMS(ri, vp_aws_xml_child(item, "routeSet"))
	{
		struct vp_aws_ec2_route *r =
			vp_aws_ec2_grow((void **)&t->routes, &t->route_count, sizeof(*r), err);
		if (!r)
			return err ? err->code : VP_ERR_NOMEM;
		rc = parse_route(ri, r, err);
		if (rc != VP_OK)
			return rc;
	}
	FOR_ITEMS(ai, vp_aws_xml_child(item, "associationSet"))
	{
		struct vp_aws_ec2_association *a = vp_aws_ec2_grow(
			(void **)&t->associations, &t->association_count, sizeof(*a), err);
		if (!a)
			return err ? err->code : VP_ERR_NOMEM;
		rc = vp_aws_xml_text(ai, "routeTableAssociationId", false, &a->association_id, err);
		if (rc == VP_OK)
			rc = vp_aws_xml_text(ai, "subnetId", false, &a->subnet_id, err);
		if (rc == VP_OK) /* an edge association: a gateway route table */
			rc = vp_aws_xml_text(ai, "gatewayId", false, &a->gateway_id, err);
		if (rc == VP_OK)
			rc = vp_aws_xml_bool(ai, "main", false, &a->main, err);
		if (rc != VP_OK)
			return rc;
	}
	return vp_aws_ec2_parse_tags(item, &t->tags, err);
}

vp_code vp_aws_ec2_parse_route_tables(const char *body, size_t len,
				      struct vp_aws_ec2_route_table_list **list, char **next_token,
				      struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_ec2_route_table_list, struct vp_aws_ec2_route_table,
		   "routeTableSet", parse_route_table, route_table_cleanup);
}

static vp_code parse_vpc_info(const xmlNode *node, struct vp_aws_ec2_vpc_info *v,
			      struct vp_error *err)
{
	vp_code rc;

	if (!node)
		return VP_OK;
	rc = vp_aws_xml_text(node, "ownerId", false, &v->owner_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(node, "vpcId", false, &v->vpc_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(node, "cidrBlock", false, &v->cidr_block, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(node, "region", false, &v->region, err);
	FOR_ITEMS(item, vp_aws_xml_child(node, "cidrBlockSet"))
	{
		char **slot;
		if (rc != VP_OK)
			break;
		slot = vp_aws_ec2_grow((void **)&v->cidr_blocks, &v->cidr_block_count,
				       sizeof(*slot), err);
		if (!slot)
			return err ? err->code : VP_ERR_NOMEM;
		rc = vp_aws_xml_text(item, "cidrBlock", true, slot, err);
	}
	FOR_ITEMS(item, vp_aws_xml_child(node, "ipv6CidrBlockSet"))
	{
		if (v->ipv6_cidr_block_count >= VP_AWS_EC2_MAX_ITEMS)
			return vp_fail(err, VP_ERR_RANGE, "answer has more than %d IPv6 blocks",
				       VP_AWS_EC2_MAX_ITEMS);
		v->ipv6_cidr_block_count++;
	}
	return rc;
}

static vp_code parse_peering(const xmlNode *item, struct vp_aws_ec2_peering *p,
			     struct vp_error *err)
{
	xmlNode *status = vp_aws_xml_child(item, "status");
	vp_code rc = vp_aws_xml_text(item, "vpcPeeringConnectionId", true,
				     &p->vpc_peering_connection_id, err);

	if (rc == VP_OK)
		rc = parse_vpc_info(vp_aws_xml_child(item, "requesterVpcInfo"), &p->requester, err);
	if (rc == VP_OK)
		rc = parse_vpc_info(vp_aws_xml_child(item, "accepterVpcInfo"), &p->accepter, err);
	if (rc == VP_OK && status)
		rc = vp_aws_xml_text(status, "code", false, &p->status_code, err);
	if (rc == VP_OK && status)
		rc = vp_aws_xml_text(status, "message", false, &p->status_message, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "expirationTime", false, &p->expiration_time, err);
	if (rc == VP_OK)
		rc = vp_aws_ec2_parse_tags(item, &p->tags, err);
	return rc;
}

vp_code vp_aws_ec2_parse_peerings(const char *body, size_t len,
				  struct vp_aws_ec2_peering_list **list, char **next_token,
				  struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_ec2_peering_list, struct vp_aws_ec2_peering,
		   "vpcPeeringConnectionSet", parse_peering, peering_cleanup);
}

vp_code vp_aws_ec2_parse_accept(const char *body, size_t len, struct vp_aws_ec2_peering **out,
				struct vp_error *err)
{
	struct vp_aws_ec2_peering *p = NULL;
	xmlDoc *doc = NULL;
	xmlNode *node = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc == VP_OK) {
		node = vp_aws_xml_child(xmlDocGetRootElement(doc), "vpcPeeringConnection");
		if (!node)
			rc = vp_fail(err, VP_ERR_INVALID, "answer has no <vpcPeeringConnection>");
	}
	if (rc == VP_OK && !(p = calloc(1, sizeof(*p))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = parse_peering(node, p, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		vp_aws_ec2_peering_free(p);
		return rc;
	}
	*out = p;
	return VP_OK;
}

vp_code vp_aws_ec2_parse_return(const char *body, size_t len, bool required, struct vp_error *err)
{
	xmlDoc *doc = NULL;
	bool ok = false;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc == VP_OK) {
		xmlNode *ret = vp_aws_xml_child(xmlDocGetRootElement(doc), "return");
		if (!ret && !required)
			ok = true;
		else if (!ret)
			rc = vp_fail(err, VP_ERR_INVALID, "answer has no <return>");
		else
			rc = vp_aws_xml_bool(xmlDocGetRootElement(doc), "return", false, &ok, err);
		if (rc == VP_OK && !ok)
			rc = vp_fail(err, VP_ERR_AWS, "EC2 answered <return>false</return>");
	}
	xmlFreeDoc(doc);
	return rc;
}

/* --- calls ----------------------------------------------------------------------- */

vp_code vp_aws_ec2_add_query(struct vp_aws_params *p, const char *id_name,
			     const struct vp_aws_ec2_query *q, struct vp_aws_error *err)
{
	if (!q)
		return VP_OK;
	if (q->id_count > VP_AWS_EC2_MAX_QUERY || q->filter_count > VP_AWS_EC2_MAX_QUERY)
		return vp_aws_error_fail(err, VP_ERR_RANGE, "at most %d ids and %d filters",
					 VP_AWS_EC2_MAX_QUERY, VP_AWS_EC2_MAX_QUERY);
	for (size_t i = 0; i < q->id_count; i++)
		vp_aws_params_addf(p, q->ids[i], "%s.%zu", id_name, i + 1);
	for (size_t f = 0; f < q->filter_count; f++) {
		const struct vp_aws_ec2_filter *flt = &q->filters[f];
		if (flt->value_count > VP_AWS_EC2_MAX_QUERY)
			return vp_aws_error_fail(err, VP_ERR_RANGE, "filter %s has too many values",
						 flt->name);
		vp_aws_params_addf(p, flt->name, "Filter.%zu.Name", f + 1);
		for (size_t v = 0; v < flt->value_count; v++)
			vp_aws_params_addf(p, flt->values[v], "Filter.%zu.Value.%zu", f + 1, v + 1);
	}
	return VP_OK;
}

static vp_code parse_vpcs_page(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_ec2_page *pg = ctx;
	return vp_aws_ec2_parse_vpcs(b, n, (struct vp_aws_ec2_vpc_list **)pg->list, &pg->next, e);
}

static vp_code parse_tables_page(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_ec2_page *pg = ctx;
	return vp_aws_ec2_parse_route_tables(b, n, (struct vp_aws_ec2_route_table_list **)pg->list,
					     &pg->next, e);
}

static vp_code parse_peerings_page(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_ec2_page *pg = ctx;
	return vp_aws_ec2_parse_peerings(b, n, (struct vp_aws_ec2_peering_list **)pg->list,
					 &pg->next, e);
}

/* A paged Describe call; *list is built over all pages. */
vp_code vp_aws_ec2_describe_pages(struct vp_aws_client *c, const char *action, const char *id_name,
				  const struct vp_aws_ec2_query *q, vp_aws_body_parser parse,
				  void **list, struct vp_aws_error *err)
{
	char *token = NULL;
	vp_code rc = VP_OK;
	int page;

	for (page = 0; page < VP_AWS_EC2_MAX_PAGES; page++) {
		struct vp_aws_params p;
		struct vp_aws_ec2_page pg = {list, NULL};

		vp_aws_params_init(&p, VP_AWS_EC2, action);
		rc = vp_aws_ec2_add_query(&p, id_name, q, err);
		if (rc == VP_OK && (!q || q->id_count == 0) && vp_aws_client_page_size(c) > 0) {
			char n[16];
			snprintf(n, sizeof(n), "%d", vp_aws_client_page_size(c));
			vp_aws_params_add(&p, "MaxResults", n);
		}
		if (rc == VP_OK && token)
			vp_aws_params_add(&p, "NextToken", token);
		if (rc == VP_OK)
			rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse, &pg, err);
		vp_aws_params_cleanup(&p);
		if (rc != VP_OK)
			break;
		if (pg.next && token && strcmp(pg.next, token) == 0) {
			free(pg.next);
			rc = vp_aws_error_fail(err, VP_ERR_AWS, "ec2 %s: the same nextToken twice",
					       action);
			break;
		}
		free(token);
		token = pg.next;
		if (!token)
			break;
	}
	if (rc == VP_OK && page == VP_AWS_EC2_MAX_PAGES)
		rc = vp_aws_error_fail(err, VP_ERR_RANGE, "ec2 %s: more than %d pages", action,
				       VP_AWS_EC2_MAX_PAGES);
	free(token);
	return rc;
}

vp_code vp_aws_ec2_describe_vpcs(struct vp_aws_client *c, const struct vp_aws_ec2_query *q,
				 struct vp_aws_ec2_vpc_list **out, struct vp_aws_error *err)
{
	struct vp_aws_ec2_vpc_list *l = NULL;
	vp_code rc = vp_aws_ec2_describe_pages(c, "DescribeVpcs", "VpcId", q, parse_vpcs_page,
					       (void **)&l, err);

	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ec2_vpc_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ec2_describe_route_tables(struct vp_aws_client *c, const struct vp_aws_ec2_query *q,
					 struct vp_aws_ec2_route_table_list **out,
					 struct vp_aws_error *err)
{
	struct vp_aws_ec2_route_table_list *l = NULL;
	vp_code rc = vp_aws_ec2_describe_pages(c, "DescribeRouteTables", "RouteTableId", q,
					       parse_tables_page, (void **)&l, err);

	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ec2_route_table_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ec2_describe_vpc_peering_connections(struct vp_aws_client *c,
						    const struct vp_aws_ec2_query *q,
						    struct vp_aws_ec2_peering_list **out,
						    struct vp_aws_error *err)
{
	struct vp_aws_ec2_peering_list *l = NULL;
	vp_code rc = vp_aws_ec2_describe_pages(c, "DescribeVpcPeeringConnections",
					       "VpcPeeringConnectionId", q, parse_peerings_page,
					       (void **)&l, err);

	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_ec2_peering_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

static vp_code parse_return(const char *body, size_t len, void *required, struct vp_error *err)
{
	return vp_aws_ec2_parse_return(body, len, *(const bool *)required, err);
}

vp_code vp_aws_ec2_call_return(struct vp_aws_client *c, const char *action, struct vp_aws_params *p,
			       bool required, struct vp_aws_error *err)
{
	return vp_aws_client_call_parse(c, VP_AWS_EC2, action, p, parse_return, &required, err);
}

static const char *target_of_route(const struct vp_aws_ec2_route *r, int which)
{
	switch (which) {
	case 0:
		return r->vpc_peering_connection_id;
	case 1:
		return r->gateway_id;
	case 2:
		return r->transit_gateway_id;
	case 3:
		return r->nat_gateway_id;
	default:
		return r->network_interface_id;
	}
}

static const char *target_of(const struct vp_aws_ec2_route_target *t, int which)
{
	switch (which) {
	case 0:
		return t->vpc_peering_connection_id;
	case 1:
		return t->gateway_id;
	case 2:
		return t->transit_gateway_id;
	case 3:
		return t->nat_gateway_id;
	default:
		return t->network_interface_id;
	}
}

static const char *const target_params[] = {"VpcPeeringConnectionId", "GatewayId",
					    "TransitGatewayId", "NatGatewayId",
					    "NetworkInterfaceId"};

static vp_code route_call(struct vp_aws_client *c, const char *action, const char *rtb,
			  const char *cidr, const struct vp_aws_ec2_route_target *t, int *which,
			  struct vp_aws_error *err)
{
	struct vp_aws_params p;
	int count = 0;
	vp_code rc;

	if (!rtb || !cidr)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a route table id and a destination are needed",
					 action);
	for (int i = 0; t && i < 5; i++)
		if (target_of(t, i)) {
			count++;
			*which = i;
		}
	if (count != 1)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: exactly one route target is needed", action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "RouteTableId", rtb);
	vp_aws_params_add(&p, "DestinationCidrBlock", cidr);
	vp_aws_params_add(&p, target_params[*which], target_of(t, *which));
	rc = vp_aws_ec2_call_return(c, action, &p, strcmp(action, "CreateRoute") == 0, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_ec2_create_route(struct vp_aws_client *c, const char *rtb, const char *cidr,
				const struct vp_aws_ec2_route_target *t, struct vp_aws_error *err)
{
	struct vp_aws_ec2_route_table_list *tables = NULL;
	struct vp_aws_error derr;
	const struct vp_aws_ec2_route *found = NULL;
	const char *ids[1] = {rtb};
	struct vp_aws_ec2_query q = {.ids = ids, .id_count = 1};
	struct vp_aws_error local;
	int which = 0, attempts;
	vp_code rc;

	if (!err)
		err = &local;
	rc = route_call(c, "CreateRoute", rtb, cidr, t, &which, err);
	if (rc == VP_OK || strcmp(err->code, "RouteAlreadyExists") != 0)
		return rc;
	/* It may be our own earlier attempt: the same target counts as done. */
	attempts = err->attempts;
	vp_aws_error_clear(&derr);
	if (vp_aws_ec2_describe_route_tables(c, &q, &tables, &derr) != VP_OK) {
		vp_error_prefix(&err->error, "(checking the existing route failed: %s) ",
				derr.error.message);
		return rc;
	}
	for (size_t i = 0; tables && i < tables->count && !found; i++)
		for (size_t r = 0; r < tables->items[i].route_count && !found; r++)
			if (tables->items[i].routes[r].destination_cidr_block &&
			    strcmp(tables->items[i].routes[r].destination_cidr_block, cidr) == 0)
				found = &tables->items[i].routes[r];
	if (found && target_of_route(found, which) &&
	    strcmp(target_of_route(found, which), target_of(t, which)) == 0 &&
	    (!found->state || strcmp(found->state, "blackhole") != 0)) {
		vp_aws_error_clear(err);
		err->attempts = attempts;
		rc = VP_OK;
	} else if (!found) {
		/* EC2 is eventually consistent: a route just made (our earlier try's) may not
		 * show yet. Retryable: the caller tries CreateRoute again. */
		vp_fail(&err->error, VP_ERR_UNAVAILABLE,
			"ec2 CreateRoute: %s in %s already exists but DescribeRouteTables does not "
			"show it yet",
			cidr, rtb);
		rc = VP_ERR_UNAVAILABLE;
	} else if (found->state && strcmp(found->state, "blackhole") == 0) {
		vp_fail(&err->error, VP_ERR_CONFLICT,
			"ec2 CreateRoute: %s in %s already exists as a blackhole route; replace it",
			cidr, rtb);
		rc = VP_ERR_CONFLICT;
	} else {
		vp_fail(&err->error, VP_ERR_CONFLICT,
			"ec2 CreateRoute: %s in %s already exists with another target", cidr, rtb);
		rc = VP_ERR_CONFLICT;
	}
	vp_aws_ec2_route_table_list_free(tables);
	return rc;
}

vp_code vp_aws_ec2_replace_route(struct vp_aws_client *c, const char *rtb, const char *cidr,
				 const struct vp_aws_ec2_route_target *t, struct vp_aws_error *err)
{
	int which = 0;
	return route_call(c, "ReplaceRoute", rtb, cidr, t, &which, err);
}

vp_code vp_aws_ec2_delete_route(struct vp_aws_client *c, const char *rtb, const char *cidr,
				struct vp_aws_error *err)
{
	struct vp_aws_params p;
	struct vp_aws_error local;
	vp_code rc;

	if (!err)
		err = &local;
	if (!rtb || !cidr)
		return vp_aws_error_fail(
			err, VP_ERR_INVALID,
			"ec2 DeleteRoute: a route table id and a destination are needed");
	vp_aws_params_init(&p, VP_AWS_EC2, "DeleteRoute");
	vp_aws_params_add(&p, "RouteTableId", rtb);
	vp_aws_params_add(&p, "DestinationCidrBlock", cidr);
	rc = vp_aws_ec2_call_return(c, "DeleteRoute", &p, false, err);
	vp_aws_params_cleanup(&p);
	if (rc != VP_OK && strcmp(err->code, "InvalidRoute.NotFound") == 0) {
		int attempts = err->attempts;
		vp_aws_error_clear(err); /* already gone: done */
		err->attempts = attempts;
		rc = VP_OK;
	}
	return rc;
}
