#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# vpcpeer-COMMAND(1) from `vpcpeer COMMAND --help` with help2man (issue 15). help2man runs a
# program, so a two-line wrapper stands for "vpcpeer COMMAND"; the version is the project's.
# The page's one-line summary is the command's line in `vpcpeer --help`.
# Usage: man-subcommand.sh HELP2MAN VPCPEER COMMAND VERSION INCLUDE OUTPUT.gz
set -eu
[ $# -eq 6 ] || { echo "usage: $0 HELP2MAN VPCPEER COMMAND VERSION INCLUDE OUTPUT.gz" >&2; exit 2; }
help2man=$1 vpcpeer=$2 cmd=$3 version=$4 include=$5 out=$6
summary=$("$vpcpeer" --help | awk -v c="$cmd" '$1 == c { $1 = ""; sub(/^ +/, ""); print; exit }')
[ -n "$summary" ] || { echo "$0: '$cmd' is not a command of '$vpcpeer --help'" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$vpcpeer" "$cmd" >"$work/vpcpeer-$cmd"
chmod +x "$work/vpcpeer-$cmd"
# Fail here, not with an empty page, when the command has no --help.
"$work/vpcpeer-$cmd" --help >/dev/null
"$help2man" --no-info --section=1 --source=vpcpeer --version-string="$version" \
	--name="$summary" --include="$include" --output="$work/vpcpeer-$cmd.1" "$work/vpcpeer-$cmd"
gzip -9nc "$work/vpcpeer-$cmd.1" >"$out"
