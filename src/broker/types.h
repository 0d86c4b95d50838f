/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The types of the broker's interface that its callers fill in: who is
 * calling (struct vp_identity, which the API's proof verifier and the tests
 * produce) and the inputs of the register and confirm workflows (which the
 * API's JSON parsers, api/request.h, produce). Plain structs with fixed-size
 * fields: nothing to free. The id rules and limits are core/ids.h.
 */
#ifndef VP_BROKER_TYPES_H
#define VP_BROKER_TYPES_H

#include "core/ids.h"

#define VP_LABELS_MAX      16
#define VP_LABEL_KEY_MAX   64
#define VP_LABEL_VALUE_MAX 256

/*
 * Who accepts a client's peering into the hub VPC (docs/broker.md "Two
 * modes"). BROKER: confirm verifies the pending request and the broker accepts
 * it with the hub's credentials; nobody gets a role in the hub, register makes
 * no IAM call. PEER_ROLE: the client assumes a peer role (--peer-role) and
 * accepts it itself; confirm checks the active peering.
 */
enum vp_peering_accepter { VP_PEERING_ACCEPTER_BROKER = 0, VP_PEERING_ACCEPTER_PEER_ROLE };

/* --peering-dns: AUTO turns it on when the hub VPC has DNS hostnames and resolution on. */
enum vp_peering_dns { VP_PEERING_DNS_AUTO = 0, VP_PEERING_DNS_ON, VP_PEERING_DNS_OFF };

/*
 * Who may confirm and release a namespace (--authorize, issue 14): PRINCIPAL
 * (the default) the principal that registered it (its role, for an
 * assumed-role session) or an admin; ACCOUNT any principal of its account.
 */
enum vp_broker_authorize { VP_BROKER_AUTHORIZE_PRINCIPAL = 0, VP_BROKER_AUTHORIZE_ACCOUNT };

/*
 * How a client's VPC reaches the hub (--attach, issue 16; docs/broker.md "The
 * transit-gateway mode"): PEERING (the default, one VPC peering per client) or
 * TRANSIT_GATEWAY (one VPC attachment per client to the hub's transit gateway,
 * shared with the client's account through RAM).
 */
enum vp_broker_attach { VP_BROKER_ATTACH_PEERING = 0, VP_BROKER_ATTACH_TRANSIT_GATEWAY };

/* The transit-gateway mode's settings (struct vp_broker_config's `tgw`; 0: AWS's default). */
struct vp_broker_tgw_config {
	const char *transit_gateway; /* tgw-...: the hub's, auto-accept off */
	const char *resource_share;  /* the RAM share holding it */
	const char *client_table;    /* tgw-rtb-...: every client attachment's, the hub's route */
	const char *hub_table;       /* tgw-rtb-...: the hub attachment's, one route per client */
	int max_attachments;         /* AWS: 5,000 per transit gateway, not raisable */
	int max_routes;              /* AWS: 10,000 across the transit gateway's route tables */
	int max_principals;          /* principals one resource share may hold */
	const char *verify_table;    /* tgw-rtb-...: no association; confirm reads CIDRs there */
};

/* Who signed an identity proof, as STS said. */
struct vp_identity {
	char account[VP_IDS_ACCOUNT_LEN + 1]; /* 12 digits */
	char arn[1024]; /* arn:aws:iam::ACCT:user/x, arn:aws:sts::ACCT:assumed-role/R/s */
	char user_id[256];
};

struct vp_label {
	char key[VP_LABEL_KEY_MAX + 1];
	char value[VP_LABEL_VALUE_MAX + 1];
};

/* Register: {"client_ref": "...", "labels": {"k": "v", ...}, "region": "..."} */
struct vp_register_request {
	char client_ref[VP_CLIENT_REF_MAX + 1];
	/* the client VPC's region, optional ("": not said); the transit-gateway mode refuses
	 * another region than the hub's (a transit gateway serves one region) */
	char region[64];
	struct vp_label labels[VP_LABELS_MAX];
	unsigned label_count;
};

/*
 * Confirm: {"vpc_peering_connection_id": "pcx-...", "vpc_id": "vpc-..."}, or in
 * the transit-gateway mode {"transit_gateway_attachment_id": "tgw-attach-...",
 * "vpc_id": "vpc-..."} (attachment_id).
 */
struct vp_confirm_request {
	char peering_id[VP_AWS_ID_MAX + 1];
	char attachment_id[VP_AWS_ID_MAX + 1];
	char vpc_id[VP_AWS_ID_MAX + 1];
	/* "" or the registration the caller means: n may have been reused since (the
	 * registration expired) by another registration of the same account. */
	char client_ref[VP_CLIENT_REF_MAX + 1];
};

#endif
