/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's allocation benchmark; prints figures, asserts nothing about time.
 *   registry_bench sqlite DIR      databases are new files in DIR
 *   registry_bench postgres URL    databases are new schemas in the cluster at URL
 * With the production durability: SQLite WAL + synchronous=FULL, PostgreSQL
 * synchronous_commit=on (the cluster's fsync on).
 *  0. the raw single-row commit rate of the same storage: a table with one
 *     INTEGER column, one INSERT per transaction, for about a second (SQLite:
 *     WAL + synchronous=FULL in DIR; PostgreSQL: a table in the cluster);
 *  1. allocations/s and p50/p99 latency with 1, 8 and 32 concurrent clients.
 *     The clients are threads sharing ONE registry handle, as the broker's
 *     workers do, with a pool of as many connections as clients. Each figure
 *     is the median of RUNS runs (a fresh database each) with its spread
 *     (min..max), then the ratios 8 vs 1 and 32 vs 8 clients (and, SQLite,
 *     8 clients vs the raw commit rate);
 *  2. allocation latency with 16,000 namespaces held vs none, and their ratio.
 * The program uses only registry.h, so the same source builds against an
 * older registry for a before/after comparison in one session.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry/registry.h"

#define MAX_CLIENTS 32
#define HELD        16000
#define SAMPLE      300
#define RUNS        3

static bool postgres;
static const char *base;
static int db_serial;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what, const char *msg)
{
	fprintf(stderr, "registry_bench: %s: %s\n", what, msg);
	exit(1);
}

static void fresh_url(char *url, size_t size)
{
	db_serial++;
	if (!postgres) {
		snprintf(url, size, "sqlite:%s/bench%d.db", base, db_serial);
		return;
	}
	char sql[64];
	PGconn *pg = PQconnectdb(base);
	PGresult *res;
	snprintf(sql, sizeof(sql), "CREATE SCHEMA bench%ld_%d", (long)getpid(), db_serial);
	if (PQstatus(pg) != CONNECTION_OK)
		die("connect", PQerrorMessage(pg));
	res = PQexec(pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die(sql, PQerrorMessage(pg));
	PQclear(res);
	PQfinish(pg);
	snprintf(url, size, "%s&options=-csearch_path%%3Dbench%ld_%d", base, (long)getpid(),
		 db_serial);
}

static struct vp_registry *open_url(const char *url, int pool)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	vp_registry_options_init(&opts);
	opts.pool_size = pool;
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		die("open", err.message);
	return reg;
}

struct client {
	struct vp_registry *reg; /* shared by all the clients of a run */
	int index, count;
	const char *prefix;
	double *lat; /* microseconds, one per allocation */
};

static void *client_main(void *p)
{
	struct client *c = p;
	struct vp_registry *reg = c->reg;

	for (int i = 0; i < c->count; i++) {
		struct vp_namespace_record rec;
		struct vp_error err;
		char ref[64];
		bool created;
		double t0;
		snprintf(ref, sizeof(ref), "%s-%d-%d", c->prefix, c->index, i);
		t0 = now_us();
		if (vp_registry_allocate(reg, "123456789012", ref, NULL, NULL, 0, &rec, &created,
					 &err) != VP_OK)
			die("allocate", err.message);
		if (c->lat)
			c->lat[i] = now_us() - t0;
	}
	return NULL;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double percentile(double *v, int n, double p)
{
	int i = (int)(p * (n - 1) + 0.5);
	return v[i];
}

/*
 * `clients` threads sharing one handle on `url` (a pool of `clients` connections), `per_client`
 * allocations each; latencies into lat (may be NULL). The handle is opened (and the schema
 * migrated) before the clock starts.
 */
static double run(const char *url, int clients, int per_client, const char *prefix, double *lat)
{
	pthread_t threads[MAX_CLIENTS];
	struct client cs[MAX_CLIENTS];
	struct vp_registry *reg = open_url(url, clients < 4 ? 4 : clients);
	double t0 = now_us(), seconds;

	for (int c = 0; c < clients; c++) {
		cs[c] = (struct client){reg, c, per_client, prefix,
					lat ? lat + (size_t)c * per_client : NULL};
		if (pthread_create(&threads[c], NULL, client_main, &cs[c]) != 0)
			die("pthread_create", "failed");
	}
	for (int c = 0; c < clients; c++)
		pthread_join(threads[c], NULL);
	seconds = (now_us() - t0) / 1e6;
	vp_registry_close(reg);
	return seconds;
}

/* A figure over RUNS runs: sorted, so [RUNS / 2] is the median, [0] and [RUNS - 1] the spread. */
struct figure {
	double v[RUNS];
};

static void figure_sort(struct figure *f)
{
	qsort(f->v, RUNS, sizeof(f->v[0]), compare_double);
}

static double median(const struct figure *f)
{
	return f->v[RUNS / 2];
}

/* Allocations/s (median) at `clients` clients, printed with p50 and p99, each with its spread. */
static double throughput(int clients, int total)
{
	struct figure rate, p50, p99;
	int per = total / clients, count = per * clients;
	double *lat = calloc((size_t)count, sizeof(*lat));

	if (!lat)
		die("calloc", "out of memory");
	for (int r = 0; r < RUNS; r++) {
		char url[1024];
		double seconds;
		fresh_url(url, sizeof(url));
		seconds = run(url, clients, per, "t", lat);
		qsort(lat, (size_t)count, sizeof(*lat), compare_double);
		rate.v[r] = count / seconds;
		p50.v[r] = percentile(lat, count, 0.50) / 1e3;
		p99.v[r] = percentile(lat, count, 0.99) / 1e3;
	}
	figure_sort(&rate);
	figure_sort(&p50);
	figure_sort(&p99);
	printf("  %2d client%s %5d allocations x %d: %7.0f/s (%.0f..%.0f)  p50 %6.2f ms "
	       "(%.2f..%.2f)  p99 %6.2f ms (%.2f..%.2f)\n",
	       clients, clients == 1 ? " " : "s", count, RUNS, median(&rate), rate.v[0],
	       rate.v[RUNS - 1], median(&p50), p50.v[0], p50.v[RUNS - 1], median(&p99), p99.v[0],
	       p99.v[RUNS - 1]);
	free(lat);
	return median(&rate);
}

/* SQLite: single-row commits/s in DIR (WAL, synchronous=FULL), for about a second. */
static double raw_sqlite(void)
{
	char path[1024];
	sqlite3 *db = NULL;
	sqlite3_stmt *ins = NULL;
	double t0, elapsed;
	long commits = 0;

	snprintf(path, sizeof(path), "%s/raw.db", base);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
			 "CREATE TABLE raw (v INTEGER)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO raw (v) VALUES (?)", -1, &ins, NULL) != SQLITE_OK)
		die("raw sqlite", sqlite3_errmsg(db));
	t0 = now_us();
	do {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
			die("raw sqlite", sqlite3_errmsg(db));
		sqlite3_bind_int64(ins, 1, commits);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("raw sqlite", sqlite3_errmsg(db));
		sqlite3_reset(ins);
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			die("raw sqlite", sqlite3_errmsg(db));
		commits++;
	} while ((elapsed = now_us() - t0) < 1e6);
	sqlite3_finalize(ins);
	sqlite3_close(db);
	return commits / (elapsed / 1e6);
}

static void pg_must(PGconn *pg, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(pg, sql);
	if (PQresultStatus(res) != want)
		die(sql, PQerrorMessage(pg));
	PQclear(res);
}

/* PostgreSQL: single-row commits/s (autocommit INSERTs, synchronous_commit on), about a second. */
static double raw_postgres(void)
{
	PGconn *pg = PQconnectdb(base);
	double t0, elapsed;
	long commits = 0;
	char sql[128];

	if (PQstatus(pg) != CONNECTION_OK)
		die("connect", PQerrorMessage(pg));
	snprintf(sql, sizeof(sql), "CREATE TABLE raw%ld (v INTEGER)", (long)getpid());
	pg_must(pg, "SET synchronous_commit = on", PGRES_COMMAND_OK);
	pg_must(pg, sql, PGRES_COMMAND_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO raw%ld (v) VALUES (1)", (long)getpid());
	t0 = now_us();
	do {
		pg_must(pg, sql, PGRES_COMMAND_OK);
		commits++;
	} while ((elapsed = now_us() - t0) < 1e6);
	PQfinish(pg);
	return commits / (elapsed / 1e6);
}

/* Median latency of SAMPLE single-client allocations after `held` were made. */
static double median_after(int held)
{
	char url[1024];
	double lat[SAMPLE];

	fresh_url(url, sizeof(url));
	if (held > 0)
		run(url, 8, held / 8, "fill", NULL);
	run(url, 1, SAMPLE, "sample", lat);
	qsort(lat, SAMPLE, sizeof(*lat), compare_double);
	return percentile(lat, SAMPLE, 0.5);
}

int main(int argc, char **argv)
{
	double empty, full, raw, one, eight, many;

	if (argc != 3 || (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "postgres") != 0)) {
		fprintf(stderr, "usage: registry_bench sqlite DIR | postgres URL\n");
		return 2;
	}
	postgres = strcmp(argv[1], "postgres") == 0;
	base = argv[2];
	printf("%s (%s)\n", postgres ? "PostgreSQL" : "SQLite",
	       postgres ? "synchronous_commit=on, fsync=on" : "WAL, synchronous=FULL");
	raw = postgres ? raw_postgres() : raw_sqlite();
	printf("  raw single-row commits: %.0f/s (one INTEGER column, one INSERT per "
	       "transaction)\n",
	       raw);
	one = throughput(1, 1000);
	eight = throughput(8, 2000);
	many = throughput(32, 2048);
	printf("  ratios: 8 vs 1 client %.2f, 32 vs 8 clients %.2f, 8 clients vs raw commits "
	       "%.2f\n",
	       eight / one, many / eight, eight / raw);
	empty = median_after(0);
	full = median_after(HELD);
	printf("  allocation p50 with none held %.3f ms, with %d held %.3f ms: ratio %.2f\n",
	       empty / 1e3, HELD, full / 1e3, full / empty);
	return 0;
}
