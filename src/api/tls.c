/* SPDX-License-Identifier: Apache-2.0 */
#include "api/tls.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
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

/* ---- the server's live certificate (GnuTLS, as libmicrohttpd uses it) --------------------- */

#define MAX_CHAIN 16

/* One loaded certificate chain and key; kept until vp_tls_free (a handshake may hold it). */
struct generation {
	gnutls_pcert_st chain[MAX_CHAIN];
	unsigned chain_len;
	gnutls_privkey_t key;
	struct generation *older;
};

struct vp_tls {
	char *cert_file, *key_file;
	unsigned port; /* the bound port the callback finds this by; 0: not attached */
	pthread_mutex_t lock;
	struct generation *current; /* newest first, the older ones behind it */
	struct vp_tls *next;        /* in the process's list */
};

/* GnuTLS's callback has no user pointer: the servers of this process, found by their port. */
static pthread_mutex_t servers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vp_tls *servers;

static void generation_free(struct generation *g)
{
	while (g) {
		struct generation *older = g->older;
		for (unsigned i = 0; i < g->chain_len; i++)
			gnutls_pcert_deinit(&g->chain[i]);
		if (g->key)
			gnutls_privkey_deinit(g->key);
		free(g);
		g = older;
	}
}

/* The DER of a public key, for comparing the certificate's with the key's. */
static bool pubkey_der(gnutls_pubkey_t pub, gnutls_datum_t *out)
{
	return gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, out) == 0;
}

static bool key_matches(const struct generation *g)
{
	gnutls_pubkey_t from_key = NULL;
	gnutls_datum_t a = {NULL, 0}, b = {NULL, 0};
	bool same = false;

	if (gnutls_pubkey_init(&from_key) == 0 &&
	    gnutls_pubkey_import_privkey(from_key, g->key, 0, 0) == 0 && pubkey_der(from_key, &a) &&
	    pubkey_der(g->chain[0].pubkey, &b))
		same = a.size == b.size && memcmp(a.data, b.data, a.size) == 0;
	gnutls_free(a.data);
	gnutls_free(b.data);
	if (from_key)
		gnutls_pubkey_deinit(from_key);
	return same;
}

/* Read and parse both files into a new generation; nothing kept on failure. */
static vp_code load_generation(const struct vp_tls *t, struct generation **out,
			       struct vp_error *err)
{
	struct vp_tls_pem pem;
	struct generation *g;
	gnutls_datum_t d;
	vp_code rc = vp_tls_load(t->cert_file, t->key_file, &pem, err);
	int e;

	if (rc != VP_OK)
		return rc;
	g = calloc(1, sizeof(*g));
	if (!g) {
		vp_tls_cleanup(&pem);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for the TLS certificate");
	}
	g->chain_len = MAX_CHAIN;
	d = (gnutls_datum_t){(unsigned char *)pem.cert, (unsigned)pem.cert_len};
	e = gnutls_pcert_list_import_x509_raw(g->chain, &g->chain_len, &d, GNUTLS_X509_FMT_PEM, 0);
	if (e < 0) {
		g->chain_len = 0;
		rc = vp_fail(err, VP_ERR_INVALID, "the TLS certificate %s: %s", t->cert_file,
			     gnutls_strerror(e));
		goto done;
	}
	d = (gnutls_datum_t){(unsigned char *)pem.key, (unsigned)pem.key_len};
	if ((e = gnutls_privkey_init(&g->key)) < 0 ||
	    (e = gnutls_privkey_import_x509_raw(g->key, &d, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		rc = vp_fail(err, VP_ERR_INVALID, "the TLS key %s: %s", t->key_file,
			     gnutls_strerror(e));
		goto done;
	}
	if (!key_matches(g))
		rc = vp_fail(err, VP_ERR_INVALID, "the TLS key %s is not the key of %s",
			     t->key_file, t->cert_file);
done:
	vp_tls_cleanup(&pem);
	if (rc != VP_OK) {
		generation_free(g);
		return rc;
	}
	*out = g;
	return VP_OK;
}

vp_code vp_tls_new(const char *cert_file, const char *key_file, struct vp_tls **out,
		   struct vp_error *err)
{
	struct vp_tls *t = calloc(1, sizeof(*t));
	vp_code rc;

	if (!t)
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for TLS");
	pthread_mutex_init(&t->lock, NULL);
	t->cert_file = strdup(cert_file);
	t->key_file = strdup(key_file);
	if (!t->cert_file || !t->key_file) {
		vp_tls_free(t);
		return vp_fail(err, VP_ERR_NOMEM, "out of memory for TLS");
	}
	rc = load_generation(t, &t->current, err);
	if (rc != VP_OK) {
		vp_tls_free(t);
		return rc;
	}
	*out = t;
	return VP_OK;
}

vp_code vp_tls_reload(struct vp_tls *t, struct vp_error *err)
{
	struct generation *g;
	vp_code rc = load_generation(t, &g, err);

	if (rc != VP_OK)
		return rc;
	pthread_mutex_lock(&t->lock);
	g->older = t->current;
	t->current = g;
	pthread_mutex_unlock(&t->lock);
	return VP_OK;
}

void vp_tls_attach(struct vp_tls *t, unsigned port)
{
	pthread_mutex_lock(&servers_lock);
	t->port = port;
	t->next = servers;
	servers = t;
	pthread_mutex_unlock(&servers_lock);
}

static unsigned local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);

	if (getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return 0;
	if (sa.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&sa)->sin6_port);
	if (sa.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&sa)->sin_port);
	return 0;
}

/* gnutls_certificate_retrieve_function2: the current generation of the server on this port. */
static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *key)
{
	struct MHD_Connection *conn = gnutls_session_get_ptr(session);
	const union MHD_ConnectionInfo *info;
	unsigned port;
	int found = -1;

	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	info = conn ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD) : NULL;
	port = info ? local_port(info->connect_fd) : 0;
	pthread_mutex_lock(&servers_lock);
	for (struct vp_tls *t = servers; t && port; t = t->next) {
		if (t->port != port)
			continue;
		pthread_mutex_lock(&t->lock);
		*pcert = t->current->chain;
		*pcert_length = t->current->chain_len;
		*key = t->current->key;
		pthread_mutex_unlock(&t->lock);
		found = 0;
		break;
	}
	pthread_mutex_unlock(&servers_lock);
	return found;
}

void *vp_tls_callback(void)
{
	return (void *)&retrieve;
}

void vp_tls_free(struct vp_tls *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&servers_lock);
	for (struct vp_tls **p = &servers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&servers_lock);
	generation_free(t->current);
	pthread_mutex_destroy(&t->lock);
	free(t->cert_file);
	free(t->key_file);
	free(t);
}
