/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Route 53's answer parsers (aws/route53.c): never crash, never leak, a
 * refusal always says why, and what is accepted holds what callers rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "fuzz_check.h"
#include "aws/route53.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_error err;
	vp_code rc;

	{
		struct vp_aws_hosted_zone *z = NULL;
		char zone[VP_AWS_ROUTE53_ZONE_MAX];

		err.message[0] = '\0';
		rc = vp_aws_route53_parse_hosted_zone(text, size, &z, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && vp_aws_route53_zone_id(z->id, zone, &err) != VP_OK)
			abort();
		FUZZ_EACH_ITEM_HAS(rc, &z->vpcs, vpc_id);
		vp_aws_hosted_zone_free(z);
	}
	{
		struct vp_aws_route53_vpcs *l = NULL;
		char *next = NULL;

		err.message[0] = '\0';
		rc = vp_aws_route53_parse_authorizations(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK) {
			size_t before = l->count;
			/* a second page appends to the first */
			if (vp_aws_route53_parse_authorizations(text, size, &l, NULL, &err) !=
				    VP_OK ||
			    (before < VP_AWS_ROUTE53_MAX_VPCS / 2 && l->count != 2 * before))
				abort();
		}
		free(next);
		vp_aws_route53_vpcs_free(l);
	}
	{
		char *id = NULL;
		bool insync = false;

		err.message[0] = '\0';
		rc = vp_aws_route53_parse_change(text, size, &id, &insync, &err);
		fuzz_refused_with_reason(rc, &err);
		free(id);
	}
	{
		/* the input as a zone id and as a next token must never overflow a request */
		char arg[4096];
		struct vp_aws_route53_request r;
		size_t n = size < sizeof(arg) - 1 ? size : sizeof(arg) - 1;

		memcpy(arg, data, n);
		arg[n] = '\0';
		err.message[0] = '\0';
		rc = vp_aws_route53_build(VP_R53_LIST_AUTHORIZATIONS, "ZABC", NULL, NULL, arg, NULL,
					  &r, &err);
		fuzz_refused_with_reason(rc, &err);
		if (rc == VP_OK && strlen(r.path) >= sizeof(r.path))
			abort();
		err.message[0] = '\0';
		rc = vp_aws_route53_build(VP_R53_ASSOCIATE, arg, "eu-west-1", "vpc-1a2b3c4d", NULL,
					  arg, &r, &err);
		fuzz_refused_with_reason(rc, &err);
		/* an accepted zone id cannot reach outside its own path segment */
		if (rc == VP_OK && (r.body_len != strlen(r.body) ||
				    strcspn(r.path + 23, "/?%") != strlen(r.path + 23) - 13))
			abort();
	}
	return 0;
}
