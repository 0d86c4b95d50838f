/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Grants: client accounts in the trust policies of the hub's peer roles.
 *
 * Changes to one role's trust policy are serialised and batched (group
 * commit): a caller queues "add account A" or "remove account A" on a role
 * and waits; the first waiter to find no batch running becomes the leader,
 * gathers changes still arriving (gather_ms), takes every queued change, and
 * under the registry's named lock "trust:<role name>" (so brokers sharing a
 * PostgreSQL registry take turns) reads the document (GetRole, or the one
 * this process knows while the registry says nobody else changed the role),
 * merges the registry's grants in the role into it (IAM's reads may be
 * stale: the registry is the truth for the accounts vpcpeer manages),
 * applies them all with policy.h, keeps each addition only while the
 * document stays within the size quota, writes it once
 * (UpdateAssumeRolePolicy) and wakes everyone with their own outcome. No
 * account is ever lost to a concurrent read-modify-write or a stale read,
 * and N registrations arriving together cost one update.
 *
 * The registry's account records follow the policy: an addition records the
 * account granted in that role; a removal first records it not granted, then
 * checks that the account has no namespace pending, active or failed, and
 * only then removes it (otherwise it records it granted again and leaves the
 * policy alone). A registration allocates its namespace before it reads the
 * account record, so either the removal sees that namespace or the
 * registration sees "not granted" and queues an addition: a registered
 * namespace never ends up without its grant (docs/broker.md).
 *
 * A struct vp_grants is a heap object (vp_grants_new / vp_grants_free) that
 * borrows the AWS client, the registry and the metrics; thread-safe.
 */
#ifndef VP_BROKER_GRANTS_H
#define VP_BROKER_GRANTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

struct vp_aws_client;
struct vp_registry;
struct vp_metrics;

#define VP_GRANTS_MAX_ROLES     16
#define VP_GRANTS_ROLE_NAME_MAX 128 /* IAM: 64; with a path, more */
/* How long a leader waits for another broker's turn on a role. */
#define VP_GRANTS_LOCK_TIMEOUT_MS 60000
/* How long a document this process wrote (or read) stands in for a GetRole, at most. */
#define VP_GRANTS_REUSE_MS 30000
/* How long a leader waits for more changes to join its batch, at most (see gather_ms). */
#define VP_GRANTS_GATHER_MS 60
/* Accounts the registry may grant in one role (IAM's largest quota holds about 250). */
#define VP_GRANTS_MAX_ROLE_ACCOUNTS 1024

struct vp_grants_role {
	const char *name;     /* for GetRole / UpdateAssumeRolePolicy */
	const char *arn;      /* as the account records and the API name it */
	const char *document; /* the trust policy read at start-up (size hint), may be NULL */
};

struct vp_grants_config {
	struct vp_aws_client *aws;
	struct vp_registry *registry;
	struct vp_metrics *metrics; /* may be NULL; vpcpeer_trust_batch_size must be declared */
	const char *partition;      /* "aws": principals are arn:<partition>:iam::ID:root */
	size_t quota;               /* IAM's ACLSizePerRole */
	int64_t settle_ms;          /* wait after an addition before answering */
	/* Skip GetRole when this process knows the document: for at most reuse_ms after it wrote
	 * (or read) it, and only while the registry's grants in the role are the ones it left.
	 * 0: VP_GRANTS_REUSE_MS; < 0: read before every change. */
	int64_t reuse_ms;
	/* A new leader waits up to gather_ms for changes still arriving (it stops at the first
	 * gap of gather_ms / 4 with none). 0: VP_GRANTS_GATHER_MS; < 0: no wait. */
	int64_t gather_ms;
	struct vp_grants_role roles[VP_GRANTS_MAX_ROLES];
	size_t role_count;
};

struct vp_grants;

VP_NODISCARD vp_code vp_grants_new(const struct vp_grants_config *cfg, struct vp_grants **out,
				   struct vp_error *err);
void vp_grants_free(struct vp_grants *grants);

/* The index of the role with this ARN, or -1. */
int vp_grants_role_index(const struct vp_grants *grants, const char *arn);
const char *vp_grants_role_arn(const struct vp_grants *grants, size_t index);
size_t vp_grants_role_count(const struct vp_grants *grants);
/* The size IAM's quota counts of role index's trust policy as this process last wrote or
 * read it (0: not known yet), and the quota it is measured against (the metrics): the
 * configured one, or the lower one IAM enforced (LimitExceeded). */
size_t vp_grants_policy_size(struct vp_grants *grants, size_t index);
size_t vp_grants_quota(struct vp_grants *grants, size_t index);

/*
 * Make sure `account` is in a trust policy: the `preferred` role first (-1:
 * none), then the pool in order, skipping roles whose document would pass the
 * quota. Records the account as granted in that role. When the document
 * changed (or another caller's change is still settling), waits settle_ms
 * before returning. *role gets the role's index, *added whether this call
 * added it. VP_ERR_EXHAUSTED when every role is full, naming the quota.
 */
VP_NODISCARD vp_code vp_grants_add(struct vp_grants *grants, const char *account, int preferred,
				   const char *request_id, size_t *role, bool *added,
				   struct vp_error *err);

/*
 * Remove `account` from the role's trust policy unless it still has a
 * namespace pending, active or failed (then nothing changes). *removed (may be
 * NULL) says whether it was removed.
 */
VP_NODISCARD vp_code vp_grants_remove(struct vp_grants *grants, const char *account, size_t role,
				      const char *request_id, bool *removed, struct vp_error *err);

/*
 * Whether some role may still take one more account, from the sizes last seen
 * (a hint for refusing a registration before allocating: another broker may
 * have changed a document since).
 */
bool vp_grants_has_room(struct vp_grants *grants);

#endif
