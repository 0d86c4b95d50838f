/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The peering accepter mode (docs/broker.md "Two modes"): its names, and the
 * start-up warning of a broker-mode hub whose registry still has peer-role
 * grants ("Switching modes").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/internal.h"
#include "core/log.h"

const char *vp_broker_accepter_name(enum vp_peering_accepter accepter)
{
	return accepter == VP_PEERING_ACCEPTER_PEER_ROLE ? "peer-role" : "broker";
}

vp_code vp_broker_accepter_parse(const char *text, enum vp_peering_accepter *out,
				 struct vp_error *err)
{
	if (text && strcmp(text, "broker") == 0)
		*out = VP_PEERING_ACCEPTER_BROKER;
	else if (text && strcmp(text, "peer-role") == 0)
		*out = VP_PEERING_ACCEPTER_PEER_ROLE;
	else
		return vp_fail(err, VP_ERR_INVALID,
			       "--peering-accepter '%.32s' is neither broker nor peer-role",
			       text ? text : "");
	return VP_OK;
}

/*
 * Broker mode with accounts the registry says are granted (an earlier
 * peer-role mode): say so, with what to do, instead of stranding them.
 */
void vp_broker_warn_old_grants(struct vp_broker *b)
{
	struct vp_account_record *accts = calloc(64, sizeof(*accts));
	char after[VP_IDS_ACCOUNT_LEN + 1] = "";
	size_t granted = 0, count = 0;
	struct vp_error e;

	if (!accts)
		return;
	do {
		if (vp_registry_account_list(b->registry, after, accts, 64, &count, &e) != VP_OK) {
			vp_log(VP_LOG_WARN, "broker: could not read the granted accounts: %s",
			       e.message);
			break;
		}
		for (size_t i = 0; i < count; i++)
			granted += accts[i].granted;
		if (count > 0)
			snprintf(after, sizeof(after), "%s", accts[count - 1].account);
	} while (count == 64);
	free(accts);
	if (granted == 0)
		return;
	vp_log(VP_LOG_WARN,
	       "broker: %zu account(s) are still granted in a peer role's trust policy (from "
	       "peer-role mode) but this broker accepts peerings itself (--peering-accepter "
	       "broker): %s (docs/broker.md \"Switching modes\")",
	       granted,
	       b->grants ? "the reconciler revokes the grants no live peer-role namespace needs"
			 : "give the old --peer-role names so that the reconciler revokes them, "
			   "or remove them from the roles' trust policies by hand");
}

const char *vp_broker_attach_name(enum vp_broker_attach attach)
{
	return attach == VP_BROKER_ATTACH_TRANSIT_GATEWAY ? "transit-gateway" : "peering";
}

vp_code vp_broker_attach_parse(const char *text, enum vp_broker_attach *out, struct vp_error *err)
{
	if (text && strcmp(text, "peering") == 0)
		*out = VP_BROKER_ATTACH_PEERING;
	else if (text && strcmp(text, "transit-gateway") == 0)
		*out = VP_BROKER_ATTACH_TRANSIT_GATEWAY;
	else
		return vp_fail(err, VP_ERR_INVALID,
			       "--attach '%.32s' is neither peering nor transit-gateway",
			       text ? text : "");
	return VP_OK;
}
