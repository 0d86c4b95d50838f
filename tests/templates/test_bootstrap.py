# SPDX-License-Identifier: Apache-2.0
"""scripts/bootstrap-instance against a throwaway root and a local artifact (issue 15).

The package is a small .deb built here with dpkg-deb that follows the package contract
(/usr/bin/vpcpeer, /lib/systemd/system/vpcpeer.service). aws, systemctl and curl are stubs
that log their calls; the installer extracts the .deb into the throwaway root.
"""
import hashlib
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "..", "..", "scripts", "bootstrap-instance")

AWS_STUB = """#!/bin/bash
echo "aws $*" >> "$LOG"
case "$1 $2" in
"s3 cp") cp "$ARTIFACT" "${@: -1}" ;;
"secretsmanager get-secret-value") echo '{"username":"vp","password":"p@ss/w"}' ;;
"cloudformation signal-resource") ;;
"ec2 describe-volumes")
	# $VOL/busy: how many more answers say a replaced instance still holds the volume
	busy=$(cat "$VOL/busy" 2>/dev/null || echo 0)
	if [ "$busy" -gt 0 ]; then echo $((busy - 1)) > "$VOL/busy"; printf 'in-use\ti-0ther\n'
	elif [ -f "$VOL/attached" ]; then printf 'in-use\t%s\n' "$(cat "$VOL/attached")"
	else printf 'available\tNone\n'; fi ;;
"ec2 attach-volume")
	[ ! -f "$VOL/attached" ] || exit 3
	set -- "$@"; while [ "$1" != --instance-id ]; do shift; done; echo "$2" > "$VOL/attached"
	mkdir -p "$VP_BOOT_ROOT/dev/disk/by-id"
	touch "$VP_BOOT_ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0" ;;
*) exit 2 ;;
esac
"""
# The registry volume's file system and mount, kept in $VOL.
BLKID_STUB = """#!/bin/bash
echo "blkid $*" >> "$LOG"
[ -f "$VOL/fs" ] || exit 2
case "$*" in *TYPE*) cat "$VOL/fs" ;; *UUID*) echo 0b6e2c1a-0000-4000-8000-000000000001 ;; esac
"""
MKFS_STUB = """#!/bin/bash
echo "mkfs $*" >> "$LOG"
echo ext4 > "$VOL/fs"
"""
MOUNTPOINT_STUB = """#!/bin/bash
[ -f "$VOL/mounted" ]
"""
MOUNT_STUB = """#!/bin/bash
echo "mount $*" >> "$LOG"
touch "$VOL/mounted"
"""
SYSTEMCTL_STUB = """#!/bin/bash
echo "systemctl $*" >> "$LOG"
"""
# /readyz answers 200 only once the service has been enabled and started.
CURL_STUB = """#!/bin/bash
echo "curl ${@: -1}" >> "$LOG"
case "${@: -1}" in
https://agent.example.com/*.deb)
	while [ "$1" != -o ]; do shift; done; cp "$AGENT" "$2"; exit ;;
http://169.254.169.254/latest/api/token) echo tok3n; exit 0 ;;
http://169.254.169.254/latest/meta-data/instance-id)
	[[ " $* " == *" X-aws-ec2-metadata-token: tok3n "* ]] && echo i-0123456789abcdef0; exit ;;
esac
grep -q '^systemctl enable --now vpcpeer.service$' "$LOG"
"""
INSTALL_STUB = """#!/bin/bash
echo "install $1" >> "$LOG"
dpkg-deb -x "$1" "$VP_BOOT_ROOT"
"""


def stub(d, name, text):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, 0o755)
    return p


class Bootstrap(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        d = self.tmp.name
        self.root = os.path.join(d, "root")
        os.mkdir(self.root)
        pkg = os.path.join(d, "pkg")
        os.makedirs(os.path.join(pkg, "DEBIAN"))
        os.makedirs(os.path.join(pkg, "usr", "bin"))
        os.makedirs(os.path.join(pkg, "lib", "systemd", "system"))
        with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
            f.write("Package: vpcpeer\nVersion: 0.0.1\nArchitecture: amd64\n"
                    "Maintainer: test <t@example.com>\nDescription: test package\n")
        stub(pkg, "usr/bin/vpcpeer", "#!/bin/sh\nexit 0\n")
        with open(os.path.join(pkg, "lib/systemd/system/vpcpeer.service"), "w") as f:
            f.write("[Service]\nEnvironmentFile=/etc/default/vpcpeer\nExecStart=/usr/bin/vpcpeer serve\n")
        self.deb = os.path.join(d, "vpcpeer_0.0.1_amd64.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", pkg, self.deb], check=True,
                       stdout=subprocess.DEVNULL)
        agent = os.path.join(d, "agent")
        os.makedirs(os.path.join(agent, "DEBIAN"))
        os.makedirs(os.path.join(agent, "usr", "bin"))
        with open(os.path.join(agent, "DEBIAN", "control"), "w") as f:
            f.write("Package: amazon-ssm-agent\nVersion: 3.3.0\nArchitecture: amd64\n"
                    "Maintainer: test <t@example.com>\nDescription: test agent\n")
        stub(agent, "usr/bin/amazon-ssm-agent", "#!/bin/sh\nexit 0\n")
        self.agent = os.path.join(d, "amazon-ssm-agent.deb")
        subprocess.run(["dpkg-deb", "--root-owner-group", "-b", agent, self.agent], check=True,
                       stdout=subprocess.DEVNULL)
        with open(self.agent, "rb") as f:
            self.agent_sha = hashlib.sha256(f.read()).hexdigest()
        with open(self.deb, "rb") as f:
            self.sha = hashlib.sha256(f.read()).hexdigest()
        self.log = os.path.join(d, "log")
        open(self.log, "w").close()
        self.env = dict(os.environ, LOG=self.log, ARTIFACT=self.deb, AGENT=self.agent,
                        VP_BOOT_ROOT=self.root,
                        VP_BOOT_AWS=stub(d, "aws", AWS_STUB),
                        VP_BOOT_SYSTEMCTL=stub(d, "systemctl", SYSTEMCTL_STUB),
                        VP_BOOT_CURL=stub(d, "curl", CURL_STUB),
                        VP_BOOT_INSTALL=stub(d, "install", INSTALL_STUB),
                        VP_BOOT_BLKID=stub(d, "blkid", BLKID_STUB),
                        VP_BOOT_MKFS=stub(d, "mkfs", MKFS_STUB),
                        VP_BOOT_MOUNTPOINT=stub(d, "mountpoint", MOUNTPOINT_STUB),
                        VP_BOOT_MOUNT=stub(d, "mount", MOUNT_STUB),
                        VP_BOOT_SLEEP=stub(d, "sleep", "#!/bin/sh\necho sleep >> \"$LOG\"\n"),
                        VOL=os.path.join(d, "vol"))
        os.mkdir(self.env["VOL"])
        self.settings = os.path.join(d, "settings")

    def tearDown(self):
        self.tmp.cleanup()

    def run_boot(self, lines):
        with open(self.settings, "w") as f:
            f.write("\n".join(lines) + "\n")
        return subprocess.run(["bash", SCRIPT, self.settings], env=self.env,
                              capture_output=True, text=True, timeout=60)

    def calls(self):
        with open(self.log) as f:
            return f.read().splitlines()

    def base(self, sha):
        return ["BOOT_PACKAGE_URL=s3://artifacts-eu-west-1/vpcpeer/vpcpeer_0.0.1_amd64.deb",
                "BOOT_PACKAGE_SHA256=" + sha, "BOOT_REGION=eu-west-1",
                "BOOT_STACK=vpcpeer-broker", "BOOT_RESOURCE=BrokerGroup",
                "BOOT_READYZ_TRIES=3",
                "VPCPEER_PUBLIC_URL=https://broker.example.com",
                "VPCPEER_HUB_VPC=vpc-0123456789abcdef0"]

    def test_checksum_mismatch_installs_nothing(self):
        wrong = "0" * 64
        r = self.run_boot(self.base(wrong))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("SHA-256", r.stderr)
        self.assertIn(wrong, r.stderr)
        self.assertEqual(os.listdir(self.root), [])
        calls = self.calls()
        self.assertFalse([c for c in calls if c.startswith(("install", "systemctl"))], calls)
        self.assertIn("--status FAILURE", calls[-1])

    def test_success_enables_service_with_stack_settings(self):
        r = self.run_boot(self.base(self.sha))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.root, "usr/bin/vpcpeer")))
        with open(os.path.join(self.root, "etc/default/vpcpeer")) as f:
            env = f.read().splitlines()
        self.assertIn("VPCPEER_PUBLIC_URL=https://broker.example.com", env)
        self.assertIn("VPCPEER_HUB_VPC=vpc-0123456789abcdef0", env)
        self.assertFalse([l for l in env if l.startswith("BOOT_")])
        self.assertEqual(os.stat(os.path.join(self.root, "etc/default/vpcpeer")).st_mode & 0o077, 0)
        calls = self.calls()
        enable = calls.index("systemctl enable --now vpcpeer.service")
        signals = [i for i, c in enumerate(calls) if "signal-resource" in c]
        self.assertEqual(len(signals), 1, calls)
        self.assertGreater(signals[0], enable)
        self.assertIn("--status SUCCESS", calls[signals[0]])
        self.assertIn("--logical-resource-id BrokerGroup", calls[signals[0]])

    def test_database_secret_goes_to_the_environment_file_only(self):
        r = self.run_boot(self.base(self.sha) + [
            "BOOT_DB_SECRET_ARN=arn:aws:secretsmanager:eu-west-1:111111111111:secret:db",
            "BOOT_DB_HOST=db.internal"])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.root, "etc/default/vpcpeer")) as f:
            env = f.read().splitlines()
        self.assertIn("VPCPEER_DB=postgresql://vp:p%40ss%2Fw@db.internal:5432/vpcpeer"
                      "?sslmode=require", env)
        self.assertNotIn("p@ss/w", r.stdout + r.stderr)

    # templates/broker.yaml's settings of the hosted zone and the transit-gateway mode
    # (issues 19, 16): the names src/cli/broker_config.c reads, as they are; an optional one
    # the stack left empty is not written (the broker refuses "--hosted-zone ''").
    TGW = ["VPCPEER_ATTACH=transit-gateway",
           "VPCPEER_TRANSIT_GATEWAY=tgw-0123456789abcdef0",
           "VPCPEER_RESOURCE_SHARE=arn:aws:ram:eu-west-1:111111111111:resource-share/"
           "0b6e2c1a-0000-4000-8000-000000000001",
           "VPCPEER_TRANSIT_GATEWAY_CLIENT_TABLE=tgw-rtb-0123456789abcdef0",
           "VPCPEER_TRANSIT_GATEWAY_HUB_TABLE=tgw-rtb-0fedcba9876543210",
           "VPCPEER_TRANSIT_GATEWAY_VERIFY_TABLE=tgw-rtb-00112233445566778"]

    def test_hosted_zone_and_transit_gateway_settings_reach_the_service(self):
        r = self.run_boot(self.base(self.sha) + ["VPCPEER_HOSTED_ZONE=Z0123456789ABCDEFGHIJ"] + self.TGW)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.root, "etc/default/vpcpeer")) as f:
            env = f.read().splitlines()
        for line in ["VPCPEER_HOSTED_ZONE=Z0123456789ABCDEFGHIJ"] + self.TGW:
            self.assertIn(line, env)

    def test_empty_optional_settings_are_left_out(self):
        r = self.run_boot(self.base(self.sha) + ["VPCPEER_HOSTED_ZONE=", "VPCPEER_ATTACH=peering",
                                                 "VPCPEER_TRANSIT_GATEWAY="])
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(self.root, "etc/default/vpcpeer")) as f:
            env = f.read().splitlines()
        self.assertIn("VPCPEER_ATTACH=peering", env)
        self.assertFalse([l for l in env if l.endswith("=")], env)
        self.assertFalse([l for l in env if l.startswith(("VPCPEER_HOSTED_ZONE", "VPCPEER_TRANSIT"))])

    def test_not_ready_signals_failure(self):
        self.env["VP_BOOT_CURL"] = "false"
        r = self.run_boot(self.base(self.sha))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("did not answer 200", r.stderr)
        self.assertIn("--status FAILURE", self.calls()[-1])

    VOLUME = "BOOT_VOLUME_ID=vol-0123456789abcdef0"

    def test_registry_volume_attached_formatted_mounted_before_start(self):
        r = self.run_boot(self.base(self.sha) + [self.VOLUME])
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        attach = [i for i, c in enumerate(calls) if c.startswith("aws ec2 attach-volume")]
        self.assertEqual(len(attach), 1, calls)
        self.assertIn("--instance-id i-0123456789abcdef0", calls[attach[0]])
        mkfs = [i for i, c in enumerate(calls) if c.startswith("mkfs")]
        mount = [i for i, c in enumerate(calls) if c.startswith("mount ")]
        self.assertEqual(len(mkfs), 1, calls)
        self.assertEqual(len(mount), 1, calls)
        self.assertTrue(calls[mount[0]].endswith(os.path.join(self.root, "var/lib/vpcpeer")))
        self.assertLess(attach[0], mkfs[0])
        self.assertLess(mkfs[0], mount[0])
        self.assertLess(mount[0], calls.index("systemctl enable --now vpcpeer.service"))
        with open(os.path.join(self.root, "etc/fstab")) as f:
            self.assertIn("UUID=0b6e2c1a-0000-4000-8000-000000000001 /var/lib/vpcpeer ext4 "
                          "nodev,nosuid,noexec,nofail 0 2", f.read().splitlines())
        with open(os.path.join(self.root, "etc/systemd/system/vpcpeer.service.d/volume.conf")) as f:
            self.assertIn("RequiresMountsFor=/var/lib/vpcpeer", f.read())

    def test_registry_volume_second_run_changes_nothing(self):
        self.assertEqual(self.run_boot(self.base(self.sha) + [self.VOLUME]).returncode, 0)
        fstab = os.path.join(self.root, "etc/fstab")
        with open(fstab) as f:
            before = f.read()
        open(self.log, "w").close()
        r = self.run_boot(self.base(self.sha) + [self.VOLUME])
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        self.assertFalse([c for c in calls if c.startswith(("aws ec2 attach-volume", "mkfs", "mount "))],
                         calls)
        with open(fstab) as f:
            self.assertEqual(f.read(), before)

    def test_registry_volume_with_a_file_system_is_not_formatted(self):
        with open(os.path.join(self.env["VOL"], "fs"), "w") as f:
            f.write("ext4\n")
        r = self.run_boot(self.base(self.sha) + [self.VOLUME])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse([c for c in self.calls() if c.startswith("mkfs")])

    def test_registry_volume_waits_for_the_replaced_instance(self):
        with open(os.path.join(self.env["VOL"], "busy"), "w") as f:
            f.write("3\n")
        r = self.run_boot(self.base(self.sha) + [self.VOLUME])
        self.assertEqual(r.returncode, 0, r.stderr)
        calls = self.calls()
        attach = [i for i, c in enumerate(calls) if c.startswith("aws ec2 attach-volume")][0]
        self.assertEqual(len([c for c in calls[:attach] if c == "sleep"]), 3, calls)

    def test_registry_volume_held_too_long_installs_nothing(self):
        with open(os.path.join(self.env["VOL"], "busy"), "w") as f:
            f.write("99\n")
        r = self.run_boot(self.base(self.sha) + [self.VOLUME, "BOOT_VOLUME_TRIES=5"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("vol-0123456789abcdef0 is still in-use (attached to i-0ther)", r.stderr)
        calls = self.calls()
        self.assertFalse([c for c in calls if c.startswith(("install", "systemctl", "mount ",
                                                             "aws ec2 attach-volume"))], calls)
        self.assertIn("--status FAILURE", calls[-1])
        self.assertFalse(os.path.exists(os.path.join(self.root, "usr")))

    AGENT_URL = "BOOT_SSM_AGENT_URL=https://agent.example.com/3.3.0/debian_amd64/amazon-ssm-agent.deb"

    def test_ssm_agent_installed_and_enabled(self):
        r = self.run_boot(self.base(self.sha) + [self.AGENT_URL,
                                                 "BOOT_SSM_AGENT_SHA256=" + self.agent_sha])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(self.root, "usr/bin/amazon-ssm-agent")))
        calls = self.calls()
        self.assertIn("systemctl enable --now amazon-ssm-agent.service", calls)
        self.assertIn("--status SUCCESS", calls[-1])

    def test_ssm_agent_checksum_mismatch_installs_nothing(self):
        wrong = "f" * 64
        r = self.run_boot(self.base(self.sha) + [self.AGENT_URL, "BOOT_SSM_AGENT_SHA256=" + wrong])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("amazon-ssm-agent.deb has SHA-256 " + self.agent_sha, r.stderr)
        self.assertIn("expected " + wrong, r.stderr)
        self.assertEqual(os.listdir(self.root), [])
        calls = self.calls()
        self.assertFalse([c for c in calls if c.startswith(("install", "systemctl"))], calls)
        self.assertIn("--status FAILURE", calls[-1])

    def test_ssm_agent_url_without_checksum_is_refused(self):
        r = self.run_boot(self.base(self.sha) + [self.AGENT_URL])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("BOOT_SSM_AGENT_SHA256 ''", r.stderr)
        self.assertEqual(os.listdir(self.root), [])

    def test_bad_settings_line_is_refused(self):
        r = self.run_boot(self.base(self.sha) + ["PATH=/tmp"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("'PATH'", r.stderr)
        self.assertEqual(os.listdir(self.root), [])


if __name__ == "__main__":
    sys.exit(unittest.main())
