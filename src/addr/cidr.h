/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 addresses and CIDR blocks: strict parsing, formatting, overlap.
 *
 * Values are plain structs (no allocation). Addresses are held in host byte
 * order so that arithmetic on them is ordinary integer arithmetic.
 */
#ifndef VP_ADDR_CIDR_H
#define VP_ADDR_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* "255.255.255.255/32" plus the NUL. */
#define VP_CIDR_STRLEN 19
#define VP_IPV4_STRLEN 16

struct vp_cidr {
	uint32_t addr;  /* the network address, host bits all zero */
	uint8_t prefix; /* 0..32 */
};

/*
 * Parse a dotted-quad address from (str, len). Strict: exactly four decimal
 * octets 0..255, no leading zeros ("010" could be read as octal), nothing else.
 */
VP_NODISCARD vp_code vp_ipv4_parse(const char *str, size_t len, uint32_t *out,
				   struct vp_error *err);

/*
 * Parse "A.B.C.D/P" from (str, len). Strict: a valid address, a '/', a prefix
 * 0..32 without leading zeros, nothing after it, and no host bits set
 * ("10.0.0.1/22" is refused and the message names 10.0.0.0/22).
 * *out is written only on success.
 */
VP_NODISCARD vp_code vp_cidr_parse(const char *str, size_t len, struct vp_cidr *out,
				   struct vp_error *err);

/* Format into out (at least VP_IPV4_STRLEN / VP_CIDR_STRLEN bytes). Returns out. */
char *vp_ipv4_format(uint32_t addr, char *out);
char *vp_cidr_format(struct vp_cidr cidr, char *out);

/* The netmask of a prefix length (0 -> 0, 32 -> 0xffffffff). */
uint32_t vp_prefix_mask(unsigned prefix);

/* Number of addresses in the block (2^(32-prefix); 2^32 for /0). */
uint64_t vp_cidr_size(struct vp_cidr cidr);

/* Last address in the block. */
uint32_t vp_cidr_last(struct vp_cidr cidr);

/* Whether the two blocks share at least one address. */
bool vp_cidr_overlaps(struct vp_cidr a, struct vp_cidr b);

/* Whether every address of inner is in outer. */
bool vp_cidr_contains(struct vp_cidr outer, struct vp_cidr inner);

bool vp_cidr_equal(struct vp_cidr a, struct vp_cidr b);

#endif
