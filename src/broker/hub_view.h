/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the hub page (issue 17, docs/operations.md "The hub page") and
 * GET /v1/events read from the broker: the hub, its capacity figures, the
 * audit history newest first, and the last reconciler pass's report, kept in
 * memory. Thread-safe as the broker is.
 *
 * Memory: outputs are plain structs the caller provides, except
 * vp_broker_last_pass()'s JSON, which the caller decrefs.
 */
#ifndef VP_BROKER_HUB_VIEW_H
#define VP_BROKER_HUB_VIEW_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"
#include "registry/registry.h"
#include "registry/state.h"

struct vp_broker;
struct vp_identity;
struct vp_reconcile_report;
struct vp_registration;

struct vp_broker_hub {
	char account[13];
	char vpc[32];
	char cidr[20];
	char region[64];
	const char *accepter; /* "broker" / "peer-role" */
	const char *attach;   /* "peering" / "transit-gateway" */
	char transit_gateway_id[32];
	int64_t states[VP_NS_STATE_COUNT]; /* records per state (released: every one ever) */
	int64_t live;                      /* pending + active + failed + releasing */
	int64_t capacity;         /* live namespaces the hub can hold: the plan and AWS's cap */
	int64_t plan_room;        /* the plan's namespaces, less n = 0 and the reserved ones */
	int64_t aws_room;         /* peerings per VPC, or attachments per transit gateway */
	int max_routes_per_table; /* --max-routes-per-table */
	size_t route_tables;      /* the hub route tables the broker writes */
	size_t trust_quota;       /* IAM's ACLSizePerRole the broker assumes */
};

/* The hub and the counts the capacity gauges show (one registry read). */
VP_NODISCARD vp_code vp_broker_hub(struct vp_broker *broker, struct vp_broker_hub *out,
				   struct vp_error *err);

/*
 * Events newest first, filtered by n (0: any) and account (NULL or "": any),
 * from the cursor (an event id: those below it; 0: the newest). caller NULL is
 * the operator on the admin listener; otherwise only an admin may read them
 * (VP_ERR_FORBIDDEN). *next_cursor: the cursor of the next page, 0 when none.
 */
VP_NODISCARD vp_code vp_broker_events(struct vp_broker *broker, const struct vp_identity *caller,
				      int64_t n, const char *account, int64_t cursor,
				      struct vp_event_record *out, size_t max, size_t *count,
				      int64_t *next_cursor, struct vp_error *err);

/*
 * Namespaces for the operator (no caller check): as vp_registry_list (states
 * 0: every state), into out (max <= VP_REGISTRY_PAGE_MAX), as the API shows them.
 */
VP_NODISCARD vp_code vp_broker_records(struct vp_broker *broker, unsigned states,
				       const char *account, int64_t cursor,
				       struct vp_registration *out, size_t max, size_t *count,
				       int64_t *next_cursor, struct vp_error *err);

/* Keep a pass's report as the last one (at most VP_BROKER_LAST_PASS_ITEMS of its items). */
#define VP_BROKER_LAST_PASS_ITEMS 50
void vp_broker_note_pass(struct vp_broker *broker, const struct vp_reconcile_report *report);

/* The last pass's report as JSON (a new reference), or NULL when none has run. */
json_t *vp_broker_last_pass(struct vp_broker *broker);

#endif
