/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Passwords out of text meant for logs and messages: the password of a URL's
 * userinfo ("scheme://user:SECRET@host") and the value of every
 * "password=SECRET" (a URL's query parameter, a libpq conninfo keyword; any
 * case) become "***". Used for the registry's URL (registry/url.c) and for
 * every error detail the API logs in place of an answer (api/render.c).
 */
#ifndef VP_CORE_REDACT_H
#define VP_CORE_REDACT_H

#include <stddef.h>

/*
 * Copy `len` bytes of `in` into `out` (capacity `cap` >= 1, NUL-terminated,
 * cut to fit) with every password replaced. Returns the length written.
 */
size_t vp_redact(const char *in, size_t len, char *out, size_t cap);

#endif
