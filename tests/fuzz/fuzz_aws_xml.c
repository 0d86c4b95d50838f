/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The AWS response parsers (src/aws: error documents, STS, IAM, EC2) and the
 * shared-config parser: never crash, never leak, and a refusal always says
 * why. Every input goes through every parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/config.h"
#include "aws/ec2.h"
#include "aws/ec2_prefix_list.h"
#include "aws/error.h"
#include "fuzz_check.h"
#include "aws/iam.h"
#include "aws/sts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_error err;
	vp_code rc;

	{
		struct vp_aws_error e;
		vp_aws_error_clear(&e);
		if (vp_aws_error_parse(400, text, size, &e) == VP_OK && e.code[0] == '\0')
			abort();
		vp_ignore(
			vp_aws_error_finish(&e, "fuzz")); /* refusals are part of the input space */
	}
	{
		struct vp_aws_caller_identity *id = NULL;
		err.message[0] = '\0';
		rc = vp_aws_sts_parse_caller_identity(text, size, &id, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && (!id->account || !id->arn || !id->user_id))
			abort();
		vp_aws_caller_identity_free(id);
	}
	{
		struct vp_aws_assumed_role *r = NULL;
		err.message[0] = '\0';
		rc = vp_aws_sts_parse_assume_role(text, size, &r, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !r->credentials.session_token)
			abort();
		vp_aws_assumed_role_free(r);
	}
	{
		struct vp_aws_iam_role *r = NULL;
		err.message[0] = '\0';
		rc = vp_aws_iam_parse_get_role(text, size, &r, &err);
		fuzz_refused_with_reason(rc, &err);
		vp_aws_iam_role_free(r);
	}
	{
		struct vp_aws_ec2_vpc_list *v = NULL;
		struct vp_aws_ec2_route_table_list *t = NULL;
		struct vp_aws_ec2_peering_list *p = NULL;
		struct vp_aws_ec2_peering *a = NULL;
		char *next = NULL;

		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_vpcs(text, size, &v, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		free(next);
		next = NULL;
		rc = vp_aws_ec2_parse_route_tables(text, size, &t, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		free(next);
		next = NULL;
		rc = vp_aws_ec2_parse_peerings(text, size, &p, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		/* a second page appends to the first */
		if (rc == VP_OK) {
			size_t before = p->count;
			if (vp_aws_ec2_parse_peerings(text, size, &p, NULL, &err) != VP_OK ||
			    p->count != 2 * before)
				abort();
		}
		free(next);
		rc = vp_aws_ec2_parse_accept(text, size, &a, &err);
		fuzz_refused_with_reason(rc, &err);
		rc = vp_aws_ec2_parse_return(text, size, true, &err);
		fuzz_refused_with_reason(rc, &err);
		vp_aws_ec2_vpc_list_free(v);
		vp_aws_ec2_route_table_list_free(t);
		vp_aws_ec2_peering_list_free(p);
		vp_aws_ec2_peering_free(a);
	}
	{
		struct vp_aws_prefix_list *pl = NULL;
		struct vp_aws_prefix_entries *e = NULL;
		char *next = NULL;

		err.message[0] = '\0';
		rc = vp_aws_ec2_parse_prefix_list(text, size, &pl, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && !pl->prefix_list_id)
			abort();
		vp_aws_prefix_list_free(pl);
		rc = vp_aws_ec2_parse_prefix_entries(text, size, &e, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, e, cidr);
		free(next);
		vp_aws_prefix_entries_free(e);
	}
	{
		struct vp_aws_config *cfg = NULL;
		if (vp_aws_config_new(&cfg, &err) == VP_OK) {
			err.message[0] = '\0';
			rc = vp_aws_config_parse(cfg, VP_AWS_CONFIG_FILE, "fuzz", text, size, &err);
			fuzz_refused_with_reason(rc, &err);
			vp_aws_config_free(cfg);
		}
	}
	return 0;
}
