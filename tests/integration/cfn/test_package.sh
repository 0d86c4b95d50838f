#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/package-lambda: the zip holds an executable bootstrap at its root, the lean program
# and exactly the libraries it loads (LD_LIBRARY_PATH=lib ldd: nothing "not found", and no
# bundled library that ldd does not list: none of the broker's libmicrohttpd, GnuTLS, libpq,
# SQLite), and bootstrap runs the handler with nothing from the environment (no library path,
# no Runtime API) and, against a fake Runtime API on 127.0.0.1, makes its first call to
# GET /2018-06-01/runtime/invocation/next.
# A statically linked program (cmake -DVPCPEER_LAMBDA_STATIC=ON, no DT_NEEDED on libcurl) must
# need none of libcurl, libxml2, libssl, libcrypto, jansson as a shared library (readelf -d),
# and the zip bundles glibc alone. A fully static one (glibc too, package-lambda --static-glibc)
# is the zip's only file, bootstrap. Every kind must resolve a name from /etc/hosts: the fake
# Runtime API is also reached as vpcpeer-runtime-api.test:PORT, a name that only a private
# /etc/hosts holds (bind-mounted in a mount namespace of unshare's; libcurl resolves
# "localhost" itself, so that name would prove nothing). A static glibc resolves it with its
# built-in files module and loads no NSS module (docs/lambda.md).
# Usage: test_package.sh SOURCE_DIR VPCPEER_LAMBDA [LIB_DIRS|system]  (default system: the
# lean libraries need the network, scripts/build-lean-libs; given, ICU must not be bundled)
set -euo pipefail
src=$1
binary=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

libs=${3:-system}
link=dynamic
readelf -dW "$binary" | grep -q '(NEEDED).*\[libcurl' || link=static
readelf -lW "$binary" | grep -q INTERP || link=static-glibc
"$src/scripts/package-lambda" --binary "$binary" --output "$work/handler.zip" --libs "$libs"

python3 - "$work/handler.zip" "$work/unpacked" "$link" <<'PY' || fail "zip contents"
import os, stat, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = {i.filename: i for i in z.infolist()}
def mode(name): return names[name].external_attr >> 16
required = ["bootstrap", "bin/vpcpeer-lambda", "lib/libc.so.6"]
if sys.argv[3] == "static-glibc":  # the program is the bootstrap, alone
    required = ["bootstrap"]
    assert list(names) == required, f"a fully static zip with more than bootstrap: {sorted(names)}"
elif sys.argv[3] == "dynamic":
    required += ["lib/libcurl.so.4", "lib/libjansson.so.4"]
else:  # glibc alone: libc, perhaps libm, and the loader
    extra = [n for n in names if n.startswith("lib/") and not n.startswith(("lib/libc.so", "lib/libm.so", "lib/ld-linux"))]
    assert not extra, f"the static program's zip bundles {extra}"
for name in required:
    assert name in names, f"{name} missing from the zip"
assert mode("bootstrap") & 0o111 and stat.S_ISREG(mode("bootstrap")), "bootstrap is not an executable file"
assert sys.argv[3] == "static-glibc" or mode("bin/vpcpeer-lambda") & 0o111, "bin/vpcpeer-lambda is not executable"
loaders = [n for n in names if n.startswith("lib/ld-linux")]
if sys.argv[3] != "static-glibc":
    assert len(loaders) == 1 and mode(loaders[0]) & 0o111, f"no executable loader: {loaders}"
assert all(n in ("bootstrap",) or n.startswith(("bin/", "lib/")) for n in names), sorted(names)
# The static launcher (src/cli/lambda_bootstrap.c), not a script: it needs no /bin/sh.
assert z.read("bootstrap").startswith(b"\x7fELF"), "bootstrap is not the ELF launcher"
z.extractall(sys.argv[2])
for name, info in names.items():  # zipfile drops the modes
    os.chmod(os.path.join(sys.argv[2], name), (info.external_attr >> 16) & 0o777)
PY

cd "$work/unpacked"
if [ "$link" = static ]; then
	needed=$(readelf -dW bin/vpcpeer-lambda | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	! grep -E '^lib(curl|xml2|ssl|crypto|jansson)\.' <<<"$needed" ||
		fail "the static program needs shared libraries it should contain: $needed"
fi
if [ "$link" = static-glibc ]; then
	! readelf -dW bootstrap | grep -q '(NEEDED)' || fail "the fully static bootstrap needs libraries"
else
	missing=$(LD_LIBRARY_PATH=lib ldd bin/vpcpeer-lambda | grep 'not found' || true)
	[ -z "$missing" ] || fail "libraries not in the zip: $missing"
	# Nothing bundled that the program does not load, and none of the broker's libraries.
	loaded=$(LD_LIBRARY_PATH=lib ldd bin/vpcpeer-lambda |
		awk '$2 == "=>" {print $1} $1 ~ /^\// {n = split($1, p, "/"); print p[n]}' | sort)
	bundled=$(ls lib | sort)
	[ "$loaded" = "$bundled" ] ||
		fail "lib/ is not what the program loads: $(diff <(echo "$loaded") <(echo "$bundled") || true)"
	for lib in libmicrohttpd libpq libsqlite3; do
		! grep -q "^$lib\." <<<"$bundled" || fail "$lib is bundled: the handler does not use it"
	done
	if [ "$libs" != system ]; then
		! grep -q '^libicu' <<<"$bundled" || fail "ICU is bundled with the lean libxml2"
	fi
	# Every library the bundled ones need is bundled too.
	for lib in lib/*.so*; do
		case "$lib" in lib/ld-linux*) continue ;; esac
		m=$(LD_LIBRARY_PATH=lib ldd "$lib" 2>/dev/null | grep 'not found' || true)
		[ -z "$m" ] || fail "$lib needs libraries not in the zip: $m"
	done
fi

# As Lambda starts it (an almost empty environment), from another directory.
out=$(cd / && env -i LAMBDA_TASK_ROOT="$work/unpacked" "$work/unpacked/bootstrap" --help) ||
	fail "bootstrap --help failed"
grep -q 'usage: vpcpeer lambda' <<<"$out" || fail "bootstrap did not run the handler: $out"
rc=0
err=$(env -i "$work/unpacked/bootstrap" 2>&1 >/dev/null) || rc=$?
[ "$rc" -eq 2 ] || fail "bootstrap without AWS_LAMBDA_RUNTIME_API exited $rc, not 2"
grep -q 'AWS_LAMBDA_RUNTIME_API is not set' <<<"$err" || fail "unexpected error: $err"
# with_hosts CMD...: runs CMD with /etc/hosts replaced by one naming vpcpeer-runtime-api.test.
printf '127.0.0.1 localhost\n127.0.0.1 vpcpeer-runtime-api.test\n' >"$work/hosts"
with_hosts() {
	unshare -rm --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' \
		"$work/hosts" "$@"
}
hosts_ok=1
if ! with_hosts true 2>/dev/null; then
	hosts_ok=""
	echo "SKIP: unshare -rm cannot bind-mount /etc/hosts here: the name resolution check did not run"
fi
# The first thing it does is ask the Runtime API for an invocation.
python3 -B - "$work/unpacked/bootstrap" "$work/hosts" "$hosts_ok" <<'PY' || fail "against a fake Runtime API"
import http.server, subprocess, sys, threading
first = threading.Event()
paths = []
class Api(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        paths.append(self.path)
        first.set()
        self.rfile.read(1)  # no invocation: the handler waits until it is killed
    def log_message(self, *a): pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
server.daemon_threads = True
threading.Thread(target=server.serve_forever, daemon=True).start()
env = {"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}",
       "AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
       "AWS_SECRET_ACCESS_KEY": "secret", "AWS_EC2_METADATA_DISABLED": "true"}
# By address, then by a name from /etc/hosts (getaddrinfo through libcurl's resolver thread).
hosts = ["127.0.0.1"] + (["vpcpeer-runtime-api.test"] if sys.argv[3] else [])
for host in hosts:
    first.clear()
    paths.clear()
    env["AWS_LAMBDA_RUNTIME_API"] = f"{host}:{server.server_address[1]}"
    argv = [sys.argv[1]]
    if host != "127.0.0.1":
        argv = ["unshare", "-rm", "--propagation", "private", "sh", "-c",
                'mount --bind "$0" /etc/hosts && exec "$@"', sys.argv[2], sys.argv[1]]
    p = subprocess.Popen(argv, env=env, cwd="/", stderr=subprocess.PIPE)
    ok = first.wait(30)
    p.kill()
    _, err = p.communicate()
    assert ok, f"no Runtime API call at {host} in 30 s: {err.decode()[-800:]}"
    assert paths[0] == "/2018-06-01/runtime/invocation/next", paths
PY
# No OpenSSL configuration file unless OPENSSL_CONF names one (vp_aws_global_init_lean): the
# zip's libcrypto would look for the build machine's /usr/lib/ssl/openssl.cnf (docs/lambda.md).
# strace shows which files it opens (the Runtime API on port 1 refuses: it exits at once).
if command -v strace >/dev/null; then
	cnf_opened() {
		strace -f -qq -e trace=openat,open -o "$work/trace" env -i "$@" \
			AWS_LAMBDA_RUNTIME_API=127.0.0.1:1 AWS_REGION=eu-west-1 AWS_ACCESS_KEY_ID=AKIDEXAMPLE \
			AWS_SECRET_ACCESS_KEY=secret "$work/unpacked/bootstrap" >/dev/null 2>&1 || true
		grep -o '"[^"]*\.cnf"' "$work/trace" || true
	}
	opened=$(cnf_opened)
	[ -z "$opened" ] || fail "the handler read an OpenSSL configuration: $opened"
	printf '# an empty OpenSSL configuration\n' >"$work/custom.cnf"
	opened=$(cnf_opened OPENSSL_CONF="$work/custom.cnf")
	[ "$opened" = "\"$work/custom.cnf\"" ] || fail "OPENSSL_CONF was not read: '$opened'"
	# The name comes from /etc/hosts through glibc's built-in files module: no NSS module
	# (libnss_*.so) is loaded, which a fully static program would take from the image.
	if [ -n "$hosts_ok" ]; then
		strace -f -qq -e trace=openat,open -o "$work/trace" env -i \
			AWS_LAMBDA_RUNTIME_API=vpcpeer-runtime-api.test:1 AWS_REGION=eu-west-1 \
			AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=secret \
			unshare -rm --propagation private sh -c 'mount --bind "$0" /etc/hosts && exec "$1"' \
			"$work/hosts" "$work/unpacked/bootstrap" >/dev/null 2>&1 || true
		grep -q '"/etc/hosts"' "$work/trace" || fail "the Runtime API's name was not looked up in /etc/hosts"
		! grep -o '"[^"]*libnss_[^"]*"' "$work/trace" || fail "the handler loaded an NSS module"
	fi
else
	echo "SKIP: no strace, the OpenSSL configuration checks did not run (scripts/setup installs it)"
fi
echo "package: ok ($link, $(du -k "$work/handler.zip" | cut -f1) KiB)"
