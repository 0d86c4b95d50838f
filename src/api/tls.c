/* SPDX-License-Identifier: Apache-2.0 */
#include "api/tls.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "core/file.h"

static void drop(char *text, size_t len)
{
	if (text) {
		OPENSSL_cleanse(text, len);
		free(text);
	}
}

/* One PEM file; `what` ("certificate", "key") names it in the messages. */
static vp_code read_pem(const char *path, const char *what, char **out, size_t *out_len,
			struct vp_error *err)
{
	struct vp_error e = {VP_OK, ""};
	char *text;
	size_t len;
	vp_code rc = vp_file_read(path, VP_TLS_FILE_MAX, &text, &len, &e);

	if (rc == VP_ERR_RANGE)
		return vp_fail(err, VP_ERR_INVALID, "the TLS %s %s is larger than %d bytes", what,
			       path, VP_TLS_FILE_MAX);
	if (rc == VP_ERR_NOMEM)
		return vp_fail(err, rc, "%s", e.message);
	if (rc != VP_OK) /* e.message names the path and the reason */
		return vp_fail(err, VP_ERR_IO, "the TLS %s: %s", what, e.message);
	if (!strstr(text, "-----BEGIN ")) {
		drop(text, len);
		return vp_fail(err, VP_ERR_INVALID, "the TLS %s %s is not in PEM format", what,
			       path);
	}
	*out = text;
	*out_len = len;
	return VP_OK;
}

vp_code vp_tls_load(const char *cert_file, const char *key_file, struct vp_tls_pem *out,
		    struct vp_error *err)
{
	struct vp_tls_pem pem = {NULL, 0, NULL, 0};
	vp_code rc;

	rc = read_pem(cert_file, "certificate", &pem.cert, &pem.cert_len, err);
	if (rc == VP_OK)
		rc = read_pem(key_file, "key", &pem.key, &pem.key_len, err);
	if (rc != VP_OK) {
		vp_tls_cleanup(&pem);
		return rc;
	}
	*out = pem;
	return VP_OK;
}

void vp_tls_cleanup(struct vp_tls_pem *pem)
{
	free(pem->cert);
	drop(pem->key, pem->key_len);
	memset(pem, 0, sizeof(*pem));
}
