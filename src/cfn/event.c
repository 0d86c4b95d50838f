/* SPDX-License-Identifier: Apache-2.0 */
#include "cfn/event.h"

#include <stdio.h>
#include <string.h>

#include "aws/lambda.h"
#include "aws/sigv4.h"
#include "cfn/probe_mode.h"
#include "core/num.h"

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* A required envelope string: present, 1..max printable ASCII characters. */
static vp_code envelope_string(json_t *doc, const char *name, size_t max, const char **out,
			       struct vp_error *err)
{
	json_t *v = json_object_get(doc, name);
	const char *s;

	if (!v)
		return vp_fail(err, VP_ERR_INVALID, "the request has no %s", name);
	if (!json_is_string(v))
		return vp_fail(err, VP_ERR_INVALID, "the request's %s is not a string", name);
	s = json_string_value(v);
	if (!s[0] || json_string_length(v) > max || strlen(s) != json_string_length(v) ||
	    !printable(s))
		return vp_fail(err, VP_ERR_INVALID,
			       "the request's %s must be 1..%zu printable ASCII characters", name,
			       max);
	*out = s;
	return VP_OK;
}

static bool http_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

const char *vp_cfn_request_type_name(enum vp_cfn_request_type t)
{
	switch (t) {
	case VP_CFN_CREATE:
		return "Create";
	case VP_CFN_UPDATE:
		return "Update";
	case VP_CFN_DELETE:
		return "Delete";
	default:
		return "unknown";
	}
}

/* The parts that can be wrong and still be answered FAILED. */
static void parse_rest(struct vp_cfn_event *ev)
{
	json_t *doc = ev->doc, *v;
	const char *s;

	ev->request_type = VP_CFN_UNKNOWN_REQUEST;
	ev->resource = VP_CFN_UNKNOWN_RESOURCE;
	vp_error_clear(&ev->defect);

	v = json_object_get(doc, "RequestType");
	s = json_string_value(v);
	if (s && strcmp(s, "Create") == 0)
		ev->request_type = VP_CFN_CREATE;
	else if (s && strcmp(s, "Update") == 0)
		ev->request_type = VP_CFN_UPDATE;
	else if (s && strcmp(s, "Delete") == 0)
		ev->request_type = VP_CFN_DELETE;
	ev->request_type_name = ev->request_type != VP_CFN_UNKNOWN_REQUEST ? s : NULL;

	v = json_object_get(doc, "PhysicalResourceId");
	s = json_string_value(v);
	if (s && s[0] && json_string_length(v) <= VP_CFN_PHYSICAL_ID_MAX &&
	    strlen(s) == json_string_length(v) && printable(s))
		ev->physical_id = s;

	v = json_object_get(doc, "ResourceType");
	s = json_string_value(v);
	if (s && strlen(s) == json_string_length(v) && printable(s) && strlen(s) <= 256) {
		ev->resource_type = s;
		if (strcmp(s, VP_CFN_REGISTRATION_TYPE) == 0)
			ev->resource = VP_CFN_REGISTRATION;
		else if (strcmp(s, VP_CFN_CONFIRMATION_TYPE) == 0)
			ev->resource = VP_CFN_CONFIRMATION;
	}

	v = json_object_get(doc, "ResourceProperties");
	ev->properties = json_is_object(v) ? v : NULL;
	v = json_object_get(doc, "OldResourceProperties");
	ev->old_properties = json_is_object(v) ? v : NULL;

	/* The first defect is the one answered. */
	if (ev->request_type == VP_CFN_UNKNOWN_REQUEST) {
		vp_fail(&ev->defect, VP_ERR_INVALID,
			"unknown RequestType (CloudFormation sends Create, Update or Delete)");
	} else if (ev->request_type != VP_CFN_CREATE && !ev->physical_id) {
		vp_fail(&ev->defect, VP_ERR_INVALID,
			"a %s request without a PhysicalResourceId (1..%d printable characters)",
			ev->request_type_name, VP_CFN_PHYSICAL_ID_MAX);
	} else if (!ev->resource_type) {
		vp_fail(&ev->defect, VP_ERR_INVALID, "the request has no ResourceType");
	} else if (json_object_get(doc, "ResourceProperties") && !ev->properties) {
		vp_fail(&ev->defect, VP_ERR_INVALID, "ResourceProperties is not an object");
	}
	if (!ev->properties) {
		/* Absent: as if empty, so a missing property is named. Owned by doc. */
		json_t *empty = json_object();
		if (empty && json_object_set_new(doc, "ResourceProperties", empty) == 0)
			ev->properties = empty;
	}
}

vp_code vp_cfn_event_parse(const char *text, size_t len, struct vp_cfn_event *ev,
			   struct vp_error *err)
{
	struct vp_cfn_event out;
	json_error_t jerr;
	vp_code rc;

	memset(&out, 0, sizeof(out));
	if (len > VP_CFN_EVENT_MAX)
		return vp_fail(err, VP_ERR_INVALID, "the event is larger than %zu bytes",
			       VP_CFN_EVENT_MAX);
	out.doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!out.doc)
		return vp_fail(err, VP_ERR_INVALID, "the event is not JSON: %s (at byte %d)",
			       jerr.text, jerr.position);
	if (!json_is_object(out.doc)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the event is not a JSON object (not a CloudFormation request)");
		goto fail;
	}
	if ((rc = envelope_string(out.doc, "ResponseURL", VP_CFN_URL_MAX, &out.response_url,
				  err)) != VP_OK ||
	    (rc = envelope_string(out.doc, "StackId", VP_CFN_STACK_ID_MAX, &out.stack_id, err)) !=
		    VP_OK ||
	    (rc = envelope_string(out.doc, "RequestId", VP_CFN_REQUEST_ID_MAX, &out.request_id,
				  err)) != VP_OK ||
	    (rc = envelope_string(out.doc, "LogicalResourceId", VP_CFN_LOGICAL_ID_MAX,
				  &out.logical_id, err)) != VP_OK)
		goto fail;
	if (!http_url(out.response_url)) {
		rc = vp_fail(err, VP_ERR_INVALID,
			     "the request's ResponseURL is not an http(s) URL");
		goto fail;
	}
	parse_rest(&out);
	*ev = out;
	return VP_OK;
fail:
	json_decref(out.doc);
	return rc;
}

void vp_cfn_event_cleanup(struct vp_cfn_event *ev)
{
	json_decref(ev->doc);
	memset(ev, 0, sizeof(*ev));
}

/*
 * An optional string property: *out NULL when absent or "". Numbers are
 * refused: CloudFormation passes every scalar as a string.
 */
static vp_code prop_string(const json_t *props, const char *name, size_t max, const char **out,
			   struct vp_error *err)
{
	json_t *v = json_object_get(props, name);
	const char *s;

	*out = NULL;
	if (!v || json_is_null(v))
		return VP_OK;
	if (!json_is_string(v))
		return vp_fail(err, VP_ERR_INVALID, "property %s must be a string", name);
	s = json_string_value(v);
	if (!s[0])
		return VP_OK;
	if (strlen(s) != json_string_length(v) || !printable(s))
		return vp_fail(err, VP_ERR_INVALID,
			       "property %s must be printable ASCII without control characters",
			       name);
	if (strlen(s) > max)
		return vp_fail(err, VP_ERR_INVALID, "property %s is longer than %zu characters",
			       name, max);
	*out = s;
	return VP_OK;
}

static vp_code prop_required(const json_t *props, const char *name, size_t max, const char **out,
			     struct vp_error *err)
{
	vp_code rc = prop_string(props, name, max, out, err);

	if (rc == VP_OK && !*out)
		return vp_fail(err, VP_ERR_INVALID, "property %s is required", name);
	return rc;
}

static vp_code broker_props(const json_t *props, struct vp_cfn_broker_props *out,
			    struct vp_error *err)
{
	const char *url, *server_id;
	vp_code rc;

	if ((rc = prop_required(props, "BrokerUrl", VP_CFN_BROKER_URL_MAX, &url, err)) != VP_OK ||
	    (rc = prop_string(props, "ServerId", sizeof(out->server_id) - 1, &server_id, err)) !=
		    VP_OK)
		return rc;
	if (!http_url(url) || strpbrk(url, " ?#"))
		return vp_fail(err, VP_ERR_INVALID,
			       "property BrokerUrl must be an https:// URL without a query, not "
			       "'%.200s'",
			       url);
	snprintf(out->broker_url, sizeof(out->broker_url), "%s", url);
	snprintf(out->server_id, sizeof(out->server_id), "%s", server_id ? server_id : "");
	return VP_OK;
}

static const json_t *props_of(const struct vp_cfn_event *ev, const json_t *props)
{
	return props ? props : ev->properties;
}

void vp_cfn_default_client_ref(const char *stack_id, const char *logical_id,
			       char out[VP_CLIENT_REF_MAX + 1])
{
	char joined[VP_CFN_STACK_ID_MAX + VP_CFN_LOGICAL_ID_MAX + 2];
	char hex[VP_AWS_SHA256_HEX_LEN + 1];
	int n = snprintf(joined, sizeof(joined), "%s/%s", stack_id, logical_id);

	if (n >= 0 && (size_t)n < sizeof(joined) &&
	    vp_ids_client_ref_check(joined, NULL) == VP_OK) {
		memcpy(out, joined, (size_t)n + 1);
		return;
	}
	/* Too long for the broker (or with a blank): a digest is as unique and as stable. */
	vp_aws_sha256_hex(joined, strlen(joined), hex);
	snprintf(out, VP_CLIENT_REF_MAX + 1, "cfn-sha256:%s", hex);
}

const char *vp_cfn_accepter_name(enum vp_cfn_accepter a)
{
	switch (a) {
	case VP_CFN_ACCEPTER_BROKER:
		return "broker";
	case VP_CFN_ACCEPTER_PEER_ROLE:
		return "peer-role";
	default:
		return "";
	}
}

/* PeeringAccepter: "broker" or "peer-role"; UNSET when absent. */
static vp_code accepter_prop(const json_t *props, enum vp_cfn_accepter *out, struct vp_error *err)
{
	const char *v;
	vp_code rc = prop_string(props, "PeeringAccepter", 16, &v, err);

	if (rc != VP_OK)
		return rc;
	if (!v)
		*out = VP_CFN_ACCEPTER_UNSET;
	else if (strcmp(v, "broker") == 0)
		*out = VP_CFN_ACCEPTER_BROKER;
	else if (strcmp(v, "peer-role") == 0)
		*out = VP_CFN_ACCEPTER_PEER_ROLE;
	else
		return vp_fail(err, VP_ERR_INVALID,
			       "property PeeringAccepter must be broker or peer-role, not '%.20s'",
			       v);
	return VP_OK;
}

/* SubnetCount: how many subnet keys (SubnetACidrBlock on) the template reads; absent: 0. */
static vp_code subnet_count_prop(const json_t *props, int *out, struct vp_error *err)
{
	const char *s;
	int64_t n;
	vp_code rc = prop_string(props, "SubnetCount", 8, &s, err);

	if (rc != VP_OK)
		return rc;
	*out = 0;
	if (!s)
		return VP_OK;
	if (strspn(s, "0123456789") != strlen(s) || s[0] == '0' ||
	    vp_parse_int64(s, 1, VP_CFN_SUBNET_KEYS_MAX, "SubnetCount", &n, NULL) != VP_OK)
		return vp_fail(err, VP_ERR_INVALID,
			       "property SubnetCount must be 1..%d (the subnets the template "
			       "reads: SubnetACidrBlock, SubnetBCidrBlock, ...)",
			       VP_CFN_SUBNET_KEYS_MAX);
	*out = (int)n;
	return VP_OK;
}

vp_code vp_cfn_registration_props_parse(const struct vp_cfn_event *ev, const json_t *props,
					struct vp_cfn_registration_props *out, struct vp_error *err)
{
	struct vp_cfn_registration_props p;
	const char *ref;
	vp_code rc;

	memset(&p, 0, sizeof(p));
	props = props_of(ev, props);
	if ((rc = broker_props(props, &p.broker, err)) != VP_OK)
		return rc;
	if ((rc = prop_string(props, "ClientRef", VP_CLIENT_REF_MAX, &ref, err)) != VP_OK)
		return rc;
	if (ref) {
		if ((rc = vp_ids_client_ref_check(ref, err)) != VP_OK) {
			vp_error_prefix(err, "property ClientRef");
			return rc;
		}
		snprintf(p.client_ref, sizeof(p.client_ref), "%s", ref);
		p.client_ref_given = true;
	} else {
		vp_cfn_default_client_ref(ev->stack_id, ev->logical_id, p.client_ref);
	}
	if ((rc = accepter_prop(props, &p.accepter, err)) != VP_OK ||
	    (rc = subnet_count_prop(props, &p.subnet_count, err)) != VP_OK)
		return rc;
	*out = p;
	return VP_OK;
}

/* NamespaceId: a string (as Fn::GetAtt gives it) or an integer, plain decimal below 2^31. */
static vp_code namespace_prop(const json_t *props, int64_t *out, struct vp_error *err)
{
	json_t *v = json_object_get(props, "NamespaceId");
	const char *s;
	size_t n;

	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_value(v)[0]))
		return vp_fail(err, VP_ERR_INVALID, "property NamespaceId is required");
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i < 0 || i > INT32_MAX)
			return vp_fail(err, VP_ERR_INVALID,
				       "property NamespaceId must be 0..2147483647");
		*out = i;
		return VP_OK;
	}
	s = json_string_value(v);
	n = s ? strlen(s) : 0;
	if (!s || n != json_string_length(v) || strspn(s, "0123456789") != n ||
	    (n > 1 && s[0] == '0') ||
	    vp_parse_int64(s, 0, INT32_MAX, "NamespaceId", out, NULL) != VP_OK)
		return vp_fail(err, VP_ERR_INVALID,
			       "property NamespaceId must be a namespace number (plain decimal, "
			       "as Registration's NamespaceId gives it)");
	return VP_OK;
}

/* The peering request's target in broker mode: PeerVpcId, PeerOwnerId, PeerRegion. */
static vp_code peer_props(const json_t *props, struct vp_cfn_confirmation_props *p,
			  struct vp_error *err)
{
	const char *vpc, *owner, *region;
	vp_code rc;

	if ((rc = prop_required(props, "PeerVpcId", VP_AWS_ID_MAX, &vpc, err)) != VP_OK ||
	    (rc = vp_ids_aws_id_check(vpc, "vpc", "property PeerVpcId", err)) != VP_OK ||
	    (rc = prop_required(props, "PeerOwnerId", VP_IDS_ACCOUNT_LEN, &owner, err)) != VP_OK)
		return rc;
	if ((rc = vp_ids_account_check(owner, err)) != VP_OK) {
		vp_error_prefix(err, "property PeerOwnerId");
		return rc;
	}
	if ((rc = prop_required(props, "PeerRegion", sizeof(p->peer_region) - 1, &region, err)) !=
	    VP_OK)
		return rc;
	if (strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(region))
		return vp_fail(err, VP_ERR_INVALID,
			       "property PeerRegion: '%.40s' is not a region name (us-east-1)",
			       region);
	snprintf(p->peer_vpc_id, sizeof(p->peer_vpc_id), "%s", vpc);
	snprintf(p->peer_owner_id, sizeof(p->peer_owner_id), "%s", owner);
	snprintf(p->peer_region, sizeof(p->peer_region), "%s", region);
	return VP_OK;
}

vp_code vp_cfn_confirmation_props_parse(const struct vp_cfn_event *ev, const json_t *props,
					struct vp_cfn_confirmation_props *out, struct vp_error *err)
{
	struct vp_cfn_confirmation_props p;
	const char *pcx = NULL, *vpc, *health, *probe;
	vp_code rc;

	memset(&p, 0, sizeof(p));
	props = props_of(ev, props);
	if ((rc = broker_props(props, &p.broker, err)) != VP_OK ||
	    (rc = namespace_prop(props, &p.namespace_id, err)) != VP_OK ||
	    (rc = accepter_prop(props, &p.accepter, err)) != VP_OK)
		return rc;
	if (p.accepter == VP_CFN_ACCEPTER_UNSET)
		p.accepter = VP_CFN_ACCEPTER_PEER_ROLE;
	if (p.accepter == VP_CFN_ACCEPTER_PEER_ROLE) {
		if ((rc = prop_required(props, "VpcPeeringConnectionId", VP_AWS_ID_MAX, &pcx,
					err)) != VP_OK)
			return rc;
		if ((rc = vp_ids_aws_id_check(pcx, "pcx", "property VpcPeeringConnectionId",
					      err)) != VP_OK)
			return rc;
	} else {
		/* Given: confirm that peering (a second confirmation, for its HealthCheck). */
		if ((rc = prop_string(props, "VpcPeeringConnectionId", VP_AWS_ID_MAX, &pcx, err)) !=
		    VP_OK)
			return rc;
		if (pcx && (rc = vp_ids_aws_id_check(pcx, "pcx", "property VpcPeeringConnectionId",
						     err)) != VP_OK)
			return rc;
		if (!pcx && (rc = peer_props(props, &p, err)) != VP_OK)
			return rc;
	}
	if ((rc = prop_required(props, "VpcId", VP_AWS_ID_MAX, &vpc, err)) != VP_OK)
		return rc;
	if ((rc = vp_ids_aws_id_check(vpc, "vpc", "property VpcId", err)) != VP_OK)
		return rc;
	if ((rc = prop_string(props, "HealthCheck", VP_CFN_HEALTH_CHECK_MAX, &health, err)) !=
		    VP_OK ||
	    (rc = prop_string(props, "ProbeFunction", VP_CFN_PROBE_FUNCTION_MAX, &probe, err)) !=
		    VP_OK)
		return rc;
	if (health && !pcx)
		return vp_fail(
			err, VP_ERR_INVALID,
			"property HealthCheck needs the client's routes through the peering, "
			"which are made after this resource requests it: put the HealthCheck "
			"on a second " VP_CFN_CONFIRMATION_TYPE
			" given this one's VpcPeeringConnectionId (templates/client.yaml "
			"does)");
	if (health && (rc = vp_cfn_probe_list_parse(health, NULL, VP_PROBE_MAX_TARGETS,
						    &p.health_count, err)) != VP_OK) {
		vp_error_prefix(err, "property HealthCheck");
		return rc;
	}
	/* The handler runs outside the VPC: only a function inside it can reach a private hub
	 * address (issue 21). */
	if (health && !probe)
		return vp_fail(err, VP_ERR_INVALID,
			       "property HealthCheck needs ProbeFunction, the function that probes "
			       "from this VPC (templates/client.yaml makes it)");
	if (probe && !vp_aws_lambda_function_name_valid(probe))
		return vp_fail(
			err, VP_ERR_INVALID,
			"property ProbeFunction: '%.60s' is not a Lambda function name or ARN",
			probe);
	snprintf(p.health_check, sizeof(p.health_check), "%s", health ? health : "");
	snprintf(p.probe_function, sizeof(p.probe_function), "%s", probe && health ? probe : "");
	snprintf(p.peering_id, sizeof(p.peering_id), "%s", pcx ? pcx : "");
	snprintf(p.vpc_id, sizeof(p.vpc_id), "%s", vpc);
	*out = p;
	return VP_OK;
}

/* The transit-gateway mode's confirmation properties (issue 16). */
static vp_code subnet_prop(const json_t *v, struct vp_cfn_tgw_props *t, struct vp_error *err)
{
	const char *s = json_string_value(v);
	vp_code rc;

	if (!s)
		return vp_fail(err, VP_ERR_INVALID, "property SubnetIds: each must be a string");
	if (t->subnet_count == VP_CFN_MAX_SUBNETS)
		return vp_fail(err, VP_ERR_INVALID,
			       "property SubnetIds: at most %d (one per Availability Zone)",
			       VP_CFN_MAX_SUBNETS);
	if ((rc = vp_ids_aws_id_check(s, "subnet", "property SubnetIds", err)) != VP_OK)
		return rc;
	snprintf(t->subnets[t->subnet_count++], VP_AWS_ID_MAX + 1, "%s", s);
	return VP_OK;
}

vp_code vp_cfn_tgw_props_parse(const struct vp_cfn_event *ev, const json_t *props,
			       struct vp_cfn_tgw_props *out, struct vp_error *err)
{
	struct vp_cfn_tgw_props parsed, *t = &parsed;
	const char *tgw, *arn;
	const json_t *subnets;
	vp_code rc;

	props = props_of(ev, props);
	tgw = json_string_value(json_object_get(props, "TransitGatewayId"));
	arn = json_string_value(json_object_get(props, "ResourceShareArn"));
	subnets = json_object_get(props, "SubnetIds");
	memset(t, 0, sizeof(*t));
	if (!tgw || !tgw[0])
		return vp_fail(err, VP_ERR_INVALID,
			       "property TransitGatewayId is required in the transit-gateway "
			       "mode (Registration's TransitGatewayId)");
	if ((rc = vp_ids_aws_id_check(tgw, "tgw", "property TransitGatewayId", err)) != VP_OK)
		return rc;
	snprintf(t->tgw_id, sizeof(t->tgw_id), "%s", tgw);
	if (arn && arn[0]) {
		size_t n = strlen(arn);
		if (n > VP_CFN_SHARE_ARN_MAX || strncmp(arn, "arn:", 4) != 0 ||
		    !strstr(arn, ":resource-share/"))
			return vp_fail(err, VP_ERR_INVALID,
				       "property ResourceShareArn: '%.80s' is not a resource share "
				       "ARN (arn:aws:ram:REGION:ACCOUNT:resource-share/ID)",
				       arn);
		for (size_t i = 0; i < n; i++)
			if (arn[i] <= ' ' || arn[i] > '~')
				return vp_fail(err, VP_ERR_INVALID,
					       "property ResourceShareArn has a blank or a "
					       "non-ASCII character");
		snprintf(t->share_arn, sizeof(t->share_arn), "%s", arn);
	}
	if (json_is_array(subnets)) {
		size_t i;
		const json_t *v;
		json_array_foreach(subnets, i, v)
		{
			if ((rc = subnet_prop(v, t, err)) != VP_OK)
				return rc;
		}
	} else if (json_is_string(subnets)) {
		/* A comma-separated list (a !Join, or a CommaDelimitedList parameter). */
		char buf[VP_CFN_MAX_SUBNETS * (VP_AWS_ID_MAX + 1) + 1], *save = NULL;
		if (json_string_length(subnets) >= sizeof(buf))
			return vp_fail(err, VP_ERR_INVALID, "property SubnetIds is too long");
		snprintf(buf, sizeof(buf), "%s", json_string_value(subnets));
		for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
			json_t *one = json_string(s);
			rc = one ? subnet_prop(one, t, err)
				 : vp_fail(err, VP_ERR_NOMEM, "out of memory");
			json_decref(one);
			if (rc != VP_OK)
				return rc;
		}
	}
	if (t->subnet_count == 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "property SubnetIds is required in the transit-gateway mode: this "
			       "VPC's subnets for the attachment, one per Availability Zone");
	*out = parsed;
	return VP_OK;
}
