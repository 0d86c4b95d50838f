/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The project's one error type: a code for programs and a message for people.
 *
 * A function that can fail returns a vp_code and, when the caller passes a
 * struct vp_error, fills it with a message that says what went wrong and, where
 * it can, what to do about it. Library code never prints; the edges (CLI,
 * HTTP API) turn a vp_error into output. On failure a function frees what it
 * allocated and leaves its outputs untouched.
 */
#ifndef VP_CORE_ERROR_H
#define VP_CORE_ERROR_H

#include <stddef.h>

/*
 * On every function that returns a vp_code: a caller must look at the result.
 * Where one is dropped on purpose (best-effort clean-up), say so with
 * vp_ignore(f(...)); a cast to void does not silence GCC.
 */
#define VP_NODISCARD __attribute__((warn_unused_result))

typedef enum vp_code {
	VP_OK = 0,
	VP_ERR_INVALID,     /* bad input: a value, a document, a request */
	VP_ERR_RANGE,       /* a well-formed value outside its allowed range */
	VP_ERR_NOMEM,       /* out of memory, or a bounded buffer is full */
	VP_ERR_NOT_FOUND,   /* the thing asked for does not exist */
	VP_ERR_CONFLICT,    /* exists, or is in a state that forbids the request */
	VP_ERR_EXHAUSTED,   /* capacity or a quota is used up */
	VP_ERR_UNAVAILABLE, /* reserved, quarantined or temporarily refused */
	VP_ERR_AUTH,        /* missing or invalid identity */
	VP_ERR_FORBIDDEN,   /* identity known, but not allowed */
	VP_ERR_IO,          /* file, socket or process failure */
	VP_ERR_DB,          /* the registry's database failed */
	VP_ERR_AWS,         /* AWS answered with an error */
	VP_ERR_INTERNAL,    /* a bug: an invariant did not hold */
} vp_code;

#define VP_ERROR_MESSAGE_MAX 512

struct vp_error {
	vp_code code;
	char message[VP_ERROR_MESSAGE_MAX];
};

/* Stable lower-case name of a code ("invalid", "not_found", ...). */
const char *vp_code_name(vp_code code);

/*
 * Record an error and return its code, so a failing path reads
 * `return vp_fail(err, VP_ERR_INVALID, "...", ...);`. err may be NULL.
 * The message is truncated to fit; it never overflows.
 */
vp_code vp_fail(struct vp_error *err, vp_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Put context in front of an error already recorded: "reading FILE: <old>".
 * err may be NULL. It returns nothing on purpose: return the code you have
 * (with err NULL there would be no code to return, and VP_OK would be a lie).
 */
void vp_error_prefix(struct vp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Drop a result on purpose (see VP_NODISCARD). */
static inline void vp_ignore(vp_code code)
{
	(void)code;
}

/* Reset to VP_OK with an empty message. err may be NULL. */
void vp_error_clear(struct vp_error *err);

#endif
