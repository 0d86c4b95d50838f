# SPDX-License-Identifier: Apache-2.0
# The picky build: every warning that finds real bugs, and warnings are errors.
set(VPCPEER_WARNINGS
  -Wall -Wextra -Werror
  -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes
  -Wpointer-arith -Wcast-qual -Wwrite-strings -Wundef -Wnull-dereference
  -Wimplicit-fallthrough -Wdouble-promotion)
add_compile_options(${VPCPEER_WARNINGS})
add_compile_definitions(_GNU_SOURCE)
