#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/package (label container): cpack the .deb, build the OCI image with
# container/build-image (needs root, mmdebstrap, umoci and a Debian mirror), unpack its root
# file system and run the program in it with chroot as the image's user.
# scripts/test does not set VPCPEER_TEST_CONTAINER, so it skips this test.
# Usage: test_container.sh SOURCE_DIR BUILD_DIR VERSION
set -euo pipefail
src=$1
build=$2
version=$3
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
# Minutes (mostly the download of ~30 packages): opt in, e.g.
#   VPCPEER_TEST_CONTAINER=1 ctest --test-dir build -L container
[ "${VPCPEER_TEST_CONTAINER:-0}" = 1 ] || { echo "SKIP: set VPCPEER_TEST_CONTAINER=1"; exit 77; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (mmdebstrap, chroot)"; exit 77; }
for t in mmdebstrap umoci; do
	command -v $t >/dev/null || { echo "SKIP: no $t (scripts/setup)"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
	{ cat "$tmp/cpack.log"; fail "cpack"; }
deb="$tmp/out/vpcpeer_${version}_$(dpkg --print-architecture).deb"
"$src/container/build-image" "$deb" "$tmp/image.tar"

mkdir "$tmp/oci"
tar -xf "$tmp/image.tar" -C "$tmp/oci"
umoci unpack --image "$tmp/oci:latest" "$tmp/bundle" >/dev/null
cfg="$tmp/bundle/config.json"
root="$tmp/bundle/rootfs"
python3 - "$cfg" <<'PY' || fail "image config"
import json, sys
c = json.load(open(sys.argv[1]))
p = c["process"]
assert p["args"] == ["/usr/bin/vpcpeer", "serve"], p["args"]
assert p["user"]["uid"] != 0, p["user"]
assert "VPCPEER_DB=sqlite:/var/lib/vpcpeer/registry.db" in p["env"], p["env"]
PY
user=$(awk -F: '$1 == "vpcpeer" { print $3 ":" $4 }' "$root/etc/passwd")
[ -n "$user" ] || fail "no user vpcpeer"
out=$(chroot --userspec="$user" "$root" /usr/bin/vpcpeer --version)
[ "$out" = "vpcpeer $version" ] || fail "--version in the image says '$out'"
chroot --userspec="$user" "$root" /usr/bin/vpcpeer serve --help | grep -q VPCPEER_LISTEN ||
	fail "serve --help in the image"
# The broker writes only under /var/lib/vpcpeer: it belongs to the image's user.
[ "$(stat -c %u:%g "$root/var/lib/vpcpeer")" = "$user" ] || fail "/var/lib/vpcpeer owner"
echo "container: ok ($(du -h "$tmp/image.tar" | cut -f1) image)"
