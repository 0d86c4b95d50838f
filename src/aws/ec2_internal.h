/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the EC2 calls: what ec2.c (describe, routes) shares with
 * ec2_peering.c (the peering life cycle, tags) and ec2_tgw.c (transit
 * gateways). Not for other modules.
 */
#ifndef VP_AWS_EC2_INTERNAL_H
#define VP_AWS_EC2_INTERNAL_H

#include <stdbool.h>
#include <stdlib.h>

#include <libxml/tree.h>

#include "aws/client.h"
#include "aws/ec2.h"
#include "aws/xml.h"

/* A call whose answer is <return>true</return> (see vp_aws_ec2_parse_return). */
VP_NODISCARD vp_code vp_aws_ec2_call_return(struct vp_aws_client *client, const char *action,
					    struct vp_aws_params *params, bool required,
					    struct vp_aws_error *err);

/* Room for one more element of `size` bytes in *items (zeroed), or NULL (err set). */
void *vp_aws_ec2_grow(void **items, size_t *count, size_t size, struct vp_error *err);
/* The <tagSet> of `parent` appended to *tags; vp_aws_ec2_tags_cleanup frees them. */
VP_NODISCARD vp_code vp_aws_ec2_parse_tags(const xmlNode *parent, struct vp_aws_ec2_tags *tags,
					   struct vp_error *err);
void vp_aws_ec2_tags_cleanup(struct vp_aws_ec2_tags *tags);
/* Parse a page: its root element and nextToken (NULL when absent or empty). */
VP_NODISCARD vp_code vp_aws_ec2_page_root(const char *body, size_t len, xmlDoc **doc,
					  xmlNode **root, char **next_token, struct vp_error *err);
/* <id_name>.N and Filter.N.Name / Filter.N.Value.M from q (NULL: nothing). */
VP_NODISCARD vp_code vp_aws_ec2_add_query(struct vp_aws_params *p, const char *id_name,
					  const struct vp_aws_ec2_query *q,
					  struct vp_aws_error *err);
/* Tag.N.Key / Tag.N.Value under `prefix` ("" or "TagSpecification.1."). */
VP_NODISCARD vp_code vp_aws_ec2_add_tags(struct vp_aws_params *p, const char *action,
					 const char *prefix, const struct vp_aws_ec2_tag *tags,
					 size_t count, struct vp_aws_error *err);

/* One page of a Describe answer: added to *list; *next is its nextToken (NULL on the last). */
struct vp_aws_ec2_page {
	void **list;
	char *next;
};

/* A paged Describe call (VP_AWS_EC2_MAX_PAGES at most); *list is built over all pages. */
VP_NODISCARD vp_code vp_aws_ec2_describe_pages(struct vp_aws_client *client, const char *action,
					       const char *id_name,
					       const struct vp_aws_ec2_query *q,
					       vp_aws_body_parser parse, void **list,
					       struct vp_aws_error *err);

#define FOR_ITEMS(node, set)                                                                       \
	for (xmlNode *node = vp_aws_xml_child(set, "item"); node;                                  \
	     node = vp_aws_xml_next(node, "item"))

/*
 * The common shape of the Describe parsers (ec2.c, ec2_tgw.c): a new list is built from
 * a copy, so a failure leaves the caller's list as it was.
 */
#define PARSE_PAGE(list_type, elem_type, set_name, parse_one, cleanup_one)                         \
	do {                                                                                       \
		list_type *l = *list;                                                              \
		size_t before = l ? l->count : 0;                                                  \
		xmlDoc *doc = NULL;                                                                \
		xmlNode *root;                                                                     \
		char *token = NULL;                                                                \
		vp_code rc;                                                                        \
		bool fresh = false;                                                                \
		rc = vp_aws_ec2_page_root(body, len, &doc, &root, next_token ? &token : NULL,      \
					  err);                                                    \
		if (rc != VP_OK)                                                                   \
			return rc;                                                                 \
		if (!vp_aws_xml_child(root, set_name) && !vp_aws_xml_child(root, "requestId")) {   \
			rc = vp_fail(err, VP_ERR_INVALID, "answer has no <%s>", set_name);         \
		}                                                                                  \
		if (rc == VP_OK && !l) {                                                           \
			l = calloc(1, sizeof(*l));                                                 \
			fresh = true;                                                              \
			if (!l)                                                                    \
				rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");                  \
		}                                                                                  \
		if (rc == VP_OK) {                                                                 \
			FOR_ITEMS(item, vp_aws_xml_child(root, set_name))                          \
			{                                                                          \
				elem_type *e = vp_aws_ec2_grow((void **)&l->items, &l->count,      \
							       sizeof(*e), err);                   \
				if (!e) {                                                          \
					rc = err ? err->code : VP_ERR_NOMEM;                       \
					break;                                                     \
				}                                                                  \
				rc = parse_one(item, e, err);                                      \
				if (rc != VP_OK)                                                   \
					break;                                                     \
			}                                                                          \
		}                                                                                  \
		xmlFreeDoc(doc);                                                                   \
		if (rc != VP_OK) {                                                                 \
			if (l) {                                                                   \
				for (size_t i = before; i < l->count; i++)                         \
					cleanup_one(&l->items[i]);                                 \
				l->count = before;                                                 \
				if (fresh) {                                                       \
					free(l->items);                                            \
					free(l);                                                   \
				}                                                                  \
			}                                                                          \
			free(token);                                                               \
			return rc;                                                                 \
		}                                                                                  \
		*list = l;                                                                         \
		if (next_token)                                                                    \
			*next_token = token;                                                       \
		return VP_OK;                                                                      \
	} while (0)

#endif
