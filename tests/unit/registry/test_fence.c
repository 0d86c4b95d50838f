/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 23, once per backend (argv[1]): compare-and-set by record, leases
 * with fencing, the readiness heartbeat.
 * - a transition of a record read earlier changes nothing once n holds a
 *   newer record (a lost race), and still moves the record it names;
 * - a lease is taken (epoch 1), renewed only by its holder at its epoch,
 *   refused to another while unexpired, taken over (epoch 2) once expired;
 * - a write carrying a deposed holder's fence is refused, nothing written,
 *   and the fence marked lost; the current holder's fenced write goes through;
 * - the heartbeat writes; a registry that cannot write fails it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry_test.h"

static struct vp_namespace_record allocate(struct vp_registry *reg, const char *ref)
{
	struct vp_namespace_record rec;
	bool created = false;
	struct vp_error err;

	assert_int_equal(
		vp_registry_allocate(reg, "222222222222", ref, NULL, "r", 0, &rec, &created, &err),
		VP_OK);
	assert_true(created);
	return rec;
}

static void release(struct vp_registry *reg, int64_t n)
{
	struct vp_error err;
	assert_int_equal(vp_registry_transition(reg, n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "r", NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_transition(reg, n, VP_NS_STATE_BIT(VP_NS_RELEASING),
						VP_NS_RELEASED, NULL, "r", NULL, &err),
			 VP_OK);
}

/* Defect 1: a stale snapshot of n (record A) must not move n's newer record B. */
static void test_cas_by_record(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_namespace_record a, b, now;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	opts.quarantine_seconds = 0; /* n is handed out again at once */
	reg = reg_test_open(&opts, url, sizeof(url));
	a = allocate(reg, "stack-a");
	release(reg, a.n);
	b = allocate(reg, "stack-b");
	assert_int_equal(b.n, a.n);
	assert_true(b.id != a.id);
	/* the reconciler's snapshot said: record a, pending: release it */
	assert_int_equal(vp_registry_transition_record(reg, a.n, a.id,
						       VP_NS_STATE_BIT(VP_NS_PENDING),
						       VP_NS_RELEASING, NULL, "stale", NULL, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "lost race"));
	assert_int_equal(vp_registry_get(reg, b.n, &now, &err), VP_OK);
	assert_int_equal(now.id, b.id);
	assert_int_equal(now.state, VP_NS_PENDING);
	/* the record it names moves */
	assert_int_equal(vp_registry_transition_record(reg, b.n, b.id,
						       VP_NS_STATE_BIT(VP_NS_PENDING), VP_NS_ACTIVE,
						       NULL, "ok", &now, &err),
			 VP_OK);
	assert_int_equal(now.state, VP_NS_ACTIVE);
	vp_registry_close(reg);
}

static void test_lease(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	int64_t epoch = 0, expires = 0;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	reg_test_now = 1000;
	assert_int_equal(
		vp_registry_lease_take(reg, "reconciler", "a", 15, 0, &epoch, &expires, &err),
		VP_OK);
	assert_int_equal(epoch, 1);
	assert_int_equal(expires, 1015);
	/* b cannot take it while a's is unexpired */
	assert_int_equal(vp_registry_lease_take(reg, "reconciler", "b", 15, 0, &epoch, NULL, &err),
			 VP_ERR_UNAVAILABLE);
	assert_non_null(strstr(err.message, "held by a"));
	/* a renews */
	reg_test_now = 1010;
	assert_int_equal(
		vp_registry_lease_take(reg, "reconciler", "a", 15, 1, &epoch, &expires, &err),
		VP_OK);
	assert_int_equal(epoch, 1);
	assert_int_equal(expires, 1025);
	/* a stops renewing; once expired, b takes over with the next epoch */
	reg_test_now = 1025;
	assert_int_equal(vp_registry_lease_take(reg, "reconciler", "b", 15, 0, &epoch, NULL, &err),
			 VP_OK);
	assert_int_equal(epoch, 2);
	/* a's renewal of epoch 1 is refused: lost */
	assert_int_equal(vp_registry_lease_take(reg, "reconciler", "a", 15, 1, &epoch, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "lost"));
	/* given back, it is free at once */
	assert_int_equal(vp_registry_lease_end(reg, "reconciler", "b", 2, &err), VP_OK);
	assert_int_equal(vp_registry_lease_take(reg, "reconciler", "a", 15, 0, &epoch, NULL, &err),
			 VP_OK);
	assert_int_equal(epoch, 3);
	vp_registry_close(reg);
}

/* Defect 3: a deposed leader that does not know yet changes nothing. */
static void test_fenced_write(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_namespace_record rec, now;
	struct vp_registry_fence old, cur;
	int64_t epoch = 0;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	reg_test_now = 2000;
	rec = allocate(reg, "stack-f");
	memset(&old, 0, sizeof(old));
	memset(&cur, 0, sizeof(cur));
	snprintf(old.name, sizeof(old.name), "reconciler");
	snprintf(old.holder, sizeof(old.holder), "old-leader");
	assert_int_equal(
		vp_registry_lease_take(reg, old.name, old.holder, 15, 0, &epoch, NULL, &err),
		VP_OK);
	old.epoch = epoch;
	/* the old leader's session stalls past its lease; another broker takes over */
	reg_test_now = 2020;
	cur = old;
	snprintf(cur.holder, sizeof(cur.holder), "new-leader");
	assert_int_equal(
		vp_registry_lease_take(reg, cur.name, cur.holder, 15, 0, &epoch, NULL, &err),
		VP_OK);
	cur.epoch = epoch;
	assert_true(cur.epoch > old.epoch);
	/* the old one finishes its pass anyway: its write is refused */
	vp_registry_fence_set(&old);
	assert_int_equal(vp_registry_transition(reg, rec.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "old-pass", NULL, &err),
			 VP_ERR_CONFLICT);
	vp_registry_fence_set(NULL);
	assert_non_null(strstr(err.message, "fenced"));
	assert_true(atomic_load(&old.lost));
	assert_int_equal(vp_registry_get(reg, rec.n, &now, &err), VP_OK);
	assert_int_equal(now.state, VP_NS_PENDING);
	/* the current leader's write goes through */
	vp_registry_fence_set(&cur);
	assert_int_equal(vp_registry_transition(reg, rec.n, VP_NS_STATE_BIT(VP_NS_PENDING),
						VP_NS_RELEASING, NULL, "new-pass", NULL, &err),
			 VP_OK);
	vp_registry_fence_set(NULL);
	assert_false(atomic_load(&cur.lost));
	vp_registry_close(reg);
}

/* Defect 2: the reconciler's "granted" from a trust policy read at T changes nothing when the
 * account's row changed at or after T (a revocation in between). */
static void test_account_cas(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_account_record acct;
	struct vp_error err;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	reg_test_now = 5000;
	/* the reconciler reads the policy at 5000 (account listed); then, still at 5000, the
	 * last namespace's release revokes the account */
	assert_int_equal(vp_registry_account_upsert(reg, "222222222222", "arn:role-a", false, "rev",
						    NULL, &err),
			 VP_OK);
	assert_int_equal(vp_registry_account_upsert_since(reg, "222222222222", "arn:role-a", true,
							  "reconcile", 5000, NULL, &err),
			 VP_ERR_CONFLICT);
	assert_non_null(strstr(err.message, "lost race"));
	assert_int_equal(vp_registry_account_get(reg, "222222222222", &acct, &err), VP_OK);
	assert_false(acct.granted);
	/* a policy read after the change may set it */
	reg_test_now = 5001;
	assert_int_equal(vp_registry_account_upsert_since(reg, "222222222222", "arn:role-a", true,
							  "reconcile", 5001, &acct, &err),
			 VP_OK);
	assert_true(acct.granted);
	vp_registry_close(reg);
}

/* Defect 6 (registry half): the heartbeat is a write; it fails when writes fail. */
static void test_heartbeat(void **state)
{
	struct vp_registry_options opts;
	struct vp_registry *reg;
	struct vp_error err;
	int64_t live = 0;
	char url[1024];
	(void)state;

	reg_test_options(&opts);
	reg = reg_test_open(&opts, url, sizeof(url));
	assert_int_equal(vp_registry_heartbeat(reg, "broker:test", &err), VP_OK);
	assert_int_equal(vp_registry_heartbeat(reg, "broker:test", &err), VP_OK); /* upsert */
	/* writes now fail (as on a full disk) while reads still work */
	if (reg_test_postgres())
		reg_test_sql(url,
			     "CREATE FUNCTION vp_full() RETURNS trigger LANGUAGE plpgsql AS $$ "
			     "BEGIN RAISE EXCEPTION 'could not extend file: No space left on "
			     "device'; END $$; CREATE TRIGGER full_disk BEFORE INSERT OR UPDATE ON "
			     "heartbeats FOR EACH ROW EXECUTE FUNCTION vp_full()",
			     true);
	else
		reg_test_sql(
			url,
			"CREATE TRIGGER full_ins BEFORE INSERT ON heartbeats BEGIN SELECT "
			"RAISE(ABORT, 'database or disk is full'); END; CREATE TRIGGER full_upd "
			"BEFORE UPDATE ON heartbeats BEGIN SELECT RAISE(ABORT, 'database or "
			"disk is full'); END",
			true);
	assert_int_equal(vp_registry_count_live(reg, &live, &err), VP_OK);
	assert_int_not_equal(vp_registry_heartbeat(reg, "broker:test", &err), VP_OK);
	vp_registry_close(reg);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cas_by_record), cmocka_unit_test(test_lease),
		cmocka_unit_test(test_fenced_write),  cmocka_unit_test(test_heartbeat),
		cmocka_unit_test(test_account_cas),
	};

	reg_test_setup(argc, argv);
	return cmocka_run_group_tests_name(reg_test_backend(), tests, NULL, NULL);
}
