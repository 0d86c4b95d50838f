/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server's certificate and key: two PEM files (`--tls-cert`,
 * `--tls-key`), read whole once at start-up and handed to libmicrohttpd
 * from memory. The key is wiped when it is let go.
 */
#ifndef VP_API_TLS_H
#define VP_API_TLS_H

#include <stddef.h>

#include "core/error.h"

#define VP_TLS_FILE_MAX (1024 * 1024)

/* Caller-owned; zero it (or let vp_tls_load fill it) before use. */
struct vp_tls_pem {
	char *cert; /* NUL-terminated PEM, a chain leaf first */
	size_t cert_len;
	char *key; /* NUL-terminated PEM; a secret */
	size_t key_len;
};

/*
 * Read both files. Errors, each naming the file: VP_ERR_IO (cannot be read),
 * VP_ERR_INVALID (larger than VP_TLS_FILE_MAX, not PEM), VP_ERR_NOMEM. On
 * failure *out is untouched and nothing is kept.
 */
VP_NODISCARD vp_code vp_tls_load(const char *cert_file, const char *key_file,
				 struct vp_tls_pem *out, struct vp_error *err);

/* Free both, wiping the key; the struct is zero after. */
void vp_tls_cleanup(struct vp_tls_pem *pem);

#endif
