/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route 53's hosted zone VPC association calls: requests and answers
 * (route53.h).
 */
#include "aws/route53.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/xml.h"

#define ZONE_PATH "/" VP_AWS_ROUTE53_VERSION "/hostedzone/"

static const struct {
	const char *action;
	const char *method;
	const char *suffix; /* after /hostedzone/{Id} */
} ops[VP_R53_OP_COUNT] = {
	[VP_R53_GET_HOSTED_ZONE] = {"GetHostedZone", "GET", ""},
	[VP_R53_CREATE_AUTHORIZATION] = {"CreateVPCAssociationAuthorization", "POST",
					 "/authorizevpcassociation"},
	[VP_R53_LIST_AUTHORIZATIONS] = {"ListVPCAssociationAuthorizations", "GET",
					"/authorizevpcassociation"},
	[VP_R53_DELETE_AUTHORIZATION] = {"DeleteVPCAssociationAuthorization", "POST",
					 "/deauthorizevpcassociation"},
	[VP_R53_ASSOCIATE] = {"AssociateVPCWithHostedZone", "POST", "/associatevpc"},
	[VP_R53_DISASSOCIATE] = {"DisassociateVPCFromHostedZone", "POST", "/disassociatevpc"},
};

const char *vp_aws_route53_action(enum vp_aws_route53_op op)
{
	return (unsigned)op < VP_R53_OP_COUNT ? ops[op].action : "Route53";
}

vp_code vp_aws_route53_zone_id(const char *in, char out[VP_AWS_ROUTE53_ZONE_MAX],
			       struct vp_error *err)
{
	const char *id = in;
	size_t n;

	out[0] = '\0';
	if (!in)
		return vp_fail(err, VP_ERR_INVALID,
			       "a hosted zone id is needed (e.g. Z0123456789ABCDEFGHIJ)");
	if (strncmp(id, "/hostedzone/", 12) == 0)
		id += 12;
	n = strlen(id);
	if (n == 0 || n >= VP_AWS_ROUTE53_ZONE_MAX ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		       "0123456789") != n)
		return vp_fail(err, VP_ERR_INVALID,
			       "hosted zone id \"%.64s\" is not valid: give the id Route 53 shows, "
			       "1 to 32 upper-case letters and digits (e.g. Z0123456789ABCDEFGHIJ)",
			       in);
	memcpy(out, id, n + 1);
	return VP_OK;
}

static bool vpc_id_valid(const char *v)
{
	size_t n;

	if (!v || strncmp(v, "vpc-", 4) != 0)
		return false;
	n = strlen(v + 4);
	return (n == 8 || n == 17) && strspn(v + 4, "0123456789abcdef") == n;
}

static bool region_valid(const char *r)
{
	size_t n = r ? strlen(r) : 0;
	return n > 0 && n < 64 && strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* Append to a bounded buffer; false when it would not fit. */
static bool put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static bool put(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*len >= cap)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(buf + *len, cap - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= cap - *len)
		return false;
	*len += (size_t)n;
	return true;
}

static bool put_xml_text(char *buf, size_t cap, size_t *len, const char *s)
{
	for (; *s; s++) {
		bool ok;
		switch (*s) {
		case '&':
			ok = put(buf, cap, len, "&amp;");
			break;
		case '<':
			ok = put(buf, cap, len, "&lt;");
			break;
		case '>':
			ok = put(buf, cap, len, "&gt;");
			break;
		case '"':
			ok = put(buf, cap, len, "&quot;");
			break;
		default:
			ok = (unsigned char)*s >= 0x20 && put(buf, cap, len, "%c", *s);
		}
		if (!ok)
			return false;
	}
	return true;
}

static bool put_url_value(char *buf, size_t cap, size_t *len, const char *s)
{
	static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789-_.~";
	for (; *s; s++) {
		bool ok = strchr(unreserved, *s) ? put(buf, cap, len, "%c", *s)
						 : put(buf, cap, len, "%%%02X", (unsigned char)*s);
		if (!ok)
			return false;
	}
	return true;
}

vp_code vp_aws_route53_build(enum vp_aws_route53_op op, const char *zone_id, const char *vpc_region,
			     const char *vpc_id, const char *next_token, const char *comment,
			     struct vp_aws_route53_request *out, struct vp_error *err)
{
	char zone[VP_AWS_ROUTE53_ZONE_MAX];
	size_t plen = 0;
	bool ok;
	vp_code rc;

	memset(out, 0, sizeof(*out));
	if ((unsigned)op >= VP_R53_OP_COUNT)
		return vp_fail(err, VP_ERR_INVALID, "route53: unknown operation %d", (int)op);
	if ((rc = vp_aws_route53_zone_id(zone_id, zone, err)) != VP_OK)
		return rc;
	out->method = ops[op].method;
	ok = put(out->path, sizeof(out->path), &plen, "%s%s%s", ZONE_PATH, zone, ops[op].suffix);
	if (ok && op == VP_R53_LIST_AUTHORIZATIONS && next_token && next_token[0]) {
		ok = put(out->path, sizeof(out->path), &plen, "?nexttoken=") &&
		     put_url_value(out->path, sizeof(out->path), &plen, next_token);
	}
	if (!ok)
		return vp_fail(err, VP_ERR_RANGE, "route53 %s: the next token is too long",
			       ops[op].action);
	if (strcmp(ops[op].method, "GET") == 0)
		return VP_OK;
	if (!vpc_id_valid(vpc_id))
		return vp_fail(err, VP_ERR_INVALID,
			       "route53 %s: VPC id \"%.64s\" is not valid: give vpc- and 8 or 17 "
			       "hex digits",
			       ops[op].action, vpc_id ? vpc_id : "");
	if (!region_valid(vpc_region))
		return vp_fail(err, VP_ERR_INVALID,
			       "route53 %s: VPC region \"%.64s\" is not valid: give the VPC's "
			       "region (e.g. eu-west-1)",
			       ops[op].action, vpc_region ? vpc_region : "");
	ok = put(out->body, sizeof(out->body), &out->body_len,
		 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%sRequest xmlns=\"%s\"><VPC>"
		 "<VPCRegion>%s</VPCRegion><VPCId>%s</VPCId></VPC>",
		 ops[op].action, VP_AWS_ROUTE53_XMLNS, vpc_region, vpc_id);
	if (ok && comment && (op == VP_R53_ASSOCIATE || op == VP_R53_DISASSOCIATE)) {
		ok = put(out->body, sizeof(out->body), &out->body_len, "<Comment>") &&
		     put_xml_text(out->body, sizeof(out->body), &out->body_len, comment) &&
		     put(out->body, sizeof(out->body), &out->body_len, "</Comment>");
	}
	if (ok)
		ok = put(out->body, sizeof(out->body), &out->body_len, "</%sRequest>",
			 ops[op].action);
	if (!ok)
		return vp_fail(err, VP_ERR_INVALID,
			       "route53 %s: the comment is too long or holds control characters",
			       ops[op].action);
	return VP_OK;
}

void vp_aws_route53_vpcs_free(struct vp_aws_route53_vpcs *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].region);
		free(l->items[i].vpc_id);
	}
	free(l->items);
	free(l);
}

void vp_aws_hosted_zone_free(struct vp_aws_hosted_zone *z)
{
	if (!z)
		return;
	free(z->id);
	free(z->name);
	for (size_t i = 0; i < z->vpcs.count; i++) {
		free(z->vpcs.items[i].region);
		free(z->vpcs.items[i].vpc_id);
	}
	free(z->vpcs.items);
	free(z);
}

bool vp_aws_route53_vpcs_has(const struct vp_aws_route53_vpcs *l, const char *region,
			     const char *vpc_id)
{
	for (size_t i = 0; l && vpc_id && i < l->count; i++)
		if (strcmp(l->items[i].vpc_id, vpc_id) == 0 &&
		    (!region || (l->items[i].region && strcmp(l->items[i].region, region) == 0)))
			return true;
	return false;
}

/* Append the <VPC> children of `vpcs` to l. */
static vp_code read_vpcs(const xmlNode *vpcs, struct vp_aws_route53_vpcs *l, struct vp_error *err)
{
	vp_code rc = VP_OK;

	for (xmlNode *v = vp_aws_xml_child(vpcs, "VPC"); rc == VP_OK && v;
	     v = vp_aws_xml_next(v, "VPC")) {
		struct vp_aws_route53_vpc *grown;
		if (l->count >= VP_AWS_ROUTE53_MAX_VPCS)
			return vp_fail(err, VP_ERR_RANGE, "answer has more than %d VPCs",
				       VP_AWS_ROUTE53_MAX_VPCS);
		if (!(grown = realloc(l->items, (l->count + 1) * sizeof(*grown))))
			return vp_fail(err, VP_ERR_NOMEM, "out of memory");
		l->items = grown;
		memset(&grown[l->count], 0, sizeof(*grown));
		l->count++; /* freed with the list even when half filled */
		rc = vp_aws_xml_text(v, "VPCId", true, &grown[l->count - 1].vpc_id, err);
		if (rc == VP_OK)
			rc = vp_aws_xml_text(v, "VPCRegion", false, &grown[l->count - 1].region,
					     err);
	}
	return rc;
}

vp_code vp_aws_route53_parse_hosted_zone(const char *body, size_t len,
					 struct vp_aws_hosted_zone **out, struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root, *hz;
	struct vp_aws_hosted_zone *z = NULL;
	char zone[VP_AWS_ROUTE53_ZONE_MAX];
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	hz = vp_aws_xml_child(root, "HostedZone");
	if (!hz)
		rc = vp_fail(err, VP_ERR_NOT_FOUND, "answer has no hosted zone");
	else if (!(z = calloc(1, sizeof(*z))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(hz, "Id", true, &z->id, err);
	if (rc == VP_OK && (rc = vp_aws_route53_zone_id(z->id, zone, err)) == VP_OK)
		memcpy(z->id, zone, strlen(zone) + 1); /* never longer than the original */
	if (rc == VP_OK)
		rc = vp_aws_xml_text(hz, "Name", false, &z->name, err);
	if (rc == VP_OK)
		rc = vp_aws_xml_bool(vp_aws_xml_child(hz, "Config"), "PrivateZone", false,
				     &z->private_zone, err);
	if (rc == VP_OK)
		rc = read_vpcs(vp_aws_xml_child(root, "VPCs"), &z->vpcs, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK) {
		vp_aws_hosted_zone_free(z);
		return rc;
	}
	*out = z;
	return VP_OK;
}

vp_code vp_aws_route53_parse_authorizations(const char *body, size_t len,
					    struct vp_aws_route53_vpcs **list, char **next_token,
					    struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *root;
	struct vp_aws_route53_vpcs *l = *list;
	char *next = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	root = xmlDocGetRootElement(doc);
	if (!vp_aws_xml_is(root, "ListVPCAssociationAuthorizationsResponse"))
		rc = vp_fail(err, VP_ERR_INVALID,
			     "answer is not a ListVPCAssociationAuthorizationsResponse");
	else if (!l && !(l = calloc(1, sizeof(*l))))
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
	if (rc == VP_OK)
		rc = read_vpcs(vp_aws_xml_child(root, "VPCs"), l, err);
	if (rc == VP_OK && next_token)
		rc = vp_aws_xml_text(root, "NextToken", false, &next, err);
	xmlFreeDoc(doc);
	if (rc != VP_OK && !*list)
		vp_aws_route53_vpcs_free(l);
	else
		*list = l;
	if (rc == VP_OK && next_token)
		*next_token = next;
	else
		free(next);
	return rc;
}

vp_code vp_aws_route53_parse_change(const char *body, size_t len, char **change_id, bool *insync,
				    struct vp_error *err)
{
	xmlDoc *doc = NULL;
	xmlNode *info;
	char *status = NULL, *id = NULL;
	vp_code rc = vp_aws_xml_parse(body, len, &doc, err);

	if (rc != VP_OK)
		return rc;
	info = vp_aws_xml_child(xmlDocGetRootElement(doc), "ChangeInfo");
	if (!info)
		rc = vp_fail(err, VP_ERR_INVALID, "answer has no ChangeInfo");
	if (rc == VP_OK)
		rc = vp_aws_xml_text(info, "Status", true, &status, err);
	if (rc == VP_OK && change_id)
		rc = vp_aws_xml_text(info, "Id", false, &id, err);
	if (rc == VP_OK) {
		if (strcmp(status, "INSYNC") == 0)
			*insync = true;
		else if (strcmp(status, "PENDING") == 0)
			*insync = false;
		else
			rc = vp_fail(err, VP_ERR_INVALID,
				     "change status \"%.32s\" is neither PENDING nor INSYNC",
				     status);
	}
	xmlFreeDoc(doc);
	free(status);
	if (rc == VP_OK && change_id)
		*change_id = id;
	else
		free(id);
	return rc;
}

vp_code vp_aws_route53_error_map(const char *code, long http_status)
{
	static const struct {
		const char *code;
		vp_code vp;
	} map[] = {
		{"NoSuchHostedZone", VP_ERR_NOT_FOUND},
		{"VPCAssociationNotFound", VP_ERR_NOT_FOUND},
		{"VPCAssociationAuthorizationNotFound", VP_ERR_NOT_FOUND},
		{"NotAuthorizedException", VP_ERR_FORBIDDEN},
		{"ConflictingDomainExists", VP_ERR_CONFLICT},
		{"ConcurrentModification", VP_ERR_CONFLICT},
		{"LastVPCAssociation", VP_ERR_CONFLICT},
		{"PublicZoneVPCAssociation", VP_ERR_CONFLICT},
		{"TooManyVPCAssociationAuthorizations", VP_ERR_EXHAUSTED},
		{"LimitsExceeded", VP_ERR_EXHAUSTED},
		{"PriorRequestNotComplete", VP_ERR_UNAVAILABLE},
		{"InvalidVPCId", VP_ERR_INVALID},
		{"InvalidInput", VP_ERR_INVALID},
		{"InvalidPaginationToken", VP_ERR_INVALID},
	};

	for (size_t i = 0; code && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].vp;
	return vp_aws_error_map(code, http_status);
}

/* --- calls ------------------------------------------------------------------- */

/* Authorizations fit in 1000 / 50 pages; more means a token that never ends. */
#define R53_MAX_PAGES 64

static vp_code r53_send(struct vp_aws_client *c, const struct vp_aws_route53_request *req,
			enum vp_aws_route53_op op, struct vp_buf *body, struct vp_aws_error *err)
{
	vp_code rc = vp_aws_client_rest(c, VP_AWS_ROUTE53, ops[op].action, req->method, req->path,
					"application/xml", req->body, req->body_len, body, err);

	if (rc != VP_OK && err && err->code[0]) {
		rc = vp_aws_route53_error_map(err->code, err->http_status);
		err->error.code = rc;
	}
	return rc;
}

static vp_code parse_failed(struct vp_aws_error *err, enum vp_aws_route53_op op,
			    const struct vp_error *perr)
{
	return vp_aws_error_fail(err, perr->code, "route53 %s: %s", ops[op].action, perr->message);
}

vp_code vp_aws_route53_get_hosted_zone(struct vp_aws_client *c, const char *zone_id,
				       struct vp_aws_hosted_zone **out, struct vp_aws_error *err)
{
	struct vp_aws_route53_request req;
	struct vp_buf body;
	struct vp_error perr;
	vp_code rc = vp_aws_route53_build(VP_R53_GET_HOSTED_ZONE, zone_id, NULL, NULL, NULL, NULL,
					  &req, &perr);

	if (rc != VP_OK)
		return vp_aws_error_fail(err, rc, "%s", perr.message);
	vp_buf_init(&body, VP_AWS_XML_MAX);
	rc = r53_send(c, &req, VP_R53_GET_HOSTED_ZONE, &body, err);
	if (rc == VP_OK &&
	    (rc = vp_aws_route53_parse_hosted_zone(body.data, body.len, out, &perr)) != VP_OK)
		rc = parse_failed(err, VP_R53_GET_HOSTED_ZONE, &perr);
	vp_buf_cleanup(&body);
	return rc;
}

vp_code vp_aws_route53_vpc_call(struct vp_aws_client *c, enum vp_aws_route53_op op,
				const char *zone_id, const char *vpc_region, const char *vpc_id,
				struct vp_aws_error *err)
{
	struct vp_aws_route53_request req;
	struct vp_buf body;
	struct vp_error perr;
	bool insync;
	vp_code rc;

	if (op != VP_R53_CREATE_AUTHORIZATION && op != VP_R53_DELETE_AUTHORIZATION &&
	    op != VP_R53_ASSOCIATE && op != VP_R53_DISASSOCIATE)
		return vp_aws_error_fail(err, VP_ERR_INVALID, "route53: %s is not a VPC call",
					 vp_aws_route53_action(op));
	rc = vp_aws_route53_build(op, zone_id, vpc_region, vpc_id, NULL, NULL, &req, &perr);
	if (rc != VP_OK)
		return vp_aws_error_fail(err, rc, "%s", perr.message);
	vp_buf_init(&body, VP_AWS_XML_MAX);
	rc = r53_send(c, &req, op, &body, err);
	/* the association calls answer a ChangeInfo; the authorization calls a VPC or nothing */
	if (rc == VP_OK && (op == VP_R53_ASSOCIATE || op == VP_R53_DISASSOCIATE) &&
	    (rc = vp_aws_route53_parse_change(body.data, body.len, NULL, &insync, &perr)) != VP_OK)
		rc = parse_failed(err, op, &perr);
	vp_buf_cleanup(&body);
	return rc;
}

vp_code vp_aws_route53_list_authorizations(struct vp_aws_client *c, const char *zone_id,
					   struct vp_aws_route53_vpcs **out,
					   struct vp_aws_error *err)
{
	struct vp_aws_route53_vpcs *list = NULL;
	char *next = NULL;
	vp_code rc = VP_OK;
	int pages = 0;

	do {
		struct vp_aws_route53_request req;
		struct vp_buf body;
		struct vp_error perr;
		char *token = next;

		next = NULL;
		rc = vp_aws_route53_build(VP_R53_LIST_AUTHORIZATIONS, zone_id, NULL, NULL, token,
					  NULL, &req, &perr);
		free(token);
		if (rc != VP_OK) {
			rc = vp_aws_error_fail(err, rc, "%s", perr.message);
			break;
		}
		if (++pages > R53_MAX_PAGES) {
			rc = vp_aws_error_fail(err, VP_ERR_RANGE,
					       "route53 ListVPCAssociationAuthorizations: more "
					       "than %d pages",
					       R53_MAX_PAGES);
			break;
		}
		vp_buf_init(&body, VP_AWS_XML_MAX);
		rc = r53_send(c, &req, VP_R53_LIST_AUTHORIZATIONS, &body, err);
		if (rc == VP_OK && (rc = vp_aws_route53_parse_authorizations(
					    body.data, body.len, &list, &next, &perr)) != VP_OK)
			rc = parse_failed(err, VP_R53_LIST_AUTHORIZATIONS, &perr);
		vp_buf_cleanup(&body);
	} while (rc == VP_OK && next);
	free(next);
	if (rc != VP_OK) {
		vp_aws_route53_vpcs_free(list);
		return rc;
	}
	*out = list;
	return VP_OK;
}
