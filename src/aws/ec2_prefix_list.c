/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2 managed prefix lists and the accepter's peering options
 * (ec2_prefix_list.h). Each call names its action in its errors.
 */
#include "aws/ec2_prefix_list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/ec2_internal.h"
#include "aws/xml.h"

/* GetManagedPrefixListEntries: MaxResults 5..100; 1000 entries fit in 10 pages. */
#define PL_PAGE      "100"
#define PL_MAX_PAGES 64

void vp_aws_prefix_list_free(struct vp_aws_prefix_list *l)
{
	if (!l)
		return;
	free(l->prefix_list_id);
	free(l->state);
	free(l->owner_id);
	free(l);
}

void vp_aws_prefix_entries_free(struct vp_aws_prefix_entries *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->count; i++) {
		free(e->items[i].cidr);
		free(e->items[i].description);
	}
	free(e->items);
	free(e);
}

vp_code vp_aws_ec2_parse_prefix_list(const char *body, size_t len, struct vp_aws_prefix_list **out,
				     struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *item;
	struct vp_aws_prefix_list *l = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	item = vp_aws_xml_path(xmlDocGetRootElement(doc), "prefixListSet/item");
	if (!item)
		item = vp_aws_xml_child(xmlDocGetRootElement(doc), "prefixList");
	if (!item)
		rc = vp_fail(err, VP_ERR_NOT_FOUND, "answer has no prefix list");
	else if (!(l = calloc(1, sizeof(*l))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "prefixListId", true, &l->prefix_list_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "state", false, &l->state, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_text(item, "ownerId", false, &l->owner_id, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_int(item, "version", 0, INT64_MAX, 0, &l->version, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_int(item, "maxEntries", 0, INT32_MAX, 0, &l->max_entries, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		vp_aws_prefix_list_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ec2_parse_prefix_entries(const char *body, size_t len,
					struct vp_aws_prefix_entries **list, char **next_token,
					struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	struct vp_aws_prefix_entries *l = *list;
	char *next = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!l && !(l = calloc(1, sizeof(*l))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	for (xmlNode *it = vp_aws_xml_child(vp_aws_xml_child(root, "entrySet"), "item");
	     rc == VP_OK && it; it = vp_aws_xml_next(it, "item")) {
		struct vp_aws_prefix_entry *grown;
		if (l->count >= VP_AWS_PL_MAX_ENTRIES) {
			rc = vp_fail(err, VP_ERR_RANGE, "answer has more than %d entries",
				     VP_AWS_PL_MAX_ENTRIES);
			break;
		}
		if (!(grown = realloc(l->items, (l->count + 1) * sizeof(*grown)))) {
			rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
			break;
		}
		l->items = grown;
		memset(&grown[l->count], 0, sizeof(*grown));
		rc = vp_aws_xml_text(it, "cidr", true, &grown[l->count].cidr, err);
		if (rc == VP_OK)
			rc = vp_aws_xml_text(it, "description", false, &grown[l->count].description,
					     err);
		l->count++; /* freed with the list even when half filled */
	}
	if (rc == VP_OK && next_token)
		rc = vp_aws_xml_text(root, "nextToken", false, &next, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK && !*list)
		vp_aws_prefix_entries_free(l);
	else
		*list = l;
	if (rc == VP_OK && next_token)
		*next_token = next;
	else
		free(next);
	return rc;
}

static vp_code parse_list_answer(const char *body, size_t len, void *ctx, struct vp_error *err)
{
	return vp_aws_ec2_parse_prefix_list(body, len, ctx, err);
}

vp_code vp_aws_ec2_describe_prefix_list(struct vp_aws_client *c, const char *id,
					struct vp_aws_prefix_list **out, struct vp_aws_error *err)
{
	static const char action[] = "DescribeManagedPrefixLists";
	struct vp_aws_params p;
	vp_code rc;

	if (!id || strncmp(id, "pl-", 3) != 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID, "ec2 %s: a prefix list id is needed",
					 action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "PrefixListId.1", id);
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse_list_answer, out, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

struct entries_page {
	struct vp_aws_prefix_entries **list;
	char *next;
};

static vp_code parse_entries_page(const char *body, size_t len, void *ctx, struct vp_error *err)
{
	struct entries_page *pg = ctx;
	return vp_aws_ec2_parse_prefix_entries(body, len, pg->list, &pg->next, err);
}

vp_code vp_aws_ec2_get_prefix_list_entries(struct vp_aws_client *c, const char *id, int64_t version,
					   struct vp_aws_prefix_entries **out,
					   struct vp_aws_error *err)
{
	static const char action[] = "GetManagedPrefixListEntries";
	struct vp_aws_prefix_entries *l = NULL;
	char *token = NULL;
	char ver[24];
	vp_code rc = VP_OK;
	int pages = 0;

	snprintf(ver, sizeof(ver), "%lld", (long long)version);
	do {
		struct vp_aws_params p;
		struct entries_page pg = {&l, NULL};

		if (++pages > PL_MAX_PAGES) {
			rc = vp_aws_error_fail(err, VP_ERR_RANGE, "ec2 %s: more than %d pages",
					       action, PL_MAX_PAGES);
			break;
		}
		vp_aws_params_init(&p, VP_AWS_EC2, action);
		vp_aws_params_add(&p, "PrefixListId", id);
		if (version > 0)
			vp_aws_params_add(&p, "TargetVersion", ver);
		vp_aws_params_add(&p, "MaxResults", PL_PAGE);
		if (token)
			vp_aws_params_add(&p, "NextToken", token);
		rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse_entries_page, &pg,
					      err);
		vp_aws_params_cleanup(&p);
		free(token);
		token = pg.next;
	} while (rc == VP_OK && token);
	free(token);
	if (rc == VP_OK && !l && !(l = calloc(1, sizeof(*l))))
		rc = vp_aws_error_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc != VP_OK) {
		vp_aws_prefix_entries_free(l);
		return rc;
	}
	*out = l;
	return VP_OK;
}

vp_code vp_aws_ec2_modify_prefix_list(struct vp_aws_client *c,
				      const struct vp_aws_prefix_change *ch,
				      struct vp_aws_error *err)
{
	static const char action[] = "ModifyManagedPrefixList";
	struct vp_aws_params p;
	char ver[24];
	vp_code rc;

	if (!ch || !ch->id || ch->add_count > VP_AWS_PL_MAX_CHANGES ||
	    ch->remove_count > VP_AWS_PL_MAX_CHANGES || ch->add_count + ch->remove_count == 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a list id and 1 to %d adds and removes each",
					 action, VP_AWS_PL_MAX_CHANGES);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "PrefixListId", ch->id);
	snprintf(ver, sizeof(ver), "%lld", (long long)ch->current_version);
	vp_aws_params_add(&p, "CurrentVersion", ver);
	for (size_t i = 0; i < ch->add_count; i++) {
		vp_aws_params_addf(&p, ch->add[i].cidr, "AddEntry.%zu.Cidr", i + 1);
		if (ch->add[i].description)
			vp_aws_params_addf(&p, ch->add[i].description, "AddEntry.%zu.Description",
					   i + 1);
	}
	for (size_t i = 0; i < ch->remove_count; i++)
		vp_aws_params_addf(&p, ch->remove[i], "RemoveEntry.%zu.Cidr", i + 1);
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, NULL, NULL, err);
	vp_aws_params_cleanup(&p);
	/* EC2 refuses a stale CurrentVersion, and any write while the last one is in progress. */
	if (rc != VP_OK && err &&
	    (strcmp(err->code, "PrefixListVersionMismatch") == 0 ||
	     strcmp(err->code, "IncorrectState") == 0))
		rc = err->error.code = VP_ERR_CONFLICT;
	return rc;
}

vp_code vp_aws_ec2_allow_peering_dns(struct vp_aws_client *c, const char *pcx, bool allow,
				     struct vp_aws_error *err)
{
	static const char action[] = "ModifyVpcPeeringConnectionOptions";
	struct vp_aws_params p;
	vp_code rc;

	if (!pcx || strncmp(pcx, "pcx-", 4) != 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a peering connection id is needed", action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "VpcPeeringConnectionId", pcx);
	vp_aws_params_add(&p, "AccepterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc",
			  allow ? "true" : "false");
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, NULL, NULL, err);
	vp_aws_params_cleanup(&p);
	return rc;
}

struct attribute_answer {
	const char *attribute;
	bool *on;
};

static vp_code parse_attribute(const char *body, size_t len, void *ctx, struct vp_error *err)
{
	struct attribute_answer *a = ctx;
	xmlDoc *doc = NULL;
	xmlNode *node;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	node = vp_aws_xml_child(xmlDocGetRootElement(doc), a->attribute);
	if (!node)
		rc = vp_fail(err, VP_ERR_INVALID, "answer has no <%s>", a->attribute);
	else
		rc = vp_aws_xml_bool(node, "value", false, a->on, err);
	xmlFreeDoc(doc);
	return rc;
}

vp_code vp_aws_ec2_vpc_attribute(struct vp_aws_client *c, const char *vpc, const char *attribute,
				 bool *on, struct vp_aws_error *err)
{
	static const char action[] = "DescribeVpcAttribute";
	struct attribute_answer a = {attribute, on};
	struct vp_aws_params p;
	vp_code rc;

	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "VpcId", vpc);
	vp_aws_params_add(&p, "Attribute", attribute);
	rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse_attribute, &a, err);
	vp_aws_params_cleanup(&p);
	return rc;
}
