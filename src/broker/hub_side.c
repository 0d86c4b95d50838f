/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The hub side beyond routes (hub_side.h): the prefix list entry and the
 * peering's DNS option of one namespace.
 */
#include "broker/hub_side.h"

#include <stdio.h>
#include <string.h>

#include "aws/ec2_prefix_list.h"
#include "broker/hosted_zone.h"
#include "broker/internal.h"
#include "broker/prefix_list.h"
#include "core/log.h"

vp_code vp_broker_hub_side_start(struct vp_broker *b, const char *prefix_list,
				 enum vp_peering_dns dns, struct vp_error *err)
{
	vp_code code;

	if (prefix_list && prefix_list[0] &&
	    (code = vp_broker_prefix_list_new(b->aws, b->metrics, prefix_list, b->hub_account,
					      b->max_peerings, &b->prefix_list, err)) != VP_OK)
		return code;
	b->peering_dns = dns == VP_PEERING_DNS_ON;
	if (dns == VP_PEERING_DNS_AUTO && b->accepter == VP_PEERING_ACCEPTER_BROKER) {
		bool hostnames = false, support = false;
		struct vp_aws_error aerr;

		code = vp_aws_ec2_vpc_attribute(b->aws, b->hub_vpc, "enableDnsHostnames",
						&hostnames, &aerr);
		if (code == VP_OK)
			code = vp_aws_ec2_vpc_attribute(b->aws, b->hub_vpc, "enableDnsSupport",
							&support, &aerr);
		vp_broker_note_aws(b->metrics, "DescribeVpcAttribute", code, &aerr);
		/* auto asks nothing more of the broker's role: unreadable means off, said once */
		if (code != VP_OK)
			vp_log(VP_LOG_WARN,
			       "broker: --peering-dns auto: cannot read the hub VPC's DNS "
			       "attributes "
			       "(%s): peering DNS stays off; give ec2:DescribeVpcAttribute or "
			       "--peering-dns on|off",
			       aerr.error.message);
		b->peering_dns = hostnames && support;
	}
	vp_log(VP_LOG_INFO, "broker: prefix list of live clients %s; peering DNS %s",
	       b->prefix_list ? vp_broker_prefix_list_id(b->prefix_list) : "none",
	       b->peering_dns ? "on" : "off");
	return VP_OK;
}

static vp_code set_entry(struct vp_broker *b, const struct vp_namespace_record *rec, bool add,
			 struct vp_error *err)
{
	char desc[96];
	struct vp_broker_pl_change ch = {.cidr = rec->vpc_cidr, .description = desc, .add = add};
	vp_code code;

	if (!b->prefix_list)
		return VP_OK;
	vp_broker_pl_description(desc, sizeof(desc), rec->n, rec->account);
	code = vp_broker_prefix_list_apply(b->prefix_list, &ch, 1, err);
	if (code != VP_OK)
		vp_error_prefix(err, "%s the prefix list of live clients",
				add ? "adding the client to" : "removing the client from");
	return code;
}

vp_code vp_broker_hub_side_join(struct vp_broker *b, const struct vp_namespace_record *rec,
				const char *peering_id, struct vp_error *err)
{
	/* A peering's DNS option; a transit-gateway attachment has none (the hub's names
	 * resolve in the client's VPC through the hosted zone). */
	if (b->peering_dns && b->accepter == VP_PEERING_ACCEPTER_BROKER && !b->tgw) {
		struct vp_aws_error aerr;
		vp_code code = vp_aws_ec2_allow_peering_dns(b->aws, peering_id, true, &aerr);

		vp_broker_note_aws(b->metrics, "ModifyVpcPeeringConnectionOptions", code, &aerr);
		if (code != VP_OK)
			return vp_broker_aws_fail(err, &aerr,
						  "enabling DNS resolution over the peering "
						  "(--peering-dns)");
	}
	return set_entry(b, rec, true, err);
}

vp_code vp_broker_hub_side_leave(struct vp_broker *b, const struct vp_namespace_record *rec,
				 struct vp_error *err)
{
	vp_code code = set_entry(b, rec, false, err);

	if (code == VP_OK && (code = vp_broker_hosted_zone_leave(b, rec->vpc_id, err)) != VP_OK)
		vp_error_prefix(err, "taking the client's VPC out of the hub's hosted zone");
	return code;
}
