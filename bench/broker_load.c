/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's load driver (issue 13): N client threads, each on one
 * keep-alive HTTP/1.1 connection (libcurl), signing their identity proofs
 * with libvpcpeer's own code (vp_proof_make: exactly the CLI's and the
 * Lambda handler's proof). bench/broker.py runs it for the timed part;
 * Python's threads, signing with botocore under the GIL, could not drive the
 * broker past a few hundred requests per second on this box.
 *
 *   broker_load register URL SERVER_ID STS_URL ACCOUNTS CLIENTS REF_PREFIX
 *       One POST /v1/namespaces per account of ACCOUNTS (a file of lines
 *       "name access_key_id secret_access_key"), client_ref REF_PREFIX-i.
 *       Each thread opens its connection (GET /healthz) and every proof is
 *       signed before the clock starts (a client signs on its own machine,
 *       not on the broker's box), at BROKER_LOAD_SIGNED_AT (unix seconds,
 *       one per run: the caller makes each run's distinct) or else each a
 *       different number of seconds in the past, so no two are alike and
 *       each costs the broker one STS replay, as a new stack's does.
 *       With BROKER_LOAD_RATE=R (requests/s) request i starts at i/R s after
 *       the clock (a fixed arrival rate, open loop; its latency counts from
 *       then), else each thread sends its next request as soon as it can.
 *       Prints one line per request "i status latency_ms namespace_id".
 *       With BROKER_LOAD_UNBOUND set, proofs carry no X-Vpcpeer-Request (for a
 *       broker from before issue 14, which refuses that header).
 *   broker_load release URL SERVER_ID STS_URL ACCOUNTS CLIENTS N...
 *       DELETE /v1/namespaces/N as account i for the i-th N ("i status ms -").
 *   broker_load get URL SERVER_ID STS_URL ACCOUNTS CLIENTS PATH SECONDS [fresh]
 *       GET PATH in a loop for SECONDS on each thread. With ACCOUNTS "-" no
 *       proof is sent (/healthz, a hello server); otherwise thread t signs one
 *       proof as account t once and sends it every time (the broker's proof
 *       cache answers after the first: the cost of an authenticated GET), or
 *       with "fresh" a new proof per request (one STS replay each, as every
 *       registration has): each is signed a different number of seconds in
 *       the past (within the broker's 300 s window), so no two are alike and
 *       the broker's proof cache never answers.
 *
 * Every mode ends with a line "# requests R errors E seconds S rps X cpu_user U
 * cpu_sys Y" (this process's own CPU while the clock ran, getrusage). Prints figures; asserts
 * nothing about time. Loopback only: the URLs come from the caller.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

#include "aws/client.h"
#include "aws/credentials.h"
#include "core/num.h"
#include "proof/proof.h"

#define MAX_ACCOUNTS 4096
#define MAX_CLIENTS  1024
#define MAX_FIELD    128
#define REPLY_MAX    16384

enum mode { MODE_REGISTER, MODE_RELEASE, MODE_GET };

struct account {
	char name[MAX_FIELD];
	struct vp_aws_client *aws;
};

struct result {
	long status;
	double ms;
	int64_t n;
};

struct run {
	enum mode mode;
	const char *url, *server_id, *path;
	double seconds;
	bool fresh; /* get: a new proof per request */
	struct account *accounts;
	size_t naccounts;
	const char *ref_prefix;
	int64_t *release_n; /* MODE_RELEASE: the namespace of request i */
	char **proofs;      /* register, release: request i's proof, signed in advance */
	size_t total;       /* requests to send (register, release) */
	struct result *results;
	atomic_size_t next;
	atomic_ulong done, errors;
	pthread_barrier_t start;
	double t_start, t_end;
	double rate;  /* BROKER_LOAD_RATE: request i starts at t_start + i / rate; 0: at once */
	bool unbound; /* BROKER_LOAD_UNBOUND: proofs not bound to their request (old brokers) */
};

struct reply {
	char body[REPLY_MAX];
	size_t len;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct reply *r = ud;
	size_t len = size * n, room = sizeof(r->body) - 1 - r->len;

	if (len > room)
		len = room; /* the driver reads only the first bytes */
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return size * n;
}

/* "NamespaceId": N in a register answer, or -1. */
static int64_t namespace_id(const char *body)
{
	const char *p = strstr(body, "\"NamespaceId\"");
	char *end;
	int64_t n;

	if (!p || !(p = strchr(p, ':')))
		return -1;
	n = strtoll(p + 1, &end, 10);
	return end == p + 1 ? -1 : n;
}

static CURL *connection(const struct run *run, struct reply *reply)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	(void)run;
	return c;
}

/* One request on the thread's connection; the status, or 0 for a transport error. */
static long request(CURL *c, struct reply *reply, const char *base, const char *method,
		    const char *path, const char *authorization, const char *body)
{
	struct curl_slist *h = NULL;
	char url[512], *auth = NULL;
	long status = 0;

	reply->len = 0;
	reply->body[0] = '\0';
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	h = curl_slist_append(h, "Expect:");
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	if (authorization) {
		size_t len = strlen("Authorization: ") + strlen(authorization) + 1;
		auth = malloc(len);
		if (auth) {
			snprintf(auth, len, "Authorization: %s", authorization);
			h = curl_slist_append(h, auth);
		}
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);
	free(auth);
	return status;
}

/* A proof bound to the request it goes with (method and path, issue 14). */
static char *sign(const struct run *run, size_t account, const char *method, const char *path)
{
	char line[VP_PROOF_REQUEST_MAX + 1];
	struct vp_error err;
	char *proof = NULL;

	if (vp_proof_request_line(method, path, strcspn(path, "?"), line, sizeof(line), &err) !=
		    VP_OK ||
	    vp_proof_make(run->accounts[account].aws, run->server_id, run->unbound ? NULL : line,
			  &proof, &err) != VP_OK) {
		fprintf(stderr, "broker_load: proof for %s: %s\n", run->accounts[account].name,
			err.message);
		return NULL;
	}
	return proof;
}

/* The proof of request i of a register or release run, bound to its method and path. */
static char *sign_indexed(const struct run *run, size_t i)
{
	char path[64];

	if (run->mode == MODE_REGISTER)
		return sign(run, i % run->naccounts, "POST", "/v1/namespaces");
	snprintf(path, sizeof(path), "/v1/namespaces/%lld", (long long)run->release_n[i]);
	return sign(run, i % run->naccounts, "DELETE", path);
}

/* register and release: one request per index, taken in turn by the threads. */
static void run_indexed(struct run *run, CURL *c, struct reply *reply)
{
	for (;;) {
		size_t i = atomic_fetch_add(&run->next, 1);
		char *proof, body[256], path[64];
		const char *method = "POST", *p = "/v1/namespaces", *b = body;
		double t0;
		long status;

		if (i >= run->total)
			return;
		proof = run->proofs[i];
		if (run->mode == MODE_REGISTER) {
			snprintf(body, sizeof(body), "{\"client_ref\": \"%s-%zu\"}",
				 run->ref_prefix, i);
		} else {
			snprintf(path, sizeof(path), "/v1/namespaces/%lld",
				 (long long)run->release_n[i]);
			method = "DELETE";
			p = path;
			b = NULL;
		}
		t0 = now();
		if (run->rate > 0) {
			/* A fixed arrival rate: the latency counts from the request's planned
			 * start, so a client that is late (all busy) shows as waiting, not as fewer
			 * requests. */
			double at = run->t_start + (double)i / run->rate;
			struct timespec ts = {(time_t)at, (long)((at - (double)(time_t)at) * 1e9)};
			if (at > t0)
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			t0 = at;
		}
		status = proof ? request(c, reply, run->url, method, p, proof, b) : 0;
		run->results[i].ms = (now() - t0) * 1e3;
		run->results[i].status = status;
		run->results[i].n =
			run->mode == MODE_REGISTER ? namespace_id(reply->body) : run->release_n[i];
		atomic_fetch_add(&run->done, 1);
		if ((status < 200 || status > 299) && atomic_fetch_add(&run->errors, 1) == 0)
			fprintf(stderr, "broker_load: first refusal: HTTP %ld %.300s\n", status,
				reply->body);
	}
}

/* get: the same path in a loop until the time is up. */
static void run_get(struct run *run, CURL *c, struct reply *reply, const char *proof,
		    size_t account)
{
	double stop = now() + run->seconds;

	while (now() < stop) {
		char *fresh = run->fresh ? sign(run, account, "GET", run->path) : NULL;
		long status = request(c, reply, run->url, "GET", run->path,
				      run->fresh ? fresh : proof, NULL);
		free(fresh);
		atomic_fetch_add(&run->done, 1);
		if ((status < 200 || status > 299) && atomic_fetch_add(&run->errors, 1) == 0)
			fprintf(stderr, "broker_load: first refusal: HTTP %ld %.300s\n", status,
				reply->body);
	}
}

struct thread_arg {
	struct run *run;
	size_t index;
};

static void *client_main(void *arg)
{
	struct thread_arg *ta = arg;
	struct run *run = ta->run;
	struct reply *reply = calloc(1, sizeof(*reply));
	CURL *c = reply ? connection(run, reply) : NULL;
	char *proof = NULL;

	/* The connection (and for get, the proof) before the clock starts. */
	if (c && request(c, reply, run->url, "GET", "/healthz", NULL, NULL) == 0)
		fprintf(stderr, "broker_load: warm-up request to %s failed\n", run->url);
	if (c && run->mode == MODE_GET && run->naccounts)
		proof = sign(run, ta->index % run->naccounts, "GET", run->path);
	pthread_barrier_wait(&run->start);
	if (c && run->mode == MODE_GET)
		run_get(run, c, reply, proof, run->naccounts ? ta->index % run->naccounts : 0);
	else if (c)
		run_indexed(run, c, reply);
	free(proof);
	if (c)
		curl_easy_cleanup(c);
	free(reply);
	return NULL;
}

/* Signing times 0..239 s in the past, in turn: proofs signed in the same second differ. */
static atomic_uint skew;

/* BROKER_LOAD_SIGNED_AT (unix seconds), when set: the caller's own signing time, one per run. */
static time_t signed_at;

static time_t skewed_clock(void *ctx)
{
	(void)ctx;
	if (signed_at)
		return signed_at;
	return time(NULL) - (time_t)(atomic_fetch_add(&skew, 1) % 240);
}

static struct vp_aws_client *aws_client(const char *sts_url, const char *key, const char *secret,
					bool fresh)
{
	struct vp_aws_credentials_provider *creds = NULL;
	struct vp_aws_client_config cfg = {.region = "us-east-1",
					   .endpoint_url = sts_url,
					   .config_file = "/dev/null",
					   .credentials_file = "/dev/null",
					   .clock = fresh ? skewed_clock : NULL};
	struct vp_aws_client *c = NULL;
	struct vp_error err;

	if (vp_aws_credentials_provider_new_static(key, secret, NULL, &creds, &err) != VP_OK) {
		fprintf(stderr, "broker_load: %s\n", err.message);
		return NULL;
	}
	cfg.credentials = creds;
	if (vp_aws_client_new(&cfg, &c, &err) != VP_OK)
		fprintf(stderr, "broker_load: %s\n", err.message);
	vp_aws_credentials_provider_free(creds);
	return c;
}

static int load_accounts(struct run *run, const char *file, const char *sts_url, bool fresh)
{
	FILE *f;
	char name[MAX_FIELD], key[MAX_FIELD], secret[MAX_FIELD];

	if (strcmp(file, "-") == 0)
		return 0;
	f = fopen(file, "r");
	if (!f) {
		fprintf(stderr, "broker_load: cannot open %s\n", file);
		return -1;
	}
	run->accounts = calloc(MAX_ACCOUNTS, sizeof(*run->accounts));
	while (run->accounts && run->naccounts < MAX_ACCOUNTS &&
	       fscanf(f, "%127s %127s %127s", name, key, secret) == 3) {
		struct account *a = &run->accounts[run->naccounts];
		snprintf(a->name, sizeof(a->name), "%s", name);
		a->aws = aws_client(sts_url, key, secret, fresh);
		if (!a->aws)
			break;
		run->naccounts++;
	}
	fclose(f);
	return run->naccounts ? 0 : -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: broker_load register|release|get URL SERVER_ID STS_URL ACCOUNTS "
			"CLIENTS (REF_PREFIX | N... | PATH SECONDS)\n");
	return 2;
}

static int parse_args(struct run *run, int argc, char **argv, int64_t *clients)
{
	if (argc < 8)
		return -1;
	if (strcmp(argv[1], "register") == 0)
		run->mode = MODE_REGISTER;
	else if (strcmp(argv[1], "release") == 0)
		run->mode = MODE_RELEASE;
	else if (strcmp(argv[1], "get") == 0)
		run->mode = MODE_GET;
	else
		return -1;
	run->url = argv[2];
	run->server_id = argv[3];
	if (vp_parse_int64(argv[6], 1, MAX_CLIENTS, "CLIENTS", clients, NULL) != VP_OK)
		return -1;
	if (load_accounts(run, argv[5], argv[4],
			  run->mode != MODE_GET || (argc == 10 && strcmp(argv[9], "fresh") == 0)) !=
	    0)
		return -1;
	switch (run->mode) {
	case MODE_REGISTER:
		run->ref_prefix = argv[7];
		run->total = run->naccounts;
		break;
	case MODE_RELEASE:
		run->total = (size_t)(argc - 7);
		run->release_n = calloc(run->total, sizeof(*run->release_n));
		for (size_t i = 0; run->release_n && i < run->total; i++)
			if (vp_parse_int64(argv[7 + i], 0, INT32_MAX, "N", &run->release_n[i],
					   NULL) != VP_OK)
				return -1;
		if (!run->release_n || run->total > run->naccounts)
			return -1;
		break;
	case MODE_GET:
		if (argc != 9 && !(argc == 10 && strcmp(argv[9], "fresh") == 0))
			return -1;
		run->fresh = argc == 10;
		if (run->fresh && !run->naccounts)
			return -1;
		run->path = argv[7];
		run->seconds = strtod(argv[8], NULL);
		if (!(run->seconds > 0))
			return -1;
		break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct run run;
	int64_t clients = 0;
	pthread_t *threads;
	struct thread_arg *args;
	struct rusage ru0, ru;
	double secs;

	/* A broker from before proofs were bound to their request (issue 14) refuses the
	 * X-Vpcpeer-Request header: the benchmark's before/after runs it unbound. */
	run.unbound = getenv("BROKER_LOAD_UNBOUND") != NULL;
	if (getenv("BROKER_LOAD_RATE"))
		run.rate = strtod(getenv("BROKER_LOAD_RATE"), NULL);
	if (getenv("BROKER_LOAD_SIGNED_AT"))
		signed_at = (time_t)strtoll(getenv("BROKER_LOAD_SIGNED_AT"), NULL, 10);
	if (parse_args(&run, argc, argv, &clients) != 0)
		return usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	run.results = calloc(run.total ? run.total : 1, sizeof(*run.results));
	threads = calloc((size_t)clients, sizeof(*threads));
	args = calloc((size_t)clients, sizeof(*args));
	if (!run.results || !threads || !args)
		return 1;
	if (run.mode != MODE_GET) {
		run.proofs = calloc(run.total, sizeof(*run.proofs));
		for (size_t i = 0; run.proofs && i < run.total; i++)
			if (!(run.proofs[i] = sign_indexed(&run, i)))
				return 1;
		if (!run.proofs)
			return 1;
	}
	pthread_barrier_init(&run.start, NULL, (unsigned)clients + 1);
	for (int64_t t = 0; t < clients; t++) {
		args[t] = (struct thread_arg){&run, (size_t)t};
		if (pthread_create(&threads[t], NULL, client_main, &args[t]) != 0) {
			fprintf(stderr, "broker_load: cannot start thread %lld\n", (long long)t);
			return 1;
		}
	}
	run.t_start = now(); /* before the barrier: the threads read it after */
	pthread_barrier_wait(&run.start);
	getrusage(RUSAGE_SELF, &ru0);
	for (int64_t t = 0; t < clients; t++)
		pthread_join(threads[t], NULL);
	run.t_end = now();
	secs = run.t_end - run.t_start;
	for (size_t i = 0; i < run.total; i++)
		printf("%zu %ld %.3f %lld\n", i, run.results[i].status, run.results[i].ms,
		       (long long)run.results[i].n);
	getrusage(RUSAGE_SELF, &ru);
	printf("# requests %lu errors %lu seconds %.3f rps %.1f cpu_user %.3f cpu_sys %.3f\n",
	       atomic_load(&run.done), atomic_load(&run.errors), secs,
	       (double)atomic_load(&run.done) / secs,
	       cpu_seconds(&ru.ru_utime) - cpu_seconds(&ru0.ru_utime),
	       cpu_seconds(&ru.ru_stime) - cpu_seconds(&ru0.ru_stime));
	for (size_t i = 0; i < run.naccounts; i++)
		vp_aws_client_free(run.accounts[i].aws);
	free(run.accounts);
	for (size_t i = 0; run.proofs && i < run.total; i++)
		free(run.proofs[i]);
	free(run.proofs);
	free(run.release_n);
	free(run.results);
	free(threads);
	free(args);
	curl_global_cleanup();
	return 0;
}
