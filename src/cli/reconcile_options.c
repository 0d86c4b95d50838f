/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reconciler's limits (--stray-peering-grace, --foreign-request-grace,
 * --max-destructive-repairs, --lease-ttl, --lease-renew), shared by serve (its reconciler thread)
 * and reconcile --once. docs/reconciler.md.
 */
#include "cli/cli.h"

enum {
	OPT_STRAY_GRACE = 1100,
	OPT_FOREIGN_GRACE,
	OPT_MAX_DESTRUCTIVE,
	OPT_LEASE_TTL,
	OPT_LEASE_RENEW,
};

const struct cli_option cli_reconcile_limit_options[] = {
	{"stray-peering-grace", 0, "SECONDS", OPT_STRAY_GRACE,
	 "peer-role mode: delete an active peering into the hub that no namespace owns once "
	 "seen this long (default 900)",
	 CLI_OPT_ENV},
	{"foreign-request-grace", 0, "SECONDS", OPT_FOREIGN_GRACE,
	 "reject a pending peering request into the hub that no namespace awaits once this old "
	 "(default 3600)",
	 CLI_OPT_ENV},
	{"max-destructive-repairs", 0, "N", OPT_MAX_DESTRUCTIVE,
	 "route removals, peering deletes/rejects and trust revocations one reconcile pass may "
	 "make; the rest are held back (default 10; reconcile --force lifts it)",
	 CLI_OPT_ENV},
	{"lease-ttl", 0, "SECONDS", OPT_LEASE_TTL,
	 "the reconciler leader's lease lasts this long unless renewed; a broker that stops "
	 "renewing is replaced after it (default 15)",
	 CLI_OPT_ENV},
	{"lease-renew", 0, "SECONDS", OPT_LEASE_RENEW,
	 "how often the leader renews its lease; shorter than --lease-ttl (default 5)",
	 CLI_OPT_ENV},
	CLI_OPTIONS_END,
};

bool cli_reconcile_limits_apply(const char *command, struct vp_reconcile_limits *limits,
				const struct cli_arg *arg, bool *failed)
{
	bool ok;

	switch (arg->id) {
	case OPT_STRAY_GRACE:
		ok = cli_number_arg(command, "--stray-peering-grace", arg->value, 0, 30LL * 86400,
				    &limits->stray_grace_s);
		break;
	case OPT_FOREIGN_GRACE:
		ok = cli_number_arg(command, "--foreign-request-grace", arg->value, 0, 30LL * 86400,
				    &limits->foreign_grace_s);
		break;
	case OPT_MAX_DESTRUCTIVE:
		ok = cli_number_arg(command, "--max-destructive-repairs", arg->value, 0, 100000,
				    &limits->max_destructive);
		break;
	case OPT_LEASE_TTL:
		ok = cli_number_arg(command, "--lease-ttl", arg->value, 2, 3600,
				    &limits->lease_ttl_s);
		break;
	case OPT_LEASE_RENEW:
		ok = cli_number_arg(command, "--lease-renew", arg->value, 1, 3599,
				    &limits->lease_renew_s);
		break;
	default:
		return false;
	}
	if (!ok)
		*failed = true;
	return true;
}
