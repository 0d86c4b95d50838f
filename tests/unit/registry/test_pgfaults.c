/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Issue 23 on a PostgreSQL cluster of its own (tests/support/pg_cluster.sh,
 * path in $VP_TEST_PG_CLUSTER; skipped when PostgreSQL or pgbouncer is not
 * installed):
 * - after a restart of the server, the next read and the next write succeed:
 *   a connection lost before COMMIT is tried again once on a fresh one, and
 *   idle pooled connections are checked when borrowed (defect 5);
 * - through PgBouncer in transaction pooling mode with a pool of 4, two
 *   registries (two brokers) finish 20 registrations: allocate, take the
 *   namespace's named lock, activate, unlock; plus the leader lease. No
 *   session state (advisory session locks, SET, prepared statements) may be
 *   relied on (defect 4). The time is printed, not asserted.
 * - a lock given back while the server is away leaves its row: its own handle
 *   takes it back at once, and the handle's keeper, still renewing its other
 *   locks, does not keep that row alive, so another handle gets it once it
 *   expires (the fault suite's pg_outage froze both brokers on such a row);
 * - brokers creating one lease row at once: one takes it, the others are
 *   told it is held, none fails on the primary key (pg_restart, at start-up).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "registry/registry.h"

static char state_file[512], dir[512], url[1024], bouncer_url[1024];
static pid_t bouncer_pid;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void read_line(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)size, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static struct vp_registry *open_reg(const char *u)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	vp_registry_options_init(&opts);
	opts.pool_size = 4;
	if (vp_registry_open(u, &opts, &reg, &err) != VP_OK)
		fail_msg("open %s: %s", u, err.message);
	return reg;
}

static void test_restart(void **state)
{
	struct vp_registry *reg = open_reg(url);
	struct vp_namespace_record rec;
	bool created = false;
	int64_t live = 0;
	struct vp_error err;
	(void)state;

	/* connections in the pool and the writer, all healthy */
	assert_int_equal(vp_registry_allocate(reg, "222222222222", "before", NULL, "r1", 0, &rec,
					      &created, &err),
			 VP_OK);
	assert_int_equal(vp_registry_count_live(reg, &live, &err), VP_OK);
	assert_int_equal(sh("bash '%s' restart '%s'", getenv("VP_TEST_PG_CLUSTER"), state_file), 0);
	/* the server is back: the very next calls succeed */
	if (vp_registry_count_live(reg, &live, &err) != VP_OK)
		fail_msg("read after restart: %s", err.message);
	assert_int_equal(live, 1);
	if (vp_registry_allocate(reg, "222222222222", "after", NULL, "r2", 0, &rec, &created,
				 &err) != VP_OK)
		fail_msg("write after restart: %s", err.message);
	assert_true(created);
	assert_int_equal(vp_registry_get(reg, rec.n, &rec, &err), VP_OK);
	vp_registry_close(reg);
}

struct worker {
	struct vp_registry *reg;
	int index, done;
	char failure[1024];
};

#define PER_WORKER 5
#define WORKERS    4

static void *registrations(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_WORKER; i++) {
		struct vp_namespace_record rec;
		struct vp_registry_lock *lock = NULL;
		char ref[64], name[64];
		bool created = false;
		struct vp_error err;

		snprintf(ref, sizeof(ref), "stack-%d-%d", w->index, i);
		if (vp_registry_allocate(w->reg, "222222222222", ref, NULL, ref, 0, &rec, &created,
					 &err) != VP_OK)
			goto fail;
		snprintf(name, sizeof(name), "namespace:%lld", (long long)rec.n);
		if (vp_registry_lock(w->reg, name, 10000, &lock, &err) != VP_OK)
			goto fail;
		if (vp_registry_transition(w->reg, rec.n, VP_NS_STATE_BIT(VP_NS_PENDING),
					   VP_NS_ACTIVE, NULL, ref, NULL, &err) != VP_OK) {
			vp_registry_unlock(lock);
			goto fail;
		}
		vp_registry_unlock(lock);
		w->done++;
		continue;
	fail:
		snprintf(w->failure, sizeof(w->failure), "%s: %s", ref, err.message);
		return NULL;
	}
	return NULL;
}

static void test_pgbouncer(void **state)
{
	struct vp_registry *regs[2];
	struct worker w[WORKERS];
	pthread_t t[WORKERS];
	int64_t start, live = 0, before = 0, epoch = 0;
	struct vp_error err;
	int total = 0;
	(void)state;

	regs[0] = open_reg(bouncer_url); /* migrates through the pooler too */
	regs[1] = open_reg(bouncer_url);
	assert_int_equal(vp_registry_count_live(regs[0], &before, &err), VP_OK);
	start = vp_clock_monotonic_ms();
	for (int i = 0; i < WORKERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].reg = regs[i % 2];
		w[i].index = i;
		assert_int_equal(pthread_create(&t[i], NULL, registrations, &w[i]), 0);
	}
	for (int i = 0; i < WORKERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].failure[0])
			fail_msg("worker %d: %s", i, w[i].failure);
		total += w[i].done;
	}
	printf("pgbouncer (transaction mode, pool 4): %d registrations from 2 brokers in %lld "
	       "ms\n",
	       total, (long long)(vp_clock_monotonic_ms() - start));
	assert_int_equal(total, WORKERS * PER_WORKER);
	assert_int_equal(vp_registry_count_live(regs[0], &live, &err), VP_OK);
	assert_int_equal(live, before + WORKERS * PER_WORKER);
	/* the leader lease: one broker holds it, the other is refused */
	assert_int_equal(
		vp_registry_lease_take(regs[0], "reconciler", "a", 15, 0, &epoch, NULL, &err),
		VP_OK);
	assert_int_equal(
		vp_registry_lease_take(regs[1], "reconciler", "b", 15, 0, &epoch, NULL, &err),
		VP_ERR_UNAVAILABLE);
	vp_registry_close(regs[1]);
	vp_registry_close(regs[0]);
}

static void server(const char *action)
{
	assert_int_equal(sh("bash '%s' %s '%s'", getenv("VP_TEST_PG_CLUSTER"), action, state_file),
			 0);
}

static void test_give_while_away(void **state)
{
	struct vp_registry *a = open_reg(url), *b = open_reg(url);
	struct vp_registry_lock *kept = NULL, *x = NULL;
	int64_t start;
	struct vp_error err;
	(void)state;

	/* held throughout: the keeper of a keeps renewing a's rows */
	assert_int_equal(vp_registry_lock(a, "test:kept", 5000, &kept, &err), VP_OK);
	assert_int_equal(vp_registry_lock(a, "test:x", 5000, &x, &err), VP_OK);
	server("pause");
	vp_registry_unlock(x); /* the give fails: the row stays, a's own */
	server("resume");
	/* a takes it back without waiting for the row to expire (15 s) */
	if (vp_registry_lock(a, "test:x", 2000, &x, &err) != VP_OK)
		fail_msg("a cannot retake its own orphaned row: %s", err.message);
	server("pause");
	vp_registry_unlock(x);
	server("resume");
	/* b gets it once the row expires: a's keeper renews only what a holds */
	start = vp_clock_monotonic_ms();
	if (vp_registry_lock(b, "test:x", 3 * 15 * 1000, &x, &err) != VP_OK)
		fail_msg("the orphaned row is kept alive: %s", err.message);
	printf("b took the orphaned lock row after %lld ms\n",
	       (long long)(vp_clock_monotonic_ms() - start));
	vp_registry_unlock(x);
	vp_registry_unlock(kept);
	vp_registry_close(b);
	vp_registry_close(a);
}

#define RACERS 6
#define ROUNDS 40

struct racer {
	struct vp_registry *reg;
	pthread_barrier_t *start;
	int index, took[ROUNDS];
	char failure[1024];
};

static void *race_leases(void *arg)
{
	struct racer *r = arg;
	char holder[32], name[64];

	snprintf(holder, sizeof(holder), "racer-%d", r->index);
	for (int i = 0; i < ROUNDS; i++) {
		int64_t epoch = 0;
		struct vp_error err;
		vp_code code;

		snprintf(name, sizeof(name), "race-%d", i);
		pthread_barrier_wait(r->start);
		code = vp_registry_lease_take(r->reg, name, holder, 15, 0, &epoch, NULL, &err);
		if (code == VP_OK)
			r->took[i] = 1;
		else if (code != VP_ERR_UNAVAILABLE && !r->failure[0])
			snprintf(r->failure, sizeof(r->failure), "%s: %s", name, err.message);
	}
	return NULL;
}

static void test_lease_created_together(void **state)
{
	pthread_barrier_t start;
	struct racer r[RACERS];
	pthread_t t[RACERS];
	(void)state;

	assert_int_equal(pthread_barrier_init(&start, NULL, RACERS), 0);
	for (int i = 0; i < RACERS; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].reg = open_reg(url);
		r[i].start = &start;
		r[i].index = i;
	}
	for (int i = 0; i < RACERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_leases, &r[i]), 0);
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < RACERS; i++)
		if (r[i].failure[0])
			fail_msg("racer %d: %s", i, r[i].failure);
	for (int round = 0; round < ROUNDS; round++) {
		int takers = 0;
		for (int i = 0; i < RACERS; i++)
			takers += r[i].took[round];
		if (takers != 1)
			fail_msg("lease race-%d: taken by %d holders", round, takers);
	}
	for (int i = 0; i < RACERS; i++)
		vp_registry_close(r[i].reg);
	pthread_barrier_destroy(&start);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/vpcpeer-pgfaults-XXXXXX", conf[1024];
	const char *script = getenv("VP_TEST_PG_CLUSTER");
	FILE *f;
	(void)state;

	assert_non_null(script);
	assert_non_null(mkdtemp(tmpl));
	snprintf(state_file, sizeof(state_file), "%s/cluster.url", tmpl);
	if (sh("bash '%s' start '%s' >/dev/null", script, state_file) != 0)
		fail_msg("cannot start a PostgreSQL cluster");
	read_line(state_file, url, sizeof(url));
	snprintf(conf, sizeof(conf), "%s.dir", state_file);
	read_line(conf, dir, sizeof(dir));

	/* PgBouncer on a unix socket in the cluster's directory, transaction pooling, 4 server
	 * connections for every client; run as the cluster's owner when root. */
	snprintf(conf, sizeof(conf), "%s/pgbouncer.ini", dir);
	assert_non_null(f = fopen(conf, "w"));
	fprintf(f,
		"[databases]\npostgres = host=%s port=5432 dbname=postgres user=postgres\n"
		"[pgbouncer]\nlisten_addr =\nlisten_port = 6432\nunix_socket_dir = %s\n"
		"auth_type = trust\nauth_file = %s/users.txt\npool_mode = transaction\n"
		"default_pool_size = 4\nmax_client_conn = 200\nlogfile = %s/pgbouncer.log\n"
		"pidfile = %s/pgbouncer.pid\nignore_startup_parameters = extra_float_digits\n",
		dir, dir, dir, dir, dir);
	fclose(f);
	snprintf(conf, sizeof(conf), "%s/users.txt", dir);
	assert_non_null(f = fopen(conf, "w"));
	fprintf(f, "\"postgres\" \"\"\n");
	fclose(f);
	assert_int_equal(sh("chown -R postgres: '%s' 2>/dev/null; true", dir), 0);
	bouncer_pid = fork();
	assert_true(bouncer_pid >= 0);
	if (bouncer_pid == 0) {
		snprintf(conf, sizeof(conf), "%s/pgbouncer.ini", dir);
		if (getuid() == 0)
			execlp("runuser", "runuser", "-u", "postgres", "--", "pgbouncer", "-q",
			       conf, (char *)NULL);
		else
			execlp("pgbouncer", "pgbouncer", "-q", conf, (char *)NULL);
		_exit(127);
	}
	snprintf(bouncer_url, sizeof(bouncer_url),
		 "postgresql:///postgres?host=%s&port=6432&user=postgres", dir);
	/* wait for its socket */
	snprintf(conf, sizeof(conf), "%s/.s.PGSQL.6432", dir);
	for (int i = 0; i < 200 && access(conf, F_OK) != 0; i++)
		vp_clock_sleep_ms(50);
	assert_int_equal(access(conf, F_OK), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (bouncer_pid > 0) {
		kill(bouncer_pid, SIGTERM);
		waitpid(bouncer_pid, NULL, 0);
	}
	sh("bash '%s' stop '%s' >/dev/null", getenv("VP_TEST_PG_CLUSTER"), state_file);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_pgbouncer),
		cmocka_unit_test(test_give_while_away),
		cmocka_unit_test(test_lease_created_together),
	};

	if (system("command -v pgbouncer >/dev/null && ls /usr/lib/postgresql/*/bin/initdb "
		   ">/dev/null 2>&1") != 0) {
		printf("skipped: needs PostgreSQL and pgbouncer (scripts/setup)\n");
		return 77;
	}
	return cmocka_run_group_tests_name("pgfaults", tests, setup, teardown);
}
