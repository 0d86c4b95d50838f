/* SPDX-License-Identifier: Apache-2.0 */
#include "registry/state.h"

#include <string.h>

static const char *const names[VP_NS_STATE_COUNT] = {
	[VP_NS_PENDING] = "pending",     [VP_NS_ACTIVE] = "active",     [VP_NS_FAILED] = "failed",
	[VP_NS_RELEASING] = "releasing", [VP_NS_RELEASED] = "released",
};

/* allowed[from] is the set of states `from` may move to. */
static const unsigned allowed[VP_NS_STATE_COUNT] = {
	[VP_NS_PENDING] = VP_NS_STATE_BIT(VP_NS_ACTIVE) | VP_NS_STATE_BIT(VP_NS_FAILED) |
			  VP_NS_STATE_BIT(VP_NS_RELEASING),
	[VP_NS_ACTIVE] = VP_NS_STATE_BIT(VP_NS_FAILED) | VP_NS_STATE_BIT(VP_NS_RELEASING),
	[VP_NS_FAILED] = VP_NS_STATE_BIT(VP_NS_RELEASING),
	[VP_NS_RELEASING] = VP_NS_STATE_BIT(VP_NS_RELEASED),
	[VP_NS_RELEASED] = 0,
};

const char *vp_registry_state_name(enum vp_ns_state state)
{
	if ((unsigned)state >= VP_NS_STATE_COUNT)
		return "unknown";
	return names[state];
}

vp_code vp_registry_state_parse(const char *name, enum vp_ns_state *out, struct vp_error *err)
{
	for (unsigned i = 0; i < VP_NS_STATE_COUNT; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum vp_ns_state)i;
			return VP_OK;
		}
	}
	return vp_fail(err, VP_ERR_INVALID,
		       "unknown state '%.64s' (use pending, active, failed, releasing or released)",
		       name);
}

bool vp_registry_transition_allowed(enum vp_ns_state from, enum vp_ns_state to)
{
	if ((unsigned)from >= VP_NS_STATE_COUNT || (unsigned)to >= VP_NS_STATE_COUNT)
		return false;
	return (allowed[from] & VP_NS_STATE_BIT(to)) != 0;
}

vp_code vp_registry_transition_check(long long n, enum vp_ns_state from, enum vp_ns_state to,
				     struct vp_error *err)
{
	if (vp_registry_transition_allowed(from, to))
		return VP_OK;
	if (from == VP_NS_RELEASED)
		return vp_fail(
			err, VP_ERR_CONFLICT,
			"namespace %lld: illegal transition released -> %s (released is final)", n,
			vp_registry_state_name(to));
	return vp_fail(err, VP_ERR_CONFLICT, "namespace %lld: illegal transition %s -> %s", n,
		       vp_registry_state_name(from), vp_registry_state_name(to));
}
