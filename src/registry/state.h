/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A namespace's state machine, shared by both registry backends
 * (docs/registry.md draws it):
 *
 *   pending -> active        confirmed
 *   pending -> failed        confirmation failed
 *   active  -> failed        the peering is gone
 *   pending | active | failed -> releasing
 *   releasing -> released    final for the record; its n is reused after quarantine
 *
 * Everything else, staying in the same state included, is illegal.
 */
#ifndef VP_REGISTRY_STATE_H
#define VP_REGISTRY_STATE_H

#include <stdbool.h>

#include "core/error.h"

enum vp_ns_state {
	VP_NS_PENDING,
	VP_NS_ACTIVE,
	VP_NS_FAILED,
	VP_NS_RELEASING,
	VP_NS_RELEASED,
};
#define VP_NS_STATE_COUNT 5

/* A set of states, for "from" expectations and list filters. */
#define VP_NS_STATE_BIT(s) (1u << (unsigned)(s))
#define VP_NS_STATES_ALL   ((1u << VP_NS_STATE_COUNT) - 1)
#define VP_NS_STATES_LIVE  (VP_NS_STATES_ALL & ~VP_NS_STATE_BIT(VP_NS_RELEASED))

/* "pending", "active", "failed", "releasing", "released" ("unknown" otherwise). */
const char *vp_registry_state_name(enum vp_ns_state state);

/* The state named `name`; VP_ERR_INVALID naming the choices otherwise. */
VP_NODISCARD vp_code vp_registry_state_parse(const char *name, enum vp_ns_state *out,
					     struct vp_error *err);

bool vp_registry_transition_allowed(enum vp_ns_state from, enum vp_ns_state to);

/*
 * VP_OK when namespace n may go from `from` to `to`; VP_ERR_CONFLICT with a
 * message naming both states otherwise.
 */
VP_NODISCARD vp_code vp_registry_transition_check(long long n, enum vp_ns_state from,
						  enum vp_ns_state to, struct vp_error *err);

#endif
