/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether a client account still needs its trust entry: a registry read
 * shared by release (before queueing a removal) and the grants (again, under
 * the role's lock, before removing). Depends on the registry only.
 */
#ifndef VP_BROKER_ACCOUNTS_H
#define VP_BROKER_ACCOUNTS_H

#include <stdbool.h>

#include "core/error.h"

struct vp_registry;

/*
 * Whether an account has a namespace pending, active or failed (releasing and
 * released ones do not count). *in_use is set only on VP_OK.
 */
VP_NODISCARD vp_code vp_broker_account_in_use(struct vp_registry *registry, const char *account,
					      bool *in_use, struct vp_error *err);

#endif
