/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside the CloudFormation handler (cfn/handler.h): one request being
 * handled (struct vp_cfn_job) and the steps the resource types share, used
 * by handler.c (dispatch and the answer), handler_register.c
 * (Custom::PeeringRegistration) and handler_confirm.c
 * (Custom::PeeringConfirmation). Not for use outside src/cfn/.
 */
#ifndef VP_CFN_HANDLER_INTERNAL_H
#define VP_CFN_HANDLER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "cfn/handler.h"
#include "client/broker_client.h"
#include "core/buf.h"

#define VP_CFN_FAILED_PREFIX "vpcpeer-failed-" /* the id of a Create that failed */

/* One request being handled and its answer in the making. */
struct vp_cfn_job {
	const struct vp_cfn_handler_config *cfg;
	const struct vp_cfn_event *ev;
	int64_t deadline_ms;
	int64_t (*now)(void);
	long reserve_ms;
	/* the answer */
	bool success;
	char reason[VP_CFN_REASON_MAX];
	char physical_id[VP_CFN_PHYSICAL_ID_MAX + 1];
	json_t *data;
	int64_t namespace_id;
	const char *action; /* what was done, for the log */
};

/*
 * The event's broker against the pinned one (cfg->broker_url, cfg->server_id):
 * VP_ERR_INVALID naming both when they differ or nothing is pinned; on
 * success bp holds the pinned URL and effective server id.
 */
VP_NODISCARD vp_code vp_cfn_job_pin_broker(const struct vp_cfn_job *j,
					   struct vp_cfn_broker_props *bp, struct vp_error *err);

/* The answer: SUCCESS or FAILED with a reason (FAILED drops any Data). */
void vp_cfn_job_succeed(struct vp_cfn_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vp_cfn_job_fail(struct vp_cfn_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void vp_cfn_job_set_physical_id(struct vp_cfn_job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * One broker call with a fresh proof, within the time left before the
 * deadline less reserve_ms (VP_ERR_UNAVAILABLE when too little is left).
 */
VP_NODISCARD vp_code vp_cfn_job_broker_call(struct vp_cfn_job *j,
					    const struct vp_cfn_broker_props *bp,
					    const char *method, const char *path, const char *body,
					    struct vp_broker_response *resp, struct vp_error *err);

/* FAILED with what the broker said: "broker refused the <what>: 403 forbidden: ...". */
void vp_cfn_job_refused(struct vp_cfn_job *j, const char *what, long status,
			const struct vp_buf *body);

/* FAILED because the broker could not be called: "cannot <what>: ...". */
void vp_cfn_job_unreachable(struct vp_cfn_job *j, const char *what, const struct vp_error *err);

/* The broker's namespace object (sets j->namespace_id), or NULL after answering FAILED. */
json_t *vp_cfn_job_namespace(struct vp_cfn_job *j, const struct vp_broker_response *resp);

/* Custom::PeeringRegistration: Create/Update (POST /v1/namespaces), Delete (GET + DELETE). */
void vp_cfn_registration_upsert(struct vp_cfn_job *j);
void vp_cfn_registration_delete(struct vp_cfn_job *j);

/* Custom::PeeringConfirmation: Create/Update (POST .../confirm, then the HealthCheck). */
void vp_cfn_confirmation_upsert(struct vp_cfn_job *j);

/*
 * Confirm peering pcx for namespace p->namespace_id, then the HealthCheck if
 * any: true with j->data (NamespaceId, State, VpcPeeringConnectionId, VpcId)
 * set, false after answering FAILED. The caller names the resource and
 * answers SUCCESS.
 */
bool vp_cfn_job_confirm(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
			const char *pcx);

/*
 * Broker mode (handler_peering.c): request the peering from the client's VPC
 * to the hub with the function's own credentials (or reuse this VPC's
 * pending or active one), confirm it; a failure deletes it again. The
 * PhysicalResourceId "vpcpeer-peering-<n>-<pcx>" tells the Delete which
 * peering to delete.
 */
void vp_cfn_peering_upsert(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p);

/*
 * The hub's hosted zone (handler_zone.c): when the active namespace `ns`
 * names a HostedZoneId, associate p->vpc_id with it from this account, then
 * POST path/body (the confirm) again so the broker deletes its authorization.
 * False after answering FAILED.
 */
bool vp_cfn_zone_join(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p,
		      const json_t *ns, const char *path, const char *body);

/* Before a release: disassociate the namespace's VPC from its zone, best effort. */
void vp_cfn_zone_leave(struct vp_cfn_job *j, const json_t *ns);

/* True when id is a PhysicalResourceId of vp_cfn_peering_upsert(). */
bool vp_cfn_peering_owned(const char *id);

/* Delete of such a resource: DeleteVpcPeeringConnection (gone counts as done). */
void vp_cfn_peering_delete(struct vp_cfn_job *j);

/*
 * The transit-gateway mode (handler_tgw.c, issue 16): a confirmation whose
 * property AttachMode is "transit-gateway". The handler accepts the resource
 * share's invitation when one is pending, creates this VPC's attachment to
 * TransitGatewayId in SubnetIds (or reuses this VPC's live one), confirms it;
 * a failure deletes it again. PhysicalResourceId "vpcpeer-tgw-<n>-<attachment>".
 */
bool vp_cfn_tgw_wanted(const struct vp_cfn_event *ev);
void vp_cfn_tgw_upsert(struct vp_cfn_job *j, const struct vp_cfn_confirmation_props *p);

/* True when id is a PhysicalResourceId of vp_cfn_tgw_upsert(). */
bool vp_cfn_tgw_owned(const char *id);

/* Delete of such a resource: DeleteTransitGatewayVpcAttachment (gone counts as done). */
void vp_cfn_tgw_delete(struct vp_cfn_job *j);

#endif
