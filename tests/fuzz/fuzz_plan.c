/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The address plan over arbitrary parameters: a plan that validates gives,
 * for any n in range, blocks inside the pool with subnets inside the VPC; out
 * of range is an error; reserved-range queries never crash.
 * Input: pool(4) pool_prefix(1) vpc_prefix(1) subnet_prefix(1) count(1) n(8) reserved(5 each).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t read32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The reserved runs, computed the other way: they must agree with the overlap query. */
static bool in_ranges(const struct vp_plan *plan, int64_t n)
{
	struct vp_namespace_range ranges[VP_PLAN_MAX_RESERVED];
	unsigned count = vp_plan_reserved_ranges(plan, ranges);

	for (unsigned i = 0; i < count; i++)
		if (n >= ranges[i].first && n <= ranges[i].last)
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vp_namespace_plan ns;
	struct vp_plan plan;
	int64_t n, capacity;
	uint64_t raw_n = 0;

	if (size < 16)
		return 0;
	vp_plan_init(&plan);
	plan.pool.prefix = data[4] % 33;
	plan.pool.addr = read32(data) & vp_prefix_mask(plan.pool.prefix);
	plan.vpc_prefix = data[5];
	plan.subnet_prefix = data[6];
	plan.subnet_count = data[7];
	for (int i = 0; i < 8; i++)
		raw_n = raw_n << 8 | data[8 + i];
	n = (int64_t)raw_n;
	for (size_t at = 16; at + 5 <= size && plan.reserved_count < VP_PLAN_MAX_RESERVED;
	     at += 5) {
		struct vp_cidr r;
		r.prefix = data[at + 4] % 33;
		r.addr = read32(data + at) & vp_prefix_mask(r.prefix);
		vp_ignore(
			vp_plan_reserve(&plan, r, NULL)); /* refusals are part of the input space */
	}
	if (vp_plan_validate(&plan, NULL) != VP_OK)
		return 0;
	capacity = vp_plan_capacity(&plan);
	if (capacity < 1)
		abort();
	if (vp_plan_namespace(&plan, n, &ns, NULL) == VP_OK) {
		if (n < 0 || n >= capacity || !vp_cidr_contains(plan.pool, ns.vpc))
			abort();
		for (unsigned s = 0; s < ns.subnet_count; s++)
			if (!vp_cidr_contains(ns.vpc, ns.subnets[s]))
				abort();
		if (vp_plan_namespace_of(&plan, ns.vpc.addr) != n)
			abort();
		if ((vp_plan_reserved_overlap(&plan, n) != NULL) != in_ranges(&plan, n))
			abort();
	} else if (n >= 0 && n < capacity) {
		abort();
	}
	if (vp_plan_reserved_count(&plan) > capacity)
		abort();
	return 0;
}
