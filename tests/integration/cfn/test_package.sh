#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/package-lambda: the zip holds an executable bootstrap at its root, the program and
# every library it needs (LD_LIBRARY_PATH=lib ldd: nothing "not found"), and bootstrap runs
# the handler with nothing from the environment: no library path, no Runtime API.
# Usage: test_package.sh SOURCE_DIR VPCPEER
set -euo pipefail
src=$1
binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$src/scripts/package-lambda" --binary "$binary" --output "$work/handler.zip"

python3 - "$work/handler.zip" "$work/unpacked" <<'PY' || fail "zip contents"
import os, stat, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = {i.filename: i for i in z.infolist()}
def mode(name): return names[name].external_attr >> 16
for required in ("bootstrap", "bin/vpcpeer", "lib/libc.so.6", "lib/libcurl.so.4", "lib/libjansson.so.4"):
    assert required in names, f"{required} missing from the zip"
assert mode("bootstrap") & 0o111 and stat.S_ISREG(mode("bootstrap")), "bootstrap is not an executable file"
assert mode("bin/vpcpeer") & 0o111, "bin/vpcpeer is not executable"
loaders = [n for n in names if n.startswith("lib/ld-linux")]
assert len(loaders) == 1 and mode(loaders[0]) & 0o111, f"no executable loader: {loaders}"
assert all(n in ("bootstrap",) or n.startswith(("bin/", "lib/")) for n in names), sorted(names)
assert z.read("bootstrap").startswith(b"#!/bin/sh\n")
z.extractall(sys.argv[2])
for name, info in names.items():  # zipfile drops the modes
    os.chmod(os.path.join(sys.argv[2], name), (info.external_attr >> 16) & 0o777)
PY

cd "$work/unpacked"
missing=$(LD_LIBRARY_PATH=lib ldd bin/vpcpeer | grep 'not found' || true)
[ -z "$missing" ] || fail "libraries not in the zip: $missing"
# Every library the bundled ones need is bundled too.
for lib in lib/*.so*; do
	case "$lib" in lib/ld-linux*) continue ;; esac
	m=$(LD_LIBRARY_PATH=lib ldd "$lib" 2>/dev/null | grep 'not found' || true)
	[ -z "$m" ] || fail "$lib needs libraries not in the zip: $m"
done

# As Lambda starts it (an almost empty environment), from another directory.
out=$(cd / && env -i LAMBDA_TASK_ROOT="$work/unpacked" "$work/unpacked/bootstrap" --help) ||
	fail "bootstrap --help failed"
grep -q 'usage: vpcpeer lambda' <<<"$out" || fail "bootstrap did not run the handler: $out"
rc=0
err=$(env -i "$work/unpacked/bootstrap" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 2 ] || fail "bootstrap without AWS_LAMBDA_RUNTIME_API exited $rc, not 2"
grep -q 'AWS_LAMBDA_RUNTIME_API is not set' <<<"$err" || fail "unexpected error: $err"
echo "package: ok ($(du -k "$work/handler.zip" | cut -f1) KiB)"
