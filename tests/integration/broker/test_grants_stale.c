/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The trust-policy writer (src/broker/grants.c) against awsenv with IAM's
 * stale reads on (awsenv --iam-stale-read-window: a GetRole after an
 * UpdateAssumeRolePolicy answers the document that update replaced). Two
 * grants handles share one registry, as two brokers share one PostgreSQL
 * database (their named locks meet in the registry handle), and a burst of
 * grants and revocations runs over two peer roles. Afterwards, read once the
 * window is over, each role's trust policy holds exactly the accounts the
 * registry says are granted in it: no grant lost to a stale read, no revoked
 * account written back (docs/broker.md, "Stale reads").
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "awsenv_client.h"
#include "grants_handle.h"
#include "hub_world.h"
#include "aws/client.h"
#include "aws/iam.h"
#include "broker/grants.h"
#include "broker/broker.h"
#include "broker/policy.h"
#include "core/log.h"
#include "registry/registry.h"

#define HUB        "111111111111"
#define ROLE1      "vpcpeer-peer-1"
#define ROLE2      "vpcpeer-peer-2"
#define ROLE1_ARN  "arn:aws:iam::" HUB ":role/" ROLE1
#define ROLE2_ARN  "arn:aws:iam::" HUB ":role/" ROLE2
#define HUB_KEY    "AKIAHUB1111111111111"
#define HUB_SECRET "hubSecret0000000000000000000000000000000"

#define WORKERS  8
#define ACCOUNTS 32 /* account i is worker i % WORKERS's */

static struct vp_test_awsenv env;

struct world {
	struct vp_aws_client *hub;
	char dir[VP_TEST_REGISTRY_DIR_MAX];
	struct vp_registry *reg;
	struct vp_grants *brokers[2];
};

struct worker {
	struct world *w;
	size_t index;
	char failure[sizeof(((struct vp_error *)0)->message) + 64];
};

static void account_id(size_t i, char out[VP_IDS_ACCOUNT_LEN + 1])
{
	snprintf(out, VP_IDS_ACCOUNT_LEN + 1, "6000000000%02u", (unsigned)(i % 100));
}

/* Whether the burst revokes account i after granting it. */
static bool revoked(size_t i)
{
	return i % 3 == 0;
}

static struct vp_grants *grants_handle(struct world *w)
{
	return vp_test_grants_new(w->hub, w->reg, VP_BROKER_DEFAULT_TRUST_QUOTA, 0,
				  (const char *const[]){ROLE1, ROLE2},
				  (const char *const[]){ROLE1_ARN, ROLE2_ARN});
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	assert_int_equal(vp_test_awsenv_reset(&env), 0);
	w->hub = vp_test_aws_client(&env, HUB_KEY, HUB_SECRET, NULL, 0.002);
	vp_test_create_peer_roles(w->hub, HUB, (const char *const[]){ROLE1, ROLE2}, 2);
	w->reg = vp_test_registry_new("vpcpeer-grants", w->dir, NULL, 0);
	w->brokers[0] = grants_handle(w);
	w->brokers[1] = grants_handle(w);
}

static void world_free(struct world *w)
{
	vp_grants_free(w->brokers[0]);
	vp_grants_free(w->brokers[1]);
	vp_registry_close(w->reg);
	vp_aws_client_free(w->hub);
	vp_test_registry_remove(w->dir);
}

/*
 * One worker: grants its accounts one after another, alternating the two brokers and the
 * preferred role, and revokes every third through the other broker right after.
 */
static void *work(void *arg)
{
	struct worker *k = arg;
	struct vp_error err;

	for (size_t i = k->index; i < ACCOUNTS; i += WORKERS) {
		char account[VP_IDS_ACCOUNT_LEN + 1];
		struct vp_grants *g = k->w->brokers[i % 2];
		size_t role = 0;
		bool removed = false;

		account_id(i, account);
		if (vp_grants_add(g, account, (int)((i / 2) % 2), "rid-burst", &role, NULL, &err) !=
		    VP_OK) {
			snprintf(k->failure, sizeof(k->failure), "add %s: %s", account,
				 err.message);
			return NULL;
		}
		if (!revoked(i))
			continue;
		g = k->w->brokers[(i + 1) % 2];
		/* Whether it says it removed the account is not the test: the document is. */
		if (vp_grants_remove(g, account, role, "rid-burst", &removed, &err) != VP_OK) {
			snprintf(k->failure, sizeof(k->failure), "remove %s: %s", account,
				 err.message);
			return NULL;
		}
	}
	return NULL;
}

/* The accounts in the broker's statement of the role's trust policy, as IAM stores it. */
static size_t accounts_in_role(struct world *w, const char *role,
			       char (*out)[VP_IDS_ACCOUNT_LEN + 1], size_t max)
{
	struct vp_aws_iam_role *r = NULL;
	struct vp_trust_policy *policy = NULL;
	struct vp_aws_error aerr;
	size_t count;

	assert_int_equal(vp_aws_iam_get_role(w->hub, role, &r, &aerr), VP_OK);
	assert_int_equal(vp_policy_parse(r->assume_role_policy_document,
					 strlen(r->assume_role_policy_document), &policy, NULL),
			 VP_OK);
	count = vp_policy_accounts(policy, out, max);
	assert_true(count <= max);
	vp_policy_free(policy);
	vp_aws_iam_role_free(r);
	return count;
}

static bool listed(char (*ids)[VP_IDS_ACCOUNT_LEN + 1], size_t count, const char *account)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(ids[i], account) == 0)
			return true;
	return false;
}

static void test_burst_under_stale_reads(void **state)
{
	static const char *const roles[] = {ROLE1, ROLE2};
	static const char *const arns[] = {ROLE1_ARN, ROLE2_ARN};
	struct world w;
	struct worker workers[WORKERS];
	pthread_t threads[WORKERS];
	char in_doc[2][ACCOUNTS][VP_IDS_ACCOUNT_LEN + 1];
	size_t in_doc_count[2], wrong = 0;
	(void)state;

	world_init(&w);
	/* Every GetRole during the burst answers the document before the role's last update. */
	vp_test_awsenv_post(&env, "/_awsenv/config", "{\"iam_stale_read_window\": 600}");
	for (size_t i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){.w = &w, .index = i};
		assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
	}
	for (size_t i = 0; i < WORKERS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	for (size_t i = 0; i < WORKERS; i++)
		if (workers[i].failure[0])
			fail_msg("%s", workers[i].failure);

	/* The window over: IAM's stored documents. */
	vp_test_awsenv_post(&env, "/_awsenv/config", "{\"iam_stale_read_window\": 0}");
	for (size_t r = 0; r < 2; r++)
		in_doc_count[r] = accounts_in_role(&w, roles[r], in_doc[r], ACCOUNTS);
	for (size_t i = 0; i < ACCOUNTS; i++) {
		char account[VP_IDS_ACCOUNT_LEN + 1];
		struct vp_account_record acct;
		struct vp_error err;
		int where = -1;

		account_id(i, account);
		assert_int_equal(vp_registry_account_get(w.reg, account, &acct, &err), VP_OK);
		for (size_t r = 0; r < 2; r++) {
			bool there = listed(in_doc[r], in_doc_count[r], account);
			bool granted = acct.granted && strcmp(acct.peer_role_arn, arns[r]) == 0;

			if (there != granted && ++wrong)
				print_message(
					"account %s: %s's trust policy %s it, the registry %s",
					account, roles[r], there ? "names" : "lacks",
					granted ? "grants it there\n"
						: "does not grant it there\n");
			if (there)
				where = (int)r;
		}
		/* And the registry says what the burst did. */
		if ((revoked(i) ? where >= 0 : where < 0) && ++wrong)
			print_message("account %s is %s after the burst\n", account,
				      where >= 0 ? "still granted" : "not granted");
	}
	if (wrong)
		fail_msg("%zu mismatches between the trust policies and the registry", wrong);
	assert_int_equal(in_doc_count[0] + in_doc_count[1],
			 ACCOUNTS - (ACCOUNTS + 2) / 3); /* every account but the revoked */
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_under_stale_reads),
	};

	return vp_test_awsenv_main("test_grants_stale", "grants_stale", &env, tests,
				   sizeof(tests) / sizeof(tests[0]));
}
