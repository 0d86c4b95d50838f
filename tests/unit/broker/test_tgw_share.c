/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The share's principals batched (issue 16; broker/tgw_share.c) against a
 * scripted AWS: concurrent registrations of new accounts make fewer
 * AssociateResourceShare calls than registrations, each account named once;
 * a failed batch fails each of its registrations with AWS's error and leaves
 * nothing allocated; one account RAM refuses does not fail the others; a
 * removal is made only when the account has no live namespace, and
 * concurrent removals share one DisassociateResourceShare.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/tgw.h"
#include "core/clock.h"
#include "tgw_fixture.h"

/* ---- the world ---- */

#define ACCOUNTS 8
static char allowed[5][ACCOUNTS][16];

/* The accounts of the tests below allowed: 5X000000000I, X a test, I a caller. */
static void allow_accounts(struct fx *f)
{
	f->cfg.allow_account_count = 0;
	for (size_t x = 0; x < 5; x++)
		for (size_t i = 0; i < ACCOUNTS; i++) {
			snprintf(allowed[x][i], sizeof(allowed[x][i]), "5%zu00000000%02zu", x, i);
			f->cfg.allow_accounts[f->cfg.allow_account_count++] = allowed[x][i];
		}
}

static int setup_share(void **state)
{
	return tfx_setup_with(state, allow_accounts);
}

/* ---- concurrent requests ---- */

#define N ACCOUNTS

struct caller {
	struct fx *f;
	char account[16];
	char ref[32];
	int64_t n; /* release: the namespace */
	vp_code code;
	struct vp_error err;
	struct vp_registration reg;
};

static void *run_register(void *arg)
{
	struct caller *c = arg;

	c->code = tfx_register(c->f, c->account, c->ref, "", &c->reg, &c->err);
	return NULL;
}

static void *run_release(void *arg)
{
	struct caller *c = arg;
	struct vp_identity id = fx_caller(c->account);

	c->code = vp_broker_release(c->f->broker, &id, c->n, NULL, "rid-release", &c->reg, &c->err);
	return NULL;
}

/*
 * Another broker holds the share's lock: the first caller leads a batch of its own change
 * and waits for the lock; the others queue behind it. Returns once all n changes are queued
 * or taken, then lets the lock go and joins the threads.
 */
static void run_all(struct fx *f, struct caller *c, size_t n, void *(*fn)(void *))
{
	struct vp_broker_tgw *t = f->broker->tgw;
	struct vp_registry_lock *held = NULL;
	pthread_t threads[N + 1];
	struct vp_error err;

	assert_true(n <= N + 1);
	assert_int_equal(vp_registry_lock(f->reg, t->share_lock, 1000, &held, &err), VP_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, fn, &c[i]), 0);
	for (int64_t end = vp_clock_monotonic_ms() + 20000;;) {
		size_t k;
		bool leading;

		if (vp_clock_monotonic_ms() > end)
			fail_msg("the changes never queued (a caller failed before its change?)");

		pthread_mutex_lock(&t->share_mu);
		k = t->queued + t->in_batch;
		leading = t->leading;
		pthread_mutex_unlock(&t->share_mu);
		if (leading && k == n)
			break;
		vp_clock_sleep_ms(2); /* polling the queue, the event awaited */
	}
	vp_registry_unlock(held);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
}

static void callers(struct fx *f, struct caller *c, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].f = f;
		/* two digits: the callers of one test number under 100 (ACCOUNTS) */
		snprintf(c[i].account, sizeof(c[i].account), "%.10s%02u", prefix,
			 (unsigned)(i % 100));
		snprintf(c[i].ref, sizeof(c[i].ref), "stack-%zu", i);
	}
}

/* How many requests to `path` name `account` as a principal. */
static size_t named(struct fx *f, const char *path, const char *account)
{
	char quoted[32];
	size_t k = 0;

	snprintf(quoted, sizeof(quoted), "\"%s\"", account);
	for (size_t i = 0; i < fx_count(f); i++) {
		struct stub_request r = stub_request_at(f->stub, i);
		k += strcmp(r.path, path) == 0 && strstr(r.body, quoted) != NULL;
	}
	return k;
}

static size_t succeeded(const struct caller *c, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += c[i].code == VP_OK;
	return k;
}

/* N registrations of new accounts: two calls (the leader's own, then all the others). */
static void test_concurrent_registrations_batched(void **state)
{
	struct fx *f = *state;
	struct caller c[N];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5000000000");
	run_all(f, c, N, run_register);
	for (size_t i = 0; i < N; i++) {
		if (c[i].code != VP_OK)
			fail_msg("register %s: %s", c[i].account, c[i].err.message);
		assert_int_equal(named(f, "/associateresourceshare", c[i].account), 1);
	}
	assert_int_equal(tfx_count_path(f, "/associateresourceshare"), 2);
	assert_int_equal(fx_count(f), 2);
	assert_int_equal(f->broker->tgw->principals, N);
	assert_int_equal(tfx_live(f), N);
}

/* The batch's call fails (RAM unavailable): each of its registrations fails with AWS's
 * error, and its namespace is taken back. */
static void test_failed_batch_fails_each(void **state)
{
	struct fx *f = *state;
	struct caller c[N];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 200,
		"{\"resourceShareAssociations\":[]}");
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 503,
		"{\"__type\":\"ServiceUnavailableException\",\"message\":\"RAM is down\"}");
	callers(f, c, N, "5100000000");
	run_all(f, c, N, run_register);
	assert_int_equal(succeeded(c, N), 1);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			assert_non_null(strstr(c[i].err.message, "RAM is down"));
	assert_int_equal(tfx_count_path(f, "/associateresourceshare"), 2);
	assert_int_equal(tfx_live(f), 1); /* nothing half-recorded */
	assert_int_equal(f->broker->tgw->principals, 1);
}

/* RAM refuses the batch for one account (an outsider): each account alone, so only that
 * registration fails. */
static void test_one_refused_account_fails_alone(void **state)
{
	struct fx *f = *state;
	struct caller c[N];
	const char *refused = "{\"__type\":\"OperationNotPermittedException\",\"message\":"
			      "\"account outside the organization\"}";

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 200,
		"{\"resourceShareAssociations\":[]}");
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400, refused); /* the batch */
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400, refused); /* one alone */
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5200000000");
	run_all(f, c, N, run_register);
	assert_int_equal(succeeded(c, N), N - 1);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			assert_non_null(strstr(c[i].err.message, "outside the organization"));
	/* the leader's own, the batch, then each of the batch's N - 1 alone */
	assert_int_equal(tfx_count_path(f, "/associateresourceshare"), 2 + (N - 1));
	assert_int_equal(tfx_live(f), N - 1);
}

/* RAM says the share is full: the registration is refused naming the quota, nothing kept. */
static void test_full_share_refused(void **state)
{
	struct fx *f = *state;
	struct caller c[1];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", 1, 400,
		"{\"__type\":\"ResourceShareLimitExceededException\",\"message\":\"too many "
		"principals\"}");
	callers(f, c, 1, "5400000000");
	run_register(&c[0]);
	assert_int_equal(c[0].code, VP_ERR_EXHAUSTED);
	assert_non_null(strstr(c[0].err.message, "is full"));
	assert_non_null(strstr(c[0].err.message, "Service Quotas"));
	assert_int_equal(tfx_count_path(f, "/associateresourceshare"), 1);
	assert_int_equal(tfx_live(f), 0);
	assert_int_equal(f->broker->tgw->principals, 0);
}

/* Concurrent releases: one DisassociateResourceShare for the accounts with no live namespace
 * left; the account with another live namespace keeps its principal. */
static void test_concurrent_removals_batched(void **state)
{
	struct fx *f = *state;
	struct caller c[N + 1];
	struct vp_registration other;
	struct vp_error err;
	char body[512];

	stub_reset(f->stub);
	stub_on(f->stub, "POST", "/associateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	callers(f, c, N, "5300000000");
	for (size_t i = 0; i < N; i++) {
		if (tfx_register(f, c[i].account, c[i].ref, "", &c[i].reg, &c[i].err) != VP_OK)
			fail_msg("register: %s", c[i].err.message);
		c[i].n = c[i].reg.record.n;
	}
	if (tfx_register(f, c[0].account, "stack-other", "", &other, &err) != VP_OK)
		fail_msg("register: %s", err.message);
	assert_int_equal(f->broker->tgw->principals, N);
	stub_reset(f->stub);
	snprintf(body, sizeof(body),
		 "<SearchTransitGatewayRoutesResponse" NS "><requestId>r</requestId><routeSet>"
		 "</routeSet><additionalRoutesAvailable>false</additionalRoutesAvailable>"
		 "</SearchTransitGatewayRoutesResponse>");
	stub_on(f->stub, "POST", "/", -1, 200, body);
	stub_on(f->stub, "POST", "/disassociateresourceshare", -1, 200,
		"{\"resourceShareAssociations\":[]}");
	run_all(f, c, N, run_release);
	for (size_t i = 0; i < N; i++)
		if (c[i].code != VP_OK)
			fail_msg("release %s: %s", c[i].account, c[i].err.message);
	assert_int_equal(named(f, "/disassociateresourceshare", c[0].account), 0);
	for (size_t i = 1; i < N; i++)
		assert_int_equal(named(f, "/disassociateresourceshare", c[i].account), 1);
	/* at most the leader's own and one batch (the leader's may be account 0's: none) */
	assert_true(tfx_count_path(f, "/disassociateresourceshare") <= 2);
	assert_int_equal(f->broker->tgw->principals, 1);
	assert_int_equal(tfx_live(f), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_concurrent_registrations_batched, setup_share,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_failed_batch_fails_each, setup_share,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_one_refused_account_fails_alone, setup_share,
						tfx_teardown),
		cmocka_unit_test_setup_teardown(test_full_share_refused, setup_share, tfx_teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_removals_batched, setup_share,
						tfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
