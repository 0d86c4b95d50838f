/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The limits a registration is checked against and the quota view behind
 * them (quota.h, docs/broker.md "Quotas").
 */
#include "broker/quota.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/ec2.h"
#include "broker/internal.h"
#include "core/clock.h"
#include "core/log.h"

/* Live records read per registry page while a refresh attributes what it found. */
#define OWNER_PAGE 64

/* What the hub holds that no live namespace accounts for. */
struct hub_figures {
	size_t strays; /* active peerings of the hub VPC that no live namespace owns */
	size_t table_count;
	char tables[VP_BROKER_MAX_ROUTE_TABLES][VP_AWS_ID_MAX + 1];
	size_t other[VP_BROKER_MAX_ROUTE_TABLES]; /* routes not the broker's to a live namespace */
};

struct vp_broker_quota {
	struct vp_broker *b;
	int max_per_account;
	int64_t refresh_ms;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	bool thread_started;
	/* Under mu: */
	bool stop, wanted, refreshing;
	int64_t loaded_at_ms; /* monotonic */
	struct hub_figures fig;
};

/* ---- the refresh: one Describe of each, then the registry's live records ---- */

vp_code vp_broker_describe_hub_peerings(struct vp_broker *b, struct vp_aws_ec2_peering_list **out,
					struct vp_error *err)
{
	const char *vpc[] = {b->hub_vpc};
	struct vp_aws_ec2_filter f = {"accepter-vpc-info.vpc-id", vpc, 1};
	struct vp_aws_ec2_query q = {.filters = &f, .filter_count = 1};
	struct vp_aws_error aerr;
	vp_code code = vp_aws_ec2_describe_vpc_peering_connections(b->aws, &q, out, &aerr);

	vp_broker_note_aws(b->metrics, "DescribeVpcPeeringConnections", code, &aerr);
	if (code != VP_OK)
		return vp_broker_aws_fail(err, &aerr, "reading the hub VPC's peering connections");
	return VP_OK;
}

/* What a live record owns: its peering (also a confirm's intent) and its routes. */
static void mark_owned(const struct vp_namespace_record *rec,
		       const struct vp_aws_ec2_peering_list *peerings, bool *peering_owned,
		       const struct vp_aws_ec2_route_table_list *tables, bool **route_owned)
{
	for (size_t i = 0; rec->peering_id[0] && i < peerings->count; i++) {
		const char *id = peerings->items[i].vpc_peering_connection_id;
		if (id && strcmp(id, rec->peering_id) == 0)
			peering_owned[i] = true;
	}
	for (size_t t = 0; t < tables->count; t++)
		for (size_t r = 0; r < tables->items[t].route_count; r++) {
			const struct vp_aws_ec2_route *rt = &tables->items[t].routes[r];
			if (rt->vpc_peering_connection_id && rt->destination_cidr_block &&
			    strcmp(rt->destination_cidr_block, rec->vpc_cidr) == 0)
				route_owned[t][r] = true;
		}
}

/* Mark what every live record owns, a page of records at a time. */
static vp_code mark_live(struct vp_broker *b, const struct vp_aws_ec2_peering_list *peerings,
			 bool *peering_owned, const struct vp_aws_ec2_route_table_list *tables,
			 bool **route_owned, struct vp_error *err)
{
	struct vp_registry_filter filter = {
		.states = VP_NS_STATE_BIT(VP_NS_PENDING) | VP_NS_STATE_BIT(VP_NS_ACTIVE) |
			  VP_NS_STATE_BIT(VP_NS_FAILED) | VP_NS_STATE_BIT(VP_NS_RELEASING)};
	struct vp_namespace_record *page = calloc(OWNER_PAGE, sizeof(*page));
	vp_code code = VP_OK;

	if (!page)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	do {
		size_t got = 0;
		int64_t next = 0;
		code = vp_registry_list(b->registry, &filter, page, OWNER_PAGE, &got, &next, err);
		for (size_t i = 0; code == VP_OK && i < got; i++)
			mark_owned(&page[i], peerings, peering_owned, tables, route_owned);
		filter.after_id = next;
	} while (code == VP_OK && filter.after_id != 0);
	free(page);
	return code;
}

static bool counts_as_active(const char *status)
{
	return status && (strcmp(status, "active") == 0 || strcmp(status, "provisioning") == 0);
}

/* The figures from what AWS answered, once the live records have marked theirs. */
static void tally(const struct vp_aws_ec2_peering_list *peerings, const bool *peering_owned,
		  const struct vp_aws_ec2_route_table_list *tables, bool *const *route_owned,
		  struct hub_figures *fig)
{
	memset(fig, 0, sizeof(*fig));
	for (size_t i = 0; i < peerings->count; i++)
		if (!peering_owned[i] && counts_as_active(peerings->items[i].status_code))
			fig->strays++;
	for (size_t t = 0; t < tables->count && t < VP_BROKER_MAX_ROUTE_TABLES; t++) {
		const struct vp_aws_ec2_route_table *tb = &tables->items[t];
		snprintf(fig->tables[t], sizeof(fig->tables[t]), "%s",
			 tb->route_table_id ? tb->route_table_id : "?");
		for (size_t r = 0; r < tb->route_count; r++) {
			const char *gw = tb->routes[r].gateway_id;
			if ((gw && strcmp(gw, "local") == 0) || route_owned[t][r])
				continue;
			fig->other[t]++;
		}
		fig->table_count = t + 1;
	}
}

/*
 * Read the hub and attribute it: outside the mutex (AWS and registry calls).
 * given: the hub's peerings read by the caller, or NULL (read them here).
 */
static vp_code read_figures(struct vp_broker *b, const struct vp_aws_ec2_peering_list *given,
			    struct hub_figures *fig, struct vp_error *err)
{
	struct vp_aws_ec2_peering_list *read = NULL;
	const struct vp_aws_ec2_peering_list *peerings = given;
	struct vp_aws_ec2_route_table_list *tables = NULL;
	bool *peering_owned = NULL, **route_owned = NULL;
	vp_code code = VP_OK;

	if (!given && (code = vp_broker_describe_hub_peerings(b, &read, err)) == VP_OK)
		peerings = read;
	if (code != VP_OK || (code = vp_broker_describe_tables(b, &tables, err)) != VP_OK)
		goto out;
	peering_owned = calloc(peerings->count + 1, sizeof(*peering_owned));
	route_owned = calloc(tables->count + 1, sizeof(*route_owned));
	for (size_t t = 0; route_owned && t < tables->count; t++)
		if (!(route_owned[t] = calloc(tables->items[t].route_count + 1, sizeof(bool))))
			break;
	if (!peering_owned || !route_owned || (tables->count && !route_owned[tables->count - 1])) {
		code = vp_fail(err, VP_ERR_NOMEM, "out of memory");
		goto out;
	}
	code = mark_live(b, peerings, peering_owned, tables, route_owned, err);
	if (code == VP_OK)
		tally(peerings, peering_owned, tables, route_owned, fig);
out:
	for (size_t t = 0; route_owned && t < tables->count; t++)
		free(route_owned[t]);
	free(route_owned);
	free(peering_owned);
	vp_aws_ec2_peering_list_free(read);
	vp_aws_ec2_route_table_list_free(tables);
	return code;
}

/* Under mu: the refreshed figures, fresh from now. */
static void store_figures(struct vp_broker_quota *q, const struct hub_figures *fig,
			  const char *from)
{
	q->fig = *fig;
	q->loaded_at_ms = vp_clock_monotonic_ms();
	vp_log(VP_LOG_DEBUG,
	       "broker: quota view refreshed%s: %zu stray peering(s), %zu route table(s)", from,
	       fig->strays, fig->table_count);
}

/* ---- the refresher ---- */

static void *refresher(void *arg)
{
	struct vp_broker_quota *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct hub_figures *fig;
		struct vp_error e;
		vp_code code;

		while (!q->stop && !q->wanted)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->stop)
			break;
		q->wanted = false;
		q->refreshing = true;
		pthread_mutex_unlock(&q->mu);

		fig = malloc(sizeof(*fig));
		code = fig ? read_figures(q->b, NULL, fig, &e)
			   : vp_fail(&e, VP_ERR_NOMEM, "out of memory");
		if (code != VP_OK)
			vp_log(VP_LOG_WARN,
			       "broker: quota view not refreshed (kept the last one): %s",
			       e.message);

		pthread_mutex_lock(&q->mu);
		if (code == VP_OK)
			store_figures(q, fig, "");
		q->refreshing = false;
		free(fig);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Under mu: ask the refresher for a fresh view unless one is on its way. */
static void want_refresh(struct vp_broker_quota *q)
{
	if (q->refreshing || q->wanted)
		return;
	q->wanted = true;
	pthread_cond_signal(&q->cv);
}

vp_code vp_broker_quota_new(struct vp_broker *b, int max_per_account, int64_t refresh_s,
			    struct vp_broker_quota **out, struct vp_error *err)
{
	struct vp_broker_quota *q;
	vp_code code;

	if (max_per_account < 0)
		return vp_fail(err, VP_ERR_INVALID,
			       "--max-namespaces-per-account %d is negative (0: no cap)",
			       max_per_account);
	if (refresh_s < 1 || refresh_s > 86400)
		return vp_fail(err, VP_ERR_INVALID, "--quota-refresh %lld is outside 1..86400 s",
			       (long long)refresh_s);
	if (!(q = calloc(1, sizeof(*q))))
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	q->b = b;
	q->max_per_account = max_per_account;
	q->refresh_ms = refresh_s * 1000;
	/* Start-up: the view is loaded once before the broker answers anyone. */
	if ((code = read_figures(b, NULL, &q->fig, err)) != VP_OK) {
		free(q);
		return code;
	}
	q->loaded_at_ms = vp_clock_monotonic_ms();
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	if (pthread_create(&q->thread, NULL, refresher, q) != 0) {
		pthread_cond_destroy(&q->cv);
		pthread_mutex_destroy(&q->mu);
		free(q);
		return vp_fail(err, VP_ERR_INTERNAL, "could not start the quota view's thread");
	}
	q->thread_started = true;
	*out = q;
	return VP_OK;
}

void vp_broker_quota_free(struct vp_broker_quota *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	if (q->thread_started)
		pthread_join(q->thread, NULL);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

void vp_broker_quota_invalidate(struct vp_broker *b)
{
	if (!b->quota)
		return;
	pthread_mutex_lock(&b->quota->mu);
	want_refresh(b->quota);
	pthread_mutex_unlock(&b->quota->mu);
}

void vp_broker_quota_refresh_from(struct vp_broker *b,
				  const struct vp_aws_ec2_peering_list *peerings)
{
	struct hub_figures *fig;
	struct vp_error e;
	vp_code code;

	if (!b->quota)
		return;
	fig = malloc(sizeof(*fig));
	code = fig ? read_figures(b, peerings, fig, &e)
		   : vp_fail(&e, VP_ERR_NOMEM, "out of memory");
	if (code == VP_OK) {
		pthread_mutex_lock(&b->quota->mu);
		store_figures(b->quota, fig, " from the reconciler's pass");
		pthread_mutex_unlock(&b->quota->mu);
	} else {
		vp_log(VP_LOG_WARN, "broker: quota view not refreshed (kept the last one): %s",
		       e.message);
	}
	free(fig);
}

/* ---- the checks ---- */

vp_code vp_broker_quota_check(struct vp_broker *b, int64_t held, struct vp_error *err)
{
	struct vp_broker_quota *q = b->quota;
	struct hub_figures *fig = malloc(sizeof(*fig));
	vp_code code = VP_OK;

	if (!fig)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&q->mu);
	if (vp_clock_monotonic_ms() - q->loaded_at_ms >= q->refresh_ms)
		want_refresh(q);
	*fig = q->fig;
	pthread_mutex_unlock(&q->mu);

	if ((int64_t)fig->strays + held > b->max_peerings)
		code = vp_fail(err, VP_ERR_EXHAUSTED,
			       "the hub VPC has %lld live namespaces and %zu other active peering "
			       "connections, AWS's quota of active VPC peering connections per VPC "
			       "(--max-peerings %d); raise the quota in Service Quotas and "
			       "--max-peerings (AWS's highest is 125)",
			       (long long)(held - 1), fig->strays, b->max_peerings);
	for (size_t i = 0; code == VP_OK && i < fig->table_count; i++)
		if ((int64_t)fig->other[i] + held > b->max_routes_per_table)
			code = vp_fail(err, VP_ERR_EXHAUSTED,
				       "hub route table %s would need %lld routes (%zu of its own "
				       "and one per live namespace), past AWS's quota of routes "
				       "per route table (--max-routes-per-table %d); raise the "
				       "quota in Service Quotas and --max-routes-per-table",
				       fig->tables[i], (long long)(fig->other[i] + (size_t)held),
				       fig->other[i], b->max_routes_per_table);
	free(fig);
	return code;
}

vp_code vp_broker_quota_check_account(struct vp_broker *b, const char *account, int64_t held,
				      struct vp_error *err)
{
	int cap = b->quota->max_per_account;

	if (cap == 0 || held <= cap)
		return VP_OK;
	return vp_fail(err, VP_ERR_EXHAUSTED,
		       "account %s has %lld live namespaces, the most one account may hold "
		       "(--max-namespaces-per-account %d); release one, or raise the flag",
		       account, (long long)(held - 1), cap);
}

vp_code vp_broker_check_not_expired(struct vp_broker *b, const struct vp_namespace_record *rec,
				    struct vp_error *err)
{
	int64_t now = vp_registry_time_now(b->registry);
	time_t at = (time_t)rec->expires_at;
	struct tm tm;
	char when[32] = "?";

	if (rec->state != VP_NS_PENDING || rec->expires_at <= 0 || rec->expires_at > now)
		return VP_OK;
	if (gmtime_r(&at, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return vp_fail(err, VP_ERR_CONFLICT,
		       "namespace %lld was not confirmed within --pending-ttl (%lld s): its "
		       "registration expired at %s (%lld s ago); release it and register again",
		       (long long)rec->n, (long long)b->pending_ttl, when,
		       (long long)(now - rec->expires_at));
}

bool vp_broker_quota_use(struct vp_broker *b, struct vp_broker_quota_use *out)
{
	struct vp_broker_quota *q = b->quota;

	if (!q)
		return false;
	pthread_mutex_lock(&q->mu);
	out->strays = q->fig.strays;
	out->table_count = q->fig.table_count;
	memcpy(out->tables, q->fig.tables, sizeof(out->tables));
	memcpy(out->other, q->fig.other, sizeof(out->other));
	pthread_mutex_unlock(&q->mu);
	return true;
}
