/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CloudFormation custom-resource handler (docs/lambda.md): one request
 * in, the broker calls it stands for, and always one answer PUT to the
 * request's ResponseURL (SUCCESS with Data, or FAILED with a Reason a person
 * can act on), before the Lambda deadline.
 *
 *   Custom::PeeringRegistration  Create/Update: POST /v1/namespaces
 *                                Delete: GET + DELETE /v1/namespaces/{n}
 *   Custom::PeeringConfirmation  Create/Update: POST /v1/namespaces/{n}/confirm,
 *                                then the optional HealthCheck; Delete: nothing
 *
 * PhysicalResourceIds: "vpcpeer-ns-<n>-<h>" for a registration (h: 16 hex
 * digits of SHA-256 of the server id and the client reference, so an Update
 * keeps it and a Delete can tell its own namespace), "vpcpeer-confirm-<n>"
 * for a confirmation, "vpcpeer-failed-<RequestId>" for a Create that failed
 * (its rollback Delete succeeds without touching anything).
 *
 * The broker is the one pinned in the configuration: an event's BrokerUrl
 * and ServerId must name it (else FAILED, nothing signed).
 * Every broker call carries a fresh identity proof signed with the AWS
 * client's credentials, and gets at most the time left until the deadline
 * less `reserve_ms`, so the answer still goes out.
 */
#ifndef VP_CFN_HANDLER_H
#define VP_CFN_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfn/event.h"
#include "cfn/runtime.h"
#include "core/error.h"

struct vp_aws_client;

#define VP_CFN_REASON_MAX 1024

struct vp_cfn_handler_config {
	struct vp_aws_client *aws; /* signs the identity proofs (borrowed); required */
	/* The only broker it signs proofs for (issue 14), from the function's configuration
	 * (VPCPEER_BROKER_URL, VPCPEER_SERVER_ID, set by templates/client.yaml), never from an
	 * event: an event naming another BrokerUrl or ServerId is answered FAILED, and with
	 * no broker_url every event is. server_id NULL: broker_url's host:port. */
	const char *broker_url;
	const char *server_id;
	const char *ca_file; /* CA bundle for the broker and the ResponseURL; NULL: libcurl's */
	/* CA bundle for the broker alone (a private CA: VPCPEER_BROKER_CA_FILE, the template's
	 * BrokerCaFile); NULL: ca_file. The ResponseURL (S3) keeps ca_file's public CAs. */
	const char *broker_ca_file;
	long reserve_ms;            /* left for the answer at the deadline; 0: 2000 */
	long max_call_ms;           /* at most per broker call; 0: 30 s */
	long health_timeout_ms;     /* the HealthCheck keeps trying this long; 0: 20 s */
	long invoke_retry_delay_ms; /* the probe's Invoke refused: wait n times this; 0: 2 s */
	int put_attempts;           /* 0: 4 */
	long put_retry_delay_ms;    /* 0: 250 */
	long default_budget_ms;     /* when the invocation has no deadline; 0: 60 s */
	int64_t (*now_ms)(void);    /* NULL: the real clock (unix ms) */
};

/* What happened to one request. */
struct vp_cfn_result {
	bool answered; /* the answer was delivered */
	bool success;  /* SUCCESS (else FAILED) */
	char physical_id[VP_CFN_PHYSICAL_ID_MAX + 1];
	char reason[VP_CFN_REASON_MAX];
	int64_t namespace_id; /* -1 when none */
};

/*
 * Handle one request (the Lambda event) with the given deadline (unix ms; 0:
 * default_budget_ms from now). VP_OK when CloudFormation was answered,
 * whatever the answer (see result). VP_ERR_INVALID when the event cannot be
 * answered (not a custom-resource request); VP_ERR_IO when the answer could
 * not be delivered (Lambda's retry of the invocation may deliver it: every
 * action is idempotent); VP_ERR_FORBIDDEN when the ResponseURL refused it
 * (4xx: expired, final). result holds the answer made in both cases, with
 * answered false. Logs one JSON line per request, never the ResponseURL or
 * a proof.
 */
VP_NODISCARD vp_code vp_cfn_handle(const struct vp_cfn_handler_config *cfg, const char *event,
				   size_t len, int64_t deadline_ms, struct vp_cfn_result *result,
				   struct vp_error *err);

/*
 * vp_cfn_handle() as a vp_lambda_handler_fn (ctx: the config): the Lambda
 * result is {"Status": "SUCCESS"|"FAILED", "PhysicalResourceId": ...}, with
 * "Delivered": false and "Error" when the ResponseURL refused the answer (no
 * invocation error then: Lambda's retry could not deliver it either); error
 * types "InvalidEvent" and "ResponseNotDelivered" (worth Lambda's retry).
 */
VP_NODISCARD vp_code vp_cfn_lambda_handler(void *ctx, const struct vp_lambda_invocation *inv,
					   struct vp_buf *response, char *error_type,
					   size_t error_type_size, struct vp_error *err);

/* The registration id of namespace n for a server id and client reference. */
void vp_cfn_registration_id(int64_t n, const char *server_id, const char *client_ref,
			    char out[VP_CFN_PHYSICAL_ID_MAX + 1]);

#endif
