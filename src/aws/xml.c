/* SPDX-License-Identifier: Apache-2.0 */
#include "aws/xml.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

#include "core/num.h"

vp_code vp_aws_xml_parse(const char *data, size_t len, xmlDoc **out, struct vp_error *err)
{
	xmlParserCtxt *ctxt;
	xmlDoc *doc;

	if (!data || len == 0)
		return vp_fail(err, VP_ERR_INVALID, "empty XML document");
	if (len > VP_AWS_XML_MAX || len > (size_t)INT32_MAX)
		return vp_fail(err, VP_ERR_RANGE,
			       "XML document of %zu bytes is over the %zu-byte limit", len,
			       VP_AWS_XML_MAX);
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory parsing XML");
	/* No network, no entity substitution, no error printing: errors come back here. */
	doc = xmlCtxtReadMemory(ctxt, data, (int)len, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
					XML_PARSE_NOCDATA);
	if (!doc || !ctxt->wellFormed) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[160] = "not well-formed";
		if (e && e->message) {
			size_t n = strcspn(e->message, "\n");
			if (n >= sizeof(msg))
				n = sizeof(msg) - 1;
			memcpy(msg, e->message, n);
			msg[n] = '\0';
		}
		vp_fail(err, VP_ERR_INVALID, "malformed XML at line %d: %s", e ? e->line : 0, msg);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return VP_ERR_INVALID;
	}
	xmlFreeParserCtxt(ctxt);
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return vp_fail(err, VP_ERR_INVALID, "XML with a DTD is not an AWS response");
	}
	if (!xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		return vp_fail(err, VP_ERR_INVALID, "XML document has no root element");
	}
	*out = doc;
	return VP_OK;
}

bool vp_aws_xml_is(const xmlNode *node, const char *name)
{
	return node && node->type == XML_ELEMENT_NODE && node->name &&
	       strcmp((const char *)node->name, name) == 0;
}

/* The first element named `name` among `from` and its next siblings. */
static xmlNode *first_named(xmlNode *from, const char *name)
{
	for (xmlNode *c = from; c; c = c->next)
		if (vp_aws_xml_is(c, name))
			return c;
	return NULL;
}

xmlNode *vp_aws_xml_child(const xmlNode *parent, const char *name)
{
	return parent ? first_named(parent->children, name) : NULL;
}

xmlNode *vp_aws_xml_next(const xmlNode *node, const char *name)
{
	return node ? first_named(node->next, name) : NULL;
}

xmlNode *vp_aws_xml_find(const xmlNode *node, const char *name)
{
	if (!node)
		return NULL;
	for (xmlNode *c = node->children; c; c = c->next) {
		xmlNode *hit;
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (vp_aws_xml_is(c, name))
			return c;
		hit = vp_aws_xml_find(c, name);
		if (hit)
			return hit;
	}
	return NULL;
}

xmlNode *vp_aws_xml_path(const xmlNode *node, const char *path)
{
	char part[128];
	const char *p = path;
	xmlNode *cur = NULL;

	if (!node || !*p)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = '\0';
		/* the first step starts at `node`; the nodes it gives are the tree's own */
		cur = vp_aws_xml_child(cur ? cur : node, part);
		if (!cur)
			return NULL;
		p += n;
		if (*p == '/')
			p++;
	}
	return cur;
}

vp_code vp_aws_xml_text(const xmlNode *parent, const char *name, bool required, char **out,
			struct vp_error *err)
{
	xmlNode *node = vp_aws_xml_child(parent, name);
	xmlChar *text;
	char *copy;

	if (!node) {
		if (required)
			return vp_fail(err, VP_ERR_INVALID, "response has no <%s> element", name);
		*out = NULL;
		return VP_OK;
	}
	text = xmlNodeGetContent(node);
	copy = strdup(text ? (const char *)text : "");
	xmlFree(text);
	if (!copy)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory reading <%s>", name);
	*out = copy;
	return VP_OK;
}

vp_code vp_aws_xml_bool(const xmlNode *parent, const char *name, bool dflt, bool *out,
			struct vp_error *err)
{
	char *text = NULL;
	vp_code rc = vp_aws_xml_text(parent, name, false, &text, err);

	if (rc != VP_OK)
		return rc;
	if (!text) {
		*out = dflt;
		return VP_OK;
	}
	if (strcmp(text, "true") == 0)
		*out = true;
	else if (strcmp(text, "false") == 0)
		*out = false;
	else
		rc = vp_fail(err, VP_ERR_INVALID, "<%s> is not true or false", name);
	free(text);
	return rc;
}

vp_code vp_aws_xml_int(const xmlNode *parent, const char *name, int64_t min, int64_t max,
		       int64_t dflt, int64_t *out, struct vp_error *err)
{
	char *text = NULL;
	vp_code rc = vp_aws_xml_text(parent, name, false, &text, err);

	if (rc != VP_OK)
		return rc;
	if (!text) {
		*out = dflt;
		return VP_OK;
	}
	rc = vp_parse_int64(text, min, max, name, out, err);
	free(text);
	return rc;
}
