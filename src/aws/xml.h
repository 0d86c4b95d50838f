/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libxml2 helpers for AWS Query-API responses.
 *
 * Documents are parsed from (pointer, length) with a size cap, without
 * network access, entity expansion or a DTD (a document with one is refused);
 * malformed or truncated input is an error, never a partial tree. Elements
 * are found by local name, so namespaces (which differ per service and per
 * EC2 version) do not matter, and unknown elements are simply never looked
 * at. The returned xmlDoc is the caller's: xmlFreeDoc(). libxml2 must have
 * been initialised once (vp_aws_global_init, client.h).
 */
#ifndef VP_AWS_XML_H
#define VP_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "core/error.h"

/* Largest response body the client will parse (DescribeRouteTables can be big). */
#define VP_AWS_XML_MAX ((size_t)16 << 20)

VP_NODISCARD vp_code vp_aws_xml_parse(const char *data, size_t len, xmlDoc **out,
				      struct vp_error *err);

/* Whether node is an element with this local name. NULL-safe. */
bool vp_aws_xml_is(const xmlNode *node, const char *name);
/* First element child with this local name, or NULL. parent may be NULL. */
xmlNode *vp_aws_xml_child(const xmlNode *parent, const char *name);
/* The next sibling element after `node` with this local name, or NULL. */
xmlNode *vp_aws_xml_next(const xmlNode *node, const char *name);
/* First descendant element (depth first, `node` itself excluded), or NULL. */
xmlNode *vp_aws_xml_find(const xmlNode *node, const char *name);
/* Follow a chain of children: "vpcPeeringConnection/status/code". */
xmlNode *vp_aws_xml_path(const xmlNode *node, const char *path);

/*
 * The text of child `name` of `parent` as a new string (free()). A missing
 * child gives *out = NULL and VP_OK unless `required`, then VP_ERR_INVALID
 * naming the element. VP_ERR_NOMEM when memory runs out.
 */
VP_NODISCARD vp_code vp_aws_xml_text(const xmlNode *parent, const char *name, bool required,
				     char **out, struct vp_error *err);
/* Child text as a boolean ("true"/"false"); missing -> *out = dflt. */
VP_NODISCARD vp_code vp_aws_xml_bool(const xmlNode *parent, const char *name, bool dflt, bool *out,
				     struct vp_error *err);
/* Child text as an integer in [min, max]; missing -> *out = dflt. */
VP_NODISCARD vp_code vp_aws_xml_int(const xmlNode *parent, const char *name, int64_t min,
				    int64_t max, int64_t dflt, int64_t *out, struct vp_error *err);

#endif
