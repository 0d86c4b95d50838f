/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RAM answer parsers and the REST-JSON error parser: never crash, never
 * leak, a refusal always says why, and what is accepted holds its required
 * ARNs. Every input goes through every parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "fuzz_check.h"
#include "aws/ram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct vp_error err;
	vp_code rc;

	{
		struct vp_aws_error e;
		vp_aws_error_clear(&e);
		if (vp_aws_error_parse_json(400, NULL, text, size, &e) == VP_OK &&
		    e.code[0] == '\0')
			abort();
	}
	{
		struct vp_aws_ram_associations *l = NULL;
		char *next = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ram_parse_associations(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, resource_share_arn);
		vp_aws_ram_associations_free(l);
		free(next);
	}
	{
		struct vp_aws_ram_invitations *l = NULL;
		char *next = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ram_parse_invitations(text, size, &l, &next, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, invitation_arn);
		vp_aws_ram_invitations_free(l);
		free(next);
	}
	{
		struct vp_aws_ram_shares *l = NULL;
		err.message[0] = '\0';
		rc = vp_aws_ram_parse_shares(text, size, &l, NULL, &err);
		fuzz_refused_with_reason(rc, &err);
		FUZZ_EACH_ITEM_HAS(rc, l, resource_share_arn);
		vp_aws_ram_shares_free(l);
	}
	return 0;
}
