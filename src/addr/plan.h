/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The address plan: which CIDR blocks namespace n gets (docs/design.md, "The address plan").
 *
 * Namespace n owns VPC block n of the pool (pool base + n * VPC size) and,
 * inside it, subnet s at VPC base + s * subnet size. n = 0 is the hub.
 * Reserved ranges are never handed out: a namespace whose VPC block overlaps
 * one is unavailable. A plan is a plain value (no allocation); validate it
 * once with vp_plan_validate() before asking it anything else.
 */
#ifndef VP_ADDR_PLAN_H
#define VP_ADDR_PLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "addr/cidr.h"
#include "core/error.h"

#define VP_PLAN_MAX_RESERVED 64
#define VP_PLAN_MAX_SUBNETS  26 /* named A..Z */

/* AWS accepts VPC and subnet blocks from /16 to /28. */
#define VP_AWS_MIN_PREFIX 16
#define VP_AWS_MAX_PREFIX 28
/* AWS keeps 5 addresses of every subnet (network, router, DNS, future, broadcast). */
#define VP_AWS_RESERVED_PER_SUBNET 5

#define VP_PLAN_DEFAULT_POOL          "10.0.0.0/8"
#define VP_PLAN_DEFAULT_VPC_PREFIX    22
#define VP_PLAN_DEFAULT_SUBNET_PREFIX 24
#define VP_PLAN_DEFAULT_SUBNETS       4

struct vp_plan {
	struct vp_cidr pool;
	unsigned vpc_prefix;
	unsigned subnet_prefix;
	unsigned subnet_count;
	struct vp_cidr reserved[VP_PLAN_MAX_RESERVED];
	unsigned reserved_count;
};

/* One namespace's blocks. */
struct vp_namespace_plan {
	int64_t id;
	struct vp_cidr vpc;
	struct vp_cidr subnets[VP_PLAN_MAX_SUBNETS];
	unsigned subnet_count;
};

/* The defaults: 10.0.0.0/8, /22 VPCs, four /24 subnets, nothing reserved. */
void vp_plan_init(struct vp_plan *plan);

/* Add a reserved range; VP_ERR_EXHAUSTED past VP_PLAN_MAX_RESERVED. */
VP_NODISCARD vp_code vp_plan_reserve(struct vp_plan *plan, struct vp_cidr range,
				     struct vp_error *err);

/*
 * Check that the plan is usable: VPC and subnet prefixes within AWS's limits,
 * the VPC block fits in the pool, the subnets fit in a VPC block, and at least
 * one subnet. The message says which rule failed and why.
 */
VP_NODISCARD vp_code vp_plan_validate(const struct vp_plan *plan, struct vp_error *err);

/* How many namespaces the pool holds, the hub (n = 0) included. */
int64_t vp_plan_capacity(const struct vp_plan *plan);

/*
 * The blocks of namespace n. VP_ERR_RANGE (naming the capacity) when n is
 * negative or not below the capacity. Reserved ranges are not consulted here:
 * see vp_plan_reserved_overlap().
 */
VP_NODISCARD vp_code vp_plan_namespace(const struct vp_plan *plan, int64_t n,
				       struct vp_namespace_plan *out, struct vp_error *err);

/* The first reserved range that namespace n's VPC block overlaps, or NULL. */
const struct vp_cidr *vp_plan_reserved_overlap(const struct vp_plan *plan, int64_t n);

/* A run of namespaces first..last (inclusive). */
struct vp_namespace_range {
	int64_t first;
	int64_t last;
};

/*
 * The namespaces that reserved ranges make unavailable, as sorted, merged,
 * non-adjacent runs (at most VP_PLAN_MAX_RESERVED). Returns how many.
 */
unsigned vp_plan_reserved_ranges(const struct vp_plan *plan,
				 struct vp_namespace_range out[VP_PLAN_MAX_RESERVED]);

/* How many namespaces are unavailable because of reserved ranges. */
int64_t vp_plan_reserved_count(const struct vp_plan *plan);

/*
 * The namespace whose VPC block holds `addr`, or -1 when the address is
 * outside the pool.
 */
int64_t vp_plan_namespace_of(const struct vp_plan *plan, uint32_t addr);

/* The subnet's letter ('A' + index). */
char vp_plan_subnet_letter(unsigned index);

#endif
