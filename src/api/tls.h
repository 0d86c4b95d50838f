/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The HTTP server's certificate and key: two PEM files (`--tls-cert`,
 * `--tls-key`), read whole (the key wiped when let go) and parsed into
 * GnuTLS's form. libmicrohttpd asks for them on every handshake through a
 * callback (vp_tls_callback()), so vp_tls_reload() (on SIGHUP) gives new
 * connections the new certificate without closing the listener; a reload
 * that fails (unreadable, not PEM, a key of another certificate) keeps the
 * old one. Replaced certificates stay in memory until vp_tls_free (a
 * handshake may still be using one): a few KiB per reload.
 */
#ifndef VP_API_TLS_H
#define VP_API_TLS_H

#include <stddef.h>

#include "core/error.h"

#define VP_TLS_FILE_MAX (1024 * 1024)

/* GnuTLS priorities of the server: TLS 1.3 preferred, 1.2 at least, nothing older. */
#define VP_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

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

/* The live certificate of one HTTPS server. */
struct vp_tls;

/* Load both files (errors as vp_tls_load, and VP_ERR_INVALID for a key of another cert). */
VP_NODISCARD vp_code vp_tls_new(const char *cert_file, const char *key_file, struct vp_tls **out,
				struct vp_error *err);

/* Read the same two paths again and serve them from the next handshake on. */
VP_NODISCARD vp_code vp_tls_reload(struct vp_tls *tls, struct vp_error *err);

/* Serve handshakes on the socket bound to `port` with it (once; before the daemon starts). */
void vp_tls_attach(struct vp_tls *tls, unsigned port);

/* The value of MHD_OPTION_HTTPS_CERT_CALLBACK (a gnutls_certificate_retrieve_function2). */
void *vp_tls_callback(void);

/* After the daemon has stopped. NULL is a no-op. */
void vp_tls_free(struct vp_tls *tls);

#endif
