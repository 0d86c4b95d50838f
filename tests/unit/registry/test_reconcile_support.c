/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the reconciler needs from the registry, once per backend (argv[1]):
 * - vp_registry_set_intent: confirm's peering and VPC recorded on a pending
 *   namespace before its routes (with an "intent" event), refused otherwise;
 *   vp_registry_clear_intent: cleared again while it names the given peering;
 * - the leader lock "reconciler": one holder among two handles (two brokers;
 *   PostgreSQL), a second broker's try times out at once, and when the holder's
 *   process dies without unlocking (SIGKILL) the lock passes to the other.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry_test.h"

static void test_intent(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_namespace_record rec, got;
	struct vp_event_record events[8];
	size_t count = 0;
	bool created;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(vp_registry_set_intent(reg, 1, "pcx-1", "vpc-1", "r0", NULL, &err),
			 VP_ERR_CONFLICT);
	assert_int_equal(vp_registry_allocate(reg, "222222222222", "ref", NULL, "r1", 0, &rec,
					      &created, &err),
			 VP_OK);
	assert_int_equal(vp_registry_set_intent(reg, 1, "", "vpc-1", "r0", NULL, &err),
			 VP_ERR_INVALID);
	assert_int_equal(vp_registry_set_intent(reg, 1, "pcx-0abc", "vpc-0def", "r2", &got, &err),
			 VP_OK);
	assert_int_equal(got.state, VP_NS_PENDING);
	assert_string_equal(got.peering_id, "pcx-0abc");
	assert_string_equal(got.vpc_id, "vpc-0def");
	/* bookkeeping only: the record clients see keeps its last change */
	assert_int_equal(got.updated_at, rec.updated_at);
	assert_string_equal(got.request_id, "r1");
	assert_int_equal(vp_registry_get(reg, 1, &got, &err), VP_OK);
	assert_string_equal(got.peering_id, "pcx-0abc");
	assert_int_equal(vp_registry_events(reg, 1, 0, events, 8, &count, &err), VP_OK);
	assert_int_equal(count, 2);
	assert_string_equal(events[1].type, "intent");
	assert_string_equal(events[1].request_id, "r2");
	assert_non_null(strstr(events[1].detail, "pcx-0abc"));
	/* again (a retried confirm, another peering): replaced */
	assert_int_equal(vp_registry_set_intent(reg, 1, "pcx-0bbb", "vpc-0def", "r3", &got, &err),
			 VP_OK);
	assert_string_equal(got.peering_id, "pcx-0bbb");
	/* cleared only while it names the refused peering (compare-and-clear) */
	assert_int_equal(vp_registry_clear_intent(reg, 1, "pcx-0abc", "r3b", &err), VP_OK);
	assert_int_equal(vp_registry_get(reg, 1, &got, &err), VP_OK);
	assert_string_equal(got.peering_id, "pcx-0bbb");
	assert_int_equal(vp_registry_clear_intent(reg, 1, "pcx-0bbb", "r3c", &err), VP_OK);
	assert_int_equal(vp_registry_get(reg, 1, &got, &err), VP_OK);
	assert_string_equal(got.peering_id, "");
	assert_string_equal(got.vpc_id, "");
	assert_int_equal(vp_registry_events(reg, 1, 0, events, 8, &count, &err), VP_OK);
	assert_int_equal(count, 4);
	assert_string_equal(events[3].type, "intent_cleared");
	assert_int_equal(vp_registry_clear_intent(reg, 1, "", "r3d", &err), VP_ERR_INVALID);
	assert_int_equal(vp_registry_set_intent(reg, 1, "pcx-0bbb", "vpc-0def", "r3e", &got, &err),
			 VP_OK);
	/* active: no more intents */
	assert_int_equal(vp_registry_transition(reg, 1, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_ACTIVE, NULL, "r4", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_set_intent(reg, 1, "pcx-0ccc", "vpc-0def", "r5", NULL, &err),
			 VP_ERR_CONFLICT);
	vp_registry_close(reg);
}

static struct vp_registry *open_url(const char *url)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	reg_test_options(&opts);
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		fail_msg("open: %s", err.message);
	return reg;
}

static void test_leader_lock(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *a, *b;
	struct vp_registry_lock *la = NULL, *lb = NULL;
	struct vp_error err;
	char url[1024];
	int pipefd[2], status;
	pid_t child;
	char c;
	(void)state;

	reg_test_options(&opts);
	a = reg_test_open(&opts, url, sizeof(url));
	/* in one process (one broker): a second try fails at once */
	assert_int_equal(vp_registry_lock(a, "reconciler", 200, &la, &err), VP_OK);
	assert_int_equal(vp_registry_lock(a, "reconciler", 50, &lb, &err), VP_ERR_UNAVAILABLE);
	vp_registry_unlock(la);
	la = NULL;
	if (!reg_test_postgres()) {
		vp_registry_close(a);
		return; /* across processes only PostgreSQL excludes (docs/registry.md) */
	}
	/* two brokers: one leads, the other's try times out; unlocked, the other leads */
	b = open_url(url);
	assert_int_equal(vp_registry_lock(a, "reconciler", 200, &la, &err), VP_OK);
	assert_int_equal(vp_registry_lock(b, "reconciler", 200, &lb, &err), VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "reconciler"));
	vp_registry_unlock(la);
	assert_int_equal(vp_registry_lock(b, "reconciler", 2000, &lb, &err), VP_OK);
	vp_registry_unlock(lb);
	lb = NULL;

	/* a leader that dies (SIGKILL, no unlock) hands the job on */
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct vp_registry *mine = open_url(url);
		struct vp_registry_lock *l = NULL;
		close(pipefd[0]);
		if (vp_registry_lock(mine, "reconciler", 5000, &l, NULL) != VP_OK)
			_exit(3);
		(void)!write(pipefd[1], "L", 1);
		for (;;)
			pause(); /* killed holding it */
	}
	close(pipefd[1]);
	assert_int_equal(read(pipefd[0], &c, 1), 1); /* the child leads */
	close(pipefd[0]);
	assert_int_equal(vp_registry_lock(b, "reconciler", 200, &lb, &err), VP_ERR_UNAVAILABLE);
	kill(child, SIGKILL);
	assert_int_equal(waitpid(child, &status, 0), child);
	/* the dead broker's lock row expires (VP_REGISTRY_LOCK_ROW_TTL, 15 s) */
	assert_int_equal(vp_registry_lock(b, "reconciler", 20000, &lb, &err), VP_OK);
	vp_registry_unlock(lb);
	vp_registry_close(b);
	vp_registry_close(a);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intent),
		cmocka_unit_test(test_leader_lock),
	};

	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
