/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EC2: the life cycle of a VPC peering connection (create, accept, reject,
 * delete) and tags. Each call names its action in its errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/ec2.h"
#include "aws/ec2_internal.h"

static vp_code parse_peering_answer(const char *body, size_t len, void *out, struct vp_error *err)
{
	return vp_aws_ec2_parse_accept(body, len, out, err);
}

/* Hand the answer's peering to *out (when asked and the call succeeded) or free it. */
static vp_code give_peering(vp_code rc, struct vp_aws_ec2_peering *peering,
			    struct vp_aws_ec2_peering **out, struct vp_aws_params *p)
{
	if (rc == VP_OK && out)
		*out = peering;
	else
		vp_aws_ec2_peering_free(peering);
	vp_aws_params_cleanup(p);
	return rc;
}

/* A call on one peering id whose answer is the peering (Accept) or <return> (the others). */
static vp_code peering_call(struct vp_aws_client *c, const char *action, const char *pcx,
			    struct vp_aws_ec2_peering **out, struct vp_aws_error *err)
{
	struct vp_aws_params p;
	struct vp_aws_ec2_peering *peering = NULL;
	vp_code rc;

	if (!pcx || !pcx[0])
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: a peering connection id is needed", action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "VpcPeeringConnectionId", pcx);
	if (strcmp(action, "AcceptVpcPeeringConnection") == 0)
		rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse_peering_answer,
					      &peering, err);
	else
		rc = vp_aws_ec2_call_return(c, action, &p, true, err);
	return give_peering(rc, peering, out, &p);
}

vp_code vp_aws_ec2_accept_vpc_peering_connection(struct vp_aws_client *c, const char *pcx,
						 struct vp_aws_ec2_peering **out,
						 struct vp_aws_error *err)
{
	return peering_call(c, "AcceptVpcPeeringConnection", pcx, out, err);
}

vp_code vp_aws_ec2_reject_vpc_peering_connection(struct vp_aws_client *c, const char *pcx,
						 struct vp_aws_error *err)
{
	return peering_call(c, "RejectVpcPeeringConnection", pcx, NULL, err);
}

vp_code vp_aws_ec2_delete_vpc_peering_connection(struct vp_aws_client *c, const char *pcx,
						 struct vp_aws_error *err)
{
	return peering_call(c, "DeleteVpcPeeringConnection", pcx, NULL, err);
}

/* Tag.N.Key / Tag.N.Value under `prefix` ("" or "TagSpecification.1."). */
vp_code vp_aws_ec2_add_tags(struct vp_aws_params *p, const char *action, const char *prefix,
			    const struct vp_aws_ec2_tag *tags, size_t count,
			    struct vp_aws_error *err)
{
	if (count > VP_AWS_EC2_MAX_TAGS)
		return vp_aws_error_fail(err, VP_ERR_INVALID, "ec2 %s: more than %d tags", action,
					 VP_AWS_EC2_MAX_TAGS);
	for (size_t i = 0; i < count; i++) {
		if (!tags[i].key || !tags[i].key[0] || !tags[i].value)
			return vp_aws_error_fail(err, VP_ERR_INVALID,
						 "ec2 %s: tag %zu has no key or no value", action,
						 i + 1);
		vp_aws_params_addf(p, tags[i].key, "%sTag.%zu.Key", prefix, i + 1);
		vp_aws_params_addf(p, tags[i].value, "%sTag.%zu.Value", prefix, i + 1);
	}
	return VP_OK;
}

vp_code vp_aws_ec2_create_vpc_peering_connection(struct vp_aws_client *c,
						 const struct vp_aws_ec2_peering_request *req,
						 struct vp_aws_ec2_peering **out,
						 struct vp_aws_error *err)
{
	static const char action[] = "CreateVpcPeeringConnection";
	struct vp_aws_params p;
	struct vp_aws_ec2_peering *peering = NULL;
	vp_code rc;

	if (!req || !req->vpc_id || !req->vpc_id[0] || !req->peer_vpc_id || !req->peer_vpc_id[0])
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 %s: the VPC and the peer VPC are needed", action);
	vp_aws_params_init(&p, VP_AWS_EC2, action);
	vp_aws_params_add(&p, "VpcId", req->vpc_id);
	vp_aws_params_add(&p, "PeerVpcId", req->peer_vpc_id);
	if (req->peer_owner_id && req->peer_owner_id[0])
		vp_aws_params_add(&p, "PeerOwnerId", req->peer_owner_id);
	if (req->peer_region && req->peer_region[0])
		vp_aws_params_add(&p, "PeerRegion", req->peer_region);
	rc = VP_OK;
	if (req->tag_count) {
		vp_aws_params_add(&p, "TagSpecification.1.ResourceType", "vpc-peering-connection");
		rc = vp_aws_ec2_add_tags(&p, action, "TagSpecification.1.", req->tags,
					 req->tag_count, err);
	}
	if (rc == VP_OK)
		rc = vp_aws_client_call_parse(c, VP_AWS_EC2, action, &p, parse_peering_answer,
					      &peering, err);
	return give_peering(rc, peering, out, &p);
}

vp_code vp_aws_ec2_create_tags(struct vp_aws_client *c, const char *resource_id,
			       const struct vp_aws_ec2_tag *tags, size_t count,
			       struct vp_aws_error *err)
{
	struct vp_aws_params p;
	vp_code rc;

	if (!resource_id || !resource_id[0] || count == 0)
		return vp_aws_error_fail(err, VP_ERR_INVALID,
					 "ec2 CreateTags: a resource id and a tag are needed");
	vp_aws_params_init(&p, VP_AWS_EC2, "CreateTags");
	vp_aws_params_add(&p, "ResourceId.1", resource_id);
	rc = vp_aws_ec2_add_tags(&p, "CreateTags", "", tags, count, err);
	if (rc == VP_OK)
		rc = vp_aws_ec2_call_return(c, "CreateTags", &p, false, err);
	vp_aws_params_cleanup(&p);
	return rc;
}
