/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The transit-gateway answer parsers (aws/ec2_tgw.h): never crash, never
 * leak, a refusal always says why, and what is accepted holds its required
 * ids. Every input goes through every parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/ec2_tgw.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_error err;
	vp_code rc;

	{
		struct vp_aws_tgw_list *l = NULL;
		char *next = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_transit_gateways(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, transit_gateway_id);
		vp_aws_tgw_list_free(l);
		free(next);
	}
	{
		struct vp_aws_tgw_attachment_list *l = NULL;
		char *next = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_attachments(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, attachment_id);
		vp_aws_tgw_attachment_list_free(l);
		free(next);
	}
	{
		struct vp_aws_tgw_attachment *a = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_attachment(text, size, &a, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !a->attachment_id)
			abort();
		vp_aws_tgw_attachment_free(a);
	}
	{
		struct vp_aws_tgw_association *a = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_association(text, size, &a, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !a->attachment_id)
			abort();
		vp_aws_tgw_association_free(a);
	}
	{
		struct vp_aws_tgw_association *a = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_propagation(text, size, &a, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !a->attachment_id)
			abort();
		vp_aws_tgw_association_free(a);
	}
	{
		struct vp_aws_tgw_association_list *l = NULL;
		char *next = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_associations(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, attachment_id);
		vp_aws_tgw_association_list_free(l);
		free(next);
	}
	{
		struct vp_aws_tgw_route *r = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_route(text, size, &r, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !r->destination_cidr_block && !r->prefix_list_id)
			abort();
		vp_aws_tgw_route_free(r);
	}
	{
		struct vp_aws_tgw_route_list *l = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_tgw_routes(text, size, &l, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && l->count > VP_AWS_TGW_SEARCH_MAX)
			abort();
		vp_aws_tgw_route_list_free(l);
	}
	return 0;
}
