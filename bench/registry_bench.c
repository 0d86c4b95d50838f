/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registry's allocation benchmark; prints figures, asserts nothing about time.
 *   registry_bench sqlite DIR      databases are new files in DIR
 *   registry_bench postgres URL    databases are new schemas in the cluster at URL
 * With the production durability: SQLite WAL + synchronous=FULL, PostgreSQL
 * synchronous_commit=on (the cluster's fsync on).
 *  1. allocations/s and p50/p99 latency with 1, 8 and 32 concurrent clients
 *     (each client a thread with its own registry handle: its own connection);
 *  2. allocation latency with 16,000 namespaces held vs none, and their ratio.
 */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "registry/registry.h"

#define MAX_CLIENTS 32
#define HELD        16000
#define SAMPLE      300

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

static struct vp_registry *open_url(const char *url)
{
	struct vp_registry_options opts;
	struct vp_registry *reg = NULL;
	struct vp_error err;

	vp_registry_options_init(&opts);
	opts.pool_size = 1;
	if (vp_registry_open(url, &opts, &reg, &err) != VP_OK)
		die("open", err.message);
	return reg;
}

struct client {
	const char *url;
	int index, count;
	const char *prefix;
	double *lat; /* microseconds, one per allocation */
};

static void *client_main(void *p)
{
	struct client *c = p;
	struct vp_registry *reg = open_url(c->url);

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
	vp_registry_close(reg);
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

/* `clients` threads, `per_client` allocations each, on `url`; latencies into lat (may be NULL). */
static double run(const char *url, int clients, int per_client, const char *prefix, double *lat)
{
	pthread_t threads[MAX_CLIENTS];
	struct client cs[MAX_CLIENTS];
	double t0 = now_us();

	for (int c = 0; c < clients; c++) {
		cs[c] = (struct client){url, c, per_client, prefix,
					lat ? lat + (size_t)c * per_client : NULL};
		if (pthread_create(&threads[c], NULL, client_main, &cs[c]) != 0)
			die("pthread_create", "failed");
	}
	for (int c = 0; c < clients; c++)
		pthread_join(threads[c], NULL);
	return (now_us() - t0) / 1e6;
}

static void throughput(int clients, int total)
{
	char url[1024];
	int per = total / clients;
	double *lat = calloc((size_t)per * clients, sizeof(*lat));
	double seconds;

	fresh_url(url, sizeof(url));
	vp_registry_close(open_url(url)); /* migrate before the clients start */
	seconds = run(url, clients, per, "t", lat);
	qsort(lat, (size_t)per * clients, sizeof(*lat), compare_double);
	printf("  %2d client%s  %6d allocations  %8.0f allocations/s  p50 %7.2f ms  p99 %7.2f ms\n",
	       clients, clients == 1 ? " " : "s", per * clients, per * clients / seconds,
	       percentile(lat, per * clients, 0.50) / 1e3,
	       percentile(lat, per * clients, 0.99) / 1e3);
	free(lat);
}

/* Median latency of SAMPLE single-client allocations after `held` were made. */
static double median_after(int held)
{
	char url[1024];
	double lat[SAMPLE];

	fresh_url(url, sizeof(url));
	vp_registry_close(open_url(url));
	if (held > 0)
		run(url, 8, held / 8, "fill", NULL);
	run(url, 1, SAMPLE, "sample", lat);
	qsort(lat, SAMPLE, sizeof(*lat), compare_double);
	return percentile(lat, SAMPLE, 0.5);
}

int main(int argc, char **argv)
{
	double empty, full;

	if (argc != 3 || (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "postgres") != 0)) {
		fprintf(stderr, "usage: registry_bench sqlite DIR | postgres URL\n");
		return 2;
	}
	postgres = strcmp(argv[1], "postgres") == 0;
	base = argv[2];
	printf("%s (%s)\n", postgres ? "PostgreSQL" : "SQLite",
	       postgres ? "synchronous_commit=on, fsync=on" : "WAL, synchronous=FULL");
	throughput(1, 1000);
	throughput(8, 2000);
	throughput(32, 2048);
	empty = median_after(0);
	full = median_after(HELD);
	printf("  allocation p50 with none held %.3f ms, with %d held %.3f ms: ratio %.2f\n",
	       empty / 1e3, HELD, full / 1e3, full / empty);
	return 0;
}
