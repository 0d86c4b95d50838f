# SPDX-License-Identifier: Apache-2.0
# Every dependency is a Debian package found through pkg-config (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
# The registry's two backends.
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_package(Threads REQUIRED)
# The AWS client (src/aws): HTTP, XML responses, HMAC/SHA-256.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.85)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET libxml-2.0)
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
# The broker's HTTP server (src/api/server.c); TLS through the GnuTLS inside it.
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd>=0.9.71)
# The certificate callback (SIGHUP reload) speaks GnuTLS, the TLS library of libmicrohttpd.
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
if(VPCPEER_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
