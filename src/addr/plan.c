/* SPDX-License-Identifier: Apache-2.0 */
#include "addr/plan.h"

#include <stdlib.h>

void vp_plan_init(struct vp_plan *plan)
{
	plan->pool.addr = 10u << 24;
	plan->pool.prefix = 8;
	plan->vpc_prefix = VP_PLAN_DEFAULT_VPC_PREFIX;
	plan->subnet_prefix = VP_PLAN_DEFAULT_SUBNET_PREFIX;
	plan->subnet_count = VP_PLAN_DEFAULT_SUBNETS;
	plan->reserved_count = 0;
}

vp_code vp_plan_reserve(struct vp_plan *plan, struct vp_cidr range, struct vp_error *err)
{
	if (plan->reserved_count >= VP_PLAN_MAX_RESERVED)
		return vp_fail(err, VP_ERR_EXHAUSTED, "too many reserved ranges (at most %d)",
			       VP_PLAN_MAX_RESERVED);
	plan->reserved[plan->reserved_count++] = range;
	return VP_OK;
}

vp_code vp_plan_validate(const struct vp_plan *plan, struct vp_error *err)
{
	char pool[VP_CIDR_STRLEN];
	uint64_t room;

	vp_cidr_format(plan->pool, pool);
	if (plan->vpc_prefix < VP_AWS_MIN_PREFIX || plan->vpc_prefix > VP_AWS_MAX_PREFIX)
		return vp_fail(
			err, VP_ERR_INVALID,
			"VPC prefix /%u is outside AWS's limits for a VPC block (/%d to /%d)",
			plan->vpc_prefix, VP_AWS_MIN_PREFIX, VP_AWS_MAX_PREFIX);
	if (plan->subnet_prefix < VP_AWS_MIN_PREFIX || plan->subnet_prefix > VP_AWS_MAX_PREFIX)
		return vp_fail(
			err, VP_ERR_INVALID,
			"subnet prefix /%u is outside AWS's limits for a subnet (/%d to /%d)",
			plan->subnet_prefix, VP_AWS_MIN_PREFIX, VP_AWS_MAX_PREFIX);
	if (plan->vpc_prefix < plan->pool.prefix)
		return vp_fail(err, VP_ERR_INVALID,
			       "a /%u VPC block does not fit into the pool %s; use a VPC prefix of "
			       "at least /%u or a larger pool",
			       plan->vpc_prefix, pool, (unsigned)plan->pool.prefix);
	if (plan->subnet_count < 1 || plan->subnet_count > VP_PLAN_MAX_SUBNETS)
		return vp_fail(err, VP_ERR_INVALID, "subnet count %u is outside 1..%d",
			       plan->subnet_count, VP_PLAN_MAX_SUBNETS);
	if (plan->subnet_prefix < plan->vpc_prefix)
		return vp_fail(
			err, VP_ERR_INVALID,
			"a /%u subnet does not fit into a /%u VPC block; use a subnet prefix "
			"of at least /%u",
			plan->subnet_prefix, plan->vpc_prefix, plan->vpc_prefix);
	room = (uint64_t)1 << (plan->subnet_prefix - plan->vpc_prefix);
	if (plan->subnet_count > room)
		return vp_fail(err, VP_ERR_INVALID,
			       "%u /%u subnets do not fit into a /%u VPC block (it holds %llu)",
			       plan->subnet_count, plan->subnet_prefix, plan->vpc_prefix,
			       (unsigned long long)room);
	return VP_OK;
}

int64_t vp_plan_capacity(const struct vp_plan *plan)
{
	return (int64_t)1 << (plan->vpc_prefix - plan->pool.prefix);
}

vp_code vp_plan_namespace(const struct vp_plan *plan, int64_t n, struct vp_namespace_plan *out,
			  struct vp_error *err)
{
	int64_t capacity = vp_plan_capacity(plan);
	uint64_t vpc_size = (uint64_t)1 << (32 - plan->vpc_prefix);
	uint64_t subnet_size = (uint64_t)1 << (32 - plan->subnet_prefix);

	if (n < 0 || n >= capacity)
		return vp_fail(err, VP_ERR_RANGE,
			       "namespace %lld is out of range: the plan holds %lld namespaces "
			       "(0..%lld)",
			       (long long)n, (long long)capacity, (long long)(capacity - 1));
	out->id = n;
	out->vpc.addr = (uint32_t)(plan->pool.addr + (uint64_t)n * vpc_size);
	out->vpc.prefix = (uint8_t)plan->vpc_prefix;
	out->subnet_count = plan->subnet_count;
	for (unsigned s = 0; s < plan->subnet_count; s++) {
		out->subnets[s].addr = (uint32_t)(out->vpc.addr + s * subnet_size);
		out->subnets[s].prefix = (uint8_t)plan->subnet_prefix;
	}
	return VP_OK;
}

static struct vp_cidr namespace_block(const struct vp_plan *plan, int64_t n)
{
	struct vp_cidr block;

	block.addr = (uint32_t)(plan->pool.addr + ((uint64_t)n << (32 - plan->vpc_prefix)));
	block.prefix = (uint8_t)plan->vpc_prefix;
	return block;
}

const struct vp_cidr *vp_plan_reserved_overlap(const struct vp_plan *plan, int64_t n)
{
	struct vp_cidr block;

	if (n < 0 || n >= vp_plan_capacity(plan))
		return NULL;
	block = namespace_block(plan, n);
	for (unsigned i = 0; i < plan->reserved_count; i++)
		if (vp_cidr_overlaps(block, plan->reserved[i]))
			return &plan->reserved[i];
	return NULL;
}

int64_t vp_plan_namespace_of(const struct vp_plan *plan, uint32_t addr)
{
	struct vp_cidr one = {addr, 32};

	if (!vp_cidr_contains(plan->pool, one))
		return -1;
	return (int64_t)((addr - plan->pool.addr) >> (32 - plan->vpc_prefix));
}

static int compare_ranges(const void *a, const void *b)
{
	const struct vp_namespace_range *x = a, *y = b;
	return (x->first > y->first) - (x->first < y->first);
}

unsigned vp_plan_reserved_ranges(const struct vp_plan *plan,
				 struct vp_namespace_range out[VP_PLAN_MAX_RESERVED])
{
	unsigned count = 0, merged = 0;

	for (unsigned i = 0; i < plan->reserved_count; i++) {
		struct vp_cidr r = plan->reserved[i];
		uint32_t first = r.addr, last = vp_cidr_last(r);

		if (!vp_cidr_overlaps(r, plan->pool))
			continue;
		/* Clip to the pool, then map addresses to the namespaces holding them. */
		if (first < plan->pool.addr)
			first = plan->pool.addr;
		if (last > vp_cidr_last(plan->pool))
			last = vp_cidr_last(plan->pool);
		out[count].first = vp_plan_namespace_of(plan, first);
		out[count].last = vp_plan_namespace_of(plan, last);
		count++;
	}
	qsort(out, count, sizeof(out[0]), compare_ranges);
	for (unsigned i = 0; i < count; i++) {
		if (merged > 0 && out[i].first <= out[merged - 1].last + 1) {
			if (out[i].last > out[merged - 1].last)
				out[merged - 1].last = out[i].last;
		} else {
			out[merged++] = out[i];
		}
	}
	return merged;
}

int64_t vp_plan_reserved_count(const struct vp_plan *plan)
{
	struct vp_namespace_range ranges[VP_PLAN_MAX_RESERVED];
	unsigned count = vp_plan_reserved_ranges(plan, ranges);
	int64_t total = 0;

	for (unsigned i = 0; i < count; i++)
		total += ranges[i].last - ranges[i].first + 1;
	return total;
}

char vp_plan_subnet_letter(unsigned index)
{
	return (char)('A' + index);
}
