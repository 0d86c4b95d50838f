/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The verifier: a proof is checked (proof/parse.c), then answered from the
 * cache of proofs STS already accepted or replayed to STS (api/auth_replay.c).
 * docs/api.md "Identity proof" is the contract.
 */
#include "api/auth.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth_replay.h"
#include "aws/http.h"
#include "core/log.h"
#include "core/metrics.h"

#define DEFAULT_CACHE_ENTRIES  4096
#define MAX_CACHE_ENTRIES      ((size_t)1 << 20)
#define DEFAULT_STS_TIMEOUT_MS 10000L
#define NO_ENTRY               UINT32_MAX

/* One verified proof: the identity STS gave for a signature, until it expires. */
struct cache_entry {
	char signature[VP_AWS_SHA256_HEX_LEN + 1];
	unsigned char digest[32];
	int64_t expires;
	struct vp_identity identity;
	uint32_t hash_next;
	uint32_t lru_prev, lru_next;
};

struct vp_auth {
	struct vp_proof_rules rules; /* server id, partition, endpoint, max age, clock */
	long sts_timeout_ms;
	bool accept_unbound;
	struct vp_metrics *metrics;
	struct vp_aws_http *http;
	struct vp_admission *admission; /* NULL: none */
	vp_auth_cacheable_fn cacheable; /* NULL: every identity */
	void *cacheable_ctx;

	pthread_mutex_t lock; /* the cache below */
	struct cache_entry *entries;
	size_t capacity, used;
	uint32_t *buckets;
	size_t bucket_mask;
	uint32_t lru_head, lru_tail; /* most and least recently used */
};

/* ------------------------------------------------------------------ configuration */

vp_code vp_auth_new(const struct vp_auth_config *cfg, struct vp_auth **out, struct vp_error *err)
{
	struct vp_proof_rules rules;
	struct vp_auth *a;
	size_t buckets = 1;
	vp_code rc;

	rc = vp_proof_rules_init(&rules, &cfg->proof, err);
	if (rc != VP_OK)
		return rc;
	if (cfg->cache_entries > MAX_CACHE_ENTRIES)
		return vp_fail(err, VP_ERR_INVALID, "the proof cache holds at most %zu entries",
			       MAX_CACHE_ENTRIES);
	a = calloc(1, sizeof(*a));
	if (!a)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	a->rules = rules;
	a->accept_unbound = cfg->accept_unbound;
	a->metrics = cfg->metrics;
	a->sts_timeout_ms = cfg->sts_timeout_ms > 0 ? cfg->sts_timeout_ms : DEFAULT_STS_TIMEOUT_MS;
	a->capacity = cfg->cache_entries ? cfg->cache_entries : DEFAULT_CACHE_ENTRIES;
	while (buckets < a->capacity)
		buckets <<= 1;
	a->bucket_mask = buckets - 1;
	a->entries = calloc(a->capacity, sizeof(*a->entries));
	a->buckets = malloc(buckets * sizeof(*a->buckets));
	if (!a->entries || !a->buckets) {
		rc = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < buckets; i++)
		a->buckets[i] = NO_ENTRY;
	a->lru_head = a->lru_tail = NO_ENTRY;
	/* Declared already (a second verifier on the same metrics) is fine. */
	if (a->metrics)
		vp_ignore(vp_metrics_declare(a->metrics, VP_AUTH_METRIC_UNBOUND, VP_METRIC_COUNTER,
					     "Identity proofs not bound to a request, accepted "
					     "by --accept-unbound-proofs.",
					     NULL));
	if (cfg->admission.max_replays &&
	    (rc = vp_admission_new(&cfg->admission, &a->admission, err)) != VP_OK)
		goto fail;
	rc = vp_aws_http_new(&a->http, err);
	if (rc != VP_OK)
		goto fail;
	pthread_mutex_init(&a->lock, NULL);
	*out = a;
	return VP_OK;
fail:
	vp_admission_free(a->admission);
	free(a->entries);
	free(a->buckets);
	free(a);
	return rc;
}

void vp_auth_free(struct vp_auth *a)
{
	if (!a)
		return;
	vp_aws_http_free(a->http);
	vp_admission_free(a->admission);
	pthread_mutex_destroy(&a->lock);
	OPENSSL_cleanse(a->entries, a->capacity * sizeof(*a->entries));
	free(a->entries);
	free(a->buckets);
	free(a);
}

void vp_auth_set_cacheable(struct vp_auth *a, vp_auth_cacheable_fn fn, void *ctx)
{
	a->cacheable = fn;
	a->cacheable_ctx = ctx;
}

const struct vp_proof_rules *vp_auth_rules(const struct vp_auth *a)
{
	return &a->rules;
}

/* ------------------------------------------------------------------ the cache */

static uint32_t bucket_of(const struct vp_auth *a, const char *signature)
{
	uint32_t h = 2166136261u; /* FNV-1a over the hex signature */

	for (int i = 0; i < VP_AWS_SHA256_HEX_LEN; i++)
		h = (h ^ (unsigned char)signature[i]) * 16777619u;
	return h & (uint32_t)a->bucket_mask;
}

static void lru_unlink(struct vp_auth *a, uint32_t i)
{
	struct cache_entry *e = &a->entries[i];

	if (e->lru_prev != NO_ENTRY)
		a->entries[e->lru_prev].lru_next = e->lru_next;
	else
		a->lru_head = e->lru_next;
	if (e->lru_next != NO_ENTRY)
		a->entries[e->lru_next].lru_prev = e->lru_prev;
	else
		a->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NO_ENTRY;
}

static void lru_push_front(struct vp_auth *a, uint32_t i)
{
	struct cache_entry *e = &a->entries[i];

	e->lru_prev = NO_ENTRY;
	e->lru_next = a->lru_head;
	if (a->lru_head != NO_ENTRY)
		a->entries[a->lru_head].lru_prev = i;
	a->lru_head = i;
	if (a->lru_tail == NO_ENTRY)
		a->lru_tail = i;
}

static void hash_unlink(struct vp_auth *a, uint32_t i)
{
	uint32_t *link = &a->buckets[bucket_of(a, a->entries[i].signature)];

	while (*link != NO_ENTRY && *link != i)
		link = &a->entries[*link].hash_next;
	if (*link == i)
		*link = a->entries[i].hash_next;
	a->entries[i].hash_next = NO_ENTRY;
}

static uint32_t cache_find(struct vp_auth *a, const char *signature)
{
	for (uint32_t i = a->buckets[bucket_of(a, signature)]; i != NO_ENTRY;
	     i = a->entries[i].hash_next)
		if (strcmp(a->entries[i].signature, signature) == 0)
			return i;
	return NO_ENTRY;
}

/* Called with the lock held. */
static bool cache_lookup(struct vp_auth *a, const struct vp_proof *p, int64_t now,
			 struct vp_identity *out)
{
	uint32_t i = cache_find(a, p->signature);
	struct cache_entry *e;

	if (i == NO_ENTRY)
		return false;
	e = &a->entries[i];
	if (now > e->expires || memcmp(e->digest, p->digest, sizeof(e->digest)) != 0)
		return false;
	lru_unlink(a, i);
	lru_push_front(a, i);
	*out = e->identity;
	return true;
}

/* Called with the lock held. */
static void cache_insert(struct vp_auth *a, const struct vp_proof *p, int64_t expires,
			 const struct vp_identity *id)
{
	uint32_t i = cache_find(a, p->signature);
	struct cache_entry *e;

	if (i != NO_ENTRY) {
		lru_unlink(a, i);
		hash_unlink(a, i);
	} else if (a->used < a->capacity) {
		i = (uint32_t)a->used++;
	} else {
		i = a->lru_tail;
		lru_unlink(a, i);
		hash_unlink(a, i);
	}
	e = &a->entries[i];
	memcpy(e->signature, p->signature, sizeof(e->signature));
	memcpy(e->digest, p->digest, sizeof(e->digest));
	e->expires = expires;
	e->identity = *id;
	e->hash_next = a->buckets[bucket_of(a, e->signature)];
	a->buckets[bucket_of(a, e->signature)] = i;
	lru_push_front(a, i);
}

/* The proof is for this request: its signed X-Vpcpeer-Request names it (issue 14). */
static vp_code check_binding(const struct vp_auth *a, const struct vp_proof *p, const char *line,
			     struct vp_error *err)
{
	if (p->request && strcmp(p->request, line) == 0)
		return VP_OK;
	if (p->request)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is for '%.100s', not for this request '%.100s': sign "
			       "a fresh proof per request",
			       p->request, line);
	if (!a->accept_unbound)
		return vp_fail(err, VP_ERR_AUTH,
			       "the proof is not bound to a request: sign " VP_PROOF_REQUEST_HEADER
			       ": '%s' (vpcpeer clients and handlers do; a broker accepts "
			       "unbound proofs only with --accept-unbound-proofs)",
			       line);
	return VP_OK;
}

/* An unbound proof accepted during the upgrade window: logged and counted, every time. */
static void note_unbound(struct vp_auth *a, const struct vp_identity *id, const char *line)
{
	if (a->metrics)
		vp_metrics_add(a->metrics, VP_AUTH_METRIC_UNBOUND, NULL, 1);
	vp_log(VP_LOG_WARN,
	       "accepted an identity proof not bound to a request (--accept-unbound-proofs): "
	       "%s for %s; upgrade that caller's vpcpeer",
	       id->arn, line);
}

/* A proof not in the cache: admission control, then STS. */
static vp_code replay(struct vp_auth *a, const struct vp_proof *p, const char *source,
		      struct vp_identity *id, unsigned *retry_after, struct vp_error *err)
{
	char why[200];
	vp_code rc;

	if (a->admission &&
	    !vp_admission_enter(a->admission, source, p, retry_after, why, sizeof(why)))
		return vp_fail(err, VP_ERR_UNAVAILABLE, "%s", why);
	rc = vp_auth_replay(a->http, a->sts_timeout_ms, p, id, err);
	if (a->admission)
		vp_admission_leave(a->admission);
	return rc;
}

vp_code vp_auth_verify_from(struct vp_auth *a, const char *authorization,
			    const struct vp_auth_request *req, const char *source,
			    struct vp_identity *out, unsigned *retry_after, struct vp_error *err)
{
	char line[VP_PROOF_REQUEST_MAX + 1];
	struct vp_proof p;
	struct vp_identity id;
	int64_t now;
	bool hit;
	vp_code rc;

	*retry_after = 0;
	if (!req)
		return vp_fail(err, VP_ERR_INTERNAL, "no request to bind the proof to");
	rc = vp_proof_request_line(req->method, req->path, req->path_len, line, sizeof(line), NULL);
	if (rc != VP_OK)
		return vp_fail(err, VP_ERR_AUTH, "this request cannot carry a bound proof");
	rc = vp_proof_parse(&a->rules, authorization, &p, err);
	if (rc != VP_OK)
		return rc;
	rc = check_binding(a, &p, line, err);
	if (rc != VP_OK) {
		vp_proof_cleanup(&p);
		return rc;
	}
	now = a->rules.clock(a->rules.clock_ctx);
	pthread_mutex_lock(&a->lock);
	hit = cache_lookup(a, &p, now, &id);
	pthread_mutex_unlock(&a->lock);
	if (!hit) {
		rc = replay(a, &p, source, &id, retry_after, err);
		if (rc == VP_OK && (!a->cacheable || a->cacheable(a->cacheable_ctx, &id))) {
			pthread_mutex_lock(&a->lock);
			cache_insert(a, &p, p.signed_at + a->rules.max_age, &id);
			pthread_mutex_unlock(&a->lock);
		}
	}
	if (rc == VP_OK) {
		if (!p.request)
			note_unbound(a, &id, line);
		*out = id;
	}
	vp_proof_cleanup(&p);
	return rc;
}

vp_code vp_auth_verify(struct vp_auth *a, const char *authorization,
		       const struct vp_auth_request *req, struct vp_identity *out,
		       struct vp_error *err)
{
	unsigned retry_after;

	return vp_auth_verify_from(a, authorization, req, NULL, out, &retry_after, err);
}
