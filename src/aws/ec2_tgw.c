/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2 transit gateways (ec2_tgw.h). Shapes from the EC2 API reference:
 * TransitGateway, TransitGatewayVpcAttachment, TransitGatewayAssociation,
 * TransitGatewayRoute (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/).
 * Each call names its action in its errors.
 */
#include "aws/ec2_tgw.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/ec2_internal.h"
#include "aws/xml.h"

/* --- fields -------------------------------------------------------------------- */

/* A string member of a result and the element it is read from. */
struct text_field {
	const char *name;
	bool required;
	size_t offset;
};

#define TGW(m, n, r)                                                                               \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_tgw, m)                                               \
	}
#define ATT(m, n, r)                                                                               \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_tgw_attachment, m)                                    \
	}
#define ASSOC(m, n, r)                                                                             \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_tgw_association, m)                                   \
	}
#define ROUTE(m, n, r)                                                                             \
	{                                                                                          \
		n, r, offsetof(struct vp_aws_tgw_route, m)                                         \
	}
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct text_field tgw_fields[] = {
	TGW(transit_gateway_id, "transitGatewayId", true),
	TGW(owner_id, "ownerId", false),
	TGW(state, "state", false),
};
/* Under <options>. */
static const struct text_field tgw_option_fields[] = {
	TGW(association_default_route_table_id, "associationDefaultRouteTableId", false),
	TGW(propagation_default_route_table_id, "propagationDefaultRouteTableId", false),
};
static const struct text_field attachment_fields[] = {
	ATT(attachment_id, "transitGatewayAttachmentId", true),
	ATT(transit_gateway_id, "transitGatewayId", false),
	ATT(vpc_id, "vpcId", false),
	ATT(vpc_owner_id, "vpcOwnerId", false),
	ATT(state, "state", false),
};
static const struct text_field association_fields[] = {
	ASSOC(route_table_id, "transitGatewayRouteTableId", false),
	ASSOC(attachment_id, "transitGatewayAttachmentId", true),
	ASSOC(resource_id, "resourceId", false),
	ASSOC(resource_type, "resourceType", false),
	ASSOC(state, "state", false),
};
static const struct text_field route_fields[] = {
	ROUTE(destination_cidr_block, "destinationCidrBlock", false),
	ROUTE(prefix_list_id, "prefixListId", false),
	ROUTE(state, "state", false),
	ROUTE(type, "type", false),
};
/* Under the first <transitGatewayAttachments><item>. */
static const struct text_field route_attachment_fields[] = {
	ROUTE(attachment_id, "transitGatewayAttachmentId", false),
	ROUTE(resource_id, "resourceId", false),
};

static char **member(void *obj, size_t offset)
{
	return (char **)(void *)((char *)obj + offset);
}

static void free_texts(void *obj, const struct text_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(*member(obj, f[i].offset));
}

/* Each field's element under `parent` (which may be NULL: all absent). */
static vp_code parse_texts(const xmlNode *parent, const struct text_field *f, size_t n, void *obj,
			   struct vp_error *err)
{
	vp_code rc = VP_OK;

	for (size_t i = 0; rc == VP_OK && i < n; i++)
		rc = vp_aws_xml_text(parent, f[i].name, f[i].required, member(obj, f[i].offset),
				     err);
	return rc;
}

/* --- freeing ------------------------------------------------------------------ */

/* `count` items of `size` bytes, each cleaned up, and the array. */
static void free_items(void *items, size_t count, size_t size, void (*cleanup)(void *))
{
	for (size_t i = 0; i < count; i++)
		cleanup((char *)items + i * size);
	free(items);
}

static void tgw_cleanup(void *obj)
{
	struct vp_aws_tgw *t = obj;

	free_texts(t, tgw_fields, COUNT(tgw_fields));
	free_texts(t, tgw_option_fields, COUNT(tgw_option_fields));
	vp_aws_ec2_tags_cleanup(&t->tags);
}

static void attachment_cleanup(void *obj)
{
	struct vp_aws_tgw_attachment *a = obj;

	free_texts(a, attachment_fields, COUNT(attachment_fields));
	for (size_t i = 0; i < a->subnet_count; i++)
		free(a->subnet_ids[i]);
	free(a->subnet_ids);
	vp_aws_ec2_tags_cleanup(&a->tags);
}

static void route_cleanup(void *obj)
{
	free_texts(obj, route_fields, COUNT(route_fields));
	free_texts(obj, route_attachment_fields, COUNT(route_attachment_fields));
}

void vp_aws_tgw_list_free(struct vp_aws_tgw_list *l)
{
	if (l)
		free_items(l->items, l->count, sizeof(*l->items), tgw_cleanup);
	free(l);
}

void vp_aws_tgw_attachment_free(struct vp_aws_tgw_attachment *a)
{
	if (a)
		attachment_cleanup(a);
	free(a);
}

void vp_aws_tgw_attachment_list_free(struct vp_aws_tgw_attachment_list *l)
{
	if (l)
		free_items(l->items, l->count, sizeof(*l->items), attachment_cleanup);
	free(l);
}

void vp_aws_tgw_association_free(struct vp_aws_tgw_association *a)
{
	if (a)
		free_texts(a, association_fields, COUNT(association_fields));
	free(a);
}

void vp_aws_tgw_route_free(struct vp_aws_tgw_route *r)
{
	if (r)
		route_cleanup(r);
	free(r);
}

void vp_aws_tgw_route_list_free(struct vp_aws_tgw_route_list *l)
{
	if (l)
		free_items(l->items, l->count, sizeof(*l->items), route_cleanup);
	free(l);
}

/* --- parsing -------------------------------------------------------------------- */

/* options/<name> is "enable" or "disable"; absent: false. */
static vp_code parse_enable(const xmlNode *options, const char *name, bool *out,
			    struct vp_error *err)
{
	char *v = NULL;
	vp_code rc = vp_aws_xml_text(options, name, false, &v, err);

	if (rc != VP_OK)
		return rc;
	*out = v && strcmp(v, "enable") == 0;
	free(v);
	return VP_OK;
}

static vp_code parse_tgw(const xmlNode *item, void *obj, struct vp_error *err)
{
	struct vp_aws_tgw *t = obj;
	const xmlNode *opt = vp_aws_xml_child(item, "options");
	vp_code rc = parse_texts(item, tgw_fields, COUNT(tgw_fields), t, err);

	if (rc == VP_OK)
		rc = parse_texts(opt, tgw_option_fields, COUNT(tgw_option_fields), t, err);
	if (rc == VP_OK)
		rc = parse_enable(opt, "autoAcceptSharedAttachments",
				  &t->auto_accept_shared_attachments, err);
	if (rc == VP_OK)
		rc = parse_enable(opt, "defaultRouteTableAssociation",
				  &t->default_route_table_association, err);
	if (rc == VP_OK)
		rc = vp_aws_ec2_parse_tags(item, &t->tags, err);
	return rc;
}

static vp_code parse_attachment(const xmlNode *item, void *obj, struct vp_error *err)
{
	struct vp_aws_tgw_attachment *a = obj;
	vp_code rc = parse_texts(item, attachment_fields, COUNT(attachment_fields), a, err);

	FOR_ITEMS(sub, vp_aws_xml_child(item, "subnetIds"))
	{
		char **slot;
		xmlChar *text;
		if (rc != VP_OK)
			break;
		slot = vp_aws_ec2_grow((void **)&a->subnet_ids, &a->subnet_count, sizeof(*slot),
				       err);
		if (!slot)
			return err ? err->code : VP_ERR_NOMEM;
		text = xmlNodeGetContent(sub);
		*slot = text ? strdup((const char *)text) : NULL;
		xmlFree(text);
		if (!*slot)
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	}
	if (rc == VP_OK)
		rc = vp_aws_ec2_parse_tags(item, &a->tags, err);
	return rc;
}

static vp_code parse_association(const xmlNode *item, void *obj, struct vp_error *err)
{
	return parse_texts(item, association_fields, COUNT(association_fields), obj, err);
}

static vp_code parse_route(const xmlNode *item, void *obj, struct vp_error *err)
{
	struct vp_aws_tgw_route *r = obj;
	const xmlNode *att =
		vp_aws_xml_child(vp_aws_xml_child(item, "transitGatewayAttachments"), "item");
	vp_code rc = parse_texts(item, route_fields, COUNT(route_fields), r, err);

	if (rc == VP_OK)
		rc = parse_texts(att, route_attachment_fields, COUNT(route_attachment_fields), r,
				 err);
	if (rc == VP_OK && !r->destination_cidr_block && !r->prefix_list_id)
		rc = vp_fail(
			err, VP_ERR_INVALID,
			"answer has a route with neither destinationCidrBlock nor prefixListId");
	return rc;
}

vp_code vp_aws_ec2_parse_transit_gateways(const char *body, size_t len,
					  struct vp_aws_tgw_list **list, char **next_token,
					  struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_tgw_list, struct vp_aws_tgw, "transitGatewaySet", parse_tgw,
		   tgw_cleanup);
}

vp_code vp_aws_ec2_parse_tgw_attachments(const char *body, size_t len,
					 struct vp_aws_tgw_attachment_list **list,
					 char **next_token, struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_tgw_attachment_list, struct vp_aws_tgw_attachment,
		   "transitGatewayVpcAttachments", parse_attachment, attachment_cleanup);
}

/* The one element `name` under the root of a single-object answer. */
static vp_code parse_single(const char *body, size_t len, const char *name, size_t size,
			    vp_code (*parse_one)(const xmlNode *, void *, struct vp_error *),
			    void (*cleanup)(void *), void **out, struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *item;
	void *obj = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	item = vp_aws_xml_child(xmlDocGetRootElement(doc), name);
	if (!item)
		rc = vp_fail(err, VP_ERR_INVALID, "answer has no <%s>", name);
	else if (!(obj = calloc(1, size)))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = parse_one(item, obj, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		if (obj)
			cleanup(obj); /* the members; the object below */
		free(obj);
		return rc;
	}
	*out = obj;
	return VP_OK;
}

static void association_cleanup(void *obj)
{
	free_texts(obj, association_fields, COUNT(association_fields));
}

vp_code vp_aws_ec2_parse_tgw_attachment(const char *body, size_t len,
					struct vp_aws_tgw_attachment **out, struct vp_error *err)
{
	return parse_single(body, len, "transitGatewayVpcAttachment", sizeof(**out),
			    parse_attachment, attachment_cleanup, (void **)out, err);
}

vp_code vp_aws_ec2_parse_tgw_association(const char *body, size_t len,
					 struct vp_aws_tgw_association **out, struct vp_error *err)
{
	return parse_single(body, len, "association", sizeof(**out), parse_association,
			    association_cleanup, (void **)out, err);
}

vp_code vp_aws_ec2_parse_tgw_associations(const char *body, size_t len,
					  struct vp_aws_tgw_association_list **list,
					  char **next_token, struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_tgw_association_list, struct vp_aws_tgw_association,
		   "associations", parse_association, association_cleanup);
}

void vp_aws_tgw_association_list_free(struct vp_aws_tgw_association_list *l)
{
	if (l)
		free_items(l->items, l->count, sizeof(*l->items), association_cleanup);
	free(l);
}

/* API_TransitGatewayPropagation: the association's members under <propagation>. */
vp_code vp_aws_ec2_parse_tgw_propagation(const char *body, size_t len,
					 struct vp_aws_tgw_association **out, struct vp_error *err)
{
	return parse_single(body, len, "propagation", sizeof(**out), parse_association,
			    association_cleanup, (void **)out, err);
}

vp_code vp_aws_ec2_parse_tgw_route(const char *body, size_t len, struct vp_aws_tgw_route **out,
				   struct vp_error *err)
{
	return parse_single(body, len, "route", sizeof(**out), parse_route, route_cleanup,
			    (void **)out, err);
}

static vp_code parse_route_set(const char *body, size_t len, struct vp_aws_tgw_route_list **list,
			       char **next_token, struct vp_error *err)
{
	PARSE_PAGE(struct vp_aws_tgw_route_list, struct vp_aws_tgw_route, "routeSet", parse_route,
		   route_cleanup);
}

vp_code vp_aws_ec2_parse_tgw_routes(const char *body, size_t len,
				    struct vp_aws_tgw_route_list **out, struct vp_error *err)
{
	struct vp_aws_tgw_route_list *l = NULL;
	xmlDoc *doc = NULL;
	bool more = false;
	vp_code rc = parse_route_set(body, len, &l, NULL, err);

	if (rc == VP_OK)
		rc = vp_aws_xml_parse(body, len, &doc, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_bool(xmlDocGetRootElement(doc), "additionalRoutesAvailable", false,
				     &more, err);
	xmlFreeDoc(doc);
	if (rc == VP_OK && l->count > VP_AWS_TGW_SEARCH_MAX)
		rc = vp_fail(err, VP_ERR_RANGE, "answer has more than %d routes",
			     VP_AWS_TGW_SEARCH_MAX);
	if (rc != VP_OK) {
		vp_aws_tgw_route_list_free(l);
		return rc;
	}
	/* "additionalRoutesAvailable": "Indicates whether there are additional routes available."
	 */
	l->truncated = more || l->count == VP_AWS_TGW_SEARCH_MAX;
	*out = l;
	return VP_OK;
}

/* --- calls ---------------------------------------------------------------------- */

static vp_code tgws_page(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_ec2_page *pg = ctx;
	return vp_aws_ec2_parse_transit_gateways(b, n, (struct vp_aws_tgw_list **)pg->list,
						 &pg->next, e);
}

static vp_code attachments_page(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_ec2_page *pg = ctx;
	return vp_aws_ec2_parse_tgw_attachments(
		b, n, (struct vp_aws_tgw_attachment_list **)pg->list, &pg->next, e);
}

vp_code vp_aws_ec2_describe_transit_gateways(struct vp_aws_client *c,
					     const struct vp_aws_ec2_query *q,
					     struct vp_aws_tgw_list **out, struct vp_aws_error *err)
{
	struct vp_aws_tgw_list *l = NULL;
	vp_code rc = vp_aws_ec2_describe_pages(c, "DescribeTransitGateways", "TransitGatewayIds", q,
					       tgws_page, (void **)&l, err);

	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_tgw_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ec2_describe_tgw_vpc_attachments(struct vp_aws_client *c,
						const struct vp_aws_ec2_query *q,
						struct vp_aws_tgw_attachment_list **out,
						struct vp_aws_error *err)
{
	struct vp_aws_tgw_attachment_list *l = NULL;
	vp_code rc = vp_aws_ec2_describe_pages(c, "DescribeTransitGatewayVpcAttachments",
					       "TransitGatewayAttachmentIds", q, attachments_page,
					       (void **)&l, err);

	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_tgw_attachment_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

static vp_code attachment_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_tgw_attachment *a = NULL;
	vp_code rc = vp_aws_ec2_parse_tgw_attachment(b, n, &a, e);

	if (rc == VP_OK && ctx)
		*(struct vp_aws_tgw_attachment **)ctx = a;
	else
		vp_aws_tgw_attachment_free(a);
	return rc;
}

static bool has_prefix(const char *id, const char *prefix)
{
	return id && strncmp(id, prefix, strlen(prefix)) == 0 && id[strlen(prefix)] != '\0';
}

vp_code vp_aws_ec2_create_tgw_vpc_attachment(struct vp_aws_client *c,
					     const struct vp_aws_tgw_attachment_request *req,
					     struct vp_aws_tgw_attachment **out,
					     struct vp_aws_error *err)
{
	static const char action[] = "CreateTransitGatewayVpcAttachment";
	struct vp_aws_params p;
	vp_code rc = VP_OK;

	if (!req || !has_prefix(req->transit_gateway_id, "tgw-") ||
	    !has_prefix(req->vpc_id, "vpc-"))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a transit gateway id (tgw-...) and a VPC id "
					 "(vpc-...) are needed",
					 action);
	if (req->subnet_count == 0 || req->subnet_count > VP_AWS_TGW_MAX_SUBNETS)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: %zu subnets: give 1 to %d, one per "
					 "Availability Zone",
					 action, req->subnet_count, VP_AWS_TGW_MAX_SUBNETS);
	for (size_t i = 0; i < req->subnet_count; i++)
		if (!has_prefix(req->subnet_ids[i], "subnet-"))
			return vp_aws_error_fail(err, VP_ERR_INVALID,
						 "ec2 %s: subnet %zu \"%s\" is not a subnet id "
						 "(subnet-...)",
						 action, i + 1,
						 req->subnet_ids[i] ? req->subnet_ids[i] : "");
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "TransitGatewayId", req->transit_gateway_id);
	vp_aws_params_add(&p, "VpcId", req->vpc_id);
	for (size_t i = 0; i < req->subnet_count; i++)
		vp_aws_params_addf(&p, req->subnet_ids[i], "SubnetIds.%zu", i + 1);
	if (req->tag_count > 0) {
		vp_aws_params_add(&p, "TagSpecifications.1.ResourceType",
				  "transit-gateway-attachment");
		rc = vp_aws_ec2_add_tags(&p, action, "TagSpecifications.1.", req->tags,
					 req->tag_count, err);
	}
	if (rc == VP_OK)
		rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, attachment_answer, out,
					      err);
	vp_aws_params_cleanup(&p);
	return rc;
}

static vp_code attachment_call(struct vp_aws_client *c, const char *action, const char *id,
			       struct vp_aws_tgw_attachment **out, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!has_prefix(id, "tgw-attach-"))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: \"%s\" is not a transit gateway attachment id "
					 "(tgw-attach-...)",
					 action, id ? id : "");
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "TransitGatewayAttachmentId", id);
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, attachment_answer, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_ec2_accept_tgw_vpc_attachment(struct vp_aws_client *c, const char *id,
					     struct vp_aws_tgw_attachment **out,
					     struct vp_aws_error *err)
{
	return attachment_call(c, "AcceptTransitGatewayVpcAttachment", id, out, err);
}

vp_code vp_aws_ec2_reject_tgw_vpc_attachment(struct vp_aws_client *c, const char *id,
					     struct vp_aws_tgw_attachment **out,
					     struct vp_aws_error *err)
{
	return attachment_call(c, "RejectTransitGatewayVpcAttachment", id, out, err);
}

vp_code vp_aws_ec2_delete_tgw_vpc_attachment(struct vp_aws_client *c, const char *id,
					     struct vp_aws_tgw_attachment **out,
					     struct vp_aws_error *err)
{
	return attachment_call(c, "DeleteTransitGatewayVpcAttachment", id, out, err);
}

static vp_code association_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_tgw_association *a = NULL;
	vp_code rc = vp_aws_ec2_parse_tgw_association(b, n, &a, e);

	if (rc == VP_OK && ctx)
		*(struct vp_aws_tgw_association **)ctx = a;
	else
		vp_aws_tgw_association_free(a);
	return rc;
}

static vp_code propagation_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_tgw_association *a = NULL;
	vp_code rc = vp_aws_ec2_parse_tgw_propagation(b, n, &a, e);

	if (rc == VP_OK && ctx)
		*(struct vp_aws_tgw_association **)ctx = a;
	else
		vp_aws_tgw_association_free(a);
	return rc;
}

static vp_code association_call(struct vp_aws_client *c, const char *action, const char *rtb,
				const char *id, struct vp_aws_tgw_association **out,
				struct vp_aws_error *err)
{
	bool propagation = strstr(action, "Propagation") != NULL;
	struct vp_aws_params p;
	vp_code rc;

	if (!has_prefix(rtb, "tgw-rtb-") || !has_prefix(id, "tgw-attach-"))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a transit gateway route table id (tgw-rtb-...) "
					 "and an attachment id (tgw-attach-...) are needed",
					 action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "TransitGatewayRouteTableId", rtb);
	vp_aws_params_add(&p, "TransitGatewayAttachmentId", id);
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p,
				      propagation ? propagation_answer : association_answer, out,
				      err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_ec2_associate_tgw_route_table(struct vp_aws_client *c, const char *rtb,
					     const char *id, struct vp_aws_tgw_association **out,
					     struct vp_aws_error *err)
{
	return association_call(c, "AssociateTransitGatewayRouteTable", rtb, id, out, err);
}

vp_code vp_aws_ec2_disassociate_tgw_route_table(struct vp_aws_client *c, const char *rtb,
						const char *id, struct vp_aws_tgw_association **out,
						struct vp_aws_error *err)
{
	return association_call(c, "DisassociateTransitGatewayRouteTable", rtb, id, out, err);
}

/* The request of a call on one transit gateway route table: its id checked, then set. */
static vp_code table_params(struct vp_aws_params *p, const char *action, const char *rtb,
			    struct vp_aws_error *err)
{
	if (!has_prefix(rtb, "tgw-rtb-"))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a transit gateway route table id (tgw-rtb-...) "
					 "is needed",
					 action);
	vp_aws_params_init(p, VP_AWS_EC2, action);
	vp_aws_params_add(p, "TransitGatewayRouteTableId", rtb);
	return VP_OK;
}

struct associations_page {
	struct vp_aws_tgw_association_list *list;
	char *next;
};

static vp_code associations_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct associations_page *pg = ctx;
	return vp_aws_ec2_parse_tgw_associations(b, n, &pg->list, &pg->next, e);
}

vp_code vp_aws_ec2_get_tgw_table_associations(struct vp_aws_client *c, const char *rtb,
					      struct vp_aws_tgw_association_list **out, bool *more,
					      struct vp_aws_error *err)
{
	static const char action[] = "GetTransitGatewayRouteTableAssociations";
	struct associations_page pg = {NULL, NULL};
	struct vp_aws_params p;
	vp_code rc = table_params(&p, action, rtb, err);

	if (rc != VP_OK)
		return rc;
	vp_aws_params_add(&p, "MaxResults", "5");
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, associations_answer, &pg, err);
	vp_aws_params_cleanup(&p);
	if (rc == VP_OK && !pg.list && !(pg.list = calloc(1, sizeof(*pg.list))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_tgw_association_list_free(pg.list);
		free(pg.next);
		return rc;
	}
	*more = pg.next != NULL;
	free(pg.next);
	*out = pg.list;
	return VP_OK;
}

vp_code vp_aws_ec2_enable_tgw_propagation(struct vp_aws_client *c, const char *rtb, const char *id,
					  struct vp_aws_tgw_association **out,
					  struct vp_aws_error *err)
{
	return association_call(c, "EnableTransitGatewayRouteTablePropagation", rtb, id, out, err);
}

vp_code vp_aws_ec2_disable_tgw_propagation(struct vp_aws_client *c, const char *rtb, const char *id,
					   struct vp_aws_tgw_association **out,
					   struct vp_aws_error *err)
{
	return association_call(c, "DisableTransitGatewayRouteTablePropagation", rtb, id, out, err);
}

static vp_code route_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	struct vp_aws_tgw_route *r = NULL;
	vp_code rc = vp_aws_ec2_parse_tgw_route(b, n, &r, e);

	if (rc == VP_OK && ctx)
		*(struct vp_aws_tgw_route **)ctx = r;
	else
		vp_aws_tgw_route_free(r);
	return rc;
}

/* Create (attachment_id or blackhole) or Delete one static route. */
static vp_code route_call(struct vp_aws_client *c, const char *action, const char *rtb,
			  const char *cidr, bool create, const char *id,
			  struct vp_aws_tgw_route **out, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!has_prefix(rtb, "tgw-rtb-") || !cidr || !cidr[0])
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a transit gateway route table id (tgw-rtb-...) "
					 "and a destination CIDR are needed",
					 action);
	if (id && !has_prefix(id, "tgw-attach-"))
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: \"%s\" is not a transit gateway attachment id "
					 "(tgw-attach-...)",
					 action, id);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "TransitGatewayRouteTableId", rtb);
	vp_aws_params_add(&p, "DestinationCidrBlock", cidr);
	if (create && id)
		vp_aws_params_add(&p, "TransitGatewayAttachmentId", id);
	else if (create)
		vp_aws_params_add(&p, "Blackhole", "true");
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, route_answer, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

vp_code vp_aws_ec2_create_tgw_route(struct vp_aws_client *c, const char *rtb, const char *cidr,
				    const char *id, struct vp_aws_tgw_route **out,
				    struct vp_aws_error *err)
{
	return route_call(c, "CreateTransitGatewayRoute", rtb, cidr, true, id, out, err);
}

vp_code vp_aws_ec2_delete_tgw_route(struct vp_aws_client *c, const char *rtb, const char *cidr,
				    struct vp_aws_tgw_route **out, struct vp_aws_error *err)
{
	return route_call(c, "DeleteTransitGatewayRoute", rtb, cidr, false, NULL, out, err);
}

static vp_code routes_answer(const char *b, size_t n, void *ctx, struct vp_error *e)
{
	return vp_aws_ec2_parse_tgw_routes(b, n, ctx, e);
}

vp_code vp_aws_ec2_search_tgw_routes(struct vp_aws_client *c, const char *rtb,
				     const struct vp_aws_ec2_filter *filters, size_t filter_count,
				     struct vp_aws_tgw_route_list **out, struct vp_aws_error *err)
{
	static const char action[] = "SearchTransitGatewayRoutes";
	struct vp_aws_ec2_query q = {NULL, 0, filters, filter_count};
	struct vp_aws_params p;
	char max[16];
	vp_code rc;

	/* "Filter.N: One or more filters" is Required: Yes (EC2 API reference). */
	if (filter_count == 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: at least one filter is needed (type, state, "
					 "route-search.exact-match, ...)",
					 action);
	if ((rc = table_params(&p, action, rtb, err)) != VP_OK)
		return rc;
	snprintf(max, sizeof(max), "%d", VP_AWS_TGW_SEARCH_MAX);
	vp_aws_params_add(&p, "MaxResults", max);
	rc = vp_aws_ec2_add_query(&p, "", &q, err);
	if (rc == VP_OK)
		rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, routes_answer, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}
