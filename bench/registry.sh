#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs the registry benchmark on SQLite (a temporary directory) and on a throwaway
# PostgreSQL cluster (tests/support/pg_cluster.sh), then removes both. The clients are
# threads sharing one registry handle (a pool of as many connections as clients), as the
# broker's workers do; each figure is the median of 3 runs with its spread (min..max), next
# to the raw single-row commit rate of the same storage and the ratios issue 12 asks for.
# Usage: bench/registry.sh [BUILD_DIR]   (default build; needs its registry_bench)
# Before/after: build this bench/registry_bench.c against an older tree and pass its build.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bench=$build/bench/registry_bench
[ -x "$bench" ] || { echo "no $bench: cmake --build $build first" >&2; exit 1; }

work=$(mktemp -d /tmp/vpcpeer-bench.XXXXXX)
cleanup() {
	bash tests/support/pg_cluster.sh stop "$work/pg.url" >/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

echo "registry benchmark on $(nproc) cores, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
"$bench" sqlite "$work"
bash tests/support/pg_cluster.sh start "$work/pg.url" >/dev/null
"$bench" postgres "$(cat "$work/pg.url")"
