/* SPDX-License-Identifier: Apache-2.0 */
/* The address-plan flags (--pool, --vpc-prefix, ...) shared by the commands. */
#include <string.h>

#include "cli/cli.h"
#include "core/num.h"

enum {
	OPT_POOL = 1000,
	OPT_VPC_PREFIX,
	OPT_SUBNET_PREFIX,
	OPT_SUBNETS,
	OPT_RESERVE,
};

const struct cli_option cli_plan_options[] = {
	{"pool", 0, "CIDR", OPT_POOL, "address pool of the plan (default " VP_PLAN_DEFAULT_POOL ")",
	 CLI_OPT_ENV},
	{"vpc-prefix", 0, "N", OPT_VPC_PREFIX, "prefix length of a namespace's VPC (default 22)",
	 CLI_OPT_ENV},
	{"subnet-prefix", 0, "N", OPT_SUBNET_PREFIX, "prefix length of each subnet (default 24)",
	 CLI_OPT_ENV},
	{"subnets", 0, "N", OPT_SUBNETS, "subnets per VPC, named A, B, ... (default 4)",
	 CLI_OPT_ENV},
	{"reserve", 0, "CIDR", OPT_RESERVE,
	 "never hand out namespaces overlapping CIDR (repeatable)", CLI_OPT_ENV | CLI_OPT_REPEAT},
	CLI_OPTIONS_END,
};

static bool parse_cidr_flag(const char *command, const char *flag, const char *value,
			    struct vp_cidr *out)
{
	struct vp_error err;

	if (vp_cidr_parse(value, strlen(value), out, &err) != VP_OK) {
		cli_error(command, "--%s: %s", flag, err.message);
		return false;
	}
	return true;
}

static bool parse_small_flag(const char *command, const char *flag, const char *value, int64_t max,
			     unsigned *out)
{
	struct vp_error err;
	int64_t n;

	if (vp_parse_int64(value, 0, max, flag, &n, &err) != VP_OK) {
		cli_error(command, "--%s: %s", flag, err.message);
		return false;
	}
	*out = (unsigned)n;
	return true;
}

bool cli_plan_apply(const char *command, struct vp_plan *plan, const struct cli_arg *arg,
		    bool *failed)
{
	struct vp_cidr cidr;
	struct vp_error err;
	bool ok;

	switch (arg->id) {
	case OPT_POOL:
		ok = parse_cidr_flag(command, "pool", arg->value, &plan->pool);
		break;
	case OPT_VPC_PREFIX:
		ok = parse_small_flag(command, "vpc-prefix", arg->value, 32, &plan->vpc_prefix);
		break;
	case OPT_SUBNET_PREFIX:
		ok = parse_small_flag(command, "subnet-prefix", arg->value, 32,
				      &plan->subnet_prefix);
		break;
	case OPT_SUBNETS:
		ok = parse_small_flag(command, "subnets", arg->value, VP_PLAN_MAX_SUBNETS,
				      &plan->subnet_count);
		break;
	case OPT_RESERVE:
		ok = parse_cidr_flag(command, "reserve", arg->value, &cidr);
		if (ok && vp_plan_reserve(plan, cidr, &err) != VP_OK) {
			cli_error(command, "--reserve: %s", err.message);
			ok = false;
		}
		break;
	default:
		return false;
	}
	if (!ok)
		*failed = true;
	return true;
}

bool cli_plan_check(const char *command, const struct vp_plan *plan)
{
	struct vp_error err;

	if (vp_plan_validate(plan, &err) != VP_OK) {
		cli_error(command, "invalid address plan: %s", err.message);
		return false;
	}
	return true;
}
