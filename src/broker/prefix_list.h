/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The managed prefix list of live clients (`--prefix-list pl-...`): the hub's
 * security groups reference it instead of client CIDRs, and the broker keeps
 * it holding exactly the VPC blocks of active namespaces (added at confirm,
 * removed at release, repaired by the reconciler).
 *
 * Writes are group-committed and version-checked: the changes that arrive
 * while a write is in flight wait and go together in the next
 * ModifyManagedPrefixList (at most VP_AWS_PL_MAX_CHANGES each of adds and
 * removes), computed against the entries of the version read just before and
 * sent with that version as CurrentVersion. A write another writer beat (this
 * broker's or another's on the same list) is read again and retried, so no
 * change is lost. Adding a present CIDR or removing an absent one is done.
 *
 * A heap object (vp_broker_prefix_list_free; NULL is a no-op), shared by the
 * workflows' threads.
 */
#ifndef VP_BROKER_PREFIX_LIST_H
#define VP_BROKER_PREFIX_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct vp_aws_client;
struct vp_aws_prefix_entries;
struct vp_metrics;
struct vp_broker_prefix_list;

/* Attempts of one batch against a list that keeps moving before it gives up. */
#define VP_BROKER_PL_ATTEMPTS 40

/*
 * Check the list at start-up: it exists, is IPv4 and owned by the hub account,
 * and its MaxEntries holds `need` entries (the most live clients the broker
 * may have); VP_ERR_INVALID naming the size needed otherwise.
 */
VP_NODISCARD vp_code vp_broker_prefix_list_new(struct vp_aws_client *aws,
					       struct vp_metrics *metrics, const char *id,
					       const char *hub_account, int64_t need,
					       struct vp_broker_prefix_list **out,
					       struct vp_error *err);
void vp_broker_prefix_list_free(struct vp_broker_prefix_list *list);

const char *vp_broker_prefix_list_id(const struct vp_broker_prefix_list *list);

/* One change: cidr present (with this description) or absent. */
struct vp_broker_pl_change {
	const char *cidr;
	const char *description; /* for an add; at most 255 characters */
	bool add;
};

/* Make the changes (in one batch, maybe with others'); waits until they are written. */
VP_NODISCARD vp_code vp_broker_prefix_list_apply(struct vp_broker_prefix_list *list,
						 const struct vp_broker_pl_change *changes,
						 size_t count, struct vp_error *err);

/* The entries as EC2 has them now (the reconciler). */
VP_NODISCARD vp_code vp_broker_prefix_list_read(struct vp_broker_prefix_list *list,
						struct vp_aws_prefix_entries **out,
						struct vp_error *err);

/* The description of namespace n's entry: "vpcpeer n=<n> account=<account>". */
void vp_broker_pl_description(char *out, size_t size, int64_t n, const char *account);

#endif
