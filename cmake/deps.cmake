# SPDX-License-Identifier: Apache-2.0
# Every dependency is a Debian package found through pkg-config (scripts/setup installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
if(VPCPEER_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
