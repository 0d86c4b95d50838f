/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The broker's workflows (docs/design.md "The flow of one client",
 * docs/api.md): register, confirm, release, show, list, for a caller whose
 * identity the API has verified.
 *
 * A struct vp_broker borrows the registry, the AWS client (with the hub
 * account's credentials) and the metrics; vp_broker_new() checks the hub
 * (the VPC exists and its CIDR does not overlap a client namespace, every
 * peer role exists, the route tables belong to the hub VPC; in broker mode
 * with no --peer-role it makes no IAM call) and fails with a
 * message naming what is wrong. Safe to use from many threads: changes to a
 * peer role's trust policy are serialised (one writer per role, across
 * brokers sharing a PostgreSQL registry) and batched (callers waiting on the
 * same role are served by one GetRole + UpdateAssumeRolePolicy).
 *
 * Errors: VP_ERR_INVALID (400), VP_ERR_FORBIDDEN (403: account not allowed,
 * or another account's namespace), VP_ERR_NOT_FOUND (404), VP_ERR_CONFLICT
 * (409: wrong state, peering does not match, route held by another target),
 * VP_ERR_EXHAUSTED (409: capacity or a quota, named with how to raise it),
 * VP_ERR_UNAVAILABLE (503: AWS throttled past the retry budget, database
 * busy), VP_ERR_AWS (502). A failed call leaves nothing half-done.
 */
#ifndef VP_BROKER_BROKER_H
#define VP_BROKER_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr/plan.h"
#include "broker/types.h"
#include "core/error.h"
#include "registry/registry.h"

#include "broker/limits.h" /* VP_BROKER_MAX_* */

struct vp_aws_client;
struct vp_metrics;

#define VP_BROKER_DEFAULT_MAX_PEERINGS 50   /* AWS's default active peerings per VPC */
#define VP_BROKER_HARD_MAX_PEERINGS    125  /* AWS's highest */
#define VP_BROKER_DEFAULT_MAX_ROUTES   50   /* AWS's default routes per route table */
#define VP_BROKER_DEFAULT_TRUST_QUOTA  2048 /* IAM's default ACLSizePerRole */
#define VP_BROKER_DEFAULT_PENDING_TTL  1800 /* seconds: one client stack's creation */

/* The mode (enum vp_peering_accepter, broker/types.h): */
/* "broker" or "peer-role". */
const char *vp_broker_accepter_name(enum vp_peering_accepter accepter);
/* "broker" / "peer-role" into *out; VP_ERR_INVALID naming --peering-accepter. */
VP_NODISCARD vp_code vp_broker_accepter_parse(const char *text, enum vp_peering_accepter *out,
					      struct vp_error *err);

/* Who may confirm and release (enum vp_broker_authorize, broker/types.h): */
/* "principal" or "account". */
const char *vp_broker_authorize_name(enum vp_broker_authorize authorize);
/* "principal" / "account" into *out; VP_ERR_INVALID naming --authorize. */
VP_NODISCARD vp_code vp_broker_authorize_parse(const char *text, enum vp_broker_authorize *out,
					       struct vp_error *err);
/*
 * The principal of a caller's ARN: "arn:P:iam::A:role/R" for an assumed-role
 * session "arn:P:sts::A:assumed-role/R/S", the ARN itself otherwise.
 */
void vp_broker_principal_of(const char *arn, char *out, size_t size);

struct vp_broker_config {
	const char *hub_account;
	const char *hub_vpc;
	const char *hub_region;
	enum vp_peering_accepter peering_accepter; /* default BROKER */
	/* role names, the pool in order: required in peer-role mode; in broker mode
	 * optional, only to find and revoke the grants of an earlier peer-role mode */
	const char *peer_roles[VP_BROKER_MAX_PEER_ROLES];
	size_t peer_role_count;
	const char *route_tables[VP_BROKER_MAX_ROUTE_TABLES]; /* none: every table of the hub VPC */
	size_t route_table_count;
	const char *allow_accounts[VP_BROKER_MAX_ACCOUNTS];
	size_t allow_account_count;
	bool allow_any_account;
	const char *admin_arns[VP_BROKER_MAX_ADMINS];
	size_t admin_arn_count;
	enum vp_broker_authorize authorize; /* default PRINCIPAL */
	int64_t pending_ttl;       /* seconds a registration may stay unconfirmed; 0: never */
	int64_t grant_settle_ms;   /* wait after a trust-policy change before answering */
	int max_peerings;          /* live namespaces the hub VPC may have */
	int max_routes_per_table;  /* routes a hub route table may hold */
	size_t trust_policy_quota; /* IAM's ACLSizePerRole */

	/* The limits one account cannot break (quota.h, issue 13). */
	int max_namespaces_per_account; /* live namespaces one account may hold; 0: no cap */
	int64_t quota_refresh;          /* seconds the quota view may age before a refresh */
	int64_t accept_wait;            /* seconds confirm waits for an accepted peering */
	struct vp_plan plan;

	/* The hub side beyond routes (issue 19; hub_side.h). */
	const char *prefix_list;         /* pl-...: the list of live clients; NULL: none */
	enum vp_peering_dns peering_dns; /* default AUTO */
	const char *hosted_zone;         /* Z...: the hub's private hosted zone; NULL: none */

	/* The transit-gateway mode (issue 16; tgw.h, docs/broker.md "The transit-gateway mode"). */
	enum vp_broker_attach attach; /* default PEERING */
	struct vp_broker_tgw_config tgw;
};

/* How clients attach (enum vp_broker_attach, broker/types.h; mode.c): */
/* "peering" or "transit-gateway". */
const char *vp_broker_attach_name(enum vp_broker_attach attach);
/* "peering" / "transit-gateway" into *out; VP_ERR_INVALID naming --attach. */
VP_NODISCARD vp_code vp_broker_attach_parse(const char *text, enum vp_broker_attach *out,
					    struct vp_error *err);

/* The defaults: broker mode, TTL 1800 s, settle 10 s, 50 peerings, 50 routes, quota 2048,
 * 5 namespaces per account, quota view refreshed after 30 s, accept wait 20 s. */
void vp_broker_config_init(struct vp_broker_config *cfg);

struct vp_broker;

VP_NODISCARD vp_code vp_broker_new(const struct vp_broker_config *cfg, struct vp_registry *registry,
				   struct vp_aws_client *aws, struct vp_metrics *metrics,
				   struct vp_broker **out, struct vp_error *err);
void vp_broker_free(struct vp_broker *broker);

/* A namespace as the API shows it: the record plus the hub side and the plan. */
struct vp_registration {
	struct vp_namespace_record record;
	struct vp_namespace_plan plan;
	char peer_vpc_id[32];
	char peer_owner_id[13];
	char peer_region[64];
	char peer_cidr[20];
	char peering_accepter[16]; /* vp_broker_accepter_name() of the broker's mode */
	char hosted_zone[40];      /* active, with --hosted-zone: the zone the client associates */
	/* The transit-gateway mode: "transit-gateway" (else "peering"), the gateway and its share.
	 */
	char attach[16];
	char transit_gateway_id[VP_AWS_ID_MAX + 1];
	char resource_share_arn[256];
};

/* VP_ERR_FORBIDDEN when the caller's account may not use the broker. */
VP_NODISCARD vp_code vp_broker_check_caller(const struct vp_broker *broker,
					    const struct vp_identity *caller, struct vp_error *err);
bool vp_broker_is_admin(const struct vp_broker *broker, const struct vp_identity *caller);

/* POST /v1/namespaces. *created false for a replay of the same client_ref. */
VP_NODISCARD vp_code vp_broker_register(struct vp_broker *broker, const struct vp_identity *caller,
					const struct vp_register_request *req,
					const char *request_id, struct vp_registration *out,
					bool *created, struct vp_error *err);

/* POST /v1/namespaces/{n}/confirm. Idempotent for the same peering. */
VP_NODISCARD vp_code vp_broker_confirm(struct vp_broker *broker, const struct vp_identity *caller,
				       int64_t n, const struct vp_confirm_request *req,
				       const char *request_id, struct vp_registration *out,
				       struct vp_error *err);

/* DELETE /v1/namespaces/{n}. Idempotent. client_ref (NULL or "": any) names the
 * registration meant: VP_ERR_NOT_FOUND, nothing changed, when n holds another. */
VP_NODISCARD vp_code vp_broker_release(struct vp_broker *broker, const struct vp_identity *caller,
				       int64_t n, const char *client_ref, const char *request_id,
				       struct vp_registration *out, struct vp_error *err);

/* GET /v1/namespaces/{n}. */
VP_NODISCARD vp_code vp_broker_get(struct vp_broker *broker, const struct vp_identity *caller,
				   int64_t n, struct vp_registration *out, struct vp_error *err);

/*
 * GET /v1/namespaces: the caller's own account's (an admin: `account`, or all),
 * at most max into out (heap array the caller provides), from the cursor.
 */
VP_NODISCARD vp_code vp_broker_list(struct vp_broker *broker, const struct vp_identity *caller,
				    unsigned states, const char *account, int64_t cursor,
				    struct vp_registration *out, size_t max, size_t *count,
				    int64_t *next_cursor, struct vp_error *err);

/* Whether the registry answers (GET /readyz). */
bool vp_broker_ready(struct vp_broker *broker);

/*
 * GET /readyz's checks, in order: "registry_read" (a count of live
 * namespaces), "registry_write" (a heartbeat row written and committed in a
 * transaction of its own: a full disk or a read-only database fails it).
 * NULL when all pass, else the name of the first that failed (a static
 * string: no detail, it is shown to anyone).
 */
const char *vp_broker_readiness(struct vp_broker *broker);

#endif
