/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The RAM calls (aws/ram.h) against awsenv's RAM model (tests/awsenv/ram.py):
 * the hub shares with an account outside its organization (client-d), which
 * sees a PENDING invitation and accepts it; the hub sees the principal
 * ASSOCIATED; a second accept is a conflict, an unknown invitation not_found.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "awsenv_client.h"
#include "aws/client.h"
#include "aws/ram.h"

#define HUB_KEY    "AKIAHUB1111111111111"
#define HUB_SECRET "hubSecret0000000000000000000000000000000"
#define D          "444444444444"
#define D_KEY      "AKIACLIENTD444444444"
#define D_SECRET   "clientDSecret000000000000000000000000000"

static struct vp_test_awsenv env;

static int reset(void **state)
{
	(void)state;
	return vp_test_awsenv_reset(&env);
}

static vp_code share_arn(const char *body, size_t len, void *ctx, struct vp_error *err)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	const char *arn = json_string_value(
		json_object_get(json_object_get(doc, "resourceShare"), "resourceShareArn"));
	vp_code rc = arn ? VP_OK : vp_fail(err, VP_ERR_INVALID, "no resourceShareArn");

	if (arn)
		*(char **)ctx = strdup(arn);
	json_decref(doc);
	return rc;
}

static void test_share_invite_accept(void **state)
{
	struct vp_aws_client *hub = vp_test_aws_client(&env, HUB_KEY, HUB_SECRET, NULL, 0.005);
	struct vp_aws_client *d = vp_test_aws_client(&env, D_KEY, D_SECRET, NULL, 0.005);
	struct vp_aws_ram_associations *assoc = NULL;
	struct vp_aws_ram_invitations *inv = NULL;
	struct vp_aws_ram_shares *shares = NULL;
	struct vp_aws_error err;
	char *arn = NULL, *inv_arn;
	(void)state;

	assert_int_equal(vp_aws_client_call_json(
				 hub, VP_AWS_RAM, "CreateResourceShare", "/createresourceshare",
				 "{\"name\":\"hub\",\"allowExternalPrincipals\":true}", share_arn,
				 &arn, &err),
			 VP_OK);
	assert_int_equal(vp_aws_ram_get_shares(hub, "SELF", NULL, &shares, &err), VP_OK);
	assert_int_equal(shares->count, 1);
	assert_string_equal(shares->items[0].resource_share_arn, arn);
	assert_string_equal(shares->items[0].status, "ACTIVE");
	vp_aws_ram_shares_free(shares);
	{
		const char *principals[] = {D};
		struct vp_aws_ram_share_change ch = {arn, principals, 1, NULL, 0, NULL};
		assert_int_equal(vp_aws_ram_associate(hub, &ch, NULL, &err), VP_OK);
	}
	assert_int_equal(vp_aws_ram_get_invitations(d, NULL, &inv, &err), VP_OK);
	assert_int_equal(inv->count, 1);
	assert_string_equal(inv->items[0].status, "PENDING");
	assert_string_equal(inv->items[0].resource_share_arn, arn);
	inv_arn = strdup(inv->items[0].invitation_arn);
	vp_aws_ram_invitations_free(inv);
	inv = NULL;
	assert_int_equal(vp_aws_ram_accept_invitation(d, inv_arn, NULL, &inv, &err), VP_OK);
	assert_string_equal(inv->items[0].status, "ACCEPTED");
	vp_aws_ram_invitations_free(inv);
	{
		struct vp_aws_ram_association_query q = {"PRINCIPAL", arn, D, NULL, NULL};
		assert_int_equal(vp_aws_ram_get_associations(hub, &q, &assoc, &err), VP_OK);
		assert_int_equal(assoc->count, 1);
		assert_string_equal(assoc->items[0].associated_entity, D);
		assert_string_equal(assoc->items[0].status, "ASSOCIATED");
		vp_aws_ram_associations_free(assoc);
	}
	assert_int_equal(vp_aws_ram_accept_invitation(d, inv_arn, NULL, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_string_equal(err.code, "ResourceShareInvitationAlreadyAcceptedException");
	assert_int_equal(vp_aws_ram_accept_invitation(
				 d,
				 "arn:aws:ram:us-east-1:111111111111:resource-share-invitation/x",
				 NULL, NULL, &err),
			 VP_ERR_NOT_FOUND);
	free(inv_arn);
	free(arn);
	vp_aws_client_free(hub);
	vp_aws_client_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_share_invite_accept, reset),
	};
	int rc;

	if (vp_test_awsenv_setup("test_ram_awsenv", &env) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	vp_test_awsenv_teardown("test_ram_awsenv", &env);
	return rc;
}
