#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# tests/package: cpack the built tree, dpkg -x the .deb into a scratch root and check it.
# Needs no root and no running systemd. Usage: test_package.sh BUILD_DIR VERSION
set -euo pipefail
build=$1
version=$2
# systemd-analyze security's "Overall exposure level": fail above this (0 best, 10 worst;
# systemd calls < 2.0 "OK"). The unit scores 1.6 with systemd 252 (Debian 12).
max_exposure=2.0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

arch=$(dpkg --print-architecture)
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
	{ cat "$tmp/cpack.log"; fail "cpack"; }
deb="$tmp/out/vpcpeer_${version}_${arch}.deb"
[ -f "$deb" ] || { ls "$tmp/out"; fail "no $deb"; }

# Control: the name, Depends from dpkg-shlibdeps, the conffile, the maintainer scripts.
dpkg-deb -f "$deb" Package | grep -qx vpcpeer || fail "package name"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libcurl4 libmicrohttpd12 libjansson4 libsqlite3-0 libpq5 libxml2 adduser; do
	grep -q "\b$lib\b" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/default/vpcpeer "$tmp/control/conffiles" || fail "/etc/default/vpcpeer is no conffile"
for s in postinst prerm postrm; do
	[ -x "$tmp/control/$s" ] || fail "no executable $s"
	sh -n "$tmp/control/$s" || fail "$s: syntax"
done
# The package never starts or enables the service itself (it is not configured yet).
! grep -Eq 'systemctl (enable|start)|deb-systemd-invoke start' "$tmp/control/postinst" ||
	fail "postinst starts or enables the service"
grep -q 'adduser --system' "$tmp/control/postinst" || fail "postinst creates no system user"

root="$tmp/root"
dpkg -x "$deb" "$root"
for f in usr/bin/vpcpeer lib/systemd/system/vpcpeer.service etc/default/vpcpeer \
	usr/share/man/man1/vpcpeer.1.gz usr/share/doc/vpcpeer/operations.md \
	usr/share/bash-completion/completions/vpcpeer; do
	[ -e "$root/$f" ] || fail "/$f missing"
done

# The installed program runs.
out=$("$root/usr/bin/vpcpeer" --version)
[ "$out" = "vpcpeer $version" ] || fail "--version says '$out'"

# The bash completion is the installed program's own, and bash reads it and completes with it.
comp="$root/usr/share/bash-completion/completions/vpcpeer"
"$root/usr/bin/vpcpeer" completion bash | cmp -s - "$comp" || fail "the bash completion differs from 'vpcpeer completion bash'"
words=$(bash -c '. "$1"; COMP_WORDS=(vpcpeer list --out); COMP_CWORD=2; _vpcpeer; echo "${COMPREPLY[*]}"' _ "$comp")
[ "$words" = "--output" ] || fail "bash completion of 'vpcpeer list --out' gives '$words'"

# The conffile lists every VPCPEER_* setting of serve, commented out.
want=$("$root/usr/bin/vpcpeer" serve --help | grep -o '(env VPCPEER_[A-Z0-9_]*' | cut -c6- | sort)
have=$(grep -o '^#VPCPEER_[A-Z0-9_]*=' "$root/etc/default/vpcpeer" | tr -d '#=' | sort)
[ -n "$want" ] && [ "$want" = "$have" ] ||
	fail "/etc/default/vpcpeer and serve --help differ: $(diff <(echo "$want") <(echo "$have") || true)"
! grep -q '^VPCPEER_' "$root/etc/default/vpcpeer" || fail "/etc/default/vpcpeer sets a value"

# The unit, with its paths pointing into the scratch root.
unit="$tmp/vpcpeer.service"
sed -e "s|/usr/bin/vpcpeer|$root/usr/bin/vpcpeer|" -e "s|/etc/default/vpcpeer|$root/etc/default/vpcpeer|" \
	"$root/lib/systemd/system/vpcpeer.service" >"$unit"
grep -q "^ExecStart=$root/usr/bin/vpcpeer serve$" "$unit" || fail "ExecStart"
grep -q '^User=vpcpeer$' "$unit" || fail "User="
grep -q '^EnvironmentFile=' "$unit" || fail "EnvironmentFile="
grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit" || fail "ExecReload="
systemd-analyze verify --man=no "$unit" || fail "systemd-analyze verify"
systemd-analyze security --offline=true "$unit" >"$tmp/security.txt" 2>&1 || true
score=$(sed -n 's/.*Overall exposure level for vpcpeer.service: \([0-9.]*\).*/\1/p' "$tmp/security.txt")
[ -n "$score" ] || { cat "$tmp/security.txt"; fail "no exposure level"; }
echo "systemd-analyze security: exposure $score (threshold $max_exposure)"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' ||
	{ grep '✗' "$tmp/security.txt" || true; fail "exposure $score > $max_exposure"; }

# The man page renders and names the commands.
MANWIDTH=80 man -l "$root/usr/share/man/man1/vpcpeer.1.gz" 2>/dev/null >"$tmp/man.txt" || fail "man -l"
grep -q 'reconcile' "$tmp/man.txt" || fail "the man page lacks the commands"
grep -q '/etc/default/vpcpeer' "$tmp/man.txt" || fail "the man page lacks FILES"
# A page per command, vpcpeer-COMMAND(1), for every command `vpcpeer --help` lists; each
# renders and shows that command's own options.
cmds=$("$root/usr/bin/vpcpeer" --help | awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' | grep -vxE 'version|help|completion')
[ -n "$cmds" ] || fail "vpcpeer --help lists no commands"
for c in $cmds; do
	page="$root/usr/share/man/man1/vpcpeer-$c.1.gz"
	[ -e "$page" ] || fail "no man page vpcpeer-$c(1)"
	MANWIDTH=80 man -l "$page" 2>/dev/null >"$tmp/man-$c.txt" || fail "man -l vpcpeer-$c.1.gz"
	grep -q "vpcpeer-$c" "$tmp/man-$c.txt" || fail "vpcpeer-$c(1) does not name itself"
	opt=$("$root/usr/bin/vpcpeer" "$c" --help | grep -o -- '--[a-z][a-z-]*' | grep -vx -- '--help' | head -1)
	[ -z "$opt" ] || grep -q -- "$opt" "$tmp/man-$c.txt" || fail "vpcpeer-$c(1) lacks its option $opt"
done
echo "package_deb: ok ($(basename "$deb"), man pages: vpcpeer $(echo $cmds))"
