/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The managed prefix list of live clients (prefix_list.h): a group commit of
 * entry changes, each batch one version-checked ModifyManagedPrefixList.
 */
#include "broker/prefix_list.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/ec2_prefix_list.h"
#include "broker/outcome.h"
#include "core/clock.h"
#include "core/log.h"

/* One apply() call waiting for its changes to be written. */
struct waiter {
	const struct vp_broker_pl_change *changes;
	size_t count;
	bool done;
	vp_code code;
	struct vp_error err;
	struct waiter *next;
};

struct vp_broker_prefix_list {
	struct vp_aws_client *aws;
	struct vp_metrics *metrics;
	char id[64];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct waiter *head; /* FIFO of waiters not yet taken */
	bool writing;        /* a batch is in flight */
	unsigned seed;       /* backoff jitter (under mu) */
};

void vp_broker_pl_description(char *out, size_t size, int64_t n, const char *account)
{
	snprintf(out, size, "vpcpeer n=%lld account=%s", (long long)n, account ? account : "");
}

const char *vp_broker_prefix_list_id(const struct vp_broker_prefix_list *l)
{
	return l->id;
}

static vp_code describe(struct vp_broker_prefix_list *l, struct vp_aws_prefix_list **out,
			struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_prefix_list(l->aws, l->id, out, &aerr);

	vp_broker_note_aws(l->metrics, "DescribeManagedPrefixLists", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the prefix list");
	return VP_OK;
}

static vp_code entries_of(struct vp_broker_prefix_list *l, int64_t version,
			  struct vp_aws_prefix_entries **out, struct vp_error *err)
{
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_get_prefix_list_entries(l->aws, l->id, version, out, &aerr);

	vp_broker_note_aws(l->metrics, "GetManagedPrefixListEntries", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the prefix list's entries");
	return VP_OK;
}

vp_code vp_broker_prefix_list_new(struct vp_aws_client *aws, struct vp_metrics *metrics,
				  const char *id, const char *hub_account, int64_t need,
				  struct vp_broker_prefix_list **out, struct vp_error *err)
{
	struct vp_broker_prefix_list *l;
	struct vp_aws_prefix_list *pl = NULL;
	vp_code code;

	if (!id || strncmp(id, "pl-", 3) != 0 || strlen(id) >= sizeof(l->id))
		return vp_fail(err, VP_ERR_INVALID,
			       "--prefix-list must be a prefix list id (pl-...)");
	if (!(l = calloc(1, sizeof(*l))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	l->aws = aws;
	l->metrics = metrics;
	snprintf(l->id, sizeof(l->id), "%s", id);
	l->seed = (unsigned)time(NULL);
	if ((code = describe(l, &pl, err)) != VP_OK) {
		vp_error_prefix(err, "--prefix-list %s", id);
		free(l);
		return code;
	}
	if (hub_account && pl->owner_id && strcmp(pl->owner_id, hub_account) != 0)
		code = vp_fail(err, VP_ERR_INVALID,
			       "--prefix-list %s belongs to account %s, not the hub account %s", id,
			       pl->owner_id, hub_account);
	else if (pl->max_entries < need)
		/* A referenced list counts MaxEntries rules against each security group's quota. */
		code = vp_fail(
			err, VP_ERR_INVALID,
			"--prefix-list %s holds at most %lld entries; the broker may have "
			"%lld live clients (--max-peerings): raise its MaxEntries to at least "
			"%lld (each security group that references it then counts that many "
			"rules against its quota)",
			id, (long long)pl->max_entries, (long long)need, (long long)need);
	vp_aws_prefix_list_free(pl);
	if (code != VP_OK) {
		free(l);
		return code;
	}
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	*out = l;
	return VP_OK;
}

void vp_broker_prefix_list_free(struct vp_broker_prefix_list *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}

vp_code vp_broker_prefix_list_read(struct vp_broker_prefix_list *l,
				   struct vp_aws_prefix_entries **out, struct vp_error *err)
{
	return entries_of(l, 0, out, err);
}

static bool has_entry(const struct vp_aws_prefix_entries *e, const char *cidr)
{
	for (size_t i = 0; i < e->count; i++)
		if (e->items[i].cidr && strcmp(e->items[i].cidr, cidr) == 0)
			return true;
	return false;
}

/* The batch's last word on each CIDR: changes[i] counts unless a later one names it too. */
static bool superseded(const struct vp_broker_pl_change *const *all, size_t count, size_t i)
{
	for (size_t k = i + 1; k < count; k++)
		if (strcmp(all[k]->cidr, all[i]->cidr) == 0)
			return true;
	return false;
}

/* One attempt: VP_ERR_CONFLICT when the list moved on under it. */
static vp_code write_once(struct vp_broker_prefix_list *l,
			  const struct vp_broker_pl_change *const *all, size_t count,
			  struct vp_error *err)
{
	struct vp_aws_prefix_list *pl = NULL;
	struct vp_aws_prefix_entries *now = NULL;
	struct vp_aws_prefix_add add[VP_AWS_PL_MAX_CHANGES];
	const char *remove[VP_AWS_PL_MAX_CHANGES];
	struct vp_aws_prefix_change ch = {.id = l->id, .add = add, .remove = remove};
	struct vp_aws_error aerr;
	vp_code code = describe(l, &pl, err);

	if (code != VP_OK)
		return code;
	if (pl->state && strstr(pl->state, "in-progress")) {
		vp_aws_prefix_list_free(pl);
		return vp_fail(err, VP_ERR_CONFLICT, "prefix list %s is being modified", l->id);
	}
	/* The newest entries: when they are newer than pl->version, the write below fails on the
	 * version and is retried (moto 5.2 cannot read an empty list by version). */
	if ((code = entries_of(l, 0, &now, err)) != VP_OK)
		goto out;
	for (size_t i = 0; i < count; i++) {
		bool present = has_entry(now, all[i]->cidr);
		if (superseded(all, count, i) || present == all[i]->add)
			continue;
		if (all[i]->add)
			add[ch.add_count++] =
				(struct vp_aws_prefix_add){all[i]->cidr, all[i]->description};
		else
			remove[ch.remove_count++] = all[i]->cidr;
	}
	if (ch.add_count + ch.remove_count == 0)
		goto out;
	if ((int64_t)(now->count + ch.add_count - ch.remove_count) > pl->max_entries) {
		code = vp_fail(err, VP_ERR_EXHAUSTED,
			       "prefix list %s is full (%lld entries, MaxEntries %lld): raise its "
			       "MaxEntries",
			       l->id, (long long)now->count, (long long)pl->max_entries);
		goto out;
	}
	ch.current_version = pl->version;
	code = vp_aws_ec2_modify_prefix_list(l->aws, &ch, &aerr);
	vp_broker_note_aws(l->metrics, "ModifyManagedPrefixList", code, &aerr);
	if (code != VP_OK)
		vp_broker_aws_fail(err, &aerr, "writing the prefix list");
out:
	vp_aws_prefix_entries_free(now);
	vp_aws_prefix_list_free(pl);
	return code;
}

static vp_code write_batch(struct vp_broker_prefix_list *l,
			   const struct vp_broker_pl_change *const *all, size_t count,
			   unsigned seed, struct vp_error *err)
{
	vp_code code = VP_ERR_CONFLICT;

	for (int attempt = 0; attempt < VP_BROKER_PL_ATTEMPTS; attempt++) {
		if ((code = write_once(l, all, count, err)) != VP_ERR_CONFLICT)
			return code;
		/* Another writer won this version: back off (jittered, growing) and read again. */
		vp_clock_sleep_ms(5 + (int64_t)(rand_r(&seed) % (unsigned)(10 * (attempt + 1))));
	}
	vp_error_prefix(err, "prefix list %s kept changing (%d attempts)", l->id,
			VP_BROKER_PL_ATTEMPTS);
	return code;
}

/* Under mu: take waiters from the head while their changes fit in one call. */
static struct waiter *take_batch(struct vp_broker_prefix_list *l,
				 const struct vp_broker_pl_change **all, size_t *count)
{
	struct waiter *first = l->head, *last = NULL;

	*count = 0;
	for (struct waiter *w = l->head; w; w = w->next) {
		if (last && *count + w->count > VP_AWS_PL_MAX_CHANGES)
			break;
		for (size_t i = 0; i < w->count; i++)
			all[(*count)++] = &w->changes[i];
		last = w;
	}
	if (last) {
		l->head = last->next;
		last->next = NULL;
	}
	return first;
}

vp_code vp_broker_prefix_list_apply(struct vp_broker_prefix_list *l,
				    const struct vp_broker_pl_change *changes, size_t count,
				    struct vp_error *err)
{
	struct waiter me = {.changes = changes, .count = count};
	struct waiter **tail;

	if (count == 0)
		return VP_OK;
	if (count > VP_AWS_PL_MAX_CHANGES)
		return vp_fail(err, VP_ERR_INVALID, "at most %d prefix list changes at once",
			       VP_AWS_PL_MAX_CHANGES);
	pthread_mutex_lock(&l->mu);
	for (tail = &l->head; *tail; tail = &(*tail)->next)
		;
	*tail = &me;
	while (!me.done) {
		const struct vp_broker_pl_change *all[VP_AWS_PL_MAX_CHANGES];
		struct waiter *batch;
		struct vp_error e = {0};
		size_t n;
		unsigned seed;
		vp_code code;

		if (l->writing) {
			pthread_cond_wait(&l->cv, &l->mu);
			continue;
		}
		l->writing = true;
		batch = take_batch(l, all, &n);
		seed = rand_r(&l->seed);
		pthread_mutex_unlock(&l->mu);
		code = write_batch(l, all, n, seed, &e);
		if (code != VP_OK)
			vp_log(VP_LOG_WARN, "prefix list %s: %s", l->id, e.message);
		pthread_mutex_lock(&l->mu);
		for (struct waiter *w = batch, *next; w; w = next) {
			next = w->next;
			w->code = code;
			w->err = e;
			w->done = true;
		}
		l->writing = false;
		pthread_cond_broadcast(&l->cv);
	}
	pthread_mutex_unlock(&l->mu);
	if (me.code != VP_OK && err)
		*err = me.err;
	return me.code;
}
