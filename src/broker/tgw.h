/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the broker: the transit-gateway mode (issue 16; docs/broker.md "The
 * transit-gateway mode"). Clients reach the hub through one VPC attachment
 * each to the hub's transit gateway, which a RAM resource share makes visible
 * to their accounts. Two transit-gateway route tables keep clients apart: the
 * clients' table, associated with every client attachment, holds only the
 * route to the hub; the hub's table, associated with the hub VPC's
 * attachment, holds one static route per client block (static, never
 * propagated: a client's VPC must not decide what the hub routes to it). The
 * hub VPC's own route tables hold one route for the whole address pool to
 * the transit gateway, made once at start-up.
 *
 * tgw.c: the settings checked at start-up, the register checks (region,
 * quotas) and the share's principals; tgw_attach.c: confirm's and release's
 * attachment steps. struct vp_broker_tgw is owned by the broker
 * (vp_broker_tgw_free); its counters are guarded by its mutex, never held
 * across an AWS call.
 */
#ifndef VP_BROKER_TGW_H
#define VP_BROKER_TGW_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker/internal.h"

struct vp_aws_tgw_attachment;
struct vp_broker_tgw_share_op;

/* AWS's quotas (docs.aws.amazon.com/vpc/latest/tgw/transit-gateway-quotas.html). */
#define VP_BROKER_TGW_MAX_ATTACHMENTS 5000  /* attachments per transit gateway: not raisable */
#define VP_BROKER_TGW_MAX_ROUTES      10000 /* static routes across a gateway's route tables */
/* Our default for principals per share (RAM: docs.aws.amazon.com/ram/latest/userguide/
 * ram-limits.html; raisable in Service Quotas: give --share-max-principals). */
#define VP_BROKER_TGW_MAX_PRINCIPALS 5000
#define VP_BROKER_TGW_ARN_MAX        255

struct vp_broker_tgw {
	char tgw[VP_AWS_ID_MAX + 1];
	char share[VP_BROKER_TGW_ARN_MAX + 1];
	char client_table[VP_AWS_ID_MAX + 1];
	char hub_table[VP_AWS_ID_MAX + 1];
	/* Associated with nothing: confirm propagates the attachment there for a moment to read
	 * the VPC's CIDR blocks (issue 16), then turns the propagation off. */
	char verify_table[VP_AWS_ID_MAX + 1];
	int max_attachments, max_routes, max_principals;
	/* The share names an organization and refuses outside principals: every account that
	 * can use it sees the gateway already, the broker adds no principal. */
	bool org_only;

	pthread_mutex_t mu;
	int64_t other_attachments; /* attachments no live namespace holds (the hub's, others) */
	int64_t other_routes;      /* static routes that are not a client's (the hub's route) */
	int64_t principals;        /* account principals of the share */

	/* The share's principal changes, batched (tgw_share.c): queued ops, one leader at a
	 * time, under share_mu (never held across an AWS call or the registry lock). */
	pthread_mutex_t share_mu;
	pthread_cond_t share_done;    /* a batch finished */
	pthread_cond_t share_arrived; /* an op was queued while the leader gathers */
	struct vp_broker_tgw_share_op *head, *tail;
	size_t queued;
	bool leading, gathering;
	size_t in_batch; /* ops the running leader took */
	/* A new leader waits up to gather_ms for changes still arriving (stopping at the first
	 * gap of gather_ms / 4); <= 0: no wait, batches form behind a running RAM call. */
	int64_t gather_ms;
	/* The registry lock of the share's changes: "share:" and the share's id. */
	char share_lock[VP_BROKER_TGW_ARN_MAX + 8];
};

/* Principals per AssociateResourceShare / DisassociateResourceShare (RAM's own bound:
 * ResourceShareLimitExceededException, RAM API reference, "You can associate up to 100
 * resources per call"; aws/ram.h refuses longer lists). */
#define VP_BROKER_TGW_SHARE_BATCH 100

/* The batching state of t (tgw_share.c): at start-up, and freed with t. */
void vp_broker_tgw_share_init(struct vp_broker_tgw *t);
void vp_broker_tgw_share_destroy(struct vp_broker_tgw *t);

/* The mode's settings alone (before any AWS call): VP_ERR_INVALID naming the flag. */
VP_NODISCARD vp_code vp_broker_tgw_check_config(enum vp_broker_attach attach,
						const struct vp_broker_tgw_config *cfg,
						struct vp_error *err);

/*
 * At start-up in the transit-gateway mode (b's hub VPC, region and route
 * tables are set): the settings, then AWS: the gateway is the hub account's
 * in this region, available, auto-accept and the default association and
 * propagation off; both route tables are the gateway's; the share holds the
 * gateway; the hub VPC has an attachment; the hub route tables get the
 * pool's route to the gateway (once). VP_ERR_INVALID naming the flag and
 * the fix. b->tgw stays NULL in the peering mode.
 */
VP_NODISCARD vp_code vp_broker_tgw_start(struct vp_broker *b, enum vp_broker_attach attach,
					 const struct vp_broker_tgw_config *cfg,
					 struct vp_error *err);
void vp_broker_tgw_free(struct vp_broker_tgw *t);

/*
 * Register, before allocating: region ("" when the client did not say) is
 * the hub's (VP_ERR_INVALID otherwise: a transit gateway serves one region);
 * `held` live namespaces (the new one included) fit the attachment and route
 * quotas and, when new_account, the share's principals (VP_ERR_EXHAUSTED
 * naming the quota and, where it can be raised, how).
 */
VP_NODISCARD vp_code vp_broker_tgw_check_region(struct vp_broker *b, const char *region,
						struct vp_error *err);
VP_NODISCARD vp_code vp_broker_tgw_check_quota(struct vp_broker *b, int64_t held, bool new_account,
					       struct vp_error *err);

/*
 * The account of rec as a principal of the share (after the allocation).
 * Batched (tgw_share.c): concurrent changes queue, one leader at a time
 * takes them all and makes one AssociateResourceShare (and one
 * DisassociateResourceShare) for up to VP_BROKER_TGW_SHARE_BATCH accounts,
 * under the registry lock "share:<share id>" (so across brokers). A failed
 * call fails each of its changes with AWS's error (a refusal that names one
 * principal is retried alone for each, so one account cannot fail the
 * others). RAM's clientToken is derived from the batch, so that a retry of
 * the same batch is not a second association. Nothing when org_only.
 */
VP_NODISCARD vp_code vp_broker_tgw_share_add(struct vp_broker *b,
					     const struct vp_namespace_record *rec,
					     const char *request_id, struct vp_error *err);

/* The share's principals counted (+1: a new account's added); the reconciler recounts. */
void vp_broker_tgw_count_principal(struct vp_broker *b, int delta);

/*
 * Release: the account's principal removed when it has no live namespace
 * left (checked under the same lock); RAM's not-found is done.
 */
VP_NODISCARD vp_code vp_broker_tgw_share_remove(struct vp_broker *b,
						const struct vp_namespace_record *rec,
						const char *request_id, struct vp_error *err);

/* ---- tgw_attach.c ---- */

/* Confirm's step in this mode (vp_broker_step_fn; input: struct vp_confirm_request). */
VP_NODISCARD vp_code vp_broker_tgw_confirm_step(struct vp_broker *b,
						const struct vp_identity *caller, int64_t n,
						const void *input, const char *request_id,
						struct vp_namespace_record *rec,
						struct vp_error *err);

/*
 * Whether attachment a is namespace rec's to confirm: the hub's gateway,
 * rec's account as the VPC's owner, the VPC vpc_id, subnets given. VP_OK or
 * VP_ERR_CONFLICT naming what differs. The reconciler never accepts
 * anything this has not passed.
 */
VP_NODISCARD vp_code vp_broker_tgw_check_attachment(const struct vp_broker *b,
						    const struct vp_namespace_record *rec,
						    const char *vpc_id,
						    const struct vp_aws_tgw_attachment *a,
						    struct vp_error *err);

/* Release: the hub table's static route to rec's block (when it is rec's attachment's or a
 * blackhole), then the attachment deleted (rejected while pending acceptance). NotFound: done. */
VP_NODISCARD vp_code vp_broker_tgw_remove_route(struct vp_broker *b,
						const struct vp_namespace_record *rec,
						struct vp_error *err);
VP_NODISCARD vp_code vp_broker_tgw_end_attachment(struct vp_broker *b,
						  const struct vp_namespace_record *rec,
						  const char *request_id, struct vp_error *err);

/* The static route of cidr in the hub table (route-search.exact-match): *found, and its
 * attachment (may be "") and state into the buffers. */
VP_NODISCARD vp_code vp_broker_tgw_find_route(struct vp_broker *b, const char *cidr, bool *found,
					      char *attachment, size_t attachment_size, char *state,
					      size_t state_size, struct vp_error *err);

/* CreateTransitGatewayRoute of rec's block to attachment in the hub table. */
VP_NODISCARD vp_code vp_broker_tgw_add_route(struct vp_broker *b, const char *cidr,
					     const char *attachment, struct vp_error *err);

#endif
