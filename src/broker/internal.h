/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the broker: struct vp_broker and the helpers its workflow files
 * (broker.c, register.c, confirm.c, release.c, the reconciler) share. Not for
 * other modules: they use broker.h. It includes neither broker.h nor
 * grants.h (the limits, the metric names and the AWS outcome helpers are in
 * limits.h and outcome.h below both), so no file of the broker is in an
 * include cycle; grants.c does not include it at all.
 */
#ifndef VP_BROKER_INTERNAL_H
#define VP_BROKER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/plan.h"
#include "aws/route53.h"
#include "broker/accounts.h"
#include "broker/limits.h"
#include "broker/outcome.h"
#include "broker/types.h"
#include "core/error.h"
#include "core/ids.h"
#include "registry/registry.h"

struct vp_aws_ec2_route_table_list;
struct vp_broker_prefix_list;
struct vp_broker_quota;
struct vp_broker_tgw;
struct vp_grants;
struct vp_identity;
struct vp_registration;

/* How long confirm and release wait for another worker on the same namespace. */
#define VP_BROKER_NS_LOCK_TIMEOUT_MS 120000

struct vp_broker {
	struct vp_registry *registry;
	struct vp_aws_client *aws;
	struct vp_metrics *metrics;
	struct vp_grants *grants; /* NULL in broker mode with no --peer-role */
	enum vp_peering_accepter accepter;
	char registry_id[VP_REGISTRY_ID_MAX + 1]; /* vp_registry_id(): VP_TAG_REGISTRY */
	struct vp_broker_quota *quota;            /* quota.h: the cap and the hub's quota view */

	/* hub_side.h: the prefix list of live clients (NULL: none), the peering DNS option */
	struct vp_broker_prefix_list *prefix_list;
	bool peering_dns;
	/* hosted_zone.h: the hub's private hosted zone ("Z...", "" for none) */
	char hosted_zone[VP_AWS_ROUTE53_ZONE_MAX];
	struct vp_broker_tgw *tgw; /* tgw.h: the transit-gateway mode; NULL: peering */

	char hub_account[13];
	char hub_vpc[VP_AWS_ID_MAX + 1];
	char hub_region[64];
	char hub_cidr[20];
	char partition[16];
	char tables[VP_BROKER_MAX_ROUTE_TABLES][VP_AWS_ID_MAX + 1];
	size_t table_count;
	char allow[VP_BROKER_MAX_ACCOUNTS][13];
	size_t allow_count;
	bool allow_any;
	char admins[VP_BROKER_MAX_ADMINS][VP_REGISTRY_ARN_MAX + 1];
	size_t admin_count;
	enum vp_broker_authorize authorize;

	int64_t pending_ttl;
	int64_t accept_wait_ms; /* --accept-wait: confirm waits this for an accepted peering */
	int max_peerings;
	int max_routes_per_table;
	size_t trust_quota;
	struct vp_plan plan;
	/* hub_view.c: the last reconciler pass's report, compact JSON text (NULL: none yet) */
	pthread_mutex_t pass_lock;
	char *last_pass;
};

/* Fill a registration from a record (the plan and the hub side). */
void vp_broker_fill(const struct vp_broker *broker, const struct vp_namespace_record *rec,
		    struct vp_registration *out);

/*
 * A page of namespaces as vp_registry_list has them (max 1..VP_REGISTRY_PAGE_MAX), filled
 * as the API shows them: no caller check (vp_broker_list's, hub_view.h's).
 */
VP_NODISCARD vp_code vp_broker_page(struct vp_broker *broker, unsigned states, const char *account,
				    int64_t cursor, struct vp_registration *out, size_t max,
				    size_t *count, int64_t *next_cursor, struct vp_error *err);
/*
 * The live (or last released) record of n, if the caller may see it: its
 * account's or an admin (caller NULL: the broker itself, the reconciler).
 * VP_ERR_NOT_FOUND, VP_ERR_FORBIDDEN.
 */
VP_NODISCARD vp_code vp_broker_load(struct vp_broker *broker, const struct vp_identity *caller,
				    int64_t n, struct vp_namespace_record *rec,
				    struct vp_error *err);

/*
 * Whether caller may `action` ("confirm", "release") rec (principal.c):
 * VP_ERR_FORBIDDEN naming the registering principal unless the caller is it
 * (or its role), an admin, --authorize account, or the record has no
 * principal (registered before schema v3: logged). caller NULL: the broker.
 */
VP_NODISCARD vp_code vp_broker_check_principal(const struct vp_broker *broker,
					       const struct vp_identity *caller,
					       const struct vp_namespace_record *rec,
					       const char *action, struct vp_error *err);

/*
 * Whether rec is the registration the caller names (client_ref; NULL or "":
 * any): n is reused after its registration ends, possibly by the same
 * account (--quarantine 0), and a late confirm or release by n alone would
 * act on the newer registration. `code` (VP_ERR_CONFLICT for confirm,
 * VP_ERR_NOT_FOUND for release: the named one is gone) names both refs.
 */
VP_NODISCARD vp_code vp_broker_check_registration(const struct vp_namespace_record *rec,
						  const char *client_ref, vp_code code,
						  const char *action, struct vp_error *err);

/*
 * VP_ERR_CONFLICT when rec is a pending registration whose TTL has passed
 * (by the registry's clock): it cannot be confirmed; the message names
 * --pending-ttl and when it expired. VP_OK for any other record (quota.c).
 */
VP_NODISCARD vp_code vp_broker_check_not_expired(struct vp_broker *broker,
						 const struct vp_namespace_record *rec,
						 struct vp_error *err);

/* Ask the quota view for a refresh now (AWS answered a route or peering quota error; quota.c). */
void vp_broker_quota_invalidate(struct vp_broker *broker);

/* The hub route tables as EC2 has them now (the configured ones). */
VP_NODISCARD vp_code vp_broker_describe_tables(struct vp_broker *broker,
					       struct vp_aws_ec2_route_table_list **out,
					       struct vp_error *err);

/*
 * DeleteRoute of `cidr` in a hub route table, counted in
 * vpcpeer_aws_calls_total; a failure becomes "WHAT: <AWS message>".
 */
VP_NODISCARD vp_code vp_broker_delete_route(struct vp_broker *broker, const char *table,
					    const char *cidr, const char *what,
					    struct vp_error *err);

/*
 * Broker mode, at start-up: a warning when the registry still has accounts
 * granted in a peer role (an earlier peer-role mode), with what to do (mode.c).
 */
void vp_broker_warn_old_grants(struct vp_broker *broker);

/* Count a workflow outcome and log it (info; warn for a failure that is not the caller's). */
void vp_broker_outcome(struct vp_broker *broker, const char *workflow, const char *request_id,
		       const char *account, int64_t n, vp_code code, const struct vp_error *err);

/*
 * Take the registry lock "namespace:<n>" (the one confirm, release and the
 * reconciler take for n, also across brokers on PostgreSQL), waiting at most
 * timeout_ms. Release it with vp_registry_unlock().
 */
VP_NODISCARD vp_code vp_broker_lock_namespace(struct vp_broker *broker, int64_t n, int timeout_ms,
					      struct vp_registry_lock **lock, struct vp_error *err);

/* A workflow's body on namespace n, run by vp_broker_run_locked() under n's lock. */
typedef vp_code (*vp_broker_step_fn)(struct vp_broker *broker, const struct vp_identity *caller,
				     int64_t n, const void *input, const char *request_id,
				     struct vp_namespace_record *rec, struct vp_error *err);

struct vp_broker_locked_call {
	const char *workflow;             /* "confirm", "release": counted and logged */
	bool system;                      /* the broker itself: no caller check, caller NULL */
	const struct vp_identity *caller; /* checked with vp_broker_check_caller() first */
	int64_t n;
	const char *request_id; /* NULL: "" */
	int lock_timeout_ms;
	vp_broker_step_fn step;
	const void *input; /* passed to step */
	/* The broker itself acting on a record it read earlier (the reconciler): its id
	 * and the states it may still be in (0: no expectation). The step compares them
	 * with the record read under the lock and changes nothing when they differ: a
	 * lost race (counted), never applied to a newer record of n. */
	int64_t expect_id;
	unsigned expect_states;
	bool expect_expired;    /* and still pending past its TTL (registry time) */
	const char *client_ref; /* a caller's release: only while n holds this registration */
};

/*
 * One confirm or release of n at a time: check the caller (unless system),
 * take n's lock, run the step, let the lock go. On VP_OK, out (may be NULL)
 * gets the registration and rec_out (may be NULL) the record as left, and the
 * gauges are refreshed; the outcome is counted and logged either way (the
 * caller's account, or the record's for the broker itself).
 */
VP_NODISCARD vp_code vp_broker_run_locked(struct vp_broker *broker,
					  const struct vp_broker_locked_call *call,
					  struct vp_registration *out,
					  struct vp_namespace_record *rec_out,
					  struct vp_error *err);

/*
 * Release, as the broker itself (the reconciler: expired or stuck releasing),
 * the record `seen` read earlier, under n's lock waited for at most
 * lock_timeout_ms: only while n's live record is still that one (its id), in
 * one of `states`, and (expired) still pending past its TTL. Otherwise
 * VP_ERR_CONFLICT "lost race", counted in vpcpeer_registry_lost_races_total,
 * nothing changed. rec (may be NULL) gets the record as left.
 */
VP_NODISCARD vp_code vp_broker_release_system(struct vp_broker *broker,
					      const struct vp_namespace_record *seen,
					      unsigned states, bool expired, const char *request_id,
					      int lock_timeout_ms, struct vp_namespace_record *rec,
					      struct vp_error *err);

/* Declare the broker's metric families in m (NULL: none; a name declared already is
 * shared) and set vpcpeer_build_info (metrics.c). */
VP_NODISCARD vp_code vp_broker_metrics_declare(struct vp_metrics *m, struct vp_error *err);

/* The gauges counted when /metrics is asked: vp_metrics_on_render's collector, ctx the
 * broker (metrics.c). */
void vp_broker_metrics_collect(void *ctx);

/* Count a lost race of `workflow` (a write refused: its snapshot was stale). */
void vp_broker_count_lost_race(struct vp_broker *broker, const char *workflow);

#endif
