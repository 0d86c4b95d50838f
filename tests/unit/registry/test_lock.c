/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Named locks (vp_registry_lock) and the small calls the broker adds
 * (vp_registry_set_peer_role, vp_registry_count_states), once per backend
 * (argv[1]: sqlite or postgres):
 * - threads taking one name never overlap; with PostgreSQL, also threads of
 *   two handles (two brokers) on one database;
 * - another name is not blocked; a held name times out with VP_ERR_UNAVAILABLE
 *   (in-process, and on PostgreSQL through the advisory lock of another handle);
 * - bad names are refused.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry_test.h"

#define THREADS 6
#define ROUNDS  40

struct shared {
	struct vp_registry *regs[2];
	int inside; /* holders inside the critical section: must stay <= 1 */
	int overlaps;
	long counter; /* read-modify-written under the lock only */
	int failures;
	pthread_mutex_t mu; /* guards inside/overlaps/failures, not counter */
};

struct worker {
	struct shared *sh;
	int index;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	struct vp_registry *reg = sh->regs[w->index % 2] ? sh->regs[w->index % 2] : sh->regs[0];

	for (int i = 0; i < ROUNDS; i++) {
		struct vp_registry_lock *lock = NULL;
		struct vp_error err;
		long v;

		if (vp_registry_lock(reg, "trust:vpcpeer-peer-1", 30000, &lock, &err) != VP_OK) {
			pthread_mutex_lock(&sh->mu);
			sh->failures++;
			pthread_mutex_unlock(&sh->mu);
			continue;
		}
		pthread_mutex_lock(&sh->mu);
		if (++sh->inside > 1)
			sh->overlaps++;
		pthread_mutex_unlock(&sh->mu);
		v = __atomic_load_n(&sh->counter, __ATOMIC_SEQ_CST);
		sched_yield();
		__atomic_store_n(&sh->counter, v + 1, __ATOMIC_SEQ_CST);
		pthread_mutex_lock(&sh->mu);
		sh->inside--;
		pthread_mutex_unlock(&sh->mu);
		vp_registry_unlock(lock);
	}
	return NULL;
}

static struct vp_registry *open_second(const char *url)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	reg_test_options(&opts);
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		fail_msg("open %s: %s", url, err.message);
	return reg;
}

static void test_mutual_exclusion(void **state)
{
	struct vp_registry_options opts;
	struct shared sh = {0};
	struct worker workers[THREADS];
	pthread_t threads[THREADS];
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	sh.regs[0] = reg_test_open(&opts, url, sizeof(url));
	/* Two brokers on one database: only PostgreSQL promises exclusion across handles. */
	if (reg_test_postgres())
		sh.regs[1] = open_second(url);
	pthread_mutex_init(&sh.mu, NULL);
	for (int i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){&sh, i};
		assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(threads[i], NULL);
	assert_int_equal(sh.failures, 0);
	assert_int_equal(sh.overlaps, 0);
	assert_int_equal(sh.counter, THREADS * ROUNDS);
	pthread_mutex_destroy(&sh.mu);
	vp_registry_close(sh.regs[1]);
	vp_registry_close(sh.regs[0]);
}

static void test_names_timeout_and_bad_names(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg, *other;
	struct vp_registry_lock *a = NULL, *b = NULL, *again = NULL;
	struct vp_error err;
	char url[1024], long_name[VP_REGISTRY_LOCK_NAME_MAX + 2];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(vp_registry_lock(reg, "trust:a", 1000, &a, &err), VP_OK);
	/* another name is free */
	assert_int_equal(vp_registry_lock(reg, "trust:b", 1000, &b, &err), VP_OK);
	/* the same name, in-process: times out */
	assert_int_equal(vp_registry_lock(reg, "trust:a", 50, &again, &err), VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "trust:a"));
	assert_null(again);
	if (reg_test_postgres()) {
		/* another broker: waits on the advisory lock, then times out */
		other = open_second(url);
		assert_int_equal(vp_registry_lock(other, "trust:a", 200, &again, &err),
				 VP_ERR_UNAVAILABLE);
		assert_non_null(strstr(err.message, "trust:a"));
		assert_int_equal(vp_registry_lock(other, "trust:c", 1000, &again, &err), VP_OK);
		vp_registry_unlock(again);
		again = NULL;
		vp_registry_unlock(a);
		/* released: the other broker gets it now */
		assert_int_equal(vp_registry_lock(other, "trust:a", 1000, &again, &err), VP_OK);
		vp_registry_unlock(again);
		vp_registry_close(other);
		a = NULL;
	}
	vp_registry_unlock(a);
	vp_registry_unlock(b);
	vp_registry_unlock(NULL);
	/* free again after unlock */
	assert_int_equal(vp_registry_lock(reg, "trust:a", 50, &a, &err), VP_OK);
	vp_registry_unlock(a);

	assert_int_equal(vp_registry_lock(reg, "", 50, &a, &err), VP_ERR_INVALID);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(vp_registry_lock(reg, long_name, 50, &a, &err), VP_ERR_INVALID);
	vp_registry_close(reg);
}

static void test_peer_role_and_counts(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_namespace_record rec, got;
	struct vp_event_record events[8];
	int64_t counts[VP_NS_STATE_COUNT];
	size_t count = 0;
	bool created;
	struct vp_error err;
	char url[1024];
	const char *arn = "arn:aws:iam::111111111111:role/vpcpeer-peer-2";
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(vp_registry_count_states(reg, counts, &err), VP_OK);
	for (int s = 0; s < VP_NS_STATE_COUNT; s++)
		assert_int_equal(counts[s], 0);
	assert_int_equal(vp_registry_set_peer_role(reg, 1, arn, "r0", NULL, &err),
			 VP_ERR_NOT_FOUND);
	for (int i = 0; i < 3; i++) {
		char ref[16];
		snprintf(ref, sizeof(ref), "ref-%d", i);
		assert_int_equal(vp_registry_allocate(reg, "222222222222", ref, NULL, "r1", 0, &rec,
						      &created, &err),
				 VP_OK);
	}
	assert_int_equal(vp_registry_set_peer_role(reg, 1, arn, "r2", &got, &err), VP_OK);
	assert_string_equal(got.peer_role_arn, arn);
	assert_int_equal(got.state, VP_NS_PENDING);
	assert_int_equal(vp_registry_get(reg, 1, &got, &err), VP_OK);
	assert_string_equal(got.peer_role_arn, arn);
	assert_string_equal(got.request_id, "r2");
	assert_int_equal(vp_registry_events(reg, 1, 0, events, 8, &count, &err), VP_OK);
	assert_int_equal(count, 2);
	assert_string_equal(events[1].type, "peer_role");
	assert_non_null(strstr(events[1].detail, "vpcpeer-peer-2"));
	assert_int_equal(vp_registry_set_peer_role(reg, 1, "bad\narn", "r", NULL, &err),
			 VP_ERR_INVALID);

	assert_int_equal(vp_registry_transition(reg, 2, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_ACTIVE, NULL, "r3", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(reg, 3, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "r4", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_count_states(reg, counts, &err), VP_OK);
	assert_int_equal(counts[VP_NS_PENDING], 1);
	assert_int_equal(counts[VP_NS_ACTIVE], 1);
	assert_int_equal(counts[VP_NS_RELEASING], 1);
	assert_int_equal(counts[VP_NS_FAILED], 0);
	assert_int_equal(vp_registry_transition(reg, 3, VP_NS_STATE_BIT(VP_NS_RELEASING),
						VP_NS_RELEASED, NULL, "r5", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_count_states(reg, counts, &err), VP_OK);
	assert_int_equal(counts[VP_NS_RELEASING], 0);
	assert_int_equal(counts[VP_NS_RELEASED], 0);
	/* a released namespace has no live record to set */
	assert_int_equal(vp_registry_set_peer_role(reg, 3, arn, "r6", NULL, &err),
			 VP_ERR_NOT_FOUND);
	vp_registry_close(reg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutual_exclusion),
		cmocka_unit_test(test_names_timeout_and_bad_names),
		cmocka_unit_test(test_peer_role_and_counts),
	};
	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
