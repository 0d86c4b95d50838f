/* SPDX-License-Identifier: Apache-2.0 */
/* Reading the HTTP server's PEM files (api/tls.c): the errors name the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api/tls.h"

static char dir[] = "/tmp/vp-test-tls-XXXXXX";
static char cert[64], key[64], plain[64], big[64];

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int group_setup(void **state)
{
	static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	static const char key_pem[] =
		"-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n";
	char *large;
	(void)state;
	if (!mkdtemp(dir))
		return -1;
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(plain, sizeof(plain), "%s/plain.txt", dir);
	snprintf(big, sizeof(big), "%s/big.pem", dir);
	write_file(cert, pem, strlen(pem));
	write_file(key, key_pem, strlen(key_pem));
	write_file(plain, "not a certificate\n", 18);
	large = malloc(VP_TLS_FILE_MAX + 1);
	assert_non_null(large);
	memset(large, 'A', VP_TLS_FILE_MAX + 1);
	memcpy(large, "-----BEGIN ", 11);
	write_file(big, large, VP_TLS_FILE_MAX + 1);
	free(large);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	unlink(cert);
	unlink(key);
	unlink(plain);
	unlink(big);
	rmdir(dir);
	return 0;
}

static void test_load_and_cleanup(void **state)
{
	struct vp_tls_pem pem;
	(void)state;
	assert_int_equal(vp_tls_load(cert, key, &pem, NULL), VP_OK);
	assert_non_null(strstr(pem.cert, "BEGIN CERTIFICATE"));
	assert_int_equal(pem.cert_len, strlen(pem.cert));
	assert_non_null(strstr(pem.key, "BEGIN PRIVATE KEY"));
	assert_int_equal(pem.key_len, strlen(pem.key));
	vp_tls_cleanup(&pem);
	assert_null(pem.cert);
	assert_null(pem.key);
	assert_int_equal(pem.key_len, 0);
}

static void test_errors_name_the_file(void **state)
{
	struct vp_tls_pem pem = {NULL, 0, NULL, 0};
	struct vp_error err;
	(void)state;
	assert_int_equal(vp_tls_load(cert, "/nonexistent/key.pem", &pem, &err), VP_ERR_IO);
	assert_non_null(strstr(err.message, "TLS key"));
	assert_non_null(strstr(err.message, "/nonexistent/key.pem"));
	assert_null(pem.cert); /* untouched on failure */
	assert_int_equal(vp_tls_load(plain, key, &pem, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "not in PEM format"));
	assert_non_null(strstr(err.message, plain));
	assert_int_equal(vp_tls_load(cert, big, &pem, &err), VP_ERR_INVALID);
	assert_non_null(strstr(err.message, "larger than"));
	assert_non_null(strstr(err.message, big));
	assert_null(pem.cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_and_cleanup),
		cmocka_unit_test(test_errors_name_the_file),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
