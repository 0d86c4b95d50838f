#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Writes /etc/default/vpcpeer (the package's conffile) from `vpcpeer serve --help`, so that
# every VPCPEER_* setting of the broker is listed, commented out, with its help text (and so
# its default) and never drifts from the code.  Usage: gen-default.sh VPCPEER_BINARY OUT
set -eu
bin=$1
out=$2
{
	cat <<'HEAD'
# /etc/default/vpcpeer: the settings of the vpcpeer broker (vpcpeer.service reads this file
# with EnvironmentFile=; a line is NAME=value, no quotes needed, no shell expansion).
# Every option of `vpcpeer serve` can be set here as VPCPEER_<NAME>; repeatable ones take a
# comma-separated list. Each setting below is commented out and shows the option's help,
# which names its default. After a change: systemctl restart vpcpeer.service
# (a new TLS certificate and key only need: systemctl reload vpcpeer.service).
#
# The package's unit sets VPCPEER_DB=sqlite:/var/lib/vpcpeer/registry.db; a value here wins.
# The service is not started by the package: set at least VPCPEER_HUB_ACCOUNT,
# VPCPEER_HUB_VPC and VPCPEER_ALLOW_ACCOUNT (or VPCPEER_ALLOW_ANY_ACCOUNT), then
#   systemctl enable --now vpcpeer.service
# TLS files, when the broker terminates TLS itself, go under /etc/vpcpeer/tls/.
# AWS credentials come from the default chain (on EC2: the instance profile via IMDS).
#AWS_REGION=
HEAD
	"$bin" serve --help | awk '
		/^      --[a-z]/ {
			line = $0; sub(/^ +/, "", line); opt = line; next
		}
		/^ +\(env VPCPEER_/ && opt != "" {
			name = $0; sub(/^ +\(env /, "", name); sub(/[,)].*$/, "", name)
			printf "\n# --%s\n#%s=\n", substr(opt, 3), name
			opt = ""
		}'
} >"$out.tmp"
grep -q '^#VPCPEER_HUB_ACCOUNT=$' "$out.tmp" || {
	echo "gen-default.sh: no VPCPEER_HUB_ACCOUNT in '$bin serve --help'" >&2
	exit 1
}
mv "$out.tmp" "$out"
